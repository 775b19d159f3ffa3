using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto;
using Renkei.Pki.Authorities;
using Renkei.Pki.Certificates;
using Renkei.Pki.Revocation;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Renkei.Pki.Verifiers;

/// <summary>A presented certificate, parsed once, with its public key (read when first asked for).</summary>
public sealed record PresentedCertificate(X509Certificate2 Certificate)
{
    private readonly Lazy<RSA?> key = new(Certificate.GetRSAPublicKey);

    public RSA? Key => key.Value;
    public string Serial { get; } = Certificate.SerialNumber;
    public string Thumbprint { get; } = Certificate.GetCertHashString(HashAlgorithmName.SHA256);
    public DateTimeOffset NotBefore { get; } = Certificate.NotBefore.ToUniversalTime();
    public DateTimeOffset NotAfter { get; } = Certificate.NotAfter.ToUniversalTime();
}

/// <summary>The outcome of checking a certificate: its state when valid, else the reason it is refused.</summary>
public sealed record CertificateCheck(bool Valid, string? Reason, CertificateState? State, string Serial);

/// <summary>
/// Checks a card certificate as a relying party must: issued by our CA of the right kind (the
/// issuer's signature), within its validity now, and not revoked. Certificates that passed the issuer
/// check are kept, parsed, by the SHA-256 of their DER: relying parties send the same one on every login.
/// Nothing else is kept, since anyone may send any number of other certificates of any size.
/// </summary>
public sealed class CertificateValidator(CertificationAuthorities authorities, RevocationService revocation, TimeProvider clock)
{
    /// <summary>How many of our certificates are kept parsed (each a card certificate of about 1.5 KB with its key).</summary>
    internal const int CacheLimit = 10_000;

    private readonly Dictionary<CertificateKind, AsymmetricKeyParameter> caKeys = Enum.GetValues<CertificateKind>()
        .ToDictionary(k => k, k => new BcCertificate(authorities.For(k).Certificate.RawData).GetPublicKey());

    private readonly ConcurrentDictionary<string, (PresentedCertificate Certificate, CertificateKind Kind)> ours = new();

    /// <summary>How many certificates are kept (for tests and health).</summary>
    internal int CachedCount => ours.Count;

    /// <summary>Parses a certificate (PEM or base64 DER); one of ours already checked is not parsed again.</summary>
    public PresentedCertificate? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            var der = VerifiersApi.Pem(text, "CERTIFICATE") ?? VerifiersApi.Base64(text);
            if (der is null) return null;
            if (ours.TryGetValue(Convert.ToHexString(SHA256.HashData(der)), out var known)) return known.Certificate;
            return new PresentedCertificate(X509CertificateLoader.LoadCertificate(der));
        }
        catch (CryptographicException) { return null; }
    }

    public Task<CertificateCheck> CheckAsync(X509Certificate2 certificate, CertificateKind kind) =>
        CheckAsync(new PresentedCertificate(certificate), kind);

    public async Task<CertificateCheck> CheckAsync(PresentedCertificate presented, CertificateKind kind)
    {
        var serial = presented.Serial;
        // Thumbprint is the SHA-256 of the DER, as Parse looks it up.
        if (!(ours.TryGetValue(presented.Thumbprint, out var known) && known.Kind == kind))
        {
            var problem = IssuerProblem(presented.Certificate, kind);
            if (problem is not null) return new CertificateCheck(false, problem, null, serial);
            if (ours.Count >= CacheLimit) ours.Clear();
            ours[presented.Thumbprint] = (presented, kind);
        }
        var now = clock.GetUtcNow();
        if (now < presented.NotBefore) return new CertificateCheck(false, "not-yet-valid", null, serial);
        if (now > presented.NotAfter) return new CertificateCheck(false, "expired", null, serial);
        var state = await revocation.StateAsync(serial, kind);
        return state.Status switch
        {
            "good" => new CertificateCheck(true, null, state, serial),
            "revoked" => new CertificateCheck(false, "revoked", state, serial),
            _ => new CertificateCheck(false, "unknown-certificate", state, serial),
        };
    }

    private string? IssuerProblem(X509Certificate2 certificate, CertificateKind kind)
    {
        var ca = authorities.For(kind).Certificate;
        if (!certificate.IssuerName.RawData.AsSpan().SequenceEqual(ca.SubjectName.RawData))
        {
            var other = authorities.For(kind == CertificateKind.Signing ? CertificateKind.Authentication : CertificateKind.Signing).Certificate;
            return certificate.IssuerName.RawData.AsSpan().SequenceEqual(other.SubjectName.RawData) ? "wrong-certificate-kind" : "untrusted-issuer";
        }
        try
        {
            if (!new BcCertificate(certificate.RawData).IsSignatureValid(caKeys[kind])) return "untrusted-issuer";
        }
        catch (Exception e) when (e is CryptoException or Org.BouncyCastle.Security.InvalidKeyException or ArgumentException or Org.BouncyCastle.Security.Certificates.CertificateException)
        {
            return "untrusted-issuer";
        }
        return CertificateProfile.PoliciesOf(certificate).Contains(CertificateProfile.PolicyOf(kind)) ? null : "wrong-certificate-kind";
    }
}
