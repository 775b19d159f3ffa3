using Renkei.Hosting;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Renkei.Pki.Authorities;

/// <summary>Which of the two certificate families a CA, certificate or CRL belongs to.</summary>
public enum CertificateKind
{
    /// <summary>署名用電子証明書: carries the basic four items.</summary>
    Signing,
    /// <summary>利用者証明用電子証明書: carries no personal items.</summary>
    Authentication,
}

/// <summary>One certification authority: its certificate and its private key (kept in a key file).</summary>
public sealed class Authority(X509Certificate2 certificate, RSA key)
{
    public X509Certificate2 Certificate { get; } = certificate;

    public RSA Key { get; } = key;

    /// <summary>The certificate with its private key, for the .NET builders that want it so.</summary>
    public X509Certificate2 WithKey { get; } = certificate.CopyWithPrivateKey(key);

    public string Pem => Certificate.ExportCertificatePem() + "\n";
}

/// <summary>
/// The root CA and the two issuing CAs (signing and authentication). Keys live in PKCS#8 PEM key
/// files named by configuration and are made, with their certificates, on first start.
/// </summary>
public sealed class CertificationAuthorities
{
    public CertificationAuthorities(Authority root, Authority signing, Authority authentication)
    {
        Root = root;
        Signing = signing;
        Authentication = authentication;
    }

    public Authority Root { get; }

    public Authority Signing { get; }

    public Authority Authentication { get; }

    public Authority For(CertificateKind kind) => kind == CertificateKind.Signing ? Signing : Authentication;

    /// <summary>The issuing CA certificate then the root, as PEM (what <c>renkei pki chain</c> prints).</summary>
    public string ChainPem(CertificateKind kind) => For(kind).Pem + Root.Pem;

    public string AllPem => Root.Pem + Signing.Pem + Authentication.Pem;

    public static CertificationAuthorities LoadOrCreate(PkiOptions options, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var root = LoadOrCreate(options.RootKeyPath, options.CaKeySize, (key, path) =>
        {
            var request = new CertificateRequest("CN=Renkei JPKI Root CA, O=Renkei, C=JP", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(20));
        }, null);
        var signing = LoadOrCreate(options.SigningCaKeyPath, options.CaKeySize,
            (key, _) => IssueCa(root, key, "CN=Renkei JPKI Signing CA, O=Renkei, C=JP", now), root);
        var authentication = LoadOrCreate(options.AuthenticationCaKeyPath, options.CaKeySize,
            (key, _) => IssueCa(root, key, "CN=Renkei JPKI User Authentication CA, O=Renkei, C=JP", now), root);
        return new CertificationAuthorities(root, signing, authentication);
    }

    private static X509Certificate2 IssueCa(Authority root, RSA key, string subject, DateTimeOffset now)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root.Certificate, true, false));
        return request.Create(root.WithKey, now.AddMinutes(-5), now.AddYears(10), RandomSerial());
    }

    /// <summary>Reads KEY and KEY.crt, or makes both (the key readable by the owner only).</summary>
    private static Authority LoadOrCreate(string keyPath, int keySize, Func<RSA, string, X509Certificate2> create, Authority? issuer)
    {
        var certPath = Path.ChangeExtension(keyPath, ".crt");
        var key = RSA.Create();
        if (File.Exists(keyPath) && File.Exists(certPath))
        {
            key.ImportFromPem(File.ReadAllText(keyPath));
            var existing = X509Certificate2.CreateFromPem(File.ReadAllText(certPath));
            // The names alone would match a regenerated root: the signature must chain to this root.
            if (issuer is not null && !ChainsTo(existing, issuer.Certificate))
                throw new InvalidOperationException($"{certPath} was not issued by the configured root CA");
            return new Authority(existing, key);
        }
        key.KeySize = keySize;
        KeyFiles.ReplaceSecret(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        var certificate = create(key, keyPath);
        File.WriteAllText(certPath, certificate.ExportCertificatePem() + "\n");
        return new Authority(X509CertificateLoader.LoadCertificate(certificate.RawData), key);
    }

    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
        return chain.Build(certificate);
    }

    /// <summary>A positive 128-bit serial number, unpredictable as CA/B practice asks.</summary>
    public static byte[] RandomSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x10);
        return serial;
    }
}
