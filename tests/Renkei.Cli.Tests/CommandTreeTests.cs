using System.CommandLine;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>Checks over the whole <c>renkei</c> command tree, so that a command added later is held to them too.</summary>
public class CommandTreeTests
{
    private static IEnumerable<(string Path, Command Command)> Commands(Command command, string path)
    {
        yield return (path, command);
        foreach (var sub in command.Subcommands)
            foreach (var found in Commands(sub, $"{path} {sub.Name}")) yield return found;
    }

    private static List<(string Path, Command Command)> All() => [.. Commands(CommandTree.Create(), "renkei")];

    private static bool IsJapanese(char c) => c is >= '\u3040' and <= '\u30FF' or >= '\u4E00' and <= '\u9FFF';

    /// <summary>Japanese first: the text before the first "/ " (or all of it) holds Japanese; what follows it is English.</summary>
    private static string? Problem(string? description)
    {
        if (string.IsNullOrWhiteSpace(description)) return "no description";
        var slash = description.IndexOf("/ ", StringComparison.Ordinal);
        var japanese = slash < 0 ? description : description[..slash];
        if (!japanese.Any(IsJapanese)) return "no Japanese before the English";
        if (slash >= 0 && !description[(slash + 2)..].Any(char.IsAsciiLetter)) return "nothing after the '/ '";
        return null;
    }

