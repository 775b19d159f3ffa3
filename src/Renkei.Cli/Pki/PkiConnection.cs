using System.Net.Http.Headers;
using Renkei.Cli.Network;

namespace Renkei.Cli.Pki;

/// <summary>
/// The PKI of the network that DIR/network.json describes, or, when none runs, of a sandbox
/// network started in this process for the command's duration.
/// </summary>
public sealed class PkiConnection : IAsyncDisposable
{
    private readonly SandboxNetwork? owned;

    private PkiConnection(Uri url, string networkCaPem, string adminToken, SandboxNetwork? owned)
    {
        Url = url;
        this.owned = owned;
        // The API answers on HTTPS under the network CA, and only that CA is trusted for it.
        Http = new HttpClient(Linkage.LinkageSandbox.TrustingHandler(networkCaPem)) { BaseAddress = url, Timeout = TimeSpan.FromMinutes(2) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
    }

    public Uri Url { get; }

    /// <summary>A client holding the sandbox's admin token (the municipality's card counter in the sandbox).</summary>
    public HttpClient Http { get; }

    public static async Task<PkiConnection> OpenAsync(string dataFolder)
    {
        var folder = Path.GetFullPath(dataFolder);
        var token = SandboxCallers.TokenOf(folder, "admin");
        if (await NetworkFile.FindRunningAsync(folder) is { NetworkCa: { } ca } running && running.Services.TryGetValue("pki", out var pki))
            return new PkiConnection(new Uri(pki.Url), ca, token, null);
        var network = await SandboxNetwork.StartAsync(folder);
        return new PkiConnection(network.PkiUrl, network.Linkage!.NetworkCaPem, token, network);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (owned is not null) await owned.DisposeAsync();
    }
}
