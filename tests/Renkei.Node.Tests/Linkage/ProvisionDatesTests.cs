using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit S, S4: a provision request dated at DateTimeOffset's end had no retention date. The provider's node answered 500, and
/// the exception, thrown while the record writer drafted its batch, failed the group commit of other messages' records too.
/// </summary>
public class ProvisionDatesTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    [Theory, StorageData]
    public async Task A_provider_node_refuses_a_core_signed_request_dated_outside_the_staleness_window_and_records_nothing_of_it(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        await MovedFamily.ArrangeAsync(network);
        var kashiwa = network.NodeTenants.Find(K)!;
        var code = (await kashiwa.AgencyCodeOfAsync("K-0001"))!;
        var requester = network.NodeTenants.Find(B)!.Keys.Public.EncryptionKey;
        ProvisionRequest Request(DateTimeOffset requestedAt) => new(Envelope.NewId(), B, requester, "child-allowance", "local-tax", code, null, requestedAt);
        Task<HttpResponseMessage> Send(ProvisionRequest request) => network.SendProvisionRequestsAsync(K, [request]);

        // At DateTimeOffset's end a record has no retention date: that was a 500, failing other messages' records in the same commit.
        foreach (var requestedAt in new[] { DateTimeOffset.MaxValue, DateTimeOffset.MinValue, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddMinutes(10) })
            await ProblemAssert.IsProblemAsync(await Send(Request(requestedAt)), 400, "malformed-request");
        Assert.Equal(0L, await LinkageNetwork.CountAsync(kashiwa.Database));

        var reply = await LinkageNetwork.ReplyAsync(await Send(Request(DateTimeOffset.UtcNow)));
        Assert.Equal(Outcome.Provided, Assert.Single(reply.BodyAs<ProvisionAnswer>(RelayKinds.Provisions)!).Outcome);
        Assert.Equal(1L, await LinkageNetwork.CountAsync(kashiwa.Database));
    }

    [Theory, StorageData]
    public async Task A_record_the_log_cannot_date_is_refused_on_its_own_and_never_fails_the_group_commit_of_others(StorageProvider provider)
    {
        using var keys = PartyKeys.Generate();
        using var database = TestDatabases.CreateDatabase(provider);
        await database.MigrateAsync(typeof(NodeApp).Assembly);
        var log = new ProvisionLog(database, "122173", keys.Signing, 7, TimeProvider.System);
        static ProvisionEntry Entry(DateTimeOffset requestedAt) => new(Envelope.NewId(), requestedAt, null, "131059", "122173", "child-allowance", "local-tax",
            null, Outcome.NoData, "no-copy", false);
        Task Append(ProvisionEntry entry)
        {
            try { return log.AppendAllAsync([entry]); }
            catch (Exception e) { return Task.FromException(e); }
        }

        // The writer is held at the database, so that what is appended meanwhile is written in one batch.
        var held = await database.OpenAsync();
        var tx = await held.BeginTransactionAsync();
        await held.ExecuteAsync(provider == StorageProvider.Postgres ? "LOCK TABLE provision_records IN EXCLUSIVE MODE" : "CREATE TABLE hold_writes (x INTEGER)", tx);
        var first = Append(Entry(DateTimeOffset.UtcNow));
        var undatable = Append(Entry(DateTimeOffset.MaxValue));
        var second = Append(Entry(DateTimeOffset.UtcNow));
        await tx.RollbackAsync();
        await tx.DisposeAsync();
        await held.DisposeAsync();

        await first;
        await second;
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => undatable);
        Assert.Equal(2L, await LinkageNetwork.CountAsync(database));
        Assert.True((await log.CheckAsync()).Intact);
    }
}
