using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Renkei.Cli.Network;
using Renkei.Hosting;
using Renkei.Node.Codes;

namespace Renkei.Cli.Linkage;

/// <summary>
/// <c>renkei node inquire-batch</c>: submits a file of addressee numbers as one batch inquiry, shows
/// its progress and writes each result as a JSON line as it arrives.
/// </summary>
public static class InquireBatchCommand
{
    public static Command Create()
    {
        var data = UpCommand.DataOption();
        var agency = new Option<string>("--agency") { Description = "照会する機関のID / the requesting agency's id", Required = true };
        var affair = new Option<string>("--affair") { Description = "事務（例 child-allowance）/ the affair, e.g. child-allowance", Required = true };
        var provider = new Option<string>("--provider") { Description = "情報提供者の機関ID / the provider agency's id", Required = true };
        var item = new Option<string>("--item") { Description = "特定個人情報の項目（例 local-tax）/ the information item, e.g. local-tax", Required = true };
        var notBefore = new Option<string?>("--not-before")
        {
            Description = "この日時より古い副本は不要。日付（2026-04-01、2026/4/1）は日本時間0時、日時（2026-04-01T09:00）は時差がなければ日本時間"
                + " / copies older than this are not wanted: a date (2026-04-01, 2026/4/1) is 0:00 Japan time, a time (2026-04-01T09:00) is Japan time unless it gives an offset",
        };
        var caller = new Option<string?>("--caller")
        {
            Description = "DIR/node/callers.json の呼出元名（既定は 機関ID-事務。--node では使わない）/ the caller's name in DIR/node/callers.json (default: AGENCY-AFFAIR; not with --node)",
        };
        var file = new Option<FileInfo>("--file") { Description = "宛名番号を各行に一つ / one addressee number per line", Required = true };
        var output = new Option<FileInfo?>("--out") { Description = "結果の JSON Lines の出力先（所有者のみ読み書き可。既定は標準出力）/ where the results go as JSON Lines, readable by its owner only (default: standard output)" };
        var key = new Option<string?>("--idempotency-key")
        {
            Description = "一括照会を送るときの冪等キー（既定は実行ごとに新しいキー）。届いたか分からなかった送信のキーで送り直すと、その一括照会を続けて読み、誰にも二度照会しない"
                + " / the Idempotency-Key the batch is submitted under (default: a new one each run); given the key of a submission whose outcome was not known, the command follows that same batch and asks nobody twice",
        };
        // The node's rule, checked before anything is read or sent: the HTTP client would throw on a control character.
        key.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && !IdempotencyKeyHeader.IsValid(result.Tokens[^1].Value))
                result.AddError("--idempotency-key は空白を含まない1〜100文字のASCII文字です / --idempotency-key is 1 to 100 visible ASCII characters");
        });
        var command = new Command("inquire-batch", "宛名番号の一覧で一括照会し、結果を JSON Lines で出力する / submit a batch inquiry for a list of addressee numbers and write the results as JSON Lines")
        {
            data, agency, affair, provider, item, notBefore, caller, file, output, key,
        };
        var remote = new RemoteOptions(codes: false, TokenVariable.NodeStaff);
        // --caller names a caller in DIR/node/callers.json; with --node the caller is the token's.
        remote.AddTo(command, data, caller);
        command.SetAction(async (parse, ct) =>
        {
            await using var services = remote.Chosen(parse) ? remote.Open(parse) : null;
            if (remote.Chosen(parse) && services is null) return 1;
            var path = parse.GetValue(file)!;
            if (!path.Exists) return NodeCommands.NoFile(path);
            // Before any inquiry is made: each one is recorded at three parties, and results that cannot be written are lost.
            if (parse.GetValue(output) is { } outFile && OutputFile.Problem(outFile.FullName) is { } unwritable)
            {
                Console.Error.WriteLine($"--out: {unwritable}");
                return 1;
            }
            DateTimeOffset? since = null;
            if (parse.GetValue(notBefore) is { } text)
            {
                if (!TryParseTime(text, out var t)) { Console.Error.WriteLine($"--not-before「{text}」が読めません。{NotBeforeForms}"); return 1; }
                since = t;
            }
            if (await NodeCommands.ReadTextAsync(path, ct) is not { } list) return 1;
            var (numbers, bad) = ReadList(list);
            if (numbers.Count == 0 && bad.Count == 0) return NodeCommands.EmptyFile(path, null);
            foreach (var (line, reason) in bad) Console.Error.WriteLine($"{line}行目 / line {line}: {reason}");
            if (numbers.Count == 0) { Console.Error.WriteLine("照会する宛名番号がありません / no addressee numbers to ask for"); return 1; }

            var agencyId = parse.GetValue(agency)!;
            var callerName = parse.GetValue(caller) ?? $"{agencyId}-{parse.GetValue(affair)}";
            using var stop = new Interruption(ct);
            // Made before the batch is submitted, readable by its owner only from the first byte, and put in place over any file
            // there (whose mode, often readable by all, it does not take) once the batch is: the results are other agencies' copies.
            using var resultsFile = parse.GetValue(output) is { } target ? PrivateOutputFile.Create(target.FullName) : null;
            // Standard output as a stream that reports a reader gone (`… | head -1`), which the console's drops without a word.
            await using var standardOutput = resultsFile is null ? StandardOutput.Open() : null;
            var lines = new ResultLines(resultsFile?.Stream ?? standardOutput!, resultsFile);
            SandboxNetwork? own = null;
            Uri? node = null;
            string? batchId = null;
            Uri? batch = null;
            try
            {
                HttpClient client;
                if (services is not null)
                {
                    // Whether the node hosts the agency, and whether the token holds the affair, the node itself answers (404, 401, 403).
                    if (!await services.ReachAsync(stop.Token)) return 1;
                    client = services.Client(node = services.Node, TokenVariable.NodeStaff);
                }
                else
                {
                    (var linkage, own) = await NodeCommands.ConnectAsync(Path.GetFullPath(parse.GetValue(data)!), stop.Token);
                    node = linkage.NodeUrl;
                    if (linkage.NodeCallers.FirstOrDefault(c => c.Name == callerName) is not { } found)
                    {
                        Console.Error.WriteLine(NoCaller(linkage.NodeCallers, agencyId, callerName, parse.GetValue(caller) is not null));
                        return 1;
                    }
                    client = LinkageSandbox.Client(linkage.NodeUrl, found.Token, linkage.Handler);
                }
                using var _ = client;
                // A stop asked before anything is sent: nothing was submitted.
                stop.Token.ThrowIfCancellationRequested();
                var idempotencyKey = parse.GetValue(key) ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                using var request = new HttpRequestMessage(HttpMethod.Post, $"api/tenants/{agencyId}/inquiry-batches")
                {
                    Content = JsonContent.Create(new
                    {
                        affair = parse.GetValue(affair), provider = parse.GetValue(provider), item = parse.GetValue(item), notBefore = since, addresseeNumbers = numbers,
                    }, options: ServiceDefaults.Json),
                };
                request.Headers.Add(IdempotencyKeyHeader.Name, idempotencyKey);
                HttpResponseMessage submitted;
                try
                {
                    // Once sent, the batch may be the node's whatever stops the command: Ctrl+C does not cut the request short but
                    // waits for the answer (within the client's answer wait), so that the batch's id is known and said.
                    using (stop.Token.Register(() => Console.Error.WriteLine("送信した一括照会への中間サーバーの応答を待っています… / waiting for the node's answer to the batch sent…")))
                    {
                        submitted = await client.SendAsync(request, CancellationToken.None);
                        // The batch is read under the node's URL as given, base path and all: not at the Location, which a node behind a
                        // path-routing gateway gives from the host's root (where another application would get the staff token).
                        if (submitted.StatusCode == HttpStatusCode.Accepted)
                            batchId = (await ServiceAnswer.ReadAsync<Submitted>(submitted, ServiceAnswer.Node, CancellationToken.None)).BatchId;
                    }
                }
                catch (Exception e) when (OutcomeUnknown(e))
                {
                    // Sent, but no answer read: the node may have taken the batch and asks each person. The same key follows it.
                    var why = e as HttpRequestException ?? new HttpRequestException(HttpRequestError.Unknown, e.Message, e);
                    Console.Error.WriteLine($"失敗しました / failed: {RemoteServices.Said(services, why)}");
                    Console.Error.WriteLine(NotKnown(parse.Tokens.Select(t => t.Value), idempotencyKey));
                    return stop.Requested ? Interruption.ExitCode : 1;
                }
                using var __ = submitted;
                if (submitted.StatusCode != HttpStatusCode.Accepted)
                {
                    Console.Error.WriteLine($"受け付けられませんでした / refused: {await ProblemText.OfAsync(submitted)}"
                        + (services is null ? "" : RemoteServices.Hint(submitted.StatusCode, TokenVariable.NodeStaff)));
                    // A Ctrl+C while the submission was answered keeps its exit code, as on every other path after it.
                    return stop.Requested ? Interruption.ExitCode : 1;
                }
                if (batchId is null || batchId.Length == 0 || !batchId.All(char.IsAsciiLetterOrDigit)) throw ServiceAnswer.NotTheApi(submitted, ServiceAnswer.Node);
                batch = new Uri(node, $"api/tenants/{agencyId}/inquiry-batches/{batchId}");
                Console.Error.WriteLine($"一括照会 / batch {batchId}: {numbers.Count:N0} 件 / people");
                // Ctrl+C while the batch was being submitted: it is said with the batch, as one while following it.
                stop.Token.ThrowIfCancellationRequested();

                BatchPage status;
                // A write to a reader that does not read (`… | less` paused) cannot be cut short: Ctrl+C then says what it waits for.
                using var stopping = stop.Token.Register(() =>
                {
                    if (lines.Writing) Console.Error.WriteLine("中断します。書き出し中の結果が読み手に渡るのを待っています… / stopping once the results being written are taken by their reader…");
                });
                try
                {
                    status = await CommandProgress.RunAsync("照会 / inquiries", numbers.Count,
                        report => FollowAsync(client, batch, lines, report, stop.Token));
                }
                // Whatever stopped the command, the whole lines written stay: each is a provision recorded at three parties. What
                // stopped it is the failure said (and an interruption's exit code kept): a file that could not be put in place as well
                // has set the cursor back to the first result.
                catch
                {
                    try { lines.Keep(); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
                    throw;
                }
                lines.Keep();
                var counts = status.Counts;
                Console.Error.WriteLine($"完了 / done: {string.Join(", ", counts.Select(c => $"{c.Key}: {c.Value:N0}"))}{(bad.Count > 0 ? $"; 不正な行 / bad lines: {bad.Count:N0}" : "")}");
                // Every person answered by the provider (provided, no data, a copy older than asked) is a success; an error or a
                // refusal for anyone is a failure, as issue-codes fails for a person the Registry does not know.
                var failed = counts.Where(c => c.Key is not ("provided" or "no-data" or "copy-older-than-asked")).Sum(c => c.Value);
                return bad.Count == 0 && failed == 0 ? 0 : 1;
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !stop.Requested))
            {
                var why = e as HttpRequestException ?? new HttpRequestException(HttpRequestError.Unknown, e.Message, e);
                // A refusal the command made into an exception says itself; a node that went away is said Japanese first.
                Console.Error.WriteLine($"失敗しました / failed: {RemoteServices.Said(services, why)}");
                // Submitted, the batch is the node's: it goes on there once the node is back (audit W5), or once what refused
                // following it (a node busy, a token revoked) is put right.
                if (batch is not null) Console.Error.WriteLine(StaysAt(batchId!, batch, lines.Kept, own is not null));
                return 1;
            }
            catch (Exception e) when (lines.Failed && IsWriteFailure(e) && !stop.Requested)
            {
                // A full disk under --out or standard output: the batch goes on at the node all the same, and is read on from there.
                var (japanese, english) = IoText.Reason(e);
                Console.Error.WriteLine($"結果を書き出せませんでした（{japanese}）/ could not write the results: {english}");
                Console.Error.WriteLine(StaysAt(batchId!, batch!, lines.Kept, own is not null));
                return 1;
            }
            // A write that failed because of the same Ctrl+C (a reader in the pipe ended by it) is the interruption too.
            catch (Exception e) when (stop.Requested && (e is OperationCanceledException || lines.Failed && IsWriteFailure(e)))
            {
                // Results are written a whole line at a time, so what --out holds reads as JSON Lines.
                Console.Error.WriteLine(batch is null
                    ? "中断しました。一括照会は送っていません / interrupted before the batch was submitted"
                    : $"中断しました。{StaysAt(batchId!, batch, lines.Kept, own is not null)}");
                return Interruption.ExitCode;
            }
            finally { if (own is not null) await own.DisposeAsync(); }
        });
        return command;
    }

    /// <summary>
    /// Where a submitted batch the command stopped following goes on, and where its results after the <paramref name="written"/>
    /// ones are read (the cursor counts results in submission order, as the command reads them). A network of the command's own
    /// served the node on a passing port that died with it: the path is given for the node DIR/network.json names once one runs.
    /// </summary>
    internal static string StaysAt(string batchId, Uri batch, long written, bool ownNetwork)
    {
        if (ownNetwork)
        {
            var path = $"{batch.AbsolutePath.TrimStart('/')}?after={written}";
            return $"結果 {written:N0} 件を書き出しました。一括照会 {batchId} は次にこのデータフォルダでネットワークを起動したときに続きます。"
                + $"残りの結果はそのとき network.json が示す中間サーバーの {path} で読めます（担当者のトークンで）/ {written:N0} results written; the batch "
                + $"goes on when a network next runs on this data folder: read the rest then at {path} on the node its network.json names, with the staff token";
        }
        return $"結果 {written:N0} 件を書き出しました。一括照会 {batchId} は中間サーバーに残り、中間サーバーが動いていれば続きます。残りの結果は {batch}?after={written} で読めます"
            + $"（担当者のトークンで）/ {written:N0} results written; the batch stays at the node and goes on whenever the node runs: read the rest at {batch}?after={written} with the staff token";
    }

    /// <summary>
    /// A write or a move of --out the machine refused: a full disk, a reader gone, or no permission (a folder or a file the
    /// rename may not replace), each leaving the batch at the node to be read on from there.
    /// </summary>
    private static bool IsWriteFailure(Exception e) => IoText.IsWriteFailure(e) || e is UnauthorizedAccessException;

    /// <summary>
    /// Whether a submission failed after it was sent, so that the node may have taken the batch: no answer in time, or a connection
    /// cut. A connection never made (refused, an unknown host, TLS) sent nothing, and a refusal the command made (an answer that is
    /// not the node's) was an answer.
    /// </summary>
    private static bool OutcomeUnknown(Exception e) => e switch
    {
        TaskCanceledException or HttpIOException => true,
        HttpRequestException h => ServiceGone.IsGone(h)
            && h.HttpRequestError is not (HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError),
        _ => false,
    };

    /// <summary>
    /// What a submission whose outcome is not known says: that the batch may be running, and the command line that follows it under
    /// the same <paramref name="key"/>, which the node answers with the batch it made instead of a second one.
    /// </summary>
    internal static string NotKnown(IEnumerable<string> tokens, string key)
    {
        var args = tokens.ToList();
        for (var i = args.IndexOf("--idempotency-key"); i >= 0; i = args.IndexOf("--idempotency-key")) args.RemoveRange(i, Math.Min(2, args.Count - i));
        var again = $"renkei {string.Join(" ", args.Select(UpCommand.Quoted))} --idempotency-key {UpCommand.Quoted(key)}";
        return "一括照会が中間サーバーに届いたかどうか分かりません。届いていれば照会は進んでいます。同じキーで次のとおり実行すると、その一括照会を続けて読み、誰にも二度照会しません"
            + " / whether the node took the batch is not known; if it did, the inquiries go on. Run this to follow that same batch under the same key, asking nobody twice:"
            + $"\n  {again}";
    }

    /// <summary>
    /// Where the results go, each page in one write: standard output, or --out's <paramref name="file"/>. <see cref="Kept"/> counts
    /// the lines of the pages wholly written, so that after a write fails (a full disk, a reader gone) the file is cut back to its
    /// whole lines and the cursor to read on from loses none (on standard output, lines of the page cut short may come again).
    /// </summary>
    private sealed class ResultLines(Stream stream, PrivateOutputFile? file)
    {
        private readonly MemoryStream page = new();
        private long pending, keptBytes;

        public long Kept { get; private set; }

        /// <summary>Whether a write failed: the lines after <see cref="Kept"/> are not all written.</summary>
        public bool Failed { get; private set; }

        /// <summary>Whether a page is being written, which nothing cancels.</summary>
        public bool Writing => writing;

        private volatile bool writing;

        public void Write(string line)
        {
            page.Write(Encoding.UTF8.GetBytes(line + "\n"));
            pending++;
        }

        public async Task EndPageAsync()
        {
            if (pending == 0) return;
            try
            {
                writing = true;
                await stream.WriteAsync(page.GetBuffer().AsMemory(0, (int)page.Length));
            }
            catch (Exception e) when (IsWriteFailure(e)) { Failed = true; throw; }
            finally { writing = false; }
            keptBytes += page.Length;
            Kept += pending;
            pending = 0;
            page.SetLength(0);
        }

        /// <summary>Puts the whole lines written in place at --out; with none, a file already there stays as it was rather than be emptied.</summary>
        public void Keep()
        {
            if (file is null) return;
            try
            {
                // A write cut short leaves part of a page past the last whole line.
                if (Failed) file.Stream.SetLength(keptBytes);
                if (Kept > 0) file.Commit();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not put in place, the file is removed with what it held: the results are read on from the first.
                (Failed, Kept) = (true, 0);
                throw;
            }
        }
    }

    /// <summary>What the command reads of the node's 202 to a submission: the batch's id.</summary>
    private sealed record Submitted(string BatchId);

    /// <summary>What the command reads of a page of the batch (the node's InquiryBatchStatus); each result is written as the node gave it.</summary>
    private sealed record BatchPage(int Total, int Answered, Dictionary<string, int> Counts, List<JsonElement> Results, int Next);

    /// <summary>Reads the batch with its cursor until every person is answered, writing each result once, in submission order.</summary>
    private static async Task<BatchPage> FollowAsync(HttpClient client, Uri batch, ResultLines results, Action<long> report, CancellationToken ct)
    {
        var cursor = 0;
        while (true)
        {
            using var response = await client.GetAsync($"{batch}?after={cursor}&limit=1000", ct);
            if (!response.IsSuccessStatusCode) throw new HttpRequestException(await ProblemText.OfAsync(response));
            var status = await ServiceAnswer.ReadAsync<BatchPage>(response, ServiceAnswer.Node, ct);
            foreach (var result in status.Results) results.Write(result.GetRawText());
            await results.EndPageAsync();
            report(status.Answered);
            if (status.Next == status.Total) return status;
            // Nothing new yet: wait a little before asking again; a full page is followed at once.
            if (status.Next == cursor) await Task.Delay(200, ct);
            cursor = status.Next;
        }
    }

    /// <summary>
    /// Why no caller of callers.json can submit the batch, with what would: the agencies the node hosts, or the affairs the
    /// agency's callers hold (an affair is a name such as child-allowance, which a clerk may well type as 児童手当).
    /// </summary>
    internal static string NoCaller(IReadOnlyList<Caller> callers, string agencyId, string callerName, bool named)
    {
        var tenant = $"tenant:{agencyId}";
        var hosted = callers.SelectMany(c => c.Permissions).Where(p => p.StartsWith("tenant:", StringComparison.Ordinal)).Select(p => p["tenant:".Length..]).Distinct().Order().ToList();
        if (!hosted.Contains(agencyId))
            return $"この中間サーバーにその機関はありません / no such agency on this node: {agencyId}; 登録されている機関 / agencies hosted: {string.Join(", ", hosted)}";
        var affairs = callers.Where(c => c.Permissions.Contains(tenant)).SelectMany(c => c.Permissions)
            .Where(p => p.StartsWith("affair:", StringComparison.Ordinal)).Select(p => p["affair:".Length..]).Distinct().Order().ToList();
        var (japanese, english) = ($"呼出元「{callerName}」が node/callers.json にありません", $"no caller '{callerName}' in node/callers.json");
        if (affairs.Count == 0)
            return $"{japanese}。{agencyId} の呼出元にはどの事務も割り当てられていません / {english}: none of {agencyId}'s callers is assigned an affair";
        var list = string.Join(", ", affairs);
        var staff = string.Join(", ", callers.Where(c => c.Permissions.Contains(tenant) && c.Permissions.Any(p => p.StartsWith("affair:", StringComparison.Ordinal))).Select(c => c.Name).Order());
        return named
            ? $"{japanese}。{agencyId} の事務を持つ呼出元は {staff} です / {english}; {agencyId}'s callers with an affair are {staff}"
            : $"{japanese}。--affair は事務の名前で、{agencyId} の呼出元が持つのは {list} です（例 --affair {affairs[0]}）/ "
                + $"{english}: --affair names an affair, and {agencyId}'s callers hold {list} (--affair {affairs[0]}, say)";
    }

    /// <summary>
    /// One addressee number per line, read as issue-codes reads its file, since the list is as often a spreadsheet's column:
    /// a header line (宛名番号, addresseeNumber) skipped, a quoted cell read, empty cells after the first ignored; blank lines
    /// skipped; malformed or repeated lines reported by number.
    /// </summary>
    public static (List<string> Numbers, List<(int Line, string Reason)> Bad) ReadList(string text)
    {
        var numbers = new List<string>();
        var bad = new List<(int, string)>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var first = true;
        foreach (var (line, fields) in Csv.Parse(text, bad))
        {
            var cells = Csv.WithoutTrailingEmpty(fields);
            if (cells.Length == 0) continue;
            var n = cells[0].Trim();
            var header = first && cells.Length == 1 && NodeCommands.IsHeader(n);
            first = false;
            if (header) continue;
            if (cells.Length > 1) bad.Add((line, "1行に宛名番号を一つだけ書いてください / write one addressee number a line"));
            else if (CodeManagementApi.AddresseeNumberProblem(n) is { } wrong) bad.Add((line, wrong));
            else if (seen.TryGetValue(n, out var earlier)) bad.Add((line, $"{earlier}行目と同じです / same as line {earlier}"));
            else { seen[n] = line; numbers.Add(n); }
        }
        return (numbers, bad);
    }

    /// <summary>
    /// --not-before as a moment: a date as the command takes a date of birth (yyyy-MM-dd, yyyy/MM/dd, yyyy/M/d) is 0:00 in
    /// Japan; a time only in ISO form (2026-04-01T09:00, seconds and fraction optional, a space for the T), in Japan unless it
    /// names its offset (+09:00, Z). Nothing is read by the machine's zone or culture (04/01/2026 would be month first there).
    /// </summary>
    internal static bool TryParseTime(string text, out DateTimeOffset time)
    {
        var narrow = NodeCommands.NarrowDigits(text.Trim());
        if (NodeCommands.TryParseDate(narrow, out var date)) return InJapan(date.ToDateTime(TimeOnly.MinValue), out time);
        // Without an offset first: with "K" an absent offset would parse too, as the machine's own.
        if (DateTime.TryParseExact(narrow, IsoTimes, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)) return InJapan(local, out time);
        return DateTimeOffset.TryParseExact(narrow, [.. IsoTimes.Select(f => f + "K")], CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
    }

    /// <summary>
    /// A time in Japan, unless it is before 09:00 on 0001-01-01, whose UTC no DateTimeOffset holds (its constructor would throw):
    /// such a time is refused as the node refuses that date (NotBeforeForm), not ended in a stack trace.
    /// </summary>
    private static bool InJapan(DateTime local, out DateTimeOffset time)
    {
        time = default;
        if (local.Ticks < JapanTime.Offset.Ticks) return false;
        time = new DateTimeOffset(local, JapanTime.Offset);
        return true;
    }

    private static readonly string[] IsoTimes =
        [.. from t in new[] { "'T'", " " } from s in new[] { "HH:mm", "HH:mm:ss", "HH:mm:ss.FFFFFFF" } select $"yyyy-MM-dd{t}{s}"];

    internal const string NotBeforeForms = "日付は 2026-04-01 か 2026/4/1（日本時間0時）、日時は 2026-04-01T09:00 の形で書いてください（+09:00 や Z がなければ日本時間）"
        + " / write a date as 2026-04-01 or 2026/4/1 (0:00 Japan time), or a time as 2026-04-01T09:00 (Japan time unless it ends in an offset such as +09:00 or Z)";
}
