using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Ocsp;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Renkei.Pki.Tests;

/// <summary>An OCSP client written against BouncyCastle, independent of the responder's code path.</summary>
public static class Ocsp
{
    /// <summary>SHA-256 as the CertID's hash algorithm, with NULL parameters as OpenSSL writes it (<c>openssl ocsp -sha256</c>).</summary>
    public static readonly AlgorithmIdentifier Sha256 = new(Org.BouncyCastle.Asn1.Nist.NistObjectIdentifiers.IdSha256, DerNull.Instance);

    /// <summary>
    /// An OCSP request, its CertID hashed with SHA-1 unless <paramref name="hash"/> says otherwise; with a nonce, the
    /// extension as RFC 6960 §4.4.1 writes it (an OCTET STRING inside extnValue).
    /// </summary>
    public static byte[] Request(X509Certificate2 certificate, X509Certificate2 issuer, byte[]? nonce = null, AlgorithmIdentifier? hash = null)
    {
        var id = new CertificateID(hash ?? CertificateID.DigestSha1, new BcCertificate(issuer.RawData), new BigInteger(certificate.SerialNumber, 16));
        var generator = new OcspReqGenerator();
        generator.AddRequest(id);
        if (nonce is not null)
        {
            var extensions = new X509ExtensionsGenerator();
            extensions.AddExtension(OcspObjectIdentifiers.PkixOcspNonce, false, new DerOctetString(nonce));
            generator.SetRequestExtensions(extensions.Generate());
        }
        return generator.Generate().GetEncoded();
    }

    /// <summary>Posts a request; returns the raw response and its basic response, whose signature by the issuer is checked.</summary>
    public static async Task<(byte[] Raw, BasicOcspResp Basic)> PostAsync(HttpClient http, byte[] request, X509Certificate2 issuer)
    {
        var content = new ByteArrayContent(request);
        content.Headers.ContentType = new("application/ocsp-request");
        var response = await http.PostAsync("ocsp", content);
        var raw = await response.Content.ReadAsByteArrayAsync();
        var ocsp = new OcspResp(raw);
        Assert.Equal(OcspRespStatus.Successful, ocsp.Status);
        var basic = (BasicOcspResp)ocsp.GetResponseObject();
        Assert.True(basic.Verify(new BcCertificate(issuer.RawData).GetPublicKey()), "the response is signed by the issuing CA");
        return (raw, basic);
    }

    /// <summary>The nonce a response echoes (the inner OCTET STRING's content), or null when it has none.</summary>
    public static byte[]? NonceOf(BasicOcspResp basic) =>
        basic.GetExtensionValue(OcspObjectIdentifiers.PkixOcspNonce) is { } value
            ? Asn1OctetString.GetInstance(Asn1Object.FromByteArray(value.GetOctets())).GetOctets()
            : null;

    public static string StatusOf(BasicOcspResp basic) => basic.Responses.Single().GetCertStatus() switch
    {
        null => "good",
        RevokedStatus => "revoked",
        _ => "unknown",
    };

    /// <summary>"good", "revoked" or "unknown", after checking the response's signature by the issuer.</summary>
    public static async Task<string> StatusAsync(HttpClient http, X509Certificate2 certificate, X509Certificate2 issuer)
    {
        var content = new ByteArrayContent(Request(certificate, issuer));
        content.Headers.ContentType = new("application/ocsp-request");
        var response = await http.PostAsync("ocsp", content);
        Assert.Equal("application/ocsp-response", response.Content.Headers.ContentType?.MediaType);
        var ocsp = new OcspResp(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(OcspRespStatus.Successful, ocsp.Status);
        var basic = (BasicOcspResp)ocsp.GetResponseObject();
        Assert.True(basic.Verify(new BcCertificate(issuer.RawData).GetPublicKey()), "the response is signed by the issuing CA");
        return basic.Responses.Single().GetCertStatus() switch
        {
            null => "good",
            RevokedStatus => "revoked",
            _ => "unknown",
        };
    }
}
