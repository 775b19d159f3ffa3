using System.Data.Common;
using Renkei.Hosting.Storage;

namespace Renkei.Core.Permissions;

/// <summary>One start of the core with a permission table: which table (version, SHA-256 of its file) was in force from when.</summary>
public sealed record PermissionTableLoad(long Seq, string Version, string Sha256, DateTime LoadedAt);

/// <summary>
/// The permission tables the core started with, kept in its database with the file itself: a provision record holds no row
/// (a write per inquiry would cost the relay), so the table in force at a record's time is the last one loaded before it.
/// </summary>
public static class PermissionTableLoads
{
    public static async Task<PermissionTableLoad> RecordAsync(Database database, PermissionTable table, DateTime now)
    {
        await using var c = await database.OpenAsync();
        var seq = await c.ScalarAsync<long>("INSERT INTO permission_table_loads (version, sha256, loaded_at, content) VALUES (@v, @h, @at, @text)" +
            database.ReturningId("seq"), null, ("v", table.Version), ("h", table.Sha256), ("at", now.ToString("O")), ("text", table.Text));
        return new PermissionTableLoad(seq, table.Version, table.Sha256, now);
    }

    /// <summary>The file a load kept, as it was read; null when no load has the number.</summary>
    public static async Task<string?> ContentAsync(Database database, long seq)
    {
        await using var c = await database.OpenAsync();
        return await c.ScalarAsync<string?>("SELECT content FROM permission_table_loads WHERE seq = @s", null, ("s", seq));
    }

    /// <summary>Every load, oldest first.</summary>
    public static async Task<List<PermissionTableLoad>> ListAsync(Database database)
    {
        await using var c = await database.OpenAsync();
        return await c.QueryAsync("SELECT seq, version, sha256, loaded_at FROM permission_table_loads ORDER BY seq",
            r => new PermissionTableLoad(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetStoredTime(3)));
    }
}

/// <summary>
/// Records the load once the core serves, so that a start failing on its port or its TLS names no table that was never in
/// force (audit O, O3); the time is taken before the port is bound, so it precedes every record this start makes. A load
/// that cannot be recorded fails the start: the core does not serve under a table no one can find again.
/// </summary>
internal sealed class PermissionTableLoadRecorder(Database database, PermissionTable table, string source, TimeProvider time,
    ILogger<PermissionTableLoadRecorder> log) : IHostedLifecycleService
{
    private DateTime startingAt;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        startingAt = time.GetUtcNow().UtcDateTime;
        return Task.CompletedTask;
    }

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        PermissionTableLoad load;
        try { load = await PermissionTableLoads.RecordAsync(database, table, startingAt); }
        catch (DbException e)
        {
            throw new InvalidOperationException($"権限表 {table.Version} の読み込みを記録できないため起動を中止します / the load of permission table {table.Version} "
                + $"could not be recorded, so the core stops: {e.Message}", e);
        }
        log.LogInformation("Permission table {Version} (sha256:{Sha256}, {Rows} rows, {Source}) in force, load {Load}", load.Version, load.Sha256,
            table.Rows.Count, source, load.Seq);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
