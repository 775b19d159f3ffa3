using Renkei.Hosting;
using Renkei.Pki.Certificates;
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

    /// <summary>The CA's common name, for what the PKI says about it.</summary>
    public string Name => Certificate.GetNameInfo(X509NameType.SimpleName, false);

    public DateTimeOffset NotBefore => new(Certificate.NotBefore.ToUniversalTime());

    public DateTimeOffset NotAfter => new(Certificate.NotAfter.ToUniversalTime());

    public bool IsValidAt(DateTimeOffset now) => NotBefore <= now && now <= NotAfter;
}

/// <summary>
/// The root CA and the two issuing CAs (signing and authentication). Keys live in PKCS#8 PEM key
/// files named by configuration and are made, with their certificates, on first start. An issuing CA
/// certificate names its policy (so RFC 5280 policy processing with an explicit JPKI policy passes) and,
/// when the public URL is known then, the root's CRL and certificate; one made before it named its policy
/// is issued again by the root for the same key and name (the old one kept beside it).
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

    /// <summary>The longest a card certificate lasts (to the fifth birthday after issue): an issuing CA with less left ends the certificates it makes.</summary>
    public static readonly TimeSpan CardCertificateLifetime = TimeSpan.FromDays(5 * 366);

    /// <summary>
    /// How far a new CA's validity begins before the moment it is made: a PKI host whose clock runs behind the one that made the
    /// CA (another process on the same database, or a clock corrected after a start) would otherwise find its CA not yet valid
    /// and issue nothing (503 ca-expired).
    /// </summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromHours(1);

    /// <summary>The first CA an issuance needs (the root, the signing CA when a signing certificate is made, the authentication CA) that is not valid at <paramref name="now"/>.</summary>
    public Authority? NotValidAt(DateTimeOffset now, bool signing = true) =>
        new[] { Root, signing ? Signing : null, Authentication }.FirstOrDefault(ca => ca is not null && !ca.IsValidAt(now));

    /// <summary>
    /// Says at start what the CAs' lifetimes mean now: an expired (or not yet valid) CA stops issuance, and an issuing CA with less
    /// than a card certificate's lifetime left makes certificates that end with it. Neither rolls over by itself (docs/pki.md).
    /// </summary>
    public void LogLifetimes(DateTimeOffset now, ILogger logger)
    {
        foreach (var ca in new[] { Root, Signing, Authentication })
        {
            var until = JapanTime.DateOf(ca.NotAfter).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            if (!ca.IsValidAt(now))
                logger.LogError("認証局「{Ca}」の証明書は有効期間外です（{Until}まで）。カードの発行を拒否します。新しい認証局へ切り替えてください（docs/pki.md） / " +
                    "The certificate of the CA {Ca} is not valid now (valid until {Until}): card issuance is refused; roll over to a new CA (docs/pki.md)",
                    ca.Name, until, ca.Name, until);
            else if (ca.NotAfter - now < CardCertificateLifetime)
                logger.LogWarning("認証局「{Ca}」の証明書は{Until}までです。これから発行する証明書はその日で終わります。新しい認証局への切替えを計画してください（docs/pki.md） / " +
                    "The certificate of the CA {Ca} is valid until {Until}: certificates issued from now on end then; plan the roll-over to a new CA (docs/pki.md)",
                    ca.Name, until, ca.Name, until);
        }
    }

    /// <param name="publicBase">The public URL relying parties fetch CRLs and CA certificates from, when known before the service
    /// listens (<c>Pki:PublicUrl</c>, or a fixed listening port): a new issuing CA certificate names the root's CRL and certificate there.</param>
    /// <param name="logger">Where the re-issue of an older issuing CA certificate is said.</param>
    public static CertificationAuthorities LoadOrCreate(PkiOptions options, TimeProvider clock, Uri? publicBase = null, ILogger? logger = null)
    {
        var now = clock.GetUtcNow();
        var root = LoadOrCreate(options.RootKeyPath, options.CaKeySize, (key, path) =>
        {
            var request = new CertificateRequest("CN=Renkei JPKI Root CA, O=Renkei, C=JP", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            return request.CreateSelfSigned(now - ClockSkew, now.AddYears(20));
        }, null, logger);
        var signing = LoadOrCreate(options.SigningCaKeyPath, options.CaKeySize,
            (key, _) => IssueCa(root, key, "CN=Renkei JPKI Signing CA, O=Renkei, C=JP", CertificateKind.Signing, publicBase, now), root, logger);
        var authentication = LoadOrCreate(options.AuthenticationCaKeyPath, options.CaKeySize,
            (key, _) => IssueCa(root, key, "CN=Renkei JPKI User Authentication CA, O=Renkei, C=JP", CertificateKind.Authentication, publicBase, now), root, logger);
        var authorities = new CertificationAuthorities(root, signing, authentication);
        if (logger is not null) authorities.LogLifetimes(now, logger);
        return authorities;
    }

    /// <summary>
    /// The CAs' key and certificate files as kept keys (<see cref="KeyFiles.BindAsync"/>), each fingerprinted by its public key:
    /// a certificate the root issues again for the same key (<see cref="Reissue"/>) keeps its fingerprint, one for another key
    /// does not. <paramref name="make"/> makes whichever CAs are missing, with their certificates.
    /// </summary>
    public static IEnumerable<KeptKey> Kept(PkiOptions options, Action make) =>
        new[] { ("root-ca", options.RootKeyPath), ("signing-ca", options.SigningCaKeyPath), ("authentication-ca", options.AuthenticationCaKeyPath) }
            .SelectMany(ca => new[]
            {
                new KeptKey(ca.Item1 + ".key", ca.Item2, PrivateKeyFingerprint, _ => make()),
                new KeptKey(ca.Item1 + ".crt", Path.ChangeExtension(ca.Item2, ".crt"), f =>
                {
                    using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(f));
                    return KeyFiles.PublicKeyFingerprint(certificate.PublicKey.ExportSubjectPublicKeyInfo());
                }, _ => make()),
            });

    /// <summary>The fingerprint of an RSA private key file (PEM): that of its public key.</summary>
    public static string PrivateKeyFingerprint(string file)
    {
        using var key = RSA.Create();
        key.ImportFromPem(File.ReadAllText(file));
        return KeyFiles.PublicKeyFingerprint(key.ExportSubjectPublicKeyInfo());
    }

    private static X509Certificate2 IssueCa(Authority root, RSA key, string subject, CertificateKind kind, Uri? publicBase, DateTimeOffset now)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root.Certificate, true, false));
        // The policy of the certificates it issues: RFC 5280 policy processing needs it on every CA below the trust anchor.
        request.CertificateExtensions.Add(CertificateProfile.Policies(CertificateProfile.PolicyOf(kind)));
        if (publicBase is not null)
        {
            request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([PkiUrls.RootCrl(publicBase).ToString()]));
            request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(null, [PkiUrls.RootCertificate(publicBase).ToString()]));
        }
        // Never past the root: .NET refuses a notAfter later than the issuer's, which a re-issue late in the root's life would ask for.
        return request.Create(root.WithKey, now - ClockSkew, CertificateProfile.Cap(now.AddYears(10), root), RandomSerial());
    }

    /// <summary>
    /// Reads KEY and KEY.crt; makes KEY.crt for a KEY given without it (an operator's own CA key, or a key restored without its
    /// certificate); makes both when neither is there (the key readable by the owner only). A new key is never put where a key file
    /// is, and a certificate without its key is refused rather than replaced with one for a new key.
    /// </summary>
    private static Authority LoadOrCreate(string keyPath, int keySize, Func<RSA, string, X509Certificate2> create, Authority? issuer, ILogger? logger)
    {
        var certPath = Path.ChangeExtension(keyPath, ".crt");
        var key = RSA.Create();
        if (!File.Exists(keyPath) && File.Exists(certPath))
            throw new InvalidOperationException($"認証局の証明書 {Path.GetFullPath(certPath)} はありますが、その鍵 {Path.GetFullPath(keyPath)} がありません。" +
                $"新しい鍵は作りません。鍵ファイルを戻してください / the CA certificate {Path.GetFullPath(certPath)} is there but its key " +
                $"{Path.GetFullPath(keyPath)} is not: no new key was made; restore the key file (or move the certificate away to make a new CA)");
        if (File.Exists(keyPath) && !File.Exists(certPath))
        {
            ReadKey(key, keyPath);
            // A key of the PKI's own making has this size; one brought by an operator must be as strong to be certified.
            if (key.KeySize < keySize)
                throw new InvalidOperationException($"認証局の鍵ファイル {Path.GetFullPath(keyPath)} は RSA {key.KeySize} ビットです。{keySize} ビット以上の鍵にしてください / " +
                    $"the CA key file {Path.GetFullPath(keyPath)} holds an RSA key of {key.KeySize} bits: a CA key needs at least {keySize} (Pki:CaKeySize)");
            var made = create(key, keyPath);
            KeyFiles.ReplaceSecret(certPath, made.ExportCertificatePem() + "\n"); // whole: a start killed while writing leaves no half certificate
            logger?.LogWarning("認証局の鍵 {Key} に証明書がなかったため、この鍵の証明書 {Certificate} を作りました / The CA key {Key} had no certificate: " +
                "one was made for that key ({Certificate})", keyPath, certPath, keyPath, certPath);
            return new Authority(X509CertificateLoader.LoadCertificate(made.RawData), key);
        }
        if (File.Exists(keyPath))
        {
            ReadKey(key, keyPath);
            var existing = X509Certificate2.CreateFromPem(File.ReadAllText(certPath));
            // The names alone would match a regenerated root: the signature must chain to this root.
            if (issuer is not null && !ChainsTo(existing, issuer.Certificate))
                throw new InvalidOperationException($"{certPath} was not issued by the configured root CA");
            if (issuer is not null && existing.Extensions["2.5.29.32"] is null)
                return Reissue(certPath, existing, key, create(key, keyPath), logger);
            return new Authority(existing, key);
        }
        key.KeySize = keySize;
        if (!KeyFiles.CreateSecret(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n"))
            return LoadOrCreate(keyPath, keySize, create, issuer, logger); // another start made it first: its key, this start's certificate
        var certificate = create(key, keyPath);
        KeyFiles.ReplaceSecret(certPath, certificate.ExportCertificatePem() + "\n");
        return new Authority(X509CertificateLoader.LoadCertificate(certificate.RawData), key);
    }

    /// <summary>A CA's RSA private key (PEM), or one line saying the file holds none.</summary>
    private static void ReadKey(RSA key, string keyPath)
    {
        try { key.ImportFromPem(File.ReadAllText(keyPath)); }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new InvalidOperationException($"認証局の鍵ファイル {Path.GetFullPath(keyPath)} を読めません（暗号化されていないPKCS#8またはPKCS#1のRSA秘密鍵のPEMにしてください） / " +
                $"the CA key file {Path.GetFullPath(keyPath)} cannot be read: it must hold an unencrypted RSA private key in PEM (PKCS#8 or PKCS#1)", e);
        }
    }

    /// <summary>
    /// An issuing CA certificate made before it named its policy: the root issues it again, same name and key (so every card
    /// certificate and CRL it signed verifies under either), and the old one is kept as KEY.crt.YYYYMMDDHHMMSS.old. Nothing
    /// revokes the old one: card files keep it in their chains, where it stays valid.
    /// </summary>
    private static Authority Reissue(string certPath, X509Certificate2 existing, RSA key, X509Certificate2 reissued, ILogger? logger)
    {
        if (!existing.SubjectName.RawData.AsSpan().SequenceEqual(reissued.SubjectName.RawData))
            throw new InvalidOperationException($"{certPath}: its subject is not the CA's; not re-issued");
        var kept = $"{certPath}.{DateTime.UtcNow:yyyyMMddHHmmss}.old";
        File.Copy(certPath, kept);
        KeyFiles.ReplaceSecret(certPath, reissued.ExportCertificatePem() + "\n");
        logger?.LogWarning("The issuing CA certificate {Path} named no certificate policy; the root issued it again for the same key and name (the old one is kept as {Kept})",
            certPath, kept);
        return new Authority(X509CertificateLoader.LoadCertificate(reissued.RawData), key);
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
