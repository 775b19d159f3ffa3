using System.Net;
using System.Net.Http.Json;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Asn1.Oiw;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Ocsp;
using Org.BouncyCastle.X509;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Revocation;
using Renkei.Pki.Verifiers;
using Renkei.Testing;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Renkei.Pki.Tests;

/// <summary>What the responder and the CRLs keep between requests: right across processes, bounded, built once.</summary>
public sealed class OcspCrlCacheTests
{
    private static bool Lists(byte[] crl, X509Certificate2 certificate) =>
        new X509CrlParser().ReadCrl(crl).IsRevoked(new BcCertificate(certificate.RawData));

    private static BigInteger CrlNumber(byte[] crl)
    {
        CertificateRevocationListBuilder.Load(crl, out var number);
        return number;
    }

    private static async Task<string?> LoginAsync(HttpClient verifier, Cards.IndividualNumberCard card)
    {
        var challenge = RandomNumberGenerator.GetBytes(32);
        var response = await verifier.PostAsJsonAsync("api/verify/authentication", new AuthenticationRequest(Convert.ToBase64String(challenge),
            Convert.ToBase64String(card.Authenticate("1234", challenge).Signature!), card.AuthenticationCertificate.ExportCertificatePem()), ServiceDefaults.Json);
        var answer = (await response.Content.ReadFromJsonAsync<AuthenticationVerification>(ServiceDefaults.Json))!;
        return answer.Valid ? "valid" : answer.Reason;
    }

    [Theory, StorageData]
    public async Task A_revocation_made_by_one_pki_process_is_seen_by_another_on_the_same_database(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var (other, anonymous) = await sandbox.StartAnotherPkiAsync();
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var ca = IssuanceTests.Ca(sandbox, CertificateKind.Authentication);
        var (_, registered) = await sandbox.RegisterVerifierAsync();
        var verifier = PkiSandbox.Client(other.BaseAddress(), registered.Token);
        var plain = Ocsp.Request(card.AuthenticationCertificate, ca);

        // The other process answers, and keeps: the status, the pre-produced OCSP answer, the CRL.
        Assert.Equal("good", Ocsp.StatusOf((await Ocsp.PostAsync(anonymous, Ocsp.Request(card.AuthenticationCertificate, ca, RandomNumberGenerator.GetBytes(16)), ca)).Basic));
        Assert.Equal("good", Ocsp.StatusOf((await Ocsp.PostAsync(anonymous, plain, ca)).Basic));
        Assert.Equal("valid", await LoginAsync(verifier, card));
        var crlBefore = await anonymous.GetByteArrayAsync("crl/authentication.crl");
        Assert.False(Lists(crlBefore, card.AuthenticationCertificate));

        Assert.Equal(HttpStatusCode.OK, (await sandbox.PkiAdmin.PostAsync($"api/cards/{card.CardId}/loss", null)).StatusCode);

        // A nonce asks for the status as of now: the other process reads it at once.
        var (_, fresh) = await Ocsp.PostAsync(anonymous, Ocsp.Request(card.AuthenticationCertificate, ca, RandomNumberGenerator.GetBytes(16)), ca);
        Assert.Equal("revoked", Ocsp.StatusOf(fresh));
        // What it keeps follows within Pki:RevocationCheckSeconds (2), well before the 600 s of an OCSP answer or the 12 h of a CRL.
        await PkiSandbox.EventuallyAsync(async () => Ocsp.StatusOf((await Ocsp.PostAsync(anonymous, plain, ca)).Basic) == "revoked",
            "the other process's pre-produced answer says revoked");
        await PkiSandbox.EventuallyAsync(async () => await LoginAsync(verifier, card) == "revoked", "the other process's verifier refuses the lost card");
        var crlAfter = crlBefore;
        await PkiSandbox.EventuallyAsync(async () => Lists(crlAfter = await anonymous.GetByteArrayAsync("crl/authentication.crl"), card.AuthenticationCertificate),
            "the other process's CRL lists the lost card");
        Assert.True(CrlNumber(crlAfter) > CrlNumber(crlBefore));
        // Both processes number the CRL that lists it above the one that does not.
        var crlHere = await sandbox.Anonymous.GetByteArrayAsync("crl/authentication.crl");
        Assert.True(Lists(crlHere, card.AuthenticationCertificate));
        Assert.True(CrlNumber(crlHere) > CrlNumber(crlBefore));
    }

