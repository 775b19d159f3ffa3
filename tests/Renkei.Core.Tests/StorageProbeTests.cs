using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Core.Tests;

/// <summary>Database.ProbeAsync, what every service's <c>/health/ready</c> asks of each database.</summary>
public class StorageProbeTests
{
    /// <summary>For a probe whose expected answer is a timeout: short, so the test is quick.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    /// <summary>For a probe expected to answer or fail at once: what it answers is the point, not how soon, and a loaded CI
    /// machine can hold the probe's thread back for more than a second (it then answered TimeoutException).</summary>
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Theory, StorageData]
    public async Task A_migrated_database_answers_and_a_fresh_one_does_not(StorageProvider provider)
    {
        var database = TestDatabases.CreateDatabase(provider);
        // An empty database (or schema) is not this service's: an SQLite file that a connection made anew in place of a lost
        // one looks so.
        await (await database.OpenAsync()).DisposeAsync();
        Assert.IsType<InvalidOperationException>(await database.ProbeAsync(Generous));
        await database.MigrateAsync(typeof(CoreApp).Assembly);
        Assert.Null(await database.ProbeAsync(Generous));
    }

    [Fact]
    public async Task A_missing_sqlite_file_is_reported_and_not_created()
    {
        using var folder = new TempFolder();
        var file = folder.File("gone.db");
        var database = Database.Sqlite(file);
        Assert.IsType<Microsoft.Data.Sqlite.SqliteException>(await database.ProbeAsync(Generous));
        Assert.False(File.Exists(file));
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public async Task A_migrated_sqlite_file_moved_away_is_not_made_again_by_the_next_connection()
    {
        using var folder = new TempFolder();
        var file = folder.File("core.db");
        var database = Database.Sqlite(file);
        await database.MigrateAsync(typeof(CoreApp).Assembly);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Move(file, file + ".moved");

        // Before the fix a new connection made an empty core.db here, and the service ran on it.
        var refused = await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => database.OpenAsync());
        Assert.Equal(14, refused.SqliteErrorCode); // SQLITE_CANTOPEN
        Assert.False(File.Exists(file));

        File.Move(file + ".moved", file);
        await using var connection = await database.OpenAsync();
        Assert.Equal(0L, await connection.ScalarAsync<long>("SELECT count(*) FROM key_fingerprints"));
    }

    [Fact]
    public async Task A_postgres_port_where_nothing_listens_is_reported_as_the_connections_failure_not_a_timeout()
    {
        var database = new Database(StorageProvider.Postgres, TestDatabases.WithClosedPort("Username=renkei;Password=probe-secret;Database=renkei"));
        var refused = Assert.IsAssignableFrom<NpgsqlException>(await database.ProbeAsync(Generous));
        // Refused at once by the closed port, not Npgsql's own connect timeout, which throws an NpgsqlException too.
        Assert.IsAssignableFrom<System.Net.Sockets.SocketException>(refused.InnerException);
    }

    [Fact]
    public async Task Probes_asked_at_once_share_one_question_to_the_database()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = new List<Socket>();
        var accepting = Task.Run(async () => { while (true) { var s = await listener.AcceptSocketAsync(); lock (accepted) accepted.Add(s); } });
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var database = new Database(StorageProvider.Postgres, $"Host=127.0.0.1;Port={port};Username=renkei;Database=renkei;Timeout=60;Command Timeout=60");
            // A balancer's probes, or anyone's: the readiness probe needs no token. Each used to open a connection of its own
            // (a thread of its own on SQLite), which a hung database kept.
            var failures = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => database.ProbeAsync(Timeout)));
            Assert.All(failures, f => Assert.IsType<TimeoutException>(f));
            // The probes' timeout says nothing of when the accept loop (another pool continuation) has counted the one
            // connection: wait for it, then no second one may have come.
            await Eventually.HoldsAsync(() => Count() > 0, "the accept loop counted the connection", Generous);
            Assert.False(listener.Pending(), "a second connection waits to be accepted");
            Assert.Equal(1, Count());
        }
        finally
        {
            listener.Stop();
            lock (accepted) foreach (var socket in accepted) socket.Dispose();
        }

        int Count() { lock (accepted) return accepted.Count; }
    }

    [Fact]
    public async Task A_database_that_hangs_gets_an_answer_within_the_timeout()
    {
        // Accepts connections and never says a word, as a stopped server or a black-holed route would.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = new List<Socket>();
        var accepting = Task.Run(async () => { while (true) accepted.Add(await listener.AcceptSocketAsync()); });
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            // Npgsql's own timeouts are longer than the probe's: the probe's is the one that must end the wait.
            var database = new Database(StorageProvider.Postgres, $"Host=127.0.0.1;Port={port};Username=renkei;Database=renkei;Timeout=60;Command Timeout=60");
            var clock = Stopwatch.StartNew();
            var failure = await database.ProbeAsync(Timeout);
            Assert.IsType<TimeoutException>(failure);
            // Not before the probe's timeout, and nowhere near Npgsql's 60 s: a wait ended by Npgsql would take a minute. The
            // margin between is for a loaded machine, where the probe's own answer can come a few seconds late.
            Assert.InRange(clock.Elapsed, Timeout * 0.9, TimeSpan.FromSeconds(20));
        }
        finally
        {
            listener.Stop();
            foreach (var socket in accepted.ToArray()) socket.Dispose();
        }
    }
}
