using System.Text;
using Microsoft.AspNetCore.Http;
using Renkei.Cli.Linkage;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>
/// Audit 20c §6: a batch submitted is the node's, so a write of its results that fails on this machine (a full disk, standard
/// output on a full device, a reader gone) says where the batch stays and from which result to read on, and --out keeps the whole
/// lines written.
/// </summary>
public class InquireBatchWriteFailureTests
{
    private const string Agency = "131059", BatchId = "b1";
    private const int People = 400, FirstPage = 3;

    [Fact]
    public async Task Standard_output_on_a_full_device_says_where_the_batch_stays()
    {
        using var inputs = new TempFolder();
        await using var node = await NodeAsync();
        var (exit, error) = await RunAsync(inputs, node, "> /dev/full", []);

        Assert.Equal(1, exit);
        Assert.False(error.Contains("   at ", StringComparison.Ordinal), error);
        Assert.Contains("結果を書き出せませんでした（空き容量がありません）/ could not write the results: no space left on the device", error);
        Assert.Contains(InquireBatchCommand.StaysAt(BatchId, BatchAt(node), 0, ownNetwork: false), error);
    }

    [Fact]
    public async Task Out_keeps_the_whole_lines_written_before_the_file_could_grow_no_more_and_says_where_the_rest_is()
    {
        using var inputs = new TempFolder();
        await using var node = await NodeAsync();
        var results = inputs.File("results.jsonl");
        // A file-size limit stands in for a full disk: each write past it fails (EFBIG, its signal ignored), as one past the
        // last free block does (ENOSPC). The first page fits under it (8 KB in dash's blocks, 16 KB in bash's), the second does
        // not. The runtime's write-xor-execute mapping is a file the limit would refuse, so it is turned off.
        var (exit, error) = await RunAsync(inputs, node, "", ["--out", results], "trap '' XFSZ; ulimit -f 16; DOTNET_EnableWriteXorExecute=0 ");

        Assert.Equal(1, exit);
        Assert.False(error.Contains("   at ", StringComparison.Ordinal), error);
        Assert.Contains("結果を書き出せませんでした", error);
        Assert.Contains(InquireBatchCommand.StaysAt(BatchId, BatchAt(node), FirstPage, ownNetwork: false), error);
        var kept = await File.ReadAllLinesAsync(results);
        Assert.Equal(Enumerable.Range(1, FirstPage).Select(Result), kept);
        Assert.Equal([results], Directory.GetFiles(inputs.Path, "results.jsonl*"));
    }

    /// <summary>
    /// A reader gone (<c>… | head -1</c>): the console's stream dropped the writes without a word, so the command counted results
    /// nobody got, said done and exited 0.
    /// </summary>
    [Fact]
    public async Task A_reader_gone_is_a_failed_write_that_says_from_which_result_to_read_on()
    {
        using var inputs = new TempFolder();
        // The second page is given only once the reader is gone, so that it cannot sit in the pipe's buffer before.
        var readerGone = new TaskCompletionSource();
        await using var node = await NodeAsync(async _ => { await readerGone.Task; return true; });
        using var process = RenkeiCommand.Start(await ArgsAsync(inputs, node, []), environment: Token);
        var error = process.StandardError.ReadToEndAsync();

        // As `head -c 1` does: one byte of the first page read, then the pipe closed.
        Assert.NotEqual(-1, process.StandardOutput.BaseStream.ReadByte());
        process.StandardOutput.Close();
        readerGone.SetResult();
        await process.ExitsWithinAsync(TimeSpan.FromMinutes(1), error);

        var said = await error;
        Assert.Equal(1, process.ExitCode);
        Assert.DoesNotContain("完了 / done", said);
        Assert.DoesNotContain("   at ", said);
        Assert.Contains("結果を書き出せませんでした（読み手が閉じました）/ could not write the results: the reader has gone", said);
        Assert.Contains(InquireBatchCommand.StaysAt(BatchId, BatchAt(node), FirstPage, ownNetwork: false), said);
    }

