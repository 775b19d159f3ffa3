using Renkei.Hosting;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Renkei.Protocol;

namespace Renkei.Core.Codes;

/// <summary>
/// 機関別符号: each agency's pseudonym for a person, computed, not stored. A code is the
/// deterministic authenticated encryption of the Registry's link key for the person, bound to the
/// agency, under the core's 64-byte code key: AES-SIV-CMAC-512 (RFC 5297, <see cref="AesSiv"/>).
/// <code>
///   V ‖ C = AES-SIV(key, associated data = UTF-8(agency), plaintext = linkKey)
///           (S2V with AES-256-CMAC under key[0..32], AES-256-CTR under key[32..64])
///   code  = base64url(V ‖ C)                 (16 + 32 bytes = 64 characters)
/// </code>
/// One agency's code for one person is always the same (V is synthetic), two agencies' codes for
/// one person share nothing visible, and only the core (holding the key) can open a code and
/// re-encrypt its link key for another agency. Opening recomputes V over the recovered link key,
/// so a code made up or moved to another agency is refused. The link key survives a re-issue of
/// the Individual Number, so codes do too.
/// </summary>
public sealed class AgencyCodes
{
    public const int LinkKeyLength = 32;

    /// <summary>The code key's length: 32 bytes for AES-CMAC, 32 for AES-CTR.</summary>
    public const int KeyBytes = 64;
    private const int CodeBytes = AesSiv.SivLength + LinkKeyLength;
    private static readonly int CodeChars = System.Buffers.Text.Base64Url.GetEncodedLength(CodeBytes);
    // Agency ids come from the agency store (a few hundred); the cap keeps memory bounded whatever a caller passes.
    private const int MaxCachedAgencies = 4096;

    // One AesSiv per thread: its Aes objects may not be shared.
    private readonly ThreadLocal<AesSiv> siv;
    // S2V's value after each agency's id depends on nothing else, so it is computed once per agency
    // (RFC 5297 §5): a code then costs the CMAC over its link key (two blocks) and the CTR (two blocks).
    private readonly ConcurrentDictionary<string, UInt128> absorbed = new(StringComparer.Ordinal);

    public AgencyCodes(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyBytes) throw new ArgumentException("The code key is 64 bytes: 32 for AES-CMAC, 32 for AES-CTR.", nameof(key));
        var copy = key.ToArray();
        siv = new ThreadLocal<AesSiv>(() => new AesSiv(copy));
    }

    /// <summary>Reads the core's code key file (128 hex characters), or makes one on first start.</summary>
    public static AgencyCodes LoadOrCreate(string file)
    {
        var key = KeyFiles.LoadOrCreate(file, KeyBytes);
        try { return new AgencyCodes(key); }
        finally { CryptographicOperations.ZeroMemory(key); }
    }

    /// <summary>The code of <paramref name="agencyId"/> for the person whose link key is given.</summary>
    public string Issue(string agencyId, ReadOnlySpan<byte> linkKey)
    {
        if (linkKey.Length != LinkKeyLength) throw new ArgumentException($"A link key is {LinkKeyLength} bytes.", nameof(linkKey));
        Span<byte> code = stackalloc byte[CodeBytes];
        siv.Value!.Encrypt(Absorbed(agencyId), linkKey, code);
        return System.Buffers.Text.Base64Url.EncodeToString(code);
    }

    /// <summary>Whether <paramref name="code"/> has a code's form (base64url of its bytes), whoever it was made for.</summary>
    public static bool IsWellFormed(string? code)
    {
        Span<byte> raw = stackalloc byte[CodeBytes];
        return code?.Length == CodeChars && Base64UrlText.TryDecodeExact(code, raw);
    }

    /// <summary>Opens a code that <paramref name="agencyId"/> presents; false for a code not made for that agency by this key.</summary>
    public bool TryOpen(string agencyId, string? code, Span<byte> linkKey)
    {
        if (code is null || code.Length != CodeChars || linkKey.Length != LinkKeyLength) return false;
        Span<byte> raw = stackalloc byte[CodeBytes];
        if (!Base64UrlText.TryDecodeExact(code, raw)) return false;
        return siv.Value!.TryDecrypt(Absorbed(agencyId), raw, linkKey);
    }

    /// <summary>Whether this core made <paramref name="code"/> for <paramref name="agencyId"/>: only such a code is recorded.</summary>
    public bool IsIssued(string agencyId, string? code)
    {
        Span<byte> linkKey = stackalloc byte[LinkKeyLength];
        var issued = TryOpen(agencyId, code, linkKey);
        CryptographicOperations.ZeroMemory(linkKey);
        return issued;
    }

    /// <summary>Translates <paramref name="fromAgency"/>'s code into <paramref name="toAgency"/>'s code for the same person; null for an unknown code.</summary>
    public string? Translate(string fromAgency, string code, string toAgency)
    {
        Span<byte> linkKey = stackalloc byte[LinkKeyLength];
        if (!TryOpen(fromAgency, code, linkKey)) return null;
        var translated = Issue(toAgency, linkKey);
        CryptographicOperations.ZeroMemory(linkKey);
        return translated;
    }

    private UInt128 Absorbed(string agencyId)
    {
        if (absorbed.TryGetValue(agencyId, out var d)) return d;
        d = siv.Value!.Absorb(Encoding.UTF8.GetBytes(agencyId));
        if (absorbed.Count < MaxCachedAgencies) absorbed.TryAdd(agencyId, d);
        return d;
    }
}
