using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;
using Renkei.Pki.Authorities;
using Renkei.Pki.Cards;
using Renkei.Pki.Certificates;

namespace Renkei.Pki.Verifiers;

public sealed record RegisterVerifierRequest(string? Name, [property: AllowedValues("government", "private")] string? Kind, bool Approved = true, bool Signing = true, bool Authentication = true);

public sealed record VerifierRegistered(string VerifierId, string Name, string Kind, bool Approved, bool Signing, bool Authentication, string Token);

/// <summary>A signed document: the document and a detached CMS SignedData, both base64 (the CMS may be PEM).</summary>
public sealed record SignatureVerificationRequest(string? Document, string? Signature);

/// <summary>An answered challenge: the challenge, the PKCS#1 v1.5 SHA-256 signature and the authentication certificate.</summary>
public sealed record AuthenticationRequest(string? Challenge, string? Signature, string? Certificate);

public sealed record SignatureVerification(bool Valid, string? Reason, string? Serial, string? Status, [property: DataType(DataType.DateTime)] string? SignedAt, HolderView? Holder);

/// <summary>A signing certificate whose holder's current items an approved verifier asks for.</summary>
public sealed record CurrentItemsRequest(string? Certificate);

public sealed record CurrentItems(bool Provided, string? Reason, HolderView? Holder);

public sealed record AuthenticationVerification(bool Valid, string? Reason, string? Serial, string? Status, string? Subject);

/// <summary>
/// Verifiers register (permission <c>pki:verifiers</c>) and then call the verification APIs with
/// their own token. A signature check tells any registered verifier whether it is valid; only an
/// approved signing verifier gets the holder's items. Authentication gives an approved verifier
/// the status and a pseudonymous subject of its own, never a personal item.
/// </summary>
public static class VerifiersApi
{
    public static void MapVerifiers(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/verifiers", Register).WithTags("Verifiers").RequirePermission("pki:verifiers")
            .WithSummary("Registers a verifier (government or private) and returns its token once.");
        app.MapPost("/api/verify/signature", VerifySignature).WithTags("Verifiers").RequireOwnToken(TokenScheme, TokenDescription, NoVerifier)
            .WithSummary("署名検証: a document and its CMS signature → valid or the reason (holder items for approved verifiers).");
        app.MapPost("/api/verify/current-items", ProvideCurrentItems).WithTags("Verifiers").RequireOwnToken(TokenScheme, TokenDescription, NoVerifier, NotApproved)
            .WithSummary("最新の基本4情報の提供: after a revocation caused by a change, the holder's current items (approved signing verifiers).");
        app.MapPost("/api/verify/authentication", VerifyAuthentication).WithTags("Verifiers").RequireOwnToken(TokenScheme, TokenDescription, NoVerifier, NotApproved)
            .WithSummary("利用者証明: a challenge signed with the authentication key → status and a per-verifier subject.");
    }

    // The verification APIs take a verifier's own token, not a caller's: the document declares it as a scheme of its own.
    private const string TokenScheme = "verifier";
    private const string TokenDescription = "検証者のトークン（POST /api/verifiers が一度だけ返すもの）/ a verifier's token, as POST /api/verifiers returned it once";
    private static readonly (int, string) NoVerifier = (401, "検証者のトークンがないか、登録されていない（unregistered-verifier）/ no verifier token, or one not registered (unregistered-verifier)");
    private static readonly (int, string) NotApproved = (403, "この検証の認定がない（verifier-not-approved）/ the verifier is not approved for this (verifier-not-approved)");

    private static async Task<Results<Created<VerifierRegistered>, ProblemHttpResult>> Register(RegisterVerifierRequest request, VerifierRegistry verifiers)
    {
        var errors = new Dictionary<string, string[]>();
        var name = request.Name?.Trim() ?? "";
        if (name.Length is 0 or > 100) errors["name"] = ["名称は1〜100文字です / name is 1 to 100 characters"];
        else if (!LogText.IsPlainName(name)) errors["name"] = [LogText.NotPlainName];
        var kind = request.Kind?.ToLowerInvariant();
        if (kind is not ("government" or "private")) errors["kind"] = ["種別は government または private です / kind must be government or private"];
        if (!request.Signing && !request.Authentication) errors["signing"] = ["署名検証か利用者証明の少なくとも一方が必要です / signing or authentication must be true"];
        if (errors.Count > 0) return Problems.Invalid(errors);
        var (v, token) = await verifiers.RegisterAsync(name, kind!, request.Approved, request.Signing, request.Authentication);
        return TypedResults.Created($"/api/verifiers/{v.VerifierId}", new VerifierRegistered(v.VerifierId, v.Name, v.Kind, v.Approved, v.Signing, v.Authentication, token));
    }

