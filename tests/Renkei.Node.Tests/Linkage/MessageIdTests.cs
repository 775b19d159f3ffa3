using System.Net.Http.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// An inquiry's message id is claimed whoever sends it (audit L, L4): the core refuses one another message carries or carried
/// within the staleness window, from any sender, and a provider's node one it received within that window, with nothing of
/// the message relayed, answered or recorded; the message's other ids stay free. The records name an inquiry by its
/// requester and message id together.
/// </summary>
public class MessageIdTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    private static int ProvisionRequestsTo(LinkageNetwork network, string tenant) =>
        network.Messages.Count(m => m.Contains($"/api/tenants/{tenant}/provisions -> ", StringComparison.Ordinal));

    [Theory, StorageData]
    public async Task A_provider_cannot_file_an_inquiry_of_its_own_under_the_id_of_one_it_was_asked(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        // Bunkyo asks Kashiwa: Kashiwa's node sees the inquiry's message id in the core's request.
        var asked = (await family.AnswerAsync("bunkyo-child-clerk")).GetProperty("messageId").GetString()!;
        var kashiwa = network.NodeTenants.Find(K)!;
        var code = (await kashiwa.AgencyCodeOfAsync("K-0001"))!;
        var before = (Core: await LinkageNetwork.CountAsync(network.CoreDatabase), Bunkyo: await LinkageNetwork.CountAsync(network.TenantDatabases[B]),
            Kashiwa: await LinkageNetwork.CountAsync(network.TenantDatabases[K]), Requests: ProvisionRequestsTo(network, B));

        // Kashiwa, signing as itself, files an inquiry of its own under that id, beside a new one: the message is refused whole.
        var fresh = new InquiryBody(Envelope.NewId(), code, "child-allowance", B, "local-tax", null);
        await ProblemAssert.IsProblemAsync(await network.SendInquiriesAsync([fresh, fresh with { MessageId = asked }], sender: K), 409, "reused-message-id");
        Assert.Equal(before, (await LinkageNetwork.CountAsync(network.CoreDatabase), await LinkageNetwork.CountAsync(network.TenantDatabases[B]),
            await LinkageNetwork.CountAsync(network.TenantDatabases[K]), ProvisionRequestsTo(network, B)));
        await using (var c = await network.CoreDatabase.OpenAsync())
            Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records WHERE message_id = @m", null, ("m", asked)));

        // The refusal cost only that message: its new id, sent again on its own, is relayed.
        var reply = (await (await network.SendInquiriesAsync([fresh], sender: K)).Content.ReadFromJsonAsync<Envelope>(ServiceDefaults.Json))!;
        Assert.Equal(fresh.MessageId, Assert.Single(reply.BodyAs<ProvisionAnswer>(RelayKinds.InquiryResults)!).MessageId);
        Assert.Equal(before.Core + 1, await LinkageNetwork.CountAsync(network.CoreDatabase));
        Assert.Equal(before.Requests + 1, ProvisionRequestsTo(network, B));
    }

    [Theory, StorageData]
    public async Task A_provider_node_refuses_a_core_signed_request_under_an_id_it_received_within_the_window(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        await MovedFamily.ArrangeAsync(network);
        var code = (await network.NodeTenants.Find(K)!.AgencyCodeOfAsync("K-0001"))!;
        var requester = network.NodeTenants.Find(B)!.Keys.Public.EncryptionKey;
        ProvisionRequest Request(string? id = null) => new(id ?? Envelope.NewId(), B, requester, "child-allowance", "local-tax", code, null, DateTimeOffset.UtcNow);
        Task<HttpResponseMessage> Send(params ProvisionRequest[] requests) => network.SendProvisionRequestsAsync(K, requests);

        var answered = Request();
        await LinkageNetwork.Ensure(await Send(answered));
        Assert.Equal(1L, await LinkageNetwork.CountAsync(network.TenantDatabases[K]));

        // Only the core's key signs these: a core that sends an answered id again, in a new message, is refused whole.
        var fresh = Request();
        await ProblemAssert.IsProblemAsync(await Send(fresh, Request(answered.MessageId)), 409, "reused-message-id");
        Assert.Equal(1L, await LinkageNetwork.CountAsync(network.TenantDatabases[K]));
        Assert.Contains(network.Logs.Lines, l => l.StartsWith("Warning Renkei.Node.Linkage.ProvisionsApi: Refused a provision request for tenant", StringComparison.Ordinal)
            && l.Contains("reused-message-id", StringComparison.Ordinal));

        // The refused message's new id is still free.
        await LinkageNetwork.Ensure(await Send(fresh));
        Assert.Equal(2L, await LinkageNetwork.CountAsync(network.TenantDatabases[K]));
    }
}
