using System.ComponentModel;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Renkei.Hosting;
using Renkei.Pki.Authorities;

namespace Renkei.Pki.Revocation;

/// <summary>
/// What relying parties fetch without a token, as they do from a real CA: the CA certificates,
/// the CRLs (DER) and the OCSP responder (POST, and GET with the request base64 in the path); HEAD wherever GET is.
/// </summary>
public static class RevocationApi
{
    public static void MapRevocation(this IEndpointRouteBuilder app)
    {
        app.MapGetAndHead("/ca/{name}.pem", (string name, CertificationAuthorities cas) => name switch
        {
            "root" => Results.Text(cas.Root.Pem, "application/x-pem-file"),
            "signing" => Results.Text(cas.ChainPem(CertificateKind.Signing), "application/x-pem-file"),
            "authentication" => Results.Text(cas.ChainPem(CertificateKind.Authentication), "application/x-pem-file"),
            "chain" => Results.Text(cas.AllPem, "application/x-pem-file"),
            _ => Problems.NotFound("unknown-ca", "認証局がありません / No such CA",
                "root、signing、authentication、chain のいずれかを指定してください / Use root, signing, authentication or chain."),
        }).WithTags("Revocation").WithSummary("CA certificates as PEM: root, signing (issuing CA + root), authentication, chain (all).")
            .Produces<string>(StatusCodes.Status200OK, "application/x-pem-file");

        app.MapGetAndHead("/crl/{kind}.crl", async (string kind, RevocationService revocation) =>
            ParseKind(kind) is { } k
                ? Results.Bytes(await revocation.CrlAsync(k), "application/pkix-crl")
                : Problems.NotFound("unknown-crl", "CRLがありません / No such CRL",
                    "signing.crl か authentication.crl を指定してください / Use signing.crl or authentication.crl."))
            .WithTags("Revocation").WithSummary("The current CRL (DER) of the signing or the authentication CA.")
            .Produces<Stream>(StatusCodes.Status200OK, "application/pkix-crl");

        // The root's CRL, of the issuing CA certificates (a literal route, chosen before {kind}.crl), which they name as their CRL
        // distribution point.
        app.MapGetAndHead("/crl/root.crl", (RevocationService revocation) => Results.Bytes(revocation.RootCrl(), "application/pkix-crl"))
            .WithTags("Revocation").WithSummary("The root's CRL (DER), of the issuing CA certificates.")
            .Produces<Stream>(StatusCodes.Status200OK, "application/pkix-crl");

        // One CA certificate as DER, as the issuing CA certificates' caIssuers names the root's (RFC 5280 §4.2.2.1).
        app.MapGetAndHead("/ca/{name}.cer", (string name, CertificationAuthorities cas) => name switch
        {
            "root" => Results.Bytes(cas.Root.Certificate.RawData, "application/pkix-cert"),
            "signing" => Results.Bytes(cas.Signing.Certificate.RawData, "application/pkix-cert"),
            "authentication" => Results.Bytes(cas.Authentication.Certificate.RawData, "application/pkix-cert"),
            _ => Problems.NotFound("unknown-ca", "認証局がありません / No such CA",
                "root、signing、authentication のいずれかを指定してください / Use root, signing or authentication."),
        }).WithTags("Revocation").WithSummary("One CA certificate as DER: root, signing or authentication.")
            .Produces<Stream>(StatusCodes.Status200OK, "application/pkix-cert");

        app.MapPost("/ocsp", async Task<IResult> (HttpRequest request, RevocationService revocation) =>
        {
            // RFC 6960 A.1: the body is a DER OCSPRequest sent as application/ocsp-request, as every OCSP client does (OpenSSL,
            // Java, BouncyCastle's users). Another type is a client that meant something else, such as curl's form encoding.
            if (!IsOcspRequest(request.ContentType))
                return Problems.Result(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", Problems.UnsupportedMediaTypeTitle,
                    "本文はDERのOCSPRequestを Content-Type: application/ocsp-request で送ってください / " +
                    "send a DER OCSPRequest with Content-Type: application/ocsp-request (RFC 6960 A.1).");
            // An OCSP request is a few hundred bytes: a body over 64 KiB, declared or not, is refused by the server
            // as it is read (413, a request-too-large problem) rather than gathered in memory.
            if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxOcspRequest;
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            return Results.Bytes(await revocation.RespondAsync(body.ToArray()), "application/ocsp-response");
        }).WithTags("Revocation").WithSummary("OCSP (RFC 6960) over POST, application/ocsp-request.")
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .TakesRawBody("DERのOCSPRequest（64 KiBまで）/ a DER OCSPRequest (RFC 6960 A.1), at most 64 KiB", binary: true, "application/ocsp-request")
            .Produces<Stream>(StatusCodes.Status200OK, "application/ocsp-response");

        app.MapGetAndHead("/ocsp/{*request}", async ([Description(OcspGetRequest)] string? request, HttpResponse response, RevocationService revocation, TimeProvider clock) =>
        {
            // Empty (GET /ocsp/) or not base64: an OCSP malformedRequest, as over POST, not an HTTP problem.
            byte[] der;
            try { der = Convert.FromBase64String(Uri.UnescapeDataString(request ?? "")); }
            catch (FormatException) { der = []; }
            var answer = await revocation.AnswerAsync(der);
            if (answer.ServedUntil is { } until) CacheFor(response, answer, until, clock.GetUtcNow());
            return Results.Bytes(answer.Response, "application/ocsp-response");
        }).WithTags("Revocation").WithSummary("OCSP (RFC 6960) over GET: the base64 request in the path.")
            .Produces<Stream>(StatusCodes.Status200OK, "application/ocsp-response");
    }

