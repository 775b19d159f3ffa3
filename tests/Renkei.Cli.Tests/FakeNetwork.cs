using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Renkei.Cli.Network;
using Renkei.Hosting;
using Renkei.Hosting.Tls;

namespace Renkei.Cli.Tests;

/// <summary>
/// A network "running" in a data folder as a command finds one: network.json names one TLS server under the folder's network
/// CA for the Registry (whose /health it answers), the core, the node and the PKI, unless <c>elsewhere</c> names another URL
/// for one of them; every other request is <c>answer</c>'s. It keeps what it was asked, as <see cref="FakeService"/> does. It holds
/// the folder's network lock, as renkei up does: a command whose health check is slow on a loaded machine waits for it rather
/// than start a network of its own there.
/// </summary>
internal sealed class FakeNetwork : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly FileStream folderLock;

    private FakeNetwork(WebApplication app, FileStream folderLock) => (this.app, this.folderLock) = (app, folderLock);

    public System.Collections.Concurrent.ConcurrentQueue<string> Asked { get; } = new();

    public Uri Url => app.BaseAddress();

    public static async Task<FakeNetwork> StartAsync(string data, Func<HttpContext, Task> answer, IReadOnlyDictionary<string, string>? elsewhere = null)
    {
        using var ca = NetworkCa.LoadOrCreate(Path.Combine(data, "network"));
        var certificate = ca.Issue("fake", "urn:renkei:test:fake", "fake network").Load();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelHttpsConfiguration().UseUrls("https://127.0.0.1:0")
            .ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate));
        builder.Logging.ClearProviders();
        var network = new FakeNetwork(builder.Build(), FileLock.Take(SandboxNetwork.LockPath(data), TimeSpan.Zero));
        network.app.Run(context =>
        {
            var token = context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal) ? " with a token" : "";
            network.Asked.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}{token}");
            return context.Request.Path == "/health" ? FakeService.Health(context, "registry") : answer(context);
        });
        await network.app.StartAsync();
        var url = network.Url.ToString();
        var services = new[] { "registry", "core", "node", "pki" }.ToDictionary(s => s, s => new ServiceEntry(elsewhere?.GetValueOrDefault(s) ?? url));
        await new NetworkFile(Environment.ProcessId, DateTime.UtcNow, services, NetworkCa: ca.CertificatePem).WriteAsync(data);
        return network;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        await folderLock.DisposeAsync();
    }
}
