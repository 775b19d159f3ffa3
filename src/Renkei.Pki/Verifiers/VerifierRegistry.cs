using Renkei.Hosting;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Certificates;

namespace Renkei.Pki.Verifiers;

/// <summary>
/// 署名検証者 / 利用者証明検証者: a government body or a private business registered to verify.
/// Only an approved verifier gets revocation information with personal items.
/// </summary>
public sealed record Verifier(string VerifierId, string Name, string Kind, bool Approved, bool Signing, bool Authentication);

/// <summary>The registered verifiers, found by their bearer token (stored as a SHA-256 hash only).</summary>
public sealed class VerifierRegistry(Database database, TimeProvider clock, PkiOptions options)
{
    private readonly ConcurrentDictionary<string, Verifier> byTokenHash = new();
    private readonly byte[] pseudonymKey = KeyFiles.LoadOrCreate(options.PseudonymKeyPath);

    public async Task<(Verifier Verifier, string Token)> RegisterAsync(string name, string kind, bool approved, bool signing, bool authentication)
    {
        var verifier = new Verifier("V" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)), name, kind, approved, signing, authentication);
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        await using var c = await database.OpenAsync();
        await c.ExecuteAsync(
            "INSERT INTO verifiers (verifier_id, name, kind, approved, signing, authentication, token_hash, registered_at) VALUES (@i, @n, @k, @a, @s, @u, @h, @t)",
            null, ("i", verifier.VerifierId), ("n", name), ("k", kind), ("a", approved ? 1 : 0), ("s", signing ? 1 : 0), ("u", authentication ? 1 : 0),
            ("h", Hash(token)), ("t", CertificateStore.Text(clock.GetUtcNow().UtcDateTime)));
        return (verifier, token);
    }

    /// <summary>The verifier whose token the request carries; null when none or unknown.</summary>
    public async Task<Verifier?> FromRequestAsync(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        var hash = Hash(header["Bearer ".Length..].Trim());
        if (byTokenHash.TryGetValue(hash, out var cached)) return cached;
        await using var c = await database.OpenAsync();
        var found = (await c.QueryAsync("SELECT verifier_id, name, kind, approved, signing, authentication FROM verifiers WHERE token_hash = @h",
            r => new Verifier(r.GetString(0), r.GetString(1), r.GetString(2), Convert.ToInt32(r.GetValue(3)) == 1,
                Convert.ToInt32(r.GetValue(4)) == 1, Convert.ToInt32(r.GetValue(5)) == 1), null, ("h", hash))).FirstOrDefault();
        if (found is not null) byTokenHash[hash] = found;
        return found;
    }

    /// <summary>A stable subject for one holder at one verifier; two verifiers' subjects cannot be linked.</summary>
    public string Pseudonym(Verifier verifier, string residentId)
    {
        var mac = HMACSHA256.HashData(pseudonymKey, Encoding.UTF8.GetBytes(verifier.VerifierId + "\n" + residentId));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

}
