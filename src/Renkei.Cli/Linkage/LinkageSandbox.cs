using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Renkei.Core;
using Renkei.Cli.Network;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Hosting.Tls;
using Renkei.Node;
using Renkei.Numbers;
using Renkei.Protocol;

namespace Renkei.Cli.Linkage;

/// <summary>
/// The Core and one Node hosting the demo agencies (two cities, the pension service, a health
/// insurer), started in-process beside a Registry, with the agencies registered with the core and
/// callers' tokens in DIR/core/callers.json and DIR/node/callers.json. Core and Node speak mutual
/// TLS with certificates from the network CA in DIR/network (made on first start, reused after).
/// </summary>
public sealed class LinkageSandbox : IAsyncDisposable
{
    public const string Kashiwa = "122173", Bunkyo = "131059";
    public static readonly string PensionService = CorporateNumber.FromBase(11105004002).Digits;
    public static readonly string HealthInsurer = CorporateNumber.FromBase(10405001703).Digits;
    public static readonly (string Id, string Kind, string Name)[] Agencies =
    [
        (Kashiwa, "municipality", "柏市"), (Bunkyo, "municipality", "文京区"),
        (PensionService, "pension-service", "日本年金機構"), (HealthInsurer, "health-insurer", "全国健康保険協会"),
    ];

    /// <summary>The sandbox node's id: its certificate names urn:renkei:node:node-1 and every demo agency is registered on it.</summary>
    public const string NodeId = "node-1";

    private readonly List<WebApplication> apps = [];

    public Uri CoreUrl { get; private set; } = null!;
    public Uri NodeUrl { get; private set; } = null!;
    public required string DataFolder { get; init; }
    public required Uri RegistryUrl { get; init; }
    /// <summary>The Registry token with the <c>link-keys</c> permission, which the agencies' addressee systems use.</summary>
    public required string LinkKeysToken { get; init; }
    public List<Caller> CoreCallers { get; private set; } = [];
    public List<Caller> NodeCallers { get; private set; } = [];

    /// <summary>The network CA certificate (PEM) that Core and Node certificates chain to.</summary>
    public required string NetworkCaPem { get; init; }

    /// <summary>One pooled handler for every client of Core and Node: it trusts the network CA only.</summary>
    public HttpMessageHandler Handler { get; private init; } = null!;

    /// <summary>The started node's services (null when attached to a running network), for benchmarks that read its counters.</summary>
    public IServiceProvider? NodeServices { get; private set; }

