using System.Text.RegularExpressions;

namespace Renkei.Cli;

/// <summary>
/// Japanese for System.CommandLine's own messages about a command line it cannot parse. Its Japanese resources leave half
/// of these in English, and ours are "日本語 / English" anyway, so each known English line gets its Japanese put before it.
/// </summary>
public static class UsageErrors
{
    private static readonly (Regex English, string Japanese)[] Known =
    [
        (new(@"^Required command was not provided\.$"), "コマンドを指定してください"),
        (new(@"^Unrecognized command or argument '(.*)'\.$"), "「$1」というコマンドや引数はありません"),
        (new(@"^Option '(.*)' is required\.$"), "オプション $1 は必須です"),
        (new(@"^Required argument missing for command: '(.*)'\.$"), "コマンド $1 に必要な引数がありません"),
        (new(@"^Required argument missing for option: '(.*)'\.$"), "オプション $1 に値がありません"),
        (new(@"^Option '(.*)' expects a single argument but (\d+) were provided\.$"), "オプション $1 の値は一つだけです（$2 個あります）"),
        (new(@"^Argument '(.*)' not recognized\. Must be one of:(.*)$"), "「$1」は使えません。次のいずれかです:$2"),
        (new(@"^Cannot parse argument '(.*)' for option '(.*)' as expected type '(.*)'\..*$"), "オプション $2 の値「$1」を読めません"),
        (new(@"^Cannot parse argument '(.*)' for command '(.*)' as expected type '(.*)'\..*$"), "コマンド $2 の引数「$1」を読めません"),
        (new(@"^Cannot parse argument '(.*)' as expected type '(.*)'\..*$"), "引数「$1」を読めません"),
        (new(@"^'(.*)' was not matched\. Did you mean one of the following\?$"), "「$1」はありません。次のどれかですか"),
        (new(@"^(.*) option cannot be combined with other arguments\.$"), "$1 は他の引数と一緒に使えません"),
    ];

    /// <summary>The headings and marks of the help text, which the library writes in English only.</summary>
    private static readonly (Regex English, string Bilingual)[] HelpFrame =
    [
        (new(@"^Description:$"), "説明 / Description:"),
        (new(@"^Usage:$"), "使い方 / Usage:"),
        (new(@"^Arguments:$"), "引数 / Arguments:"),
        (new(@"^Options:$"), "オプション / Options:"),
        (new(@"^Commands:$"), "コマンド / Commands:"),
        (new(@"\[default: "), "[既定値 / default: "),
    ];

    // "(必須 / REQUIRED)" takes 7 more columns than "(REQUIRED)" (a kanji is two): taken from the padding after it, so that
    // the descriptions stay in their column where the padding allows.
    private static readonly Regex Required = new(@" \(REQUIRED\)( *)");
    private const int RequiredWider = 7;

    private const string NoCommand = "Required command was not provided.";

    /// <summary>
    /// Each line of <paramref name="text"/> that is one of the known English messages becomes "日本語 / English", and so do the
    /// help's headings. "Required command was not provided" goes when the line names a command that does not exist: the
    /// mistyped name is the error, not a missing command.
    /// </summary>
    public static string Bilingual(string text)
    {
        if (text.Length == 0) return text;
        var lines = text.Split('\n').ToList();
        if (lines.Any(l => l.StartsWith("Unrecognized command or argument", StringComparison.Ordinal)))
            lines.RemoveAll(l => l.TrimEnd('\r') == NoCommand);
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i].TrimEnd('\r');
            foreach (var (english, japanese) in Known)
                if (english.Match(line) is { Success: true } match)
                {
                    lines[i] = $"{match.Result(japanese)} / {line}";
                    break;
                }
            foreach (var (english, bilingual) in HelpFrame) lines[i] = english.Replace(lines[i], bilingual);
            lines[i] = Required.Replace(lines[i], m => " (必須 / REQUIRED)" + new string(' ', Math.Max(m.Groups[1].Length - RequiredWider, Math.Min(2, m.Groups[1].Length))));
        }
        return string.Join('\n', lines);
    }
}
