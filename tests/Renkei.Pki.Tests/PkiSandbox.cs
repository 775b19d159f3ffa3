using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Cards;
using Renkei.Pki.Verifiers;
using Renkei.Registry;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

/// <summary>A clock the tests move (for expired and not-yet-valid certificates).</summary>
public sealed class TestClock : TimeProvider
{
    public DateTimeOffset? Fixed { get; set; }

    public override DateTimeOffset GetUtcNow() => Fixed ?? base.GetUtcNow();
}

/// <summary>A synthetic resident as the Registry recorded them.</summary>
public sealed record Resident(string ResidentId, string IndividualNumber, string FamilyName, string GivenName, string DateOfBirth);

/// <summary>
/// A real Registry and a real PKI on loopback, on one storage provider, with readable actions so
/// that tests read as stories: register a resident, issue a card, record a change, ask OCSP.
/// </summary>
public sealed class PkiSandbox : IAsyncDisposable
{
    public const string Municipality = "121002";
    private const string AdminToken = "test-admin-token";
    private const string ClerkToken = "test-clerk-token";
    private const string PkiToken = "test-pki-token";
    private readonly TempFolder folder = new();
    private readonly StorageProvider provider;
    private readonly StorageOptions pkiStorage;
    private int residents;

    private PkiSandbox(StorageProvider provider)
    {
        this.provider = provider;
        pkiStorage = TestDatabases.Create(provider, folder.Path);
    }

    public WebApplication Registry { get; private set; } = null!;
    public WebApplication Pki { get; private set; } = null!;
    public TestClock Clock { get; } = new();
    public HttpClient Clerk { get; private set; } = null!;
    public HttpClient PkiAdmin { get; private set; } = null!;
    public HttpClient Anonymous { get; private set; } = null!;
    public string Folder => folder.Path;

    /// <summary>The PKI's own storage and its data folder (key files).</summary>
    public StorageOptions PkiStorage => pkiStorage;
    public string PkiFolder => folder.File("pki");

    /// <summary>Everything the PKI logs (at the levels its configuration lets through), for the privacy tests.</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>Every response body the PKI gave the sandbox's PKI clients (the municipality, verifiers, anyone).</summary>
    public ConcurrentQueue<string> PkiResponses { get; } = new();

