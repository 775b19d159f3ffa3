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

    /// <summary>Whether the network was started by this command (and stops with it), rather than found running.</summary>
    public bool OwnsNetwork => owned is not null;

    /// <summary>A client holding the sandbox's admin token (the municipality's card counter in the sandbox).</summary>
    public HttpClient Http { get; }

    /// <summary>
    /// The PKI of the network running in <paramref name="dataFolder"/>, waiting for one still starting there, or of one started for
    /// the command; <see cref="NetworkUnavailableException"/> when neither can be had.
    /// </summary>
    public static async Task<PkiConnection> OpenAsync(string dataFolder, CancellationToken ct = default)
    {
        var folder = Path.GetFullPath(dataFolder);
        var (running, own) = await NetworkAccess.UseAsync(folder, f => f.NetworkCa is not null && f.Services.ContainsKey("pki"), ct);
        var token = SandboxCallers.TokenOf(folder, "admin");
        return running is not null
            ? new PkiConnection(new Uri(running.Services["pki"].Url), running.NetworkCa!, token, null)
            : new PkiConnection(own!.PkiUrl, own.Linkage!.NetworkCaPem, token, own);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (owned is not null) await owned.DisposeAsync();
    }
}
