using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Renkei.Hosting;
using Renkei.Hosting.Tls;
using Renkei.Protocol;

namespace Renkei.Node.Tests;

/// <summary>
/// A misbehaving peer on loopback in place of the core or a provider's node: it answers every request with <c>answer</c>,
/// over TLS with <c>certificate</c> (one the network CA issued, so that the real services take it for the party it names)
/// or over plain http without one.
/// </summary>
public sealed class StubPeer : IAsyncDisposable
{
    private readonly WebApplication app;

    private StubPeer(WebApplication app) => this.app = app;

    public Uri Url => app.BaseAddress();

    public static async Task<StubPeer> StartAsync(RequestDelegate answer, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => { if (certificate is not null) listen.UseHttps(certificate); }));
        builder.Logging.ClearProviders();
        var peer = new StubPeer(builder.Build());
        peer.app.Run(answer);
        await peer.app.StartAsync();
        return peer;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>
/// A provider's node that is not ours: 千葉市 (<see cref="Agency"/>) at node-2, registered with the core with keys of its own, and
/// signing whatever <c>answer</c> gives for each provision request, as a faulty or compromised node might.
/// </summary>
public sealed class StubProviderNode : IAsyncDisposable
{
    public const string Agency = "121002";

    private readonly PartyKeys keys;
    private readonly X509Certificate2 certificate;
    private StubPeer? peer;

    private StubProviderNode(PartyKeys keys, X509Certificate2 certificate) => (this.keys, this.certificate) = (keys, certificate);

    public static async Task<StubProviderNode> StartAsync(LinkageNetwork network, Func<ProvisionRequest, ProvisionAnswer> answer)
    {
        var node = new StubProviderNode(PartyKeys.Generate(), network.Ca.Issue("node-2", NetworkIdentity.Node("node-2")!, "Renkei node node-2").Load());
        node.peer = await StubPeer.StartAsync(async context =>
        {
            var request = (await context.Request.ReadFromJsonAsync<Envelope>(ServiceDefaults.Json))!;
            var answers = request.BodyAs<ProvisionRequest>(RelayKinds.ProvisionRequests)!.Select(answer);
            await context.Response.WriteAsJsonAsync(Envelope.Create(Agency, "core", RelayKinds.Provisions, JsonSerializer.Serialize(answers, ServiceDefaults.Json),
                node.keys.Signing, TimeProvider.System, request.MessageId), ServiceDefaults.Json);
        }, node.certificate);
        await LinkageNetwork.Ensure(await network.CoreClient("operator-token").PutAsJsonAsync($"api/agencies/{Agency}", new
        {
            kind = "municipality", name = "千葉市", localGovernmentCode = Agency, nodeAddress = node.peer.Url.ToString(), nodeId = "node-2",
            signingKey = node.keys.Public.SigningKey, encryptionKey = node.keys.Public.EncryptionKey,
        }, ServiceDefaults.Json));
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        if (peer is not null) await peer.DisposeAsync();
        certificate.Dispose();
        keys.Dispose();
    }
}
