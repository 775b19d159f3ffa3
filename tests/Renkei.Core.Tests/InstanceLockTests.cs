using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Node;
using Renkei.Testing;

namespace Renkei.Core.Tests;

/// <summary>
/// Audit 21e, F4: a party's replay cache and inquiry-id claims are its process's memory, so a second core (or node of a tenant)
/// on the same database would accept once more every message the first accepted. The second is refused at start.
/// </summary>
public class InstanceLockTests
{
    [Theory, StorageData]
    public async Task A_second_core_on_the_core_database_is_refused_at_start_naming_it_and_starts_once_the_first_stopped(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var storage = TestDatabases.Create(provider, folder.Path);
        var first = Core(storage, folder);
        try
        {
            await first.StartAsync();
            var refused = Assert.Throws<InvalidOperationException>(() => Core(storage, folder));
            Assert.StartsWith("core は別のインスタンスが同じデータベース（", refused.Message);
            Assert.Contains(" / another instance already runs core on the same database (", refused.Message);
            Assert.Contains("run one instance per party", refused.Message);
            Assert.Contains(provider == StorageProvider.Sqlite ? new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(storage.ConnectionString).DataSource
                : $"schema {new Npgsql.NpgsqlConnectionStringBuilder(storage.ConnectionString).SearchPath}", refused.Message);
            Assert.DoesNotContain("Password", refused.Message, StringComparison.OrdinalIgnoreCase);
            // The first still serves.
            using var client = new HttpClient { BaseAddress = first.BaseAddress() };
            (await client.GetAsync("health/ready")).EnsureSuccessStatusCode();
            // A core on another database is no second instance.
            await SettingsTests.RunAsync(Core(TestDatabases.Create(provider, folder.Path), folder, "core-other"), _ => { });
        }
        finally
        {
            await first.StopAsync();
            await first.DisposeAsync();
        }
        await SettingsTests.RunAsync(Core(storage, folder), _ => { });
    }

    [Fact]
    public async Task A_core_refused_at_start_for_a_later_reason_leaves_the_database_to_the_next_start()
    {
        using var folder = new TempFolder();
        var storage = TestDatabases.Create(StorageProvider.Sqlite, folder.Path);
        await File.WriteAllTextAsync(folder.File("table.json"), "not json");
        // Refused after it took the database (its permission table), and not started or disposed: the lock goes with the refusal.
        Assert.ThrowsAny<Exception>(() => Core(storage, folder, "core", ("Core:PermissionTableFile", folder.File("table.json"))));
        await SettingsTests.RunAsync(Core(storage, folder), _ => { });
    }

    [Theory, StorageData]
    public async Task A_second_node_on_a_tenant_database_is_refused_at_start_naming_the_tenant(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var prefix = "t" + Guid.NewGuid().ToString("N")[..10] + "_";
        var first = Node(provider, folder.File("node"), prefix);
        try
        {
            await first.StartAsync();
            // The same tenant folder (SQLite) or schema (PostgreSQL), as a second host with the same settings would have.
            var refused = Assert.Throws<InvalidOperationException>(() => Node(provider, folder.File("node"), prefix));
            Assert.StartsWith("tenant 122173 は別のインスタンスが同じデータベース（", refused.Message);
            Assert.Contains(provider == StorageProvider.Sqlite ? Path.Combine("tenants", "122173", "node.db") : $"schema {prefix}122173", refused.Message);
            Assert.Contains("another instance already runs tenant 122173 on the same database", refused.Message);
            // Another node hosting the same agency on a database of its own is not refused (tests share one PostgreSQL database).
            await SettingsTests.RunAsync(Node(provider, folder.File("node-other"), "t" + Guid.NewGuid().ToString("N")[..10] + "_"), _ => { });
        }
        finally
        {
            await first.StopAsync();
            await first.DisposeAsync();
        }
        await SettingsTests.RunAsync(Node(provider, folder.File("node"), prefix), _ => { });
    }

    private static WebApplication Core(StorageOptions storage, TempFolder folder, string dataFolder = "core", params (string Key, string Value)[] settings) =>
        CoreApp.Create([], b => Configure(b,
        [
            ("Storage:Provider", storage.Provider.ToString()), ("Storage:ConnectionString", storage.ConnectionString),
            ("Core:DataFolder", folder.File(dataFolder)), .. settings,
        ]));

    private static WebApplication Node(StorageProvider provider, string dataFolder, string schemaPrefix) =>
        NodeApp.Create([], b => Configure(b,
        [
            ("Storage:Provider", provider.ToString()),
            ("Storage:ConnectionString", provider == StorageProvider.Postgres ? TestDatabases.PostgresConnectionString : ""),
            ("Node:DataFolder", dataFolder), ("Node:SchemaPrefix", schemaPrefix), ("Node:CoreAddress", "http://127.0.0.1:9/"),
            ("Node:Tenants:0:AgencyId", "122173"), ("Node:Tenants:0:Name", "柏市"),
        ]));

    private static void Configure(WebApplicationBuilder b, IEnumerable<(string Key, string Value)> settings)
    {
        b.WebHost.UseUrls("http://127.0.0.1:0");
        b.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        b.Logging.ClearProviders();
    }
}
