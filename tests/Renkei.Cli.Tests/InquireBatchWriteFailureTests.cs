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
    private static string Result(int position) =>
        $$$"""{"position":{{{position}}},"addresseeNumber":"B-{{{position}}}","outcome":"provided","content":{"totalIncome":{{{3_000_000 + position}}},"note":"{{{new string('x', 80)}}}"}}""";

    /// <summary>
    /// A node that accepts the batch and gives its results in two pages: the first <see cref="FirstPage"/>, then the rest, after
    /// <paramref name="beforeRest"/> (false: the node has answered, by an abort or otherwise, and gives nothing more).
    /// </summary>
    private static Task<FakeService> NodeAsync(Func<HttpContext, Task<bool>>? beforeRest = null) => FakeService.StartAsync(async c =>
    {
        var path = c.Request.Path.Value!;
        if (path == "/node/health") { await FakeService.Health(c, "node"); return; }
        if (path == $"/node/api/tenants/{Agency}/inquiry-batches" && c.Request.Method == "POST")
        {
            await FakeService.Json(c, $$"""{"batchId":"{{BatchId}}"}""", 202);
            return;
        }
        if (path != $"/node/api/tenants/{Agency}/inquiry-batches/{BatchId}") { await FakeService.Json(c, """{"title":"not here"}""", 404); return; }
        var after = int.Parse(c.Request.Query["after"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
        if (after > 0 && beforeRest is not null && !await beforeRest(c)) return;
        var next = after == 0 ? FirstPage : People;
        var results = string.Join(",", Enumerable.Range(after + 1, next - after).Select(Result));
        await FakeService.Json(c, $$"""
            {"batchId":"{{BatchId}}","status":"done","total":{{People}},"answered":{{People}},"counts":{"provided":{{People}}},"results":[{{results}}],"next":{{next}}}
            """);
    });
}
