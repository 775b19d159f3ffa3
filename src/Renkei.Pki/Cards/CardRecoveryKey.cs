using Renkei.Hosting;
using System.Security.Cryptography;
using Renkei.Pki.Authorities;

namespace Renkei.Pki.Cards;

/// <summary>
/// The key a municipality uses to reset a card's PIN: each card keeps its data keys wrapped to
/// this key (RSA-OAEP-SHA256), and only the PKI, after an identity check, unwraps them.
/// </summary>
public sealed class CardRecoveryKey(RSA key)
{
    public string PublicPem => key.ExportSubjectPublicKeyInfoPem() + "\n";

    public byte[]? Unwrap(byte[] blob)
    {
        try { return key.Decrypt(blob, RSAEncryptionPadding.OaepSHA256); }
        catch (CryptographicException) { return null; }
    }

    /// <summary>The key file as a kept key (<see cref="KeyFiles.BindAsync"/>): the cards' recovery blobs are wrapped to it.</summary>
    public static KeptKey Kept(string path) =>
        new("card-recovery.key", path, CertificationAuthorities.PrivateKeyFingerprint, f => LoadOrCreate(f));

    public static CardRecoveryKey LoadOrCreate(string path)
    {
        var key = RSA.Create();
        if (File.Exists(path)) key.ImportFromPem(File.ReadAllText(path));
        else
        {
            key.KeySize = 2048;
            KeyFiles.ReplaceSecret(path, key.ExportPkcs8PrivateKeyPem() + "\n");
        }
        return new CardRecoveryKey(key);
    }
}
