using Renkei.Hosting;
using Renkei.Hosting.Storage;
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
        var first = SettingsTests.StartCore(storage, folder);
        try
        {
            await first.StartAsync();
            var refused = Assert.Throws<InvalidOperationException>(() => SettingsTests.StartCore(storage, folder));
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
            await SettingsTests.RunAsync(SettingsTests.StartCore(TestDatabases.Create(provider, folder.Path), folder.File("core-other")), _ => { });
        }
        finally
        {
            await first.StopAsync();
            await first.DisposeAsync();
        }
        await SettingsTests.RunAsync(SettingsTests.StartCore(storage, folder), _ => { });
    }

    [Fact]
    public async Task A_core_refused_at_start_for_a_later_reason_leaves_the_database_to_the_next_start()
    {
        using var folder = new TempFolder();
        var storage = TestDatabases.Create(StorageProvider.Sqlite, folder.Path);
        await File.WriteAllTextAsync(folder.File("table.json"), "not json");
        // Refused after it took the database (its permission table), and not started or disposed: the lock goes with the refusal.
        Assert.ThrowsAny<Exception>(() => SettingsTests.StartCore(storage, folder, ("Core:PermissionTableFile", folder.File("table.json"))));
        await SettingsTests.RunAsync(SettingsTests.StartCore(storage, folder), _ => { });
    }

    [Theory, StorageData]
    public async Task A_second_node_on_a_tenant_database_is_refused_at_start_naming_the_tenant(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var prefix = "t" + Guid.NewGuid().ToString("N")[..10] + "_";
        var first = SettingsTests.StartNode(provider, folder.File("node"), prefix);
        try
        {
            await first.StartAsync();
            // The same tenant folder (SQLite) or schema (PostgreSQL), as a second host with the same settings would have.
            var refused = Assert.Throws<InvalidOperationException>(() => SettingsTests.StartNode(provider, folder.File("node"), prefix));
            Assert.StartsWith("tenant 122173 は別のインスタンスが同じデータベース（", refused.Message);
            Assert.Contains(provider == StorageProvider.Sqlite ? Path.Combine("tenants", "122173", "node.db") : $"schema {prefix}122173", refused.Message);
            Assert.Contains("another instance already runs tenant 122173 on the same database", refused.Message);
            // Another node hosting the same agency on a database of its own is not refused (tests share one PostgreSQL database).
            await SettingsTests.RunAsync(SettingsTests.StartNode(provider, folder.File("node-other"), "t" + Guid.NewGuid().ToString("N")[..10] + "_"), _ => { });
        }
        finally
        {
            await first.StopAsync();
            await first.DisposeAsync();
        }
        await SettingsTests.RunAsync(SettingsTests.StartNode(provider, folder.File("node"), prefix), _ => { });
    }

    [Fact]
    public async Task The_tenants_of_a_node_on_one_database_share_one_lock_connection_and_a_second_node_is_still_refused_per_tenant()
    {
        using var folder = new TempFolder();
        var prefix = "t" + Guid.NewGuid().ToString("N")[..10] + "_";
        (string Key, string Value)[] second = [("Node:Tenants:1:AgencyId", "132012"), ("Node:Tenants:1:Name", "八王子市")];
        var first = SettingsTests.StartNode(StorageProvider.Postgres, folder.File("node"), prefix, second);
        try
        {
            await first.StartAsync();
            // Both tenants' locks held on the server, by one backend: a connection a tenant would exhaust a server for 90 tenants.
            Assert.Equal((1, 2), await HoldersAsync($"tenant 122173|{prefix}122173", $"tenant 132012|{prefix}132012"));
            var refused = Assert.Throws<InvalidOperationException>(() => SettingsTests.StartNode(StorageProvider.Postgres, folder.File("node"), prefix, second));
            Assert.StartsWith("tenant 122173 は別のインスタンスが", refused.Message);
            // A node whose first tenant is on a schema of its own and whose second is on the first node's is refused that tenant:
            // each tenant's lock is its own.
            var own = new Npgsql.NpgsqlConnectionStringBuilder(TestDatabases.PostgresConnectionString) { SearchPath = prefix + "132012" }.ToString();
            refused = Assert.Throws<InvalidOperationException>(() => SettingsTests.StartNode(StorageProvider.Postgres, folder.File("node-2"),
                "t" + Guid.NewGuid().ToString("N")[..10] + "_", [.. second, ("Node:Tenants:1:ConnectionString", own)]));
            Assert.StartsWith("tenant 132012 は別のインスタンスが", refused.Message);
            Assert.Equal((1, 2), await HoldersAsync($"tenant 122173|{prefix}122173", $"tenant 132012|{prefix}132012"));
        }
        finally
        {
            await first.StopAsync();
            await first.DisposeAsync();
        }
        // Released on the server, and its connection closed with its last lock.
        Assert.Equal((0, 0), await HoldersAsync($"tenant 122173|{prefix}122173", $"tenant 132012|{prefix}132012"));
    }

    [Fact]
    public void A_core_with_no_search_path_and_one_with_search_path_public_are_one_instance_on_the_same_tables()
    {
        var party = "core-" + Guid.NewGuid().ToString("N")[..8];
        var server = new Npgsql.NpgsqlConnectionStringBuilder(TestDatabases.PostgresConnectionString) { SearchPath = null };
        using var first = InstanceLock.Take(new Database(StorageProvider.Postgres, server.ToString()), party);
        var refused = Assert.Throws<InvalidOperationException>(() =>
            InstanceLock.Take(new Database(StorageProvider.Postgres, new Npgsql.NpgsqlConnectionStringBuilder(server.ToString()) { SearchPath = "public" }.ToString()), party));
        Assert.Contains(", schema public)", refused.Message);
    }

    [Fact]
    public void A_lock_disposed_twice_leaves_the_next_holder_its_lock()
    {
        var party = "core-" + Guid.NewGuid().ToString("N")[..8];
        var database = new Database(StorageProvider.Postgres, TestDatabases.CreatePostgresSchema());
        var first = InstanceLock.Take(database, party);
        first.Dispose();
        using var next = InstanceLock.Take(database, party);
        first.Dispose(); // the container's, after the app's stop
        Assert.Throws<InvalidOperationException>(() => InstanceLock.Take(database, party));
    }

    [Fact]
    public void A_lock_file_that_cannot_be_opened_is_named_as_such_not_as_another_instance()
    {
        using var folder = new TempFolder();
        var storage = TestDatabases.Create(StorageProvider.Sqlite, folder.Path);
        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(storage.ConnectionString).DataSource + ".instance";
        Directory.CreateDirectory(file); // opened as a file, refused: as a full disk or a read-only file system would be
        var refused = Assert.Throws<InvalidOperationException>(() => SettingsTests.StartCore(storage, folder));
        Assert.StartsWith($"core のインスタンスのロックファイル（{file}）を開けないため、起動しません（権限がありません） / ", refused.Message);
        Assert.Contains($"cannot open core's instance lock file ({file}): permission denied", refused.Message);
        Assert.DoesNotContain("another instance", refused.Message);
    }

    /// <summary>The backends holding the instance locks of <paramref name="keys"/>, and the locks held.</summary>
    private static async Task<(long Backends, long Locks)> HoldersAsync(params string[] keys)
    {
        await using var connection = new Npgsql.NpgsqlConnection(TestDatabases.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT count(DISTINCT pid), count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = @c::bigint "
            + "AND objid::bigint IN (SELECT hashtext(k)::bigint & 4294967295 FROM unnest(@k) k)", connection);
        command.Parameters.AddWithValue("c", 0x49_4E_53_54);
        command.Parameters.AddWithValue("k", keys);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
