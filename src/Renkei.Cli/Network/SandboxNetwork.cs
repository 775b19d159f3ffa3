using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Renkei.Cli.Linkage;
using Renkei.Hosting;
using Renkei.Hosting.Tls;
using Renkei.Pki;
using Renkei.Pki.Authorities;
using Renkei.Registry;

namespace Renkei.Cli.Network;

/// <summary>
/// The whole network in one process on loopback ports with SQLite under the data folder: what
/// <c>renkei up</c> runs and what other commands start for their own duration when none runs.
/// </summary>
public sealed class SandboxNetwork : IAsyncDisposable
{
    private readonly List<WebApplication> apps = [];
    private FileStream? folderLock;

    private SandboxNetwork(string dataFolder) => DataFolder = dataFolder;

    public string DataFolder { get; }

    /// <summary>The Registry's HTTPS address, under the network CA: call it through <see cref="Handler"/>.</summary>
    public Uri RegistryUrl { get; private set; } = null!;

    /// <summary>A handler that trusts exactly the network CA (Registry, Core and Node); owned by the network.</summary>
    public HttpMessageHandler Handler { get; private set; } = null!;

    /// <summary>The PKI's API on HTTPS under the network CA (its OCSP and CRLs are at <see cref="PkiEntry"/>'s plain-HTTP URL).</summary>
    public Uri PkiUrl { get; private set; } = null!;

    public PkiEntry PkiEntry { get; private set; } = null!;

    public LinkageSandbox? Linkage { get; private set; }

