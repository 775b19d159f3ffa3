using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Renkei.Cli.Linkage;
using Renkei.Core;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Hosting.Tls;
using Renkei.Node;
using Renkei.Numbers;
using Renkei.Protocol;
using Renkei.Registry;
using Renkei.Testing;

namespace Renkei.Node.Tests;

/// <summary>
/// A whole linkage network on loopback: a real Registry, Core and Node (hosting two cities, the
/// pension service and a health insurer), each with its own databases, the agencies registered
/// with the core, and the people the tests act as. Core and Node speak mutual TLS with certificates
/// from a network CA made for the run. Logs of all three are captured for privacy scans.
/// </summary>
public sealed class LinkageNetwork : IAsyncDisposable
{
    // The same demo agencies as the sandbox that `renkei up` runs.
    public const string Kashiwa = LinkageSandbox.Kashiwa, Bunkyo = LinkageSandbox.Bunkyo;
    public static readonly string PensionService = LinkageSandbox.PensionService;
    public static readonly string HealthInsurer = LinkageSandbox.HealthInsurer;

    public const string NodeId = "node-1";

    private readonly List<WebApplication> apps = [];
    private readonly List<IDisposable> disposables = [];
    private readonly TempFolder folder = new();

    /// <summary>The network CA (with its key, so tests can issue more certificates) and the certificates of Core and Node.</summary>
    public NetworkCa Ca { get; private set; } = null!;
    public X509Certificate2 CoreCertificate { get; private set; } = null!;
    public X509Certificate2 NodeCertificate { get; private set; } = null!;

    /// <summary>Trusts the network CA only and presents no certificate: what staff and operators use.</summary>
    public HttpMessageHandler Handler { get; private set; } = null!;

    public CapturedLogs Logs { get; } = new();

    /// <summary>Every request and response body that the core and the node sent to each other.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Messages { get; } = new();

    /// <summary>Every request and response body of the agencies' addressee systems (<see cref="AddresseeSystemOf"/>), to the node, the core and the Registry.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> AddresseeSystemMessages { get; } = new();

    public Tenants.TenantDirectory NodeTenants { get; private set; } = null!;
    public StorageProvider Provider { get; private set; }
    public Uri Registry { get; private set; } = null!;
    public Uri Core { get; private set; } = null!;
    public Uri Node { get; private set; } = null!;
    public Database RegistryDatabase { get; private set; } = null!;
    public Database CoreDatabase { get; private set; } = null!;
    public Dictionary<string, Database> TenantDatabases { get; } = [];
    public string DataFolder => folder.Path;

    /// <summary>Callers of the node: token → permissions.</summary>
    public static readonly Dictionary<string, string[]> NodeCallers = new()
    {
        ["kashiwa-addressee"] = [$"tenant:{Kashiwa}", "addressee-system"],
        ["bunkyo-addressee"] = [$"tenant:{Bunkyo}", "addressee-system"],
        ["kashiwa-tax-system"] = [$"tenant:{Kashiwa}", "copies"],
        ["insurer-benefits-system"] = [$"tenant:{HealthInsurer}", "copies"],
        ["bunkyo-child-clerk"] = [$"tenant:{Bunkyo}", "affair:child-allowance"],
        ["bunkyo-child-system"] = [$"tenant:{Bunkyo}", "affair:child-allowance"],
        ["bunkyo-vaccination-clerk"] = [$"tenant:{Bunkyo}", "affair:vaccination"],
        ["bunkyo-pet-clerk"] = [$"tenant:{Bunkyo}", "affair:pet-registration"],
        ["bunkyo-tax-system"] = [$"tenant:{Bunkyo}", "copies"],
        ["bunkyo-medical-clerk"] = [$"tenant:{Bunkyo}", "affair:bunkyo-child-medical-subsidy"],
        ["kashiwa-child-clerk"] = [$"tenant:{Kashiwa}", "affair:child-allowance"],
        ["node-admin"] = ["admin"],
        ["kashiwa-auditor"] = [$"tenant:{Kashiwa}", "records"],
        ["bunkyo-auditor"] = [$"tenant:{Bunkyo}", "records"],
    };

