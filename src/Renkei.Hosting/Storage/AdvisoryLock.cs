using Npgsql;

namespace Renkei.Hosting.Storage;

/// <summary>
/// A party's advisory lock on PostgreSQL. The locks of one server, database and user share one connection: a connection a
/// tenant would cost 90 of a default server's 100 for a node of 90 tenants on one database. A session's advisory locks
/// stack rather than refuse, so the keys this process holds are refused here before the server is asked.
/// </summary>
internal sealed class AdvisoryLock : IDisposable
{
    private const int LockClass = 0x49_4E_53_54; // "INST"

    /// <summary>Serialises every command on every lock connection, and their list: starts and stops only.</summary>
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, Shared> Connections = [];

    private readonly Shared shared;
    private readonly string key;

    private AdvisoryLock(Shared shared, string key) => (this.shared, this.key) = (shared, key);

    public static AdvisoryLock Take(Database database, string party, string setting)
    {
        var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var searchPath = builder.SearchPath;
        builder.SearchPath = null;
        // Not pooled: the locks live exactly as long as this connection, which nothing else uses or gives back.
        builder.Pooling = false;
        // Kept busy, so that neither the server's idle_session_timeout nor a firewall's idle limit ends it, and the locks with it.
        if (builder.KeepAlive == 0) builder.KeepAlive = 60;
        Shared shared;
        string schema;
        lock (Gate)
        {
            try
            {
                if (!Connections.TryGetValue(builder.ConnectionString, out shared!) || shared.Connection.FullState.HasFlag(System.Data.ConnectionState.Broken))
                {
                    var connection = new NpgsqlConnection(builder.ConnectionString);
                    try { connection.Open(); }
                    catch { connection.Dispose(); throw; }
                    Connections[builder.ConnectionString] = shared = new Shared(builder.ConnectionString, connection);
                }
                shared.Users++;
            }
            catch (System.Data.Common.DbException e)
            {
                throw KeyFiles.Unreachable(setting, e);
            }
            try
            {
                schema = SchemaOf(shared.Connection, searchPath);
            }
            catch (Exception e)
            {
                Leave(shared);
                if (e is System.Data.Common.DbException db) throw KeyFiles.Unreachable(setting, db);
                throw;
            }
        }
        var key = party + "|" + schema;
        // An instance that has just ended (a restart) may not have been seen to go yet: its backend releases the lock a moment
        // after its connection closes. Asked again for a few seconds before the start is refused.
        var asked = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            lock (Gate)
            {
                try
                {
                    if (!shared.Keys.Contains(key) && TryLock(shared.Connection, key))
                    {
                        shared.Keys.Add(key);
                        return new AdvisoryLock(shared, key);
                    }
                }
                catch (Exception e)
                {
                    Leave(shared);
                    if (e is System.Data.Common.DbException db) throw KeyFiles.Unreachable(setting, db);
                    throw;
                }
                if (asked.Elapsed >= InstanceLock.EndingInstanceWait)
                {
                    Leave(shared);
                    throw InstanceLock.Refused(party, $"{builder.Host}:{builder.Port}/{builder.Database}, schema {schema}");
                }
            }
            Thread.Sleep(100);
        }
    }

    /// <summary>
    /// The schema the party's tables are in, as the server resolves its search path (no Search Path and Search Path=public are
    /// one); before its first migration a schema does not exist yet, and the search path's first name stands for it.
    /// </summary>
    private static string SchemaOf(NpgsqlConnection connection, string? searchPath)
    {
        using (var set = new NpgsqlCommand(searchPath is null ? "RESET search_path" : "SELECT set_config('search_path', @p, false)", connection))
        {
            set.Parameters.AddWithValue("p", searchPath ?? "");
            set.ExecuteNonQuery();
        }
        using var read = new NpgsqlCommand(
            "SELECT coalesce(current_schema(), lower(btrim(split_part(current_setting('search_path'), ',', 1), ' \"')))", connection);
        return (string)read.ExecuteScalar()!;
    }

    private static bool TryLock(NpgsqlConnection connection, string key)
    {
        using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@c, hashtext(@k))", connection);
        command.Parameters.AddWithValue("c", LockClass);
        command.Parameters.AddWithValue("k", key);
        return (bool)command.ExecuteScalar()!;
    }

    /// <summary>
    /// Released by a statement before the connection closes, so that an instance started right after this one ends (a restart in
    /// the same process, as the tests do) finds it free rather than still held by a closing backend. A short wait: this runs at stop.
    /// </summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (!shared.Keys.Remove(key)) return;
            try
            {
                using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@c, hashtext(@k))", shared.Connection) { CommandTimeout = 2 };
                unlock.Parameters.AddWithValue("c", LockClass);
                unlock.Parameters.AddWithValue("k", key);
                unlock.ExecuteNonQuery();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException) { } // the connection is gone: so is the lock
            Leave(shared);
        }
    }

    /// <summary>One user fewer; the last one closes the connection. Under <see cref="Gate"/>.</summary>
    private static void Leave(Shared shared)
    {
        if (--shared.Users > 0) return;
        if (Connections.TryGetValue(shared.Server, out var current) && current == shared) Connections.Remove(shared.Server);
        shared.Connection.Dispose();
    }

    /// <summary>A lock connection, its takers (holding or still asking) and the keys it holds.</summary>
    private sealed class Shared(string server, NpgsqlConnection connection)
    {
        public string Server { get; } = server;
        public NpgsqlConnection Connection { get; } = connection;
        public int Users { get; set; }
        public HashSet<string> Keys { get; } = [];
    }
}
