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
    public static List<Caller> LoadOrCreate(string dataFolder)
    {
        var path = Path.Combine(dataFolder, "registry", "callers.json");
        if (File.Exists(path))
        {
            var existing = JsonSerializer.Deserialize<List<Caller>>(File.ReadAllText(path), ServiceDefaults.Json)!;
            if (existing.Any(c => c.Name == "pki")) return existing;
            // A data folder from before the PKI: add its caller and keep the others' tokens.
            existing.Add(PkiCaller());
            Save(path, existing);
            return existing;
        }
        List<Caller> callers =
        [
            new() { Name = "admin", Token = NewToken(), Permissions = ["admin"] },
            new() { Name = "identity", Token = NewToken(), Permissions = ["identity"] },
            new() { Name = "events", Token = NewToken(), Permissions = ["events"] },
            new() { Name = "corporations", Token = NewToken(), Permissions = ["corporations"] },
            new() { Name = "link-keys", Token = NewToken(), Permissions = ["link-keys"] },
            PkiCaller(),
            .. DemoMunicipalities.All.Select(m => new Caller
            {
                Name = $"clerk-{m.Code.Digits}", Token = NewToken(), Permissions = [$"municipality:{m.Code.Digits}"],
            }),
        ];
        Save(path, callers);
        return callers;
    }

    /// <summary>The PKI reads the Registry's identity API and event feed.</summary>
    private static Caller PkiCaller() => new() { Name = "pki", Token = NewToken(), Permissions = ["identity", "events"] };

    private static void Save(string path, List<Caller> callers)
    {
        // Owner-only from the first byte: a chmod after writing would leave the tokens readable for a moment.
        KeyFiles.ReplaceSecret(path, JsonSerializer.Serialize(callers, new JsonSerializerOptions(ServiceDefaults.Json) { WriteIndented = true }));
    }

    public static string TokenOf(string dataFolder, string name) => LoadOrCreate(dataFolder).First(c => c.Name == name).Token;

    private static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
}
