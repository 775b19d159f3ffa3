using System.Diagnostics;
using Renkei.Cli.Linkage;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>
/// inquire-batch stopped by one failure (the node gone) while --out's file cannot be put in place either: the failure that
/// stopped it is the one said, with where the batch stays, not replaced by the file's.
/// </summary>
public class InquireBatchKeepFailureTests
{
    private const string Agency = "131059", BatchId = "b1";
    private const int People = 40, FirstPage = 3;

    [Fact]
    public async Task The_node_gone_is_said_though_out_could_not_be_put_in_place()
    {
        using var inputs = new TempFolder();
        var results = inputs.File("results.jsonl");
        await using var node = await FakeService.StartAsync(async c =>
        {
            var path = c.Request.Path.Value!;
            if (path == "/node/health") { await FakeService.Health(c, "node"); return; }
            if (path == $"/node/api/tenants/{Agency}/inquiry-batches" && c.Request.Method == "POST")
            {
                await FakeService.Json(c, $$"""{"batchId":"{{BatchId}}"}""", 202);
                return;
            }
            var after = int.Parse(c.Request.Query["after"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            if (after > 0)
            {
                // A folder where --out's file goes: the file written so far cannot be moved there. Then the node goes away.
                Directory.CreateDirectory(Path.Combine(results, "in-the-way"));
                c.Abort();
                return;
            }
            var page = string.Join(",", Enumerable.Range(1, FirstPage).Select(i => $$"""{"position":{{i}},"addresseeNumber":"B-{{i}}","outcome":"provided"}"""));
            await FakeService.Json(c, $$"""
                {"batchId":"{{BatchId}}","status":"running","total":{{People}},"answered":{{FirstPage}},"counts":{"provided":{{FirstPage}}},"results":[{{page}}],"next":{{FirstPage}}}
                """);
        });
        var list = inputs.File("list.txt");
        await File.WriteAllLinesAsync(list, Enumerable.Range(1, People).Select(i => $"B-{i}"));
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "renkei.dll"), "node", "inquire-batch", "--node", $"{node.Url}node/",
            "--agency", Agency, "--affair", "child-allowance", "--provider", "122173", "--item", "local-tax", "--file", list, "--out", results])
            start.ArgumentList.Add(a);
        start.Environment["RENKEI_NODE_STAFF_TOKEN"] = "s";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var said = await process.StandardError.ReadToEndAsync();
        await output;
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(1, process.ExitCode);
        Assert.DoesNotContain("   at ", said);
        Assert.DoesNotContain("結果を書き出せませんでした", said);
        Assert.Contains("失敗しました / failed: 接続が切れました", said);
        // The file not put in place, the results are read on from the first.
        var batch = new Uri($"{node.Url}node/api/tenants/{Agency}/inquiry-batches/{BatchId}");
        Assert.Contains(InquireBatchCommand.StaysAt(BatchId, batch, 0, ownNetwork: false), said);
        Assert.Equal([Path.Combine(results, "in-the-way")], Directory.GetFileSystemEntries(results));
        Assert.Equal([list], Directory.GetFiles(inputs.Path));
    }
}
