using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Cards;
using Renkei.Pki.Certificates;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

public sealed class IssuanceTests
{
    [Theory, StorageData]
    public async Task Signing_certificate_carries_the_basic_four_and_authentication_certificate_none(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync("1990-01-02");
        var card = await sandbox.IssueCardAsync(resident);

        var signing = card.SigningCertificate;
        var items = CertificateProfile.ReadItems(signing);
        Assert.NotNull(items);
        Assert.Equal($"{resident.FamilyName} {resident.GivenName}", items.Name);
        Assert.Equal(new DateOnly(1990, 1, 2), items.DateOfBirth);
        Assert.Equal("male", items.Sex);
        Assert.StartsWith("千葉県千葉市中央区中央", items.Address);
        Assert.DoesNotContain(resident.GivenName, signing.Subject);
        Assert.Contains(CertificateProfile.SigningPolicy, CertificateProfile.PoliciesOf(signing));
        // The date of birth as the profile writes it: era digit (4 = Heisei) and yyyyMMdd.
        Assert.Equal("419900102", CertificateProfile.EncodeDateOfBirth(new DateOnly(1990, 1, 2)));

        var authentication = card.AuthenticationCertificate;
        Assert.Null(CertificateProfile.ReadItems(authentication));
        Assert.Null(authentication.Extensions["2.5.29.17"]);
        Assert.Contains(CertificateProfile.AuthenticationPolicy, CertificateProfile.PoliciesOf(authentication));
        Assert.DoesNotContain(resident.FamilyName, authentication.Subject);

        foreach (var certificate in new[] { signing, authentication })
        {
            var (notAfter, _) = CertificateProfile.Validity(new DateOnly(1990, 1, 2), DateTimeOffset.UtcNow);
            Assert.Equal(notAfter.UtcDateTime, certificate.NotAfter.ToUniversalTime(), TimeSpan.FromSeconds(1));
            var aia = certificate.Extensions.OfType<X509AuthorityInformationAccessExtension>().Single();
            Assert.Equal(new Uri(sandbox.Pki.BaseAddress(), "ocsp").ToString(), aia.EnumerateOcspUris().Single());
            Assert.Contains("/crl/", certificate.Extensions["2.5.29.31"]!.Format(false));
        }
        Assert.Equal("good", await Ocsp.StatusAsync(sandbox.Anonymous, signing, Ca(sandbox, CertificateKind.Signing)));
        Assert.Equal("good", await Ocsp.StatusAsync(sandbox.Anonymous, authentication, Ca(sandbox, CertificateKind.Authentication)));
    }

    [Fact]
    public void Validity_runs_to_the_fifth_birthday_after_issue_and_a_minors_card_to_the_fifth()
    {
        var issued = new DateTimeOffset(2026, 11, 23, 3, 0, 0, TimeSpan.Zero);
        var (adult, adultCard) = CertificateProfile.Validity(new DateOnly(1990, 1, 2), issued);
        Assert.Equal(new DateOnly(2036, 1, 2), adultCard);
        // The close of 2031-01-02 in Japan is 14:59:59 UTC that day.
        Assert.Equal(new DateTimeOffset(2031, 1, 2, 14, 59, 59, TimeSpan.Zero), adult);
        var (minor, minorCard) = CertificateProfile.Validity(new DateOnly(2015, 6, 1), issued);
        Assert.Equal(new DateOnly(2031, 6, 1), minorCard);
        Assert.Equal(new DateTimeOffset(2031, 6, 1, 14, 59, 59, TimeSpan.Zero), minor);
        // A birthday on the issue day counts from the next one.
        var (sameDay, _) = CertificateProfile.Validity(new DateOnly(1980, 11, 23), issued);
        Assert.Equal(new DateTimeOffset(2031, 11, 23, 14, 59, 59, TimeSpan.Zero), sameDay);
    }

    [Fact]
    public void A_signing_certificate_is_for_a_holder_of_fifteen_or_more_on_the_day_of_issue_in_japan()
    {
        // 2026-11-22 15:00 UTC is already 2026-11-23 in Japan.
        var issued = new DateTimeOffset(2026, 11, 22, 15, 0, 0, TimeSpan.Zero);
        Assert.True(CertificateProfile.CarriesSigning(new DateOnly(2011, 11, 23), issued));
        Assert.False(CertificateProfile.CarriesSigning(new DateOnly(2011, 11, 24), issued));
        Assert.False(CertificateProfile.CarriesSigning(new DateOnly(2011, 11, 23), issued.AddHours(-1)));
        Assert.False(CertificateProfile.CarriesSigning(new DateOnly(2026, 11, 23), issued));
        Assert.True(CertificateProfile.CarriesSigning(new DateOnly(1990, 1, 2), issued));
    }

