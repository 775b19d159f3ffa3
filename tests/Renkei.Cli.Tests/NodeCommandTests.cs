using System.Text;
using System.Text.Json;
using Renkei.Cli.Linkage;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

public class NodeCommandTests
{
    private const string Kashiwa = "122173", Bunkyo = "131059";

    [Fact]
    public async Task A_command_on_a_folder_whose_network_is_still_starting_waits_for_it_instead_of_failing()
    {
        using var folder = new TempFolder();
        // What renkei up holds from its first moment until it stops, before network.json says where the services are.
        using (Renkei.Hosting.FileLock.Take(Path.Combine(folder.Path, "network.lock"), TimeSpan.Zero))
        {
            using var demo = RenkeiCommand.Start(["demo", "moving-family", "--data", folder.Path]);
            var waiting = await demo.StandardError.ReadLineAsync();
            Assert.Contains("is starting: waiting for it", waiting);
            Assert.False(demo.WaitForExit(2000), "it gave up while the network was starting");
            demo.Kill(entireProcessTree: true);
        }
    }

    private static string Tax(int income) =>
        $$"""{"fiscalYear":2025,"totalIncome":{{income}},"taxableIncome":0,"municipalTax":0,"prefecturalTax":0}""";

    private static string Line(string addressee, string content) =>
        $$"""{"addresseeNumber":"{{addressee}}","item":"local-tax","schemaVersion":1,"content":{{content}}}""";

    /// <summary>Each copy kept at a tenant of the node in DIR, by addressee number.</summary>
    private static async Task<Dictionary<string, JsonElement>> CopiesAsync(string folder, string agency)
    {
        await using var c = await Database.Sqlite(Path.Combine(folder, "node", "tenants", agency, "node.db")).OpenAsync();
        return (await c.QueryAsync("SELECT addressee_number, content FROM copies", r => (r.GetString(0), JsonDocument.Parse(r.GetString(1)).RootElement.Clone())))
            .ToDictionary(x => x.Item1, x => x.Item2);
    }

    [Fact]
    public async Task Import_copies_stopped_by_SIGTERM_finishes_its_chunk_says_what_was_imported_and_from_which_line_to_go_on()
    {
        using var data = new TempFolder();
        var file = data.File("copies.jsonl");
        await File.WriteAllLinesAsync(file, Enumerable.Range(1, 200_000).Select(i => Line($"K-{i}", Tax(i))));
        using var process = RenkeiCommand.Start(["node", "import-copies", "--data", data.Path, "--agency", Kashiwa, "--file", file]);
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = new List<string>();
        var reading = Task.Run(async () => { while (await process.StandardError.ReadLineAsync() is { } line) lock (errors) errors.Add(line); });
        // The first tenth reported: the network for the command is up and chunks are on their way.
        await Eventually.HoldsAsync(() => { lock (errors) return errors.Any(l => l.StartsWith("副本 / copies: ")); },
            "the import was not under way within 3 minutes", TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(100));
        RenkeiCommand.Terminate(process);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await reading;

        // It used to be ended by the runtime with nothing said (exit 143).
        Assert.Equal(130, process.ExitCode);
        var imported = int.Parse(System.Text.RegularExpressions.Regex.Match(await output, @"copies imported: ([\d,]+)").Groups[1].Value.Replace(",", ""));
        Assert.InRange(imported, 20_000, 199_999);
        Assert.Equal(0, imported % Renkei.Cli.Linkage.CopyImportCommand.ChunkRows); // whole chunks only
        var said = string.Join('\n', errors);
        Assert.Contains("中断しました / interrupted", said);
        Assert.Contains($"{imported + 1:N0}行目から送り直してください", said);
        Assert.Contains($"send again from line {imported + 1:N0}", said);
        Assert.DoesNotContain("   at ", said);
        // What it says was imported is what the node holds.
        Assert.Equal(imported, (await CopiesAsync(data.Path, Kashiwa)).Keys.Count(k => k.StartsWith("K-")));
    }

    [Fact]
    public async Task Import_copies_keeps_good_rows_across_chunks_reports_each_bad_row_by_its_line_in_the_file_and_fails()
    {
        using var data = new TempFolder();
        var file = data.File("copies.jsonl");
        var text = new StringBuilder();
        // 1,203 rows over two chunks; bad rows in each chunk, a blank line shifting the numbering.
        for (var i = 1; i <= 1_205; i++)
        {
            if (i == 500) text.AppendLine();
            text.AppendLine(i switch
            {
                3 => "not json",
                1_103 => Line($"K-{i}", Tax(-1)),
                _ => Line($"K-{i}", Tax(i)),
            });
        }
        await File.WriteAllTextAsync(file, text.ToString());
        var result = await RenkeiCommand.RunAsync("node", "import-copies", "--data", data.Path, "--agency", Kashiwa, "--file", file);
        Assert.True(result.ExitCode == 1, result.Output + result.Error);
        Assert.Contains("copies imported: 1,203", result.Output);
        Assert.Contains("bad rows: 2", result.Output);
        var bad = result.Error.Split('\n').Where(l => l.Contains("行目 / line")).ToList();
        Assert.Equal(2, bad.Count);
        Assert.StartsWith("3行目 / line 3: ", bad[0]);
        Assert.StartsWith("1104行目 / line 1104: ", bad[1]); // row 1,103 is on line 1,104 after the blank line
        Assert.Contains("$.totalIncome", bad[1]);
        Assert.Contains("100%", result.Error);
        Assert.Contains($"no network is running in {data.Path}: starting one for this command", result.Error); // none ran there

        var copies = await CopiesAsync(data.Path, Kashiwa);
        Assert.Equal(1_203, copies.Count);
        Assert.Equal(1_205, copies["K-1205"].GetProperty("totalIncome").GetInt32());
        Assert.False(copies.ContainsKey("K-1103"));
    }

