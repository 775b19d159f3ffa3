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

    /// <summary>How long the readiness probe waits for each database before it counts it as not answering.</summary>
    public double ProbeTimeoutSeconds { get; set; } = 2;
}

/// <summary>
/// One service's database: opens connections with the settings each provider needs and knows the
/// few places where their SQL differs. Services write portable SQL with <c>@name</c> parameters.
/// </summary>
public sealed class Database : IDisposable
{
    private readonly NpgsqlDataSource? postgres;

    public Database(StorageProvider provider, string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new ArgumentException("Storage:ConnectionString is empty", nameof(connectionString));
        Provider = provider;
        ConnectionString = connectionString;
        if (provider == StorageProvider.Postgres)
        {
            postgres = ReadConnectionString(() => NpgsqlDataSource.Create(Tuned(connectionString)), Setting, SettingEnglish);
            return;
        }
        var file = ReadConnectionString(() => new SqliteConnectionStringBuilder(connectionString).DataSource, Setting, SettingEnglish);
        var folder = Path.GetDirectoryName(Path.GetFullPath(file));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
    }

    public Database(StorageOptions options) : this(options.Provider, options.ConnectionString) { }

    private const string Setting = "設定 Storage:ConnectionString", SettingEnglish = "the setting Storage:ConnectionString";

    /// <summary>
    /// What <paramref name="read"/> makes of a connection string; one the parser cannot read is named as
    /// <paramref name="japanese"/> / <paramref name="english"/> (a setting, a command's option) without repeating any of it.
    /// The parser's own words quote the piece it could not read, which after an unquoted ';' in a password is part of the
    /// password ("Couldn't set secrethalf"), and they go to the console and the journal.
    /// </summary>
    public static T ReadConnectionString<T>(Func<T> read, string japanese, string english)
    {
        try { return read(); }
        catch (ArgumentException)
        {
            throw new ArgumentException($"{japanese} を読めません。「;」や「=」を含む値は引用符で囲んでください（Password='a;b'）/ "
                + $"{english} cannot be read: quote a value that holds ';' or '=' (Password='a;b')");
        }
    }

    /// <summary>
    /// Closes the PostgreSQL pool's connections: a stopped service holds none of the server's connections (each idle one
    /// otherwise stayed for the pool's idle lifetime, five minutes, and services started and stopped in turn, as tests and
    /// restarts do, ran the server out of them).
    /// </summary>
    public void Dispose() => postgres?.Dispose();

