using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Renkei.Hosting.Tls;

/// <summary>Where an issued certificate and its key were written.</summary>
public sealed record IssuedCertificate(string CertificateFile, string KeyFile)
{
    public X509Certificate2 Load() => NetworkTls.LoadCertificate(CertificateFile, KeyFile);
}

/// <summary>
/// The network CA that <c>renkei up</c> (and the tests) create: a self-signed ECDSA P-256 root in
/// <c>{folder}/ca.pem</c> with its key in <c>{folder}/ca.key</c>, and the TLS certificates it issues
/// to the core and the nodes, each naming its party in a URI SAN (<see cref="NetworkIdentity"/>).
/// Files are reused on later starts; a certificate that has expired, expires within
/// <see cref="RenewBefore"/>, was not issued by the current CA or is revoked is issued again.
/// The CA keeps its revocation list in <c>{folder}/ca.crl</c> (<see cref="Revoke"/>), signed anew on
/// each start within <see cref="CrlRenewBefore"/> of its next update.
/// </summary>
public sealed class NetworkCa : IDisposable
{
    public static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    public static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(365);

    /// <summary>Renew this long before expiry, so that a start never hands out a certificate about to lapse.</summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    /// <summary>How long a signed revocation list stays current; services still apply a stale one, and say so.</summary>
    public static readonly TimeSpan CrlLifetime = TimeSpan.FromDays(7);

    public static readonly TimeSpan CrlRenewBefore = TimeSpan.FromDays(1);

    private readonly TimeProvider time;

    private NetworkCa(string folder, X509Certificate2 certificate, TimeProvider time)
    {
        Folder = folder;
        Certificate = certificate;
        this.time = time;
    }

    public string Folder { get; }

    /// <summary>The root certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public string CertificateFile => Path.Combine(Folder, "ca.pem");

    public string KeyFile => Path.Combine(Folder, "ca.key");

    public string CrlFile => Path.Combine(Folder, "ca.crl");

    public string CertificatePem => Certificate.ExportCertificatePem();

    public static NetworkCa LoadOrCreate(string folder, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(folder);
        var certFile = Path.Combine(folder, "ca.pem");
        var keyFile = Path.Combine(folder, "ca.key");
        var now = time.GetUtcNow();
        if (TryLoad(certFile, keyFile) is { } existing)
        {
            if (existing.NotAfter.ToUniversalTime() > now.UtcDateTime + RenewBefore)
            {
                var kept = new NetworkCa(folder, existing, time);
                kept.RenewCrl(keptCa: true);
                return kept;
            }
            existing.Dispose();
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=Renkei network CA, O=Renkei"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now + CaLifetime);
        Write(certFile, keyFile, certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
        var created = new NetworkCa(folder, certificate, time);
        created.RenewCrl(keptCa: false);
        return created;
    }

    /// <summary>The CA's current revocation list.</summary>
    public NetworkCrl ReadCrl() => NetworkCrl.Read(File.ReadAllBytes(CrlFile), Certificate);

    /// <summary>
    /// Puts the certificate in <c>{name}.pem</c> on the revocation list (at once; services re-read the list within
    /// seconds) and returns it with the time it was revoked, or when it already was. A certificate that this CA did
    /// not issue, or that has expired, is refused with the reason.
    /// </summary>
    public (X509Certificate2 Certificate, DateTimeOffset RevokedAt, bool Already) Revoke(string name, X509RevocationReason reason)
    {
        var file = Path.Combine(Folder, name + ".pem");
        if (!File.Exists(file)) throw new InvalidOperationException($"証明書 {name} がありません / no certificate named {name} in the network folder");
        var certificate = X509CertificateLoader.LoadCertificateFromFile(file);
        if (!IssuedHere(certificate))
        {
            certificate.Dispose();
            throw new InvalidOperationException($"証明書 {name} はこのCAの有効な証明書ではありません / {name} is not a valid certificate of this CA (another CA issued it, or it has expired)");
        }
        // Two revocations at once would each read the list and write it with one entry more: the last would drop the other's.
        using var held = TakeCrlLock();
        if (ReadCrl().RevokedAt(certificate) is { } at) return (certificate, at, true);
        var (builder, number) = CurrentCrl();
        var now = time.GetUtcNow();
        builder.AddEntry(certificate, now, reason);
        WriteCrl(builder, number + 1, now);
        return (certificate, now, false);
    }

    /// <summary>
    /// Signs the list again, keeping its entries, when it is missing or near its next update; a new CA starts an empty
    /// one. A kept CA's list that does not verify stops the start: writing an empty one would lift every revocation.
    /// </summary>
    private void RenewCrl(bool keptCa)
    {
        using var held = TakeCrlLock();
        NetworkCrl? current = null;
        try { current = File.Exists(CrlFile) ? ReadCrl() : null; }
        catch (InvalidOperationException) when (!keptCa) { } // an earlier CA's list: its entries name none of this CA's certificates
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"{e.Message}. {Path.GetFileName(CrlFile)} を元に戻してください（消すと失効がすべて解除されます）/ "
                + $"restore {CrlFile} from a copy; deleting it starts an empty list and lifts every revocation", e);
        }
        var now = time.GetUtcNow();
        if (current?.NextUpdate is { } next && next > now + CrlRenewBefore && current.ThisUpdate <= now) return;
        var (builder, number) = current is null ? (new CertificateRevocationListBuilder(), BigInteger.Zero) : CurrentCrl();
        WriteCrl(builder, number + 1, now);
    }

