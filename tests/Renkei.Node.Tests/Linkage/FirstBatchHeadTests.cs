using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit J, J7: /head and the tree heads read the head and then the records in two statements, so a log's first batch
/// committing between them read as records without a head, and a healthy log was answered 409 head-not-reached.
/// </summary>
public class FirstBatchHeadTests
{
    [Theory, StorageData]
    public async Task A_log_read_while_its_first_batch_commits_is_never_said_to_have_lost_its_head(StorageProvider provider)
    {
        using var keys = PartyKeys.Generate();
        // Racy by nature: each round is a new log whose first batch commits while another instance reads its heads in a loop.
        for (var round = 0; round < 20; round++)
        {
            using var database = TestDatabases.CreateDatabase(provider);
            await database.MigrateAsync(typeof(NodeApp).Assembly);
            var writer = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
            var reader = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
            using var stop = new CancellationTokenSource();
            var reads = 0;
            var reading = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await reader.HeadAsync();
                    await reader.TreeHeadAsync();
                    Interlocked.Increment(ref reads);
                }
            });
            while (Volatile.Read(ref reads) < 2 && !reading.IsCompleted) await Task.Delay(1);
            var first = await writer.AppendAllAsync([.. Enumerable.Range(0, 20).Select(i => new ProvisionEntry(Envelope.NewId(), DateTimeOffset.UtcNow, null,
                "131059", "122173", "child-allowance", "local-tax", $"code-{i}", Outcome.NoData, "no-copy", false))]);
            var after = Volatile.Read(ref reads);
            while (Volatile.Read(ref reads) < after + 2 && !reading.IsCompleted) await Task.Delay(1);
            await stop.CancelAsync();
            await reading; // a HeadNotReachedException surfaces here
            Assert.Equal(first[^1].ChainHash, (await reader.HeadAsync()).ChainHash);
        }
    }
}
