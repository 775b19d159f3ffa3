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

        var sqlOf = new Dictionary<int, string>();
        foreach (var (version, name) in migrations)
        {
            await using var stream = assembly.GetManifestResourceStream(name)!;
            sqlOf[version] = await new StreamReader(stream).ReadToEndAsync(ct);
        }

        await using var connection = await database.OpenAsync(ct);
        var count = 0;
        while (true)
        {
            // Services started together (or two hosts on one database) migrate one at a time: what is applied
            // is read again under the lock, so one that waited applies nothing the other did.
            await using var tx = await BeginExclusiveAsync(database, connection, ct);
            await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)", tx);
            await AddChecksumColumnAsync(database, connection, tx);
            var rows = await connection.QueryAsync("SELECT version, name, checksum FROM schema_migrations ORDER BY version",
                r => (version: Convert.ToInt32(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture), name: r.GetString(1), checksum: r.IsDBNull(2) ? null : r.GetString(2)), tx);
            RefuseAnotherServices(assembly, rows.Select(r => r.name));
            RefuseAnotherHistory(migrations, rows, sqlOf);
            // Rows from before checksums were kept get this build's: a later edit of an applied migration is then seen.
            foreach (var row in rows.Where(r => r.checksum is null))
                await connection.ExecuteAsync("UPDATE schema_migrations SET checksum = @c WHERE version = @v", tx, ("c", Checksum(sqlOf[row.version])), ("v", row.version));
            var applied = rows.Select(r => r.version).ToHashSet();
            var next = migrations.FirstOrDefault(m => !applied.Contains(m.version));
            if (next.name is null)
            {
                await tx.CommitAsync(ct);
                database.Migrated();
                return count;
            }
            await connection.ExecuteAsync(sqlOf[next.version], tx);
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (@v, @n, @t, @c)", tx,
                ("v", next.version), ("n", next.name), ("t", DateTime.UtcNow.ToString("O")), ("c", Checksum(sqlOf[next.version])));
            await tx.CommitAsync(ct);
            count++;
        }
    }

    /// <summary>
    /// A database this build did not migrate the way it would is refused before anything is applied, in one line: one with a
    /// migration past this build's last, from a newer build (rolled back to this one, it would fail on each write, or write rows
    /// the newer invariants do not hold for) or from one whose migration was withdrawn since, which is not newer; and one whose
    /// version N is another migration or was edited since (another branch's).
    /// </summary>
    private static void RefuseAnotherHistory(List<(int version, string name)> migrations, List<(int version, string name, string? checksum)> rows,
        Dictionary<int, string> sqlOf)
    {
        var ours = migrations.ToDictionary(m => m.version, m => m.name);
        if (rows.FirstOrDefault(r => r.version > migrations[^1].version) is { name: not null } newer)
            throw new InvalidOperationException($"このデータベースは別の版の Renkei（より新しい版、またはそのマイグレーションが取り下げられた版）で移行されています"
                + $"（マイグレーション {newer.version}: {ShortName(newer.name)}）。その版で動かすか、バックアップから戻してください / the database was migrated by "
                + $"another build of Renkei (a newer one, or one whose migration was withdrawn): migration {newer.version} ({ShortName(newer.name)}) is not "
                + "in this build; run that build or restore a backup");
        if (rows.FirstOrDefault(r => !ours.ContainsKey(r.version) || r.name != ours[r.version] || r.checksum is not null && r.checksum != Checksum(sqlOf[r.version])) is { name: not null } other)
            throw new InvalidOperationException($"このデータベースのマイグレーション {other.version}（{ShortName(other.name)}）はこの版のもの（{(ours.TryGetValue(other.version, out var mine) ? ShortName(mine) : "なし")}）と違います。"
                + "別の版で移行されたデータベースです / the database's migration " + $"{other.version} ({ShortName(other.name)}) is not this build's "
                + $"({(mine is null ? "none" : ShortName(mine))}, or it was edited since): the database was migrated by another build");
    }

    /// <summary><c>0012_name.sql</c> of a resource name.</summary>
    private static string ShortName(string resource) =>
        MigrationName().Match(resource) is { Success: true } m ? m.Value[(m.Value.IndexOf('.', "Migrations.".Length) + 1)..] : resource;

    /// <summary>The SHA-256 of a migration's text, line ends as LF (a checkout with CR LF is the same migration).</summary>
    private static string Checksum(string sql) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));

    /// <summary>The checksum column, added to a table made before it was kept (its rows then get this build's checksums).</summary>
    private static async Task AddChecksumColumnAsync(Database database, DbConnection connection, DbTransaction tx)
    {
        var has = database.Provider == StorageProvider.Postgres
            ? "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'checksum'"
            : "SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'";
        if (await connection.ScalarAsync<long>(has, tx) == 0)
            await connection.ExecuteAsync("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT", tx);
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
