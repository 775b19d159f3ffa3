using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests;

/// <summary>
/// A real Registry on a loopback port with its own database, and the callers the tests act as,
/// so that tests read as what a clerk or a subscriber does.
/// </summary>
public sealed class RegistryHost : IAsyncDisposable, IDisposable
{
    public const string Chiba = "121002";
    public const string Kashiwa = "122173";
    public const string Bunkyo = "131059";

    private readonly WebApplication app;
    private readonly TempFolder folder;
    private readonly List<HttpClient> clients = [];

    private RegistryHost(WebApplication app, TempFolder folder, Database database)
    {
        this.app = app;
        this.folder = folder;
        Database = database;
        BaseAddress = app.BaseAddress();
    }

    public Uri BaseAddress { get; }

    public WebApplication App => app;

    public Database Database { get; }

    public string DataFolder => folder.Path;

    public static readonly Dictionary<string, string[]> Tokens = new()
    {
        ["admin-token"] = ["admin"],
        ["identity-token"] = ["identity"],
        ["events-token"] = ["events"],
        ["link-token"] = ["link-keys"],
        ["chiba-clerk"] = [$"municipality:{Chiba}"],
        ["kashiwa-clerk"] = [$"municipality:{Kashiwa}"],
        ["bunkyo-clerk"] = [$"municipality:{Bunkyo}"],
        // Clerks who may also read identities, and so are told why a move-in cannot be recorded.
        ["kashiwa-registrar"] = [$"municipality:{Kashiwa}", "identity"],
        ["bunkyo-registrar"] = [$"municipality:{Bunkyo}", "identity"],
        ["nobody"] = [],
        // Short names used by the corporate-number tests.
        ["admin"] = ["admin"],
        ["corporations"] = ["corporations"],
        ["identity"] = ["identity"],
        ["events"] = ["events"],
        ["chiba"] = [$"municipality:{Chiba}"],
    };

    /// <summary>Starts a Registry synchronously, for tests that hold it with <c>using var</c>.</summary>
    public static RegistryHost Start(StorageProvider provider, IReadOnlyDictionary<string, string?>? settings = null) =>
        StartAsync(provider, settings).GetAwaiter().GetResult();

    /// <summary>Starts a Registry whose configuration <paramref name="settings"/> add to or override.</summary>
    public static Task<RegistryHost> StartAsync(StorageProvider provider, IReadOnlyDictionary<string, string?>? settings) =>
        StartAsync(provider, b => b.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>()));

    public static async Task<RegistryHost> StartAsync(StorageProvider provider, Action<WebApplicationBuilder>? configure = null)
    {
        var folder = new TempFolder();
        var storage = TestDatabases.Create(provider, folder.Path);
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = storage.Provider.ToString(),
            ["Storage:ConnectionString"] = storage.ConnectionString,
            // The readiness probe's wait for a database that answers, long enough for a loaded CI machine.
            ["Storage:ProbeTimeoutSeconds"] = "30",
            ["Registry:DataFolder"] = folder.Path,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var i = 0;
        foreach (var (token, permissions) in Tokens)
        {
            settings[$"Callers:{i}:Name"] = token;
            settings[$"Callers:{i}:Token"] = token;
            for (var j = 0; j < permissions.Length; j++) settings[$"Callers:{i}:Permissions:{j}"] = permissions[j];
            i++;
        }
        var app = RegistryApp.Create([], b =>
        {
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Configuration.AddInMemoryCollection(settings);
            configure?.Invoke(b);
        });
        await app.StartAsync();
        return new RegistryHost(app, folder, new Database(storage));
    }

    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        clients.Add(client);
        return client;
    }

    /// <summary>The numbering key the registry made for itself, for checking numbers independently.</summary>
    public IndividualNumberDeriver Deriver() => new(IndividualNumberDeriver.ReadKeyFile(Path.Combine(folder.Path, "numbering.key")));

    /// <summary>The seal the Core would open link keys with (the same key file).</summary>
    public Renkei.Hosting.Linkage.LinkKeySeal Seal() => new(KeyFiles.Read(Path.Combine(folder.Path, "link-seal.key")));

    public static PersonInput Person(string family = "山田", string given = "太郎", string familyKana = "ヤマダ", string givenKana = "タロウ",
        string dateOfBirth = "1990-04-01", string sex = "male") => new(family, given, familyKana, givenKana, dateOfBirth, sex);

    /// <summary>Records an event as the municipality's clerk and returns the raw response.</summary>
    public Task<HttpResponseMessage> PostEventAsync(string municipality, object request, string? token = null) =>
        Client(token ?? ClerkOf(municipality)).PostAsJsonAsync($"api/municipalities/{municipality}/events", request, ServiceDefaults.Json);

    /// <summary>Records an event that must succeed.</summary>
    public async Task<EventReceipt> RecordAsync(string municipality, ResidentEventRequest request)
    {
        var response = await PostEventAsync(municipality, request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<EventReceipt>(body, ServiceDefaults.Json)!;
    }

    public Task<EventReceipt> RegisterBirthAsync(string municipality = Chiba, PersonInput? person = null, string address = "千葉県千葉市中央区中央1丁目1番1号") =>
        RecordAsync(municipality, new ResidentEventRequest("birth", Person: person ?? Person(dateOfBirth: "2026-01-15"), Address: address));

    public static string ClerkOf(string municipality) => municipality switch
    {
        Chiba => "chiba-clerk",
        Kashiwa => "kashiwa-clerk",
        Bunkyo => "bunkyo-clerk",
        _ => "admin-token",
    };

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        foreach (var client in clients) client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        folder.Dispose();
    }
}
