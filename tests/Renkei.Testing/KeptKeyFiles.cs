using Renkei.Hosting.Storage;

namespace Renkei.Testing;

/// <summary>What the key-binding tests look at: the fingerprints a database records and the files a data folder holds.</summary>
public static class KeptKeyFiles
{
    /// <summary>The recorded fingerprints, by key name.</summary>
    public static async Task<Dictionary<string, string>> FingerprintsAsync(Database database)
    {
        await using var c = await database.OpenAsync();
        return (await c.QueryAsync("SELECT name, fingerprint FROM key_fingerprints", r => (r.GetString(0), r.GetString(1)))).ToDictionary();
    }

    /// <summary>The database as it was before fingerprints were kept: no table, no migration that made it.</summary>
    public static async Task ForgetFingerprintsAsync(Database database)
    {
        await using var c = await database.OpenAsync();
        await c.ExecuteAsync("DROP TABLE key_fingerprints");
        await c.ExecuteAsync("DELETE FROM schema_migrations WHERE name LIKE '%key_fingerprints%'");
    }

    /// <summary>Every file under <paramref name="folder"/> (relative name, then contents) except databases: to show nothing was written.</summary>
    public static SortedDictionary<string, string> Snapshot(string folder) => new(
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains(".db", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(folder, f), f => Convert.ToHexString(File.ReadAllBytes(f))), StringComparer.Ordinal);
}
