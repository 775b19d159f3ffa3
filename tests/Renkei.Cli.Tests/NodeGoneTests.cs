using System.Text;
using Microsoft.AspNetCore.Http;
using Renkei.Cli.Linkage;
using Renkei.Cli.Network;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>
/// Audit W5: the node of a running network dies under inquire-batch or import-copies. Each says, Japanese first, what stays
/// and how to go on, not .NET's English message alone.
/// </summary>
public class NodeGoneTests
{
    private const string Agency = "131016", BatchId = "0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task Inquire_batch_that_loses_the_node_says_the_batch_stays_there_and_where_to_read_the_rest()
    {
        using var data = new TempFolder();
        SandboxCallers.LoadOrCreate(Path.Combine(data.Path, "node", "callers.json"), [($"{Agency}-child-allowance", [$"tenant:{Agency}", "affair:child-allowance"])]);
        var pages = 0;
        await using var network = await FakeNetwork.StartAsync(data.Path, c =>
        {
            if (c.Request.Method == "POST")
                return FakeService.Json(c, $$"""{"batchId":"{{BatchId}}","status":"pending","total":2,"answered":0,"counts":{},"results":[],"next":0}""", 202);
            // The first page has one of the two people; then the node is gone.
            if (Interlocked.Increment(ref pages) > 1) { c.Abort(); return Task.CompletedTask; }
            return FakeService.Json(c, $$"""
                {"batchId":"{{BatchId}}","status":"running","total":2,"answered":1,"counts":{"provided":1},
                 "results":[{"position":1,"addresseeNumber":"B-1","outcome":"provided"}],"next":1}
                """);
        });
        await File.WriteAllTextAsync(data.File("list.txt"), "B-1\nB-2\n");

        var result = await RenkeiCommand.RunAsync("node", "inquire-batch", "--data", data.Path, "--agency", Agency, "--affair", "child-allowance",
            "--provider", "122173", "--item", "local-tax", "--file", data.File("list.txt"));

        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.Lines); // the result that arrived is written
        var batch = $"{network.Url}api/tenants/{Agency}/inquiry-batches/{BatchId}";
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.StartsWith("失敗しました / failed: 接続が切れました / the connection was lost (", lines[^2]);
        Assert.Equal($"結果 1 件を書き出しました。一括照会 {BatchId} は中間サーバーに残り、中間サーバーが動いていれば続きます。残りの結果は {batch}?after=1 で読めます（担当者のトークンで）/ "
            + $"1 results written; the batch stays at the node and goes on whenever the node runs: read the rest at {batch}?after=1 with the staff token", lines[^1]);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.DoesNotContain("An error occurred while sending the request", result.Error);
    }

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    [InlineData(401)]
    public async Task Inquire_batch_refused_while_followed_still_says_where_the_batch_stays(int status)
    {
        // Review: only a node gone said it; a node refusing to be read (busy, failing, a token revoked) left the batch unsaid.
        using var data = new TempFolder();
        SandboxCallers.LoadOrCreate(Path.Combine(data.Path, "node", "callers.json"), [($"{Agency}-child-allowance", [$"tenant:{Agency}", "affair:child-allowance"])]);
        await using var network = await FakeNetwork.StartAsync(data.Path, c => c.Request.Method == "POST"
            ? FakeService.Json(c, $$"""{"batchId":"{{BatchId}}","status":"pending","total":2,"answered":0,"counts":{},"results":[],"next":0}""", 202)
            : FakeService.Json(c, """{"title":"中間サーバーが混み合っています / The node is busy"}""", status));
        await File.WriteAllTextAsync(data.File("list.txt"), "B-1\nB-2\n");

        var result = await RenkeiCommand.RunAsync("node", "inquire-batch", "--data", data.Path, "--agency", Agency, "--affair", "child-allowance",
            "--provider", "122173", "--item", "local-tax", "--file", data.File("list.txt"));

        Assert.Equal(1, result.ExitCode);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal($"失敗しました / failed: {status} 中間サーバーが混み合っています / The node is busy", lines[^2]);
        Assert.StartsWith($"結果 0 件を書き出しました。一括照会 {BatchId} は中間サーバーに残り", lines[^1]);
        Assert.Contains($"api/tenants/{Agency}/inquiry-batches/{BatchId}?after=0", lines[^1]);
    }

    [Fact]
    public void A_batch_left_on_a_network_of_the_commands_own_is_not_sent_to_the_port_that_died_with_it()
    {
        // Audit Y6: it named https://127.0.0.1:41873/…, the passing port of the command's own node.
        var text = InquireBatchCommand.StaysAt("id", new Uri("https://127.0.0.1:41873/api/tenants/a/inquiry-batches/id"), 3, ownNetwork: true);
        Assert.DoesNotContain(":41873", text);
        Assert.DoesNotContain("127.0.0.1", text);
        Assert.Contains("network.json が示す中間サーバーの api/tenants/a/inquiry-batches/id?after=3 で読めます", text);
        Assert.Contains("read the rest then at api/tenants/a/inquiry-batches/id?after=3 on the node its network.json names", text);
    }

    [Fact]
    public async Task Import_copies_that_loses_the_node_stops_as_an_interruption_says_so_in_Japanese_first_and_where_to_go_on()
    {
        using var data = new TempFolder();
        SandboxCallers.LoadOrCreate(Path.Combine(data.Path, "node", "callers.json"), [($"{Agency}-copies", [$"tenant:{Agency}"])]);
        var chunks = 0;
        await using var network = await FakeNetwork.StartAsync(data.Path, c =>
        {
            // The first chunk of 1,000 rows is stored; then the node is gone.
            if (Interlocked.Increment(ref chunks) > 1) { c.Abort(); return Task.CompletedTask; }
            return FakeService.Json(c, """{"imported":1000,"errors":[]}""");
        });
        var rows = new StringBuilder();
        for (var i = 1; i <= 1_500; i++) rows.Append($$$"""{"addresseeNumber":"A-{{{i}}}","item":"local-tax","schemaVersion":1,"content":{"fiscalYear":2025}}""").Append('\n');
        await File.WriteAllTextAsync(data.File("copies.jsonl"), rows.ToString());

        var result = await RenkeiCommand.RunAsync("node", "import-copies", "--data", data.Path, "--agency", Agency, "--file", data.File("copies.jsonl"));

        // README: "Ctrl+C or SIGTERM (or a node that goes away) stops it after the chunk on its way and says from which line to send again (exit 130)".
        Assert.True(result.ExitCode == 130, result.Output + result.Error);
        Assert.Contains("中断しました。中間サーバーとの接続が切れました / stopped: the node went away: 接続が切れました / the connection was lost (", result.Error);
        Assert.Contains("1,001行目から送り直してください", result.Error);
        Assert.Contains("copies imported: 1,000", result.Output);
        Assert.DoesNotContain("An error occurred while sending the request", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Fact]
    public async Task Release_code_that_loses_the_node_says_why_in_Japanese_first()
    {
        // Review: without --node, it printed .NET's "An error occurred while sending the request." alone.
        using var data = new TempFolder();
        SandboxCallers.LoadOrCreate(Path.Combine(data.Path, "node", "callers.json"), [($"{Agency}-addressee", [$"tenant:{Agency}"])]);
        await using var network = await FakeNetwork.StartAsync(data.Path, c => { c.Abort(); return Task.CompletedTask; });

        var released = await RenkeiCommand.RunAsync("node", "release-code", "--data", data.Path, "--agency", Agency, "--addressee", "B-1", "--yes");
        Assert.True(released.ExitCode == 1, released.Output + released.Error);
        var line = Assert.Single(released.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("失敗しました / failed: 接続が切れました / the connection was lost (", line);
        Assert.Equal("", released.Output);
    }

    [Fact]
    public async Task Release_code_for_an_agency_the_node_does_not_know_says_so_once_not_for_every_addressee()
    {
        using var data = new TempFolder();
        SandboxCallers.LoadOrCreate(Path.Combine(data.Path, "node", "callers.json"), [($"{Agency}-addressee", [$"tenant:{Agency}"])]);
        await using var network = await FakeNetwork.StartAsync(data.Path, c => FakeService.Json(c, """{"title":"no such tenant"}""", 404));

        var released = await RenkeiCommand.RunAsync("node", "release-code", "--data", data.Path, "--agency", Agency, "--addressee", "B-1", "--addressee", "B-2", "--yes");
        Assert.True(released.ExitCode == 1, released.Output + released.Error);
        Assert.Equal([$"失敗しました / failed: 中間サーバーが受け付けませんでした / the node refused api/tenants/{Agency}/addressees/B-1/release: 404 no such tenant"],
            released.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // The second addressee is not asked: the first refusal holds for all.
        Assert.DoesNotContain(network.Asked, a => a.Contains("B-2", StringComparison.Ordinal));
    }
}
