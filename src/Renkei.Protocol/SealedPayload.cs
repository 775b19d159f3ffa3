using System.Security.Cryptography;
using System.Text;

namespace Renkei.Protocol;

/// <summary>
/// A payload encrypted to one party: an ephemeral ECDH P-256 key agreed with the recipient's
/// encryption key, HKDF-SHA256 (salt: the ephemeral public key; info: "renkei-sealed-v1") to an
/// AES-256-GCM key, and the message id as associated data, so a sealed answer cannot be moved to
/// another message. Whoever relays it (the core) cannot read it.
/// </summary>
public sealed record SealedPayload(string EphemeralKey, string Nonce, string Ciphertext, string Tag)
{
    private static readonly byte[] Info = "renkei-sealed-v1"u8.ToArray();

    // Recipients are the few tenants of the network: their opened keys are kept rather than decoded per message.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ECDiffieHellmanPublicKey> recipients = new();

    public static SealedPayload Seal(string plaintext, PublicKeys recipient, string messageId)
    {
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var ephemeralPublic = ephemeral.ExportSubjectPublicKeyInfo();
        var key = DeriveKey(ephemeral, RecipientKey(recipient), ephemeralPublic);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var data = Encoding.UTF8.GetBytes(plaintext);
        var cipher = new byte[data.Length];
        var tag = new byte[16];
        using (var aes = new AesGcm(key, 16)) aes.Encrypt(nonce, data, cipher, tag, Encoding.UTF8.GetBytes(messageId));
        CryptographicOperations.ZeroMemory(key);
        return new SealedPayload(Convert.ToBase64String(ephemeralPublic), Convert.ToBase64String(nonce), Convert.ToBase64String(cipher), Convert.ToBase64String(tag));
    }

    /// <summary>Opens the payload with the recipient's private key; null when it was not sealed to us or was changed.</summary>
    public string? Open(ECDiffieHellman recipientKey, string messageId)
    {
        try
        {
            var ephemeralPublic = Convert.FromBase64String(EphemeralKey);
            using var ephemeral = ECDiffieHellman.Create();
            ephemeral.ImportSubjectPublicKeyInfo(ephemeralPublic, out _);
            var key = DeriveKey(recipientKey, ephemeral.PublicKey, ephemeralPublic);
            var cipher = Convert.FromBase64String(Ciphertext);
            var data = new byte[cipher.Length];
            using (var aes = new AesGcm(key, 16)) aes.Decrypt(Convert.FromBase64String(Nonce), cipher, Convert.FromBase64String(Tag), data, Encoding.UTF8.GetBytes(messageId));
            CryptographicOperations.ZeroMemory(key);
            return Encoding.UTF8.GetString(data);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    private static ECDiffieHellmanPublicKey RecipientKey(PublicKeys recipient)
    {
        if (recipients.TryGetValue(recipient.EncryptionKey, out var cached)) return cached;
        if (recipients.Count > 10_000) recipients.Clear();
        using var opened = recipient.OpenEncryptionKey();
        return recipients.GetOrAdd(recipient.EncryptionKey, opened.PublicKey);
    }

    private static byte[] DeriveKey(ECDiffieHellman own, ECDiffieHellmanPublicKey other, byte[] ephemeralPublic)
    {
        var secret = own.DeriveRawSecretAgreement(other);
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, ephemeralPublic, Info);
        CryptographicOperations.ZeroMemory(secret);
        return key;
    }
}
