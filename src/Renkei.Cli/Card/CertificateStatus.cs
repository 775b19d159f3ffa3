using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Ocsp;
using Renkei.Hosting.Tls;
using Renkei.Pki.Authorities;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Renkei.Cli.Card;

/// <summary>
/// Asks the OCSP responder a card's certificate names (its AIA) whether the certificate is revoked. The card signs and answers
/// challenges on its own, as the real one does, but its holder should hear that what it made will be refused. Only an answer
/// signed by the certificate's issuer counts; no answer (no network, a timeout, anything unreadable) is a silence, never a verdict.
/// </summary>
public static class CertificateStatus
{
    /// <summary>How long a revocation check may hold up a signature already made; a loopback refusal is immediate.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>A one-line warning when the responder says the certificate is revoked (or unknown to it); null otherwise.</summary>
    public static async Task<string?> WarningAsync(X509Certificate2 certificate, string chainPem, CertificateKind kind, CancellationToken ct)
    {
        var url = certificate.Extensions.OfType<X509AuthorityInformationAccessExtension>().SelectMany(a => a.EnumerateOcspUris()).FirstOrDefault();
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return null;
        try
        {
            var chain = new X509Certificate2Collection();
            chain.ImportFromPem(chainPem);
            var issuer = chain.FirstOrDefault(c => c.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData));
            if (issuer is null) return null;
            var issuerBc = new BcCertificate(issuer.RawData);
            var id = new CertificateID(CertificateID.DigestSha1, issuerBc, new BigInteger(certificate.SerialNumber, 16));
            var generator = new OcspReqGenerator();
            generator.AddRequest(id);
            var content = new ByteArrayContent(generator.Generate().GetEncoded());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/ocsp-request");

            // Directly, as every client of ours: through the environment's proxy the card's serial and the time of each use
            // went to the proxy host, and a remote proxy cannot reach this machine's responder (so no warning came).
            using var http = new HttpClient(NetworkTls.PlainHandler()) { Timeout = Timeout };
            using var response = await http.PostAsync(uri, content, ct);
            if (!response.IsSuccessStatusCode) return null;
            var ocsp = new OcspResp(await response.Content.ReadAsByteArrayAsync(ct));
            if (ocsp.Status != OcspRespStatus.Successful || ocsp.GetResponseObject() is not BasicOcspResp basic) return null;
            if (!basic.Verify(issuerBc.GetPublicKey())) return null;
            var answer = basic.Responses.FirstOrDefault(r => r.GetCertID().Equals(id));
            var (japanese, english) = kind == CertificateKind.Signing
                ? ("署名用電子証明書", "signing certificate")
                : ("利用者証明用電子証明書", "authentication certificate");
            var consequence = kind == CertificateKind.Signing
                ? ("この署名は検証で失効として拒否されます", "a verifier will refuse this signature")
                : ("この応答は検証で失効として拒否されます", "a verifier will refuse this answer");
            return answer?.GetCertStatus() switch
            {
                RevokedStatus revoked => $"注意: このカードの{japanese}は失効しています（{ReasonInJapanese(revoked)}）。{consequence.Item1} / "
                    + $"warning: this card's {english} is revoked ({ReasonInEnglish(revoked)}); {consequence.Item2}",
                UnknownStatus => $"注意: 認証局のOCSPはこのカードの{japanese}を知りません。{consequence.Item1} / "
                    + $"warning: the PKI's OCSP responder does not know this card's {english}; {consequence.Item2}",
                _ => null,
            };
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
        catch (Exception)
        {
            // Unreachable, too slow, or an answer that cannot be read or trusted: nothing is known, so nothing is said.
            return null;
        }
    }

    // CRL reason codes (RFC 5280 §5.3.1) as the PKI uses them (docs/pki.md, "Revocation"). Superseded (4) ends a card replaced by a
    // new one and a card to be returned after a change of Individual Number alike, so its words cover both: the holder of the
    // second has no new card yet.
    private static int Reason(RevokedStatus revoked) => revoked.HasRevocationReason ? revoked.RevocationReason : -1;

    private static string ReasonInJapanese(RevokedStatus revoked) => Reason(revoked) switch
    {
        1 => "紛失届",
        3 => "基本4情報の変更",
        4 => "カードの交換: 新しいカードの交付、または個人番号の変更によるカードの返納",
        5 => "死亡・国外転出等",
        _ => "理由の記載なし",
    };

    private static string ReasonInEnglish(RevokedStatus revoked) => Reason(revoked) switch
    {
        1 => "reported lost",
        3 => "the holder's items changed",
        4 => "the card was replaced by a new one, or is to be returned after a change of Individual Number",
        5 => "the holder died or left the country",
        _ => "no reason given",
    };
}