    /// <summary>
    /// Stopped by one failure (the node gone) while --out's file cannot be put in place either: the failure that stopped it is
    /// the one said, with where the batch stays, not replaced by the file's.
    /// </summary>
    [Fact]
    public async Task The_node_gone_is_said_though_out_could_not_be_put_in_place()
    {
        using var inputs = new TempFolder();
        var results = inputs.File("results.jsonl");
        await using var node = await NodeAsync(c =>
        {
            // A folder where --out's file goes: the file written so far cannot be moved there. Then the node goes away.
            Directory.CreateDirectory(Path.Combine(results, "in-the-way"));
            c.Abort();
            return Task.FromResult(false);
        });

        var run = await RenkeiCommand.RunAsync(await ArgsAsync(inputs, node, ["--out", results]), stdin: null, TimeSpan.FromMinutes(1), environment: Token);

        Assert.Equal(1, run.ExitCode);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.DoesNotContain("結果を書き出せませんでした", run.Error);
        Assert.Contains("失敗しました / failed: 接続が切れました", run.Error);
        // The file not put in place, the results are read on from the first.
        Assert.Contains(InquireBatchCommand.StaysAt(BatchId, BatchAt(node), 0, ownNetwork: false), run.Error);
        Assert.Equal([Path.Combine(results, "in-the-way")], Directory.GetFileSystemEntries(results));
        Assert.Equal([inputs.File("list.txt")], Directory.GetFiles(inputs.Path));
    }

    /// <summary>
    /// Audit 21c §1: Ctrl+C while the node was storing the batch cut the request short and said "not submitted", though the node
    /// committed it and asked every person; run again, the command asked them all twice. It now waits for the node's answer
    /// and names the batch.
    /// </summary>
    [Fact]
    public async Task Ctrl_C_while_the_batch_is_being_submitted_waits_for_the_nodes_answer_and_names_the_batch()
    {
        var submission = new HeldSubmission(_ => Task.FromResult(true));
        await using var node = await NodeAsync(onSubmit: submission.Answer);
        var (exitCode, said, output) = await submission.InterruptedAsync(node);

        Assert.Equal(130, exitCode);
        Assert.DoesNotContain("一括照会は送っていません", said);
        Assert.DoesNotContain("   at ", said);
        Assert.Contains($"一括照会 / batch {BatchId}", said);
        Assert.Contains($"中断しました。{InquireBatchCommand.StaysAt(BatchId, BatchAt(node), 0, ownNetwork: false)}", said);
        Assert.Equal("", output);
    }

    /// <summary>
    /// A Ctrl+C while the node answers the submission with a refusal: the interruption's exit code, as on every other path after
    /// it, not the refusal's 1.
    /// </summary>
    [Fact]
    public async Task Ctrl_C_while_the_batch_is_being_submitted_then_a_refusal_is_an_interruption()
    {
        var submission = new HeldSubmission(async c =>
        {
            await FakeService.Json(c, """{"title":"許可されていません / not permitted"}""", 403);
            return false;
        });
        await using var node = await NodeAsync(onSubmit: submission.Answer);
        var (exitCode, said, output) = await submission.InterruptedAsync(node);

        Assert.Equal(130, exitCode);
        Assert.Contains("受け付けられませんでした / refused:", said);
        Assert.Contains("not permitted", said);
        Assert.DoesNotContain("   at ", said);
        Assert.Equal("", output);
    }

    /// <summary>
    /// A submission the fake node holds until the command, interrupted meanwhile, says it waits for the answer; then
    /// <paramref name="answer"/> answers it.
    /// </summary>
    private sealed class HeldSubmission(Func<HttpContext, Task<bool>> answer)
    {
        private readonly TaskCompletionSource received = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<bool> Answer(HttpContext c)
        {
            received.SetResult();
            await release.Task;
            return await answer(c);
        }

        /// <summary>Runs inquire-batch against <paramref name="node"/>, Ctrl+C once the node holds its submission: exit code, standard error, standard output.</summary>
        public async Task<(int ExitCode, string Said, string Output)> InterruptedAsync(FakeService node)
        {
            using var inputs = new TempFolder();
            using var process = RenkeiCommand.Start(await ArgsAsync(inputs, node, []), environment: Token, launcher: RenkeiCommand.Interruptible);
            var output = process.StandardOutput.ReadToEndAsync();
            var error = new ErrorLines(process, "応答を待っています");
            await received.Task.WaitAsync(TimeSpan.FromMinutes(1));
            Interrupt(process);
            await error.Seen.WaitAsync(TimeSpan.FromMinutes(1));
            release.SetResult();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
            return (process.ExitCode, await error.AllAsync(), await output);
        }
    }

