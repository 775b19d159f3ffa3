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

    /// <summary>Every load, oldest first.</summary>
    public static async Task<List<PermissionTableLoad>> ListAsync(Database database)
    {
        await using var c = await database.OpenAsync();
        return await c.QueryAsync("SELECT seq, version, sha256, loaded_at FROM permission_table_loads ORDER BY seq",
            r => new PermissionTableLoad(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetStoredTime(3)));
    }
}