    /// <summary>
    /// Starts every service; port 0 picks free ports. <paramref name="pkiPublicUrl"/> is the address the PKI writes into certificates
    /// when it is not the one it listens on (a command's own network names the folder's, <see cref="FolderPort"/>). It keeps no
    /// port in the folder: <c>renkei up</c> and a command's own network do, once started (a test's network has none to keep).
    /// </summary>
    public static async Task<SandboxNetwork> StartAsync(string dataFolder, int basePort = 0, Uri? pkiPublicUrl = null)
    {
        dataFolder = Path.GetFullPath(dataFolder);
        ServiceDefaults.MakePrivateFolder(dataFolder, Ours);
        Directory.CreateDirectory(Path.Combine(dataFolder, "logs"));
        var network = new SandboxNetwork(dataFolder) { folderLock = LockFolder(dataFolder) };
        // What started before a failure is stopped and the folder's lock released: the Registry kept its port and the lock
        // held, so a second start in the same process was refused as "another network is starting or running".
        try
        {
            var callers = SandboxCallers.LoadOrCreate(dataFolder);
            // The Registry serves HTTPS under the network CA, so Individual Numbers never cross even loopback in the clear; the PKI
            // presents its own certificate when it calls the Registry and serves its API on HTTPS too, keeping a plain-HTTP port
            // for OCSP, CRLs and CA certificates (signed answers that relying parties fetch without trusting the network CA).
            (string, string)[] registryTls, pkiTls;
            using (var ca = NetworkCa.LoadOrCreate(Path.Combine(dataFolder, "network")))
            {
                registryTls = [.. LinkageSandbox.Tls(ca.Issue("registry", NetworkIdentity.Registry, "Renkei registry"), ca)];
                pkiTls = [.. LinkageSandbox.Tls(ca.Issue("pki", NetworkIdentity.Pki, "Renkei PKI"), ca)];
                network.Handler = LinkageSandbox.TrustingHandler(ca.CertificatePem);
            }
            var registry = RegistryApp.Create([], builder =>
            {
                builder.Environment.ContentRootPath = dataFolder;
                builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
                builder.WebHost.UseUrls($"https://127.0.0.1:{(basePort == 0 ? 0 : basePort + 1)}");
                ServiceLog.WriteToFile(builder, dataFolder, "registry");
                builder.Configuration.AddInMemoryCollection(Settings(callers, [
                    ("Registry:DataFolder", Path.Combine(dataFolder, "registry")),
                    ("Registry:DemoData", "true"), // the sandbox's municipalities and corporations; the Registry's own process defaults to false
                    ("Logging:LogLevel:Default", "Warning"),
                    .. registryTls]));
            });
            await network.StartAsync(registry);
            network.RegistryUrl = registry.BaseAddress();
            var pki = PkiApp.Create([], builder =>
            {
                builder.Environment.ContentRootPath = dataFolder;
                builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
                builder.WebHost.UseUrls($"http://127.0.0.1:{(basePort == 0 ? 0 : basePort + 4)}", $"https://127.0.0.1:{(basePort == 0 ? 0 : basePort + 5)}");
                ServiceLog.WriteToFile(builder, dataFolder, "pki");
                builder.Configuration.AddInMemoryCollection(Settings(callers, [
                    ("Pki:DataFolder", Path.Combine(dataFolder, "pki")),
                    ("Pki:RegistryUrl", network.RegistryUrl.ToString()),
                    ("Pki:RegistryToken", callers.First(c => c.Name == "pki").Token),
                    ("Logging:LogLevel:Default", "Warning"),
                    .. pkiTls,
                    .. (pkiPublicUrl is null ? [] : new[] { ("Pki:PublicUrl", pkiPublicUrl.ToString()) })]));
            });
            await network.StartAsync(pki);
            network.PkiUrl = pki.BaseAddress("https");
            var cas = pki.Services.GetRequiredService<CertificationAuthorities>();
            var pkiPublic = pki.BaseAddress("http");
            network.PkiEntry = new PkiEntry(pkiPublic.ToString(), new Uri(pkiPublic, "ocsp").ToString(),
                cas.ChainPem(CertificateKind.Signing), cas.ChainPem(CertificateKind.Authentication));
            network.Linkage = await LinkageSandbox.StartAsync(dataFolder, basePort, network.RegistryUrl, callers.First(c => c.Name == "link-keys").Token);
            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>What a network keeps at the top of its data folder (ARCHITECTURE.md, "The data folder").</summary>
    private static readonly HashSet<string> Ours =
        ["network", "network.json", "network.lock", "logs", "registry", "pki", "core", "node", "portal", "commission", "agencies"];

    /// <summary>Starts <paramref name="app"/>, kept first so that one failing half-way (its port taken) is stopped as well.</summary>
    private async Task StartAsync(WebApplication app)
    {
        apps.Add(app);
        await app.StartAsync();
    }

    public NetworkFile Describe() => new(Environment.ProcessId, DateTime.UtcNow,
        new Dictionary<string, ServiceEntry>
        {
            ["registry"] = new(RegistryUrl.ToString()),
            ["pki"] = new(PkiUrl.ToString()),
            ["core"] = new(Linkage!.CoreUrl.ToString()),
            ["node"] = new(Linkage.NodeUrl.ToString()),
        }, PkiEntry, Linkage.NetworkCaPem);

    private static IEnumerable<KeyValuePair<string, string?>> Settings(List<Caller> callers, params (string Key, string Value)[] settings)
    {
        foreach (var (key, value) in settings) yield return new(key, value);
        for (var i = 0; i < callers.Count; i++)
        {
            yield return new($"Callers:{i}:Name", callers[i].Name);
            yield return new($"Callers:{i}:Token", callers[i].Token);
            for (var j = 0; j < callers[i].Permissions.Count; j++) yield return new($"Callers:{i}:Permissions:{j}", callers[i].Permissions[j]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Linkage is not null) await Linkage.DisposeAsync();
        foreach (var app in Enumerable.Reverse(apps))
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        Handler?.Dispose();
        folderLock?.Dispose();
    }

    /// <summary>
    /// One network per data folder, held until it stops: a second would share the first's databases and keys, and two
    /// first starts at once would each make CA keys and leave a mismatched pair behind.
    /// </summary>
    /// <summary>The file whose lock says a network is starting or running in <paramref name="dataFolder"/> (NetworkAccess.Held reads it too).</summary>
    public static string LockPath(string dataFolder) => Path.Combine(dataFolder, "network.lock");

    private static FileStream LockFolder(string dataFolder)
    {
        try { return FileLock.Take(LockPath(dataFolder), TimeSpan.Zero); }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException))
        {
            throw new NetworkUnavailableException($"{dataFolder} では別のネットワークが起動中か動いています。それを止めるか、別の --data を指定してください / " +
                $"another network is starting or running on {dataFolder}: stop it or choose another --data", e);
        }
    }
}