    [Fact]
    public void Every_command_option_and_argument_is_described_in_Japanese_first()
    {
        var problems = new List<string>();
        foreach (var (path, command) in All())
        {
            if (Problem(command.Description) is { } p) problems.Add($"{path}: {p}");
            foreach (var option in command.Options)
                if (Problem(option.Description) is { } q) problems.Add($"{path} {option.Name}: {q}");
            foreach (var argument in command.Arguments)
                if (Problem(argument.Description) is { } r) problems.Add($"{path} <{argument.Name}>: {r}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(All().Count > 20, "the walk saw the whole tree"); // a walk that sees nothing cannot pass
    }

    [Fact]
    public void The_check_itself_refuses_English_only_and_missing_text()
    {
        Assert.NotNull(Problem(null));
        Assert.NotNull(Problem("Show help and usage information"));
        Assert.NotNull(Problem("individual or corporate / 個人番号"));
        Assert.Null(Problem("番号の種類 / the kind of number"));
    }

    [Fact]
    public async Task Help_shows_the_Japanese_text_for_the_built_in_options_too()
    {
        var help = await RenkeiCommand.RunAsync("number", "check", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("使い方を表示する", help.Output);
        Assert.DoesNotContain("Show help and usage information", help.Output);
    }

    [Fact]
    public async Task Help_headings_and_marks_are_Japanese_first_with_the_descriptions_kept_in_their_column()
    {
        var help = await RenkeiCommand.RunAsync("registry", "seed", "--help");
        Assert.Equal(0, help.ExitCode);
        var lines = help.Output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        foreach (var heading in new[] { "説明 / Description:", "使い方 / Usage:", "オプション / Options:" }) Assert.Contains(heading, lines);
        Assert.DoesNotContain("Usage:", lines);
        Assert.Contains("[既定値 / default: data]", help.Output);
        Assert.DoesNotContain("(REQUIRED)", help.Output.Replace("(必須 / REQUIRED)", ""));
        // --residents is shorter than the longest option: its description starts in the same column as --seed's, where the
        // two kanji of 必須 take two columns each.
        var residents = lines.Single(l => l.Contains("--residents <residents> (必須 / REQUIRED)"));
        var seed = lines.Single(l => l.TrimStart().StartsWith("--seed"));
        Assert.Equal(seed.IndexOf("乱数の種", StringComparison.Ordinal), residents.IndexOf("住民の数", StringComparison.Ordinal) + 2);

        var commands = await RenkeiCommand.RunAsync("number", "--help");
        Assert.Contains("コマンド / Commands:", commands.Output);
        var arguments = await RenkeiCommand.RunAsync("number", "check", "--help");
        Assert.Contains("引数 / Arguments:", arguments.Output);
    }

    [Fact]
    public async Task A_command_that_does_not_exist_is_named_without_saying_a_command_is_missing()
    {
        var result = await RenkeiCommand.RunAsync("frobnicate");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("「frobnicate」というコマンドや引数はありません", result.Error);
        Assert.DoesNotContain("コマンドを指定してください", result.Error);
        Assert.DoesNotContain("Required command was not provided", result.Error);
        Assert.Contains("コマンド / Commands:", result.Error); // the help that comes with it is put into Japanese too
    }

    [Fact]
    public void Every_command_that_takes_data_refuses_a_file_as_its_data_folder()
    {
        using var folder = new TempFolder();
        var file = folder.File("not-a-folder");
        File.WriteAllText(file, "");
        var commands = All().Where(c => c.Command.Options.Any(o => o.Name == "--data")).ToList();
        Assert.True(commands.Count >= 10, $"only {commands.Count} commands take --data");
        foreach (var (path, _) in commands)
        {
            foreach (var data in new[] { file, Path.Combine(file, "below") })
            {
                var errors = CommandTree.Create().Parse([.. path.Split(' ').Skip(1), "--data", data]).Errors.Select(e => e.Message).ToList();
                Assert.True(errors.Any(e => e.Contains("--data") && e.Contains("はファイルです") && e.Contains("is a file")), $"{path} --data {data}: {string.Join("; ", errors)}");
            }
        }
    }

    [Fact]
    public async Task A_file_as_the_data_folder_is_a_clear_error_without_a_stack_trace()
    {
        using var folder = new TempFolder();
        var file = folder.File("data");
        File.WriteAllText(file, "");
        foreach (var args in new[] { new[] { "up", "--data", file, "--port", "0" }, ["pki", "chain", "--data", file], ["registry", "seed", "--data", file, "--municipalities", "1", "--residents", "1"] })
        {
            var result = await RenkeiCommand.RunAsync(args);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("--data はフォルダです", result.Error);
            Assert.DoesNotContain("   at ", result.Error);
        }
        // The default, ./data, is checked as well.
        var byDefault = await RenkeiCommand.RunAsync(["pki", "chain"], null, TimeSpan.FromMinutes(1), folder.Path);
        Assert.Equal(1, byDefault.ExitCode);
        Assert.Contains("--data はフォルダです", byDefault.Error);
        Assert.Equal("", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("number chek 1", "「chek」というコマンドや引数はありません")]
    [InlineData("registry seed", "オプション --municipalities は必須です")]
    [InlineData("number derive", "コマンド derive に必要な引数がありません")]
    [InlineData("number check --kind individual --kind corporate 1", "オプション --kind の値は一つだけです")]
    [InlineData("number", "コマンドを指定してください")]
    public async Task A_command_line_that_does_not_parse_is_explained_in_Japanese_first(string line, string japanese)
    {
        var result = await RenkeiCommand.RunAsync(line.Split(' '));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(japanese, result.Error);
        // The command's help, then the errors after it, all on standard error: standard output is where a redirect sends results.
        Assert.Equal("", result.Output); // the help used to go there, into the file a redirect names
        Assert.Contains("使い方を表示する", result.Error);
        var blocks = result.Error.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var errors = blocks[^1].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains(errors, e => e.Contains(japanese));
        Assert.All(errors, e => Assert.True(Problem(e) is null, $"not Japanese first: {e}\n{result.Error}"));
    }

    [Theory]
    [InlineData("ja_JP.UTF-8")]
    [InlineData("de_DE.UTF-8")]
    [InlineData("C.UTF-8")]
    public async Task Parse_errors_are_Japanese_then_English_whatever_the_machines_language(string language)
    {
        var result = await RenkeiCommand.RunAsync(["number", "chek", "1"], null, TimeSpan.FromMinutes(1), null,
            new Dictionary<string, string> { ["LANG"] = language, ["LC_ALL"] = language, ["LANGUAGE"] = "" });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("「chek」というコマンドや引数はありません / Unrecognized command or argument 'chek'.", result.Error);
    }

    [Fact]
    public async Task A_mistyped_command_gets_its_suggestion_in_Japanese_too()
    {
        var result = await RenkeiCommand.RunAsync("number", "chek", "1");
        Assert.Contains("「chek」はありません。次のどれかですか / 'chek' was not matched.", result.Error);
        Assert.Contains("check", result.Error[result.Error.IndexOf("'chek' was not matched.")..]);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task An_argument_starting_with_an_at_sign_is_taken_as_it_is_not_as_a_response_file()
    {
        // Response files are off: "@nofile.txt" used to be read as a file of arguments, with an English-only error when there was none.
        var result = await RenkeiCommand.RunAsync("number", "check", "@nofile.txt");
        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain("Response file", result.Error);
        Assert.Equal(["@nofile.txt", "individual", "無効 / invalid: 1文字目「@」(U+0040)が数字ではありません / character 1 '@' (U+0040) is not a digit"], result.Lines[0].Split('\t'));

        using var folder = new TempFolder();
        var document = folder.File("@申請書.txt");
        await File.WriteAllTextAsync(document, "申請");
        var sign = await RenkeiCommand.RunAsync(["card", "sign", "--card", folder.File("no.card"), "--signing-password", "HANAKO1", "@申請書.txt"], null, TimeSpan.FromMinutes(1), folder.Path);
        Assert.Equal(1, sign.ExitCode);
        Assert.Contains("カードファイルがありません", sign.Error); // the document was found under its own name; the card is what is missing
    }

    /// <summary>
    /// The figures of a text: runs of digits (full-width read as ASCII, 1,000 as 1000) and "eleven", which the English spells
    /// out; 16進 (hexadecimal) is a word, not a figure.
    /// </summary>
    private static SortedSet<long> Numbers(string text)
    {
        text = System.Text.RegularExpressions.Regex.Replace(text.Normalize(System.Text.NormalizationForm.FormKC).Replace("16進", "進"), @"\beleven\b", "11");
        return [.. System.Text.RegularExpressions.Regex.Matches(text, "[0-9][0-9,]*").Select(m => long.Parse(m.Value.Replace(",", "")))];
    }

    [Fact]
    public void The_Japanese_and_English_halves_of_every_description_give_the_same_figures()
    {
        var problems = new List<string>();
        foreach (var (path, command) in All())
            foreach (var (name, text) in command.Options.Select(o => (o.Name, o.Description)).Concat(command.Arguments.Select(a => ($"<{a.Name}>", a.Description))).Prepend(("", command.Description)))
            {
                if (text is null || text.IndexOf("/ ", StringComparison.Ordinal) is var slash && slash < 0) continue;
                var (japanese, english) = (Numbers(text[..slash]), Numbers(text[(slash + 2)..]));
                if (!japanese.SetEquals(english)) problems.Add($"{path} {name}: {string.Join(",", japanese)} / {string.Join(",", english)}: {text}");
            }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // The check itself tells them apart.
        Assert.False(Numbers("市区町村の数（1〜14）").SetEquals(Numbers("how many municipalities")));
        Assert.True(Numbers("11桁の数字、16進数64文字").SetEquals(Numbers("eleven digits, 64 hex characters")));
    }

    [Fact]
    public void Help_says_the_same_in_both_languages_and_what_applies_to_the_command()
    {
        string Describe(string path, string option) =>
            All().Single(c => c.Path == path).Command.Options.Single(o => o.Name == option).Description!;
        // bench seed has no --data: its SQLite register is a temporary file.
        Assert.DoesNotContain("DIR", Describe("renkei bench seed", "--storage"));
        Assert.Contains("一時", Describe("renkei bench seed", "--storage"));
        Assert.Contains("temporary", Describe("renkei bench seed", "--storage"));
        Assert.Contains("DIR/registry/registry.db", Describe("renkei registry seed", "--storage"));
        var seed = Describe("renkei registry seed", "--seed");
        Assert.Contains("省略", seed[..seed.IndexOf("/ ")]);
        Assert.Contains("random if omitted", seed);
        Assert.Contains("1以上", Describe("renkei registry seed", "--residents"));
        Assert.Contains("1 to 14", Describe("renkei registry seed", "--municipalities"));
        Assert.Contains("4 digits", Describe("renkei card show", "--pin"));
    }

    [Fact]
    public void Only_known_English_lines_are_given_Japanese()
    {
        Assert.Equal("オプション --x は必須です / Option '--x' is required.\nsomething else\n", UsageErrors.Bilingual("Option '--x' is required.\nsomething else\n"));
        Assert.Equal("", UsageErrors.Bilingual(""));
    }
}