    /// <param name="oneInquiryPerMessage">Each inquiry travels to the core in a message of its own, so that <see cref="RelayGate"/> counts inquiries.</param>
    /// <param name="coreSettings">Further settings of the core, e.g. <c>Core:PermissionTableFile</c>.</param>
    /// <param name="configureNode">Changes to the node's host, e.g. a smaller request size limit.</param>
    public static async Task<LinkageNetwork> StartAsync(StorageProvider provider, bool oneInquiryPerMessage = false,
        IEnumerable<KeyValuePair<string, string?>>? coreSettings = null, Action<WebApplicationBuilder>? configureNode = null)
    {
        var n = new LinkageNetwork
        {
            Provider = provider, oneInquiryPerMessage = oneInquiryPerMessage, coreSettings = coreSettings ?? [], configureNode = configureNode ?? (_ => { }),
        };
        try { await n.StartAllAsync(); }
        catch { await n.DisposeAsync(); throw; }
        return n;
    }

    private async Task StartAllAsync()
    {
        var registryStorage = TestDatabases.Create(Provider, folder.Path);
        RegistryDatabase = new Database(registryStorage);
        var registry = RegistryApp.Create([], b => Configure(b, Storage(registryStorage).Concat(Callers(new()
        {
            ["identity-token"] = ["identity"],
            ["link-keys-token"] = ["link-keys"],
            [$"kashiwa-clerk"] = [$"municipality:{Kashiwa}"],
            [$"bunkyo-clerk"] = [$"municipality:{Bunkyo}"],
        })).Append(new("Registry:DataFolder", Path.Combine(folder.Path, "registry")))));
        Registry = await StartAsync(registry);

        Ca = NetworkCa.LoadOrCreate(Path.Combine(folder.Path, "network"));
        var coreTls = Ca.Issue("core", NetworkIdentity.Core, "Renkei core");
        var nodeTls = Ca.Issue("node", NetworkIdentity.Node(NodeId)!, "Renkei node " + NodeId);
        CoreCertificate = Keep(coreTls.Load());
        NodeCertificate = Keep(nodeTls.Load());
        Handler = Keep(NetworkTls.Handler(Ca.Certificate));

        var coreStorage = TestDatabases.Create(Provider, folder.Path);
        CoreDatabase = new Database(coreStorage);
        var core = CoreApp.Create([], b => Configure(b, Storage(coreStorage).Concat(Callers(new()
        {
            ["kashiwa-code-requests"] = [$"code-requests:{Kashiwa}"],
            ["bunkyo-code-requests"] = [$"code-requests:{Bunkyo}"],
            ["operator-token"] = ["agencies"],
            ["auditor-token"] = ["records"],
        })).Concat(Tls(coreTls)).Append(new("Core:DataFolder", Path.Combine(folder.Path, "core")))
            .Append(new("Core:LinkSealKeyFile", Path.Combine(folder.Path, "registry", "link-seal.key"))).Concat(coreSettings), https: true));
        Core = await StartAsync(coreApp = core);
        CoreKeys = core.Services.GetRequiredService<CoreIdentity>().Keys;

        var schemaPrefix = "t" + Guid.NewGuid().ToString("N")[..10] + "_";
        var tenants = LinkageSandbox.Agencies;
        var nodeSettings = new List<KeyValuePair<string, string?>>
        {
            new("Storage:Provider", Provider.ToString()),
            new("Storage:ConnectionString", Provider == StorageProvider.Postgres ? TestDatabases.PostgresConnectionString : ""),
            ProbeTimeout,
            new("Node:DataFolder", Path.Combine(folder.Path, "node")),
            new("Node:CoreAddress", Core.ToString()),
            new("Node:SchemaPrefix", schemaPrefix),
        };
        if (oneInquiryPerMessage) nodeSettings.AddRange([new("Node:RelayMaxPerMessage", "1"), new("Node:RelayInFlight", "64")]);
        for (var i = 0; i < tenants.Length; i++)
        {
            nodeSettings.Add(new($"Node:Tenants:{i}:AgencyId", tenants[i].Id));
            nodeSettings.Add(new($"Node:Tenants:{i}:Name", tenants[i].Name));
        }
        var node = NodeApp.Create([], b =>
        {
            Configure(b, nodeSettings.Concat(Tls(nodeTls)).Concat(Callers(NodeCallers)), https: true);
            configureNode(b);
        });
        Node = await StartAsync(node);
        (nodeApp, this.nodeSettings) = (node, [.. nodeSettings.Concat(Tls(nodeTls))]);
        var directory = NodeTenants = node.Services.GetRequiredService<Tenants.TenantDirectory>();
        foreach (var t in directory.All) TenantDatabases[t.AgencyId] = t.Database;

        foreach (var (id, kind, name) in LinkageSandbox.Agencies) await RegisterAgencyAsync(id, kind, name);
    }

