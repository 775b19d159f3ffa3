using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Migrations;

/// <summary>Audit K, K4: only version numbers were compared, so a database from a newer or another build was used without a word.</summary>
public class MigrationHistoryTests
{
    private static readonly System.Reflection.Assembly Registry = typeof(RegistryApp).Assembly;

    private static async Task<Database> MigratedAsync(StorageProvider provider, string folder)
    {
        var database = TestDatabases.CreateDatabase(provider, folder);
        Assert.True(await database.MigrateAsync(Registry) >= 2);
        return database;
    }

    private static async Task ChangeAsync(Database database, string sql, params (string, object?)[] parameters)
    {
        await using var c = await database.OpenAsync();
        await c.ExecuteAsync(sql, null, parameters);
    }

    [Theory, StorageData]
    public async Task A_database_migrated_by_a_newer_build_is_refused_in_one_line_naming_the_migration(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var database = await MigratedAsync(provider, folder.Path);
        var engine = provider == StorageProvider.Postgres ? "postgres" : "sqlite";
        await ChangeAsync(database, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, @n, '2030-01-01T00:00:00Z')",
            ("n", $"Renkei.Registry.Migrations.{engine}.9999_future.sql"));

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => database.MigrateAsync(Registry));
        Assert.Contains("migration 9999 (9999_future.sql) is not in this build", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
    }

    [Theory, StorageData]
    public async Task A_migration_that_was_withdrawn_is_named_as_another_builds(StorageProvider provider)
    {
        // Audit O, O6: a migration past this build's last may come from a build that is older, whose migration was withdrawn
        // since (0012_records_by_message_id of the sixteenth session): the refusal stands, but does not call that build newer.
        using var folder = new TempFolder();
        var database = await MigratedAsync(provider, folder.Path);
        var engine = provider == StorageProvider.Postgres ? "postgres" : "sqlite";
        await using (var c = await database.OpenAsync())
        {
            var next = await c.ScalarAsync<long>("SELECT MAX(version) FROM schema_migrations") + 1;
            await c.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, '2026-11-30T00:00:00Z')", null,
                ("v", (int)next), ("n", $"Renkei.Registry.Migrations.{engine}.{next:0000}_withdrawn.sql"));
        }

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => database.MigrateAsync(Registry));
        Assert.Contains("the database was migrated by another build of Renkei (a newer one, or one whose migration was withdrawn)", refused.Message);
        Assert.Contains("_withdrawn.sql", refused.Message);
        Assert.DoesNotContain("newer Renkei", refused.Message);
        Assert.StartsWith("このデータベースは別の版の Renkei", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
    }

    [Theory, StorageData]
    public async Task A_database_whose_migration_of_a_version_is_another_or_was_edited_is_refused(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var database = await MigratedAsync(provider, folder.Path);
        var engine = provider == StorageProvider.Postgres ? "postgres" : "sqlite";
        // Another branch's migration 1.
        await ChangeAsync(database, "UPDATE schema_migrations SET name = @n WHERE version = 1", ("n", $"Renkei.Registry.Migrations.{engine}.0001_other_branch.sql"));
        var renamed = await Assert.ThrowsAsync<InvalidOperationException>(() => database.MigrateAsync(Registry));
        Assert.Contains("migration 1 (0001_other_branch.sql) is not this build's", renamed.Message);

        // The same name, but its text is not what this build would run (an applied migration edited since).
        using var other = new TempFolder();
        var edited = await MigratedAsync(provider, other.Path);
        await ChangeAsync(edited, "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 2");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => edited.MigrateAsync(Registry));
        Assert.Contains("migration 2 (", refused.Message);

        // A database migrated before checksums were kept gets this build's, and is used.
        await ChangeAsync(edited, "UPDATE schema_migrations SET checksum = NULL");
        Assert.Equal(0, await edited.MigrateAsync(Registry));
        Assert.Equal(0, await edited.MigrateAsync(Registry));
        await using var c = await edited.OpenAsync();
        Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations WHERE checksum IS NULL"));
    }
}