    /// <summary>Starts Core and Node; <paramref name="postgres"/> puts both on PostgreSQL (the node with a schema per tenant).</summary>
    public static async Task<LinkageSandbox> StartAsync(string dataFolder, int basePort, Uri registryUrl, string linkKeysToken,
        string? postgres = null, bool quiet = true, string schemaPrefix = "renkei_")
    {
        using var ca = NetworkCa.LoadOrCreate(Path.Combine(dataFolder, "network"));
        var coreTls = ca.Issue("core", NetworkIdentity.Core, "Renkei core");
        var nodeTls = ca.Issue("node", NetworkIdentity.Node(NodeId)!, $"Renkei node {NodeId}");
        var sandbox = new LinkageSandbox
        {
            DataFolder = dataFolder, RegistryUrl = registryUrl, LinkKeysToken = linkKeysToken, NetworkCaPem = ca.CertificatePem,
            Handler = TrustingHandler(ca.CertificatePem),
        };
        sandbox.CoreCallers = SandboxCallers.LoadOrCreate(Path.Combine(dataFolder, "core", "callers.json"),
        [
            ("operator", ["agencies"]), ("auditor", ["records"]),
            .. Agencies.Select(a => ($"{a.Id}-addressee", new[] { $"code-requests:{a.Id}" })),
        ]);
        sandbox.NodeCallers = SandboxCallers.LoadOrCreate(Path.Combine(dataFolder, "node", "callers.json"),
        [
            .. Agencies.SelectMany(a => new[]
            {
                ($"{a.Id}-addressee", new[] { $"tenant:{a.Id}", "addressee-system" }),
                ($"{a.Id}-copies", [$"tenant:{a.Id}", "copies"]),
                ($"{a.Id}-auditor", [$"tenant:{a.Id}", "records"]),
            }),
            ($"{Bunkyo}-child-allowance", [$"tenant:{Bunkyo}", "affair:child-allowance"]),
            ($"{Bunkyo}-vaccination", [$"tenant:{Bunkyo}", "affair:vaccination"]),
            ($"{Kashiwa}-child-allowance", [$"tenant:{Kashiwa}", "affair:child-allowance"]),
            ($"{PensionService}-national-pension", [$"tenant:{PensionService}", "affair:national-pension"]),
        ]);
        try
        {
            var coreSettings = new List<(string, string)>
            {
                ("Core:DataFolder", Path.Combine(dataFolder, "core")),
                // The Registry seals link keys with this key; the core opens them.
                ("Core:LinkSealKeyFile", Path.Combine(dataFolder, "registry", "link-seal.key")),
            };
            coreSettings.AddRange(Tls(coreTls, ca));
            if (postgres is not null) coreSettings.AddRange([("Storage:Provider", "Postgres"), ("Storage:ConnectionString", Schema(postgres, schemaPrefix + "core"))]);
            var core = CoreApp.Create([], b => Configure(b, dataFolder, "core", Port(basePort, 2), quiet, sandbox.CoreCallers, coreSettings));
            sandbox.CoreUrl = await sandbox.StartAsync(core);

            var nodeSettings = new List<(string, string)> { ("Node:DataFolder", Path.Combine(dataFolder, "node")), ("Node:CoreAddress", sandbox.CoreUrl.ToString()) };
            nodeSettings.AddRange(Tls(nodeTls, ca));
            if (postgres is not null) nodeSettings.AddRange([("Storage:Provider", "Postgres"), ("Storage:ConnectionString", postgres), ("Node:SchemaPrefix", schemaPrefix + "tenant_")]);
            for (var i = 0; i < Agencies.Length; i++)
                nodeSettings.AddRange([($"Node:Tenants:{i}:AgencyId", Agencies[i].Id), ($"Node:Tenants:{i}:Name", Agencies[i].Name)]);
            var node = NodeApp.Create([], b => Configure(b, dataFolder, "node", Port(basePort, 3), quiet, sandbox.NodeCallers, nodeSettings));
            sandbox.NodeUrl = await sandbox.StartAsync(node);
            sandbox.NodeServices = node.Services;
            await sandbox.RegisterAgenciesAsync();
            return sandbox;
        }
        catch
        {
            await sandbox.DisposeAsync();
            throw;
        }
    }

    /// <summary>Clients for a Core and Node that already run (as DIR/network.json lists them, with the network CA), with the tokens in DIR.</summary>
    public static LinkageSandbox Attach(string dataFolder, Uri registryUrl, Uri coreUrl, Uri nodeUrl, string linkKeysToken)
    {
        var ca = Network.NetworkFile.Read(dataFolder)?.NetworkCa
            ?? throw new InvalidOperationException("network.json にネットワークCAがありません / network.json lists no network CA: restart renkei up");
        return new LinkageSandbox
        {
            DataFolder = dataFolder, RegistryUrl = registryUrl, LinkKeysToken = linkKeysToken, CoreUrl = coreUrl, NodeUrl = nodeUrl,
            NetworkCaPem = ca, Handler = TrustingHandler(ca),
            CoreCallers = SandboxCallers.LoadOrCreate(Path.Combine(dataFolder, "core", "callers.json"), []),
            NodeCallers = SandboxCallers.LoadOrCreate(Path.Combine(dataFolder, "node", "callers.json"), []),
        };
    }

    /// <summary>A handler that trusts exactly the network CA in <paramref name="caPem"/>.</summary>
    public static SocketsHttpHandler TrustingHandler(string caPem) => NetworkTls.Handler(X509Certificate2.CreateFromPem(caPem));

    /// <summary>The <c>Tls</c> section of a sandbox service: its certificate, the network CA and the CA's revocation list.</summary>
    public static IEnumerable<(string, string)> Tls(IssuedCertificate certificate, NetworkCa ca) =>
        [("Tls:CertificateFile", certificate.CertificateFile), ("Tls:KeyFile", certificate.KeyFile), ("Tls:CaFile", ca.CertificateFile), ("Tls:CrlFile", ca.CrlFile)];

