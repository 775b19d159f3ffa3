using Microsoft.AspNetCore.Http;
using Renkei.Cli.Linkage;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>
/// Audit 20c §6: a batch submitted is the node's, so a write of its results that fails on this machine (a full disk, standard
/// output on a full device) says where the batch stays and from which result to read on, and --out keeps the whole lines written.
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

    /// <summary>Runs inquire-batch against <paramref name="node"/> through sh, for what a shell sets up (a redirection, a limit).</summary>
    private static async Task<(int Exit, string Error)> RunAsync(TempFolder inputs, FakeService node, string redirect, string[] more, string before = "")
    {
        var list = inputs.File("list.txt");
        await File.WriteAllLinesAsync(list, Enumerable.Range(1, People).Select(i => $"B-{i}"));
        string[] args = ["node", "inquire-batch", "--node", $"{node.Url}node/", "--agency", Agency, "--affair", "child-allowance", "--provider", "122173",
            "--item", "local-tax", "--file", list, .. more];
        var run = await RenkeiCommand.RunAsync(args, stdin: null, TimeSpan.FromMinutes(1), environment: new Dictionary<string, string> { ["RENKEI_NODE_STAFF_TOKEN"] = "s" },
            launcher: RenkeiCommand.Shell(before, redirect));
        return (run.ExitCode, run.Error);
    }

    private static Uri BatchAt(FakeService node) => new($"{node.Url}node/api/tenants/{Agency}/inquiry-batches/{BatchId}");

    /// <summary>One result as the node gives it, some 150 bytes: the second page is tens of kilobytes.</summary>
    private static string Result(int position) =>
        $$$"""{"position":{{{position}}},"addresseeNumber":"B-{{{position}}}","outcome":"provided","content":{"totalIncome":{{{3_000_000 + position}}},"note":"{{{new string('x', 80)}}}"}}""";

    /// <summary>A node that accepts the batch and gives its results in two pages: the first <see cref="FirstPage"/>, then the rest.</summary>
    private static Task<FakeService> NodeAsync() => FakeService.StartAsync(c =>
    {
        var path = c.Request.Path.Value!;
        if (path == "/node/health") return FakeService.Health(c, "node");
        if (path == $"/node/api/tenants/{Agency}/inquiry-batches" && c.Request.Method == "POST")
            return FakeService.Json(c, $$"""{"batchId":"{{BatchId}}"}""", 202);
        if (path != $"/node/api/tenants/{Agency}/inquiry-batches/{BatchId}") return FakeService.Json(c, """{"title":"not here"}""", 404);
        var after = int.Parse(c.Request.Query["after"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
        var next = after == 0 ? FirstPage : People;
        var results = string.Join(",", Enumerable.Range(after + 1, next - after).Select(Result));
        return FakeService.Json(c, $$"""
            {"batchId":"{{BatchId}}","status":"done","total":{{People}},"answered":{{People}},"counts":{"provided":{{People}}},"results":[{{results}}],"next":{{next}}}
            """);
    });
}