    public static async Task<PkiSandbox> StartAsync(StorageProvider provider)
    {
        var sandbox = new PkiSandbox(provider);
        var registryStorage = TestDatabases.Create(provider, sandbox.folder.Path);
        sandbox.Registry = RegistryApp.Create([], b =>
        {
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Registry:DataFolder"] = sandbox.folder.File("registry"),
                ["Storage:Provider"] = registryStorage.Provider.ToString(),
                ["Storage:ConnectionString"] = registryStorage.ConnectionString,
                ["Storage:ProbeTimeoutSeconds"] = "30",
                ["Logging:LogLevel:Default"] = "Warning",
                ["Callers:0:Name"] = "clerk", ["Callers:0:Token"] = ClerkToken, ["Callers:0:Permissions:0"] = $"municipality:{Municipality}",
                ["Callers:1:Name"] = "pki", ["Callers:1:Token"] = PkiToken, ["Callers:1:Permissions:0"] = "identity", ["Callers:1:Permissions:1"] = "events",
            });
        });
        await sandbox.Registry.StartAsync();
        await sandbox.StartPkiAsync();
        sandbox.Clerk = Client(sandbox.Registry.BaseAddress(), ClerkToken);
        return sandbox;
    }

    /// <summary>CA and recovery keys made once per test run and copied into each sandbox: RSA key generation is slow.</summary>
    private static readonly Lazy<string> SharedKeys = new(() =>
    {
        var path = TempFolder.CreatePath();
        var options = new PkiOptions { DataFolder = path };
        CertificationAuthorities.LoadOrCreate(options, TimeProvider.System);
        CardRecoveryKey.LoadOrCreate(options.CardRecoveryKeyPath);
        return path;
    });

    /// <summary>
    /// Card keys made once per test run, in a pool that grows as a sandbox needs more: the PKI refuses a key another card carries,
    /// so each card of one sandbox takes the next pair (<see cref="NextCardKeys"/>), and sandboxes, each on its own database, reuse them.
    /// </summary>
    private static readonly List<(string Signing, string Authentication)> CardKeyPool = [];

    /// <summary>The pool's pair <paramref name="index"/>: pair 0 is a sandbox's first card's.</summary>
    public static IndividualNumberCard.Keys CardKeys(int index = 0)
    {
        (string Signing, string Authentication) pair;
        lock (CardKeyPool)
        {
            while (CardKeyPool.Count <= index)
            {
                using var made = IndividualNumberCard.Keys.Create(2048);
                CardKeyPool.Add((made.Signing.ExportPkcs8PrivateKeyPem(), made.Authentication.ExportPkcs8PrivateKeyPem()));
            }
            pair = CardKeyPool[index];
        }
        var s = System.Security.Cryptography.RSA.Create();
        s.ImportFromPem(pair.Signing);
        var a = System.Security.Cryptography.RSA.Create();
        a.ImportFromPem(pair.Authentication);
        return new IndividualNumberCard.Keys(s, a);
    }

    private int cardKeysTaken;

    /// <summary>Keys no other card of this sandbox was given, as each real card makes its own.</summary>
    public IndividualNumberCard.Keys NextCardKeys() => CardKeys(Interlocked.Increment(ref cardKeysTaken) - 1);

    /// <summary>Starts (or restarts) the PKI on the same database and key files; <paramref name="services"/> may add to its services.</summary>
    public async Task StartPkiAsync(Action<IDictionary<string, string?>>? settings = null, Action<IServiceCollection>? services = null)
    {
        var pkiFolder = folder.File("pki");
        if (!Directory.Exists(pkiFolder))
        {
            Directory.CreateDirectory(pkiFolder);
            foreach (var file in Directory.GetFiles(SharedKeys.Value)) File.Copy(file, Path.Combine(pkiFolder, Path.GetFileName(file)));
        }
        if (Pki is not null)
        {
            await Pki.StopAsync();
            await Pki.DisposeAsync();
            Pki = null!; // a start refused below leaves none to stop again
        }
        Pki = CreatePki(settings, services);
        await Pki.StartAsync();
        PkiAdmin = PkiClient(AdminToken);
        Anonymous = PkiClient(null);
    }

    private WebApplication CreatePki(Action<IDictionary<string, string?>>? settings = null, Action<IServiceCollection>? services = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Pki:DataFolder"] = folder.File("pki"),
            ["Pki:RegistryUrl"] = Registry.BaseAddress().ToString(),
            ["Pki:RegistryToken"] = PkiToken,
            ["Storage:Provider"] = pkiStorage.Provider.ToString(),
            ["Storage:ConnectionString"] = pkiStorage.ConnectionString,
            // The readiness probe's wait for a database that answers, long enough for a loaded CI machine.
            ["Storage:ProbeTimeoutSeconds"] = "30",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Callers:0:Name"] = "admin", ["Callers:0:Token"] = AdminToken, ["Callers:0:Permissions:0"] = "admin",
        };
        settings?.Invoke(values);
        return PkiApp.Create([], b =>
        {
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Services.AddSingleton<TimeProvider>(Clock);
            services?.Invoke(b.Services);
            b.Configuration.AddInMemoryCollection(values);
            b.Logging.AddProvider(Logs);
        });
    }

    private readonly List<WebApplication> otherPkis = [];

    /// <summary>
    /// A second PKI process on the same database and key files (as behind a load balancer), beside <see cref="Pki"/>;
    /// stopped with the sandbox. Returns it and an anonymous client of it.
    /// </summary>
    public async Task<(WebApplication Pki, HttpClient Anonymous)> StartAnotherPkiAsync(Action<IDictionary<string, string?>>? settings = null)
    {
        var other = CreatePki(settings);
        otherPkis.Add(other);
        await other.StartAsync();
        return (other, new HttpClient { BaseAddress = other.BaseAddress() });
    }

    /// <summary>A client of the PKI whose responses are kept in <see cref="PkiResponses"/>.</summary>
    public HttpClient PkiClient(string? token)
    {
        var http = new HttpClient(new Recorder(PkiResponses)) { BaseAddress = Pki.BaseAddress() };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private sealed class Recorder(ConcurrentQueue<string> bodies) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var response = await base.SendAsync(request, ct);
            var bytes = await response.Content.ReadAsByteArrayAsync(ct);
            // Latin-1 keeps binary answers (OCSP, CRLs) searchable for ASCII digits; UTF-8 for JSON.
            bodies.Enqueue(System.Text.Encoding.Latin1.GetString(bytes));
            bodies.Enqueue(System.Text.Encoding.UTF8.GetString(bytes));
            var copy = new ByteArrayContent(bytes);
            foreach (var header in response.Content.Headers) copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
            response.Content = copy;
            return response;
        }
    }

    /// <summary>A client with a bearer token; <paramref name="handler"/> (not disposed with it) for services on HTTPS, such as the sandbox Registry.</summary>
    public static HttpClient Client(Uri baseAddress, string? token, HttpMessageHandler? handler = null)
    {
        var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.BaseAddress = baseAddress;
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>Records a synthetic person moving in from abroad; returns their id and number.</summary>
    public async Task<Resident> RegisterResidentAsync(string dateOfBirth = "1990-01-02")
    {
        var n = Interlocked.Increment(ref residents);
        var family = "連携";
        var given = $"太郎{n}";
        var response = await Clerk.PostAsJsonAsync($"api/municipalities/{Municipality}/events", new
        {
            kind = "move-in", from = "abroad", address = $"千葉県千葉市中央区中央{n}-1-1",
            person = new { familyName = family, givenName = given, familyNameKana = "レンケイ", givenNameKana = "タロウ", dateOfBirth, sex = "male" },
        }, ServiceDefaults.Json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var receipt = JsonDocument.Parse(body).RootElement;
        return new Resident(receipt.GetProperty("residentId").GetString()!, receipt.GetProperty("individualNumber").GetString()!, family, given, dateOfBirth);
    }

    /// <summary>Records a change at the Registry (address-change, name-change, death, move-out …); returns its feed position.</summary>
    public async Task<long> RecordAsync(object change)
    {
        var response = await Clerk.PostAsJsonAsync($"api/municipalities/{Municipality}/events", change, ServiceDefaults.Json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("position").GetInt64();
    }

    /// <summary>
    /// Puts <paramref name="answered"/> between the PKI and the Registry's identity answers by number: it sees each answer (with its
    /// count, from 1) before the PKI does and returns what the PKI gets, so that a test can record a change at that moment or fail the call.
    /// </summary>
    public static Action<IServiceCollection> OnIdentityAnswer(Func<int, HttpResponseMessage, Task<HttpResponseMessage>> answered)
    {
        var calls = 0;
        return services => services.AddHttpClient<Renkei.Pki.Registry.RegistryClient>()
            .AddHttpMessageHandler(() => new Interceptor(async (request, send) =>
            {
                if (!request.RequestUri!.AbsolutePath.EndsWith("/api/identity/by-number", StringComparison.Ordinal)) return await send();
                var response = await send();
                await response.Content.LoadIntoBufferAsync();
                return await answered(Interlocked.Increment(ref calls), response);
            }));
    }

    /// <summary>
    /// Runs <paramref name="before"/> (with its count, from 1) before each of the PKI's questions about a resident by id (the re-check's),
    /// so that a test can record a change after the re-check began and before the Registry answers about that resident, or hold the
    /// re-check there; an answer it returns is given instead of the Registry's (null: the Registry is asked).
    /// </summary>
    public static Action<IServiceCollection> OnResidentQuestion(Func<int, Task<HttpResponseMessage?>> before)
    {
        var calls = 0;
        return services => services.AddHttpClient<Renkei.Pki.Registry.RegistryClient>()
            .AddHttpMessageHandler(() => new Interceptor(async (request, send) =>
                request.RequestUri!.AbsolutePath.Contains("/api/identity/residents/", StringComparison.Ordinal)
                    && await before(Interlocked.Increment(ref calls)) is { } instead
                    ? instead
                    : await send()));
    }

    /// <summary>
    /// Runs <paramref name="before"/> (with its count, from 1) before each of the PKI's reads of the Registry's events (not of their
    /// end), so that a test can hold a re-check while it replays them.
    /// </summary>
    public static Action<IServiceCollection> OnEventsRead(Func<int, Task> before)
    {
        var calls = 0;
        return services => services.AddHttpClient<Renkei.Pki.Registry.RegistryClient>()
            .AddHttpMessageHandler(() => new Interceptor(async (request, send) =>
            {
                if (request.RequestUri!.AbsolutePath.EndsWith("/api/events", StringComparison.Ordinal)) await before(Interlocked.Increment(ref calls));
                return await send();
            }));
    }

    private sealed class Interceptor(Func<HttpRequestMessage, Func<Task<HttpResponseMessage>>, Task<HttpResponseMessage>> intercept) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
            intercept(request, () => base.SendAsync(request, ct));
    }

    /// <summary>Asks the PKI to issue a card for <paramref name="resident"/> (the next card keys) and returns its answer as it is.</summary>
    public async Task<HttpResponseMessage> RequestCardAsync(Resident resident)
    {
        using var keys = NextCardKeys();
        return await PkiAdmin.PostAsJsonAsync("api/cards", new IssueCardRequest(resident.IndividualNumber, keys.SigningRequestPem, keys.AuthenticationRequestPem), ServiceDefaults.Json);
    }

    /// <summary>Makes card keys, has the PKI issue both certificates, and writes the card file.</summary>
    public async Task<IndividualNumberCard> IssueCardAsync(Resident resident, string pin = "1234", string signingPassword = "ABC123", string? path = null)
    {
        using var keys = NextCardKeys();
        var response = await PkiAdmin.PostAsJsonAsync("api/cards", new IssueCardRequest(resident.IndividualNumber, keys.SigningRequestPem, keys.AuthenticationRequestPem), ServiceDefaults.Json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var issued = JsonSerializer.Deserialize<CardIssued>(body, ServiceDefaults.Json)!;
        return IndividualNumberCard.Create(path ?? folder.File($"{issued.CardId}.card.json"), keys, issued, resident.IndividualNumber, Pki.BaseAddress(), pin, signingPassword, pin);
    }

    // Names are counted, not random hex: one hex string in twenty holds 11 digits in a row, a name the PKI refuses.
    private int verifiers;

    public async Task<(HttpClient Client, VerifierRegistered Verifier)> RegisterVerifierAsync(string kind = "private", bool approved = true)
    {
        var response = await PkiAdmin.PostAsJsonAsync("api/verifiers", new RegisterVerifierRequest($"検証者 {Interlocked.Increment(ref verifiers)}", kind, approved), ServiceDefaults.Json);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var verifier = (await response.Content.ReadFromJsonAsync<VerifierRegistered>(ServiceDefaults.Json))!;
        return (PkiClient(verifier.Token), verifier);
    }

    /// <summary>Waits for a condition to hold, polling; fails after a generous bound.</summary>
    public static Task EventuallyAsync(Func<Task<bool>> condition, string what) => Eventually.HoldsAsync(condition, what);

    public async ValueTask DisposeAsync()
    {
        foreach (var app in otherPkis.Append(Pki).Append(Registry).Where(a => a is not null))
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        folder.Dispose();
    }
}
