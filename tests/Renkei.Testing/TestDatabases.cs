using Npgsql;
using Renkei.Hosting.Storage;

namespace Renkei.Testing;

/// <summary>
/// Fresh, empty databases for tests: an SQLite file in a temporary folder, or a new schema in the
/// PostgreSQL server named by RENKEI_TEST_POSTGRES (which ./test starts). PostgreSQL is required,
/// never skipped.
/// </summary>
public static class TestDatabases
{
    public const string PostgresVariable = "RENKEI_TEST_POSTGRES";

    public static string PostgresConnectionString =>
        Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException(
                $"{PostgresVariable} is not set. Run the tests with ./test, which starts a PostgreSQL server, or set it to a connection string.");

    /// <summary>The connection string of a new empty database of <paramref name="provider"/>.</summary>
    public static StorageOptions Create(StorageProvider provider, string? folder = null)
    {
        if (provider == StorageProvider.Sqlite)
        {
            folder ??= TempFolder.CreatePath();
            Directory.CreateDirectory(folder);
            return new StorageOptions { Provider = provider, ConnectionString = $"Data Source={Path.Combine(folder, $"test-{Guid.NewGuid():N}.db")}" };
        }
        return new StorageOptions { Provider = provider, ConnectionString = CreatePostgresSchema() };
    }

    public static Database CreateDatabase(StorageProvider provider, string? folder = null) => new(Create(provider, folder));

    /// <summary>A new schema; the returned connection string searches only it.</summary>
    public static string CreatePostgresSchema()
    {
        var schema = "t_" + Guid.NewGuid().ToString("N")[..16];
        using (var connection = new NpgsqlConnection(PostgresConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
            command.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(PostgresConnectionString) { SearchPath = schema }.ToString();
    }

    /// <summary><paramref name="connectionString"/> pointed at a loopback port nothing listens on, giving up after 5 s.</summary>
    public static string WithClosedPort(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Host = "127.0.0.1", Port = LoopbackPorts.Closed(), Timeout = 5 }.ToString();

    /// <summary>
    /// Applies <paramref name="assembly"/>'s migrations 1 to <paramref name="last"/> as an older build left the database (each
    /// recorded in schema_migrations, no checksum yet), for a test to put rows in before the migrator takes it on; returns how many
    /// migrations come after, which the migrator's next run applies.
    /// </summary>
    public static async Task<int> MigrateUpToAsync(this Database database, System.Reflection.Assembly assembly, int last)
    {
        var engine = database.Provider == StorageProvider.Postgres ? "postgres" : "sqlite";
        var migrations = assembly.GetManifestResourceNames().Where(n => n.Contains($".{engine}.", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        await using var c = await database.OpenAsync();
        await c.ExecuteAsync("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
        for (var version = 1; version <= last; version++)
        {
            var name = migrations[version - 1];
            if (!name.Contains($".{version:D4}_", StringComparison.Ordinal)) throw new InvalidOperationException($"migration {version} is not {name}");
            await c.ExecuteAsync(await new StreamReader(assembly.GetManifestResourceStream(name)!).ReadToEndAsync());
            await c.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, '2026-01-01T00:00:00Z')", null, ("v", version), ("n", name));
        }
        return migrations.Length - last;
    }
}

/// <summary>A temporary folder removed when disposed.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path = CreatePath());

    public string Path { get; }

    public static string CreatePath() => System.IO.Path.Combine(System.IO.Path.GetTempPath(), "renkei-tests", Guid.NewGuid().ToString("N")[..12]);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
