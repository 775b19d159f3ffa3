using System.Security.Cryptography;
using System.Text;

namespace Renkei.Protocol;

/// <summary>
/// A payload encrypted to one party: an ephemeral ECDH P-256 key agreed with the recipient's
/// encryption key, HKDF-SHA256 (salt: the ephemeral public key; info: "renkei-sealed-v2" and the
/// message id) to an AES-256-GCM key, and the message id as associated data, so a sealed answer
/// cannot be moved to another message. Whoever relays it (the core) cannot read it.
/// <para>
/// A provider node seals to one recipient under one ephemeral key for up to <see cref="Sealer.Lifetime"/>
/// (<see cref="Sealer.For"/>), and the recipient keeps what it agreed per ephemeral key
/// (<see cref="PartyKeys.Opener"/>): a key agreement at each end once a minute per provider node and
/// recipient instead of once per message, where each costs several times an ECDSA signature. Each payload
/// still has its own key (its message id is in the HKDF info) and its own nonce. Keeping the ephemeral key a
/// minute costs no forward secrecy the scheme had: the recipient's static key opens every payload sealed to
/// it in any case. The ephemeral private key is dropped once it has agreed; only the agreed secret stays,
/// in memory.
/// </para>
/// </summary>
public sealed record SealedPayload(string EphemeralKey, string Nonce, string Ciphertext, string Tag)
{
    private static readonly byte[] Info = "renkei-sealed-v2|"u8.ToArray();

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

    /// <summary>Seals payloads to one recipient under one ephemeral key, agreed once. Safe to share between threads.</summary>
    public sealed class Sealer : IDisposable
    {
        /// <summary>How long <see cref="For"/> keeps sealing to a recipient under the same ephemeral key.</summary>
        public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

        // The recipients are the tenants of the network, a few thousand at most; the bound only stops a flood of made-up keys.
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Sealer> kept = new();
        private const int MaxKept = 10_000;
        private static long sweptTicks;

        private readonly byte[] secret;
        private readonly byte[] ephemeralPublic;
        private readonly string ephemeralText;
        private readonly DateTimeOffset made;

        public Sealer(PublicKeys recipient) : this(recipient.EncryptionKey, DateTimeOffset.MinValue) { }

        private Sealer(string recipientEncryptionKey, DateTimeOffset made)
        {
            using var recipient = new PublicKeys("", recipientEncryptionKey).OpenEncryptionKey();
            using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            using var recipientPublic = recipient.PublicKey;
            ephemeralPublic = ephemeral.ExportSubjectPublicKeyInfo();
            ephemeralText = Convert.ToBase64String(ephemeralPublic);
            try { secret = ephemeral.DeriveRawSecretAgreement(recipientPublic); }
            catch (ArgumentException e) { throw new CryptographicException("The recipient's key is not a P-256 key.", e); } // another curve
            this.made = made;
        }

        /// <summary>
        /// The sealer kept for this recipient's encryption key (base64 SubjectPublicKeyInfo), or a new one when it is
        /// older than <see cref="Lifetime"/>. Kept sealers are not disposed: another thread may be sealing with one.
        /// </summary>
        /// <exception cref="CryptographicException">The key is not a P-256 public key.</exception>
        /// <exception cref="FormatException">The key is not base64.</exception>
        public static Sealer For(string recipientEncryptionKey, TimeProvider time)
        {
            var now = time.GetUtcNow();
            if (kept.TryGetValue(recipientEncryptionKey, out var sealer) && Fresh(sealer, now)) return sealer;
            // Sealers past their minute go, once a minute, so a recipient not sealed to again is not kept either.
            var swept = Interlocked.Read(ref sweptTicks);
            if (now.UtcTicks - swept >= Lifetime.Ticks || now.UtcTicks < swept)
            {
                Interlocked.Exchange(ref sweptTicks, now.UtcTicks);
                foreach (var (key, old) in kept)
                    if (!Fresh(old, now)) kept.TryRemove(key, out _);
            }
            if (kept.Count >= MaxKept) kept.Clear();
            return kept[recipientEncryptionKey] = new Sealer(recipientEncryptionKey, now);
        }

        /// <summary>Whether a sealer for this recipient is kept (for tests of the sweep).</summary>
        internal static bool Keeps(string recipientEncryptionKey) => kept.ContainsKey(recipientEncryptionKey);

        private static bool Fresh(Sealer sealer, DateTimeOffset now) => now >= sealer.made && now - sealer.made < Lifetime;

        public SealedPayload Seal(string plaintext, string messageId)
        {
            var key = DeriveKey(secret, ephemeralPublic, messageId);
            var nonce = new byte[12];
            BufferedRandom.Fill(nonce);
            var data = Encoding.UTF8.GetBytes(plaintext);
            var cipher = new byte[data.Length];
            var tag = new byte[16];
            using (var aes = new AesGcm(key, 16)) aes.Encrypt(nonce, data, cipher, tag, Encoding.UTF8.GetBytes(messageId));
            CryptographicOperations.ZeroMemory(key);
            return new SealedPayload(ephemeralText, Convert.ToBase64String(nonce), Convert.ToBase64String(cipher), Convert.ToBase64String(tag));
        }

        public void Dispose() => CryptographicOperations.ZeroMemory(secret);
    }

    /// <summary>Opens payloads sealed to one recipient, agreeing once per ephemeral key it meets. Safe to share between threads.</summary>
    public sealed class Opener(ECDiffieHellman recipientKey) : IDisposable
    {
        // Providers renew their ephemeral keys each minute, so a few hundred cover the network; the bound stops a flood of made-up keys.
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (byte[] Secret, byte[] EphemeralPublic)> agreed = new();
        private const int MaxAgreed = 1_024;

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
                    using var ephemeralKey = ephemeral.PublicKey;
                    known = (recipientKey.DeriveRawSecretAgreement(ephemeralKey), ephemeralPublic);
                    // Dropped, not zeroed: another thread may be opening with a secret of the old set.
                    if (agreed.Count >= MaxAgreed) agreed.Clear();
                    agreed[payload.EphemeralKey] = known;
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

    private static byte[] DeriveKey(byte[] secret, byte[] ephemeralPublic, string messageId)
    {
        var id = Encoding.UTF8.GetBytes(messageId);
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, ephemeralPublic, [.. Info, .. id]);
    }
}
