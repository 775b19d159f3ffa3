using System.Data.Common;
using Microsoft.Extensions.Logging.Abstractions;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>Provision records past their retention lose the person's code, and nothing else of the log changes.</summary>
public class ErasureTests
{
    private static readonly DateTimeOffset NineYearsAgo = DateTimeOffset.UtcNow.AddYears(-9);

    private static ProvisionEntry Entry(string code, DateTimeOffset requestedAt) =>
        new(Envelope.NewId(), requestedAt, requestedAt, "131059", "122173", "child-allowance", "local-tax", code, Outcome.Provided, null, false);

    [Theory, StorageData]
    public async Task Records_past_their_retention_lose_their_codes_and_keep_their_place_in_the_chain_and_the_tree(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        var log = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        // Three records past seven years, one of today, and one past seven years again behind it (a batch answered late).
        var records = await log.AppendAllAsync([Entry("c1", NineYearsAgo), Entry("c2", NineYearsAgo), Entry("c3", NineYearsAgo),
            Entry("c4", DateTimeOffset.UtcNow), Entry("c5", NineYearsAgo)]);
        var before = await log.TreeHeadAsync();
        Assert.Null(await log.ErasureAsync());

        Assert.Equal(3, await log.EraseExpiredAsync());

        foreach (var code in new[] { "c1", "c2", "c3" }) Assert.Empty(await log.ListByCodeAsync(code));
        Assert.Single(await log.ListByCodeAsync("c4"));
        Assert.Single(await log.ListByCodeAsync("c5")); // behind a record still kept: it waits for it
        var erasure = (await log.ErasureAsync())!;
        Assert.Equal(3, erasure.Through);
        Assert.True(erasure.HasValidSignature(keys.Signing));
        var erased = (await log.ProveAsync(records[0].RecordId))!;
        Assert.NotNull(erased.Record.ErasedAt);
        Assert.Null(erased.Record.Code);
        // Everything but the code is as it was: the record still says who asked whom for what, and how it ended.
        Assert.Equal(records[0] with { Code = null }, erased.Record with { ErasedAt = null });
        Assert.False(erased.Verify(keys.Signing)); // what it said is no longer there to prove
        Assert.True((await log.ProveAsync(records[3].RecordId))!.Verify(keys.Signing));

        // The chain, the tree and every head kept before still hold.
        Assert.Equal(new LogCheck(true, null), await log.CheckAsync());
        var after = await log.TreeHeadAsync();
        Assert.Equal((before.Size, before.RootHash), (after.Size, after.RootHash));
        Assert.True((await log.ProveConsistencyAsync(before.Size))!.Verify(before, keys.Signing));

        // Nothing more is due; a log appended to afterwards goes on as before.
        Assert.Equal(0, await log.EraseExpiredAsync());
        await log.AppendAsync(Entry("c6", DateTimeOffset.UtcNow));
        Assert.Equal(new LogCheck(true, null), await log.CheckAsync());
    }

    [Theory, StorageData]
    public async Task The_database_allows_only_the_erasure_of_an_expired_records_code_and_the_check_wants_the_partys_signed_erasure(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        using var stranger = PartyKeys.Generate();
        var log = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        await log.AppendAllAsync([Entry("c1", NineYearsAgo), Entry("c2", DateTimeOffset.UtcNow), Entry("c3", NineYearsAgo)]);
        Assert.Equal(1, await log.EraseExpiredAsync());

        const string Now = "2099-01-01T00:00:00.0000000Z";
        await using var c = await database.OpenAsync();
        foreach (var sql in new[]
        {
            $"UPDATE provision_records SET code = NULL, erased_at = '{Now}' WHERE seq = 2", // still within its retention
            $"UPDATE provision_records SET code = NULL, erased_at = '{Now}', outcome = 'NoData' WHERE seq = 3", // more than the code
            $"UPDATE provision_records SET code = 'x', erased_at = '{Now}' WHERE seq = 3", // a code kept, or changed
            "UPDATE provision_records SET erased_at = NULL, code = 'c1' WHERE seq = 1", // an erasure taken back
            $"UPDATE provision_records SET erased_at = '{Now}' WHERE seq = 1", // an erased record erased again
            "DELETE FROM provision_records WHERE seq = 1",
        })
            Assert.Contains("append-only", (await Assert.ThrowsAnyAsync<DbException>(() => c.ExecuteAsync(sql))).Message);
        foreach (var sql in new[] { "UPDATE provision_erasures SET erased_through = 0", "DELETE FROM provision_erasures" })
            Assert.Contains("only moves forward", (await Assert.ThrowsAnyAsync<DbException>(() => c.ExecuteAsync(sql))).Message);
        Assert.Equal(new LogCheck(true, null), await log.CheckAsync());

        // The database lets anyone with write rights erase an expired code, but only the party's signature makes it an erasure.
        await c.ExecuteAsync($"UPDATE provision_records SET code = NULL, erased_at = '{Now}' WHERE seq = 3");
        var unsigned = await log.CheckAsync();
        Assert.Equal((false, 3L), (unsigned.Intact, unsigned.FirstBrokenSeq));
        Assert.Contains("outside the party's signed erasure", unsigned.Reason);

        // A statement signed by another key reaching that far counts for nothing, and then record 1's erasure is unsigned too.
        var forged = new SignedErasure("p", 3, DateTimeOffset.UtcNow, "");
        forged = forged with { Signature = Convert.ToBase64String(stranger.Signing.SignData(forged.SignedBytes(), System.Security.Cryptography.HashAlgorithmName.SHA256)) };
        await c.ExecuteAsync("UPDATE provision_erasures SET erased_through = 3, signature = @s", null, ("s", forged.Signature));
        Assert.Equal((false, 1L), ((await log.CheckAsync()).Intact, (await log.CheckAsync()).FirstBrokenSeq));
    }

