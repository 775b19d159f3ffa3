using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit S, S2: an envelope's message id and nonce were taken as any text of any length. The core logged the message id whole
/// (a name, a date of birth and an address in the audit) and signed it onward to the provider; a nonce of 10,000 characters
/// made a replay-cache entry of that size. Both must have the form every honest sender draws, checked before anything else.
/// </summary>
public class EnvelopeFormTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;
    private const string Particulars = "山田太郎 1985-04-01 千葉市中央区 ";

    private static IEnumerable<(string MessageId, string Nonce)> Misshapen()
    {
        var id = Envelope.NewId;
        yield return (Particulars + new string('X', 3000), id());
        yield return (new string('m', 10_000), id());
        yield return (id().ToUpperInvariant(), id());
        yield return (id()[..31], id());
        yield return (id(), "");
        yield return (id(), new string('n', 10_000));
        yield return (id(), Particulars + id());
    }

    private static void AssertNothingLogged(LinkageNetwork network) => Assert.DoesNotContain(network.Logs.Lines, l =>
        l.Contains("山田", StringComparison.Ordinal) || l.Contains("XXXXXXXXXX", StringComparison.Ordinal)
        || l.Contains("mmmmmmmmmm", StringComparison.Ordinal) || l.Contains("nnnnnnnnnn", StringComparison.Ordinal));

    [Theory, StorageData]
    public async Task The_core_refuses_an_envelope_whose_message_id_or_nonce_is_not_32_hex_digits_before_logging_or_relaying_it(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        var bunkyo = network.NodeTenants.Find(B)!;
        var code = (await bunkyo.AgencyCodeOfAsync("B-0001"))!;
        // An inquiry id already relayed: the core's 409 for it logged the envelope's message id whole.
        var used = (await family.AnswerAsync("bunkyo-child-clerk")).GetProperty("messageId").GetString()!;
        var before = (Core: await LinkageNetwork.CountAsync(network.CoreDatabase), Kashiwa: await LinkageNetwork.CountAsync(network.TenantDatabases[K]));
        Task<HttpResponseMessage> Send(string messageId, string nonce, string inquiryId) => network.SendAsync(network.Core, "api/relay/inquiries",
            RelayByHand.Signed(B, "core", RelayKinds.Inquiries, JsonSerializer.Serialize(new[] { new InquiryBody(inquiryId, code, "child-allowance", K, "local-tax", null) },
                ServiceDefaults.Json), bunkyo.Keys.Signing, messageId, nonce));

        foreach (var (messageId, nonce) in Misshapen())
        {
            await ProblemAssert.IsProblemAsync(await Send(messageId, nonce, Envelope.NewId()), 400, "malformed-message");
            await ProblemAssert.IsProblemAsync(await Send(messageId, nonce, used), 400, "malformed-message");
        }
        Assert.Equal(before, (await LinkageNetwork.CountAsync(network.CoreDatabase), await LinkageNetwork.CountAsync(network.TenantDatabases[K])));
        AssertNothingLogged(network);

        // The same message with ids of the form is relayed.
        var relayed = await Send(Envelope.NewId(), Envelope.NewId(), Envelope.NewId());
        Assert.Equal(200, (int)relayed.StatusCode);
        Assert.Equal((before.Core + 1, before.Kashiwa + 1), (await LinkageNetwork.CountAsync(network.CoreDatabase), await LinkageNetwork.CountAsync(network.TenantDatabases[K])));
    }

    [Theory, StorageData]
    public async Task A_provider_node_refuses_a_core_signed_envelope_whose_message_id_or_nonce_is_not_32_hex_digits(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        await MovedFamily.ArrangeAsync(network);
        var code = (await network.NodeTenants.Find(K)!.AgencyCodeOfAsync("K-0001"))!;
        var requester = network.NodeTenants.Find(B)!.Keys.Public.EncryptionKey;
        Task<HttpResponseMessage> Send(string messageId, string nonce) => network.SendAsync(network.Node, $"api/tenants/{K}/provisions",
            RelayByHand.Signed("core", K, RelayKinds.ProvisionRequests, JsonSerializer.Serialize(new[] { new ProvisionRequest(Envelope.NewId(), B, requester,
                "child-allowance", "local-tax", code, null, DateTimeOffset.UtcNow) }, ServiceDefaults.Json), network.CoreKeys.Signing, messageId, nonce));

        foreach (var (messageId, nonce) in Misshapen())
            await ProblemAssert.IsProblemAsync(await Send(messageId, nonce), 400, "malformed-message");
        Assert.Equal(0L, await LinkageNetwork.CountAsync(network.TenantDatabases[K]));
        AssertNothingLogged(network);

        Assert.Equal(200, (int)(await Send(Envelope.NewId(), Envelope.NewId())).StatusCode);
        Assert.Equal(1L, await LinkageNetwork.CountAsync(network.TenantDatabases[K]));
    }
}