    [Fact]
    public void A_holder_born_on_29_february_is_fifteen_from_1_march_in_a_common_year()
    {
        // Audit O: AddYears(15) gave 28 February, so a card issued that day carried a signing certificate a day early.
        var born = new DateOnly(2012, 2, 29);
        Assert.False(CertificateProfile.CarriesSigning(born, new DateTimeOffset(2027, 2, 28, 12, 0, 0, TimeSpan.FromHours(9))));
        Assert.True(CertificateProfile.CarriesSigning(born, new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.FromHours(9))));
        Assert.Equal(new DateOnly(2027, 3, 1), CertificateProfile.AgeReachedOn(born, 15));
        // In a leap year the birthday itself; a 1 March birth is 15 on 1 March in either kind of year.
        Assert.Equal(new DateOnly(2024, 2, 29), CertificateProfile.AgeReachedOn(new DateOnly(2008, 2, 29), 16));
        Assert.Equal(new DateOnly(2016, 3, 1), CertificateProfile.AgeReachedOn(new DateOnly(2001, 3, 1), 15));
        Assert.Equal(new DateOnly(2026, 3, 1), CertificateProfile.AgeReachedOn(new DateOnly(2011, 3, 1), 15));
    }

    [Fact]
    public void A_card_is_a_minors_when_the_holder_is_under_eighteen_on_the_issue_day_by_the_age_act()
    {
        // Audit Z #1: AddYears(18) gave 28 February for a 29 February birth, so that day's card was an adult's to 2036-02-29.
        var born = new DateOnly(2008, 2, 29);
        var (minor, minorCard) = CertificateProfile.Validity(born, new DateTimeOffset(2026, 2, 28, 10, 0, 0, JapanTime.Offset));
        Assert.Equal(new DateOnly(2031, 2, 28), minorCard);
        Assert.Equal(JapanTime.EndOfDay(new DateOnly(2031, 2, 28)), minor);
        // From 1 March the holder is 18: an adult's card to the tenth birthday after issue, certificates to the fifth.
        var (adult, adultCard) = CertificateProfile.Validity(born, new DateTimeOffset(2026, 3, 1, 0, 0, 0, JapanTime.Offset));
        Assert.Equal(new DateOnly(2036, 2, 29), adultCard);
        Assert.Equal(JapanTime.EndOfDay(new DateOnly(2031, 2, 28)), adult);

        // A plain birthday: 17 the day before it (a minor's card to the fifth birthday after, 2030), 18 on it (the tenth after, 2036).
        var plain = new DateOnly(2008, 5, 10);
        Assert.Equal(new DateOnly(2030, 5, 10), CertificateProfile.Validity(plain, new DateTimeOffset(2026, 5, 9, 23, 0, 0, JapanTime.Offset)).CardExpiresOn);
        Assert.Equal(new DateOnly(2036, 5, 10), CertificateProfile.Validity(plain, new DateTimeOffset(2026, 5, 10, 0, 0, 0, JapanTime.Offset)).CardExpiresOn);
        // Japan's date decides: 2026-05-09 15:00 UTC is already the birthday there.
        Assert.Equal(new DateOnly(2036, 5, 10), CertificateProfile.Validity(plain, new DateTimeOffset(2026, 5, 9, 15, 0, 0, TimeSpan.Zero)).CardExpiresOn);
    }

    [Theory, StorageData]
    public async Task A_holder_under_fifteen_is_issued_the_authentication_certificate_only_and_the_card_cannot_sign(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var today = JapanTime.Today(TimeProvider.System);
        // Fifteen the day after tomorrow: still under fifteen if a JST midnight passes before the PKI reckons the age.
        var child = await sandbox.RegisterResidentAsync(today.AddYears(-15).AddDays(2).ToString("yyyy-MM-dd"));

        var response = await sandbox.RequestCardAsync(child);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var issued = JsonSerializer.Deserialize<CardIssued>(body, ServiceDefaults.Json)!;
        Assert.Null(issued.SigningCertificate);
        Assert.Equal("15歳未満の方には署名用電子証明書を発行しません。利用者証明用電子証明書だけを発行しました / " +
            "No signing certificate is issued to a holder under 15: the card carries the user authentication certificate only.", issued.NoSigningCertificate);
        var stored = JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync($"api/cards/{issued.CardId}")).RootElement;
        Assert.Equal("active", stored.GetProperty("status").GetString());
        Assert.Equal("authentication", Assert.Single(stored.GetProperty("certificates").EnumerateArray()).GetProperty("kind").GetString());

        using var keys = PkiSandbox.CardKeys();
        var card = IndividualNumberCard.Create(Path.Combine(sandbox.Folder, "child.card"), keys, issued, child.IndividualNumber, sandbox.Pki.BaseAddress(), "1234", "ABC123", "1234");
        card = IndividualNumberCard.Open(card.Path); // the file as written reads back
        Assert.False(card.HasSigningCertificate);
        Assert.Equal(IndividualNumberCard.NoSigningCertificate, Assert.Throws<InvalidOperationException>(() => card.Sign("ABC123", [1, 2, 3])).Message);
        Assert.Equal(0, card.FailuresOf(CardPin.Signing));
        Assert.Equal("good", await Ocsp.StatusAsync(sandbox.Anonymous, card.AuthenticationCertificate, Ca(sandbox, CertificateKind.Authentication)));
        Assert.True(card.Authenticate("1234", new byte[32]).Check.Accepted);

        // Fifteen today: the card carries a signing certificate.
        var teen = await sandbox.RegisterResidentAsync(today.AddYears(-15).ToString("yyyy-MM-dd"));
        Assert.True((await sandbox.IssueCardAsync(teen)).HasSigningCertificate);
    }

    [Theory, StorageData]
    public async Task Bad_requests_are_refused_with_their_type_and_nothing_is_issued(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        using var keys = PkiSandbox.CardKeys();
        async Task<(HttpStatusCode, string)> Issue(object body)
        {
            var response = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards", body, ServiceDefaults.Json);
            var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            return (response.StatusCode, json.GetProperty("type").GetString()!);
        }

        Assert.Equal((HttpStatusCode.BadRequest, "urn:renkei:problem:invalid-card-request"),
            await Issue(new IssueCardRequest("123456789012", keys.SigningRequestPem, keys.AuthenticationRequestPem)));
        Assert.Equal((HttpStatusCode.BadRequest, "urn:renkei:problem:invalid-card-request"),
            await Issue(new IssueCardRequest("123456789018", "not a request", keys.AuthenticationRequestPem)));
        Assert.Equal((HttpStatusCode.BadRequest, "urn:renkei:problem:invalid-card-request"),
            await Issue(new IssueCardRequest("123456789018", keys.SigningRequestPem, keys.SigningRequestPem)));
        using var small = IndividualNumberCard.Keys.Create(1024);
        Assert.Equal((HttpStatusCode.BadRequest, "urn:renkei:problem:invalid-card-request"),
            await Issue(new IssueCardRequest("123456789018", small.SigningRequestPem, small.AuthenticationRequestPem)));
        Assert.Equal((HttpStatusCode.NotFound, "urn:renkei:problem:unknown-number"),
            await Issue(new IssueCardRequest("123456789018", keys.SigningRequestPem, keys.AuthenticationRequestPem)));

        var resident = await sandbox.RegisterResidentAsync();
        await sandbox.RecordAsync(new { kind = "death", residentId = resident.ResidentId });
        Assert.Equal((HttpStatusCode.Conflict, "urn:renkei:problem:not-a-resident"),
            await Issue(new IssueCardRequest(resident.IndividualNumber, keys.SigningRequestPem, keys.AuthenticationRequestPem)));

        var unauthenticated = await sandbox.Anonymous.PostAsJsonAsync("api/cards", new IssueCardRequest(resident.IndividualNumber, keys.SigningRequestPem, keys.AuthenticationRequestPem));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);

        // Nothing was written: the CRLs are empty and no card exists.
        var crl = await sandbox.Anonymous.GetByteArrayAsync("crl/signing.crl");
        Assert.NotEmpty(crl);
        var db = TestDatabaseOf(sandbox);
        await using var c = await db.OpenAsync();
        Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM cards"));
    }

    [Theory, StorageData]
    public async Task A_request_in_an_algorithm_other_than_the_cards_is_a_400_naming_its_field_not_a_500(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        using var keys = PkiSandbox.CardKeys();
        // Real requests, correctly signed: an RSA key signed with MD5 (md5WithRSAEncryption), and an Ed25519 key. .NET throws
        // NotSupportedException for both, which used to escape as a 500.
        var rsa = Org.BouncyCastle.Security.DotNetUtilities.GetRsaKeyPair(keys.Signing);
        var md5 = Csr("MD5WITHRSA", rsa.Public, rsa.Private);
        // SHA-1 and PSS (whose default hash is SHA-1) .NET reads: refused all the same, the card signs PKCS#1 v1.5 with SHA-256.
        var sha1 = Csr("SHA1WITHRSA", rsa.Public, rsa.Private);
        var pss = Csr("SHA1WITHRSAANDMGF1", rsa.Public, rsa.Private);
        var rsaAuthentication = Org.BouncyCastle.Security.DotNetUtilities.GetRsaKeyPair(keys.Authentication);
        var sha512 = Csr("SHA512WITHRSA", rsaAuthentication.Public, rsaAuthentication.Private);
        var generator = new Org.BouncyCastle.Crypto.Generators.Ed25519KeyPairGenerator();
        generator.Init(new Org.BouncyCastle.Crypto.Parameters.Ed25519KeyGenerationParameters(new Org.BouncyCastle.Security.SecureRandom()));
        var ed = generator.GenerateKeyPair();
        var ed25519 = Csr("Ed25519", ed.Public, ed.Private);

        foreach (var (signing, authentication, field) in new[]
        {
            (md5, keys.AuthenticationRequestPem, "signingRequest"),
            (keys.SigningRequestPem, ed25519, "authenticationRequest"),
            (sha1, keys.AuthenticationRequestPem, "signingRequest"),
            (pss, keys.AuthenticationRequestPem, "signingRequest"),
        })
        {
            var response = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards", new IssueCardRequest(resident.IndividualNumber, signing, authentication), ServiceDefaults.Json);
            var problem = await ProblemAssert.IsProblemAsync(response, 400, "invalid-card-request");
            var errors = problem.GetProperty("errors");
            Assert.Equal([field], errors.EnumerateObject().Select(e => e.Name));
            Assert.Contains("not supported", errors.GetProperty(field)[0].GetString());
        }
        await using (var c = await TestDatabaseOf(sandbox).OpenAsync())
            Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM cards"));

        // A longer SHA-2 is as good as SHA-256; another PEM block pasted before the request is passed over, as .NET's reader does.
        var pasted = keys.Authentication.ExportSubjectPublicKeyInfoPem() + "\n" + sha512;
        var issued = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards", new IssueCardRequest(resident.IndividualNumber, keys.SigningRequestPem, pasted), ServiceDefaults.Json);
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);

        static string Csr(string algorithm, Org.BouncyCastle.Crypto.AsymmetricKeyParameter publicKey, Org.BouncyCastle.Crypto.AsymmetricKeyParameter privateKey)
        {
            var request = new Org.BouncyCastle.Pkcs.Pkcs10CertificationRequest(algorithm, new Org.BouncyCastle.Asn1.X509.X509Name("CN=card"), publicKey, new Org.BouncyCastle.Asn1.DerSet(), privateKey);
            Assert.True(request.Verify()); // a well-formed request: only the algorithm is foreign to .NET
            return "-----BEGIN CERTIFICATE REQUEST-----\n" + Convert.ToBase64String(request.GetEncoded(), Base64FormattingOptions.InsertLineBreaks) +
                "\n-----END CERTIFICATE REQUEST-----\n";
        }
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/", "registry-unavailable")]
    [InlineData("", "registry-not-configured")]
    public async Task An_unreachable_or_unconfigured_registry_is_a_503_and_nothing_is_issued(string registryUrl, string slug)
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var resident = await sandbox.RegisterResidentAsync();
        await sandbox.StartPkiAsync(s => s["Pki:RegistryUrl"] = registryUrl);
        var response = await sandbox.RequestCardAsync(resident);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains(slug, await response.Content.ReadAsStringAsync());
        await using var c = await TestDatabaseOf(sandbox).OpenAsync();
        Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM certificates"));
    }

    [Fact]
    public async Task A_registry_refusing_the_pkis_own_token_is_a_502_naming_the_setting_not_the_callers_token()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var resident = await sandbox.RegisterResidentAsync();
        await sandbox.StartPkiAsync(s => s["Pki:RegistryToken"] = "wrong");
        var response = await sandbox.RequestCardAsync(resident);
        // It used to pass the Registry's "unauthenticated" on, as though the caller's own token were wrong.
        var problem = await ProblemAssert.IsProblemAsync(response, 502, "registry-refused-pki");
        Assert.Contains("Pki:RegistryToken", problem.GetProperty("title").GetString());
        await using var c = await TestDatabaseOf(sandbox).OpenAsync();
        Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM certificates"));
    }

    [Theory, StorageData]
    public async Task A_new_card_supersedes_the_old_one_and_revokes_its_certificates(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var first = await sandbox.IssueCardAsync(resident);
        var second = await sandbox.IssueCardAsync(resident);
        Assert.Equal("revoked", await Ocsp.StatusAsync(sandbox.Anonymous, first.SigningCertificate, Ca(sandbox, CertificateKind.Signing)));
        Assert.Equal("revoked", await Ocsp.StatusAsync(sandbox.Anonymous, first.AuthenticationCertificate, Ca(sandbox, CertificateKind.Authentication)));
        Assert.Equal("good", await Ocsp.StatusAsync(sandbox.Anonymous, second.SigningCertificate, Ca(sandbox, CertificateKind.Signing)));
    }

    [Theory, StorageData]
    public async Task A_change_recorded_while_a_card_is_issued_leaves_no_certificate_with_the_old_items_good(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        const string moved = "千葉県千葉市美浜区中瀬1-1-1";
        long change = 0;
        // The Registry has answered the issuance with the old address, and the address change is recorded before the PKI stores the
        // card; the follower runs and may read the change before that card exists.
        await sandbox.StartPkiAsync(services: PkiSandbox.OnIdentityAnswer(async (call, answer) =>
        {
            if (call == 1) change = await sandbox.RecordAsync(new { kind = "address-change", residentId = resident.ResidentId, address = moved });
            return answer;
        }));

        var card = await sandbox.IssueCardAsync(resident);

        // The card handed out carries the new address: the one made from the old answer was withdrawn and made again.
        Assert.Equal(moved, card.Face.Address);
        Assert.Equal(moved, CertificateProfile.ReadItems(card.SigningCertificate)!.Address);
        List<(string Card, string Kind, byte[] Der, string? Reason)> withdrawn;
        await using (var c = await TestDatabaseOf(sandbox).OpenAsync())
            withdrawn = await c.QueryAsync("SELECT card_id, kind, der, revocation_reason FROM certificates WHERE resident_id = @r AND card_id <> @c",
                r => (r.GetString(0), r.GetString(1), (byte[])r.GetValue(2), r.IsDBNull(3) ? null : r.GetString(3)), null, ("r", resident.ResidentId), ("c", card.CardId));
        Assert.Equal(2, withdrawn.Count);
        var old = X509CertificateLoader.LoadCertificate(withdrawn.Single(w => w.Kind == "Signing").Der);
        Assert.NotEqual(moved, CertificateProfile.ReadItems(old)!.Address);
        Assert.Equal("ItemsChanged", withdrawn.Single(w => w.Kind == "Signing").Reason);
        Assert.Equal("revoked", await Ocsp.StatusAsync(sandbox.Anonymous, old, Ca(sandbox, CertificateKind.Signing)));
        Assert.Equal("revoked", await Ocsp.StatusAsync(sandbox.Anonymous,
            X509CertificateLoader.LoadCertificate(withdrawn.Single(w => w.Kind == "Authentication").Der), Ca(sandbox, CertificateKind.Authentication)));

        // The follower, reading the change once the new card exists, leaves it alone: its items are from the change on.
        var follower = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Renkei.Pki.Revocation.RegistryEventFollower>(sandbox.Pki.Services);
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= change), "the follower read the change");
        Assert.Equal("good", await Ocsp.StatusAsync(sandbox.Anonymous, card.SigningCertificate, Ca(sandbox, CertificateKind.Signing)));
        Assert.Equal("good", await Ocsp.StatusAsync(sandbox.Anonymous, card.AuthenticationCertificate, Ca(sandbox, CertificateKind.Authentication)));
    }

    [Theory, StorageData]
    public async Task An_issuance_the_registry_cannot_confirm_once_the_card_is_stored_is_withdrawn(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        // The Registry answers the first question and not the one asked after the card is stored: a change recorded in between
        // would go unseen if the follower had read it before the card existed, so the card is not left good.
        await sandbox.StartPkiAsync(services: PkiSandbox.OnIdentityAnswer((call, answer) =>
            call == 1 ? Task.FromResult(answer) : throw new HttpRequestException("the Registry went away")));
        var response = await sandbox.RequestCardAsync(resident);

        var problem = await ProblemAssert.IsProblemAsync(response, 503, "registry-unavailable");
        Assert.Contains("issue the card again", problem.GetProperty("detail").GetString());
        await using var c = await TestDatabaseOf(sandbox).OpenAsync();
        Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM certificates WHERE revoked_at IS NULL"));
        Assert.Equal(2L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM certificates"));
        Assert.Equal("withdrawn", await Sql.ScalarAsync<string>(c, "SELECT status FROM cards"));
    }

    [Theory, StorageData]
    public async Task A_key_already_certified_on_another_card_is_refused_and_nothing_is_stored(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var holder = await sandbox.RegisterResidentAsync();
        var other = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(holder);
        using var taken = PkiSandbox.CardKeys(0); // the keys the sandbox's first card was issued with
        using var fresh = sandbox.NextCardKeys();

        // Both keys, either one, one card's signing key as another's authentication key, and a new card for the same holder:
        // every card makes its own keys, so each is a copy of the first card.
        foreach (var (resident, signing, authentication) in new[]
        {
            (other, taken.SigningRequestPem, taken.AuthenticationRequestPem),
            (other, fresh.SigningRequestPem, taken.AuthenticationRequestPem),
            (other, taken.SigningRequestPem, fresh.AuthenticationRequestPem),
            (other, fresh.SigningRequestPem, taken.SigningRequestPem),
            (holder, taken.SigningRequestPem, taken.AuthenticationRequestPem),
            (other, WithoutNullParameters(taken.Signing), fresh.AuthenticationRequestPem),
        })
        {
            var response = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards", new IssueCardRequest(resident.IndividualNumber, signing, authentication), ServiceDefaults.Json);
            var problem = await ProblemAssert.IsProblemAsync(response, 409, "key-on-another-card");
            Assert.StartsWith("この鍵は別のカードに証明書が発行済みです / ", problem.GetProperty("title").GetString());
            // The holder's own card is a repeated issuance, not a clone: the detail says which it is.
            var detail = problem.GetProperty("detail").GetString()!;
            if (resident == holder)
                Assert.Contains("A card of this same holder already carries the key", detail);
            else
                Assert.Contains("a cloned card or a faulty issuing system", detail);
            Assert.DoesNotContain(resident == holder ? "cloned" : "same holder", detail);
        }

        await using (var c = await TestDatabaseOf(sandbox).OpenAsync())
        {
            Assert.Equal(1L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM cards"));
            Assert.Equal(2L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM certificates"));
        }
        Assert.Equal("good", await Ocsp.StatusAsync(sandbox.Anonymous, card.SigningCertificate, Ca(sandbox, CertificateKind.Signing)));
        // Keys of its own are certified.
        var issued = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards", new IssueCardRequest(other.IndividualNumber, fresh.SigningRequestPem, fresh.AuthenticationRequestPem), ServiceDefaults.Json);
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
    }

    /// <summary>
    /// A request for <paramref name="key"/> whose SubjectPublicKeyInfo leaves out the RSA algorithm's NULL parameters, which .NET
    /// always writes: the same key in another encoding.
    /// </summary>
    private static string WithoutNullParameters(System.Security.Cryptography.RSA key)
    {
        var spki = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (spki.PushSequence())
        {
            using (spki.PushSequence())
                spki.WriteObjectIdentifier("1.2.840.113549.1.1.1");
            spki.WriteBitString(key.ExportRSAPublicKey());
        }
        return OneKeyOneCardTests.RequestWithSpki(key, spki.Encode());
    }

    [Theory, StorageData]
    public async Task Two_issuances_of_one_key_at_once_certify_it_on_exactly_one_card(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var residents = new[] { await sandbox.RegisterResidentAsync(), await sandbox.RegisterResidentAsync(), await sandbox.RegisterResidentAsync() };
        using var keys = sandbox.NextCardKeys();

        // Different residents, so no resident's lock orders them: only the database can refuse the copies.
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = residents.Select(async resident =>
        {
            await go.Task;
            using var response = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards",
                new IssueCardRequest(resident.IndividualNumber, keys.SigningRequestPem, keys.AuthenticationRequestPem), ServiceDefaults.Json);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }).ToArray();
        go.SetResult();
        var answers = await Task.WhenAll(requests);

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Created), a =>
        {
            Assert.Equal(HttpStatusCode.Conflict, a.StatusCode);
            Assert.Contains("urn:renkei:problem:key-on-another-card", a.Body);
        });
        await using var c = await TestDatabaseOf(sandbox).OpenAsync();
        Assert.Equal(1L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM cards"));
        Assert.Equal(2L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM certificates"));
    }

    [Theory, StorageData]
    public async Task A_card_withdrawn_before_it_was_delivered_is_issued_again_with_its_own_keys(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        await sandbox.StartPkiAsync(services: PkiSandbox.OnIdentityAnswer((call, answer) =>
            call == 1 ? Task.FromResult(answer) : throw new HttpRequestException("the Registry went away")));
        using var keys = sandbox.NextCardKeys();
        var request = new IssueCardRequest(resident.IndividualNumber, keys.SigningRequestPem, keys.AuthenticationRequestPem);
        await ProblemAssert.IsProblemAsync(await sandbox.PkiAdmin.PostAsJsonAsync("api/cards", request, ServiceDefaults.Json), 503, "registry-unavailable");

        // "Issue the card again": the same card, whose chip keeps the keys it made, so the withdrawn card does not hold them.
        await sandbox.StartPkiAsync();
        var again = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards", request, ServiceDefaults.Json);
        Assert.True(again.StatusCode == HttpStatusCode.Created, await again.Content.ReadAsStringAsync());
    }

    [Theory, StorageData]
    public async Task A_renewal_the_registry_cannot_confirm_leaves_the_holders_previous_card_good_and_active(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var old = await sandbox.IssueCardAsync(resident);
        await sandbox.StartPkiAsync(services: PkiSandbox.OnIdentityAnswer((call, answer) =>
            call == 1 ? Task.FromResult(answer) : throw new HttpRequestException("the Registry went away")));
        var response = await sandbox.RequestCardAsync(resident);

        var problem = await ProblemAssert.IsProblemAsync(response, 503, "registry-unavailable");
        Assert.Contains("the previous card stays valid", problem.GetProperty("detail").GetString());
        // It used to be superseded, both certificates revoked, as the new card was stored: the resident left with no valid card.
        Assert.Equal("good", await Ocsp.StatusAsync(sandbox.Anonymous, old.SigningCertificate, Ca(sandbox, CertificateKind.Signing)));
        Assert.Equal("good", await Ocsp.StatusAsync(sandbox.Anonymous, old.AuthenticationCertificate, Ca(sandbox, CertificateKind.Authentication)));
        var view = JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync($"api/cards/{old.CardId}")).RootElement;
        Assert.Equal("active", view.GetProperty("status").GetString());
        await using var c = await TestDatabaseOf(sandbox).OpenAsync();
        Assert.Equal("withdrawn", await Sql.ScalarAsync<string>(c, "SELECT status FROM cards WHERE card_id <> @c", null, ("c", old.CardId)));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM certificates WHERE revoked_at IS NULL AND card_id <> @c", null, ("c", old.CardId)));
    }

    [Theory, StorageData]
    public async Task A_card_left_pending_by_an_issuance_that_never_finished_is_withdrawn_once_it_is_old(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var old = await sandbox.IssueCardAsync(resident);
        // From the database's side, the issuance stops where a crash would stop it.
        var (held, issuing, pending) = await IssuanceHeldAtItsConfirmationAsync(sandbox, resident);
        await using var c = await TestDatabaseOf(sandbox).OpenAsync();
        var sweep = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<AbandonedCards>(sandbox.Pki.Services);

        // A card pending for less than Pki:PendingCardMinutes belongs to an issuance that may still finish.
        Assert.Equal(0, await sweep.SweepAsync(CancellationToken.None));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM certificates WHERE card_id = @c AND revoked_at IS NOT NULL", null, ("c", pending)));

        sandbox.Clock.Fixed = DateTimeOffset.UtcNow.AddMinutes(11);
        Assert.Equal(1, await sweep.SweepAsync(CancellationToken.None));
        Assert.Equal("withdrawn", await Sql.ScalarAsync<string>(c, "SELECT status FROM cards WHERE card_id = @c", null, ("c", pending)));
        Assert.Equal(2L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM certificates WHERE card_id = @c AND revoked_at IS NOT NULL", null, ("c", pending)));
        // The holder's card from before is untouched: still the active one, still good.
        Assert.Equal("active", await Sql.ScalarAsync<string>(c, "SELECT status FROM cards WHERE card_id = @c", null, ("c", old.CardId)));
        Assert.Equal("good", await Ocsp.StatusAsync(sandbox.Anonymous, old.SigningCertificate, Ca(sandbox, CertificateKind.Signing)));
        Assert.Equal(0, await sweep.SweepAsync(CancellationToken.None));

        // Were the issuance still alive, it finds its card withdrawn and makes another, which it confirms and puts in use.
        held.SetResult();
        var response = await issuing;
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var issued = (await response.Content.ReadFromJsonAsync<CardIssued>(ServiceDefaults.Json))!;
        Assert.NotEqual(pending, issued.CardId);
        Assert.Equal("active", await Sql.ScalarAsync<string>(c, "SELECT status FROM cards WHERE card_id = @c", null, ("c", issued.CardId)));
        Assert.Equal("withdrawn", await Sql.ScalarAsync<string>(c, "SELECT status FROM cards WHERE card_id = @c", null, ("c", pending)));
    }

    [Fact]
    public async Task The_sweep_leaves_a_card_activated_between_its_listing_and_its_lock()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Postgres);
        var resident = await sandbox.RegisterResidentAsync();
        var (held, issuing, pending) = await IssuanceHeldAtItsConfirmationAsync(sandbox, resident);
        var database = TestDatabaseOf(sandbox);
        await using var c = await database.OpenAsync();
        var sweep = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<AbandonedCards>(sandbox.Pki.Services);
        sandbox.Clock.Fixed = DateTimeOffset.UtcNow.AddMinutes(11);

        // The activation holds the resident's lock when the sweep, which has listed the card as pending, comes to withdraw it.
        await using var activation = await database.OpenAsync();
        await using var tx = await activation.BeginTransactionAsync();
        await Sql.ExecuteAsync(activation, "SELECT pg_advisory_xact_lock(@k)", tx, ("k", CardStore.LockKey(resident.ResidentId)));
        var holder = await Sql.ScalarAsync<int>(activation, "SELECT pg_backend_pid()", tx);
        var swept = sweep.SweepAsync(CancellationToken.None);
        // Blocked by this activation's session: another test's wait for a lock on the shared server would not do.
        await PkiSandbox.EventuallyAsync(async () => await Sql.ScalarAsync<long>(c,
            "SELECT COUNT(*) FROM pg_stat_activity WHERE @h = ANY(pg_blocking_pids(pid))", null, ("h", holder)) > 0,
            "the sweep waits for the resident's lock");
        await Sql.ExecuteAsync(activation, "UPDATE cards SET status = 'active' WHERE card_id = @c", tx, ("c", pending));
        await tx.CommitAsync();

        // It used to withdraw it all the same: a card its holder was answered with, its certificates revoked.
        Assert.Equal(0, await swept);
        Assert.Equal("active", await Sql.ScalarAsync<string>(c, "SELECT status FROM cards WHERE card_id = @c", null, ("c", pending)));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM certificates WHERE card_id = @c AND revoked_at IS NOT NULL", null, ("c", pending)));
        held.SetResult();
        (await issuing).Dispose();
    }

    [Fact]
    public async Task A_pending_card_time_shorter_than_an_issuance_is_refused_at_start()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => sandbox.StartPkiAsync(v => v["Pki:PendingCardMinutes"] = "3"));
        SettingAssert.SaysBelow(refused.Message, "Pki:PendingCardMinutes", 4, 3,
            ("発行がカードを確定するまでに 3 分かかることがあります", "an issuance may take 3 minutes to confirm its card"));
    }

    [Theory, StorageData]
    public async Task A_renewal_given_up_after_changes_leaves_the_previous_card_in_use_as_the_change_left_it(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var old = await sandbox.IssueCardAsync(resident);
        long last = 0;
        // Each try's first answer is followed by an address change: the card is made three times and given up (409).
        await sandbox.StartPkiAsync(services: PkiSandbox.OnIdentityAnswer(async (call, answer) =>
        {
            if (call % 2 == 1) last = await sandbox.RecordAsync(new { kind = "address-change", residentId = resident.ResidentId, address = $"千葉県千葉市美浜区中瀬{call}-1-1" });
            return answer;
        }));
        var response = await sandbox.RequestCardAsync(resident);
        await ProblemAssert.IsProblemAsync(response, 409, "holder-items-changed");

        var follower = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Renkei.Pki.Revocation.RegistryEventFollower>(sandbox.Pki.Services);
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= last), "the follower read the changes");
        // The changes revoked the old signing certificate, as any change does; the card and its authentication certificate stay in use.
        Assert.Equal("revoked", await Ocsp.StatusAsync(sandbox.Anonymous, old.SigningCertificate, Ca(sandbox, CertificateKind.Signing)));
        Assert.Equal("good", await Ocsp.StatusAsync(sandbox.Anonymous, old.AuthenticationCertificate, Ca(sandbox, CertificateKind.Authentication)));
        var view = JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync($"api/cards/{old.CardId}")).RootElement;
        Assert.Equal("active", view.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_renewal_racing_a_death_read_by_the_follower_leaves_no_active_card_for_the_dead_holder()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Postgres);
        var resident = await sandbox.RegisterResidentAsync();
        var old = await sandbox.IssueCardAsync(resident);
        var pkiDb = new Database(sandbox.PkiStorage);
        Task? release = null;
        // At the confirmation (the pending card stored, the answer saying resident), the death is recorded and the follower reads it;
        // the test holds the feed's row so that the follower's transaction stays open once it has revoked, and lets it go only when
        // the renewal's activation waits for the follower (the holder's lock): the two then run side by side, whatever the timing.
        await sandbox.StartPkiAsync(services: PkiSandbox.OnIdentityAnswer(async (call, answer) =>
        {
            if (call != 2) return answer;
            var c = await pkiDb.OpenAsync();
            var hold = await c.BeginTransactionAsync();
            await c.ExecuteAsync("SELECT position FROM registry_feed WHERE id = 1 FOR UPDATE", hold);
            var holder = await c.ScalarAsync<int>("SELECT pg_backend_pid()", hold);
            await sandbox.RecordAsync(new { kind = "death", residentId = resident.ResidentId });
            var follower = 0;
            await PkiSandbox.EventuallyAsync(async () =>
            {
                await using var p = await pkiDb.OpenAsync();
                follower = await p.ScalarAsync<int?>("SELECT pid FROM pg_stat_activity WHERE @h = ANY(pg_blocking_pids(pid)) AND query LIKE 'UPDATE registry_feed%'",
                    null, ("h", holder)) ?? 0;
                return follower != 0;
            }, "the follower revoked and waits to keep its position");
            release = Task.Run(async () =>
            {
                try
                {
                    await PkiSandbox.EventuallyAsync(async () =>
                    {
                        await using var p = await pkiDb.OpenAsync();
                        return await p.ScalarAsync<long>("SELECT COUNT(*) FROM pg_stat_activity WHERE @f = ANY(pg_blocking_pids(pid)) AND query LIKE '%pg_advisory_xact_lock%'",
                            null, ("f", follower)) > 0;
                    }, "the renewal's activation waits for the follower");
                }
                finally
                {
                    await hold.CommitAsync();
                    await c.DisposeAsync();
                }
            });
            return answer;
        }));
        var response = await sandbox.RequestCardAsync(resident);
        await release!;

        // It was 201, leaving the new card active with both its certificates already revoked (HolderGone) and nothing to mark it.
        await ProblemAssert.IsProblemAsync(response, 409, "not-a-resident");
        await using var db = await TestDatabaseOf(sandbox).OpenAsync();
        var cards = await db.QueryAsync("SELECT card_id, status FROM cards WHERE resident_id = @r", r => (Card: r.GetString(0), Status: r.GetString(1)),
            null, ("r", resident.ResidentId));
        Assert.Equal(2, cards.Count);
        Assert.All(cards, c => Assert.Equal("holder-gone", c.Status));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(db, "SELECT COUNT(*) FROM certificates WHERE resident_id = @r AND revoked_at IS NULL", null, ("r", resident.ResidentId)));
        Assert.Equal("revoked", await Ocsp.StatusAsync(sandbox.Anonymous, old.AuthenticationCertificate, Ca(sandbox, CertificateKind.Authentication)));
    }

    [Theory, StorageData]
    public async Task A_death_read_while_a_card_is_pending_marks_it_holder_gone_and_the_issuance_refuses(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var old = await sandbox.IssueCardAsync(resident);
        string? pending = null, pendingStatus = null;
        // The death comes after the second answer said resident, and the follower applies it before the card is activated.
        await sandbox.StartPkiAsync(services: PkiSandbox.OnIdentityAnswer(async (call, answer) =>
        {
            if (call != 2) return answer;
            var death = await sandbox.RecordAsync(new { kind = "death", residentId = resident.ResidentId });
            var follower = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Renkei.Pki.Revocation.RegistryEventFollower>(sandbox.Pki.Services);
            await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= death), "the follower applied the death");
            await using var c = await TestDatabaseOf(sandbox).OpenAsync();
            pending = await Sql.ScalarAsync<string>(c, "SELECT card_id FROM cards WHERE resident_id = @r AND card_id <> @o", null, ("r", resident.ResidentId), ("o", old.CardId));
            pendingStatus = await Sql.ScalarAsync<string>(c, "SELECT status FROM cards WHERE card_id = @c", null, ("c", pending));
            return answer;
        }));
        var response = await sandbox.RequestCardAsync(resident);

        await ProblemAssert.IsProblemAsync(response, 409, "not-a-resident");
        await using var db = await TestDatabaseOf(sandbox).OpenAsync();
        Assert.NotNull(pending);
        // The pending card says why it will never be used as soon as the death is applied, whatever becomes of its issuance (it stayed
        // pending until the issuance withdrew it).
        Assert.Equal("holder-gone", pendingStatus);
        Assert.Equal("holder-gone", await Sql.ScalarAsync<string>(db, "SELECT status FROM cards WHERE card_id = @c", null, ("c", pending)));
        Assert.Equal("holder-gone", await Sql.ScalarAsync<string>(db, "SELECT status FROM cards WHERE card_id = @c", null, ("c", old.CardId)));
        Assert.Equal(2L, await Sql.ScalarAsync<long>(db, "SELECT COUNT(*) FROM cards WHERE resident_id = @r", null, ("r", resident.ResidentId)));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(db, "SELECT COUNT(*) FROM certificates WHERE resident_id = @r AND revoked_at IS NULL", null, ("r", resident.ResidentId)));
    }

    [Theory, StorageData]
    public async Task Concurrent_issuances_for_one_resident_leave_exactly_one_active_card(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var bystander = await sandbox.RegisterResidentAsync();
        var bystanderCard = await sandbox.IssueCardAsync(bystander);
        // Six cards, each with its own keys as real cards have: one key on two cards would be refused for that alone.
        var requests6 = Enumerable.Range(0, 6).Select(_ =>
        {
            using var keys = sandbox.NextCardKeys();
            return new IssueCardRequest(resident.IndividualNumber, keys.SigningRequestPem, keys.AuthenticationRequestPem);
        }).ToArray();

        // Released together, so that their transactions overlap; each must supersede the one before it or be refused whole.
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = requests6.Select(async request =>
        {
            await go.Task;
            using var response = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards", request, ServiceDefaults.Json);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }).ToArray();
        go.SetResult();
        var answers = await Task.WhenAll(requests);
        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.Created
            || (a.StatusCode == HttpStatusCode.Conflict && a.Body.Contains("urn:renkei:problem:concurrent-issuance")), a.Body));
        var issued = answers.Where(a => a.StatusCode == HttpStatusCode.Created)
            .Select(a => JsonSerializer.Deserialize<CardIssued>(a.Body, ServiceDefaults.Json)!).ToList();
        Assert.NotEmpty(issued);

        await using var c = await TestDatabaseOf(sandbox).OpenAsync();
        Assert.Equal(1L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM cards WHERE resident_id = @r AND status = 'active'", null, ("r", resident.ResidentId)));
        var active = await Sql.ScalarAsync<string>(c, "SELECT card_id FROM cards WHERE resident_id = @r AND status = 'active'", null, ("r", resident.ResidentId));
        Assert.Equal(issued.Count, (int)await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM cards WHERE resident_id = @r", null, ("r", resident.ResidentId)));
        // Exactly one pair of certificates is unrevoked, and it is the active card's.
        var unrevoked = await c.QueryAsync("SELECT card_id, kind FROM certificates WHERE resident_id = @r AND revoked_at IS NULL",
            r => (Card: r.GetString(0), Kind: r.GetString(1)), null, ("r", resident.ResidentId));
        Assert.Equal(2, unrevoked.Count);
        Assert.All(unrevoked, u => Assert.Equal(active, u.Card));

        // OCSP agrees: of all the signing certificates handed out, one is good and the rest revoked.
        var signingCa = Ca(sandbox, CertificateKind.Signing);
        var statuses = new List<string>();
        foreach (var card in issued)
            statuses.Add(await Ocsp.StatusAsync(sandbox.Anonymous, X509Certificate2.CreateFromPem(card.SigningCertificate), signingCa));
        Assert.Equal(1, statuses.Count(s => s == "good"));
        Assert.Equal(issued.Count - 1, statuses.Count(s => s == "revoked"));
        Assert.Equal(active, issued[statuses.IndexOf("good")].CardId);
        // Another resident's card is untouched.
        Assert.Equal("good", await Ocsp.StatusAsync(sandbox.Anonymous, bystanderCard.SigningCertificate, signingCa));
    }

    [Theory, StorageData]
    public async Task The_migration_to_one_active_card_keeps_the_newest_of_earlier_duplicates_and_revokes_the_rest(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var database = TestDatabases.CreateDatabase(provider, folder.Path);
        var assembly = typeof(PkiApp).Assembly;
        // The schema as it was before, with what the old race could leave: two active cards of one resident.
        var later = await database.MigrateUpToAsync(assembly, 1);
        await using (var c = await database.OpenAsync())
        {
            foreach (var (card, resident, at) in new[] { ("COLD", "R1", "2026-01-01T00:00:00.0000000Z"), ("CNEW", "R1", "2026-01-01T00:00:01.0000000Z"), ("COTHER", "R2", "2026-01-01T00:00:00.0000000Z") })
            {
                await c.ExecuteAsync("INSERT INTO cards (card_id, resident_id, municipality_code, issued_at, expires_on, status) VALUES (@c, @r, '121002', @t, '2036-01-01', 'active')",
                    null, ("c", card), ("r", resident), ("t", at));
                await c.ExecuteAsync("INSERT INTO certificates (serial, kind, card_id, resident_id, issued_at, not_before, not_after, der) VALUES (@s, 'Signing', @c, @r, @t, @t, '2031-01-01T00:00:00.0000000Z', @d)",
                    null, ("s", card + "S"), ("c", card), ("r", resident), ("t", at), ("d", new byte[] { 1 }));
            }
        }
        Assert.Equal(later, await database.MigrateAsync(assembly));

        await using var check = await database.OpenAsync();
        var cards = await check.QueryAsync("SELECT card_id, status FROM cards ORDER BY card_id", r => (r.GetString(0), r.GetString(1)));
        Assert.Equal([("CNEW", "active"), ("COLD", "superseded"), ("COTHER", "active")], cards);
        var certificates = await check.QueryAsync("SELECT serial, revoked_at, revocation_reason FROM certificates ORDER BY serial",
            r => (r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2)));
        Assert.Equal(("CNEWS", null, null), certificates[0]);
        Assert.Equal("COLDS", certificates[1].Item1);
        Assert.Equal("Superseded", certificates[1].Item3);
        // The revocation time is in the store's UTC text form.
        Assert.InRange(CertificateStore.ParseUtc(certificates[1].Item2!), DateTime.UtcNow.AddMinutes(-10), DateTime.UtcNow.AddMinutes(1));
        Assert.Equal(("COTHERS", null, null), certificates[2]);
        // From now on the database itself refuses a second active card.
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => check.ExecuteAsync(
            "INSERT INTO cards (card_id, resident_id, municipality_code, issued_at, expires_on, status) VALUES ('CTWO', 'R1', '121002', '2026-02-01T00:00:00.0000000Z', '2036-01-01', 'active')"));
        Assert.True(Database.IsUniqueViolation(refused), refused.Message);
    }

    /// <summary>
    /// Restarts the PKI with the Registry's second answer held, and starts an issuance for <paramref name="resident"/>: returns once its
    /// card is stored pending, with what lets the answer go, the issuance's request, and the pending card's id.
    /// </summary>
    private static async Task<(TaskCompletionSource Held, Task<HttpResponseMessage> Issuing, string Pending)> IssuanceHeldAtItsConfirmationAsync(
        PkiSandbox sandbox, Resident resident)
    {
        var held = new TaskCompletionSource();
        await sandbox.StartPkiAsync(services: PkiSandbox.OnIdentityAnswer(async (call, answer) =>
        {
            if (call == 2) await held.Task;
            return answer;
        }));
        var issuing = sandbox.RequestCardAsync(resident);
        await using var c = await TestDatabaseOf(sandbox).OpenAsync();
        await PkiSandbox.EventuallyAsync(async () => await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM cards WHERE status = 'pending'") == 1, "the card is stored pending");
        return (held, issuing, (await Sql.ScalarAsync<string>(c, "SELECT card_id FROM cards WHERE status = 'pending'"))!);
    }

    public static X509Certificate2 Ca(PkiSandbox sandbox, CertificateKind kind) =>
        ((Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<CertificationAuthorities>(sandbox.Pki.Services))).For(kind).Certificate;

    public static Database TestDatabaseOf(PkiSandbox sandbox) =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Database>(sandbox.Pki.Services);
}