    /// <summary>
    /// A key the node would refuse (a control character, a character outside ASCII, too long) is a usage error before anything is
    /// sent: a newline made the HTTP client throw, which ended the command in a stack trace.
    /// </summary>
    [Theory]
    [InlineData("k\n")]
    [InlineData("k\u0007")]
    [InlineData("鍵")]
    [InlineData("a b")]
    [InlineData("")]
    public async Task An_idempotency_key_the_node_would_refuse_is_a_usage_error(string key)
    {
        using var inputs = new TempFolder();
        var submitted = 0;
        await using var node = await NodeAsync(onSubmit: _ => { Interlocked.Increment(ref submitted); return Task.FromResult(true); });

        var run = await RenkeiCommand.RunAsync(await ArgsAsync(inputs, node, ["--idempotency-key", key]), stdin: null, TimeSpan.FromMinutes(1), environment: Token);

        Assert.Equal(1, run.ExitCode);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.DoesNotContain("Unhandled", run.Error);
        Assert.Contains("--idempotency-key は空白を含まない1〜100文字のASCII文字です / --idempotency-key is 1 to 100 visible ASCII characters", run.Error);
        Assert.Equal(0, submitted);
    }

    [Fact]
    public async Task An_idempotency_key_of_100_characters_is_taken_and_one_of_101_is_not()
    {
        using var inputs = new TempFolder();
        var keys = new List<string>();
        await using var node = await NodeAsync(onSubmit: c => { lock (keys) keys.Add(c.Request.Headers["Idempotency-Key"].ToString()); return Task.FromResult(true); });
        var args = await ArgsAsync(inputs, node, []);

        var taken = await RenkeiCommand.RunAsync([.. args, "--idempotency-key", new string('k', 100)], stdin: null, TimeSpan.FromMinutes(1), environment: Token);
        var refused = await RenkeiCommand.RunAsync([.. args, "--idempotency-key", new string('k', 101)], stdin: null, TimeSpan.FromMinutes(1), environment: Token);

        Assert.Equal(0, taken.ExitCode);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--idempotency-key は", refused.Error);
        Assert.Equal([new string('k', 100)], keys);
    }

    /// <summary>
    /// Audit 21c §1: a submission cut (the node gone after taking it) or not answered in time may have made the batch. It says so
    /// and gives the command line that sends the same Idempotency-Key, which the node answers with that batch; each run
    /// otherwise sends a key of its own.
    /// </summary>
    [Theory]
    [InlineData("cut", "接続が切れました")]
    [InlineData("timeout", "1 秒以内に応答がありません")]
    public async Task A_submission_whose_outcome_is_not_known_gives_the_command_that_follows_the_same_batch(string how, string why)
    {
        using var inputs = new TempFolder();
        var keys = new List<string>();
        await using var node = await NodeAsync(onSubmit: async c =>
        {
            lock (keys) keys.Add(c.Request.Headers["Idempotency-Key"].ToString());
            if (keys.Count > 1) return true;
            if (how == "cut") c.Abort();
            else try { await Task.Delay(Timeout.Infinite, c.RequestAborted); } catch (OperationCanceledException) { }
            return false;
        });
        var args = await ArgsAsync(inputs, node, []);
        var environment = new Dictionary<string, string>(Token) { ["RENKEI_ANSWER_WAIT_SECONDS"] = "1" };

        var first = await RenkeiCommand.RunAsync(args, stdin: null, TimeSpan.FromMinutes(1), environment: environment);
        Assert.Equal(1, first.ExitCode);
        Assert.DoesNotContain("   at ", first.Error);
        Assert.Contains($"失敗しました / failed: {why}", first.Error);
        Assert.Contains("一括照会が中間サーバーに届いたかどうか分かりません。", first.Error);
        var key = Assert.Single(keys);
        Assert.Matches("^[0-9a-f]{32}$", key);
        Assert.Contains($"\n  renkei {string.Join(" ", args)} --idempotency-key {key}\n", first.Error);

        // The command it gave follows the batch the node made under that key.
        var again = await RenkeiCommand.RunAsync([.. args, "--idempotency-key", key], stdin: null, TimeSpan.FromMinutes(1), environment: Token);
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(People, again.Lines.Length);
        Assert.Equal([key, key], keys);

        var fresh = await RenkeiCommand.RunAsync(args, stdin: null, TimeSpan.FromMinutes(1), environment: Token);
        Assert.Equal(0, fresh.ExitCode);
        Assert.NotEqual(key, keys[^1]);
    }