    /// <summary>
    /// Npgsql settings for services that run the same few statements many times, unless the connection
    /// string says otherwise: statements used twice are prepared on the server (no parse and plan per
    /// call), and a pooled connection is not reset with DISCARD ALL on its return (which also drops
    /// those prepared statements). Our code keeps no session state: settings are SET LOCAL only.
    /// </summary>
    private static string Tuned(string connectionString)
    {
        // Npgsql's own builder says every keyword it knows is present; the plain one lists what the string holds.
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()).ToHashSet();
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.Contains("maxautoprepare")) builder.MaxAutoPrepare = 64;
        if (!given.Contains("autoprepareminusages")) builder.AutoPrepareMinUsages = 2;
        if (!given.Contains("noresetonclose")) builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }

    /// <summary>An SQLite database in <paramref name="file"/>.</summary>
    public static Database Sqlite(string file) => new(StorageProvider.Sqlite, new SqliteConnectionStringBuilder { DataSource = file, Pooling = true }.ToString());

    public StorageProvider Provider { get; }

    public string ConnectionString { get; }

    /// <summary>What SQLite connections open: <see cref="ConnectionString"/>, without creating the file once it is migrated.</summary>
    private volatile string sqliteOpens = "";

    /// <summary>
    /// Called by the migrator once the database holds this service's schema. From then on an SQLite connection does not
    /// create a missing file: one moved or deleted under a running service would otherwise come back empty at the pool's
    /// next new connection, and the service would fail on its tables there (or, for a table made on first use, write into it).
    /// </summary>
    internal void Migrated()
    {
        if (postgres is null) sqliteOpens = NotCreating(new SqliteConnectionStringBuilder(ConnectionString)).ToString();
    }

    /// <summary>The SQLite connection string opening the file as it says, but never creating a missing one.</summary>
    private static SqliteConnectionStringBuilder NotCreating(SqliteConnectionStringBuilder builder)
    {
        if (builder.Mode == SqliteOpenMode.ReadWriteCreate) builder.Mode = SqliteOpenMode.ReadWrite;
        return builder;
    }

    /// <summary>Opens a connection; SQLite connections get WAL, foreign keys and a busy timeout.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        if (postgres is not null) return await postgres.OpenConnectionAsync(ct);
        var connection = new SqliteConnection(sqliteOpens.Length > 0 ? sqliteOpens : ConnectionString);
        await connection.OpenAsync(ct);
        await using var pragma = connection.CreateCommand();
        // The busy timeout first: switching a new file to WAL waits, rather than fails, while another connection does the same.
        // synchronous=FULL syncs the WAL at each commit: what a party answered after committing (a provision record, an event)
        // survives a power cut too, not only a crash of the process. secure_delete overwrites what is deleted (a copy stored by
        // mistake, an expired idempotency key) with zeros, so it does not stay readable in the file's free pages.
        pragma.CommandText = "PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }

    /// <summary>
    /// Whether the database answers now, for the readiness probe: null when it said within <paramref name="timeout"/> that it
    /// holds the migrations table, else why not (for the log only: it may name a host). It writes and creates nothing. SQLite
    /// is opened without creating a missing file and outside the pool, whose open handle would still read a file deleted or
    /// renamed under it; asking for schema_migrations also fails on an empty file made in its place and on a PostgreSQL schema
    /// that is gone. The wait ends on time even when the call itself hangs (SQLite's calls block; a stopped server).
    /// Probes made while one is running join it: however many requests ask at once, a database is asked once at a time, so a
    /// flood of probes takes one pooled connection, and a hung SQLite file holds one blocked thread rather than one per probe.
    /// </summary>
    public async Task<Exception?> ProbeAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        Task<Exception?> running;
        lock (probeGate)
        {
            if (probe is null || probe.IsCompleted) probe = Task.Run(() => ProbeOnceAsync(timeout));
            running = probe;
        }
        try
        {
            return await running.WaitAsync(timeout, ct);
        }
        catch (TimeoutException e) when (!ct.IsCancellationRequested)
        {
            return new TimeoutException($"no answer within {timeout.TotalSeconds:0.#} s", e);
        }
    }

    private readonly Lock probeGate = new();
    private Task<Exception?>? probe;

    /// <summary>One question to the database, given up after <paramref name="timeout"/> where the provider can give up (PostgreSQL).</summary>
    private async Task<Exception?> ProbeOnceAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await ReadMigrationsAsync(timeout, cts.Token);
            return null;
        }
        catch (Exception e)
        {
            return e is OperationCanceledException ? new TimeoutException($"no answer within {timeout.TotalSeconds:0.#} s", e) : e;
        }
    }

    private async Task ReadMigrationsAsync(TimeSpan timeout, CancellationToken ct)
    {
        await using DbConnection connection = postgres is not null ? await postgres.OpenConnectionAsync(ct) : new SqliteConnection(ProbeConnectionString(timeout));
        if (connection.State != System.Data.ConnectionState.Open) await connection.OpenAsync(ct);
        // Looked up by name at each call: a statement naming the table is prepared on a pooled connection, and would still
        // find it by its id in a schema renamed since.
        await using var command = connection.Command(postgres is not null
            ? "SELECT to_regclass('schema_migrations') IS NOT NULL"
            : "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')");
        if (!Convert.ToBoolean(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture))
            throw new InvalidOperationException("schema_migrations is missing: the database (or schema) is empty or another one");
    }

    /// <summary>This SQLite database opened as the probe opens it: never created, never pooled, waiting no longer than the probe.</summary>
    private string ProbeConnectionString(TimeSpan timeout) =>
        NotCreating(new SqliteConnectionStringBuilder(ConnectionString) { Pooling = false, DefaultTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)) }).ToString();

    /// <summary>
    /// Begins a write transaction that no other writer of the same <paramref name="lockKey"/> runs
    /// beside: SQLite's IMMEDIATE transaction, PostgreSQL's transaction-scoped advisory lock. Writers
    /// of an outbox need this so that positions become visible in order.
    /// </summary>
    public Task<DbTransaction> BeginSerializedAsync(DbConnection connection, long lockKey, CancellationToken ct = default) =>
        BeginSerializedAsync(connection, [lockKey], ct);

    /// <summary>The PostgreSQL data source, for bulk COPY; null on SQLite.</summary>
    public NpgsqlDataSource? PostgresDataSource => postgres;

    /// <summary>SQL that returns the id of the row just inserted, appended to an INSERT.</summary>
    public string ReturningId(string column) => $" RETURNING {column}";

    /// <summary>
    /// True when the database could not take the request just now but may in a moment: SQLite busy or locked, PostgreSQL out
    /// of connections (the server's or the pool's), a deadlock or serialization failure, a server restarting or its
    /// connection lost. The client gets 503 with Retry-After rather than a 500 that reads as a fault.
    /// </summary>
    public static bool IsBusy(Exception? e)
    {
        // Npgsql counts a full disk as transient too; a second later it is as full, so it is told apart (IsFull).
        if (IsFull(e)) return false;
        for (; e is not null; e = e.InnerException)
            if (e is SqliteException { SqliteErrorCode: 5 or 6 } || e is NpgsqlException { IsTransient: true }) return true;
        return false;
    }

    /// <summary>How long a full disk's 503 asks a client to wait (Retry-After), and a node's batches pause: a full disk is not over in a second.</summary>
    public const int FullRetrySeconds = 60;

    /// <summary>
    /// True when the database could not write because its disk is full: SQLITE_FULL (13; also a file at its max_page_count),
    /// PostgreSQL's disk_full (53100). Nothing of the failed write is stored, and nothing is until the operator frees space.
    /// </summary>
    public static bool IsFull(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is SqliteException { SqliteErrorCode: 13 } || e is PostgresException { SqlState: PostgresErrorCodes.DiskFull }) return true;
        return false;
    }

    /// <summary>True when an exception is a unique-constraint violation.</summary>
    public static bool IsUniqueViolation(Exception e) => e switch
    {
        SqliteException s => s.SqliteErrorCode == 19 && s.Message.Contains("UNIQUE", StringComparison.Ordinal),
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    /// <summary>
    /// <see cref="BeginSerializedAsync(DbConnection, long, CancellationToken)"/> for a writer that touches several lock holders at once:
    /// on PostgreSQL each key's advisory lock is taken before the first statement, in ascending order (every such writer takes them in
    /// the same order, so two cannot wait on each other), each key once.
    /// </summary>
    public async Task<DbTransaction> BeginSerializedAsync(DbConnection connection, IEnumerable<long> lockKeys, CancellationToken ct = default)
    {
        var tx = await connection.BeginTransactionAsync(ct);
        if (Provider == StorageProvider.Postgres)
            foreach (var key in lockKeys.Distinct().Order())
                await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@k)", tx, ("k", key));
        return tx;
    }
}