    private T Keep<T>(T disposable) where T : IDisposable
    {
        disposables.Add(disposable);
        return disposable;
    }

    private IEnumerable<KeyValuePair<string, string?>> Tls(IssuedCertificate certificate) =>
        [new("Tls:CertificateFile", certificate.CertificateFile), new("Tls:KeyFile", certificate.KeyFile), new("Tls:CaFile", Ca.CertificateFile),
         new("Tls:CrlFile", Ca.CrlFile)];

    private void Configure(WebApplicationBuilder b, IEnumerable<KeyValuePair<string, string?>> settings, bool https = false)
    {
        b.WebHost.UseUrls(https ? "https://127.0.0.1:0" : "http://127.0.0.1:0");
        // Debug unless the test's own settings say otherwise (a privacy scan wants Trace).
        b.Configuration.AddInMemoryCollection([new("Logging:LogLevel:Default", "Debug")]);
        b.Configuration.AddInMemoryCollection(settings);
        b.Logging.ClearProviders();
        b.Logging.AddProvider(Logs);
        b.Services.ConfigureHttpClientDefaults(h => h.AddHttpMessageHandler(() => new CapturingHandler(Messages)));
        b.Services.ConfigureHttpClientDefaults(h => h.AddHttpMessageHandler(() => new RelayGateHandler(RelayGate)));
        b.Services.ConfigureHttpClientDefaults(h => h.AddHttpMessageHandler(() => new ProviderGateHandler(providerGates)));
    }

    private async Task<Uri> StartAsync(WebApplication app)
    {
        apps.Add(app);
        await app.StartAsync();
        return app.BaseAddress();
    }

    private static IEnumerable<KeyValuePair<string, string?>> Storage(StorageOptions s) =>
        [new("Storage:Provider", s.Provider.ToString()), new("Storage:ConnectionString", s.ConnectionString), ProbeTimeout];

    /// <summary>The readiness probe's wait for a database that answers, long enough for a loaded CI machine (the outages the
    /// tests make answer at once, so it costs nothing there).</summary>
    private static readonly KeyValuePair<string, string?> ProbeTimeout = new("Storage:ProbeTimeoutSeconds", "30");

    private static IEnumerable<KeyValuePair<string, string?>> Callers(Dictionary<string, string[]> callers)
    {
        var i = 0;
        foreach (var (token, permissions) in callers)
        {
            yield return new($"Callers:{i}:Name", token);
            yield return new($"Callers:{i}:Token", token);
            for (var j = 0; j < permissions.Length; j++) yield return new($"Callers:{i}:Permissions:{j}", permissions[j]);
            i++;
        }
    }