    [Theory, StorageData]
    public async Task The_node_erases_at_start_and_answers_gone_for_the_proof_of_an_erased_record(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var tenant = network.NodeTenants.Find(LinkageNetwork.Kashiwa)!;
        var old = await tenant.Records.AppendAsync(Entry("K-code", NineYearsAgo));
        var kept = await tenant.Records.AppendAsync(Entry("K-code", DateTimeOffset.UtcNow));

        // The pass the node runs every Node:ErasureHours, here every 50 ms.
        var pass = new RecordErasure(() => [tenant.Records], TimeSpan.FromMilliseconds(50), TimeProvider.System, NullLogger<RecordErasure>.Instance);
        await pass.StartAsync(CancellationToken.None);
        try { await RenkeiCommand.WaitForAsync(async () => await tenant.Records.ErasureAsync(), TimeSpan.FromSeconds(30), "the erasure pass"); }
        finally { await pass.StopAsync(CancellationToken.None); }

        var auditor = network.NodeClient("kashiwa-auditor");
        await ProblemAssert.IsProblemAsync(await auditor.GetAsync($"api/tenants/{LinkageNetwork.Kashiwa}/records/{old.RecordId}/proof"), 410, "record-erased");
        Assert.True((await auditor.GetAsync($"api/tenants/{LinkageNetwork.Kashiwa}/records/{kept.RecordId}/proof")).IsSuccessStatusCode);
        var verify = await LinkageNetwork.Ensure(await auditor.GetAsync($"api/tenants/{LinkageNetwork.Kashiwa}/records/verify"));
        Assert.True(verify.GetProperty("intact").GetBoolean());
    }

    [Theory, StorageData]
    public async Task A_later_erasure_goes_on_from_where_the_last_stopped(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        var log = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        Assert.Equal(0, await log.EraseExpiredAsync()); // an empty log
        Assert.Null(await log.ErasureAsync());
        await log.AppendAllAsync([Entry("c1", NineYearsAgo), Entry("c2", NineYearsAgo)]);
        Assert.Equal(2, await log.EraseExpiredAsync());
        var records = await log.AppendAllAsync([Entry("c3", NineYearsAgo), Entry("c4", NineYearsAgo), Entry("c5", DateTimeOffset.UtcNow)]);
        Assert.Equal(2, await log.EraseExpiredAsync());
        Assert.Equal(4, (await log.ErasureAsync())!.Through);
        Assert.Equal(["c5"], (await log.ListByCodesAsync(["c1", "c2", "c3", "c4", "c5"])).Select(r => r.Code));
        Assert.Equal(records[2].RecordId, (await log.ListByCodeAsync("c5")).Single().RecordId);
        Assert.Equal(new LogCheck(true, null), await log.CheckAsync());
    }

    [Theory, StorageData]
    public async Task An_erasure_pass_set_to_zero_erases_nothing(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        var log = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        await log.AppendAsync(Entry("c1", NineYearsAgo));
        var pass = new RecordErasure(() => [log], TimeSpan.Zero, TimeProvider.System, NullLogger<RecordErasure>.Instance);
        await pass.StartAsync(CancellationToken.None);
        await Task.Delay(300);
        await pass.StopAsync(CancellationToken.None);
        Assert.Null(await log.ErasureAsync());
        Assert.Single(await log.ListByCodeAsync("c1"));
    }
}