    private static int Port(int basePort, int offset) => basePort == 0 ? 0 : basePort + offset;

    /// <summary>A connection string whose search path is <paramref name="schema"/>, created if missing.</summary>
    public static string Schema(string connectionString, string schema)
    {
        using (var c = new Npgsql.NpgsqlConnection(connectionString))
        {
            c.Open();
            using var command = new Npgsql.NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS {schema}", c);
            command.ExecuteNonQuery();
        }
        return new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema }.ToString();
    }

    private static void Configure(WebApplicationBuilder b, string dataFolder, string service, int port, bool quiet, List<Caller> callers,
        List<(string Key, string Value)> settings)
    {
        b.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        b.WebHost.UseUrls($"https://127.0.0.1:{port}");
        ServiceLog.WriteToFile(b, dataFolder, service);
        var all = settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)).ToList();
        all.Add(new("Logging:LogLevel:Default", quiet ? "Warning" : "Information"));
        for (var i = 0; i < callers.Count; i++)
        {
            all.Add(new($"Callers:{i}:Name", callers[i].Name));
            all.Add(new($"Callers:{i}:Token", callers[i].Token));
            for (var j = 0; j < callers[i].Permissions.Count; j++) all.Add(new($"Callers:{i}:Permissions:{j}", callers[i].Permissions[j]));
        }
        b.Configuration.AddInMemoryCollection(all);
    }

    private async Task<Uri> StartAsync(WebApplication app)
    {
        apps.Add(app);
        await app.StartAsync();
        return app.BaseAddress();
    }

    private async Task RegisterAgenciesAsync()
    {
        using var node = new HttpClient(Handler, disposeHandler: false) { BaseAddress = NodeUrl };
        using var core = CoreClient("operator");
        foreach (var (id, kind, name) in Agencies)
        {
            var keys = (await node.GetFromJsonAsync<PublicKeys>($"api/tenants/{id}/keys", ServiceDefaults.Json))!;
            var local = kind is "municipality" or "prefecture";
            using var response = await core.PutAsJsonAsync($"api/agencies/{id}", new
            {
                kind, name, localGovernmentCode = local ? id : null, corporateNumber = local ? null : id,
                nodeAddress = NodeUrl.ToString(), nodeId = NodeId, signingKey = keys.SigningKey, encryptionKey = keys.EncryptionKey,
            }, ServiceDefaults.Json);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"registering {id} failed: {await response.Content.ReadAsStringAsync()}");
        }
    }

    public static string Token(List<Caller> callers, string name) => callers.FirstOrDefault(c => c.Name == name)?.Token
        ?? throw new InvalidOperationException($"呼出元がありません / no caller '{name}' in callers.json");

    public HttpClient NodeClient(string caller) => Client(NodeUrl, Token(NodeCallers, caller), Handler);

    public HttpClient CoreClient(string caller) => Client(CoreUrl, Token(CoreCallers, caller), Handler);

    /// <summary>A client with a bearer token; pass <see cref="Handler"/> for Core and Node (HTTPS under the network CA).</summary>
    public static HttpClient Client(Uri baseAddress, string token, HttpMessageHandler? handler = null)
    {
        var client = handler is null ? new HttpClient(NetworkTls.PlainHandler()) : new HttpClient(handler, disposeHandler: false);
        client.BaseAddress = baseAddress;
        client.Timeout = Network.NetworkAccess.AnswerWait;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The agency's addressee system, with its tokens at its node, the Registry (link keys) and the core (code requests).</summary>
    public AddresseeSystem AddresseeSystemOf(string agencyId) => new(agencyId, NodeUrl, Token(NodeCallers, $"{agencyId}-addressee"),
        RegistryUrl, LinkKeysToken, CoreUrl, Token(CoreCallers, $"{agencyId}-addressee"), Handler);

    public async ValueTask DisposeAsync()
    {
        foreach (var app in Enumerable.Reverse(apps))
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        Handler?.Dispose();
    }
}
