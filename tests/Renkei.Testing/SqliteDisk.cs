using System.Data.Common;
using Renkei.Hosting.Storage;

namespace Renkei.Testing;

/// <summary>A full disk on SQLite: max_page_count is a disk that fills at once, and it stays on a connection the pool hands out again.</summary>
public static class SqliteDisk
{
    /// <summary>
    /// Gives each of <paramref name="connections"/> pooled connections of <paramref name="database"/> room for
    /// <paramref name="growBy"/> more pages (null: no limit). The limit is per connection: one in use elsewhere while this runs,
    /// or one the pool makes later (more open at once than <paramref name="connections"/>), has none.
    /// </summary>
    public static async Task LimitAsync(Database database, int? growBy, int connections = 16)
    {
        var opened = new List<DbConnection>();
        for (var i = 0; i < connections; i++) opened.Add(await database.OpenAsync());
        foreach (var c in opened)
        {
            var pages = await c.ScalarAsync<long>("PRAGMA page_count");
            await c.ExecuteAsync($"PRAGMA max_page_count = {(growBy is { } n ? pages + n : 1073741823)}");
        }
        foreach (var c in opened) await c.DisposeAsync();
    }
}
