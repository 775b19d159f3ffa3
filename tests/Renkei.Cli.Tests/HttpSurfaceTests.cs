using System.Net;
using Renkei.Cli.Network;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>One sandbox network for the tests of what every service shows on the wire: its methods and its OpenAPI documents.</summary>
public sealed class RunningNetwork : IAsyncLifetime
{
    private readonly TempFolder folder = new();

    public SandboxNetwork Network { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>The HTTPS base address of each service, by name.</summary>
    public IReadOnlyDictionary<string, Uri> Services { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Network = await SandboxNetwork.StartAsync(folder.Path);
        Client = new HttpClient(Network.Handler, disposeHandler: false);
        Services = new Dictionary<string, Uri>
        {
            ["registry"] = Network.RegistryUrl,
            ["pki"] = Network.PkiUrl,
            ["core"] = Network.Linkage!.CoreUrl,
            ["node"] = Network.Linkage.NodeUrl,
        };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Network.DisposeAsync();
        folder.Dispose();
    }
}

public class HttpSurfaceTests(RunningNetwork running) : IClassFixture<RunningNetwork>
{
    public static TheoryData<string> Services => new() { "registry", "pki", "core", "node" };

    [Theory, MemberData(nameof(Services))]
    public async Task Head_over_http2_is_answered_with_headers_only_on_every_path(string service)
    {
        foreach (var path in new[] { "health", "openapi/v1.json", "api/no-such-thing", "no-such-thing" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, new Uri(running.Services[service], path))
            {
                Version = HttpVersion.Version20, // curl's default over HTTPS
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            // A body on a HEAD response is a protocol error over HTTP/2 (RFC 9113 §8.1.1): the stream is reset and the call fails.
            using var response = await running.Client.SendAsync(request);
            Assert.Equal(HttpVersion.Version20, response.Version);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
            Assert.True((int)response.StatusCode is 404 or 405, $"{service} /{path}: {(int)response.StatusCode}");
        }
    }
}
