using System.Buffers;
using System.CommandLine;
using System.Text;
using System.Text.Unicode;
using Renkei.Cli.Network;
using Renkei.Node.Codes;
using Renkei.Numbers;

namespace Renkei.Cli.Linkage;

/// <summary>
/// <c>renkei node …</c>: codes for an agency's population, copy import and batch inquiries, on the network in DIR or one started
/// for the command, or on services reached by URL (<see cref="RemoteOptions"/>).
/// </summary>
public static partial class NodeCommands
{
    public static Command Create()
    {
        var data = UpCommand.DataOption();
        var agency = new Option<string>("--agency") { Description = "機関ID（地方公共団体コード等）/ the agency id", Required = true };
        var file = new Option<FileInfo>("--file")
        {
            Description = "宛名システムが書き出した UTF-8 の CSV（行の形式は上の説明のとおり）/ the CSV the agency's addressee system exports, in UTF-8 (lines as described above)", Required = true,
        };
        var issue = new Command("issue-codes",
            "宛名番号ごとに機関別符号を取得する。行は 宛名番号,個人番号 または 宛名番号,氏,名,生年月日(YYYY-MM-DD),性別(male/female/空),住所(空可) / "
            + "obtain agency codes for an agency's addressees; lines are addresseeNumber,individualNumber or "
            + "addresseeNumber,familyName,givenName,dateOfBirth,sex,address (sex and address may be empty)") { data, agency, file };
        var remote = new RemoteOptions(codes: true, TokenVariable.NodeAddressee, TokenVariable.Core, TokenVariable.Registry);
        remote.AddTo(issue, data);
        issue.SetAction(async (parse, ct) =>
        {
            await using var services = remote.Chosen(parse) ? remote.Open(parse) : null;
            if (remote.Chosen(parse) && services is null) return 1;
            var folder = Path.GetFullPath(parse.GetValue(data)!);
            var path = parse.GetValue(file)!;
            if (!path.Exists) return NoFile(path);
            if (await ReadTextAsync(path, ct) is not { } text) return 1;
            if (string.IsNullOrWhiteSpace(text)) return EmptyFile(path, null);
            // RFC 4180, as spreadsheets export it (quoted fields too); the number is never echoed, only the line and what is wrong.
            var bad = new List<(int Line, string Reason)>();
            var records = Csv.Parse(text, bad);
            var people = new List<AddresseeSystem.Person>();
            var lineOf = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var (line, fields) in records)
            {
                var parts = fields.Select(f => f.Trim()).ToArray();
                if (Csv.WithoutTrailingEmpty(parts).Length == 0 || (line == 1 && IsHeader(parts[0]))) continue;
                if (PersonOf(parts, out var wrong) is not { } person) bad.Add((line, wrong!));
                // The node takes each addressee number once a request; across batches, a second would silently replace the first's code.
                else if (lineOf.TryGetValue(person.AddresseeNumber, out var first))
                    bad.Add((line, $"宛名番号が{first}行目と同じです / the addressee number is the same as line {first}"));
                else
                {
                    lineOf[person.AddresseeNumber] = line;
                    people.Add(person);
                }
            }
            var errors = bad.Count;
            void Report() { foreach (var (line, reason) in bad.OrderBy(b => b.Line)) Console.Error.WriteLine($"{line}行目 / line {line}: {reason}"); }
            if (people.Count == 0 && errors == 0) return EmptyFile(path, "見出し行のほかに行がありません / it has a header and no people");
            if (people.Count == 0)
            {
                Report();
                Console.WriteLine($"符号を取得しました / codes delivered: 0, 不正な行 / bad lines: {errors:N0}");
                return 1;
            }
            using var stop = new Interruption(ct);
            SandboxNetwork? own = null;
            long done = 0;
            var results = new List<AddresseeSystem.IssueResult>();
            // Of a batch abandoned after the core was asked: how many got their code all the same, and how many no one can say of.
            int storedOnStop = 0, unsureOnStop = 0;
            // What the chunks done found, told however the run ends: each person without a code by line, with why (the Registry
            // found no one, or several; the node would not store the code), then the counts, which a run that did none has none of.
            void Found()
            {
                bad.AddRange(results.SelectMany(r => r.WithoutCode).Select(n => (lineOf[n.AddresseeNumber], n.Reason)));
                Report();
                if (results.Count > 0 || storedOnStop > 0)
                    Console.WriteLine($"符号を取得しました / codes delivered: {results.Sum(r => r.Delivered) + storedOnStop:N0}, 該当者なし / unknown: {results.Sum(r => r.Unknown):N0}, "
                        + $"符号を保存できず / not stored: {results.Sum(r => r.NotStored):N0}, 不正な行 / bad lines: {errors:N0}");
                if (storedOnStop > 0)
                    Console.Error.WriteLine($"処理中だった分のうち {storedOnStop:N0} 人は、止まる前に符号を取得していました / "
                        + $"{storedOnStop:N0} people of the batch on its way got their code before it stopped");
                if (unsureOnStop > 0)
                    Console.Error.WriteLine($"処理中だった {unsureOnStop:N0} 人が符号を取得したかどうかは分かりません（中間サーバーが答えませんでした）/ "
                        + $"whether the {unsureOnStop:N0} people of the batch on its way got their code is not known (the node did not answer)");
            }
            int Failed(string why)
            {
                Found();
                Console.Error.WriteLine($"失敗しました / failed: {why}");
                if (done > 0)
                    Console.Error.WriteLine($"{done:N0} / {people.Count:N0} 人の処理を終えています。もう一度実行すれば残りも取得します（取得済みの人は同じ符号です）/ "
                        + $"{done:N0} of {people.Count:N0} people were done; run it again for the rest (those done get the same codes)");
                return 1;
            }
            try
            {
                var agencyId = parse.GetValue(agency)!;
                AddresseeSystem system;
                if (services is not null)
                {
                    // Whether the node hosts the agency, and whether the tokens may act for it, the services themselves answer (404, 401, 403).
                    if (!await services.ReachAsync(stop.Token))
                    {
                        Report();
                        return 1;
                    }
                    system = new AddresseeSystem(agencyId, services.Node, services.Token(TokenVariable.NodeAddressee), services.Registry!,
                        services.Token(TokenVariable.Registry), services.Core!, services.Token(TokenVariable.Core), services.Handler);
                }
                else
                {
                    (var linkage, own) = await ConnectAsync(folder, stop.Token);
                    // An agency with an addressee system at both the node and the core; any other would have no tokens to use.
                    var known = linkage.NodeCallers.Select(c => c.Name).Where(n => n.EndsWith("-addressee", StringComparison.Ordinal)).Select(n => n[..^"-addressee".Length])
                        .Where(id => linkage.CoreCallers.Any(c => c.Name == $"{id}-addressee")).ToList();
                    if (!known.Contains(agencyId))
                    {
                        Report();
                        Console.Error.WriteLine($"この中間サーバーにその機関はありません / no such agency on this node: {agencyId}; "
                            + $"登録されている機関 / agencies hosted: {string.Join(", ", known)}");
                        return 1;
                    }
                    system = linkage.AddresseeSystemOf(agencyId);
                }
                // A request of its own per chunk the Registry takes, so that one failing keeps what those before it found.
                await CommandProgress.RunAsync("符号 / codes", people.Count, async report =>
                {
                    foreach (var chunk in people.Chunk(AddresseeSystem.BatchSize))
                    {
                        var before = done;
                        results.Add(await system.IssueCodesAsync(chunk, progress: n => report(done = before + n), ct: stop.Token,
                            abandoned: got => { if (got is { } n) { storedOnStop = n; done += n; } else unsureOnStop = chunk.Length; }));
                    }
                    return results.Count;
                });
                Found();
                return results.Sum(r => r.Unknown + r.NotStored) == 0 && errors == 0 ? 0 : 1;
            }
            catch (HttpRequestException e)
            {
                return Failed(Failure(e, services));
            }
            catch (TaskCanceledException e) when (e.InnerException is TimeoutException && !stop.Requested)
            {
                // An HttpClient's timeout surfaces as a cancellation: a service that did not answer, not a Ctrl+C.
                return Failed("サービスが時間内に応答しませんでした / a service did not answer in time");
            }
            catch (OperationCanceledException) when (stop.Requested)
            {
                // The batch on its way was abandoned and its pending acquisition numbers discarded (those that got a code are counted
                // as done); codes are the same however often asked.
                Found();
                Console.Error.WriteLine($"中断しました。{done:N0} / {people.Count:N0} 人の処理を終えています。もう一度実行すれば残りも取得します（取得済みの人は同じ符号です）/ "
                    + $"interrupted after {done:N0} of {people.Count:N0} people; run it again for the rest (those done get the same codes)");
                return Interruption.ExitCode;
            }
            finally { if (own is not null) await own.DisposeAsync(); }
        });
        return new Command("node", "中間サーバーの操作 / intermediate server operations")
        {
            issue, CopyImportCommand.Create(), InquireBatchCommand.Create(), ReleaseCodeCommand.Create(),
        };
    }

    /// <summary>A failed issuance in one line: with --node, a refusal names the variable whose token was refused, and a request with no answer says why.</summary>
    private static string Failure(HttpRequestException e, RemoteServices? services) =>
        services is not null && e is AddresseeSystem.Refused refused ? refused.Message + RemoteServices.Hint(refused.StatusCode,
            refused.Service switch { "node" => TokenVariable.NodeAddressee, "core" => TokenVariable.Core, _ => TokenVariable.Registry })
        : RemoteServices.Said(services, e);

    /// <summary>
    /// An input file with nothing to do is refused (exit 1, as every failure) rather than "done" with nothing done:
    /// an empty export is more often a mistake upstream than a wish.
    /// </summary>
    internal static int EmptyFile(FileInfo path, string? detail)
    {
        Console.Error.WriteLine($"ファイルが空です / the file is empty: {path.FullName}{(detail is null ? "" : $" ({detail})")}");
        return 1;
    }

    /// <summary>
    /// A missing input file, named by its full path as the other commands name theirs (a relative name says little in a script's
    /// log); a folder given for it is said to be one, not missing.
    /// </summary>
    internal static int NoFile(FileInfo path)
    {
        Console.Error.WriteLine(Directory.Exists(path.FullName)
            ? $"--file にフォルダが指定されました。ファイルを指定してください / --file names a folder, not a file: {path.FullName}"
            : $"ファイルがありません / no such file: {path.FullName}");
        return 1;
    }

    /// <summary>
    /// The text of an input file: UTF-8 (a byte order mark skipped) or, with its byte order mark, UTF-16. Any other
    /// (a Shift_JIS export from a spreadsheet) would be read with replacement characters and stored or sent as such:
    /// it is refused, naming the first line that is not UTF-8, and null returned.
    /// </summary>
    internal static async Task<string?> ReadTextAsync(FileInfo path, CancellationToken ct)
    {
        var bytes = await File.ReadAllBytesAsync(path.FullName, ct);
        if (bytes is [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..])
        {
            try { return new UnicodeEncoding(bigEndian: bytes[0] == 0xFE, byteOrderMark: false, throwOnInvalidBytes: true).GetString(bytes, 2, bytes.Length - 2); }
            catch (DecoderFallbackException)
            {
                Console.Error.WriteLine($"ファイルをUTF-16として読めません。UTF-8で保存し直してください / the file is not valid UTF-16: save it as UTF-8 and try again: {path.FullName}");
                return null;
            }
        }
        var text = bytes.AsSpan(bytes is [0xEF, 0xBB, 0xBF, ..] ? 3 : 0);
        if (Utf8.IsValid(text)) return Encoding.UTF8.GetString(text);
        var at = 0;
        while (Rune.DecodeFromUtf8(text[at..], out _, out var length) == OperationStatus.Done) at += length;
        // Lines counted as the commands count them: CR LF, LF or a bare CR ends one.
        var before = text[..at];
        var line = 1 + before.Count((byte)'\n') + before.Count((byte)'\r') - before.Count("\r\n"u8);
        Console.Error.WriteLine($"ファイルがUTF-8ではありません（{line}行目）。Shift_JISなどで保存されていれば、UTF-8で保存し直してください / "
            + $"the file is not UTF-8 (line {line}): if it was saved as Shift_JIS or the like, save it as UTF-8 and try again: {path.FullName}");
        return null;
    }

    /// <summary>
    /// A line of issue-codes: the addressee number with the Individual Number, or (for people whose number the agency
    /// does not hold) with the basic four items, which the Registry matches; null when it is neither, with why (never the
    /// values: a column that went wrong often holds the number).
    /// </summary>
    internal static AddresseeSystem.Person? PersonOf(string[] parts, out string? wrong)
    {
        wrong = null;
        // A spreadsheet saves every row as wide as its widest (K-1,<number>,,,,): empty fields after a form's last are no part of it.
        var filled = Csv.WithoutTrailingEmpty(parts).Length;
        if (parts.Length >= 2 && filled <= 2) parts = parts[..2];
        else if (parts.Length >= 6 && filled <= 6) parts = parts[..6];
        else
        {
            // A TSV or "Unicode text" save: the whole line is one field holding tabs.
            wrong = parts.Any(p => p.Contains('\t')) ? TabSeparated : Format;
            return null;
        }
        // The columns swapped, or the number typed twice: an Individual Number where the addressee number belongs is named as such.
        if (CodeManagementApi.AddresseeNumberProblem(parts[0]) is { } notAddressee)
        {
            wrong = $"1列目 / column 1: {notAddressee}";
            return null;
        }
        if (parts.Length == 2)
        {
            if (ExponentNotation().IsMatch(parts[1]))
            {
                wrong = "2列目の個人番号が指数表記（1.23457E+11 の形）です。表計算ソフトが数値として扱い、桁が失われています。"
                    + "列の書式を文字列にして書き出し直してください / the Individual Number in column 2 is in exponent notation (like 1.23457E+11): "
                    + "the spreadsheet took it for a number and lost digits; format the column as text and export again";
                return null;
            }
            if (IndividualNumber.TryParse(parts[1], out _, out var problem)) return new AddresseeSystem.Person(parts[0], parts[1], null);
            wrong = $"2列目の個人番号 / the Individual Number in column 2: {problem!.Message}";
            return null;
        }
        // Checked as the Registry will check it, so that a line it would refuse is reported here with its number.
        var query = new Renkei.Registry.Identity.BasicFourQuery(parts[1], parts[2], DateOfBirth(parts[3]), parts[4].Length == 0 ? null : parts[4], parts[5].Length == 0 ? null : parts[5]);
        var errors = new Dictionary<string, string[]>();
        if (Renkei.Registry.Identity.BasicFourSearch.Parse(query, errors) is not null) return new AddresseeSystem.Person(parts[0], null, query);
        wrong = errors.Count == 0 ? Format : string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
        return null;
    }

    /// <summary>
    /// A date of birth as the Registry takes it (yyyy-MM-dd), from the forms a Japanese spreadsheet or input method writes:
    /// 1994/03/29 or 1994/3/29, full-width digits and separators; anything else is left for the check to name.
    /// </summary>
    internal static string DateOfBirth(string text) =>
        TryParseDate(text, out var date) ? date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : text;

    /// <summary>A date in the forms <see cref="DateOfBirth"/> takes: yyyy-MM-dd, yyyy/MM/dd or yyyy/M/d, full-width digits and separators folded.</summary>
    internal static bool TryParseDate(string text, out DateOnly date) =>
        DateOnly.TryParseExact(NarrowDigits(text), ["yyyy-MM-dd", "yyyy/MM/dd", "yyyy/M/d"], System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.None, out date);

    /// <summary>Full-width digits and date/time separators, as a Japanese input method writes them, made half-width.</summary>
    internal static string NarrowDigits(string text) =>
        new([.. text.Select(ch => ch switch { >= '０' and <= '９' => (char)(ch - '０' + '0'), '／' => '/', '－' => '-', '：' => ':', _ => ch })]);

    /// <summary>What a spreadsheet's General format makes of a 12-digit number: 1.87851E+11, its last digits rounded away.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^[0-9]+(\.[0-9]*)?[eE]\+?[0-9]+$")]
    private static partial System.Text.RegularExpressions.Regex ExponentNotation();

    private const string TabSeparated = "宛名番号,個人番号 または 宛名番号,氏,名,生年月日,性別,住所 の形式ではありません。列はカンマで区切ってください / "
        + "neither addresseeNumber,individualNumber nor addresseeNumber,familyName,givenName,dateOfBirth,sex,address: separate the columns with commas";

    /// <summary>The first column's name in a header line, in English or in the Japanese of the command's help (宛名番号).</summary>
    internal static bool IsHeader(string first) =>
        first.Contains("addressee", StringComparison.OrdinalIgnoreCase) || first.Contains("宛名番号", StringComparison.Ordinal);

    private const string Format = "宛名番号,個人番号 または 宛名番号,氏,名,生年月日,性別,住所 の形式ではありません / "
        + "neither addresseeNumber,individualNumber nor addresseeNumber,familyName,givenName,dateOfBirth,sex,address";

    /// <summary>
    /// The Core and Node of the network running in <paramref name="folder"/>, waiting for one still starting there, or of one
    /// started for this command (then disposed by the caller); <see cref="NetworkUnavailableException"/> when neither can be had.
    /// </summary>
    public static async Task<(LinkageSandbox Linkage, SandboxNetwork? Own)> ConnectAsync(string folder, CancellationToken ct = default)
    {
        var (running, own) = await NetworkAccess.UseAsync(folder, f => f.Services.ContainsKey("core") && f.Services.ContainsKey("node"), ct);
        if (own is not null) return (own.Linkage!, own);
        return (LinkageSandbox.Attach(folder, new Uri(running!.Services["registry"].Url), new Uri(running.Services["core"].Url), new Uri(running.Services["node"].Url),
            SandboxCallers.TokenOf(folder, "link-keys")), null);
    }
}
