using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit F, finding 8: the core checked a tenant's head against the latest it witnessed and stored it after, with nothing
/// between: two heads sent at once, forked from each other, could both be checked against the same latest and both kept.
/// </summary>
public class WitnessRaceTests
{
    private const string K = LinkageNetwork.Kashiwa;

    [Theory, StorageData]
    public async Task Two_forked_heads_sent_at_once_are_not_both_witnessed(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider,
            configureNode: b => (b.Configuration["Node:ErasureHours"], b.Configuration["Node:WitnessSeconds"]) = ("0", "0"));
        var keys = network.NodeTenants.Find(K)!.Keys;
        // Two logs of Kashiwa's, each signed with its key, that share nothing: a fork from the first record on.
        ProvisionEntry Entry(int i) => new(Envelope.NewId(), DateTimeOffset.UtcNow, null, K, "122173", "child-allowance", "local-tax", $"code-{i}", Outcome.NoData, "no-copy", false);
        var one = new ProvisionLog(network.TenantDatabases[LinkageNetwork.PensionService], K, keys.Signing, 7, TimeProvider.System);
        var other = new ProvisionLog(network.TenantDatabases[LinkageNetwork.Bunkyo], K, keys.Signing, 7, TimeProvider.System);
        await one.AppendAllAsync([.. Enumerable.Range(0, 3).Select(Entry)]);
        await other.AppendAllAsync([.. Enumerable.Range(0, 4).Select(Entry)]);
        var proofs = new[] { (await one.ProveConsistencyAsync(3))!, (await other.ProveConsistencyAsync(4))! };
        var asNode = network.Presenting(network.NodeCertificate, network.Core);

        await using var c = await network.CoreDatabase.OpenAsync();
        for (var round = 0; round < 30; round++)
        {
            await c.ExecuteAsync("DELETE FROM witnessed_heads WHERE party = @p", null, ("p", K));
            var sent = await Task.WhenAll(proofs.Select(p => asNode.PostAsJsonAsync("api/witness",
                Envelope.Create(K, "core", ConsistencyProof.MessageKind, JsonSerializer.Serialize(p, ServiceDefaults.Json), keys.Signing, TimeProvider.System),
                ServiceDefaults.Json)));
            // Whichever came first is kept; the other does not extend it.
            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], sent.Select(r => r.StatusCode).Order());
            Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM witnessed_heads WHERE party = @p", null, ("p", K)));
        }
    }
}