    /// <summary>
    /// GET, and HEAD with the same status and headers (RFC 9110 §9.3.2): some CRL fetchers ask with HEAD first (the body is
    /// dropped by HeadWithoutBody). HEAD is left out of the API document, which would list every operation twice.
    /// </summary>
    private static RouteHandlerBuilder MapGetAndHead(this IEndpointRouteBuilder app, string pattern, Delegate handler)
    {
        app.MapMethods(pattern, [HttpMethods.Head], handler).ExcludeFromDescription();
        return app.MapGet(pattern, handler);
    }

    private static bool IsOcspRequest(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && string.Equals(media.MediaType.Value, "application/ocsp-request", StringComparison.OrdinalIgnoreCase);

    // The route takes the rest of the path: base64 has '/' in it, which RFC 6960 A.1 lets a client send as it is or as %2F.
    private const string OcspGetRequest = "DERのOCSPRequestのbase64（URLエンコード、「/」はそのままでも可）/ the base64 of a DER OCSPRequest, URL-encoded " +
        "(RFC 6960 A.1); the rest of the path is taken, so a '/' of the base64 may be sent as it is or as %2F";

    /// <summary>The largest OCSP request body taken (64 KiB).</summary>
    public const int MaxOcspRequest = 65536;

    public static CertificateKind? ParseKind(string? kind) => kind?.ToLowerInvariant() switch
    {
        "signing" => CertificateKind.Signing,
        "authentication" => CertificateKind.Authentication,
        _ => null,
    };

    /// <summary>
    /// RFC 5019 §6: a pre-produced answer over GET may be kept by HTTP caches until the responder would produce it again (before its
    /// nextUpdate, which Expires gives), named by an ETag of its bytes. Fresh answers (a nonce) and errors get none of this.
    /// </summary>
    private static void CacheFor(HttpResponse response, OcspAnswer answer, DateTimeOffset until, DateTimeOffset now)
    {
        var maxAge = Math.Max(0, (long)(until - now).TotalSeconds);
        response.Headers.CacheControl = $"max-age={maxAge}, public, no-transform, must-revalidate";
        response.Headers.Expires = answer.NextUpdate!.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        response.Headers.LastModified = answer.ProducedAt!.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        response.Headers.ETag = $"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(answer.Response))}\"";
    }
}