    [Fact]
    public async Task Import_copies_reads_csv_with_quoted_json_and_reports_rows_by_the_line_they_start_on()
    {
        using var data = new TempFolder();
        var file = data.File("copies.csv");
        var content = Tax(4_100_000).Replace("\"", "\"\"");
        await File.WriteAllTextAsync(file, string.Join("\r\n",
            "item,addresseeNumber,schemaVersion,content,withheld",
            $"local-tax,K-1,1,\"{content}\",",
            $"local-tax,K-2,1,\"{content.Replace(",", ",\n")}\",true", // a quoted field over five lines
            "local-tax,K-3,one,\"{}\",false",
            $"local-tax,K-4,1,\"{content}\",maybe",
            "local-tax,K-5,1,not json,false",
            "local-tax,K-6,1",
            "local-tax,bad number!,1,\"{}\",false",
            $"vaccination,K-7,1,\"{content}\",false",
            ""));
        var result = await RenkeiCommand.RunAsync("node", "import-copies", "--data", data.Path, "--agency", Kashiwa, "--file", file);
        Assert.True(result.ExitCode == 1, result.Output + result.Error);
        Assert.Contains("copies imported: 2", result.Output);
        var bad = result.Error.Split('\n').Where(l => l.Contains("行目 / line")).ToList();
        Assert.Equal([8, 9, 10, 11, 12, 13], bad.Select(l => int.Parse(l[..l.IndexOf('行')])));
        Assert.Contains("schemaVersion", bad[0]);
        Assert.Contains("withheld", bad[1]);
        Assert.Contains("content", bad[2]);
        Assert.Contains("columns", bad[3]);
        Assert.Contains("addresseeNumber", bad[4]);
        Assert.Contains("$.doses", bad[5]); // the node checked the layout of the item named

        var copies = await CopiesAsync(data.Path, Kashiwa);
        Assert.Equal(["K-1", "K-2"], copies.Keys.Order());
        Assert.Equal(4_100_000, copies["K-2"].GetProperty("totalIncome").GetInt32());

        // A header naming no content column is one bad line, and nothing is sent.
        await File.WriteAllTextAsync(file, "addresseeNumber,item,schemaVersion,payload\nK-9,local-tax,1,{}\n");
        var header = await RenkeiCommand.RunAsync("node", "import-copies", "--data", data.Path, "--agency", Kashiwa, "--file", file);
        Assert.Equal(1, header.ExitCode);
        Assert.Contains("line 1:", header.Error);
        Assert.Contains("missing content", header.Error);
    }

    [Fact]
    public void Import_copies_says_in_Japanese_too_what_a_csv_header_lacks_and_tells_content_that_is_not_json_from_content_that_is_no_object()
    {
        var (_, header) = Renkei.Cli.Linkage.CopyImportCommand.ReadCsv("addresseeNumber;item;schemaVersion;content\nK-1;local-tax;1;{}\n");
        Assert.Equal((1, "見出し行は addresseeNumber,item,schemaVersion,content,withheld です（withheld は省略可）。足りない列: addresseeNumber,item,schemaVersion,content。"
            + "知らない列: addresseeNumber;item;schemaVersion;conte…。列はカンマで区切ってください / the header must name addresseeNumber,item,schemaVersion,content,withheld "
            + "(withheld may be left out); missing addresseeNumber,item,schemaVersion,content; unknown addresseeNumber;item;schemaVersion;conte…; separate the columns with commas"),
            Assert.Single(header));

        var (rows, bad) = Renkei.Cli.Linkage.CopyImportCommand.ReadCsv(string.Join("\n",
            "addresseeNumber,item,schemaVersion,content", "K-1,local-tax,1,\"{\"\"fiscalYear\"\":２０２５}\"", "K-2,local-tax,1,\"{x}\"", "K-3,local-tax,1,[]", "K-4,local-tax,1,{}"));
        Assert.Equal([5], rows.Select(r => r.Line));
        Assert.Equal(
        [
            (2, "content: JSONとして読めません（15バイト目）。全角の数字や記号は半角で書いてください / not JSON at byte 15: write digits and symbols in half-width (半角)"),
            (3, "content: JSONとして読めません（2バイト目）/ not JSON at byte 2"),
            (4, "content: JSONのオブジェクトではありません / not a JSON object"),
        ], bad);
    }

