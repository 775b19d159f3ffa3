using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Renkei.Cli.Network;
using Renkei.Hosting;
using Renkei.Node.Copies;

namespace Renkei.Cli.Linkage;

/// <summary>
/// <c>renkei node import-copies</c>: a business system's copies (副本) from a JSON Lines or CSV file,
/// sent to the agency's node in chunks; bad rows are reported with their line in the file and
/// the reason, good rows are kept.
/// </summary>
public static class CopyImportCommand
{
    /// <summary>Rows per request: small enough to show progress, large enough to keep requests few.</summary>
    public const int ChunkRows = 1000;

    /// <summary>The CSV columns, by header name; <c>withheld</c> may be left out.</summary>
    public static readonly string[] CsvColumns = ["addresseeNumber", "item", "schemaVersion", "content", "withheld"];

    public static Command Create()
    {
        var data = UpCommand.DataOption();
        var agency = new Option<string>("--agency") { Description = "機関ID（地方公共団体コード等）/ the agency id", Required = true };
        var file = new Option<FileInfo>("--file")
        {
            Description = "JSON Lines（各行に {addresseeNumber, item, schemaVersion, content, withheld}）または CSV（見出し行 addresseeNumber,item,schemaVersion,content[,withheld]、content は JSON）、UTF-8で"
                + " / JSON Lines (one {addresseeNumber, item, schemaVersion, content, withheld} per line) or CSV (header addresseeNumber,item,schemaVersion,content[,withheld]; content is JSON), in UTF-8",
            Required = true,
        };
        var format = new Option<string?>("--format")
        {
            Description = "jsonl または csv（既定は拡張子から）/ jsonl or csv (default: from the file's extension, .csv is CSV)",
        }.OneOf("jsonl", "csv");
        var command = new Command("import-copies",
            "副本を一括登録する（不正な行は行番号と理由を表示し、正しい行は登録）/ import copies in bulk: bad rows are reported by line and reason, good rows are kept")
        {
            data, agency, file, format,
        };
        var remote = new RemoteOptions(codes: false, TokenVariable.NodeCopies);
        remote.AddTo(command, data);
        command.SetAction(async (parse, ct) =>
        {
            await using var services = remote.Chosen(parse) ? remote.Open(parse) : null;
            if (remote.Chosen(parse) && services is null) return 1;
            var path = parse.GetValue(file)!;
            if (!path.Exists) return NodeCommands.NoFile(path);
            var csv = (parse.GetValue(format) ?? (path.Extension.Equals(".csv", StringComparison.OrdinalIgnoreCase) ? "csv" : "jsonl")) == "csv";
            if (await NodeCommands.ReadTextAsync(path, ct) is not { } text) return 1;
            if (string.IsNullOrWhiteSpace(text)) return NodeCommands.EmptyFile(path, null);
            // A CSV export under another name would be read as JSON Lines, every row refused as not JSON by the node.
            if (!csv && StartsWithCsvHeader(text))
            {
                Console.Error.WriteLine($"CSVのようです（1行目が見出し行）。--format csv を指定するか、拡張子を .csv にしてください / "
                    + $"this looks like CSV (line 1 is a header): give --format csv, or name the file .csv: {path.FullName}");
                return 1;
            }
            var (rows, bad) = csv ? ReadCsv(text) : ReadJsonLines(text);
            if (rows.Count == 0 && bad.Count == 0) return NodeCommands.EmptyFile(path, "見出し行のほかに行がありません / it has a header and no rows");
            // Nothing to send (a header the command cannot read, say): said without starting a network for it.
            if (rows.Count == 0)
            {
                foreach (var (line, reason) in bad.OrderBy(b => b.Line)) Console.Error.WriteLine($"{line}行目 / line {line}: {reason}");
                Console.WriteLine($"副本を登録しました / copies imported: 0, 不正な行 / bad rows: {bad.Count:N0}");
                return 1;
            }
            var agencyId = parse.GetValue(agency)!;

            using var stop = new Interruption(ct);
            SandboxNetwork? own = null;
            try
            {
                HttpClient client;
                if (services is not null)
                {
                    // Whether the node hosts the agency, and whether the token may import there, the node itself answers (404, 401, 403).
                    if (!await services.ReachAsync(stop.Token)) return 1;
                    client = services.Client(services.Node, TokenVariable.NodeCopies);
                }
                else
                {
                    (var linkage, own) = await NodeCommands.ConnectAsync(Path.GetFullPath(parse.GetValue(data)!), stop.Token);
                    if (linkage.NodeCallers.FirstOrDefault(c => c.Name == $"{agencyId}-copies") is not { } caller)
                    {
                        Console.Error.WriteLine($"この中間サーバーにその機関はありません / no such agency on this node: {agencyId}");
                        return 1;
                    }
                    client = LinkageSandbox.Client(linkage.NodeUrl, caller.Token, linkage.Handler);
                }
                using var _ = client;
                var sent = await CommandProgress.RunAsync("副本 / copies", rows.Count, report => SendAsync(client, agencyId, rows, report, stop.Token));
                bad.AddRange(sent.Bad);
                foreach (var (line, reason) in bad.OrderBy(b => b.Line)) Console.Error.WriteLine($"{line}行目 / line {line}: {reason}");
                // Rows are sent in chunks, each stored whole or not at all: what stopped the import says from which line to go on.
                // Stopped early without a failure is stopped by the interruption.
                var interrupted = sent.NextLine is not null && sent.Failure is null;
                var permission = sent.Refusal is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
                // A node that went away stops the import as Ctrl+C does (README): what got through stays, the rest is sent again.
                if (sent.Lost is { } lost)
                    Console.Error.WriteLine($"中断しました。中間サーバーとの接続が切れました / stopped: the node went away: {(services is null ? ServiceGone.Text(lost) : services.Text(lost))}");
                else if (sent.Failure is not null)
                    Console.Error.WriteLine($"失敗しました / failed: {sent.Failure}{(services is not null ? RemoteServices.Hint(sent.Refusal, TokenVariable.NodeCopies)
                        : sent.Refusal is HttpStatusCode.Forbidden ? " （トークンにはこの権限がありません / the token lacks this permission）" : "")}");
                if (interrupted) Console.Error.WriteLine("中断しました / interrupted");
                // The same rows sent again with the same token are refused the same way: where to go on is said once a chunk got through.
                if (sent.NextLine is { } next && !(permission && next == rows[0].Line))
                    Console.Error.WriteLine($"{next:N0}行目から送り直してください（同じ行をもう一度送っても同じ副本になります） / send again from line {next:N0} (a row sent twice stores the same copy)");
                Console.WriteLine($"副本を登録しました / copies imported: {sent.Imported:N0}, 不正な行 / bad rows: {bad.Count:N0}");
                if (interrupted || sent.Lost is not null) return Interruption.ExitCode;
                return bad.Count == 0 && sent.Failure is null ? 0 : 1;
            }
            catch (HttpRequestException e)
            {
                Console.Error.WriteLine($"失敗しました / failed: {RemoteServices.Said(services, e)}");
                return 1;
            }
            finally { if (own is not null) await own.DisposeAsync(); }
        });
        return command;
    }

    /// <summary>What a copy import sent: rows imported, rows refused, and, when it stopped early, why and the first file line not sent.</summary>
    internal sealed record Sent(int Imported, List<(int Line, string Reason)> Bad, string? Failure, int? NextLine)
    {
        /// <summary>The status of the node's refusal, when a refusal stopped it.</summary>
        public HttpStatusCode? Refusal { get; init; }

        /// <summary>Why the node stopped answering, when it went away (no answer, or none within the wait).</summary>
        public HttpRequestException? Lost { get; init; }
    }

    /// <summary>
    /// Sends the rows a chunk at a time; the node's line numbers within a chunk are mapped back to the file's. A cancellation
    /// stops it between chunks (a chunk on its way is waited for); a chunk refused or lost on the way stops it there.
    /// </summary>
    internal static async Task<Sent> SendAsync(HttpClient client, string agencyId, List<(int Line, string Json)> rows, Action<long> report, CancellationToken ct)
    {
        var imported = 0;
        var bad = new List<(int, string)>();
        var sent = 0;
        foreach (var chunk in rows.Chunk(ChunkRows))
        {
            if (ct.IsCancellationRequested) return new Sent(imported, bad, null, chunk[0].Line);
            using var body = new StringContent(string.Join('\n', chunk.Select(r => r.Json)), Encoding.UTF8, "application/x-ndjson");
            ImportReport result;
            try
            {
                using var response = await client.PostAsync($"api/tenants/{agencyId}/copies/import", body, CancellationToken.None);
                if (!response.IsSuccessStatusCode) return new Sent(imported, bad, await ProblemText.OfAsync(response), chunk[0].Line) { Refusal = response.StatusCode };
                result = await ServiceAnswer.ReadAsync<ImportReport>(response, ServiceAnswer.Node, CancellationToken.None);
            }
            catch (HttpRequestException e) when (ServiceGone.IsGone(e))
            {
                // The node went away: whether it stored this chunk is unknown, and sending it again does no harm.
                return new Sent(imported, bad, e.Message, chunk[0].Line) { Lost = e };
            }
            catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
            {
                // No answer within the client's wait: as above.
                return new Sent(imported, bad, e.Message, chunk[0].Line) { Lost = new HttpRequestException(HttpRequestError.Unknown, e.Message, e) };
            }
            catch (HttpRequestException e)
            {
                // What answered was not the node's API (ServiceAnswer.NotTheApi, which has no inner exception): said as it is.
                return new Sent(imported, bad, e.Message, chunk[0].Line);
            }
            imported += result.Imported;
            // A line the node numbers outside the chunk cannot be placed in the file: it is reported at the chunk's first line.
            bad.AddRange(result.Errors.Select(e => e.Line >= 1 && e.Line <= chunk.Length
                ? (chunk[e.Line - 1].Line, e.Reason)
                : (chunk[0].Line, $"{e.Reason}（中間サーバーの{e.Line}行目 / the node's line {e.Line} of this chunk）")));
            report(sent += chunk.Length);
        }
        report(rows.Count);
        return new Sent(imported, bad, null, null);
    }

    /// <summary>
    /// Every non-blank line is a row; the node checks each. Lines end as the node reads them (CR LF, LF
    /// or a bare CR), so that a line number means the same line on both sides.
    /// </summary>
    public static (List<(int Line, string Json)> Rows, List<(int Line, string Reason)> Bad) ReadJsonLines(string text)
    {
        var rows = new List<(int, string)>();
        using var reader = new StringReader(text);
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line)) rows.Add((number, line));
        }
        return (rows, []);
    }

    /// <summary>Whether the first line that is not blank is a CSV header naming the columns import-copies reads.</summary>
    public static bool StartsWithCsvHeader(string text)
    {
        var first = ReadJsonLines(text).Rows.Select(r => r.Json).FirstOrDefault() ?? "";
        var names = first.Split([',', ';', '\t']).Select(n => n.Trim().Trim('"')).ToList();
        return names.Contains("addresseeNumber") && names.Contains("content");
    }

    /// <summary>
    /// RFC 4180 CSV with a header naming the columns; each record becomes the JSON line the node
    /// takes. A record is reported by the line it starts on.
    /// </summary>
    public static (List<(int Line, string Json)> Rows, List<(int Line, string Reason)> Bad) ReadCsv(string text)
    {
        var rows = new List<(int, string)>();
        var bad = new List<(int, string)>();
        var records = Csv.Parse(text, bad);
        if (records.Count == 0) return (rows, bad);
        var (headerLine, padded) = records[0];
        // Padding a spreadsheet adds (empty columns past the last named) names nothing: left out, it is no repeated "" column.
        var header = Csv.WithoutTrailingEmpty(padded);
        var repeated = header.Select(name => name.Trim()).GroupBy(name => name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => Shown(g.Key)).ToList();
        if (repeated.Count > 0)
        {
            bad.Add((headerLine, $"見出し行の列「{string.Join("」「", repeated)}」が重複しています。各列は一度だけ書いてください / "
                + $"the header repeats the column {string.Join(", ", repeated)}: name each column once"));
            return (rows, bad);
        }
        var index = header.Select((name, i) => (name: name.Trim(), i)).ToDictionary(x => x.name, x => x.i, StringComparer.Ordinal);
        var missing = CsvColumns.Take(4).Where(c => !index.ContainsKey(c)).ToList();
        var unknown = index.Keys.Where(k => !CsvColumns.Contains(k)).ToList();
        if (missing.Count > 0 || unknown.Count > 0)
        {
            var missed = string.Join(",", missing);
            var strange = string.Join(",", unknown.Select(Shown));
            // One column holding every name: the file is separated by semicolons or tabs, as some spreadsheets write CSV.
            var separated = header.Length == 1 && (header[0].Contains(';') || header[0].Contains('\t'));
            bad.Add((headerLine, $"見出し行は {string.Join(",", CsvColumns)} です（withheld は省略可）"
                + (missing.Count > 0 ? $"。足りない列: {missed}" : "") + (unknown.Count > 0 ? $"。知らない列: {strange}" : "") + (separated ? "。列はカンマで区切ってください" : "")
                + $" / the header must name {string.Join(",", CsvColumns)} (withheld may be left out)"
                + (missing.Count > 0 ? $"; missing {missed}" : "") + (unknown.Count > 0 ? $"; unknown {strange}" : "") + (separated ? "; separate the columns with commas" : "")));
            return (rows, bad);
        }
        foreach (var (line, fields) in records.Skip(1))
        {
            // An empty row (,,,,) is skipped, and a row as wide as the spreadsheet's widest is read up to its last filled field;
            // one shorter than the header is still a mistake.
            var filled = Csv.WithoutTrailingEmpty(fields);
            if (filled.Length == 0) continue;
            if (filled.Length > header.Length || fields.Length < header.Length)
            {
                bad.Add((line, $"列の数が違います / {(fields.Length < header.Length ? fields.Length : filled.Length)} columns, the header has {header.Length}"));
                continue;
            }
            string Field(string name) => fields[index[name]].Trim();
            var problems = new List<string>();
            if (!int.TryParse(Field("schemaVersion"), out var version)) problems.Add("schemaVersion: 整数ではありません / not a whole number");
            JsonNode? content = null;
            try
            {
                content = JsonNode.Parse(Field("content"));
                if (content is not JsonObject) problems.Add("content: JSONのオブジェクトではありません / not a JSON object");
            }
            catch (JsonException e)
            {
                // Where it breaks, never what it holds; full-width digits or braces typed by an input method are the usual cause.
                var at = (e.BytePositionInLine ?? 0) + 1;
                problems.Add(Field("content").Any(ch => ch is >= '\uFF01' and <= '\uFF5E' or '\u3000')
                    ? $"content: JSONとして読めません（{at}バイト目）。全角の数字や記号は半角で書いてください / not JSON at byte {at}: write digits and symbols in half-width (半角)"
                    : $"content: JSONとして読めません（{at}バイト目）/ not JSON at byte {at}");
            }
            var withheld = false;
            if (index.ContainsKey("withheld") && Field("withheld") is { Length: > 0 } w && !TryParseFlag(w, out withheld))
                problems.Add("withheld: true か false です（大文字小文字は問わず）、または 1 か 0 / must be true or false (in any case), or 1 or 0");
            if (problems.Count > 0) { bad.Add((line, string.Join("; ", problems))); continue; }
            rows.Add((line, new JsonObject
            {
                ["addresseeNumber"] = Field("addresseeNumber"), ["item"] = Field("item"), ["schemaVersion"] = version, ["content"] = content, ["withheld"] = withheld,
            }.ToJsonString()));
        }
        return (rows, bad);
    }

    /// <summary>A header name as a message shows it: an empty one as "", a long one cut at 40 characters.</summary>
    private static string Shown(string name) => name.Length == 0 ? "\"\"" : Problems.Shown(name);

    /// <summary>true/false in any case (a spreadsheet writes TRUE and FALSE), or 1/0.</summary>
    private static bool TryParseFlag(string text, out bool value)
    {
        value = text == "1" || text.Equals("true", StringComparison.OrdinalIgnoreCase);
        return value || text == "0" || text.Equals("false", StringComparison.OrdinalIgnoreCase);
    }
}