    public static HttpClient Client(Uri baseAddress, string? token = null, HttpMessageHandler? handler = null)
    {
        var client = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        client.BaseAddress = baseAddress;
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public HttpClient NodeClient(string? token = null) => Client(Node, token, Handler);

    public HttpClient CoreClient(string? token = null) => Client(Core, token, Handler);

    /// <summary>A client of <paramref name="baseAddress"/> that presents <paramref name="certificate"/>, as a network party does.</summary>
    public HttpClient Presenting(X509Certificate2 certificate, Uri baseAddress) =>
        Client(baseAddress, handler: Keep(NetworkTls.Handler(Ca.Certificate, certificate)));

    private WebApplication nodeApp = null!, coreApp = null!;

    /// <summary>Stops the core for good: the node then finds it down, as when the core is unreachable.</summary>
    public async Task StopCoreAsync()
    {
        apps.Remove(coreApp);
        await coreApp.StopAsync();
        await coreApp.DisposeAsync();
    }
    private bool oneInquiryPerMessage;
    private IEnumerable<KeyValuePair<string, string?>> coreSettings = [];
    private Action<WebApplicationBuilder> configureNode = _ => { };
    private List<KeyValuePair<string, string?>> nodeSettings = [];

    /// <summary>Holds the node's inquiries to the core's relay while closed, so tests can keep batch items in flight.</summary>
    public RelayGate RelayGate { get; } = new();

    /// <summary>Holds the core's provision requests to one tenant while closed: that provider stalls, the others answer.</summary>
    public RelayGate ProviderGate(string agencyId) => providerGates.GetOrAdd(agencyId, _ => new RelayGate());

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, RelayGate> providerGates = new();

    public NodeOptions NodeOptions => nodeApp.Services.GetRequiredService<NodeOptions>();

    /// <summary>The core's own keys, for tests that send what only the core could sign.</summary>
    public PartyKeys CoreKeys { get; private set; } = null!;

    public global::Renkei.Node.Linkage.InquiryRelay NodeRelay => nodeApp.Services.GetRequiredService<global::Renkei.Node.Linkage.InquiryRelay>();

    public IServiceProvider NodeServices => nodeApp.Services;

    public global::Renkei.Node.Linkage.InquiryBatchWorker NodeBatchWorker => nodeApp.Services.GetRequiredService<global::Renkei.Node.Linkage.InquiryBatchWorker>();

    /// <summary>
    /// Stops the node as a service manager would (its batch worker is cancelled mid-way) and starts a
    /// new one on the same storage and keys at a new address, which the agencies register with the core.
    /// </summary>
    /// <param name="callers">The node's callers after the restart, in place of <see cref="NodeCallers"/>.</param>
    public async Task RestartNodeAsync(Dictionary<string, string[]>? callers = null)
    {
        apps.Remove(nodeApp);
        await nodeApp.StopAsync();
        await nodeApp.DisposeAsync();
        nodeApp = NodeApp.Create([], b =>
        {
            Configure(b, nodeSettings.Concat(Callers(callers ?? NodeCallers)), https: true);
            configureNode(b);
        });
        Node = await StartAsync(nodeApp);
        NodeTenants = nodeApp.Services.GetRequiredService<Tenants.TenantDirectory>();
        foreach (var t in NodeTenants.All) TenantDatabases[t.AgencyId] = t.Database;
        foreach (var (id, kind, name) in LinkageSandbox.Agencies) await RegisterAgencyAsync(id, kind, name);
    }

    public async Task RegisterAgencyAsync(string agencyId, string kind, string name, string? nodeId = NodeId)
    {
        var keys = (await NodeClient().GetFromJsonAsync<PublicKeys>($"api/tenants/{agencyId}/keys", ServiceDefaults.Json))!;
        var isLocal = kind is "municipality" or "prefecture";
        var response = await CoreClient("operator-token").PutAsJsonAsync($"api/agencies/{agencyId}", new
        {
            kind, name,
            localGovernmentCode = isLocal ? agencyId : null,
            corporateNumber = isLocal ? null : agencyId,
            nodeAddress = Node.ToString(), nodeId, signingKey = keys.SigningKey, encryptionKey = keys.EncryptionKey,
        }, ServiceDefaults.Json);
        await Ensure(response);
    }

    /// <summary>Registers a birth in a municipality and returns (residentId, individualNumber).</summary>
    public async Task<(string ResidentId, string IndividualNumber)> BirthAsync(string municipality, string family, string given, string dateOfBirth)
    {
        var clerk = municipality == Kashiwa ? "kashiwa-clerk" : "bunkyo-clerk";
        var address = municipality == Kashiwa ? "千葉県柏市柏1丁目1番1号" : "東京都文京区春日1丁目16番21号";
        var response = await Client(Registry, clerk).PostAsJsonAsync($"api/municipalities/{municipality}/events", new
        {
            kind = "birth", person = new { familyName = family, givenName = given, familyNameKana = "テスト", givenNameKana = "テスト", dateOfBirth, sex = "female" },
            address,
        }, ServiceDefaults.Json);
        var json = await Ensure(response);
        return (json.GetProperty("residentId").GetString()!, json.GetProperty("individualNumber").GetString()!);
    }

    /// <summary>The agency's addressee system, holding the numbers, obtaining codes for its addressees through the Registry and the core.</summary>
    public AddresseeSystem AddresseeSystemOf(string agencyId)
    {
        var name = agencyId == Kashiwa ? "kashiwa" : "bunkyo";
        // Captured, so that a privacy scan sees what the addressee system itself sends to the node and the core.
        return new(agencyId, Node, $"{name}-addressee", Registry, "link-keys-token", Core, $"{name}-code-requests",
            new CapturingHandler(AddresseeSystemMessages) { InnerHandler = Handler });
    }

    public static async Task<JsonElement> Ensure(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {response.RequestMessage?.RequestUri}: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>How many rows a table of a party's database holds (its provision records unless told).</summary>
    public static async Task<long> CountAsync(Database database, string table = "provision_records")
    {
        await using var c = await database.OpenAsync();
        return await c.ScalarAsync<long>($"SELECT COUNT(*) FROM {table}");
    }

    /// <summary>The envelope a party answered a relay message with, which it must answer with 200.</summary>
    public static async Task<Envelope> ReplyAsync(HttpResponseMessage response)
    {
        Assert.Equal(200, (int)response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Envelope>(ServiceDefaults.Json))!;
    }

    /// <summary>Every value in every table of a database, for privacy scans: binary columns as Latin-1, so that digits inside them show.</summary>
    public static async Task<string> DumpAsync(Database database)
    {
        await using var c = await database.OpenAsync();
        var tables = database.Provider == StorageProvider.Postgres
            ? await c.QueryAsync("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()", r => r.GetString(0))
            : await c.QueryAsync("SELECT name FROM sqlite_master WHERE type = 'table'", r => r.GetString(0));
        var text = new System.Text.StringBuilder();
        foreach (var table in tables)
            foreach (var row in await c.QueryAsync($"SELECT * FROM \"{table}\"", r => Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "" : Shown(r.GetValue(i))).ToList()))
                text.AppendLine(table + ": " + string.Join(" | ", row));
        return text.ToString();
    }

    /// <summary>A column's value as a scan reads it: a byte[] printed "System.Byte[]", and whatever it held fell out of the scan.</summary>
    private static string Shown(object value) => value switch
    {
        byte[] bytes => System.Text.Encoding.Latin1.GetString(bytes),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var app in Enumerable.Reverse(apps))
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        foreach (var d in disposables) d.Dispose();
        Ca?.Dispose();
        folder.Dispose();
        // The services closed their own pools as they stopped; the two this network opened beside them are closed here.
        RegistryDatabase?.Dispose();
        CoreDatabase?.Dispose();
    }
}

