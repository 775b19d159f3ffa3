using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Registry;
using Renkei.Testing;

namespace Renkei.Registry.Tests;

/// <summary>
/// The real Registry on a loopback port with a fresh database of the given provider, its data
/// folder in a temporary folder and a few known callers. Tests talk to it over HTTP only.
/// </summary>
public sealed class RegistryHost : IDisposable
{
    /// <summary>Callers every host knows: name → (token, permissions).</summary>
    public static readonly IReadOnlyDictionary<string, (string Token, string[] Permissions)> Callers =
        new Dictionary<string, (string, string[])>
        {
            ["admin"] = ("token-admin", ["admin"]),
            ["corporations"] = ("token-corporations", ["corporations"]),
            ["identity"] = ("token-identity", ["identity"]),
            ["events"] = ("token-events", ["events"]),
            ["chiba"] = ("token-chiba", ["municipality:121002"]),
        };

    private readonly TempFolder folder;
    private readonly List<HttpClient> clients = [];

    private RegistryHost(WebApplication app, TempFolder folder)
    {
        App = app;
        this.folder = folder;
        BaseAddress = app.BaseAddress();
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    /// <summary>Starts the Registry on <paramref name="provider"/>; <paramref name="settings"/> add or override configuration.</summary>
    public static RegistryHost Start(StorageProvider provider, IReadOnlyDictionary<string, string?>? settings = null) =>
        StartAsync(provider, settings).GetAwaiter().GetResult();

    public static async Task<RegistryHost> StartAsync(StorageProvider provider, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var folder = new TempFolder();
        try
        {
            var storage = TestDatabases.Create(provider, folder.Path);
            var config = new Dictionary<string, string?>
            {
                ["Storage:Provider"] = storage.Provider.ToString(),
                ["Storage:ConnectionString"] = storage.ConnectionString,
                ["Registry:DataFolder"] = folder.File("registry"),
                ["Logging:LogLevel:Default"] = "Warning",
            };
            var i = 0;
            foreach (var (name, (token, permissions)) in Callers)
            {
                config[$"Callers:{i}:Name"] = name;
                config[$"Callers:{i}:Token"] = token;
                for (var p = 0; p < permissions.Length; p++) config[$"Callers:{i}:Permissions:{p}"] = permissions[p];
                i++;
            }
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) config[key] = value;
            var app = RegistryApp.Create([], builder =>
            {
                builder.Configuration.AddInMemoryCollection(config);
                builder.WebHost.UseUrls("http://127.0.0.1:0");
            });
            await app.StartAsync();
            return new RegistryHost(app, folder);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>A client of the host, sending the bearer token of caller <paramref name="caller"/> (a name in <see cref="Callers"/>) or none.</summary>
    public HttpClient Client(string? caller = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        if (caller is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
                Callers.TryGetValue(caller, out var known) ? known.Token : caller);
        clients.Add(client);
        return client;
    }

    public void Dispose()
    {
        foreach (var client in clients) client.Dispose();
        App.StopAsync().GetAwaiter().GetResult();
        ((IDisposable)App).Dispose();
        folder.Dispose();
    }
}