    /// <summary>Whoever changes the list holds this lock from reading it to writing it (between processes too).</summary>
    private FileStream TakeCrlLock() => FileLock.Take(CrlFile + ".lock", TimeSpan.FromSeconds(30));

    private (CertificateRevocationListBuilder Builder, BigInteger Number) CurrentCrl()
    {
        var builder = CertificateRevocationListBuilder.LoadPem(File.ReadAllText(CrlFile), out var number);
        return (builder, number);
    }

    private void WriteCrl(CertificateRevocationListBuilder builder, BigInteger number, DateTimeOffset now)
    {
        var der = builder.Build(Certificate, number, now + CrlLifetime, HashAlgorithmName.SHA256, thisUpdate: now);
        var temp = CrlFile + ".tmp";
        File.WriteAllText(temp, PemEncoding.WriteString("X509 CRL", der) + "\n");
        File.Move(temp, CrlFile, overwrite: true);
    }

    /// <summary>
    /// The TLS certificate of one party (server and client authentication; SAN 127.0.0.1, ::1,
    /// localhost and the party's identity) in <c>{name}.pem</c> and <c>{name}.key</c>: the one on
    /// disk if it is still good, otherwise a new one.
    /// </summary>
    public IssuedCertificate Issue(string name, string identity, string subject)
    {
        var issued = new IssuedCertificate(Path.Combine(Folder, name + ".pem"), Path.Combine(Folder, name + ".key"));
        var now = time.GetUtcNow();
        if (TryLoad(issued.CertificateFile, issued.KeyFile) is { } existing)
        {
            using (existing)
                if (existing.NotAfter.ToUniversalTime() > now.UtcDateTime + RenewBefore && NetworkIdentity.Of(existing) == identity && IssuedHere(existing)
                    && ReadCrl().RevokedAt(existing) is null)
                    return issued;
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={subject}, O=Renkei"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(NetworkTls.ServerAuthentication), new Oid(NetworkTls.ClientAuthentication)], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        names.AddDnsName("localhost");
        names.AddUri(new Uri(identity));
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        var notAfter = now + LeafLifetime < Certificate.NotAfter.ToUniversalTime() ? now + LeafLifetime : new DateTimeOffset(Certificate.NotAfter.ToUniversalTime());
        using var certificate = request.Create(Certificate, now.AddMinutes(-5), notAfter, serial);
        Write(issued.CertificateFile, issued.KeyFile, certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
        return issued;
    }

    private bool IssuedHere(X509Certificate2 certificate)
    {
        var policy = NetworkTls.Policy(Certificate, NetworkTls.ClientAuthentication);
        policy.VerificationTime = time.GetUtcNow().UtcDateTime;
        using var chain = new X509Chain { ChainPolicy = policy };
        return chain.Build(certificate);
    }

    /// <summary>A certificate and its key, or null when either is missing or they do not belong together.</summary>
    private static X509Certificate2? TryLoad(string certFile, string keyFile)
    {
        if (!File.Exists(certFile) || !File.Exists(keyFile)) return null;
        try { return X509Certificate2.CreateFromPemFile(certFile, keyFile); }
        catch (CryptographicException) { return null; }
    }

    /// <summary>The key goes to a file only its owner can read; the certificate is public.</summary>
    private static void Write(string certFile, string keyFile, string certificatePem, string keyPem)
    {
        KeyFiles.ReplaceSecret(keyFile, keyPem);
        var temp = certFile + ".tmp";
        File.WriteAllText(temp, certificatePem);
        File.Move(temp, certFile, overwrite: true);
    }

    public void Dispose() => Certificate.Dispose();
}
