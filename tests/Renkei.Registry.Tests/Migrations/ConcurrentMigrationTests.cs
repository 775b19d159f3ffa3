using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Migrations;

public class ConcurrentMigrationTests
{
    [Theory, StorageData]
    public async Task Migrators_started_at_once_on_one_database_all_succeed_and_apply_each_migration_once(StorageProvider provider)
    {
        var assembly = typeof(RegistryApp).Assembly;
        using var folder = new TempFolder();
        // A few rounds, each on a new database, so that they really overlap at least once.
        for (var round = 0; round < 5; round++)
        {
            var storage = TestDatabases.Create(provider, folder.Path);
            // Four Database objects, four pools: as services or hosts starting at once on one database would have
            // (two rarely overlap on SQLite, whose migrations take a few milliseconds).
            var migrators = Enumerable.Range(0, 4).Select(_ => new Database(storage)).ToArray();
            using var go = new ManualResetEventSlim();
            var runs = migrators.Select(d => Task.Run(async () => { go.Wait(); return await d.MigrateAsync(assembly); })).ToArray();
            go.Set();
            var applied = await Task.WhenAll(runs);

            await using var c = await migrators[0].OpenAsync();
            var versions = await c.QueryAsync("SELECT version FROM schema_migrations ORDER BY version", r => Convert.ToInt32(r.GetValue(0)));
            Assert.Equal(versions.Distinct(), versions);
            Assert.Equal(versions.Count, applied.Sum());
            Assert.True(versions.Count >= 2, $"{versions.Count} migrations");
            Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events"));
            Assert.Equal(0, await migrators[1].MigrateAsync(assembly));
        }
    }
}