    [Theory, StorageData]
    public async Task Anonymous_ocsp_requests_cannot_grow_what_the_responder_remembers_past_its_cached_answers(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var ca = new BcCertificate(IssuanceTests.Ca(sandbox, CertificateKind.Signing).RawData);
        var serial = new Org.BouncyCastle.Math.BigInteger(card.SigningCertificate.SerialNumber, 16);
        var revocation = sandbox.Pki.Services.GetRequiredService<RevocationService>();
        // Six CertID encodings of one certificate, more than the four answers kept for it.
        AlgorithmIdentifier[] hashes =
        [
            CertificateID.DigestSha1, new(OiwObjectIdentifiers.IdSha1), Ocsp.Sha256, new(NistObjectIdentifiers.IdSha256),
            new(NistObjectIdentifiers.IdSha384, DerNull.Instance), new(NistObjectIdentifiers.IdSha512, DerNull.Instance),
        ];

        async Task AskAsync(AlgorithmIdentifier hash, string? requestor)
        {
            var generator = new OcspReqGenerator();
            generator.AddRequest(new CertificateID(hash, ca, serial));
            if (requestor is not null) generator.SetRequestorName(new GeneralName(new X509Name("CN=" + requestor)));
            var answer = new OcspResp(await revocation.RespondAsync(generator.Generate().GetEncoded()));
            Assert.Equal(OcspRespStatus.Successful, answer.Status);
            Assert.Equal("good", Ocsp.StatusOf((BasicOcspResp)answer.GetResponseObject()));
        }

        // Each request differs (a requestorName of the asker's choosing) and, rotating the hashes, misses the answers kept.
        for (var i = 0; i < 120; i++) await AskAsync(hashes[i % hashes.Length], Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        Assert.Equal(0, revocation.IndexedRequests);
        // Plain requests are remembered, but no more of them than the answers kept for the certificate.
        for (var i = 0; i < 24; i++) await AskAsync(hashes[i % hashes.Length], null);
        Assert.InRange(revocation.IndexedRequests, 1, 4);
        // And they go with those answers when the certificate is revoked.
        Assert.Equal(HttpStatusCode.OK, (await sandbox.PkiAdmin.PostAsync($"api/cards/{card.CardId}/loss", null)).StatusCode);
        Assert.Equal(0, revocation.IndexedRequests);
    }

    [Theory, StorageData]
    public async Task A_crl_is_built_once_for_requests_at_the_same_time_and_a_crl_listing_more_has_the_higher_number(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var revocation = sandbox.Pki.Services.GetRequiredService<RevocationService>();
        var resident = await sandbox.RegisterResidentAsync();
        var first = await sandbox.IssueCardAsync(resident);
        var second = await sandbox.IssueCardAsync(await sandbox.RegisterResidentAsync());
        Assert.Equal(HttpStatusCode.OK, (await sandbox.PkiAdmin.PostAsync($"api/cards/{first.CardId}/loss", null)).StatusCode);

        // Twenty requests after a revocation: one build, the same CRL for all.
        var built = revocation.CrlsBuilt;
        var crls = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => sandbox.Anonymous.GetByteArrayAsync("crl/signing.crl")));
        Assert.Equal(built + 1, revocation.CrlsBuilt);
        Assert.All(crls, crl => Assert.Equal(crls[0], crl));
        Assert.True(Lists(crls[0], first.SigningCertificate));

        // The next revocation lists one more; its CRL's number is higher even when this host's clock went back meanwhile.
        Assert.Equal(HttpStatusCode.OK, (await sandbox.PkiAdmin.PostAsync($"api/cards/{second.CardId}/loss", null)).StatusCode);
        sandbox.Clock.Fixed = DateTimeOffset.UtcNow.AddHours(-1);
        var later = await sandbox.Anonymous.GetByteArrayAsync("crl/signing.crl");
        Assert.True(Lists(later, second.SigningCertificate) && Lists(later, first.SigningCertificate));
        Assert.True(CrlNumber(later) > CrlNumber(crls[0]), $"{CrlNumber(later)} > {CrlNumber(crls[0])}");
    }

    [Theory, StorageData]
    public async Task A_failed_first_counter_read_does_not_keep_a_stale_crl(StorageProvider provider)
    {
        // Audit O, O4: the first read of the revocation counter fails (a database hiccup, made here by taking its table away
        // for a moment); what the process caches meanwhile must not outlive a revocation once the counter can be read again.
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var card = await sandbox.IssueCardAsync(await sandbox.RegisterResidentAsync());
        var ca = IssuanceTests.Ca(sandbox, CertificateKind.Authentication);
        var (other, anonymous) = await sandbox.StartAnotherPkiAsync();
        var database = other.Services.GetRequiredService<Database>();
        await using (var c = await database.OpenAsync())
            await c.ExecuteAsync("ALTER TABLE revocation_counter RENAME TO revocation_counter_away");
        // An empty OCSP request: the counter is read first and fails; the answer itself needs no database.
        Assert.Equal(OcspRespStatus.MalformedRequest, new OcspResp(await other.Services.GetRequiredService<RevocationService>().RespondAsync([])).Status);
        await using (var c = await database.OpenAsync())
            await c.ExecuteAsync("ALTER TABLE revocation_counter_away RENAME TO revocation_counter");

        // Before the next read is due, the other process builds a CRL and an OCSP answer, and keeps them.
        var plain = Ocsp.Request(card.AuthenticationCertificate, ca);
        Assert.False(Lists(await anonymous.GetByteArrayAsync("crl/authentication.crl"), card.AuthenticationCertificate));
        Assert.Equal("good", Ocsp.StatusOf((await Ocsp.PostAsync(anonymous, plain, ca)).Basic));

        Assert.Equal(HttpStatusCode.OK, (await sandbox.PkiAdmin.PostAsync($"api/cards/{card.CardId}/loss", null)).StatusCode);
        // Past Pki:RevocationCheckSeconds (2) the counter is read, for the first time successfully: nothing kept before stands.
        sandbox.Clock.Fixed = DateTimeOffset.UtcNow.AddSeconds(5);
        Assert.True(Lists(await anonymous.GetByteArrayAsync("crl/authentication.crl"), card.AuthenticationCertificate), "the CRL lists the lost card");
        Assert.Equal("revoked", Ocsp.StatusOf((await Ocsp.PostAsync(anonymous, plain, ca)).Basic));
    }
}
