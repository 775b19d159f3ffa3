using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
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
        await StartCoreHoldingAnAgencyAsync(storage, folder.File("core"));

        using var elsewhere = new TempFolder(); // the same database, its keys left behind
        var down = Assert.ThrowsAny<Exception>(() => StartCore(new StorageOptions { Provider = StorageProvider.Postgres, ConnectionString = TestDatabases.WithClosedPort(storage.ConnectionString) }, elsewhere.Path));
        Assert.Contains("Storage:ConnectionString", down.Message);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere.Path));

        var refused = Assert.Throws<InvalidOperationException>(() => StartCore(storage, elsewhere.Path));
        Assert.Contains(Path.Combine(elsewhere.Path, "agency-code.key"), refused.Message);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere.Path));
    }

    [Theory, StorageData]
    public async Task A_core_holding_agencies_refuses_to_start_without_its_own_keys(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var storage = TestDatabases.Create(provider, folder.Path);
        var data = folder.File("core");
        await StartCoreHoldingAnAgencyAsync(storage, data);

        foreach (var key in new[] { "core-keys.pem", "agency-code.key" })
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
        WebApplication Start() => StartNode(provider, folder.File("node"), prefix, ("122173", "柏市"));
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

    [Fact]
    public async Task Audit_a_start_against_the_wrong_database_makes_keys_that_a_later_start_uses_over_the_real_data()
    {
        using var folder = new TempFolder();
        var real = TestDatabases.Create(StorageProvider.Sqlite, folder.File("real"));
        var data = folder.File("core");
        await SettingsTests.RunAsync(StartCore(real, data), _ => { });
        await using (var c = await new Database(real).OpenAsync())
            await c.ExecuteAsync("INSERT INTO agencies (agency_id, kind, name, node_address, signing_key, encryption_key, registered_at, updated_at) " +
                "VALUES ('122173', 'municipality', '柏市', 'https://node.example/', 'k', 'k', 't', 't')");
        var oldKey = File.ReadAllText(Path.Combine(data, "agency-code.key"));
        foreach (var f in Directory.GetFiles(data)) File.Delete(f);            // new host, keys not copied
        var wrong = TestDatabases.Create(StorageProvider.Sqlite, folder.File("wrong"));
        await new Database(wrong).MigrateAsync(typeof(NodeApp).Assembly);       // the wrong database: a Node's
        var refused = Assert.ThrowsAny<Exception>(() => StartCore(wrong, data));
        Assert.Contains("another service", refused.Message);
        var made = Directory.GetFiles(data).Select(Path.GetFileName).ToList();  // keys were made anyway
        InvalidOperationException? refusedAgain = null;
        try { await SettingsTests.RunAsync(StartCore(real, data), _ => { }); }  // setting corrected
        catch (InvalidOperationException e) { refusedAgain = e; }
        var newKey = File.Exists(Path.Combine(data, "agency-code.key")) ? File.ReadAllText(Path.Combine(data, "agency-code.key")) : oldKey;
        Assert.True(refusedAgain is not null, $"refused start made {string.Join(",", made)}; then the core started over agencies with a new code key ({newKey != oldKey})");
        // Refused for the missing key, not for whatever else can stop a start.
        Assert.StartsWith("鍵ファイル ", refusedAgain.Message);
        Assert.Contains(Path.Combine(data, "agency-code.key"), refusedAgain.Message.Split("がありません")[0]);
        Assert.Empty(made);
        Assert.Empty(Directory.GetFiles(data));
    }

    [Theory, StorageData]
    public async Task A_first_core_start_records_each_keys_fingerprint_never_the_secret_and_later_refuses_a_swapped_key_even_before_any_agency(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var storage = TestDatabases.Create(provider, folder.Path);
        var data = folder.File("core");
        await SettingsTests.RunAsync(StartCore(storage, data), _ => { });

        var recorded = await KeptKeyFiles.FingerprintsAsync(new Database(storage));
        Assert.Equal(["agency-code.key", "core-keys.pem"], recorded.Keys.Order());
        var code = Convert.FromHexString(File.ReadAllText(Path.Combine(data, "agency-code.key")).Trim());
        Assert.Equal("hmac-sha256:" + Convert.ToHexStringLower(HMACSHA256.HashData(code, "renkei key fingerprint v1"u8)), recorded["agency-code.key"]);
        using (var keys = PartyKeys.LoadOrCreate(Path.Combine(data, "core-keys.pem")))
            Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData([.. keys.Signing.ExportSubjectPublicKeyInfo(), .. keys.Encryption.ExportSubjectPublicKeyInfo()])),
                recorded["core-keys.pem"]);
        Assert.All(recorded.Values, f =>
        {
            Assert.DoesNotContain(Convert.ToHexStringLower(code), f);
            Assert.DoesNotContain(Convert.ToHexStringLower(SHA256.HashData(code)), f);
        });

        // No agency is registered yet, but the database was used with these keys: another one is refused all the same.
        var kept = Path.Combine(data, "agency-code.key");
        KeyFiles.ReplaceSecret(kept, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Renkei.Core.Codes.AgencyCodes.KeyBytes)));
        var refused = Assert.Throws<InvalidOperationException>(() => StartCore(storage, data));
        Assert.Contains($"鍵ファイル {kept} は、このデータベースが使ってきた agency-code.key の鍵ではありません", refused.Message);
        Assert.Equal(recorded, await KeptKeyFiles.FingerprintsAsync(new Database(storage)));
    }

    [Theory, StorageData]
    public async Task A_core_first_started_without_the_registrys_seal_key_takes_it_once_named(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var storage = TestDatabases.Create(provider, folder.Path);
        var data = folder.File("core");
        // A trial start before the Registry's key was copied over: the core makes a seal key of its own (and warns).
        await StartCoreHoldingAnAgencyAsync(storage, data);
        Assert.True(File.Exists(Path.Combine(data, "link-seal.key")));

        // Named as the warning asks, the Registry's key is taken (it used to be refused for good as "not the key this
        // database was used with", though the core keeps nothing sealed).
        var registrys = folder.File("registry-link-seal.key");
        KeyFiles.LoadOrCreate(registrys);
        await SettingsTests.RunAsync(StartCore(storage, data, ("Core:LinkSealKeyFile", registrys)), _ => { });

        // A named file that is not there is refused, and not made: a key of the core's own would open nothing the Registry seals.
        var typo = folder.File("registry-link-seal.kye");
        var refused = Assert.Throws<InvalidOperationException>(() => StartCore(storage, data, ("Core:LinkSealKeyFile", typo)));
        Assert.Contains($"the key file {typo} named by Core:LinkSealKeyFile is missing", refused.Message);
        Assert.StartsWith("Core:LinkSealKeyFile の鍵ファイル", refused.Message);
        Assert.False(File.Exists(typo));
    }

    [Theory, StorageData]
    public async Task A_core_holding_agencies_refuses_each_key_file_replaced_by_another_core_s_and_writes_nothing(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var storage = TestDatabases.Create(provider, folder.Path);
        var data = folder.File("core");
        await StartCoreHoldingAnAgencyAsync(storage, data);
        var recorded = await KeptKeyFiles.FingerprintsAsync(new Database(storage));
        var other = folder.File("other"); // another core's keys, of the same names
        await SettingsTests.RunAsync(StartCore(TestDatabases.Create(StorageProvider.Sqlite, other), other), _ => { });

        foreach (var key in new[] { "agency-code.key", "core-keys.pem" })
        {
            var kept = Path.Combine(data, key);
            File.Move(kept, kept + ".backup");
            File.Copy(Path.Combine(other, key), kept);
            var before = KeptKeyFiles.Snapshot(data);
            var refused = Assert.Throws<InvalidOperationException>(() => StartCore(storage, data));
            Assert.StartsWith($"鍵ファイル {kept} は、このデータベースが使ってきた {key} の鍵ではありません", refused.Message);
            Assert.Contains("バックアップから元の鍵ファイルを戻してください / ", refused.Message);
            Assert.Contains($"the key file {kept} is not the {key} this database was used with", refused.Message);
            Assert.Contains("restore the original file from a backup", refused.Message);
            Assert.DoesNotContain('\n', refused.Message);
            Assert.Equal(before, KeptKeyFiles.Snapshot(data));
            Assert.Equal(recorded, await KeptKeyFiles.FingerprintsAsync(new Database(storage)));
            File.Move(kept + ".backup", kept, overwrite: true); // restored from the backup, it starts
        }
        await SettingsTests.RunAsync(StartCore(storage, data), _ => { });
    }

    [Theory, StorageData]
    public async Task A_core_database_holding_agencies_from_before_fingerprints_records_its_keys_at_start_and_then_refuses_a_swap(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var storage = TestDatabases.Create(provider, folder.Path);
        var data = folder.File("core");
        await StartCoreHoldingAnAgencyAsync(storage, data);
        await KeptKeyFiles.ForgetFingerprintsAsync(new Database(storage));

        await SettingsTests.RunAsync(StartCore(storage, data), _ => { });
        var recorded = await KeptKeyFiles.FingerprintsAsync(new Database(storage));
        Assert.Equal(["agency-code.key", "core-keys.pem"], recorded.Keys.Order());

        var kept = Path.Combine(data, "agency-code.key");
        KeyFiles.ReplaceSecret(kept, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(64)));
        var refused = Assert.Throws<InvalidOperationException>(() => StartCore(storage, data));
        Assert.Contains(kept, refused.Message);
        Assert.Equal(recorded, await KeptKeyFiles.FingerprintsAsync(new Database(storage)));
    }

    [Theory, StorageData]
    public async Task A_node_tenant_records_its_keys_refuses_another_tenants_in_their_place_and_takes_them_at_start_over_data_from_before_fingerprints(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var prefix = "t" + Guid.NewGuid().ToString("N")[..10] + "_";
        WebApplication Start() => StartNode(provider, folder.File("node"), prefix, ("122173", "柏市"), ("131059", "文京区"));
        Database kashiwa = null!;
        await SettingsTests.RunAsync(Start(), async node =>
        {
            // A database of the test's own on the tenant's storage: the node closes its pools when it stops.
            var tenant = node.Services.GetRequiredService<TenantDirectory>().Find("122173")!.Database;
            kashiwa = new Database(tenant.Provider, tenant.ConnectionString);
            await using var c = await kashiwa.OpenAsync();
            await c.ExecuteAsync("INSERT INTO addressees (addressee_number, agency_code, code_issued_at, created_at) VALUES ('A-1', 'code-1', 't', 't')");
        });
        using var owned = kashiwa;
        var keys = Path.Combine(folder.File("node"), "tenants", "122173", "keys.pem");
        var recorded = await KeptKeyFiles.FingerprintsAsync(kashiwa);
        Assert.Equal(["keys.pem"], recorded.Keys);
        using (var own = PartyKeys.LoadOrCreate(keys))
            Assert.Equal(KeyFiles.PublicKeyFingerprint([.. own.Signing.ExportSubjectPublicKeyInfo(), .. own.Encryption.ExportSubjectPublicKeyInfo()]), recorded["keys.pem"]);

        // A tenant made before fingerprints were kept takes the keys it has at its next start.
        await KeptKeyFiles.ForgetFingerprintsAsync(kashiwa);
        await SettingsTests.RunAsync(Start(), _ => { });
        Assert.Equal(recorded, await KeptKeyFiles.FingerprintsAsync(kashiwa));

        // Then another tenant's keys copied in its place are refused, and nothing is written.
        File.Move(keys, keys + ".backup");
        File.Copy(Path.Combine(folder.File("node"), "tenants", "131059", "keys.pem"), keys);
        var before = KeptKeyFiles.Snapshot(folder.File("node"));
        var refused = Assert.Throws<InvalidOperationException>(() => Start());
        Assert.Contains($"the key file {keys} is not the keys.pem this database was used with", refused.Message);
        Assert.Equal(before, KeptKeyFiles.Snapshot(folder.File("node")));
        Assert.Equal(recorded, await KeptKeyFiles.FingerprintsAsync(kashiwa));
        File.Move(keys + ".backup", keys, overwrite: true);
        await SettingsTests.RunAsync(Start(), _ => { });
    }

    [Fact]
    public async Task A_node_tenant_on_another_services_database_is_refused_before_its_keys_or_another_tenants_are_made()
    {
        using var folder = new TempFolder();
        var tenant = Path.Combine(folder.File("node"), "tenants", "131059");
        await Database.Sqlite(Path.Combine(tenant, "node.db")).MigrateAsync(typeof(CoreApp).Assembly);
        var refused = Assert.Throws<InvalidOperationException>(() => NodeApp.Create([], b => Configure(b,
        [
            ("Node:DataFolder", folder.File("node")),
            ("Node:CoreAddress", "https://core.example/"),
            ("Node:Tenants:0:AgencyId", "122173"),
            ("Node:Tenants:0:Name", "柏市"),
            ("Node:Tenants:1:AgencyId", "131059"),
            ("Node:Tenants:1:Name", "文京区"),
        ])));
        Assert.Contains("another service", refused.Message);
        Assert.Empty(Directory.GetFiles(folder.File("node"), "keys.pem", SearchOption.AllDirectories));
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

    /// <summary>A core's first start on <paramref name="storage"/>, which then holds an agency: data made with its keys.</summary>
    private static async Task StartCoreHoldingAnAgencyAsync(StorageOptions storage, string dataFolder)
    {
        await SettingsTests.RunAsync(StartCore(storage, dataFolder), _ => { });
        await RegisterAgencyAsync(new Database(storage));
    }

    private static WebApplication StartCore(StorageOptions storage, string dataFolder, params (string Key, string Value)[] settings) =>
        CoreApp.Create([], b => Configure(b,
        [
            ("Storage:Provider", storage.Provider.ToString()),
            ("Storage:ConnectionString", storage.ConnectionString),
            ("Core:DataFolder", dataFolder),
            .. settings,
        ]));

    /// <summary>A Node hosting <paramref name="tenants"/> (agency id, name), each in its own schema under <paramref name="prefix"/> on PostgreSQL.</summary>
    private static WebApplication StartNode(StorageProvider provider, string dataFolder, string prefix, params (string AgencyId, string Name)[] tenants) =>
        NodeApp.Create([], b => Configure(b,
        [
            ("Storage:Provider", provider.ToString()),
            ("Storage:ConnectionString", provider == StorageProvider.Postgres ? TestDatabases.PostgresConnectionString : ""),
            ("Node:DataFolder", dataFolder),
            ("Node:SchemaPrefix", prefix),
            ("Node:CoreAddress", "https://core.example/"),
            .. tenants.SelectMany((t, i) => new[] { ($"Node:Tenants:{i}:AgencyId", t.AgencyId), ($"Node:Tenants:{i}:Name", t.Name) }),
        ]));

    private static void Configure(WebApplicationBuilder b, IEnumerable<(string Key, string Value)> settings)
    {
        b.WebHost.UseUrls("http://127.0.0.1:0");
        b.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        b.Logging.ClearProviders();
    }
}
