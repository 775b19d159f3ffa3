using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Invariant 6 at the provider's node: a provision request the core really sent, captured off the wire and sent again
/// byte for byte over mutual TLS with the core's own certificate, is refused as a replay, and the provider neither answers
/// it nor records a second provision.
/// </summary>
public class ProvisionReplayTests
{
    private const string K = LinkageNetwork.Kashiwa;

    [Theory, StorageData]
    public async Task A_captured_core_envelope_replayed_to_the_providers_node_is_refused_and_recorded_once(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        Assert.Equal("provided", (await family.AnswerAsync("bunkyo-child-clerk")).GetProperty("outcome").GetString());

        // The core's request to Kashiwa's node, as it went: "URI -> body".
        var marker = $"/api/tenants/{K}/provisions -> ";
        var sent = Assert.Single(network.Messages, m => m.Contains(marker, StringComparison.Ordinal));
        var body = sent[(sent.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..];
        Assert.Equal("core", JsonSerializer.Deserialize<Envelope>(body, ServiceDefaults.Json)!.Sender);
        var before = (Kashiwa: await LinkageNetwork.CountAsync(network.TenantDatabases[K]), Core: await LinkageNetwork.CountAsync(network.CoreDatabase));
        Assert.Equal(1L, before.Kashiwa);

        // Sent again as it was, by a client holding the core's certificate, and again: refused each time (a problem, no answer envelope).
        var asCore = network.Presenting(network.CoreCertificate, network.Node);
        for (var i = 0; i < 2; i++)
        {
            var replayed = await asCore.PostAsync($"api/tenants/{K}/provisions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            await ProblemAssert.IsProblemAsync(replayed, 401, "replayed-message");
        }
        Assert.Equal(before, (await LinkageNetwork.CountAsync(network.TenantDatabases[K]), await LinkageNetwork.CountAsync(network.CoreDatabase)));

        // The provider still answers the core's next, fresh request: the refusal cost nothing else.
        Assert.Equal("provided", (await family.AnswerAsync("bunkyo-child-clerk")).GetProperty("outcome").GetString());
        Assert.Equal(before.Kashiwa + 1, await LinkageNetwork.CountAsync(network.TenantDatabases[K]));
    }
}
