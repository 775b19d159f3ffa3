using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Seeding;
using Renkei.Testing;

namespace Renkei.Registry.Tests;

/// <summary>
/// The register's three keys (numbering, link secret, seal) are bound to its database: none is made anew beside residents,
/// and none is taken in place of the one the database was used with.
/// </summary>
public class KeptKeysTests
{
    private static readonly string[] Keys = ["link-seal.key", "link-secret.key", "numbering.key"];

    private static WebApplication Start(Database database, string dataFolder) => RegistryApp.Create([], b =>
    {
        b.WebHost.UseUrls("http://127.0.0.1:0");
        b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = database.Provider.ToString(),
            ["Storage:ConnectionString"] = database.ConnectionString,
            ["Registry:DataFolder"] = dataFolder,
            ["Logging:LogLevel:Default"] = "Warning",
        });
    });

    private static async Task SeedAsync(RegistryHost registry)
    {
        using var deriver = registry.Deriver();
        await ResidentSeeder.SeedAsync(registry.Database, deriver, new SeedPlan(7, 1, 5));
    }

    [Theory, StorageData]
    public async Task A_register_holding_residents_refuses_to_start_without_its_link_secret_or_seal_key_and_makes_neither(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        await SeedAsync(registry);
        using var elsewhere = new TempFolder(); // the database and the numbering key copied to a new host, the other two left behind
        File.Copy(Path.Combine(registry.DataFolder, "numbering.key"), Path.Combine(elsewhere.Path, "numbering.key"));

        var refused = Assert.Throws<InvalidOperationException>(() => Start(registry.Database, elsewhere.Path));
        Assert.Contains($"鍵ファイル {Path.Combine(elsewhere.Path, "link-secret.key")}, {Path.Combine(elsewhere.Path, "link-seal.key")} がありません", refused.Message);
        Assert.Contains("(in residents)", refused.Message);
        Assert.Equal(["numbering.key"], Directory.GetFiles(elsewhere.Path).Select(Path.GetFileName));

        foreach (var key in new[] { "link-secret.key", "link-seal.key" })
            File.Copy(Path.Combine(registry.DataFolder, key), Path.Combine(elsewhere.Path, key));
        await using var again = Start(registry.Database, elsewhere.Path);
    }

    [Theory, StorageData]
    public async Task A_register_refuses_each_key_file_replaced_by_another_key_and_writes_nothing(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        await SeedAsync(registry);
        var recorded = await KeptKeyFiles.FingerprintsAsync(registry.Database);
        Assert.Equal(Keys, recorded.Keys.Order());

        using var elsewhere = new TempFolder();
        foreach (var key in Keys) File.Copy(Path.Combine(registry.DataFolder, key), Path.Combine(elsewhere.Path, key));
        foreach (var key in Keys)
        {
            var kept = Path.Combine(elsewhere.Path, key);
            File.Move(kept, kept + ".backup");
            KeyFiles.ReplaceSecret(kept, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
            var before = KeptKeyFiles.Snapshot(elsewhere.Path);
            var refused = Assert.Throws<InvalidOperationException>(() => Start(registry.Database, elsewhere.Path));
            Assert.Contains($"鍵ファイル {kept} は、このデータベースが使ってきた {key} の鍵ではありません", refused.Message);
            Assert.Contains($"the key file {kept} is not the {key} this database was used with", refused.Message);
            Assert.Contains("restore the original file from a backup", refused.Message);
            Assert.Equal(before, KeptKeyFiles.Snapshot(elsewhere.Path));
            Assert.Equal(recorded, await KeptKeyFiles.FingerprintsAsync(registry.Database));
            File.Move(kept + ".backup", kept, overwrite: true);
        }
        await using var again = Start(registry.Database, elsewhere.Path);
    }

    [Theory, StorageData]
    public async Task A_register_holding_residents_from_before_fingerprints_records_its_keys_at_start_and_then_refuses_a_swap(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        await SeedAsync(registry);
        var recorded = await KeptKeyFiles.FingerprintsAsync(registry.Database);
        await KeptKeyFiles.ForgetFingerprintsAsync(registry.Database);

        await using (var upgraded = Start(registry.Database, registry.DataFolder)) { }
        Assert.Equal(recorded, await KeptKeyFiles.FingerprintsAsync(registry.Database));

        var secret = Path.Combine(registry.DataFolder, "link-secret.key");
        KeyFiles.ReplaceSecret(secret, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        var refused = Assert.Throws<InvalidOperationException>(() => Start(registry.Database, registry.DataFolder));
        Assert.Contains(secret, refused.Message);
    }

    [Theory, StorageData]
    public async Task A_register_seeded_before_its_first_start_starts_with_the_keys_the_seed_bound(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var database = TestDatabases.CreateDatabase(provider, folder.Path);
        var options = new RegistryOptions { DataFolder = folder.File("registry") };
        await RegistryApp.OpenAsync(database, options); // what renkei registry seed does first
        using (var deriver = new IndividualNumberDeriver(KeyFiles.Read(options.KeyFile)))
            await ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(7, 1, 5));
        var recorded = await KeptKeyFiles.FingerprintsAsync(database);
        Assert.Equal(Keys, recorded.Keys.Order());

        await using (var registry = Start(database, options.DataFolder)) { }
        Assert.Equal(recorded, await KeptKeyFiles.FingerprintsAsync(database));
    }
}
