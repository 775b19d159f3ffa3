using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Renkei.Hosting.Storage;
using Renkei.Node;
using Renkei.Node.Tenants;
using Renkei.Testing;

namespace Renkei.Core.Tests;

/// <summary>
/// Keys that data already stored was made with are never made anew: not when their file is missing beside a database
/// holding that data, and not when the database cannot be reached to tell.
/// </summary>
public class KeptKeysTests
{
    [Fact]
    public async Task A_core_whose_database_is_unreachable_makes_no_key_and_later_refuses_to_start_without_the_ones_its_agencies_need()
    {
        using var folder = new TempFolder();
        var storage = TestDatabases.Create(StorageProvider.Postgres, folder.Path);
        await SettingsTests.RunAsync(StartCore(storage, folder.File("core")), _ => { });
        await RegisterAgencyAsync(new Database(storage));

        using var elsewhere = new TempFolder(); // the same database, its keys left behind
        var down = Assert.ThrowsAny<Exception>(() => StartCore(new StorageOptions { Provider = StorageProvider.Postgres, ConnectionString = ClosedPort(storage.ConnectionString) }, elsewhere.Path));
        Assert.Contains("Storage:ConnectionString", down.Message);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere.Path));

        var refused = Assert.Throws<InvalidOperationException>(() => StartCore(storage, elsewhere.Path));
        Assert.Contains(Path.Combine(elsewhere.Path, "agency-code.key"), refused.Message);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere.Path));
    }

    [Theory, StorageData]
    public async Task A_core_holding_agencies_refuses_to_start_without_its_own_keys_or_the_registrys_seal_key(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var storage = TestDatabases.Create(provider, folder.Path);
        var data = folder.File("core");
        await SettingsTests.RunAsync(StartCore(storage, data), _ => { });
        await RegisterAgencyAsync(new Database(storage));

        foreach (var key in new[] { "core-keys.pem", "link-seal.key" })
        {
            var kept = Path.Combine(data, key);
            File.Move(kept, kept + ".away");
            var refused = Assert.Throws<InvalidOperationException>(() => StartCore(storage, data));
            Assert.Contains(kept, refused.Message);
            Assert.Contains("agencies", refused.Message);
            Assert.False(File.Exists(kept)); // none made
            File.Move(kept + ".away", kept);
        }
        await SettingsTests.RunAsync(StartCore(storage, data), _ => { });
    }

    [Theory, StorageData]
    public async Task A_node_tenant_holding_codes_refuses_to_start_without_its_keys(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var prefix = "t" + Guid.NewGuid().ToString("N")[..10] + "_";
        WebApplication Start() => NodeApp.Create([], b => Configure(b,
        [
            ("Storage:Provider", provider.ToString()),
            ("Storage:ConnectionString", provider == StorageProvider.Postgres ? TestDatabases.PostgresConnectionString : ""),
            ("Node:DataFolder", folder.File("node")),
            ("Node:SchemaPrefix", prefix),
            ("Node:CoreAddress", "https://core.example/"),
            ("Node:Tenants:0:AgencyId", "122173"),
            ("Node:Tenants:0:Name", "柏市"),
        ]));
        await SettingsTests.RunAsync(Start(), async node =>
        {
            await using var c = await node.Services.GetRequiredService<TenantDirectory>().All.Single().Database.OpenAsync();
            await c.ExecuteAsync("INSERT INTO addressees (addressee_number, agency_code, code_issued_at, created_at) VALUES ('A-1', 'code-1', 't', 't')");
        });

        var keys = Path.Combine(folder.File("node"), "tenants", "122173", "keys.pem");
        File.Delete(keys);
        var refused = Assert.Throws<InvalidOperationException>(() => Start());
        Assert.Contains(keys, refused.Message);
        Assert.Contains("addressees", refused.Message);
        Assert.False(File.Exists(keys));
    }

    [Theory, StorageData]
    public async Task A_service_refuses_a_database_holding_another_services_migrations_and_changes_nothing(StorageProvider provider)
    {
        var database = TestDatabases.CreateDatabase(provider);
        await database.MigrateAsync(typeof(CoreApp).Assembly);
        var before = await MigrationsAsync(database);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => database.MigrateAsync(typeof(NodeApp).Assembly));
        Assert.Contains("Renkei.Core", refused.Message);
        Assert.Contains("Renkei.Node", refused.Message);
        Assert.Equal(before, await MigrationsAsync(database));
        await using var c = await database.OpenAsync();
        Assert.Equal(0, await CountTableAsync(database, "addressees"));

        // Its own, again, are all there: nothing to do.
        Assert.Equal(0, await database.MigrateAsync(typeof(CoreApp).Assembly));
    }

    private static async Task<string> MigrationsAsync(Database database)
    {
        await using var c = await database.OpenAsync();
        return string.Join(",", await c.QueryAsync("SELECT name FROM schema_migrations ORDER BY version", r => r.GetString(0)));
    }

    private static async Task<long> CountTableAsync(Database database, string table)
    {
        await using var c = await database.OpenAsync();
        return database.Provider == StorageProvider.Postgres
            ? await c.ScalarAsync<long>("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = @t", null, ("t", table))
            : await c.ScalarAsync<long>("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = @t", null, ("t", table));
    }

    private static async Task RegisterAgencyAsync(Database database)
    {
        await using var c = await database.OpenAsync();
        await c.ExecuteAsync("INSERT INTO agencies (agency_id, kind, name, node_address, signing_key, encryption_key, registered_at, updated_at) " +
            "VALUES ('122173', 'municipality', '柏市', 'https://node.example/', 'k', 'k', 't', 't')");
    }

    /// <summary>The connection string with a port nothing listens on.</summary>
    internal static string ClosedPort(string connectionString)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new NpgsqlConnectionStringBuilder(connectionString) { Host = "127.0.0.1", Port = port, Timeout = 5 }.ToString();
    }

    private static WebApplication StartCore(StorageOptions storage, string dataFolder) =>
        CoreApp.Create([], b => Configure(b,
        [
            ("Storage:Provider", storage.Provider.ToString()),
            ("Storage:ConnectionString", storage.ConnectionString),
            ("Core:DataFolder", dataFolder),
        ]));

    private static void Configure(WebApplicationBuilder b, IEnumerable<(string Key, string Value)> settings)
    {
        b.WebHost.UseUrls("http://127.0.0.1:0");
        b.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        b.Logging.ClearProviders();
    }
}