    /// <summary>
    /// Audit 21c §2: Ctrl+C in a terminal ends the reader of the pipe too (`… | jq .`), so the page the command was writing fails
    /// with a broken pipe. That is the interruption (130), not a reader gone by itself (1).
    /// </summary>
    [Fact]
    public async Task A_write_that_fails_because_ctrl_c_ended_the_reader_too_is_an_interruption()
    {
        using var inputs = new TempFolder();
        // One page of every result, some 150 KB: more than a pipe holds, so its write blocks while nobody reads.
        await using var node = await NodeAsync(firstPage: People, note: 300);
        using var process = RenkeiCommand.Start(await ArgsAsync(inputs, node, []), environment: Token, launcher: RenkeiCommand.Interruptible);
        var error = new ErrorLines(process, "中断します。");

        await RenkeiCommand.WaitForAsync(() => Task.FromResult(BlockedWritingToAPipe(process.Id) ? "" : null), TimeSpan.FromMinutes(1), "a write blocked on the pipe");
        Interrupt(process);
        await error.Seen.WaitAsync(TimeSpan.FromMinutes(1));
        process.StandardOutput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));

        var said = await error.AllAsync();
        Assert.Equal(130, process.ExitCode);
        Assert.DoesNotContain("結果を書き出せませんでした", said);
        Assert.DoesNotContain("   at ", said);
        Assert.Contains($"中断しました。{InquireBatchCommand.StaysAt(BatchId, BatchAt(node), 0, ownNetwork: false)}", said);
    }

    /// <summary>
    /// Audit 21c §3: --out that cannot be put in place for want of permission (rename refused, EPERM) said a generic line naming
    /// the temporary file it had just removed, and not where the batch stays.
    /// </summary>
    [Fact]
    public async Task Out_that_may_not_be_replaced_says_where_the_batch_stays()
    {
        using var inputs = new TempFolder();
        var results = inputs.File("results.jsonl");
        await File.WriteAllTextAsync(results, "earlier\n");
        // As root, an immutable file refuses the rename over it; otherwise a folder without write permission does.
        var immutable = false;
        await using var node = await NodeAsync(async _ =>
        {
            immutable = await ExitCodeAsync("chattr", "+i", results) == 0;
            if (!immutable && !OperatingSystem.IsWindows()) File.SetUnixFileMode(inputs.Path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            return true;
        });
        try
        {
            var run = await RenkeiCommand.RunAsync(await ArgsAsync(inputs, node, ["--out", results]), stdin: null, TimeSpan.FromMinutes(1), environment: Token);

            Assert.Equal(1, run.ExitCode);
            Assert.DoesNotContain("   at ", run.Error);
            Assert.DoesNotContain(".new", run.Error);
            Assert.Contains("結果を書き出せませんでした（権限がありません）/ could not write the results: permission denied", run.Error);
            Assert.Contains(InquireBatchCommand.StaysAt(BatchId, BatchAt(node), 0, ownNetwork: false), run.Error);
        }
        finally
        {
            if (immutable) await ExitCodeAsync("chattr", "-i", results);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(inputs.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        Assert.Equal("earlier\n", await File.ReadAllTextAsync(results));
        if (immutable) Assert.Equal([inputs.File("list.txt"), results], Directory.GetFiles(inputs.Path).Order());
    }

    private static async Task<int> ExitCodeAsync(string file, params string[] args)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    private static void Interrupt(System.Diagnostics.Process process)
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-INT", process.Id.ToString()])!;
        kill.WaitForExit();
    }

    /// <summary>Whether a thread of the process sleeps in the kernel's pipe write (Linux names it pipe_write or anon_pipe_write).</summary>
    private static bool BlockedWritingToAPipe(int pid) =>
        Directory.GetDirectories($"/proc/{pid}/task").Any(t => { try { return File.ReadAllText(Path.Combine(t, "wchan")).Contains("pipe_write"); } catch (IOException) { return false; } });

    /// <summary>The command's standard error, line by line: <see cref="Seen"/> once a line holds the text waited for (or the stream ends).</summary>
    private sealed class ErrorLines
    {
        private readonly StringBuilder text = new();
        private readonly Task reading;
        private readonly TaskCompletionSource seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ErrorLines(System.Diagnostics.Process process, string waitedFor) => reading = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (text) text.AppendLine(line);
                if (line.Contains(waitedFor, StringComparison.Ordinal)) seen.TrySetResult();
            }
            seen.TrySetResult();
        });

        public Task Seen => seen.Task;

        public async Task<string> AllAsync()
        {
            await reading.WaitAsync(TimeSpan.FromMinutes(1));
            lock (text) return text.ToString();
        }
    }

    /// <summary>Runs inquire-batch against <paramref name="node"/> through sh, for what a shell sets up (a redirection, a limit).</summary>
    private static async Task<(int Exit, string Error)> RunAsync(TempFolder inputs, FakeService node, string redirect, string[] more, string before = "")
    {
        var run = await RenkeiCommand.RunAsync(await ArgsAsync(inputs, node, more), stdin: null, TimeSpan.FromMinutes(1), environment: Token,
            launcher: RenkeiCommand.Shell(before, redirect));
        return (run.ExitCode, run.Error);
    }

    private static readonly Dictionary<string, string> Token = new() { ["RENKEI_NODE_STAFF_TOKEN"] = "s" };

    /// <summary>inquire-batch's arguments for <see cref="People"/> people listed in the inputs' list.txt, against <paramref name="node"/>.</summary>
    private static async Task<string[]> ArgsAsync(TempFolder inputs, FakeService node, string[] more)
    {
        var list = inputs.File("list.txt");
        await File.WriteAllLinesAsync(list, Enumerable.Range(1, People).Select(i => $"B-{i}"));
        return ["node", "inquire-batch", "--node", $"{node.Url}node/", "--agency", Agency, "--affair", "child-allowance", "--provider", "122173",
            "--item", "local-tax", "--file", list, .. more];
    }

    private static Uri BatchAt(FakeService node) => new($"{node.Url}node/api/tenants/{Agency}/inquiry-batches/{BatchId}");

    /// <summary>One result as the node gives it, some 150 bytes: the second page is tens of kilobytes.</summary>
    private static string Result(int position) => ResultWithNote(position, 80);

    private static string ResultWithNote(int position, int note) =>
        $$$"""{"position":{{{position}}},"addresseeNumber":"B-{{{position}}}","outcome":"provided","content":{"totalIncome":{{{3_000_000 + position}}},"note":"{{{new string('x', note)}}}"}}""";

    /// <summary>
    /// A node that accepts the batch and gives its results in two pages: the first <see cref="FirstPage"/>, then the rest, after
    /// <paramref name="beforeRest"/> (false: the node has answered, by an abort or otherwise, and gives nothing more). A submission
    /// is answered after <paramref name="onSubmit"/> (false: not answered). Each result's note is <paramref name="note"/> characters.
    /// </summary>
    private static Task<FakeService> NodeAsync(Func<HttpContext, Task<bool>>? beforeRest = null, Func<HttpContext, Task<bool>>? onSubmit = null,
        int firstPage = FirstPage, int note = 80) => FakeService.StartAsync(async c =>
    {
        var path = c.Request.Path.Value!;
        if (path == "/node/health") { await FakeService.Health(c, "node"); return; }
        if (path == $"/node/api/tenants/{Agency}/inquiry-batches" && c.Request.Method == "POST")
        {
            // The whole body read first, as the node binds it before it stores anything.
            await c.Request.Body.CopyToAsync(Stream.Null);
            if (onSubmit is null || await onSubmit(c)) await FakeService.Json(c, $$"""{"batchId":"{{BatchId}}"}""", 202);
            return;
        }
        if (path != $"/node/api/tenants/{Agency}/inquiry-batches/{BatchId}") { await FakeService.Json(c, """{"title":"not here"}""", 404); return; }
        var after = int.Parse(c.Request.Query["after"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
        if (after > 0 && beforeRest is not null && !await beforeRest(c)) return;
        var next = after == 0 ? firstPage : People;
        var results = string.Join(",", Enumerable.Range(after + 1, next - after).Select(p => ResultWithNote(p, note)));
        await FakeService.Json(c, $$"""
            {"batchId":"{{BatchId}}","status":"done","total":{{People}},"answered":{{People}},"counts":{"provided":{{People}}},"results":[{{results}}],"next":{{next}}}
            """);
    });
}
