using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Buffers.Text;
using System.Text;

namespace Renkei.Hosting.Linkage;

/// <summary>
/// The envelope in which the Registry hands the Core a person's link key (番号法 art. 21-2 path): the
/// agency that asked relays it but cannot read it, and it is bound to that agency and acquisition
/// number and expires. AES-256-GCM under a key the Registry and the Core share (a key file).
/// Layout (base64url): version 1 · nonce (12) · ciphertext of linkKey (32) ‖ expiry (8, Unix seconds) · tag (16).
/// </summary>
public sealed class LinkKeySeal(byte[] key)
{
    private const byte Version = 1;
    public const int LinkKeyLength = 32;

    /// <summary>How long a sealed link key opens: also how long a node keeps the acquisition number it answers.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);

    public string Seal(string agency, string acquisitionNumber, ReadOnlySpan<byte> linkKey, DateTimeOffset expiresAt)
    {
        if (linkKey.Length != LinkKeyLength) throw new ArgumentException("a link key is 32 bytes", nameof(linkKey));
        Span<byte> plain = stackalloc byte[LinkKeyLength + 8];
        linkKey.CopyTo(plain);
        BinaryPrimitives.WriteInt64BigEndian(plain[LinkKeyLength..], expiresAt.ToUnixTimeSeconds());
        var sealedBytes = new byte[1 + 12 + plain.Length + 16];
        sealedBytes[0] = Version;
        var nonce = sealedBytes.AsSpan(1, 12);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(key, 16);
        gcm.Encrypt(nonce, plain, sealedBytes.AsSpan(13, plain.Length), sealedBytes.AsSpan(13 + plain.Length), Context(agency, acquisitionNumber));
        return Base64Url.EncodeToString(sealedBytes);
    }

    /// <summary>Opens a sealed link key for <paramref name="agency"/>; says why when it cannot, in words for the agency's staff.</summary>
    public bool TryOpen(string sealedText, string agency, string acquisitionNumber, DateTimeOffset now, out byte[] linkKey, out string? reason)
    {
        linkKey = [];
        byte[] bytes;
        try { bytes = Base64Url.DecodeFromChars(sealedText); }
        catch (FormatException) { reason = NotSealed; return false; }
        if (bytes.Length != 1 + 12 + LinkKeyLength + 8 + 16 || bytes[0] != Version) { reason = NotSealed; return false; }
        var plain = new byte[LinkKeyLength + 8];
        try
        {
            using var gcm = new AesGcm(key, 16);
            gcm.Decrypt(bytes.AsSpan(1, 12), bytes.AsSpan(13, plain.Length), bytes.AsSpan(13 + plain.Length), plain, Context(agency, acquisitionNumber));
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plain);
            reason = "この機関・取得番号のための連携キーではないか、改ざんされているか、コアの Core:LinkSealKeyFile が住基の鍵と異なります / "
                + "the link key was sealed for another agency or acquisition number, or altered, or the core's Core:LinkSealKeyFile is not the Registry's key";
            return false;
        }
        var expired = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(plain.AsSpan(LinkKeyLength))) < now;
        linkKey = expired ? [] : plain[..LinkKeyLength];
        CryptographicOperations.ZeroMemory(plain);
        reason = expired ? "連携キーの有効期限が切れています。住基から取り直してください / the sealed link key has expired; ask the Registry again" : null;
        return !expired;
    }

    private const string NotSealed = "封緘された連携キーとして読めません / not a sealed link key from the Registry";

    private static byte[] Context(string agency, string acquisitionNumber) => Encoding.UTF8.GetBytes($"renkei-link-key-v1\n{agency}\n{acquisitionNumber}");
}
