using System.Diagnostics;
using Renkei.Cli.Linkage;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>
/// inquire-batch writing its results into a pipe whose reader went away (<c>… | head -1</c>): the console's stream dropped the
/// writes without a word, so the command counted results nobody got, said done and exited 0. It says where the batch stays instead.
/// </summary>
public class InquireBatchClosedPipeTests
{
    private const string Agency = "131059", BatchId = "b1";
    private const int People = 40, FirstPage = 3;

    [Fact]
    public async Task A_reader_gone_is_a_failed_write_that_says_from_which_result_to_read_on()
    {
        using var inputs = new TempFolder();
        // The second page is given only once the reader is gone, so that it cannot sit in the pipe's buffer before.
        var readerGone = new TaskCompletionSource();
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
            if (after > 0) await readerGone.Task;
            var next = after == 0 ? FirstPage : People;
            var results = string.Join(",", Enumerable.Range(after + 1, next - after).Select(i =>
                $$$"""{"position":{{{i}}},"addresseeNumber":"B-{{{i}}}","outcome":"provided","content":{"totalIncome":{{{3_000_000 + i}}}}}"""));
            await FakeService.Json(c, $$"""
                {"batchId":"{{BatchId}}","status":"done","total":{{People}},"answered":{{People}},"counts":{"provided":{{People}}},"results":[{{results}}],"next":{{next}}}
                """);
        });
        var list = inputs.File("list.txt");
        await File.WriteAllLinesAsync(list, Enumerable.Range(1, People).Select(i => $"B-{i}"));
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "renkei.dll"), "node", "inquire-batch", "--node", $"{node.Url}node/",
            "--agency", Agency, "--affair", "child-allowance", "--provider", "122173", "--item", "local-tax", "--file", list])
            start.ArgumentList.Add(a);
        start.Environment["RENKEI_NODE_STAFF_TOKEN"] = "s";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();

        // As `head -c 1` does: one byte of the first page read, then the pipe closed.
        Assert.NotEqual(-1, process.StandardOutput.BaseStream.ReadByte());
        process.StandardOutput.Close();
        readerGone.SetResult();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));

        var said = await error;
        Assert.Equal(1, process.ExitCode);
        Assert.DoesNotContain("完了 / done", said);
        Assert.DoesNotContain("   at ", said);
        Assert.Contains("結果を書き出せませんでした（読み手が閉じました）/ could not write the results: the reader has gone", said);
        var batch = new Uri($"{node.Url}node/api/tenants/{Agency}/inquiry-batches/{BatchId}");
        Assert.Contains(InquireBatchCommand.StaysAt(BatchId, batch, FirstPage, ownNetwork: false), said);
    }
}
