using Renkei.Hosting;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Renkei.Protocol;

namespace Renkei.Core.Codes;

/// <summary>
/// 機関別符号: each agency's pseudonym for a person, computed, not stored. A code is the
/// deterministic authenticated encryption of the Registry's link key for the person, bound to the
/// agency, under the core's code key (the construction of AES-GCM-SIV's idea with standard parts):
/// <code>
///   iv   = HMAC-SHA256(macKey, "renkei-agency-code-v1" ‖ len(agency) ‖ agency ‖ linkKey)[0..12]
///   ct‖tag = AES-256-GCM(encKey, iv, plaintext = linkKey, associated data = agency)
///   code = base64url(iv ‖ ct ‖ tag)          (12 + 32 + 16 bytes = 80 characters)
/// </code>
/// One agency's code for one person is always the same (the iv is synthetic), two agencies' codes
/// for one person share nothing visible, and only the core (holding the key) can open a code and
/// re-encrypt its link key for another agency. Opening checks the tag and that the iv is the one
/// the plaintext gives, so a code made up or moved to another agency is refused. The link key
/// survives a re-issue of the Individual Number, so codes do too.
/// </summary>
public sealed class AgencyCodes
{
    public const int LinkKeyLength = 32;
    private const int IvLength = 12, TagLength = 16, CodeBytes = IvLength + LinkKeyLength + TagLength;
    private static readonly byte[] Label = "renkei-agency-code-v1"u8.ToArray();

    // One HMAC and one AES-GCM instance per thread: an HMAC context keeps the keyed pads' state
    // between codes (one native call per code instead of two hashes), and neither type may be shared.
    private readonly ThreadLocal<IncrementalHash> hmac;
    private readonly ThreadLocal<AesGcm> aes;

    public AgencyCodes(ReadOnlySpan<byte> key)
    {
        if (key.Length != 64) throw new ArgumentException("The code key is 64 bytes: 32 for HMAC, 32 for AES.", nameof(key));
        var macKey = key[..32].ToArray();
        var encKey = key[32..].ToArray();
        hmac = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, macKey));
        aes = new ThreadLocal<AesGcm>(() => new AesGcm(encKey, TagLength));
    }

    /// <summary>Reads the core's code key file (128 hex characters), or makes one on first start.</summary>
    public static AgencyCodes LoadOrCreate(string file)
    {
        var key = KeyFiles.LoadOrCreate(file, 64);
        try { return new AgencyCodes(key); }
        finally { CryptographicOperations.ZeroMemory(key); }
    }

    /// <summary>The code of <paramref name="agencyId"/> for the person whose link key is given.</summary>
    public string Issue(string agencyId, ReadOnlySpan<byte> linkKey)
    {
        if (linkKey.Length != LinkKeyLength) throw new ArgumentException($"A link key is {LinkKeyLength} bytes.", nameof(linkKey));
        Span<byte> code = stackalloc byte[CodeBytes];
        Span<byte> agency = stackalloc byte[Encoding.UTF8.GetMaxByteCount(agencyId.Length)];
        agency = agency[..Encoding.UTF8.GetBytes(agencyId, agency)];
        SyntheticIv(agency, linkKey, code[..IvLength]);
        aes.Value!.Encrypt(code[..IvLength], linkKey, code.Slice(IvLength, LinkKeyLength), code[(IvLength + LinkKeyLength)..], agency);
        return Base64Url(code);
    }

    /// <summary>Opens a code that <paramref name="agencyId"/> presents; false for a code not made for that agency by this key.</summary>
    public bool TryOpen(string agencyId, string? code, Span<byte> linkKey)
    {
        if (code is null || code.Length != 80 || linkKey.Length != LinkKeyLength) return false;
        Span<byte> raw = stackalloc byte[CodeBytes];
        if (!TryFromBase64Url(code, raw)) return false;
        Span<byte> agency = stackalloc byte[Encoding.UTF8.GetMaxByteCount(agencyId.Length)];
        agency = agency[..Encoding.UTF8.GetBytes(agencyId, agency)];
        try { aes.Value!.Decrypt(raw[..IvLength], raw.Slice(IvLength, LinkKeyLength), raw[(IvLength + LinkKeyLength)..], linkKey, agency); }
        catch (AuthenticationTagMismatchException) { return false; }
        Span<byte> iv = stackalloc byte[IvLength];
        SyntheticIv(agency, linkKey, iv);
        return CryptographicOperations.FixedTimeEquals(iv, raw[..IvLength]);
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

    private void SyntheticIv(ReadOnlySpan<byte> agency, ReadOnlySpan<byte> linkKey, Span<byte> iv)
    {
        Span<byte> message = stackalloc byte[Label.Length + 4 + agency.Length + linkKey.Length];
        Label.CopyTo(message);
        BinaryPrimitives.WriteInt32BigEndian(message[Label.Length..], agency.Length);
        agency.CopyTo(message[(Label.Length + 4)..]);
        linkKey.CopyTo(message[(Label.Length + 4 + agency.Length)..]);
        var mac = hmac.Value!;
        mac.AppendData(message);
        Span<byte> tag = stackalloc byte[32];
        mac.GetHashAndReset(tag);
        tag[..IvLength].CopyTo(iv);
        CryptographicOperations.ZeroMemory(message);
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    private static bool TryFromBase64Url(string text, Span<byte> destination) => Base64UrlText.TryDecodeExact(text, destination);
}
