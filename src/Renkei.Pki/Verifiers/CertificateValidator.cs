using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto;
using Renkei.Pki.Authorities;
using Renkei.Pki.Certificates;
using Renkei.Pki.Revocation;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Renkei.Pki.Verifiers;

/// <summary>A presented certificate, parsed once, with its public key.</summary>
public sealed record PresentedCertificate(X509Certificate2 Certificate, RSA? Key)
{
    public string Serial { get; } = Certificate.SerialNumber;
    public string Thumbprint { get; } = Certificate.GetCertHashString(HashAlgorithmName.SHA256);
    public DateTimeOffset NotBefore { get; } = Certificate.NotBefore.ToUniversalTime();
    public DateTimeOffset NotAfter { get; } = Certificate.NotAfter.ToUniversalTime();
}

/// <summary>The outcome of checking a certificate: its state when valid, else the reason it is refused.</summary>
public sealed record CertificateCheck(bool Valid, string? Reason, CertificateState? State, string Serial);

/// <summary>
/// Checks a card certificate as a relying party must: issued by our CA of the right kind (the
/// issuer's signature, cached per certificate), within its validity now, and not revoked.
/// </summary>
public sealed class CertificateValidator(CertificationAuthorities authorities, RevocationService revocation, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, string?> trusted = new();
    private readonly Dictionary<CertificateKind, AsymmetricKeyParameter> caKeys = Enum.GetValues<CertificateKind>()
        .ToDictionary(k => k, k => new BcCertificate(authorities.For(k).Certificate.RawData).GetPublicKey());

    private readonly ConcurrentDictionary<string, PresentedCertificate> parsed = new();

    /// <summary>Parses a certificate (PEM or base64 DER); the same text is parsed once (relying parties send it on every login).</summary>
    public PresentedCertificate? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (parsed.TryGetValue(text, out var known)) return known;
        try
        {
            var der = VerifiersApi.Pem(text, "CERTIFICATE") ?? VerifiersApi.Base64(text);
            if (der is null) return null;
            var certificate = X509CertificateLoader.LoadCertificate(der);
            var presented = new PresentedCertificate(certificate, certificate.GetRSAPublicKey());
            if (parsed.Count >= 100_000) parsed.Clear();
            parsed[text] = presented;
            return presented;
        }
        catch (CryptographicException) { return null; }
    }

    public Task<CertificateCheck> CheckAsync(X509Certificate2 certificate, CertificateKind kind) =>
        CheckAsync(new PresentedCertificate(certificate, null), kind);

    public async Task<CertificateCheck> CheckAsync(PresentedCertificate presented, CertificateKind kind)
    {
        var serial = presented.Serial;
        var key = presented.Thumbprint + (kind == CertificateKind.Signing ? ":s" : ":a");
        if (!trusted.TryGetValue(key, out var problem))
        {
            problem = IssuerProblem(presented.Certificate, kind);
            if (trusted.Count < 1_000_000) trusted[key] = problem;
        }
        if (problem is not null) return new CertificateCheck(false, problem, null, serial);
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