/// <summary>
/// Keeps the bodies of the messages services send to each other, for privacy scans. An answer is kept as the service reads
/// it, through a copying stream, so that a body cut short fails in the service as it would without this handler: wrapped
/// in an HttpRequestException where the client buffers the answer, a bare IOException where it reads a stream.
/// </summary>
public sealed class CapturingHandler(System.Collections.Concurrent.ConcurrentQueue<string> messages) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (request.Content is not null) messages.Enqueue($"{request.RequestUri} -> {await request.Content.ReadAsStringAsync(ct)}");
        var response = await base.SendAsync(request, ct);
        var copy = new CopyingStream(await response.Content.ReadAsStreamAsync(ct), text => messages.Enqueue($"{request.RequestUri} <- {text}"));
        var content = new StreamContent(copy);
        foreach (var header in response.Content.Headers) content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        response.Content = content;
        return response;
    }

    /// <summary>Reads through to the answer's stream and hands over what was read, once, at its end or when disposed.</summary>
    private sealed class CopyingStream(Stream inner, Action<string> done) : Stream
    {
        private readonly MemoryStream read = new();
        private int handedOver;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            var n = await inner.ReadAsync(buffer, ct);
            Keep(buffer.Span[..n], asked: buffer.Length);
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            Keep(buffer.AsSpan(offset, n), asked: count);
            return n;
        }

        // A read of nothing that asked for something is the end; a read that asked for nothing only waits for data.
        private void Keep(ReadOnlySpan<byte> bytes, int asked)
        {
            if (bytes.Length == 0) { if (asked > 0) HandOver(); }
            else read.Write(bytes);
        }

        private void HandOver()
        {
            if (Interlocked.Exchange(ref handedOver, 1) == 0) done(System.Text.Encoding.UTF8.GetString(read.GetBuffer(), 0, (int)read.Length));
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) { HandOver(); inner.Dispose(); }
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>Lets through a set number of messages to the core's relay, then holds the rest until opened or cancelled.</summary>
public sealed class RelayGate
{
    private readonly object sync = new();
    private int allowance = int.MaxValue;
    private TaskCompletionSource opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int held;
    private TimeSpan longestHeld;

