using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Renkei.Hosting.Storage;

/// <summary>The two stores every service runs on.</summary>
public enum StorageProvider
{
    /// <summary>An SQLite file: the embedded default.</summary>
    Sqlite,
    /// <summary>A PostgreSQL database (or schema, through the connection string's search path).</summary>
    Postgres,
}

/// <summary>Where a service keeps its data; bound from the <c>Storage</c> configuration section.</summary>
public sealed class StorageOptions
{
    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>An ADO.NET connection string for the provider.</summary>
    public string ConnectionString { get; set; } = "";
}

/// <summary>
/// One service's database: opens connections with the settings each provider needs and knows the
/// few places where their SQL differs. Services write portable SQL with <c>@name</c> parameters.
/// </summary>
public sealed class Database
{
    private readonly NpgsqlDataSource? postgres;

    public Database(StorageProvider provider, string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new ArgumentException("Storage:ConnectionString is empty", nameof(connectionString));
        Provider = provider;
        ConnectionString = connectionString;
        if (provider == StorageProvider.Postgres) postgres = NpgsqlDataSource.Create(connectionString);
        else
        {
            var file = new SqliteConnectionStringBuilder(connectionString).DataSource;
            var folder = Path.GetDirectoryName(Path.GetFullPath(file));
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        }
    }

    public Database(StorageOptions options) : this(options.Provider, options.ConnectionString) { }

    /// <summary>An SQLite database in <paramref name="file"/>.</summary>
    public static Database Sqlite(string file) => new(StorageProvider.Sqlite, new SqliteConnectionStringBuilder { DataSource = file, Pooling = true }.ToString());

    public StorageProvider Provider { get; }

    public string ConnectionString { get; }

    /// <summary>Opens a connection; SQLite connections get WAL, foreign keys and a busy timeout.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        if (postgres is not null) return await postgres.OpenConnectionAsync(ct);
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL;";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }

    /// <summary>
    /// Begins a write transaction that no other writer of the same <paramref name="lockKey"/> runs
    /// beside: SQLite's IMMEDIATE transaction, PostgreSQL's transaction-scoped advisory lock. Writers
    /// of an outbox need this so that positions become visible in order.
    /// </summary>
    public async Task<DbTransaction> BeginSerializedAsync(DbConnection connection, long lockKey, CancellationToken ct = default)
    {
        var tx = await connection.BeginTransactionAsync(ct);
        if (Provider == StorageProvider.Postgres)
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@k)", tx, ("k", lockKey));
        return tx;
    }

    /// <summary>The PostgreSQL data source, for bulk COPY; null on SQLite.</summary>
    public NpgsqlDataSource? PostgresDataSource => postgres;

    /// <summary>SQL that returns the id of the row just inserted, appended to an INSERT.</summary>
    public string ReturningId(string column) => $" RETURNING {column}";

    /// <summary>True when an exception is a unique-constraint violation.</summary>
    public static bool IsUniqueViolation(Exception e) => e switch
    {
        SqliteException s => s.SqliteErrorCode == 19 && s.Message.Contains("UNIQUE", StringComparison.Ordinal),
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };
}
