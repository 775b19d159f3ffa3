using System.Data.Common;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Renkei.Hosting.Storage;

/// <summary>
/// Applies a service's versioned SQL migrations: embedded resources named
/// <c>Migrations/{sqlite|postgres}/NNNN_name.sql</c>, each applied once, in order, in its own transaction.
/// </summary>
public static partial class Migrator
{
    public static async Task<int> MigrateAsync(this Database database, Assembly assembly, CancellationToken ct = default)
    {
        var folder = database.Provider == StorageProvider.Postgres ? "postgres" : "sqlite";
        var migrations = assembly.GetManifestResourceNames()
            .Select(name => (name, match: MigrationName().Match(name)))
            .Where(m => m.match.Success && m.match.Groups["provider"].Value == folder)
            .Select(m => (version: int.Parse(m.match.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture), m.name))
            .OrderBy(m => m.version)
            .ToList();
        if (migrations.Count == 0) throw new InvalidOperationException($"{assembly.GetName().Name} has no {folder} migrations");

        await using var connection = await database.OpenAsync(ct);
        var count = 0;
        while (true)
        {
            // Services started together (or two hosts on one database) migrate one at a time: what is applied
            // is read again under the lock, so one that waited applies nothing the other did.
            await using var tx = await BeginExclusiveAsync(database, connection, ct);
            await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)", tx);
            var rows = await connection.QueryAsync("SELECT version, name FROM schema_migrations ORDER BY version",
                r => (version: Convert.ToInt32(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture), name: r.GetString(1)), tx);
            RefuseAnotherServices(assembly, rows.Select(r => r.name));
            var applied = rows.Select(r => r.version).ToHashSet();
            var next = migrations.FirstOrDefault(m => !applied.Contains(m.version));
            if (next.name is null)
            {
                await tx.CommitAsync(ct);
                database.Migrated();
                return count;
            }
            await using var stream = assembly.GetManifestResourceStream(next.name)!;
            var sql = await new StreamReader(stream).ReadToEndAsync(ct);
            await connection.ExecuteAsync(sql, tx);
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t)", tx,
                ("v", next.version), ("n", next.name), ("t", DateTime.UtcNow.ToString("O")));
            await tx.CommitAsync(ct);
            count++;
        }
    }

    /// <summary>
    /// A database that holds another service's migrations (a connection string copied from the wrong service) is refused
    /// before anything is applied: matched on version alone, its numbers would pass for ours and the rest be run into it.
    /// </summary>
    private static void RefuseAnotherServices(Assembly assembly, IEnumerable<string> applied)
    {
        var owner = assembly.GetName().Name!;
        var foreign = applied.Where(n => !n.StartsWith(owner + ".Migrations.", StringComparison.Ordinal)).ToList();
        if (foreign.Count == 0) return;
        var shown = string.Join(", ", foreign.Take(3)) + (foreign.Count > 3 ? $" (+{foreign.Count - 3})" : "");
        throw new InvalidOperationException($"このデータベースには別のサービスのマイグレーション（{shown}）があります。{owner} は何も適用しません。"
            + $"接続先（Storage:ConnectionString）を確かめてください / the database holds another service's migrations ({shown}): "
            + $"{owner} applied none of its own; check Storage:ConnectionString");
    }

    /// <summary>The advisory-lock class of migrations; the second key is the schema's, so tenants in their own schemas do not wait on each other.</summary>
    private const int MigrationLock = 0x4D_49_47_52; // "MIGR"

    /// <summary>
    /// A transaction no other migrator of the same database (SQLite: BEGIN IMMEDIATE, the file's one writer)
    /// or schema (PostgreSQL: a transaction-scoped advisory lock) runs beside.
    /// </summary>
    private static async Task<DbTransaction> BeginExclusiveAsync(Database database, DbConnection connection, CancellationToken ct)
    {
        if (database.Provider == StorageProvider.Sqlite) return ((SqliteConnection)connection).BeginTransaction(deferred: false);
        var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@k, hashtext(coalesce(current_schema(), '')))", tx, ("k", MigrationLock));
        return tx;
    }

    [GeneratedRegex(@"Migrations\.(?<provider>sqlite|postgres)\.(?<version>\d{4})_[\w]+\.sql$")]
    private static partial Regex MigrationName();
}
