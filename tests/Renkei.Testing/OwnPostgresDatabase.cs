using Npgsql;

namespace Renkei.Testing;

/// <summary>
/// A PostgreSQL database of a test's own (not a schema in the shared one), which the test can shut as an outage would:
/// no new connection is let in and those open are ended. Dropped when disposed.
/// </summary>
public sealed class OwnPostgresDatabase : IAsyncDisposable
{
    private OwnPostgresDatabase(string name, string connectionString) => (Name, ConnectionString) = (name, connectionString);

    public string Name { get; }

    /// <summary>Its connection string, with <paramref name="password"/> if one was given (the test server trusts loopback, so any does).</summary>
    public string ConnectionString { get; }

    public static async Task<OwnPostgresDatabase> CreateAsync(string? password = null)
    {
        var name = "own_" + Guid.NewGuid().ToString("N")[..16];
        await ExecuteAsync($"CREATE DATABASE {name}");
        var builder = new NpgsqlConnectionStringBuilder(TestDatabases.PostgresConnectionString) { Database = name };
        if (password is not null) builder.Password = password;
        return new OwnPostgresDatabase(name, builder.ToString());
    }

    /// <summary>Refuses new connections and ends the open ones: the database is unreachable to its service from now on.</summary>
    public Task ShutAsync() => ExecuteAsync(
        $"ALTER DATABASE {Name} WITH ALLOW_CONNECTIONS false; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{Name}'");

    public async ValueTask DisposeAsync() => await ExecuteAsync($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");

    private static async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(TestDatabases.PostgresConnectionString);
        await connection.OpenAsync();
        foreach (var statement in sql.Split("; "))
        {
            await using var command = new NpgsqlCommand(statement, connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
