using System.Reflection;
using System.Text.RegularExpressions;

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
            .Select(m => (version: int.Parse(m.match.Groups["version"].Value), m.name))
            .OrderBy(m => m.version)
            .ToList();
        if (migrations.Count == 0) throw new InvalidOperationException($"{assembly.GetName().Name} has no {folder} migrations");

        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
        var applied = (await connection.QueryAsync("SELECT version FROM schema_migrations", r => Convert.ToInt32(r.GetValue(0)))).ToHashSet();
        var count = 0;
        foreach (var (version, name) in migrations.Where(m => !applied.Contains(m.version)))
        {
            await using var stream = assembly.GetManifestResourceStream(name)!;
            var sql = await new StreamReader(stream).ReadToEndAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync(sql, tx);
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t)", tx,
                ("v", version), ("n", name), ("t", DateTime.UtcNow.ToString("O")));
            await tx.CommitAsync(ct);
            count++;
        }
        return count;
    }

    [GeneratedRegex(@"Migrations\.(?<provider>sqlite|postgres)\.(?<version>\d{4})_[\w]+\.sql$")]
    private static partial Regex MigrationName();
}
