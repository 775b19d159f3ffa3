using System.Security.Cryptography;
using System.Text;

namespace Renkei.Protocol;

/// <summary>
/// A payload encrypted to one party: an ephemeral ECDH P-256 key agreed with the recipient's
/// encryption key, HKDF-SHA256 (salt: the ephemeral public key; info: "renkei-sealed-v2" and the
/// message id) to an AES-256-GCM key, and the message id as associated data, so a sealed answer
/// cannot be moved to another message. Whoever relays it (the core) cannot read it.
/// <para>
/// The payloads of one relay message share an ephemeral key (<see cref="Sealer"/>): one key
/// agreement at each end for all of them, where each costs several times an ECDSA signature. Each
/// payload still has its own key (its message id is in the HKDF info) and its own nonce.
/// </para>
/// </summary>
public sealed record SealedPayload(string EphemeralKey, string Nonce, string Ciphertext, string Tag)
{
    private static readonly byte[] Info = "renkei-sealed-v2|"u8.ToArray();

    // Recipients are the few tenants of the network: their opened keys are kept rather than decoded per message.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ECDiffieHellmanPublicKey> recipients = new();

    /// <summary>Seals one payload under an ephemeral key of its own.</summary>
    public static SealedPayload Seal(string plaintext, PublicKeys recipient, string messageId)
    {
        using var sealer = new Sealer(recipient);
        return sealer.Seal(plaintext, messageId);
    }

    /// <summary>Opens the payload with the recipient's private key; null when it was not sealed to us or was changed.</summary>
    public string? Open(ECDiffieHellman recipientKey, string messageId)
    {
        using var opener = new Opener(recipientKey);
        return opener.Open(this, messageId);
    }

    /// <summary>Seals payloads to one recipient under one ephemeral key, agreed once.</summary>
    public sealed class Sealer : IDisposable
    {
        private readonly byte[] secret;
        private readonly byte[] ephemeralPublic;
        private readonly string ephemeralText;

        public Sealer(PublicKeys recipient)
        {
            using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            ephemeralPublic = ephemeral.ExportSubjectPublicKeyInfo();
            ephemeralText = Convert.ToBase64String(ephemeralPublic);
            secret = ephemeral.DeriveRawSecretAgreement(RecipientKey(recipient));
        }

        public SealedPayload Seal(string plaintext, string messageId)
        {
            var key = DeriveKey(secret, ephemeralPublic, messageId);
            var nonce = RandomNumberGenerator.GetBytes(12);
            var data = Encoding.UTF8.GetBytes(plaintext);
            var cipher = new byte[data.Length];
            var tag = new byte[16];
            using (var aes = new AesGcm(key, 16)) aes.Encrypt(nonce, data, cipher, tag, Encoding.UTF8.GetBytes(messageId));
            CryptographicOperations.ZeroMemory(key);
            return new SealedPayload(ephemeralText, Convert.ToBase64String(nonce), Convert.ToBase64String(cipher), Convert.ToBase64String(tag));
        }

        public void Dispose() => CryptographicOperations.ZeroMemory(secret);
    }

    /// <summary>Opens payloads sealed to one recipient, agreeing once per ephemeral key it meets.</summary>
    public sealed class Opener(ECDiffieHellman recipientKey) : IDisposable
    {
        private readonly Dictionary<string, (byte[] Secret, byte[] EphemeralPublic)> agreed = [];

        /// <summary>The plaintext; null when the payload was not sealed to this recipient for this message id, or was changed.</summary>
        public string? Open(SealedPayload payload, string messageId)
        {
            try
            {
                if (!agreed.TryGetValue(payload.EphemeralKey, out var known))
                {
                    var ephemeralPublic = Convert.FromBase64String(payload.EphemeralKey);
                    using var ephemeral = ECDiffieHellman.Create();
                    ephemeral.ImportSubjectPublicKeyInfo(ephemeralPublic, out _);
                    agreed[payload.EphemeralKey] = known = (recipientKey.DeriveRawSecretAgreement(ephemeral.PublicKey), ephemeralPublic);
                }
                var key = DeriveKey(known.Secret, known.EphemeralPublic, messageId);
                var cipher = Convert.FromBase64String(payload.Ciphertext);
                var data = new byte[cipher.Length];
                try
                {
                    using var aes = new AesGcm(key, 16);
                    aes.Decrypt(Convert.FromBase64String(payload.Nonce), cipher, Convert.FromBase64String(payload.Tag), data, Encoding.UTF8.GetBytes(messageId));
                }
                finally { CryptographicOperations.ZeroMemory(key); }
                return Encoding.UTF8.GetString(data);
            }
            catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
            {
                return null;
            }
        }

        public void Dispose()
        {
            foreach (var (secret, _) in agreed.Values) CryptographicOperations.ZeroMemory(secret);
            agreed.Clear();
        }
    }

    private static ECDiffieHellmanPublicKey RecipientKey(PublicKeys recipient)
    {
        if (recipients.TryGetValue(recipient.EncryptionKey, out var cached)) return cached;
        if (recipients.Count > 10_000) recipients.Clear();
        using var opened = recipient.OpenEncryptionKey();
        return recipients.GetOrAdd(recipient.EncryptionKey, opened.PublicKey);
    }

    private static byte[] DeriveKey(byte[] secret, byte[] ephemeralPublic, string messageId)
    {
        var id = Encoding.UTF8.GetBytes(messageId);
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, ephemeralPublic, [.. Info, .. id]);
    }
}
