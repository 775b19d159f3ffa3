using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Cards;
using Renkei.Pki.Revocation;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

public sealed class RevocationTests
{
    private static async Task<string> StatusAsync(PkiSandbox sandbox, X509Certificate2 certificate, CertificateKind kind) =>
        await Ocsp.StatusAsync(sandbox.Anonymous, certificate, IssuanceTests.Ca(sandbox, kind));

    private static async Task WaitForStatusAsync(PkiSandbox sandbox, IndividualNumberCard card, CertificateKind kind, string status) =>
        await PkiSandbox.EventuallyAsync(async () =>
            await StatusAsync(sandbox, kind == CertificateKind.Signing ? card.SigningCertificate : card.AuthenticationCertificate, kind) == status,
            $"OCSP says {status} for the {kind} certificate");

    [Theory, StorageData]
    public async Task Address_change_revokes_the_signing_certificate_and_keeps_the_authentication_certificate(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var other = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var otherCard = await sandbox.IssueCardAsync(other);
        Assert.Equal("good", await StatusAsync(sandbox, card.SigningCertificate, CertificateKind.Signing));

        await sandbox.RecordAsync(new { kind = "address-change", residentId = resident.ResidentId, address = "千葉県千葉市中央区富士見1-2-3" });

        await WaitForStatusAsync(sandbox, card, CertificateKind.Signing, "revoked");
        Assert.Equal("good", await StatusAsync(sandbox, card.AuthenticationCertificate, CertificateKind.Authentication));
        Assert.Equal("good", await StatusAsync(sandbox, otherCard.SigningCertificate, CertificateKind.Signing));

        // The CRL lists it, with the reason of a change of items.
        var crl = await sandbox.Anonymous.GetByteArrayAsync("crl/signing.crl");
        var list = new Org.BouncyCastle.X509.X509Crl(crl);
        var entry = list.GetRevokedCertificate(new Org.BouncyCastle.Math.BigInteger(card.SigningCertificate.SerialNumber, 16));
        Assert.NotNull(entry);
        Assert.Null(list.GetRevokedCertificate(new Org.BouncyCastle.Math.BigInteger(otherCard.SigningCertificate.SerialNumber, 16)));
        list.Verify(new Org.BouncyCastle.X509.X509Certificate(IssuanceTests.Ca(sandbox, CertificateKind.Signing).RawData).GetPublicKey());
        Assert.True(new Org.BouncyCastle.X509.X509Crl(await sandbox.Anonymous.GetByteArrayAsync("crl/authentication.crl")).GetRevokedCertificates() is null or { Count: 0 });
    }

    [Theory, StorageData]
    public async Task Name_change_revokes_only_the_signing_certificate(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        await sandbox.RecordAsync(new { kind = "name-change", residentId = resident.ResidentId, familyName = "改姓", familyNameKana = "カイセイ" });
        await WaitForStatusAsync(sandbox, card, CertificateKind.Signing, "revoked");
        Assert.Equal("good", await StatusAsync(sandbox, card.AuthenticationCertificate, CertificateKind.Authentication));
    }

