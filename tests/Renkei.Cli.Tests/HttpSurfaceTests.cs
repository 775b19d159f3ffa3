using System.Net;
using System.Text.Json;
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

    /// <summary>A service's OpenAPI document, fetched from it over HTTPS.</summary>
    public async Task<JsonElement> DocumentAsync(string service) =>
        JsonDocument.Parse(await Client.GetStringAsync(new Uri(Services[service], "openapi/v1.json"))).RootElement;

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

    [Fact]
    public async Task The_PKI_serves_its_API_document_on_https_only()
    {
        // Its plain-HTTP port serves OCSP, CRLs and CA certificates; a document there would name it as the API's server.
        var plain = new Uri(running.Network.PkiEntry.Url);
        Assert.Equal("http", plain.Scheme);
        using var http = new HttpClient();
        await ProblemAssert.IsProblemAsync(await http.GetAsync(new Uri(plain, "openapi/v1.json")), 403, "https-required");
        Assert.True((await http.GetAsync(new Uri(plain, "ca/root.pem"))).IsSuccessStatusCode);

        var document = await running.DocumentAsync("pki");
        Assert.All(document.GetProperty("servers").EnumerateArray(), s => Assert.StartsWith("https://", s.GetProperty("url").GetString()));
    }
}
