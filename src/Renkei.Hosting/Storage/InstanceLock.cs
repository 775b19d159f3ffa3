using Microsoft.Data.Sqlite;
using Npgsql;

namespace Renkei.Hosting.Storage;

/// <summary>
/// One running instance of a party on its database, held for the process's life. A party's replay cache and inquiry-id
/// claims are its process's memory (EnvelopeVerifier), so a second instance on the same database would accept once more
/// every message the first accepted. PostgreSQL: a session-level advisory lock on a connection of its own; SQLite: an OS
/// lock on a file beside the database's. Either ends with the process, however it ends.
/// </summary>
public sealed class InstanceLock : IDisposable
{
    private readonly IDisposable held;

    private InstanceLock(IDisposable held) => this.held = held;

    /// <summary>The advisory-lock class of instances; the second key is the party's and the schema's (tenants of one database).</summary>
    private const int LockClass = 0x49_4E_53_54; // "INST"

    /// <summary>
    /// Takes <paramref name="party"/>'s lock on <paramref name="database"/>, or refuses the start naming both; a database it
    /// cannot reach stops the start naming <paramref name="setting"/>, as the key files' check after it would.
    /// </summary>
    public static InstanceLock Take(Database database, string party, string setting = "Storage:ConnectionString")
    {
        if (database.Provider == StorageProvider.Postgres) return TakePostgres(database, party, setting);
        var file = Path.GetFullPath(new SqliteConnectionStringBuilder(database.ConnectionString).DataSource);
        try
        {
            return new InstanceLock(FileLock.Take(file + ".instance", TimeSpan.Zero));
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException))
        {
            throw Refused(party, file);
        }
    }

    private static InstanceLock TakePostgres(Database database, string party, string setting)
    {
        // Not pooled: the lock lives exactly as long as this connection, which nothing else uses or gives back.
        var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false };
        // Kept busy, so that neither the server's idle_session_timeout nor a firewall's idle limit ends it, and the lock with it.
        if (builder.KeepAlive == 0) builder.KeepAlive = 60;
        var schema = builder.SearchPath ?? "";
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            connection.Open();
            using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@c, hashtext(@k))", connection);
            command.Parameters.AddWithValue("c", LockClass);
            command.Parameters.AddWithValue("k", party + "|" + schema);
            // An instance that has just ended (a restart) may not have been seen to go yet: its backend releases the lock a moment
            // after its connection closes. Asked again for a few seconds before the start is refused.
            var asked = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                if ((bool)command.ExecuteScalar()!) return new InstanceLock(new HeldAdvisoryLock(connection));
                if (asked.Elapsed >= EndingInstanceWait) break;
                Thread.Sleep(100);
            }
        }
        catch (Exception e)
        {
            connection.Dispose();
            if (e is System.Data.Common.DbException db) throw KeyFiles.Unreachable(setting, db);
            throw;
        }
        connection.Dispose();
        throw Refused(party, $"{builder.Host}:{builder.Port}/{builder.Database}" + (schema.Length > 0 ? $", schema {schema}" : ""));
    }

    private static InvalidOperationException Refused(string party, string database) =>
        new($"{party} は別のインスタンスが同じデータベース（{database}）ですでに動かしているため、起動しません。当事者ごとに動かすインスタンスは1つです / "
            + $"another instance already runs {party} on the same database ({database}): this one does not start; run one instance per party");

    /// <summary>How long a start waits for an instance that has just ended to be seen gone before it refuses.</summary>
    public static readonly TimeSpan EndingInstanceWait = TimeSpan.FromSeconds(3);

    public void Dispose() => held.Dispose();

    /// <summary>
    /// The lock's connection. Released by a statement before the connection closes, so that an instance started right after
    /// this one ends (a restart in the same process, as the tests do) finds it free rather than still held by a closing backend.
    /// </summary>
    private sealed class HeldAdvisoryLock(NpgsqlConnection connection) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", connection);
                unlock.ExecuteNonQuery();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException) { } // the connection is gone: so is the lock
            connection.Dispose();
        }
    }
}
