using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.X509;

namespace Renkei.Hosting.Tls;

/// <summary>
/// The network CA's certificate revocation list (RFC 5280 CRL, <c>ca.crl</c>), read only once its
/// signature verifies under the CA: the serial numbers of the core's and nodes' TLS certificates that
/// the network no longer accepts, though they have not expired. .NET writes CRLs but cannot read one
/// back with its entries, so BouncyCastle parses and verifies it.
/// </summary>
public sealed class NetworkCrl
{
    private readonly Dictionary<BigInteger, DateTimeOffset> revoked;

    private NetworkCrl(BigInteger number, DateTimeOffset thisUpdate, DateTimeOffset? nextUpdate, Dictionary<BigInteger, DateTimeOffset> revoked)
    {
        Number = number;
        ThisUpdate = thisUpdate;
        NextUpdate = nextUpdate;
        this.revoked = revoked;
    }

    /// <summary>The CRL number: each list the CA signs has a higher one, so an older list cannot be put back in place of a newer.</summary>
    public BigInteger Number { get; }

    public DateTimeOffset ThisUpdate { get; }

    /// <summary>When the CA promises its next list; past it, the list is stale (still the best known, so still applied).</summary>
    public DateTimeOffset? NextUpdate { get; }

    public int Count => revoked.Count;

    /// <summary>Whether <paramref name="certificate"/>'s serial number is on the list (the caller has checked it was issued by the same CA).</summary>
    public bool IsRevoked(X509Certificate2 certificate) => revoked.ContainsKey(SerialOf(certificate));

    /// <summary>When <paramref name="certificate"/> was revoked, or null when it is not on the list.</summary>
    public DateTimeOffset? RevokedAt(X509Certificate2 certificate) => revoked.TryGetValue(SerialOf(certificate), out var at) ? at : null;

    public static BigInteger SerialOf(X509Certificate2 certificate) => new(certificate.SerialNumberBytes.Span, isUnsigned: true, isBigEndian: true);

    /// <summary>Reads a CRL (PEM or DER) that <paramref name="ca"/> signed; anything else throws <see cref="InvalidOperationException"/> with the reason.</summary>
    public static NetworkCrl Read(byte[] crl, X509Certificate2 ca)
    {
        var der = crl;
        var text = System.Text.Encoding.ASCII.GetString(crl);
        if (PemEncoding.TryFind(text, out var pem))
        {
            if (text[pem.Label] != "X509 CRL") throw Invalid("PEMですがCRLではありません", "it is PEM but not an X509 CRL");
            der = Convert.FromBase64String(text[pem.Base64Data]);
        }
        X509Crl parsed;
        try { parsed = new X509CrlParser().ReadCrl(der) ?? throw Invalid("空です", "it is empty"); }
        catch (Exception e) when (e is not InvalidOperationException) { throw Invalid("CRLではありません", "it is not a CRL"); }
        var issuer = new X509CertificateParser().ReadCertificate(ca.RawData);
        if (!parsed.IssuerDN.Equivalent(issuer.SubjectDN)) throw Invalid("別のCAが発行したものです", "another CA issued it");
        try { parsed.Verify(issuer.GetPublicKey()); }
        catch (Exception)
        {
            throw Invalid("ネットワークCAの署名として検証できません", "its signature does not verify under the network CA");
        }
        var number = parsed.GetExtensionValue(Org.BouncyCastle.Asn1.X509.X509Extensions.CrlNumber) is { } octets
            ? new BigInteger(Org.BouncyCastle.Asn1.DerInteger.GetInstance(octets.GetOctets()).PositiveValue.ToByteArrayUnsigned(), isUnsigned: true, isBigEndian: true)
            : BigInteger.Zero;
        var serials = new Dictionary<BigInteger, DateTimeOffset>();
        foreach (var entry in parsed.GetRevokedCertificates() ?? new HashSet<X509CrlEntry>())
            serials[new BigInteger(entry.SerialNumber.ToByteArrayUnsigned(), isUnsigned: true, isBigEndian: true)] = new DateTimeOffset(entry.RevocationDate, TimeSpan.Zero);
        return new NetworkCrl(number, new DateTimeOffset(parsed.ThisUpdate, TimeSpan.Zero),
            parsed.NextUpdate is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null, serials);
    }

    private static InvalidOperationException Invalid(string whyJapanese, string why) =>
        new($"失効リストを読めません（{whyJapanese}）/ the network CRL cannot be used: {why}");
}