    /// <summary>Why a field could not be read: left out, or given in a form it cannot be read in.</summary>
    private static string[] Unreadable(string? given, string name, string englishName, string form, string englishForm) =>
        [string.IsNullOrWhiteSpace(given)
            ? $"{name}が必要です（{form}） / {englishName} is required ({englishForm})"
            : $"{name}を読めません（{form}ではありません） / {englishName} cannot be read: it is not {englishForm}"];

    private static async Task<Results<Ok<SignatureVerification>, ProblemHttpResult>> VerifySignature(
        SignatureVerificationRequest request, HttpRequest http, VerifierRegistry verifiers, CertificateValidator validator)
    {
        var verifier = await verifiers.FromRequestAsync(http.HttpContext.Request);
        if (verifier is null) return Unregistered(http.HttpContext);
        var errors = new Dictionary<string, string[]>();
        var document = Base64(request.Document);
        if (document is null) errors["document"] = Unreadable(request.Document, "文書", "document", "base64", "base64");
        var signature = Pem(request.Signature, "CMS") ?? Pem(request.Signature, "PKCS7") ?? Base64(request.Signature);
        if (signature is null) errors["signature"] = Unreadable(request.Signature, "署名（CMS）", "signature (CMS)", "base64またはPEM", "base64 or PEM");
        if (errors.Count > 0) return Problems.Invalid(errors);

        var cms = new SignedCms(new ContentInfo(document!), detached: true);
        try { cms.Decode(signature!); }
        catch (CryptographicException) { return Problems.BadRequest("malformed-signature", "署名を読み取れません / The signature is not a CMS SignedData"); }
        if (cms.SignerInfos.Count != 1 || cms.SignerInfos[0].Certificate is not { } certificate)
            return TypedResults.Ok(new SignatureVerification(false, "no-signer-certificate", null, null, null, null));
        // The card signs SHA-256 with RSA PKCS#1 v1.5: an MD5 or SHA-1 digest would let another document stand for the signed one.
        if (!StrongDigests.Contains(cms.SignerInfos[0].DigestAlgorithm.Value))
            return TypedResults.Ok(new SignatureVerification(false, "weak-digest-algorithm", certificate.SerialNumber, null, null, null));
        if (!RsaPkcs1Signatures.Contains(cms.SignerInfos[0].SignatureAlgorithm.Value))
            return TypedResults.Ok(new SignatureVerification(false, "unsupported-signature-algorithm", certificate.SerialNumber, null, null, null));
        try { cms.SignerInfos[0].CheckSignature(verifySignatureOnly: true); }
        catch (CryptographicException)
        {
            return TypedResults.Ok(new SignatureVerification(false, "signature-mismatch", certificate.SerialNumber, null, null, null));
        }
        var check = await validator.CheckAsync(certificate, CertificateKind.Signing);
        var signedAt = cms.SignerInfos[0].SignedAttributes.OfType<CryptographicAttributeObject>()
            .SelectMany(a => a.Values.OfType<Pkcs9SigningTime>()).Select(t => t.SigningTime.ToUniversalTime().ToString("O")).FirstOrDefault();
        HolderView? holder = null;
        var items = check.Valid && verifier.Approved && verifier.Signing ? CertificateProfile.ReadItems(certificate) : null;
        if (items is not null) holder = new HolderView(items.Name, items.Address, items.DateOfBirth.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), items.Sex);
        return TypedResults.Ok(new SignatureVerification(check.Valid, check.Reason, check.Serial, check.State?.Status, signedAt, holder));
    }

    private static async Task<Results<Ok<CurrentItems>, ProblemHttpResult>> ProvideCurrentItems(
        CurrentItemsRequest request, HttpRequest http, VerifierRegistry verifiers, CertificateValidator validator, Registry.RegistryClient registry, CancellationToken ct)
    {
        var verifier = await verifiers.FromRequestAsync(http);
        if (verifier is null) return Unregistered(http.HttpContext);
        if (!verifier.Approved || !verifier.Signing)
            return Problems.Result(403, "verifier-not-approved", "署名検証者として認定されていません / Not an approved signing verifier",
                "所持者の最新の基本4情報を受け取れるのは、認定された署名検証者だけです / Only approved signing verifiers receive the holder's current items.");
        var certificate = validator.Parse(request.Certificate);
        if (certificate is null)
            return Problems.Invalid(new Dictionary<string, string[]>
            {
                ["certificate"] = Unreadable(request.Certificate, "署名用電子証明書", "the signing certificate", "PEMまたはbase64の証明書", "a certificate in PEM or base64"),
            });
        var check = await validator.CheckAsync(certificate, CertificateKind.Signing);
        // Only a revocation caused by a change of the items (not a loss, a death, a new card) leads to the current items.
        if (check.Reason != "revoked" || check.State?.Reason != Certificates.RevocationReason.ItemsChanged || check.State.ResidentId is null)
            return TypedResults.Ok(new CurrentItems(false, check.Valid ? "not-revoked" : check.Reason == "revoked" ? "not-revoked-for-a-change" : check.Reason, null));
        var (identity, refusal) = await registry.ResidentAsync(check.State.ResidentId, ct);
        if (identity is null)
            return refusal!.Status >= 500
                ? Problems.Result(502, "registry-unavailable", "住基に照会できません / The Registry did not answer")
                : TypedResults.Ok(new CurrentItems(false, "holder-unknown", null));
        if (identity.Status != "resident") return TypedResults.Ok(new CurrentItems(false, "holder-not-resident", null));
        return TypedResults.Ok(new CurrentItems(true, null,
            new HolderView($"{identity.FamilyName} {identity.GivenName}", identity.Address, identity.DateOfBirth, identity.Sex)));
    }

    private static async Task<Results<Ok<AuthenticationVerification>, ProblemHttpResult>> VerifyAuthentication(
        AuthenticationRequest request, HttpRequest http, VerifierRegistry verifiers, CertificateValidator validator)
    {
        var verifier = await verifiers.FromRequestAsync(http);
        if (verifier is null) return Unregistered(http.HttpContext);
        if (!verifier.Approved || !verifier.Authentication)
            return Problems.Result(403, "verifier-not-approved", "利用者証明検証者として認定されていません / Not an approved authentication verifier",
                "利用者証明用電子証明書を検証できるのは、認定された利用者証明検証者だけです / " +
                "Only approved user-authentication verifiers may check authentication certificates.");
        var errors = new Dictionary<string, string[]>();
        var challenge = Base64(request.Challenge);
        if (challenge is null || challenge.Length is < 16 or > 1024) errors["challenge"] = ["チャレンジは16〜1024バイトのbase64です / challenge is 16 to 1024 bytes, base64"];
        var signature = Base64(request.Signature);
        if (signature is null) errors["signature"] = Unreadable(request.Signature, "署名", "signature", "base64", "base64");
        var certificate = validator.Parse(request.Certificate);
        if (certificate is null)
            errors["certificate"] = Unreadable(request.Certificate, "利用者証明用電子証明書", "the authentication certificate", "PEMまたはbase64の証明書", "a certificate in PEM or base64");
        if (errors.Count > 0 || certificate is null) return Problems.Invalid(errors);

        if (certificate.Key is null || !certificate.Key.VerifyData(challenge!, signature!, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            return TypedResults.Ok(new AuthenticationVerification(false, "signature-mismatch", certificate.Serial, null, null));
        var check = await validator.CheckAsync(certificate, CertificateKind.Authentication);
        return TypedResults.Ok(new AuthenticationVerification(check.Valid, check.Reason, check.Serial, check.State?.Status,
            check.Valid ? verifiers.Pseudonym(verifier, check.State!.ResidentId!) : null));
    }

    private static ProblemHttpResult Unregistered(HttpContext context)
    {
        BearerChallenge.Add(context);
        return Problems.Result(401, "unregistered-verifier", "登録された検証者ではありません / Not a registered verifier",
            "検証者の登録時に返されたトークンを「Authorization: Bearer <verifier token>」で送ってください / " +
            "Send 'Authorization: Bearer <verifier token>' as returned when the verifier was registered.");
    }

    internal static byte[]? Base64(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try { return Convert.FromBase64String(text.Trim()); }
        catch (FormatException) { return null; }
    }

    internal static byte[]? Pem(string? text, string label)
    {
        if (text is null || !text.Contains($"-----BEGIN {label}-----", StringComparison.Ordinal)) return null;
        return PemEncoding.TryFind(text, out var fields) && text[fields.Label] == label ? Base64(text[fields.Base64Data]) : null;
    }

    /// <summary>SHA-256, SHA-384, SHA-512: nothing weaker than what the card uses.</summary>
    private static readonly HashSet<string?> StrongDigests = ["2.16.840.1.101.3.4.2.1", "2.16.840.1.101.3.4.2.2", "2.16.840.1.101.3.4.2.3"];

    /// <summary>RSA PKCS#1 v1.5, as the card signs: rsaEncryption and sha256/384/512WithRSAEncryption.</summary>
    private static readonly HashSet<string?> RsaPkcs1Signatures = ["1.2.840.113549.1.1.1", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13"];
}
