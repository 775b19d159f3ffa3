using System.Net;
using System.Net.Http.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit C, finding 1: 1 is the Corporate Number check digit of 123456789018, so <c>1123456789018</c> is an agency id of the
/// right form that names nobody. Where the node records an inquiry without the core's answer about it, it kept those 13
/// digits as the provider; now it records a provider as given only if the core's agency list names it.
/// </summary>
public class UnknownProviderTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;
    private const string Slipped = "1123456789018", Number = "23456789018";

    private static async Task<HttpResponseMessage> AskAsync(LinkageNetwork network, string clerk, string addressee, string provider) =>
        await network.NodeClient(clerk).PostAsJsonAsync($"api/tenants/{B}/inquiries",
            new { addresseeNumber = addressee, affair = "child-allowance", provider, item = "local-tax" }, ServiceDefaults.Json);

    private static async Task<HttpResponseMessage> SubmitAsync(LinkageNetwork network, string caller, string provider, params string[] addressees) =>
        await network.NodeClient(caller).PostAsJsonAsync($"api/tenants/{B}/inquiry-batches",
            new { affair = "child-allowance", provider, item = "local-tax", addresseeNumbers = addressees }, ServiceDefaults.Json);

    /// <summary>The requester's provider and reason of each of its records, in order.</summary>
    private static async Task<List<string>> RecordsAsync(LinkageNetwork network)
    {
        await using var c = await network.TenantDatabases[B].OpenAsync();
        return await c.QueryAsync("SELECT provider, reason FROM provision_records ORDER BY seq", r => $"{r.GetString(0)}|{r.GetString(1)}");
    }

    private static async Task AssertNowhereAsync(LinkageNetwork network, bool core = true)
    {
        Assert.DoesNotContain(Number, await LinkageNetwork.DumpAsync(network.TenantDatabases[B]));
        if (core) Assert.DoesNotContain(Number, await LinkageNetwork.DumpAsync(network.CoreDatabase));
    }

    [Theory, StorageData]
    public async Task Inquiries_the_node_refuses_before_the_core_record_an_unregistered_provider_as_unknown_and_a_registered_one_by_its_id(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        await MovedFamily.ArrangeAsync(network);
        foreach (var p in new[] { Slipped, K })
        {
            // Not assigned the affair: refused by the prefix check. No code for B-9999: nothing can be sent.
            await ProblemAssert.IsProblemAsync(await AskAsync(network, "bunkyo-vaccination-clerk", "B-0001", p), 403, "affair-not-assigned");
            await ProblemAssert.IsProblemAsync(await AskAsync(network, "bunkyo-child-clerk", "B-9999", p), 404, "no-agency-code");
        }
        Assert.Equal([$"{RelayKinds.UnknownProvider}|affair-not-assigned", $"{RelayKinds.UnknownProvider}|no-agency-code", $"{K}|affair-not-assigned", $"{K}|no-agency-code"],
            await RecordsAsync(network));
        await AssertNowhereAsync(network);
    }

    [Theory, StorageData]
    public async Task A_batch_for_an_unregistered_provider_is_refused_without_storing_it_and_its_refused_records_say_unknown(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 1, atKashiwa: 1, withCopy: 0);

        // Not assigned the affair: refused at once, one record per person, the provider unknown.
        await ProblemAssert.IsProblemAsync(await SubmitAsync(network, "bunkyo-vaccination-clerk", Slipped, "B-1", "B-9999"), 403, "affair-not-assigned");
        // Assigned: the core has no such agency, so the batch is refused naming the field, not the value, and nothing is stored.
        var refused = await SubmitAsync(network, "bunkyo-child-system", Slipped, "B-1", "B-9999");
        var problem = await ProblemAssert.IsProblemAsync(refused, 400, RelayKinds.UnknownProviderReason);
        Assert.True(problem.GetProperty("errors").TryGetProperty("provider", out _), problem.ToString());
        Assert.DoesNotContain(Number, problem.ToString());
        await using (var c = await network.TenantDatabases[B].OpenAsync())
            Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM inquiry_batches"));

        // A registered provider: stored, asked, and B-9999 without a code recorded by the provider's id.
        var accepted = await SubmitAsync(network, "bunkyo-child-system", K, "B-1", "B-9999");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var done = await people.DoneAsync((await LinkageNetwork.Ensure(accepted)).GetProperty("batchId").GetString()!, "bunkyo-child-system");
        Assert.Equal(K, done.GetProperty("provider").GetString());
        // The batch's inquiries run in parallel: their records in any order.
        Assert.Equal([$"{K}|no-agency-code", $"{K}|no-copy", $"{RelayKinds.UnknownProvider}|affair-not-assigned", $"{RelayKinds.UnknownProvider}|affair-not-assigned"],
            (await RecordsAsync(network)).Order(StringComparer.Ordinal));
        await AssertNowhereAsync(network);
    }

    [Theory, StorageData]
    public async Task With_the_core_down_the_node_records_an_unregistered_provider_as_unknown_and_a_registered_one_by_its_id(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        await MovedFamily.ArrangeAsync(network);
        // The node read the core's list while the core was up (a refusal before the core needs it).
        await ProblemAssert.IsProblemAsync(await AskAsync(network, "bunkyo-vaccination-clerk", "B-0001", K), 403, "affair-not-assigned");
        await network.StopCoreAsync();

        foreach (var (p, recorded) in new[] { (Slipped, RelayKinds.UnknownProvider), (K, K) })
        {
            var answer = await LinkageNetwork.Ensure(await AskAsync(network, "bunkyo-child-clerk", "B-0001", p));
            Assert.Equal(("error", "core-unreachable", recorded),
                (answer.GetProperty("outcome").GetString(), answer.GetProperty("reason").GetString(), answer.GetProperty("provider").GetString()));
        }
        Assert.Equal([$"{K}|affair-not-assigned", $"{RelayKinds.UnknownProvider}|core-unreachable", $"{K}|core-unreachable"], await RecordsAsync(network));
        // A batch for an id the node cannot check is refused, and not stored.
        var refused = await SubmitAsync(network, "bunkyo-child-system", Slipped, "B-0001");
        Assert.Contains((int)refused.StatusCode, new[] { 400, 503 });
        await AssertNowhereAsync(network, core: false);
    }
}
