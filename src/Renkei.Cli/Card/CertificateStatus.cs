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
        var (japanese, english) = kind == CertificateKind.Signing
            ? ("署名用電子証明書", "signing certificate")
            : ("利用者証明用電子証明書", "authentication certificate");
        var consequence = kind == CertificateKind.Signing
            ? ("この署名は検証で失効として拒否されます", "a verifier will refuse this signature")
            : ("この応答は検証で失効として拒否されます", "a verifier will refuse this answer");
        return await AskAsync(certificate, chainPem, ct) switch
        {
            { Status: Said.Revoked } revoked => $"注意: このカードの{japanese}は失効しています（{revoked.ReasonJapanese}）。{consequence.Item1} / "
                + $"warning: this card's {english} is revoked ({revoked.ReasonEnglish}); {consequence.Item2}",
            { Status: Said.Unknown } => $"注意: 認証局のOCSPはこのカードの{japanese}を知りません。{consequence.Item1} / "
                + $"warning: the PKI's OCSP responder does not know this card's {english}; {consequence.Item2}",
            _ => null,
        };
    }

    public enum Said { Good, Revoked, Unknown, NoAnswer, NoResponder }

    /// <summary>What the responder said of a certificate, with the reason of a revocation (CRL reason code, -1 when none is given).</summary>
    public sealed record Answer(Said Status, Uri? Responder = null, int Reason = -1)
    {
        public string ReasonJapanese => ReasonInJapanese(Reason);
        public string ReasonEnglish => ReasonInEnglish(Reason);
    }

    /// <summary>
    /// Asks the responder the certificate names. <see cref="Said.NoAnswer"/> covers everything but an answer signed by the issuer;
    /// <see cref="Said.NoResponder"/> a certificate that names none.
    /// </summary>
    public static async Task<Answer> AskAsync(X509Certificate2 certificate, string chainPem, CancellationToken ct)
    {
        var url = certificate.Extensions.OfType<X509AuthorityInformationAccessExtension>().SelectMany(a => a.EnumerateOcspUris()).FirstOrDefault();
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return new(Said.NoResponder);
        var none = new Answer(Said.NoAnswer, uri);
        try
        {
            var chain = new X509Certificate2Collection();
            chain.ImportFromPem(chainPem);
            var issuer = chain.FirstOrDefault(c => c.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData));
            if (issuer is null) return none;
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
            if (!response.IsSuccessStatusCode) return none;
            var ocsp = new OcspResp(await response.Content.ReadAsByteArrayAsync(ct));
            if (ocsp.Status != OcspRespStatus.Successful || ocsp.GetResponseObject() is not BasicOcspResp basic) return none;
            if (!basic.Verify(issuerBc.GetPublicKey())) return none;
            var answer = basic.Responses.FirstOrDefault(r => r.GetCertID().Equals(id));
            if (answer is null) return none;
            return answer.GetCertStatus() switch
            {
                RevokedStatus revoked => new(Said.Revoked, uri, revoked.HasRevocationReason ? revoked.RevocationReason : -1),
                UnknownStatus => new(Said.Unknown, uri),
                _ => new(Said.Good, uri),
            };
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
        catch (Exception)
        {
            // Unreachable, too slow, or an answer that cannot be read or trusted: nothing is known.
            return none;
        }
    }

    // CRL reason codes (RFC 5280 §5.3.1) as the PKI uses them (docs/pki.md, "Revocation"). Superseded (4) ends a card replaced by a
    // new one and a card to be returned after a change of Individual Number alike, so its words cover both: the holder of the
    // second has no new card yet.
    private static string ReasonInJapanese(int reason) => reason switch
    {
        1 => "紛失届",
        3 => "基本4情報の変更",
        4 => "カードの交換: 新しいカードの交付、または個人番号の変更によるカードの返納",
        5 => "死亡・国外転出等",
        _ => "理由の記載なし",
    };

    private static string ReasonInEnglish(int reason) => reason switch
    {
        1 => "reported lost",
        3 => "the holder's items changed",
        4 => "the card was replaced by a new one, or is to be returned after a change of Individual Number",
        5 => "the holder died or left the country",
        _ => "no reason given",
    };
}
