using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Renkei.Hosting;

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