    /// <summary>Messages waiting at the gate now.</summary>
    public int Held => Volatile.Read(ref held);

    /// <summary>The longest a message has waited at the gate, from its arrival until it was let through or given up.</summary>
    public TimeSpan LongestHeld { get { lock (sync) return longestHeld; } }

    public void Close(int letThrough = 0)
    {
        lock (sync)
        {
            allowance = letThrough;
            if (opened.Task.IsCompleted) opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Open()
    {
        lock (sync) { allowance = int.MaxValue; opened.TrySetResult(); }
    }

    internal async Task PassAsync(CancellationToken ct)
    {
        Task wait;
        lock (sync)
        {
            if (allowance > 0) { if (allowance != int.MaxValue) allowance--; return; }
            wait = opened.Task;
        }
        Interlocked.Increment(ref held);
        var arrived = System.Diagnostics.Stopwatch.GetTimestamp();
        try { await wait.WaitAsync(ct); }
        finally
        {
            Interlocked.Decrement(ref held);
            var waited = System.Diagnostics.Stopwatch.GetElapsedTime(arrived);
            lock (sync) if (waited > longestHeld) longestHeld = waited;
        }
    }
}

/// <summary>Passes the core's provision requests to a tenant through that tenant's gate, when a test made one.</summary>
public sealed class ProviderGateHandler(System.Collections.Concurrent.ConcurrentDictionary<string, RelayGate> gates) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (request.RequestUri?.AbsolutePath is { } path && path.EndsWith("/provisions", StringComparison.Ordinal)
            && path.Split('/') is [_, "api", "tenants", var agencyId, "provisions"] && gates.TryGetValue(agencyId, out var gate))
            await gate.PassAsync(ct);
        return await base.SendAsync(request, ct);
    }
}

public sealed class RelayGateHandler(RelayGate gate) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (request.RequestUri?.AbsolutePath.EndsWith("/api/relay/inquiries", StringComparison.Ordinal) == true) await gate.PassAsync(ct);
        return await base.SendAsync(request, ct);
    }
}
