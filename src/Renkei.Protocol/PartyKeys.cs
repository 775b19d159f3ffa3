using Renkei.Hosting;
using System.Security.Cryptography;

namespace Renkei.Protocol;

/// <summary>The public half of a party's keys, as the core's agency register publishes it.</summary>
public sealed record PublicKeys(string SigningKey, string EncryptionKey)
{
    public ECDsa OpenSigningKey()
    {
        var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(SigningKey), out _);
        return key;
    }

    public ECDiffieHellman OpenEncryptionKey()
    {
        var key = ECDiffieHellman.Create();
        key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(EncryptionKey), out _);
        return key;
    }
}

/// <summary>
/// A party's key pair on the network (the core, or one agency's tenant on a node): an ECDSA P-256
/// key that signs its messages and an ECDH P-256 key that payloads are encrypted to. Kept in a
/// PEM key file made on first start; never in source.
/// </summary>
public sealed class PartyKeys : IDisposable
{
    private PartyKeys(ECDsa signing, ECDiffieHellman encryption)
    {
        Signing = signing;
        Encryption = encryption;
        Opener = new SealedPayload.Opener(encryption);
        Public = new PublicKeys(
            Convert.ToBase64String(signing.ExportSubjectPublicKeyInfo()),
            Convert.ToBase64String(encryption.ExportSubjectPublicKeyInfo()));
    }

    public ECDsa Signing { get; }

    public ECDiffieHellman Encryption { get; }

    public PublicKeys Public { get; }

    /// <summary>Opens what is sealed to this party, keeping the key agreements it made for the providers' next payloads.</summary>
    public SealedPayload.Opener Opener { get; }

    public static PartyKeys Generate() =>
        new(ECDsa.Create(ECCurve.NamedCurves.nistP256), ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>
    /// The key file as a kept key (<see cref="KeyFiles.BindAsync"/>): its fingerprint is the SHA-256 of both public keys
    /// (signing, then encryption), which the core's agency register and the nodes know the party by.
    /// </summary>
    public static KeptKey Kept(string name, string file) => new(name, file, f =>
    {
        using var keys = Load(f);
        return KeyFiles.PublicKeyFingerprint([.. keys.Signing.ExportSubjectPublicKeyInfo(), .. keys.Encryption.ExportSubjectPublicKeyInfo()]);
    }, f => LoadOrCreate(f).Dispose());

    /// <summary>
    /// Reads the key file, or makes one (readable by its owner only) when it does not exist. Moved in whole: a process killed
    /// while writing leaves no half a key file that later starts stumble on, and of two first starts the second reads the
    /// keys the first put in place rather than failing on its file.
    /// </summary>
    public static PartyKeys LoadOrCreate(string file)
    {
        if (File.Exists(file)) return Load(file);
        var keys = Generate();
        var text = keys.Signing.ExportPkcs8PrivateKeyPem() + "\n" + keys.Encryption.ExportPkcs8PrivateKeyPem() + "\n";
        if (KeyFiles.CreateSecret(file, text)) return keys;
        keys.Dispose();
        return Load(file);
    }

    private static PartyKeys Load(string file)
    {
        var pem = File.ReadAllText(file);
        var parts = pem.Split("-----END PRIVATE KEY-----", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length < 2) throw new InvalidDataException($"The key file {Path.GetFileName(file)} must hold two private keys (signing, encryption).");
        var signing = ECDsa.Create();
        signing.ImportFromPem(parts[0] + "\n-----END PRIVATE KEY-----");
        var encryption = ECDiffieHellman.Create();
        encryption.ImportFromPem(parts[1] + "\n-----END PRIVATE KEY-----");
        return new PartyKeys(signing, encryption);
    }

    public void Dispose()
    {
        Opener.Dispose();
        Signing.Dispose();
        Encryption.Dispose();
    }
}