    [Fact]
    public async Task Import_copies_tells_a_csv_file_read_as_json_lines_to_be_given_as_csv_and_sends_nothing()
    {
        using var data = new TempFolder();
        using var inputs = new TempFolder();
        var file = inputs.File("copies.txt");
        await File.WriteAllTextAsync(file, "addresseeNumber,item,schemaVersion,content\nK-1,local-tax,1,\"{}\"\n");
        var result = await RenkeiCommand.RunAsync("node", "import-copies", "--data", data.Path, "--agency", Kashiwa, "--file", file);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"CSVのようです（1行目が見出し行）。--format csv を指定するか、拡張子を .csv にしてください / this looks like CSV (line 1 is a header): "
            + $"give --format csv, or name the file .csv: {file}", result.Error.Trim());
        Assert.Empty(Directory.GetFileSystemEntries(data.Path)); // nothing started, nothing sent
    }

    [Fact]
    public void Import_copies_reads_withheld_as_spreadsheets_write_it()
    {
        var content = Tax(1).Replace("\"", "\"\"");
        var text = string.Join("\n",
            "addresseeNumber,item,schemaVersion,content,withheld",
            $"K-1,local-tax,1,\"{content}\",TRUE",
            $"K-2,local-tax,1,\"{content}\",False",
            $"K-3,local-tax,1,\"{content}\",maybe",
            "");
        var (rows, bad) = Renkei.Cli.Linkage.CopyImportCommand.ReadCsv(text);
        // TRUE and False were bad rows: only true/false/1/0 were taken.
        Assert.Equal([(2, true), (3, false)], rows.Select(r => (r.Line, JsonDocument.Parse(r.Json).RootElement.GetProperty("withheld").GetBoolean())));
        Assert.Equal([4], bad.Select(b => b.Line));
        Assert.Contains("withheld", bad[0].Reason);
    }

    [Fact]
    public void Import_copies_reads_a_csv_padded_by_a_spreadsheet_as_issue_codes_does()
    {
        var content = Tax(1).Replace("\"", "\"\"");
        // Saved from a spreadsheet: the header and a row as wide as the widest, an empty row, BOM and CRLF already read away.
        var text = string.Join("\r\n",
            "addresseeNumber,item,schemaVersion,content,withheld,,",
            $"K-1,local-tax,1,\"{content}\",FALSE,,",
            ",,,,,,",
            $"K-2,local-tax,1,\"{content}\",,,",
            $"K-3,local-tax,1,\"{content}\",TRUE,,x",
            $"K-4,local-tax,1,\"{content}\"",
            ",,,",
            "");
        var (rows, bad) = Renkei.Cli.Linkage.CopyImportCommand.ReadCsv(text);
        // The padded header was "the header repeats the column """ and nothing was read; padded rows had 7 columns, the empty one no number.
        Assert.Equal([(2, false), (4, false)], rows.Select(r => (r.Line, JsonDocument.Parse(r.Json).RootElement.GetProperty("withheld").GetBoolean())));
        Assert.Equal([(5, "列の数が違います / 7 columns, the header has 5"), (6, "列の数が違います / 4 columns, the header has 5")], bad);
    }

    [Fact]
    public void An_inquire_batch_list_saved_from_a_spreadsheet_column_is_read_whole()
    {
        // The audit's file, its BOM read away: a header, a quoted cell and a padded one were three bad lines.
        var (numbers, bad) = Renkei.Cli.Linkage.InquireBatchCommand.ReadList("宛名番号\r\nB-000001\r\nB-000002\r\n\"B-000003\"\r\nB-000004,\r\n,\r\n");
        Assert.Equal(["B-000001", "B-000002", "B-000003", "B-000004"], numbers);
        Assert.Empty(bad);

        // A header only on the first line; what a header names later, two cells, repeats and malformed lines are bad by line.
        (numbers, bad) = Renkei.Cli.Linkage.InquireBatchCommand.ReadList("\naddresseeNumber\nB-1\n宛名番号\nB-2,B-3\n\" B-1 \"\nB_4\n");
        Assert.Equal(["B-1"], numbers);
        Assert.Equal([4, 5, 6, 7], bad.Select(b => b.Item1));
        Assert.Equal("1行に宛名番号を一つだけ書いてください / write one addressee number a line", bad[1].Item2);
        Assert.Equal("3行目と同じです / same as line 3", bad[2].Item2);
    }

    [Fact]
    public void Issue_codes_reads_the_dates_a_japanese_spreadsheet_writes_and_says_what_a_float_or_a_tab_did()
    {
        static AddresseeSystem.Person? Read(string line, out string? wrong) => NodeCommands.PersonOf([.. line.Split(',').Select(f => f.Trim())], out wrong);
        // yyyy/MM/dd, yyyy/M/d and full width were "dateOfBirth must be yyyy-MM-dd"; they go to the Registry in its own form.
        foreach (var line in new[] { "Q-0008,坂本,正男,1994/03/29,male,", "Q-0008,坂本,正男,1994/3/29,,", "T-0004,坂本,正男,１９９４－０３－２９,,", "T-0005,坂本,正男,１９９４／０３／２９,,,," })
        {
            var person = Read(line, out var wrong);
            Assert.True(person is not null, $"{line}: {wrong}");
            Assert.Equal("1994-03-29", person!.BasicFour!.DateOfBirth);
        }
        Assert.Null(Read("T-0006,坂本,正男,1994/13/29,,", out var month));
        Assert.Equal("dateOfBirth: 生年月日はYYYY-MM-DD形式です / dateOfBirth must be yyyy-MM-dd", month);

        // A spreadsheet's General format rounded the number away: the hint says to format the column as text (and never echoes it).
        Assert.Null(Read("T-0001,1.87851E+11", out var exponent));
        Assert.Contains("format the column as text", exponent);
        Assert.DoesNotContain("1.87851", exponent);
        Assert.Null(Read("T-0002,1.87851e11,,", out var lower));
        Assert.Contains("format the column as text", lower);

        // A TSV save is one field holding tabs: told to separate the columns with commas, as import-copies says.
        Assert.Null(Read("T-0003\t123456789018", out var tabs));
        Assert.EndsWith("separate the columns with commas", tabs);
        Assert.Null(Read("T-0003", out var single));
        Assert.DoesNotContain("commas", single);
    }

    [Fact]
    public void Trailing_empty_fields_are_dropped_and_nothing_else()
    {
        Assert.Equal(["K-1", "", "x"], Renkei.Cli.Csv.WithoutTrailingEmpty(["K-1", "", "x", "", " "]));
        Assert.Empty(Renkei.Cli.Csv.WithoutTrailingEmpty(["", " ", ""]));
        Assert.Equal([" a "], Renkei.Cli.Csv.WithoutTrailingEmpty([" a "]));
    }

    [Fact]
    public void A_csv_line_break_inside_a_quoted_field_counts_once_whatever_ends_it()
    {
        var content = Tax(1).Replace("\"", "\"\"");
        // Lines ended by bare CRs (an old Mac export); K-1's content spans three lines, one ended by a CR, one by a CR LF.
        var text = string.Join("\r",
            "addresseeNumber,item,schemaVersion,content,withheld",
            $"K-1,local-tax,1,\"{content.Replace("\"\"totalIncome", "\r\"\"totalIncome").Replace("\"\"taxableIncome", "\r\n\"\"taxableIncome")}\",false",
            $"K-2,local-tax,one,\"{content}\",false",
            $"K-3,local-tax,1,\"{content.Replace("\"\"totalIncome", "\n\"\"totalIncome")}\",false",
            $"K-4,local-tax,one,\"{content}\",false",
            "");
        var (rows, bad) = Renkei.Cli.Linkage.CopyImportCommand.ReadCsv(text);
        // Only LF was counted inside a field: K-2 was reported on line 4, a line too early.
        Assert.Equal([2, 6], rows.Select(r => r.Line));
        Assert.Equal([5, 8], bad.Select(b => b.Line));
    }

    [Fact]
    public async Task Import_copies_refuses_a_missing_file_and_an_agency_the_node_does_not_host()
    {
        using var data = new TempFolder();
        var missing = await RenkeiCommand.RunAsync("node", "import-copies", "--data", data.Path, "--agency", Kashiwa, "--file", data.File("nowhere.jsonl"));
        // Exit 1 as every other command's failure (it was 2), naming the file by its full path (it was the name alone).
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"ファイルがありません / no such file: {data.File("nowhere.jsonl")}", missing.Error);

        var file = data.File("copies.jsonl");
        await File.WriteAllTextAsync(file, Line("K-1", Tax(1)) + "\n");
        var unknown = await RenkeiCommand.RunAsync("node", "import-copies", "--data", data.Path, "--agency", "999999", "--file", file);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no such agency on this node: 999999", unknown.Error);

        var batch = await RenkeiCommand.RunAsync("node", "inquire-batch", "--data", data.Path, "--agency", Bunkyo, "--affair", "child-allowance",
            "--provider", Kashiwa, "--item", "local-tax", "--file", data.File("nowhere.txt"));
        Assert.Equal(1, batch.ExitCode);
        Assert.Contains($"no such file: {data.File("nowhere.txt")}", batch.Error);
        // An affair typed in Japanese: the affairs the agency's callers hold are named, Japanese first.
        await File.WriteAllTextAsync(data.File("list.txt"), "B-1\n");
        string[] inquire = ["node", "inquire-batch", "--data", data.Path, "--provider", Kashiwa, "--item", "local-tax", "--file", data.File("list.txt")];
        foreach (var (args, expected) in new[]
        {
            ((string[])["--agency", Bunkyo, "--affair", "児童手当"], $"呼出元「{Bunkyo}-児童手当」が node/callers.json にありません。--affair は事務の名前で、{Bunkyo} の呼出元が持つのは "
                + $"child-allowance, vaccination です（例 --affair child-allowance）/ no caller '{Bunkyo}-児童手当' in node/callers.json: --affair names an affair, "
                + $"and {Bunkyo}'s callers hold child-allowance, vaccination (--affair child-allowance, say)"),
            (["--agency", Bunkyo, "--affair", "child-allowance", "--caller", "clerk"], $"呼出元「clerk」が node/callers.json にありません。{Bunkyo} の事務を持つ呼出元は "
                + $"{Bunkyo}-child-allowance, {Bunkyo}-vaccination です / no caller 'clerk' in node/callers.json; {Bunkyo}'s callers with an affair are {Bunkyo}-child-allowance, {Bunkyo}-vaccination"),
            (["--agency", "999999", "--affair", "child-allowance"], "この中間サーバーにその機関はありません / no such agency on this node: 999999; 登録されている機関 / agencies hosted: "),
        })
        {
            var refused = await RenkeiCommand.RunAsync([.. inquire, .. args]);
            Assert.True(refused.ExitCode == 1, refused.Output + refused.Error);
            Assert.Contains(expected, refused.Error);
        }
        var codesMissing = await RenkeiCommand.RunAsync("node", "issue-codes", "--data", data.Path, "--agency", Kashiwa, "--file", data.File("nowhere.csv"));
        Assert.Equal(1, codesMissing.ExitCode);
        Assert.Contains($"no such file: {data.File("nowhere.csv")}", codesMissing.Error);
        // A folder is one, not missing.
        foreach (var command in new[] { "issue-codes", "import-copies" })
        {
            var folder = await RenkeiCommand.RunAsync("node", command, "--data", data.Path, "--agency", Kashiwa, "--file", data.Path);
            Assert.Equal(1, folder.ExitCode);
            Assert.Equal($"--file にフォルダが指定されました。ファイルを指定してください / --file names a folder, not a file: {data.Path}", folder.Error.Trim());
        }

        // issue-codes names the agency it does not know and the ones it does, rather than failing with a stack trace.
        await File.WriteAllTextAsync(data.File("people.csv"), "K-1,123456789018\n");
        var codes = await RenkeiCommand.RunAsync("node", "issue-codes", "--data", data.Path, "--agency", "999999", "--file", data.File("people.csv"));
        Assert.True(codes.ExitCode == 1, codes.Output + codes.Error);
        Assert.Contains("この中間サーバーにその機関はありません / no such agency on this node: 999999", codes.Error);
        Assert.Contains($"agencies hosted: {Kashiwa}, {Bunkyo}", codes.Error);
        Assert.DoesNotContain("   at ", codes.Error);
        Assert.DoesNotContain("123456789018", codes.Output + codes.Error);
    }

    [Fact]
    public async Task An_empty_input_file_is_refused_as_empty_by_every_node_command_without_starting_anything()
    {
        using var data = new TempFolder();
        using var inputs = new TempFolder();
        var empty = inputs.File("empty.txt");
        await File.WriteAllTextAsync(empty, "");
        var blank = inputs.File("blank.jsonl");
        await File.WriteAllTextAsync(blank, "\n  \r\n\n");
        var copiesHeader = inputs.File("copies.csv");
        await File.WriteAllTextAsync(copiesHeader, "addresseeNumber,item,schemaVersion,content\r\n");
        var peopleHeader = inputs.File("people.csv");
        await File.WriteAllTextAsync(peopleHeader, "addresseeNumber,individualNumber\n");
        // The header in the words of issue-codes' own help.
        var japaneseHeader = inputs.File("people-ja.csv");
        await File.WriteAllTextAsync(japaneseHeader, "宛名番号,個人番号\n");
        var japaneseBasicFour = inputs.File("people-ja4.csv");
        await File.WriteAllTextAsync(japaneseBasicFour, "\uFEFF宛名番号,氏,名,生年月日,性別,住所\r\n");
        string[] batch = ["node", "inquire-batch", "--data", data.Path, "--agency", Bunkyo, "--affair", "child-allowance", "--provider", Kashiwa, "--item", "local-tax"];
        foreach (var (args, name) in new[]
        {
            ((string[])["node", "import-copies", "--data", data.Path, "--agency", Kashiwa, "--file", empty], "empty.txt"),
            (["node", "import-copies", "--data", data.Path, "--agency", Kashiwa, "--file", blank], "blank.jsonl"),
            (["node", "import-copies", "--data", data.Path, "--agency", Kashiwa, "--file", copiesHeader], "copies.csv"),
            (["node", "issue-codes", "--data", data.Path, "--agency", Kashiwa, "--file", empty], "empty.txt"),
            (["node", "issue-codes", "--data", data.Path, "--agency", Kashiwa, "--file", peopleHeader], "people.csv"),
            (["node", "issue-codes", "--data", data.Path, "--agency", Kashiwa, "--file", japaneseHeader], "people-ja.csv"),
            (["node", "issue-codes", "--data", data.Path, "--agency", Kashiwa, "--file", japaneseBasicFour], "people-ja4.csv"),
            ([.. batch, "--file", empty], "empty.txt"),
            ([.. batch, "--file", blank], "blank.jsonl"),
        })
        {
            var result = await RenkeiCommand.RunAsync(args);
            Assert.True(result.ExitCode == 1, $"{string.Join(' ', args[..2])} {name}: {result.ExitCode} {result.Output}{result.Error}");
            Assert.Contains($"ファイルが空です / the file is empty: {inputs.File(name)}", result.Error);
            Assert.DoesNotContain("imported", result.Output); // no "0 copies imported" as if something was done
            Assert.DoesNotContain("delivered", result.Output);
        }
        Assert.Empty(Directory.GetFileSystemEntries(data.Path)); // refused before any network was started
    }

    [Fact]
    public async Task Inquire_batch_refuses_an_out_file_it_cannot_write_before_asking_anyone()
    {
        using var data = new TempFolder();
        using var elsewhere = new TempFolder();
        var list = elsewhere.File("list.txt");
        await File.WriteAllLinesAsync(list, ["B-1"]);
        foreach (var (output, expected) in new[]
        {
            (elsewhere.File("missing/results.jsonl"), "のフォルダがありません / the folder of"),
            (elsewhere.Path, "はフォルダです / "),
        })
        {
            var result = await RenkeiCommand.RunAsync("node", "inquire-batch", "--data", data.Path, "--agency", Bunkyo, "--affair", "child-allowance",
                "--provider", Kashiwa, "--item", "local-tax", "--file", list, "--out", output);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("--out: ", result.Error);
            Assert.Contains(expected, result.Error);
            Assert.DoesNotContain("   at ", result.Error);
        }
        Assert.Empty(Directory.GetFileSystemEntries(data.Path)); // no network was started, no inquiry made
    }

    [Fact]
    public async Task Import_copies_numbers_lines_of_a_file_with_carriage_returns_only_as_the_node_does()
    {
        using var data = new TempFolder();
        var file = data.File("copies.jsonl");
        // Lines ended by a bare CR (old Mac files), with one LF and one CRLF among them: every ending counts once, on both sides.
        await File.WriteAllTextAsync(file, Line("K-1", Tax(1)) + "\r" + "not json" + "\r" + Line("K-2", Tax(2)) + "\n" + "\r"
            + Line("K-3", Tax(-3)) + "\r\n" + Line("K-4", Tax(4)) + "\r");
        Assert.Equal([1, 2, 3, 5, 6], CopyImportLines(await File.ReadAllTextAsync(file)));
        var result = await RenkeiCommand.RunAsync("node", "import-copies", "--data", data.Path, "--agency", Kashiwa, "--file", file);
        Assert.True(result.ExitCode == 1, result.Output + result.Error);
        Assert.Contains("copies imported: 3", result.Output);
        var bad = result.Error.Split('\n').Where(l => l.Contains("行目 / line")).ToList();
        Assert.Equal(2, bad.Count);
        Assert.StartsWith("2行目 / line 2: ", bad[0]);
        Assert.StartsWith("5行目 / line 5: ", bad[1]);
        Assert.Contains("$.totalIncome", bad[1]);
        Assert.Equal(["K-1", "K-2", "K-4"], (await CopiesAsync(data.Path, Kashiwa)).Keys.Order());
    }

    private static List<int> CopyImportLines(string text) => [.. Renkei.Cli.Linkage.CopyImportCommand.ReadJsonLines(text).Rows.Select(r => r.Line)];

    [Fact]
    public async Task Issue_codes_and_inquire_batch_name_an_Individual_Number_or_full_width_characters_where_an_addressee_number_belongs()
    {
        using var data = new TempFolder();
        using var inputs = new TempFolder();
        const string Number = "123456789018";
        await File.WriteAllLinesAsync(inputs.File("people.csv"),
        [
            "addresseeNumber,individualNumber",
            $"{Number},{Number}", // the number typed in both columns
            "W-0004,12345",
            $"Ｂ－０００００１,{Number}",
            $"B-1,{Number},x",
        ]);
        var codes = await RenkeiCommand.RunAsync("node", "issue-codes", "--data", data.Path, "--agency", Kashiwa, "--file", inputs.File("people.csv"));
        Assert.True(codes.ExitCode == 1, codes.Output + codes.Error);
        Assert.Equal(
        [
            "2行目 / line 2: 1列目 / column 1: " + Renkei.Node.Codes.CodeManagementApi.NumberShaped,
            "3行目 / line 3: 2列目の個人番号 / the Individual Number in column 2: 個人番号は12桁ですが、5桁です / an individual number has 12 digits, this has 5",
            "4行目 / line 4: 1列目 / column 1: " + Renkei.Node.Codes.CodeManagementApi.FullWidth,
            "5行目 / line 5: 宛名番号,個人番号 または 宛名番号,氏,名,生年月日,性別,住所 の形式ではありません / neither addresseeNumber,individualNumber nor addresseeNumber,familyName,givenName,dateOfBirth,sex,address",
        ], codes.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("個人番号の形をしています", codes.Error);
        Assert.Contains("half-width (半角)", codes.Error);
        Assert.DoesNotContain(Number, codes.Output + codes.Error);

        await File.WriteAllLinesAsync(inputs.File("list.txt"), [Number, "Ｂ－０００００１", "B 1"]);
        var batch = await RenkeiCommand.RunAsync("node", "inquire-batch", "--data", data.Path, "--agency", Bunkyo, "--affair", "child-allowance",
            "--provider", Kashiwa, "--item", "local-tax", "--file", inputs.File("list.txt"));
        Assert.True(batch.ExitCode == 1, batch.Output + batch.Error);
        Assert.Equal(
        [
            "1行目 / line 1: " + Renkei.Node.Codes.CodeManagementApi.NumberShaped,
            "2行目 / line 2: " + Renkei.Node.Codes.CodeManagementApi.FullWidth,
            "3行目 / line 3: 宛名番号は半角の英数字とハイフン32文字以内です / an addressee number is up to 32 half-width letters, digits or hyphens",
            "照会する宛名番号がありません / no addressee numbers to ask for",
        ], batch.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(Number, batch.Output + batch.Error);
        Assert.Empty(Directory.GetFileSystemEntries(data.Path)); // told before any network was started
    }

    [Fact]
    public async Task Issue_codes_finds_people_by_the_basic_four_items_when_the_agency_holds_no_number()
    {
        using var data = new TempFolder();
        Assert.Equal(0, (await RenkeiCommand.RunAsync("registry", "seed", "--data", data.Path, "--municipalities", "1", "--residents", "3", "--seed", "7")).ExitCode);
        var export = (await RenkeiCommand.RunAsync("registry", "export", "--data", data.Path)).Lines;
        var header = export[0].Split(',');
        var people = export.Skip(1).Select(l => l.Split(',')).Select(f => header.Zip(f).ToDictionary(p => p.First, p => p.Second)).ToList();
        Assert.Equal(3, people.Count);

        await File.WriteAllLinesAsync(data.File("people.csv"),
        [
            "addresseeNumber,familyName,givenName,dateOfBirth,sex,address",
            $"K-1,{people[0]["individual_number"]}",
            // All four items, then name and birth alone (sex and address empty): the Registry matches either.
            $"K-2,{people[1]["family_name"]},{people[1]["given_name"]},{people[1]["date_of_birth"]},{people[1]["sex"]},{people[1]["address"]}",
            $"K-3,{people[2]["family_name"]},{people[2]["given_name"]},{people[2]["date_of_birth"]},,",
            "K-4,該当,なし,1901-01-01,female,",
            $"K-5,{people[2]["family_name"]},{people[2]["given_name"]},{people[2]["date_of_birth"].Replace('-', '.')},,",
        ]);
        var issued = await RenkeiCommand.RunAsync("node", "issue-codes", "--data", data.Path, "--agency", Kashiwa, "--file", data.File("people.csv"));
        Assert.True(issued.ExitCode == 1, issued.Output + issued.Error);
        Assert.Contains("codes delivered: 3, 該当者なし / unknown: 1, 符号を保存できず / not stored: 0, 不正な行 / bad lines: 1", issued.Output);
        Assert.Contains("5行目 / line 5: 該当者がいません / No resident has these basic four items", issued.Error);
        Assert.Contains("6行目 / line 6: dateOfBirth: 生年月日はYYYY-MM-DD形式です / dateOfBirth must be yyyy-MM-dd", issued.Error);
        // Nothing of the people is echoed: not the number, not the names.
        foreach (var p in people) Assert.DoesNotContain(p["individual_number"], issued.Output + issued.Error);
        Assert.DoesNotContain(people[2]["family_name"], issued.Output + issued.Error);
    }

    [Fact]
    public async Task Inquire_batch_asks_for_every_person_in_the_file_and_writes_one_result_line_each_without_any_number()
    {
        using var data = new TempFolder();
        Assert.Equal(0, (await RenkeiCommand.RunAsync("registry", "seed", "--data", data.Path, "--municipalities", "1", "--residents", "4", "--seed", "5")).ExitCode);
        var export = await RenkeiCommand.RunAsync("registry", "export", "--data", data.Path);
        var lines = export.Lines;
        var column = Array.IndexOf(lines[0].Split(','), "individual_number");
        var numbers = lines.Skip(1).Select(l => l.Split(',')[column]).ToList();
        Assert.Equal(4, numbers.Count);

        // Bunkyo knows all four people; Kashiwa knows three and holds last year's income of two.
        await File.WriteAllLinesAsync(data.File("b.csv"), numbers.Select((n, i) => $"B-{i + 1},{n}"));
        await File.WriteAllLinesAsync(data.File("k.csv"), numbers.Take(3).Select((n, i) => $"K-{i + 1},{n}"));
        var outputs = new List<string>();
        foreach (var (agency, people) in new[] { (Bunkyo, "b.csv"), (Kashiwa, "k.csv") })
        {
            var issued = await RenkeiCommand.RunAsync("node", "issue-codes", "--data", data.Path, "--agency", agency, "--file", data.File(people));
            Assert.True(issued.ExitCode == 0, issued.Output + issued.Error);
            outputs.Add(issued.Output + issued.Error);
        }
        await File.WriteAllLinesAsync(data.File("copies.jsonl"), [Line("K-1", Tax(3_000_001)), Line("K-2", Tax(3_000_002))]);
        var imported = await RenkeiCommand.RunAsync("node", "import-copies", "--data", data.Path, "--agency", Kashiwa, "--file", data.File("copies.jsonl"));
        Assert.True(imported.ExitCode == 0, imported.Output + imported.Error);
        outputs.Add(imported.Output + imported.Error);

        await File.WriteAllLinesAsync(data.File("list.txt"), ["B-1", "B-2", "", "B-3", "B-4", "B-99"]);
        var results = data.File("results.jsonl");
        var asked = await RenkeiCommand.RunAsync("node", "inquire-batch", "--data", data.Path, "--agency", Bunkyo, "--affair", "child-allowance",
            "--provider", Kashiwa, "--item", "local-tax", "--file", data.File("list.txt"), "--out", results);
        // B-99 has no code at Bunkyo: its answer is an error, and the batch exits 1 as issue-codes does for an unknown person (it exited 0).
        Assert.True(asked.ExitCode == 1, asked.Output + asked.Error);
        outputs.Add(asked.Output + asked.Error);
        var answers = (await File.ReadAllLinesAsync(results)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["B-1", "B-2", "B-3", "B-4", "B-99"], answers.Select(a => a.GetProperty("addresseeNumber").GetString()));
        Assert.Equal(["provided", "provided", "no-data", "no-data", "error"], answers.Select(a => a.GetProperty("outcome").GetString()));
        // After the outcomes, which say who got what should the summary differ; the whole output on failure.
        Assert.True(asked.Error.Contains("5 件 / people") && asked.Error.Contains("provided: 2"), asked.Output + asked.Error);
        Assert.Equal(3_000_002, answers[1].GetProperty("content").GetProperty("totalIncome").GetInt32());
        Assert.Equal("no-agency-code", answers[4].GetProperty("reason").GetString());
        // "no data" is the provider's answer, not a failure.
        await File.WriteAllLinesAsync(data.File("answered.txt"), ["B-2", "B-3"]);
        var answered = await RenkeiCommand.RunAsync("node", "inquire-batch", "--data", data.Path, "--agency", Bunkyo, "--affair", "child-allowance",
            "--provider", Kashiwa, "--item", "local-tax", "--file", data.File("answered.txt"));
        Assert.True(answered.ExitCode == 0, answered.Output + answered.Error);
        outputs.Add(answered.Output + answered.Error);

        // Bad and repeated lines are reported and the rest still asked; a caller without the affair is refused by the node.
        await File.WriteAllLinesAsync(data.File("list.txt"), ["B-1", "bad number!", "B-1", "１２３４ ５６７８ ９０１８"]);
        var partly = await RenkeiCommand.RunAsync("node", "inquire-batch", "--data", data.Path, "--agency", Bunkyo, "--affair", "child-allowance",
            "--provider", Kashiwa, "--item", "local-tax", "--file", data.File("list.txt"));
        Assert.Equal(1, partly.ExitCode);
        Assert.Contains("line 2: ", partly.Error);
        Assert.Contains("line 3: ", partly.Error);
        Assert.Contains("same as line 1", partly.Error);
        Assert.Contains("line 4: ", partly.Error); // shaped like an Individual Number: never sent to the node
        Assert.DoesNotContain("９０１８", partly.Output + partly.Error);
        Assert.Equal("provided", JsonDocument.Parse(Assert.Single(partly.Lines)).RootElement.GetProperty("outcome").GetString());
        var refused = await RenkeiCommand.RunAsync("node", "inquire-batch", "--data", data.Path, "--agency", Bunkyo, "--affair", "child-allowance",
            "--caller", $"{Bunkyo}-vaccination", "--provider", Kashiwa, "--item", "local-tax", "--file", data.File("list.txt"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("403", refused.Error);
        outputs.AddRange([partly.Output + partly.Error, refused.Output + refused.Error]);

        foreach (var number in numbers) Assert.All(outputs, o => Assert.DoesNotContain(number, o));
    }

    [Fact]
    public async Task Import_copies_refuses_a_file_that_is_not_UTF8_naming_its_first_bad_line_and_imports_nothing()
    {
        using var data = new TempFolder();
        using var inputs = new TempFolder();
        // As a Japanese spreadsheet exports it: Shift_JIS, here the byte 0x83 of "テ" in a content value on line 3.
        var row = $"local-tax,K-1,1,\"{Tax(1).Replace("\"", "\"\"")}\"";
        var csv = inputs.File("copies.csv");
        await File.WriteAllBytesAsync(csv, [.. Encoding.UTF8.GetBytes($"item,addresseeNumber,schemaVersion,content\r\n{row}\r\n{row.Replace("K-1", "K-2").Replace("fiscalYear", "fiscal~e")}\r\n")
            .Select(b => b == (byte)'~' ? (byte)0x83 : b)]);
        var jsonl = inputs.File("copies.jsonl");
        await File.WriteAllBytesAsync(jsonl, [.. Encoding.UTF8.GetBytes(Line("K-1", Tax(1)) + "\n"), 0x83, 0x65, (byte)'\n']);
        foreach (var (file, line) in new[] { (csv, 3), (jsonl, 2) })
        {
            var result = await RenkeiCommand.RunAsync("node", "import-copies", "--data", data.Path, "--agency", Kashiwa, "--file", file);
            Assert.True(result.ExitCode == 1, result.Output + result.Error);
            Assert.StartsWith($"ファイルがUTF-8ではありません（{line}行目）", result.Error);
            Assert.Contains(file, result.Error);
            Assert.Contains($"not UTF-8 (line {line})", result.Error);
            Assert.Contains("save it as UTF-8", result.Error);
            Assert.DoesNotContain("imported", result.Output);
        }
        Assert.Empty(Directory.GetFileSystemEntries(data.Path)); // refused before any network was started

        // UTF-8 with a byte order mark (a spreadsheet's "CSV UTF-8") and UTF-16 with one are read as what they are.
        await File.WriteAllTextAsync(csv, $"addresseeNumber,item,schemaVersion,content\r\n{row.Replace("local-tax,K-1", "K-1,local-tax")}\r\n", new UTF8Encoding(true));
        await File.WriteAllTextAsync(jsonl, Line("K-2", Tax(2)) + "\n", Encoding.Unicode);
        foreach (var file in new[] { csv, jsonl })
        {
            var result = await RenkeiCommand.RunAsync("node", "import-copies", "--data", data.Path, "--agency", Kashiwa, "--file", file);
            Assert.True(result.ExitCode == 0, result.Output + result.Error);
        }
        Assert.Equal(["K-1", "K-2"], (await CopiesAsync(data.Path, Kashiwa)).Keys.Order());
    }

    [Fact]
    public async Task Import_copies_names_a_column_the_csv_header_repeats_and_sends_nothing()
    {
        using var data = new TempFolder();
        var file = data.File("copies.csv");
        await File.WriteAllTextAsync(file, $"addresseeNumber,item,schemaVersion,content,item\nK-1,local-tax,1,\"{Tax(1).Replace("\"", "\"\"")}\",local-tax\n");
        var result = await RenkeiCommand.RunAsync("node", "import-copies", "--data", data.Path, "--agency", Kashiwa, "--file", file);
        Assert.True(result.ExitCode == 1, result.Output + result.Error);
        var bad = Assert.Single(result.Error.Split('\n'), l => l.Contains("行目 / line"));
        Assert.StartsWith("1行目 / line 1: 見出し行の列「item」が重複しています", bad);
        Assert.Contains("repeats the column item", bad);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.Contains("copies imported: 0", result.Output);
        Assert.False(Directory.Exists(Path.Combine(data.Path, "node"))); // nothing was sent: no network was started
    }

    [Fact]
    public async Task Issue_codes_reports_by_line_a_person_already_coded_under_another_addressee_number_and_a_repeated_addressee_number()
    {
        using var data = new TempFolder();
        Assert.Equal(0, (await RenkeiCommand.RunAsync("registry", "seed", "--data", data.Path, "--municipalities", "1", "--residents", "4", "--seed", "11")).ExitCode);
        var export = (await RenkeiCommand.RunAsync("registry", "export", "--data", data.Path)).Lines;
        var column = Array.IndexOf(export[0].Split(','), "individual_number");
        var n = export.Skip(1).Select(l => l.Split(',')[column]).ToList();
        var people = data.File("people.csv");

        await File.WriteAllLinesAsync(people, [$"B-OLD-1,{n[0]}"]);
        var first = await RenkeiCommand.RunAsync("node", "issue-codes", "--data", data.Path, "--agency", Bunkyo, "--file", people);
        Assert.True(first.ExitCode == 0, first.Output + first.Error);

        // The same person under a new addressee number; a person entered twice in the file; an addressee number given twice.
        await File.WriteAllLinesAsync(people,
        [
            $"B-NEW-1,{n[0]}",
            $"B-2,{n[1]}",
            $"B-3,{n[1]}",
            $"B-4,{n[2]}",
            $"B-4,{n[3]}",
            "B-5,123456789018",
        ]);
        var second = await RenkeiCommand.RunAsync("node", "issue-codes", "--data", data.Path, "--agency", Bunkyo, "--file", people);
        Assert.True(second.ExitCode == 1, second.Output + second.Error);
        Assert.Contains("codes delivered: 2, 該当者なし / unknown: 1, 符号を保存できず / not stored: 2, 不正な行 / bad lines: 1", second.Output);
        var lines = second.Error.Split('\n').Where(l => l.Contains("行目 / line")).ToList();
        Assert.Equal([1, 3, 5, 6], lines.Select(l => int.Parse(l[..l.IndexOf('行')])));
        Assert.Contains("another addressee number", lines[0]);
        Assert.Contains("another addressee number", lines[1]);
        Assert.Contains("same as line 4", lines[2]);
        Assert.Contains("No resident has this number", lines[3]);
        Assert.DoesNotContain("{\"type\"", second.Error); // never the node's raw problem
        foreach (var number in n) Assert.DoesNotContain(number, second.Output + second.Error);

        await using var c = await Database.Sqlite(Path.Combine(data.Path, "node", "tenants", Bunkyo, "node.db")).OpenAsync();
        var coded = await c.QueryAsync("SELECT addressee_number FROM addressees WHERE agency_code IS NOT NULL", r => r.GetString(0));
        Assert.Equal(["B-2", "B-4", "B-OLD-1"], coded.Order());
        Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM acquisitions")); // none left waiting
    }
}
