using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Ocsp;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Renkei.Pki.Tests;

/// <summary>An OCSP client written against BouncyCastle, independent of the responder's code path.</summary>
public static class Ocsp
{
    public static byte[] Request(X509Certificate2 certificate, X509Certificate2 issuer)
    {
        var id = new CertificateID(CertificateID.DigestSha1, new BcCertificate(issuer.RawData), new BigInteger(certificate.SerialNumber, 16));
        var generator = new OcspReqGenerator();
        generator.AddRequest(id);
        return generator.Generate().GetEncoded();
    }

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
