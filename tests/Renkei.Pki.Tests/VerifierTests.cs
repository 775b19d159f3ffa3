using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Verifiers;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

public sealed class VerifierTests
{
    private static readonly byte[] Document = Encoding.UTF8.GetBytes("確定申告書 令和8年分 / tax return 2026");

    private static async Task<SignatureVerification> VerifySignatureAsync(HttpClient verifier, byte[] document, byte[] cms)
    {
        var response = await verifier.PostAsJsonAsync("api/verify/signature",
            new SignatureVerificationRequest(Convert.ToBase64String(document), Convert.ToBase64String(cms)), ServiceDefaults.Json);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<SignatureVerification>(ServiceDefaults.Json))!;
    }

    private static async Task<HttpResponseMessage> AuthenticateAsync(HttpClient verifier, byte[] challenge, byte[] signature, string certificatePem) =>
        await verifier.PostAsJsonAsync("api/verify/authentication",
            new AuthenticationRequest(Convert.ToBase64String(challenge), Convert.ToBase64String(signature), certificatePem), ServiceDefaults.Json);

    [Theory, StorageData]
    public async Task An_approved_verifier_gets_the_items_and_an_unapproved_one_only_the_answer(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var cms = card.Sign("ABC123", Document).Cms!;

        var (approved, _) = await sandbox.RegisterVerifierAsync("government");
        var valid = await VerifySignatureAsync(approved, Document, cms);
        Assert.True(valid.Valid, valid.Reason);
        Assert.Equal("good", valid.Status);
        Assert.Equal($"{resident.FamilyName} {resident.GivenName}", valid.Holder!.Name);
        Assert.Equal(resident.DateOfBirth, valid.Holder.DateOfBirth);
        Assert.NotNull(valid.SignedAt);

        var (unapproved, _) = await sandbox.RegisterVerifierAsync("private", approved: false);
        var bare = await VerifySignatureAsync(unapproved, Document, cms);
        Assert.True(bare.Valid);
        Assert.Null(bare.Holder);
        var raw = await (await unapproved.PostAsJsonAsync("api/verify/signature",
            new SignatureVerificationRequest(Convert.ToBase64String(Document), Convert.ToBase64String(cms)), ServiceDefaults.Json)).Content.ReadAsStringAsync();
        Assert.DoesNotContain(resident.GivenName, raw);

        // A field given but not base64 is said to be unreadable; one left out, to be required.
        var unreadable = await ProblemAssert.IsProblemAsync(await unapproved.PostAsJsonAsync("api/verify/signature",
            new { document = "!!", signature = "" }, ServiceDefaults.Json), 400, "invalid-request");
        Assert.Equal("文書を読めません（base64ではありません） / document cannot be read: it is not base64",
            unreadable.GetProperty("errors").GetProperty("document")[0].GetString());
        Assert.StartsWith("署名（CMS）が必要です", unreadable.GetProperty("errors").GetProperty("signature")[0].GetString());

        var unregistered = PkiSandbox.Client(sandbox.Pki.BaseAddress(), "no-such-verifier");
        var refused = await unregistered.PostAsJsonAsync("api/verify/signature", new SignatureVerificationRequest(Convert.ToBase64String(Document), Convert.ToBase64String(cms)));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await sandbox.Anonymous.PostAsJsonAsync("api/verify/signature", new SignatureVerificationRequest("", ""))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await AuthenticateAsync(unapproved, new byte[32], new byte[256], card.AuthenticationCertificate.ExportCertificatePem())).StatusCode);
    }

    [Theory, StorageData]
    public async Task A_changed_document_a_revoked_certificate_and_a_foreign_signer_are_refused(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var cms = card.Sign("ABC123", Document).Cms!;
        var (verifier, _) = await sandbox.RegisterVerifierAsync();

        var changed = (byte[])Document.Clone();
        changed[^1] ^= 1;
        var mismatch = await VerifySignatureAsync(verifier, changed, cms);
        Assert.False(mismatch.Valid);
        Assert.Equal("signature-mismatch", mismatch.Reason);
        Assert.Null(mismatch.Holder);

        // A look-alike signer: same issuer name as our signing CA, another key.
        using var foreign = ForeignCa.Create(IssuanceTests.Ca(sandbox, CertificateKind.Signing), Renkei.Pki.Certificates.CertificateProfile.SigningPolicy);
        using var signerCert = foreign.Leaf.CopyWithPrivateKey(foreign.LeafKey);
        var forged = new SignedCms(new ContentInfo(Document), detached: true);
        forged.ComputeSignature(new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, signerCert) { IncludeOption = X509IncludeOption.EndCertOnly });
        var wrongCa = await VerifySignatureAsync(verifier, Document, forged.Encode());
        Assert.False(wrongCa.Valid);
        Assert.Equal("untrusted-issuer", wrongCa.Reason);

        var bad = await verifier.PostAsJsonAsync("api/verify/signature", new SignatureVerificationRequest(Convert.ToBase64String(Document), "bm90IGNtcw=="), ServiceDefaults.Json);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("malformed-signature", await bad.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await verifier.PostAsJsonAsync("api/verify/signature", new SignatureVerificationRequest("***", "***"), ServiceDefaults.Json)).StatusCode);

        await sandbox.RecordAsync(new { kind = "address-change", residentId = resident.ResidentId, address = "千葉県千葉市美浜区打瀬1-1-1" });
        await PkiSandbox.EventuallyAsync(async () => (await VerifySignatureAsync(verifier, Document, cms)).Reason == "revoked", "the signature's certificate is revoked");
        var revoked = await VerifySignatureAsync(verifier, Document, cms);
        Assert.False(revoked.Valid);
        Assert.Null(revoked.Holder);
    }

    [Theory, StorageData]
    public async Task After_an_address_change_an_approved_verifier_gets_the_current_items_and_others_do_not(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var lost = await sandbox.IssueCardAsync(await sandbox.RegisterResidentAsync());
        var pem = card.SigningCertificate.ExportCertificatePem();
        var (approved, _) = await sandbox.RegisterVerifierAsync("private");
        var (unapproved, _) = await sandbox.RegisterVerifierAsync("private", approved: false);
        async Task<CurrentItems> Ask(HttpClient verifier, string certificate)
        {
            var response = await verifier.PostAsJsonAsync("api/verify/current-items", new CurrentItemsRequest(certificate), ServiceDefaults.Json);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<CurrentItems>(ServiceDefaults.Json))!;
        }

        Assert.Equal((false, "not-revoked"), ((await Ask(approved, pem)).Provided, (await Ask(approved, pem)).Reason));
        await sandbox.RecordAsync(new { kind = "address-change", residentId = resident.ResidentId, address = "千葉県千葉市稲毛区穴川2-2-2" });
        await PkiSandbox.EventuallyAsync(async () => (await Ask(approved, pem)).Provided, "the current items are provided");
        var current = await Ask(approved, pem);
        Assert.Equal("千葉県千葉市稲毛区穴川2-2-2", current.Holder!.Address);
        Assert.Equal($"{resident.FamilyName} {resident.GivenName}", current.Holder.Name);

        var refused = await unapproved.PostAsJsonAsync("api/verify/current-items", new CurrentItemsRequest(pem), ServiceDefaults.Json);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.DoesNotContain("穴川", await refused.Content.ReadAsStringAsync());

        // A loss is not a change of items: nothing is provided.
        await sandbox.PkiAdmin.PostAsync($"api/cards/{lost.CardId}/loss", null);
        Assert.Equal((false, "not-revoked-for-a-change"), ((await Ask(approved, lost.SigningCertificate.ExportCertificatePem())).Provided,
            (await Ask(approved, lost.SigningCertificate.ExportCertificatePem())).Reason));
        Assert.Equal(HttpStatusCode.BadRequest, (await approved.PostAsJsonAsync("api/verify/current-items", new CurrentItemsRequest("junk"), ServiceDefaults.Json)).StatusCode);
    }

    [Theory, StorageData]
    public async Task Expired_and_not_yet_valid_certificates_are_refused(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var (verifier, _) = await sandbox.RegisterVerifierAsync();
        var now = DateTimeOffset.UtcNow;

        // Issued a year ahead: not yet valid today.
        sandbox.Clock.Fixed = now.AddYears(1);
        var future = await sandbox.IssueCardAsync(resident);
        sandbox.Clock.Fixed = null;
        var early = await VerifySignatureAsync(verifier, Document, future.Sign("ABC123", Document).Cms!);
        Assert.Equal((false, "not-yet-valid"), (early.Valid, early.Reason));
        var futureChallenge = RandomNumberGenerator.GetBytes(32);
        var earlyLogin = await AuthenticateAsync(verifier, futureChallenge, future.Authenticate("1234", futureChallenge).Signature!, future.AuthenticationCertificate.ExportCertificatePem());
        var earlyAnswer = (await earlyLogin.Content.ReadFromJsonAsync<AuthenticationVerification>(ServiceDefaults.Json))!;
        Assert.Equal((false, "not-yet-valid", null), (earlyAnswer.Valid, earlyAnswer.Reason, earlyAnswer.Subject));

        // Six years on, past the fifth birthday after issue: expired.
        var current = await sandbox.IssueCardAsync(resident);
        var cms = current.Sign("ABC123", Document).Cms!;
        sandbox.Clock.Fixed = now.AddYears(6);
        var late = await VerifySignatureAsync(verifier, Document, cms);
        Assert.Equal((false, "expired"), (late.Valid, late.Reason));
        var challenge = RandomNumberGenerator.GetBytes(32);
        var auth = await AuthenticateAsync(verifier, challenge, current.Authenticate("1234", challenge).Signature!, current.AuthenticationCertificate.ExportCertificatePem());
        Assert.Equal("expired", (await auth.Content.ReadFromJsonAsync<AuthenticationVerification>(ServiceDefaults.Json))!.Reason);
    }

    [Theory, StorageData]
    public async Task Authentication_gives_a_stable_subject_per_verifier_and_no_personal_items(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var (first, _) = await sandbox.RegisterVerifierAsync();
        var (second, _) = await sandbox.RegisterVerifierAsync("government");
        var pem = card.AuthenticationCertificate.ExportCertificatePem();

        async Task<AuthenticationVerification> Login(HttpClient verifier, string? certificate = null)
        {
            var challenge = RandomNumberGenerator.GetBytes(32);
            var response = await AuthenticateAsync(verifier, challenge, card.Authenticate("1234", challenge).Signature!, certificate ?? pem);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.DoesNotContain(resident.GivenName, body);
            Assert.DoesNotContain(resident.IndividualNumber, body);
            return System.Text.Json.JsonSerializer.Deserialize<AuthenticationVerification>(body, ServiceDefaults.Json)!;
        }

        var a1 = await Login(first);
        var a2 = await Login(first);
        var b = await Login(second);
        Assert.True(a1.Valid, a1.Reason);
        Assert.Equal(a1.Subject, a2.Subject);
        Assert.NotEqual(a1.Subject, b.Subject);

        // A renewed card keeps the subject; a signature by another key does not pass.
        var renewed = await sandbox.IssueCardAsync(resident);
        var challenge = RandomNumberGenerator.GetBytes(32);
        var again = await AuthenticateAsync(first, challenge, renewed.Authenticate("1234", challenge).Signature!, renewed.AuthenticationCertificate.ExportCertificatePem());
        Assert.Equal(a1.Subject, (await again.Content.ReadFromJsonAsync<AuthenticationVerification>(ServiceDefaults.Json))!.Subject);
        var old = await Login(first);
        Assert.Equal((false, "revoked"), (old.Valid, old.Reason));

        var wrongKey = await AuthenticateAsync(first, challenge, card.Sign("ABC123", challenge).Cms![..256], renewed.AuthenticationCertificate.ExportCertificatePem());
        Assert.Equal("signature-mismatch", (await wrongKey.Content.ReadFromJsonAsync<AuthenticationVerification>(ServiceDefaults.Json))!.Reason);

        // The signing certificate is not an authentication certificate; a foreign CA's is not ours.
        var signingAsAuth = await Login(first, card.SigningCertificate.ExportCertificatePem());
        Assert.False(signingAsAuth.Valid);
        using var foreign = ForeignCa.Create(IssuanceTests.Ca(sandbox, CertificateKind.Authentication));
        var foreignChallenge = RandomNumberGenerator.GetBytes(32);
        var forged = await AuthenticateAsync(first, foreignChallenge,
            foreign.LeafKey.SignData(foreignChallenge, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), foreign.Leaf.ExportCertificatePem());
        Assert.Equal("untrusted-issuer", (await forged.Content.ReadFromJsonAsync<AuthenticationVerification>(ServiceDefaults.Json))!.Reason);
        Assert.Equal(HttpStatusCode.BadRequest, (await AuthenticateAsync(first, new byte[4], new byte[4], "junk")).StatusCode);
    }

    [Fact]
    public async Task Foreign_certificates_are_not_kept_however_many_or_large_and_ours_is_kept_once()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var (verifier, _) = await sandbox.RegisterVerifierAsync();
        var validator = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<CertificateValidator>(sandbox.Pki.Services);

        // Self-signed certificates under our CA's name, each its own (a new serial), sent with junk after the PEM; one of them
        // carries a megabyte. They used to be kept whole, keyed by the whole text, up to 100,000 of them.
        using var key = RSA.Create(2048);
        var ca = IssuanceTests.Ca(sandbox, CertificateKind.Authentication);
        for (var i = 0; i < 40; i++)
        {
            var request = new CertificateRequest(ca.SubjectName, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            if (i == 0) request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.99999.1", new byte[1_000_000], false));
            using var foreign = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            var challenge = RandomNumberGenerator.GetBytes(32);
            var response = await AuthenticateAsync(verifier, challenge, key.SignData(challenge, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
                foreign.ExportCertificatePem() + $"\njunk {i}\n");
            Assert.Equal("untrusted-issuer", (await response.Content.ReadFromJsonAsync<AuthenticationVerification>(ServiceDefaults.Json))!.Reason);
        }
        Assert.Equal(0, validator.CachedCount);

        // Ours is kept once, however it is wrapped.
        foreach (var wrapping in new[] { "", "\n", "\ntrailing text\n" })
        {
            var challenge = RandomNumberGenerator.GetBytes(32);
            var response = await AuthenticateAsync(verifier, challenge, card.Authenticate("1234", challenge).Signature!,
                card.AuthenticationCertificate.ExportCertificatePem() + wrapping);
            Assert.True((await response.Content.ReadFromJsonAsync<AuthenticationVerification>(ServiceDefaults.Json))!.Valid);
        }
        Assert.Equal(1, validator.CachedCount);
    }

    [Theory, StorageData]
    public async Task A_signature_with_a_digest_weaker_than_sha256_or_another_signature_scheme_is_refused(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var (verifier, _) = await sandbox.RegisterVerifierAsync();
        // The card's own key (the sandbox's first card has the pool's first pair), signing as the card does not: the certificate is good.
        using var keys = PkiSandbox.CardKeys();
        using var signer = card.SigningCertificate.CopyWithPrivateKey(keys.Signing);
        byte[] Sign(string digest, RSASignaturePadding padding, bool attributes)
        {
            var cms = new SignedCms(new ContentInfo(Document), detached: true);
            var info = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, signer, keys.Signing, padding)
            {
                DigestAlgorithm = new Oid(digest),
                IncludeOption = X509IncludeOption.EndCertOnly,
            };
            if (attributes) info.SignedAttributes.Add(new Pkcs9SigningTime(DateTime.UtcNow));
            cms.ComputeSignature(info, silent: true);
            return cms.Encode();
        }

        // As `openssl cms -sign -binary -noattr -md sha1` makes it, and with signed attributes; both used to be valid.
        foreach (var attributes in new[] { false, true })
        {
            var sha1 = await VerifySignatureAsync(verifier, Document, Sign("1.3.14.3.2.26", RSASignaturePadding.Pkcs1, attributes));
            Assert.Equal((false, "weak-digest-algorithm", null), (sha1.Valid, sha1.Reason, sha1.Holder));
        }
        var pss = await VerifySignatureAsync(verifier, Document, Sign("2.16.840.1.101.3.4.2.1", RSASignaturePadding.Pss, attributes: true));
        Assert.Equal((false, "unsupported-signature-algorithm"), (pss.Valid, pss.Reason));
        // SHA-256 with PKCS#1 v1.5, as the card signs, with or without signed attributes, passes.
        var good = await VerifySignatureAsync(verifier, Document, Sign("2.16.840.1.101.3.4.2.1", RSASignaturePadding.Pkcs1, attributes: false));
        Assert.True(good.Valid, good.Reason);
        Assert.True((await VerifySignatureAsync(verifier, Document, card.Sign("ABC123", Document).Cms!)).Valid);
    }
}
