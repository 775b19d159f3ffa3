using System.Security.Cryptography;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Registry.Municipalities;

namespace Renkei.Cli.Network;

/// <summary>
/// The sandbox's callers and their tokens, made on first start and kept in DIR/registry/callers.json
/// (readable by the owner only), never in source.
/// </summary>
public static class SandboxCallers
{
    /// <summary>The Registry's callers in DIR/registry/callers.json.</summary>
    public static List<Caller> LoadOrCreate(string dataFolder) => LoadOrCreate(Path.Combine(dataFolder, "registry", "callers.json"),
    [
        ("admin", ["admin"]), ("identity", ["identity"]), ("events", ["events"]), ("corporations", ["corporations"]), ("link-keys", ["link-keys"]),
        // The PKI reads the Registry's identity API and event feed.
        ("pki", ["identity", "events"]),
        .. DemoMunicipalities.All.Select(m => ($"clerk-{m.Code.Digits}", new[] { $"municipality:{m.Code.Digits}" })),
    ]);

    /// <summary>
    /// The callers in <paramref name="path"/>, adding with new tokens any of <paramref name="wanted"/> the file lacks (a data
    /// folder from an earlier version keeps its other tokens). Owner-only from the first byte: a chmod after writing would
    /// leave the tokens readable for a moment.
    /// </summary>
    public static List<Caller> LoadOrCreate(string path, (string Name, string[] Permissions)[] wanted)
    {
        var callers = File.Exists(path) ? JsonSerializer.Deserialize<List<Caller>>(File.ReadAllText(path), ServiceDefaults.Json)! : [];
        var missing = wanted.Where(w => callers.All(c => c.Name != w.Name)).ToList();
        if (missing.Count == 0) return callers;
        callers.AddRange(missing.Select(w => new Caller { Name = w.Name, Permissions = [.. w.Permissions], Token = NewToken() }));
        KeyFiles.ReplaceSecret(path, JsonSerializer.Serialize(callers, new JsonSerializerOptions(ServiceDefaults.Json) { WriteIndented = true }));
        return callers;
    }

    public static string TokenOf(string dataFolder, string name) => LoadOrCreate(dataFolder).First(c => c.Name == name).Token;

    private static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
}