    [Theory, StorageData]
    public async Task Only_a_change_of_an_item_the_signing_certificate_carries_revokes_it_not_a_household_or_a_reading(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var head = await sandbox.RegisterResidentAsync();
        var wife = await sandbox.RegisterResidentAsync();
        var headView = JsonDocument.Parse(await sandbox.Clerk.GetStringAsync($"api/municipalities/{PkiSandbox.Municipality}/residents/{head.ResidentId}")).RootElement;
        var household = headView.GetProperty("householdId").GetString();
        var home = headView.GetProperty("resident").GetProperty("address").GetString();
        var follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        async Task AppliedAsync(object change)
        {
            var position = await sandbox.RecordAsync(change);
            await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= position), "the follower read the change");
        }

        // Moving into the head's household at his address is a change of address.
        var card = await sandbox.IssueCardAsync(wife);
        await AppliedAsync(new { kind = "address-change", residentId = wife.ResidentId, householdId = household, relationship = "妻" });
        Assert.Equal("revoked", await StatusAsync(sandbox, card.SigningCertificate, CertificateKind.Signing));

        // 世帯分離 and 世帯合併 at that address, and a corrected reading, leave what the certificate says true: it used to be revoked.
        card = await sandbox.IssueCardAsync(wife);
        await AppliedAsync(new { kind = "address-change", residentId = wife.ResidentId, address = home });
        await AppliedAsync(new { kind = "address-change", residentId = wife.ResidentId, householdId = household, relationship = "妻" });
        await AppliedAsync(new { kind = "name-change", residentId = wife.ResidentId, familyNameKana = "レンケ" });
        Assert.Equal("good", await StatusAsync(sandbox, card.SigningCertificate, CertificateKind.Signing));

        // A name written otherwise does change it.
        await AppliedAsync(new { kind = "name-change", residentId = wife.ResidentId, familyName = "連係", familyNameKana = "レンケイ" });
        Assert.Equal("revoked", await StatusAsync(sandbox, card.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("good", await StatusAsync(sandbox, card.AuthenticationCertificate, CertificateKind.Authentication));
    }

    [Theory, StorageData]
    public async Task Death_and_moving_abroad_revoke_both_and_a_domestic_move_out_neither(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var dead = await sandbox.RegisterResidentAsync();
        var abroad = await sandbox.RegisterResidentAsync();
        var domestic = await sandbox.RegisterResidentAsync();
        var deadCard = await sandbox.IssueCardAsync(dead);
        var abroadCard = await sandbox.IssueCardAsync(abroad);
        var domesticCard = await sandbox.IssueCardAsync(domestic);

        await sandbox.RecordAsync(new { kind = "move-out", residentId = domestic.ResidentId, destination = "122173" });
        await sandbox.RecordAsync(new { kind = "death", residentId = dead.ResidentId });
        await sandbox.RecordAsync(new { kind = "move-out", residentId = abroad.ResidentId, destination = "abroad" });

        await WaitForStatusAsync(sandbox, abroadCard, CertificateKind.Authentication, "revoked");
        Assert.Equal("revoked", await StatusAsync(sandbox, abroadCard.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("revoked", await StatusAsync(sandbox, deadCard.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("revoked", await StatusAsync(sandbox, deadCard.AuthenticationCertificate, CertificateKind.Authentication));
        // Events apply in order, so the earlier domestic move-out has been seen and left both alone.
        Assert.Equal("good", await StatusAsync(sandbox, domesticCard.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("good", await StatusAsync(sandbox, domesticCard.AuthenticationCertificate, CertificateKind.Authentication));
    }

    [Theory, StorageData]
    public async Task A_new_number_revokes_both_certificates_of_the_card_carrying_the_old_one_and_spares_a_card_issued_after_it(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var leaked = await sandbox.RegisterResidentAsync();
        var renewed = await sandbox.RegisterResidentAsync();
        var leakedCard = await sandbox.IssueCardAsync(leaked);

        // Read late: the follower is off while the renewed holder gets a new number and a card with it, and the other a new number.
        await sandbox.StartPkiAsync(s => s["Pki:FollowRegistryEvents"] = "false");
        var newNumber = await ReissueNumberAsync(sandbox, renewed);
        var renewedCard = await sandbox.IssueCardAsync(renewed with { IndividualNumber = newNumber });
        await ReissueNumberAsync(sandbox, leaked);
        await sandbox.StartPkiAsync();

        await WaitForStatusAsync(sandbox, leakedCard, CertificateKind.Authentication, "revoked");
        Assert.Equal("revoked", await StatusAsync(sandbox, leakedCard.SigningCertificate, CertificateKind.Signing));
        var card = JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync($"api/cards/{leakedCard.CardId}")).RootElement;
        Assert.Equal("number-changed", card.GetProperty("status").GetString());
        Assert.All(card.GetProperty("certificates").EnumerateArray(), c => Assert.Equal("superseded", c.GetProperty("reason").GetString()));
        // A card is no longer in use: its loss is not reported again.
        var loss = await sandbox.PkiAdmin.PostAsync($"api/cards/{leakedCard.CardId}/loss", null);
        Assert.Equal(HttpStatusCode.Conflict, loss.StatusCode);
        Assert.Contains("個人番号の変更により失効", await loss.Content.ReadAsStringAsync());
        // The events apply in order: the renewed holder's new number was read first, and the card made with it stays good.
        Assert.Equal("good", await StatusAsync(sandbox, renewedCard.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("good", await StatusAsync(sandbox, renewedCard.AuthenticationCertificate, CertificateKind.Authentication));
        Assert.Equal("active", JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync($"api/cards/{renewedCard.CardId}")).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_holder_of_a_card_ended_by_a_new_number_is_not_told_that_a_new_card_was_issued()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        await ReissueNumberAsync(sandbox, resident);
        await WaitForStatusAsync(sandbox, card, CertificateKind.Authentication, "revoked");

        // What `renkei card auth` says on stderr. The CRL reason is superseded, as for a card replaced by a new one (J-LIS's set has
        // none closer), so the words cover both: this holder has no new card yet and is to return this one.
        var warning = await Renkei.Cli.Card.CertificateStatus.WarningAsync(card.AuthenticationCertificate, card.AuthenticationChainPem,
            CertificateKind.Authentication, CancellationToken.None);
        Assert.Equal("注意: このカードの利用者証明用電子証明書は失効しています（カードの交換: 新しいカードの交付、または個人番号の変更によるカードの返納）。"
            + "この応答は検証で失効として拒否されます / warning: this card's authentication certificate is revoked (the card was replaced by a new one, "
            + "or is to be returned after a change of Individual Number); a verifier will refuse this answer", warning);
    }

    /// <summary>個人番号の変更 at the Registry (after a leak); returns the new number.</summary>
    private static async Task<string> ReissueNumberAsync(PkiSandbox sandbox, Resident resident)
    {
        var response = await sandbox.Clerk.PostAsJsonAsync($"api/municipalities/{PkiSandbox.Municipality}/residents/{resident.ResidentId}/number-reissue",
            new { reason = "番号の漏えい", requestedBy = "person" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var number = JsonDocument.Parse(body).RootElement.GetProperty("individualNumber").GetString()!;
        Assert.NotEqual(resident.IndividualNumber, number);
        return number;
    }

    [Theory, StorageData]
    public async Task A_reported_loss_revokes_both_and_a_second_report_conflicts(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var response = await sandbox.PkiAdmin.PostAsync($"api/cards/{card.CardId}/loss", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("revoked", await StatusAsync(sandbox, card.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("revoked", await StatusAsync(sandbox, card.AuthenticationCertificate, CertificateKind.Authentication));
        Assert.Equal(HttpStatusCode.Conflict, (await sandbox.PkiAdmin.PostAsync($"api/cards/{card.CardId}/loss", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await sandbox.PkiAdmin.PostAsync("api/cards/CNOSUCHCARD/loss", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await sandbox.Anonymous.PostAsync($"api/cards/{card.CardId}/loss", null)).StatusCode);
    }

    [Theory, StorageData]
    public async Task The_feed_position_survives_a_restart_and_events_are_not_applied_twice(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        await sandbox.RecordAsync(new { kind = "address-change", residentId = resident.ResidentId, address = "千葉県千葉市中央区富士見9-9-9" });
        await WaitForStatusAsync(sandbox, card, CertificateKind.Signing, "revoked");
        var position = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>().Position;
        Assert.True(position > 0);

        // A new card after the change; the restarted PKI must not replay the old address change onto it.
        var renewed = await sandbox.IssueCardAsync(resident);
        await sandbox.StartPkiAsync();
        var follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= position), "the follower resumed");
        await sandbox.RegisterResidentAsync(); // a marker: once the follower has read past it, it has read the old change, if it replays it
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= position + 1), "the follower read past the marker");
        Assert.Equal("good", await StatusAsync(sandbox, renewed.SigningCertificate, CertificateKind.Signing));
    }

    [Theory, StorageData]
    public async Task The_follower_goes_on_after_its_own_database_failed_and_revokes_what_came_meanwhile(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var database = sandbox.Pki.Services.GetRequiredService<Database>();
        // The PKI's database fails under the follower (a restart, a lock held, no connection left): here its feed table goes.
        await using (var c = await database.OpenAsync()) await c.ExecuteAsync("ALTER TABLE registry_feed RENAME TO registry_feed_away");
        await sandbox.RecordAsync(new { kind = "death", residentId = resident.ResidentId });
        // The follower ran into the failure (not merely had not come round yet) before its table is given back.
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(sandbox.Logs.Lines.Any(l =>
            l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("Registry events could not be applied") && l.Contains("registry_feed"))),
            "the follower's pass failed on its feed table");
        Assert.Equal("good", await StatusAsync(sandbox, card.SigningCertificate, CertificateKind.Signing));
        await using (var c = await database.OpenAsync()) await c.ExecuteAsync("ALTER TABLE registry_feed_away RENAME TO registry_feed");
        // It used to stop for good on any error but the Registry's, while the PKI went on answering: the death never revoked.
        await WaitForStatusAsync(sandbox, card, CertificateKind.Authentication, "revoked");
        Assert.Equal("revoked", await StatusAsync(sandbox, card.SigningCertificate, CertificateKind.Signing));
    }

    [Fact]
    public async Task A_position_past_the_registrys_end_is_an_error_that_says_what_to_do_not_a_silent_wait()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        await sandbox.StartPkiAsync(s => s["Pki:FollowRegistryEvents"] = "false");
        // As after the Registry was restored from a backup older than what the PKI had read.
        await using (var c = await sandbox.Pki.Services.GetRequiredService<Database>().OpenAsync())
            await c.ExecuteAsync("INSERT INTO registry_feed (id, position, updated_at) VALUES (1, 999999, '2026-01-01T00:00:00.0000000Z')");
        await sandbox.StartPkiAsync();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(sandbox.Logs.Lines.Any(l => l.Contains("before position 999999 that the PKI has read"))),
            "the follower says its position is past the Registry's end");
        Assert.Contains(sandbox.Logs.Lines, l => l.Contains("renkei pki recheck"));
    }

    [Theory, StorageData]
    public async Task A_death_revokes_a_card_issued_in_the_moment_after_it_was_recorded(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        await sandbox.StartPkiAsync(s => s["Pki:FollowRegistryEvents"] = "false");
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        await sandbox.RecordAsync(new { kind = "death", residentId = resident.ResidentId });
        // The Registry answered the issuance just before the death was recorded, and the card was stored just after:
        // its issue time is later than the death's.
        var database = sandbox.Pki.Services.GetRequiredService<Database>();
        await using (var c = await database.OpenAsync())
        {
            await c.ExecuteAsync("UPDATE certificates SET issued_at = '2999-01-01T00:00:00.0000000Z'");
            await c.ExecuteAsync("UPDATE cards SET issued_at = '2999-01-01T00:00:00.0000000Z'");
        }
        await sandbox.StartPkiAsync();
        await WaitForStatusAsync(sandbox, card, CertificateKind.Signing, "revoked");
        Assert.Equal("revoked", await StatusAsync(sandbox, card.AuthenticationCertificate, CertificateKind.Authentication));
    }

    [Theory, StorageData]
    public async Task A_change_read_late_does_not_revoke_a_card_issued_after_it(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        await sandbox.StartPkiAsync(s => s["Pki:FollowRegistryEvents"] = "false");
        var resident = await sandbox.RegisterResidentAsync();
        var before = await sandbox.IssueCardAsync(resident);
        await sandbox.RecordAsync(new { kind = "address-change", residentId = resident.ResidentId, address = "千葉県千葉市花見川区幕張町1-1" });
        var after = await sandbox.IssueCardAsync(resident);

        // The PKI now catches up with the feed: the change concerns only what was issued before it.
        await sandbox.StartPkiAsync();
        var follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        var marker = await sandbox.RegisterResidentAsync();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= 3), "the follower read the change and the marker");
        Assert.Equal("revoked", await StatusAsync(sandbox, before.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("good", await StatusAsync(sandbox, after.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("good", await StatusAsync(sandbox, after.AuthenticationCertificate, CertificateKind.Authentication));
        Assert.NotNull(marker);
    }

    [Theory, StorageData]
    public async Task Which_certificates_a_change_revokes_is_decided_by_registry_positions_not_by_the_two_hosts_clocks(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        await sandbox.StartPkiAsync(s => s["Pki:FollowRegistryEvents"] = "false");
        var early = await sandbox.RegisterResidentAsync();
        var late = await sandbox.RegisterResidentAsync();
        // The PKI's host runs ten minutes fast: this card is issued before the change, yet stamped after the Registry's time of it.
        sandbox.Clock.Fixed = DateTimeOffset.UtcNow.AddMinutes(10);
        var before = await sandbox.IssueCardAsync(early);
        await sandbox.RecordAsync(new { kind = "address-change", residentId = early.ResidentId, address = "千葉県千葉市緑区おゆみ野1-1-1" });
        // Then ten minutes slow: this card is issued after the change, yet stamped before it.
        var change = await sandbox.RecordAsync(new { kind = "address-change", residentId = late.ResidentId, address = "千葉県千葉市緑区おゆみ野2-2-2" });
        sandbox.Clock.Fixed = DateTimeOffset.UtcNow.AddMinutes(-10);
        var after = await sandbox.IssueCardAsync(late);
        sandbox.Clock.Fixed = null;

        await sandbox.StartPkiAsync();
        var follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= change), "the follower read both changes");
        Assert.Equal("revoked", await StatusAsync(sandbox, before.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("good", await StatusAsync(sandbox, after.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("good", await StatusAsync(sandbox, before.AuthenticationCertificate, CertificateKind.Authentication));
    }

    [Theory, StorageData]
    public async Task A_move_abroad_read_after_the_return_still_revokes_both_and_spares_a_card_issued_after_the_return(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        // The follower is held back (as behind a database locked for a while) while both leave and come back.
        await sandbox.StartPkiAsync(s => s["Pki:FollowRegistryEvents"] = "false");
        var stayed = await sandbox.RegisterResidentAsync();
        var renewed = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(stayed);
        long last = 0;
        foreach (var resident in new[] { stayed, renewed })
        {
            await sandbox.RecordAsync(new { kind = "move-out", residentId = resident.ResidentId, destination = "abroad" });
            last = await sandbox.RecordAsync(new { kind = "move-in", from = "abroad", residentId = resident.ResidentId, address = "千葉県千葉市中央区本千葉1-1-1" });
        }
        var afterReturn = await sandbox.IssueCardAsync(renewed);

        await sandbox.StartPkiAsync();
        var follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= last), "the follower read both moves of both");
        // The move abroad revoked both (cessationOfOperation), though the Registry says resident again by the time it is read.
        Assert.Equal("revoked", await StatusAsync(sandbox, card.AuthenticationCertificate, CertificateKind.Authentication));
        Assert.Equal("revoked", await StatusAsync(sandbox, card.SigningCertificate, CertificateKind.Signing));
        var view = System.Text.Json.JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync($"api/cards/{card.CardId}")).RootElement;
        Assert.Equal("holder-gone", view.GetProperty("status").GetString());
        Assert.All(view.GetProperty("certificates").EnumerateArray(), c => Assert.Equal("holder-gone", c.GetProperty("reason").GetString()));
        // A card issued after the return carries the items of then, and stays good.
        Assert.Equal("good", await StatusAsync(sandbox, afterReturn.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("good", await StatusAsync(sandbox, afterReturn.AuthenticationCertificate, CertificateKind.Authentication));
    }

    [Theory, StorageData]
    public async Task A_request_with_a_nonce_gets_a_fresh_response_echoing_it_and_one_without_gets_the_cached_response(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var ca = IssuanceTests.Ca(sandbox, CertificateKind.Signing);
        var plain = Ocsp.Request(card.SigningCertificate, ca);

        // Without a nonce: the pre-produced response, byte for byte the same each time, with no nonce in it.
        var (cached, cachedBasic) = await Ocsp.PostAsync(sandbox.Anonymous, plain, ca);
        Assert.Equal(cached, (await Ocsp.PostAsync(sandbox.Anonymous, plain, ca)).Raw);
        Assert.Null(Ocsp.NonceOf(cachedBasic));

        // With a nonce: a response signed for this request, echoing its nonce; each nonce its own.
        var first = RandomNumberGenerator.GetBytes(32);
        var second = RandomNumberGenerator.GetBytes(16);
        var (raw1, basic1) = await Ocsp.PostAsync(sandbox.Anonymous, Ocsp.Request(card.SigningCertificate, ca, first), ca);
        var (raw2, basic2) = await Ocsp.PostAsync(sandbox.Anonymous, Ocsp.Request(card.SigningCertificate, ca, second), ca);
        Assert.Equal(first, Ocsp.NonceOf(basic1));
        Assert.Equal(second, Ocsp.NonceOf(basic2));
        Assert.Equal("good", Ocsp.StatusOf(basic1));
        Assert.NotEqual(cached, raw1);
        Assert.NotEqual(raw1, raw2);
        // The same nonce again is answered again with that nonce (never with the cached, nonce-less response).
        Assert.Equal(first, Ocsp.NonceOf((await Ocsp.PostAsync(sandbox.Anonymous, Ocsp.Request(card.SigningCertificate, ca, first), ca)).Basic));
        // The GET form echoes it too.
        var third = RandomNumberGenerator.GetBytes(20);
        var get = await sandbox.Anonymous.GetByteArrayAsync("ocsp/" + Uri.EscapeDataString(Convert.ToBase64String(Ocsp.Request(card.SigningCertificate, ca, third))));
        Assert.Equal(third, Ocsp.NonceOf((Org.BouncyCastle.Ocsp.BasicOcspResp)new Org.BouncyCastle.Ocsp.OcspResp(get).GetResponseObject()));

        // Nonce requests leave the cache alone: the plain request still gets the very same bytes.
        Assert.Equal(cached, (await Ocsp.PostAsync(sandbox.Anonymous, plain, ca)).Raw);
        // RFC 8954 §2.1: a nonce of 0 octets or over 32 is refused with malformedRequest, over POST and GET alike; 32 is answered.
        foreach (var length in new[] { 0, 33, 64, 200 })
        {
            var request = Ocsp.Request(card.SigningCertificate, ca, RandomNumberGenerator.GetBytes(length));
            var content = new ByteArrayContent(request);
            content.Headers.ContentType = new("application/ocsp-request");
            var posted = new Org.BouncyCastle.Ocsp.OcspResp(await (await sandbox.Anonymous.PostAsync("ocsp", content)).Content.ReadAsByteArrayAsync());
            Assert.Equal(Org.BouncyCastle.Ocsp.OcspRespStatus.MalformedRequest, posted.Status);
            var got = new Org.BouncyCastle.Ocsp.OcspResp(await sandbox.Anonymous.GetByteArrayAsync("ocsp/" + Uri.EscapeDataString(Convert.ToBase64String(request))));
            Assert.Equal(Org.BouncyCastle.Ocsp.OcspRespStatus.MalformedRequest, got.Status);
        }
        var longest = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(longest, Ocsp.NonceOf((await Ocsp.PostAsync(sandbox.Anonymous, Ocsp.Request(card.SigningCertificate, ca, longest), ca)).Basic));

        // After a revocation both paths say revoked at once; the fresh one still echoes its nonce.
        Assert.Equal(HttpStatusCode.OK, (await sandbox.PkiAdmin.PostAsync($"api/cards/{card.CardId}/loss", null)).StatusCode);
        var after = RandomNumberGenerator.GetBytes(32);
        var (_, revoked) = await Ocsp.PostAsync(sandbox.Anonymous, Ocsp.Request(card.SigningCertificate, ca, after), ca);
        Assert.Equal("revoked", Ocsp.StatusOf(revoked));
        Assert.Equal(after, Ocsp.NonceOf(revoked));
        var (plainAfter, plainRevoked) = await Ocsp.PostAsync(sandbox.Anonymous, plain, ca);
        Assert.Equal("revoked", Ocsp.StatusOf(plainRevoked));
        Assert.NotEqual(cached, plainAfter);
    }

    [Fact]
    public async Task Ocsp_times_are_generalized_times_in_whole_seconds_in_the_der()
    {
        // RFC 6960 §4.2.2.1 takes GeneralizedTime from RFC 5280 §4.1.2.5.2: YYYYMMDDHHMMSSZ, no fractional seconds. BouncyCastle 2.x
        // drops them itself (Rfc5280Asn1Utilities), also from a revocation time stored to the tick; this holds it to that.
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var card = await sandbox.IssueCardAsync(await sandbox.RegisterResidentAsync());
        var ca = IssuanceTests.Ca(sandbox, CertificateKind.Signing);
        var good = (await Ocsp.PostAsync(sandbox.Anonymous, Ocsp.Request(card.SigningCertificate, ca), ca)).Basic;
        Assert.Equal(HttpStatusCode.OK, (await sandbox.PkiAdmin.PostAsync($"api/cards/{card.CardId}/loss", null)).StatusCode);
        var revoked = (await Ocsp.PostAsync(sandbox.Anonymous, Ocsp.Request(card.SigningCertificate, ca, RandomNumberGenerator.GetBytes(16)), ca)).Basic;
        Assert.Equal("revoked", Ocsp.StatusOf(revoked));

        // producedAt, thisUpdate, nextUpdate, and revocationTime when revoked: each 15 characters, ending in Z.
        foreach (var (basic, count) in new[] { (good, 3), (revoked, 4) })
        {
            var times = GeneralizedTimes(Org.BouncyCastle.Asn1.Asn1Object.FromByteArray(basic.GetTbsResponseData())).ToList();
            Assert.Equal(count, times.Count);
            Assert.All(times, t => Assert.Matches("^[0-9]{14}Z$", System.Text.Encoding.ASCII.GetString(t.GetEncoded()[2..])));
        }
    }

    private static IEnumerable<Org.BouncyCastle.Asn1.Asn1GeneralizedTime> GeneralizedTimes(Org.BouncyCastle.Asn1.Asn1Encodable value) => value switch
    {
        Org.BouncyCastle.Asn1.Asn1GeneralizedTime time => [time],
        Org.BouncyCastle.Asn1.Asn1Sequence sequence => sequence.Cast<Org.BouncyCastle.Asn1.Asn1Encodable>().SelectMany(GeneralizedTimes),
        Org.BouncyCastle.Asn1.Asn1TaggedObject tagged => GeneralizedTimes(tagged.GetBaseObject()),
        _ => [],
    };

    [Fact]
    public async Task Ocsp_get_answers_say_how_long_http_caches_may_keep_them_and_fresh_or_failed_ones_say_nothing()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var ca = IssuanceTests.Ca(sandbox, CertificateKind.Signing);
        var path = "ocsp/" + Uri.EscapeDataString(Convert.ToBase64String(Ocsp.Request(card.SigningCertificate, ca)));

        // RFC 5019 §6: max-age no later than nextUpdate (here: until the responder would produce it again), Expires at nextUpdate.
        var first = await sandbox.Anonymous.GetAsync(path);
        var basic = (Org.BouncyCastle.Ocsp.BasicOcspResp)new Org.BouncyCastle.Ocsp.OcspResp(await first.Content.ReadAsByteArrayAsync()).GetResponseObject();
        var nextUpdate = new DateTimeOffset(basic.Responses.Single().NextUpdate!.Value, TimeSpan.Zero);
        var cache = first.Headers.CacheControl!;
        Assert.True(cache.Public && cache.NoTransform && cache.MustRevalidate, cache.ToString());
        Assert.InRange(cache.MaxAge!.Value, TimeSpan.FromSeconds(1), nextUpdate - DateTimeOffset.UtcNow);
        Assert.Equal(nextUpdate, first.Content.Headers.Expires!.Value, TimeSpan.FromSeconds(1));
        Assert.NotNull(first.Content.Headers.LastModified);
        var etag = first.Headers.ETag!;
        // The same answer again, with the same ETag.
        var second = await sandbox.Anonymous.GetAsync(path);
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, second.Headers.ETag);

        // A nonce asks for a fresh answer, and an error is no answer to keep: neither says it may be cached.
        var fresh = await sandbox.Anonymous.GetAsync("ocsp/" + Uri.EscapeDataString(Convert.ToBase64String(Ocsp.Request(card.SigningCertificate, ca, RandomNumberGenerator.GetBytes(16)))));
        var malformed = await sandbox.Anonymous.GetAsync("ocsp/");
        foreach (var response in new[] { fresh, malformed })
        {
            Assert.Null(response.Headers.CacheControl?.MaxAge);
            Assert.Null(response.Content.Headers.Expires);
            Assert.Null(response.Headers.ETag);
        }
    }

    [Theory, StorageData]
    public async Task Ocsp_answers_name_the_certid_asked_about_whatever_hash_came_first(StorageProvider provider)
    {
        // RFC 6960 §4.2.1: the response carries the request's CertID; a client matches on it, hash algorithm and all.
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var signingCa = IssuanceTests.Ca(sandbox, CertificateKind.Signing);
        var authenticationCa = IssuanceTests.Ca(sandbox, CertificateKind.Authentication);

        async Task AskAsync(X509Certificate2 certificate, X509Certificate2 ca, Org.BouncyCastle.Asn1.X509.AlgorithmIdentifier? hash, bool get)
        {
            var request = Ocsp.Request(certificate, ca, hash: hash);
            var asked = new Org.BouncyCastle.Ocsp.OcspReq(request).GetRequestList().Single().GetCertID();
            Org.BouncyCastle.Ocsp.BasicOcspResp basic;
            if (get)
            {
                var raw = await sandbox.Anonymous.GetByteArrayAsync("ocsp/" + Uri.EscapeDataString(Convert.ToBase64String(request)));
                basic = (Org.BouncyCastle.Ocsp.BasicOcspResp)new Org.BouncyCastle.Ocsp.OcspResp(raw).GetResponseObject();
            }
            else basic = (await Ocsp.PostAsync(sandbox.Anonymous, request, ca)).Basic;
            var answered = basic.Responses.Single().GetCertID();
            Assert.Equal(asked.HashAlgOid, answered.HashAlgOid);
            Assert.Equal(asked, answered);
            Assert.Equal("good", Ocsp.StatusOf(basic));
        }

        // SHA-256 first then SHA-1 on the signing certificate, over POST then GET; the reverse order on the other one.
        foreach (var get in new[] { false, true })
        {
            await AskAsync(card.SigningCertificate, signingCa, Ocsp.Sha256, get);
            await AskAsync(card.SigningCertificate, signingCa, null, get);
            await AskAsync(card.AuthenticationCertificate, authenticationCa, null, get);
            await AskAsync(card.AuthenticationCertificate, authenticationCa, Ocsp.Sha256, get);
        }
        // Each is still right once both sit in the cache, in either order.
        await AskAsync(card.SigningCertificate, signingCa, null, get: false);
        await AskAsync(card.SigningCertificate, signingCa, Ocsp.Sha256, get: true);
        await AskAsync(card.AuthenticationCertificate, authenticationCa, Ocsp.Sha256, get: false);
        await AskAsync(card.AuthenticationCertificate, authenticationCa, null, get: true);
    }

    [Theory, StorageData]
    public async Task Malformed_and_foreign_ocsp_requests_get_ocsp_errors_not_http_errors(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var content = new ByteArrayContent([1, 2, 3]);
        content.Headers.ContentType = new("application/ocsp-request");
        var response = await sandbox.Anonymous.PostAsync("ocsp", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Org.BouncyCastle.Ocsp.OcspRespStatus.MalformedRequest, new Org.BouncyCastle.Ocsp.OcspResp(await response.Content.ReadAsByteArrayAsync()).Status);

        using var foreign = ForeignCa.Create();
        var request = new ByteArrayContent(Ocsp.Request(foreign.Leaf, foreign.Ca));
        request.Headers.ContentType = new("application/ocsp-request");
        var answer = new Org.BouncyCastle.Ocsp.OcspResp(await (await sandbox.Anonymous.PostAsync("ocsp", request)).Content.ReadAsByteArrayAsync());
        Assert.Equal(Org.BouncyCastle.Ocsp.OcspRespStatus.Unauthorized, answer.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await sandbox.Anonymous.GetAsync("crl/other.crl")).StatusCode);

        // The GET form (RFC 6960 appendix A): the request base64 in the path; not base64 is malformed.
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var get = await sandbox.Anonymous.GetAsync("ocsp/" + Uri.EscapeDataString(Convert.ToBase64String(
            Ocsp.Request(card.AuthenticationCertificate, IssuanceTests.Ca(sandbox, CertificateKind.Authentication)))));
        var basic = (Org.BouncyCastle.Ocsp.BasicOcspResp)new Org.BouncyCastle.Ocsp.OcspResp(await get.Content.ReadAsByteArrayAsync()).GetResponseObject();
        Assert.Null(basic.Responses.Single().GetCertStatus());
        var junk = new Org.BouncyCastle.Ocsp.OcspResp(await (await sandbox.Anonymous.GetAsync("ocsp/not-base64!")).Content.ReadAsByteArrayAsync());
        Assert.Equal(Org.BouncyCastle.Ocsp.OcspRespStatus.MalformedRequest, junk.Status);
        // An empty GET request is malformed too, answered in OCSP (it used to be a JSON problem).
        var emptyGet = await sandbox.Anonymous.GetAsync("ocsp/");
        Assert.Equal(HttpStatusCode.OK, emptyGet.StatusCode);
        Assert.Equal("application/ocsp-response", emptyGet.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Org.BouncyCastle.Ocsp.OcspRespStatus.MalformedRequest, new Org.BouncyCastle.Ocsp.OcspResp(await emptyGet.Content.ReadAsByteArrayAsync()).Status);
        var empty = new ByteArrayContent([]);
        empty.Headers.ContentType = new("application/ocsp-request");
        var emptyAnswer = await sandbox.Anonymous.PostAsync("ocsp", empty);
        Assert.Equal(HttpStatusCode.OK, emptyAnswer.StatusCode);
        Assert.Equal(Org.BouncyCastle.Ocsp.OcspRespStatus.MalformedRequest, new Org.BouncyCastle.Ocsp.OcspResp(await emptyAnswer.Content.ReadAsByteArrayAsync()).Status);
        var truncated = new ByteArrayContent(Ocsp.Request(card.SigningCertificate, IssuanceTests.Ca(sandbox, CertificateKind.Signing))[..40]);
        truncated.Headers.ContentType = new("application/ocsp-request");
        Assert.Equal(Org.BouncyCastle.Ocsp.OcspRespStatus.MalformedRequest,
            new Org.BouncyCastle.Ocsp.OcspResp(await (await sandbox.Anonymous.PostAsync("ocsp", truncated)).Content.ReadAsByteArrayAsync()).Status);
    }

    [Fact]
    public async Task An_ocsp_request_with_bytes_after_it_or_sent_as_another_type_is_refused_and_head_is_answered_where_get_is()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var card = await sandbox.IssueCardAsync(await sandbox.RegisterResidentAsync());
        var request = Ocsp.Request(card.SigningCertificate, IssuanceTests.Ca(sandbox, CertificateKind.Signing));
        async Task<HttpResponseMessage> Post(byte[] body, string? type)
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = type is null ? null : System.Net.Http.Headers.MediaTypeHeaderValue.Parse(type);
            return await sandbox.Anonymous.PostAsync("ocsp", content);
        }
        static async Task<Org.BouncyCastle.Ocsp.OcspResp> Answer(HttpResponseMessage response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return new Org.BouncyCastle.Ocsp.OcspResp(await response.Content.ReadAsByteArrayAsync());
        }

        // The request as sent is answered, the media type read without regard to case; the same with a byte after it is not DER.
        Assert.Equal(Org.BouncyCastle.Ocsp.OcspRespStatus.Successful, (await Answer(await Post(request, "application/ocsp-request"))).Status);
        Assert.Equal(Org.BouncyCastle.Ocsp.OcspRespStatus.Successful, (await Answer(await Post(request, "Application/OCSP-Request"))).Status);
        byte[] trailing = [.. request, 0];
        Assert.Equal(Org.BouncyCastle.Ocsp.OcspRespStatus.MalformedRequest, (await Answer(await Post(trailing, "application/ocsp-request"))).Status);
        Assert.Equal(Org.BouncyCastle.Ocsp.OcspRespStatus.MalformedRequest,
            (await Answer(await sandbox.Anonymous.GetAsync("ocsp/" + Uri.EscapeDataString(Convert.ToBase64String(trailing))))).Status);
        byte[] twice = [.. request, .. request];
        Assert.Equal(Org.BouncyCastle.Ocsp.OcspRespStatus.MalformedRequest, (await Answer(await Post(twice, "application/ocsp-request"))).Status);

        // Another media type, or none, is not an OCSP client's: an HTTP problem saying what to send (RFC 6960 A.1).
        foreach (var type in new[] { "application/json", "application/x-www-form-urlencoded", null })
        {
            var problem = await ProblemAssert.IsProblemAsync(await Post(request, type), 415, "unsupported-media-type");
            Assert.Contains("application/ocsp-request", problem.GetProperty("detail").GetString());
        }

        // HEAD wherever GET is: the same status and headers, no body.
        foreach (var path in new[] { "crl/signing.crl", "crl/authentication.crl", "crl/root.crl", "ca/root.pem", "ca/chain.pem", "ca/signing.cer",
            "ocsp/" + Uri.EscapeDataString(Convert.ToBase64String(request)) })
        {
            using var get = await sandbox.Anonymous.GetAsync(path);
            using var head = await sandbox.Anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.True(head.StatusCode == HttpStatusCode.OK, $"HEAD {path}: {(int)head.StatusCode}");
            Assert.Equal(get.Content.Headers.ContentType?.MediaType, head.Content.Headers.ContentType?.MediaType);
            Assert.Equal(get.Content.Headers.ContentLength, head.Content.Headers.ContentLength);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await sandbox.Anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, "ca/other.pem"))).StatusCode);
    }
}
