using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Tls;

namespace Renkei.Cli.Network;

/// <summary>A service of a running network as DIR/network.json lists it.</summary>
public sealed record ServiceEntry(string Url);

/// <summary>
/// DIR/network.json: what <c>renkei up</c> is running (each service's URL), so that other
/// commands use that network instead of starting their own.
/// </summary>
/// <summary>
/// The PKI's public side, on plain HTTP: its base URL (CRLs under crl/, CA certificates under ca/), its OCSP responder and
/// the CA chains (issuing CA then root, PEM). Its API is the HTTPS URL of services.pki.
/// </summary>
public sealed record PkiEntry(string Url, string OcspUrl, string SigningChain, string AuthenticationChain);

/// <remarks><see cref="NetworkCa"/> is the PEM of the CA that the Registry's, Core's and Node's TLS certificates chain to: clients trust it, and only it, for them.</remarks>
public sealed record NetworkFile(int ProcessId, DateTime StartedAt, Dictionary<string, ServiceEntry> Services, PkiEntry? Pki = null, string? NetworkCa = null)
{
    public static string PathIn(string dataFolder) => Path.Combine(dataFolder, "network.json");

    public async Task WriteAsync(string dataFolder)
    {
        var path = PathIn(dataFolder);
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(this, new JsonSerializerOptions(ServiceDefaults.Json) { WriteIndented = true }));
        File.Move(temp, path, overwrite: true);
    }

    public static NetworkFile? Read(string dataFolder)
    {
        var path = PathIn(dataFolder);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<NetworkFile>(File.ReadAllText(path), ServiceDefaults.Json); }
        catch (JsonException) { return null; }
    }

    /// <summary>The network described in <paramref name="dataFolder"/>, if its services answer.</summary>
    public static async Task<NetworkFile?> FindRunningAsync(string dataFolder)
    {
        var file = Read(dataFolder);
        if (file is null || !file.Services.TryGetValue("registry", out var registry)) return null;
        // The Registry answers on HTTPS under the network CA that the file names (plain HTTP in files from before it did).
        HttpMessageHandler handler;
        try { handler = file.NetworkCa is { } ca ? Linkage.LinkageSandbox.TrustingHandler(ca) : NetworkTls.PlainHandler(); }
        catch (System.Security.Cryptography.CryptographicException) { return null; }
        // Not the few seconds a loopback answer takes: a loaded machine (a seed, a test run) took more than 2 s for the TLS
        // handshake and /health, and a command then took a running network for one still starting. A port that is closed
        // answers at once whatever the wait; only a process that accepts and never answers costs the whole wait.
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        try { return (await http.GetAsync(new Uri(new Uri(registry.Url), "health"))).IsSuccessStatusCode ? file : null; }
        catch (HttpRequestException) { return null; }
        catch (TaskCanceledException) { return null; }
    }
}
