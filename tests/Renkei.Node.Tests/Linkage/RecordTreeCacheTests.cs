using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit F, finding 9: a whole subtree read over a gap kept its first block of 1,024 leaves, shifted by the missing record,
/// before it found the gap, and the wrong hash outlived the records' restore until the service restarted.
/// </summary>
public class RecordTreeCacheTests
{
    [Theory, StorageData]
    public async Task A_gap_in_the_middle_leaves_nothing_wrong_kept_once_the_record_is_restored(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider, configureNode: b => b.Configuration["Node:ErasureHours"] = "0");
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        var writer = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        var records = new List<ProvisionRecord>();
        for (var done = 0; done < 2048; done += ProvisionLog.MaxBatch)
            records.AddRange(await writer.AppendAllAsync([.. Enumerable.Range(done, Math.Min(ProvisionLog.MaxBatch, 2048 - done)).Select(i =>
                new ProvisionEntry(Envelope.NewId(), DateTimeOffset.UtcNow, null, "131059", "122173", "child-allowance", "local-tax", $"code-{i}", Outcome.NoData, "no-copy", false))]));

        await using var c = await database.OpenAsync();
        await InquiryTests.LiftAppendOnlyGuardAsync(c, provider);
        await c.ExecuteAsync("CREATE TABLE saved_record AS SELECT * FROM provision_records WHERE seq = 500");
        await c.ExecuteAsync("DELETE FROM provision_records WHERE seq = 500");
        // A service that had kept nothing yet (started after the records went) reads the first 2,048 leaves whole.
        var log = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        await Assert.ThrowsAsync<MissingRecordsException>(() => log.TreeHeadAsync());

        // Restored from a backup: the same service proves and roots the log as it is.
        await c.ExecuteAsync("INSERT INTO provision_records SELECT * FROM saved_record");
        Assert.True((await log.ProveAsync(records[1499].RecordId))!.Verify(keys.Signing)); // its path holds the first block's hash
        Assert.Equal(Convert.ToHexStringLower(RecordTree.Root([.. records.Select(r => RecordTree.Leaf(r.ContentHash))])), (await log.TreeHeadAsync()).RootHash);
    }
}
