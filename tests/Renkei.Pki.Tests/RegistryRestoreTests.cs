using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Cards;
using Renkei.Pki.Revocation;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

/// <summary>
/// A Registry restored from a backup gives the positions of the lost events to new ones: the PKI notices instead of skipping them,
/// applies nothing until the operator's re-check, and the re-check revokes what the Registry's current records make untrue.
/// </summary>
public sealed class RegistryRestoreTests
{
    [Fact]
    public async Task A_restored_registry_stops_the_follower_and_the_recheck_revokes_the_dead_holders_card_and_spares_the_living()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var dies = await sandbox.RegisterResidentAsync();
        var lives = await sandbox.RegisterResidentAsync();
        var moves = await sandbox.RegisterResidentAsync();
        var leaves = await sandbox.RegisterResidentAsync();
        var backup = Backup(sandbox);
        var change = await sandbox.RecordAsync(new { kind = "address-change", residentId = dies.ResidentId, address = "千葉県千葉市美浜区中瀬9-9-9" });
        var follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= change), "follower read the change");
        var card = await sandbox.IssueCardAsync(dies);                                    // registry_position = change
        var living = await sandbox.IssueCardAsync(lives);
        var moving = await sandbox.IssueCardAsync(moves);
        var leaving = await sandbox.IssueCardAsync(leaves);
        var kept = (follower.Position, follower.EventId);

        Restore(sandbox, backup);
        // The restored log gives the change's position to the death: read by position alone, it would look already read, or would
        // spare a card whose items are from a higher position.
        var death = await sandbox.RecordAsync(new { kind = "death", residentId = dies.ResidentId });
        Assert.Equal(change, death);
        await sandbox.RecordAsync(new { kind = "address-change", residentId = moves.ResidentId, address = "千葉県千葉市緑区おゆみ野3-3-3" });
        await sandbox.RecordAsync(new { kind = "move-out", residentId = leaves.ResidentId, destination = "abroad" });

        var feed = await EventuallyRewoundAsync(sandbox);
        Assert.Equal(kept, (follower.Position, follower.EventId));                         // nothing applied, nothing skipped
        Assert.Equal(kept.Position, feed.GetProperty("position").GetInt64());
        Assert.Contains("restored from a backup", feed.GetProperty("detail").GetString());
        Assert.Contains("renkei pki recheck", feed.GetProperty("detail").GetString());
        Assert.Single(sandbox.Logs.Lines, l => l.Contains("restored from a backup"));       // said once, loudly, in one line
        Assert.Equal("good", await StatusAsync(sandbox, card.SigningCertificate, CertificateKind.Signing));

        // The operator's recovery: every live card against the Registry's current records.
        var result = await RecheckAsync(sandbox);
        Assert.Equal(0, result.GetProperty("replayed").GetInt32());                       // the restored log's events cannot be told apart from the lost ones
        Assert.Equal(4, result.GetProperty("checked").GetInt32());
        Assert.Equal(new[] { card.CardId, leaving.CardId }.Order(), result.GetProperty("holderGone").EnumerateArray().Select(e => e.GetString()!).Order());
        Assert.Equal([moving.CardId], result.GetProperty("itemsChanged").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("revoked", await StatusAsync(sandbox, card.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("revoked", await StatusAsync(sandbox, card.AuthenticationCertificate, CertificateKind.Authentication));
        Assert.Equal("good", await StatusAsync(sandbox, living.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("good", await StatusAsync(sandbox, living.AuthenticationCertificate, CertificateKind.Authentication));
        Assert.Equal("revoked", await StatusAsync(sandbox, moving.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("good", await StatusAsync(sandbox, moving.AuthenticationCertificate, CertificateKind.Authentication));
        Assert.Equal("revoked", await StatusAsync(sandbox, leaving.AuthenticationCertificate, CertificateKind.Authentication));

        // The follower goes on from the Registry's end as it now is, and the next death revokes as any does.
        var status = JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync("api/registry-feed")).RootElement;
        Assert.Equal("following", status.GetProperty("status").GetString());
        Assert.Equal(result.GetProperty("position").GetInt64(), status.GetProperty("position").GetInt64());
        await sandbox.RecordAsync(new { kind = "death", residentId = lives.ResidentId });
        await PkiSandbox.EventuallyAsync(async () => await StatusAsync(sandbox, living.AuthenticationCertificate, CertificateKind.Authentication) == "revoked",
            "the death after the re-check revoked the card");
    }

    [Fact]
    public async Task A_registry_restored_while_the_pki_was_down_and_grown_past_its_position_is_noticed_not_skipped()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var resident = await sandbox.RegisterResidentAsync();
        var backup = Backup(sandbox);
        var marker = await sandbox.RegisterResidentAsync();
        var follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= 2), "follower read the marker");
        var card = await sandbox.IssueCardAsync(resident);

        await sandbox.StartPkiAsync(s => s["Pki:FollowRegistryEvents"] = "false");         // the PKI is down during the restore
        Restore(sandbox, backup);
        // The restored Registry records more than the PKI had read: the position it kept exists again, holding another event.
        await sandbox.RecordAsync(new { kind = "death", residentId = resident.ResidentId });
        await sandbox.RegisterResidentAsync();
        await sandbox.StartPkiAsync();

        var feed = await EventuallyRewoundAsync(sandbox);
        Assert.Equal(2, feed.GetProperty("position").GetInt64());
        Assert.Contains("is not the one the PKI read", feed.GetProperty("detail").GetString());
        // It used to read on from position 2, past the death at 2: the dead person's card stayed good for good.
        Assert.Equal("good", await StatusAsync(sandbox, card.AuthenticationCertificate, CertificateKind.Authentication));
        Assert.Equal(2, sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>().Position);
        Assert.NotNull(marker);
    }

    [Theory, StorageData]
    public async Task The_recheck_revokes_for_death_move_abroad_and_changed_items_and_the_follower_goes_on_from_the_end(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var dies = await sandbox.RegisterResidentAsync();
        var leaves = await sandbox.RegisterResidentAsync();
        var renamed = await sandbox.RegisterResidentAsync();
        var stays = await sandbox.RegisterResidentAsync();
        var cards = new[] { await sandbox.IssueCardAsync(dies), await sandbox.IssueCardAsync(leaves), await sandbox.IssueCardAsync(renamed), await sandbox.IssueCardAsync(stays) };
        var following = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(following.Position >= 4), "the follower read the move-ins");
        // The changes happen while the PKI follows nothing: only the re-check can see them, applying the events from the kept position.
        await sandbox.StartPkiAsync(s => s["Pki:FollowRegistryEvents"] = "false");
        await sandbox.RecordAsync(new { kind = "death", residentId = dies.ResidentId });
        await sandbox.RecordAsync(new { kind = "move-out", residentId = leaves.ResidentId, destination = "abroad" });
        var end = await sandbox.RecordAsync(new { kind = "name-change", residentId = renamed.ResidentId, familyName = "改姓", familyNameKana = "カイセイ" });
        Assert.Equal("not-following", JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync("api/registry-feed")).RootElement.GetProperty("status").GetString());

        var result = await RecheckAsync(sandbox);
        Assert.Equal(3, result.GetProperty("replayed").GetInt32());
        Assert.Equal(2, result.GetProperty("checked").GetInt32());                       // the cards still live once the events were applied
        Assert.Equal(new[] { cards[0].CardId, cards[1].CardId }.Order(), result.GetProperty("holderGone").EnumerateArray().Select(e => e.GetString()!).Order());
        Assert.Equal([cards[2].CardId], result.GetProperty("itemsChanged").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(end, result.GetProperty("position").GetInt64());
        foreach (var gone in cards[..2])
        {
            Assert.Equal("revoked", await StatusAsync(sandbox, gone.SigningCertificate, CertificateKind.Signing));
            Assert.Equal("revoked", await StatusAsync(sandbox, gone.AuthenticationCertificate, CertificateKind.Authentication));
            Assert.Equal("holder-gone", JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync($"api/cards/{gone.CardId}")).RootElement.GetProperty("status").GetString());
        }
        Assert.Equal("revoked", await StatusAsync(sandbox, cards[2].SigningCertificate, CertificateKind.Signing));
        Assert.Equal("good", await StatusAsync(sandbox, cards[2].AuthenticationCertificate, CertificateKind.Authentication));
        Assert.Equal("good", await StatusAsync(sandbox, cards[3].SigningCertificate, CertificateKind.Signing));

        // Run again, it finds nothing more; the follower, started, goes on from the end the re-check kept, applying nothing twice.
        var again = await RecheckAsync(sandbox);
        Assert.Equal(0, again.GetProperty("holderGone").GetArrayLength() + again.GetProperty("itemsChanged").GetArrayLength());
        await sandbox.StartPkiAsync();
        var follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        var marker = await sandbox.RecordAsync(new { kind = "address-change", residentId = stays.ResidentId, address = "千葉県千葉市若葉区桜木5-5-5" });
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= marker), "the follower read on from the end");
        Assert.Equal("revoked", await StatusAsync(sandbox, cards[3].SigningCertificate, CertificateKind.Signing));
        Assert.Equal("following", JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync("api/registry-feed")).RootElement.GetProperty("status").GetString());
    }

    [Theory, StorageData]
    public async Task A_recheck_while_the_follower_was_off_applies_a_move_abroad_and_return_as_the_follower_would(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var leaves = await sandbox.RegisterResidentAsync();
        var stays = await sandbox.RegisterResidentAsync();
        var follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        var read = await sandbox.RecordAsync(new { kind = "address-change", residentId = stays.ResidentId, address = "千葉県千葉市花見川区幕張町1-1-1" });
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= read), "the follower read up to here");
        var card = await sandbox.IssueCardAsync(leaves);
        var kept = await sandbox.IssueCardAsync(stays);
        // The follower is off while the holder leaves for abroad and comes back: the Registry's record says resident again.
        await sandbox.StartPkiAsync(s => s["Pki:FollowRegistryEvents"] = "false");
        await sandbox.RecordAsync(new { kind = "move-out", residentId = leaves.ResidentId, destination = "abroad" });
        await sandbox.RecordAsync(new { kind = "move-in", from = "abroad", residentId = leaves.ResidentId, address = "千葉県千葉市中央区本千葉1-1-1" });

        var result = await RecheckAsync(sandbox);

        // As the follower revokes a card from before a move abroad (it used to judge by the record alone and revoke the signing one only).
        Assert.Equal([card.CardId], result.GetProperty("holderGone").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, result.GetProperty("itemsChanged").GetArrayLength());
        Assert.Equal("revoked", await StatusAsync(sandbox, card.AuthenticationCertificate, CertificateKind.Authentication));
        Assert.Equal("revoked", await StatusAsync(sandbox, card.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("holder-gone", JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync($"api/cards/{card.CardId}")).RootElement.GetProperty("status").GetString());
        Assert.Equal("good", await StatusAsync(sandbox, kept.SigningCertificate, CertificateKind.Signing));
        // Run again, it finds nothing: the replayed events are behind the position it kept.
        var again = await RecheckAsync(sandbox);
        Assert.Equal(0, again.GetProperty("holderGone").GetArrayLength() + again.GetProperty("itemsChanged").GetArrayLength());
    }

    [Theory, StorageData]
    public async Task Events_recorded_while_a_recheck_runs_are_read_again_and_judge_the_cards_it_kept(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        long back = 0;
        // After the re-check noted the Registry's end and before it asks about the holder, the holder leaves for abroad and comes back
        // to the same address: the record it reads says resident, with the same items, as of the return.
        await sandbox.StartPkiAsync(services: PkiSandbox.OnResidentQuestion(async call =>
        {
            if (call != 1) return null;
            await sandbox.RecordAsync(new { kind = "move-out", residentId = resident.ResidentId, destination = "abroad" });
            back = await sandbox.RecordAsync(new { kind = "move-in", from = "abroad", residentId = resident.ResidentId, address = card.Face.Address });
            return null;
        }));

        var result = await RecheckAsync(sandbox);
        Assert.Equal(1, result.GetProperty("checked").GetInt32());
        Assert.True(result.GetProperty("position").GetInt64() < back);
        Assert.Equal(0, result.GetProperty("holderGone").GetArrayLength() + result.GetProperty("itemsChanged").GetArrayLength());

        // The follower reads the move abroad again, and revokes the card from before it (the card was marked as read at the return,
        // which the move abroad then spared).
        var follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= back), "the follower read the events recorded during the re-check");
        Assert.Equal("revoked", await StatusAsync(sandbox, card.AuthenticationCertificate, CertificateKind.Authentication));
        Assert.Equal("holder-gone", JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync($"api/cards/{card.CardId}")).RootElement.GetProperty("status").GetString());
    }

    [Theory, StorageData]
    public async Task A_card_issued_while_a_recheck_replays_keeps_the_position_of_its_items_and_the_events_before_them_spare_it(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var returns = await sandbox.RegisterResidentAsync();
        var other = await sandbox.RegisterResidentAsync();
        var follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= 2), "the follower read the move-ins");
        // The follower is off and behind by one event, so the re-check replays; it is held there, after it noted the Registry's end.
        var replaying = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await sandbox.StartPkiAsync(s => s["Pki:FollowRegistryEvents"] = "false", PkiSandbox.OnEventsRead(async call =>
        {
            if (call != 1) return;
            replaying.SetResult();
            await held.Task;
        }));
        using var release = new Releaser(held);
        var end = await sandbox.RecordAsync(new { kind = "address-change", residentId = other.ResidentId, address = "千葉県千葉市若葉区若松町2-2-2" });
        Assert.Equal(HttpStatusCode.Accepted, (await sandbox.PkiAdmin.PostAsync("api/registry-feed/recheck", null)).StatusCode);
        await replaying.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Meanwhile the holder moves abroad and comes back, and is issued a card: its items are from the return, past the end noted.
        await sandbox.RecordAsync(new { kind = "move-out", residentId = returns.ResidentId, destination = "abroad" });
        var back = await sandbox.RecordAsync(new { kind = "move-in", from = "abroad", residentId = returns.ResidentId, address = "千葉県千葉市中央区本千葉2-2-2" });
        var card = await sandbox.IssueCardAsync(returns);
        held.SetResult();
        var done = await EndedAsync(sandbox);
        Assert.True(done.GetProperty("state").GetString() == "done", done.GetRawText());
        Assert.Equal(end, done.GetProperty("position").GetInt64());
        Assert.Equal(0, done.GetProperty("checked").GetInt32());                           // its issuance judged it, after the end noted

        // The follower reads on from the end: the move abroad and the return are behind the card's items and spare it (it used to be
        // marked as read at the end, and the move abroad then took it for a card from before it: holder-gone).
        await sandbox.StartPkiAsync();
        follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= back), "the follower read the move abroad and the return");
        Assert.Equal("active", JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync($"api/cards/{card.CardId}")).RootElement.GetProperty("status").GetString());
        Assert.Equal("good", await StatusAsync(sandbox, card.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("good", await StatusAsync(sandbox, card.AuthenticationCertificate, CertificateKind.Authentication));
    }

    [Fact]
    public async Task A_card_whose_position_is_from_the_log_a_restore_lost_is_brought_back_to_the_end_and_judged_by_the_events_after_it()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var resident = await sandbox.RegisterResidentAsync();
        var backup = Backup(sandbox);
        await sandbox.RegisterResidentAsync();
        var lost = await sandbox.RecordAsync(new { kind = "address-change", residentId = resident.ResidentId, address = "千葉県千葉市美浜区打瀬3-3-3" });
        var follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= lost), "the follower read the change");
        var card = (await sandbox.IssueCardAsync(resident)).CardId;                         // its items are from position lost
        await sandbox.StartPkiAsync(s => s["Pki:FollowRegistryEvents"] = "false");
        Restore(sandbox, backup);                                                           // the change is lost, and the log ends before it

        var result = await RecheckAsync(sandbox);
        Assert.Equal(1, result.GetProperty("checked").GetInt32());
        Assert.True(result.GetProperty("position").GetInt64() < lost);
        Assert.Equal(1, result.GetProperty("itemsChanged").GetArrayLength());              // the restored record has the old address

        // Brought back to the end, it is judged by the restored log's events after it, whatever positions they reuse.
        await sandbox.StartPkiAsync();
        follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        var leaves = await sandbox.RecordAsync(new { kind = "move-out", residentId = resident.ResidentId, destination = "abroad" });
        Assert.True(leaves < lost);
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= leaves), "the follower read the move abroad");
        Assert.Equal("holder-gone", JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync($"api/cards/{card}")).RootElement.GetProperty("status").GetString());
    }

    /// <summary>Starts a re-check and waits for it to end; returns how it ended (GET /api/registry-feed's <c>recheck</c>), done unless <paramref name="state"/> says otherwise.</summary>
    private static async Task<JsonElement> RecheckAsync(PkiSandbox sandbox, string state = "done")
    {
        var response = await sandbox.PkiAdmin.PostAsync("api/registry-feed/recheck", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        Assert.Equal("/api/registry-feed", response.Headers.Location?.ToString());
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(body).RootElement.GetProperty("recheck").ValueKind);
        var recheck = await EndedAsync(sandbox);
        Assert.True(recheck.GetProperty("state").GetString() == state, recheck.GetRawText());
        return recheck;
    }

    private static async Task<JsonElement> EndedAsync(PkiSandbox sandbox)
    {
        JsonElement recheck = default;
        await PkiSandbox.EventuallyAsync(async () =>
        {
            recheck = JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync("api/registry-feed")).RootElement.GetProperty("recheck");
            return recheck.GetProperty("state").GetString() != "running";
        }, "the re-check ended");
        return recheck;
    }

    [Fact]
    public async Task A_recheck_the_registry_cannot_answer_moves_no_position_and_the_feed_needs_its_permission()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var resident = await sandbox.RegisterResidentAsync();
        await sandbox.IssueCardAsync(resident);
        var follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= 1), "the follower read the move-in");
        await sandbox.StartPkiAsync(s => s["Pki:RegistryUrl"] = "http://127.0.0.1:9/");
        var refused = await RecheckAsync(sandbox, "failed");
        Assert.Equal("registry-unavailable", refused.GetProperty("reason").GetString());
        Assert.Contains("feed position was not moved", refused.GetProperty("detail").GetString());
        Assert.NotNull(refused.GetProperty("finishedAt").GetString());
        await using (var c = await IssuanceTests.TestDatabaseOf(sandbox).OpenAsync())
            Assert.Equal(1L, await c.ScalarAsync<long>("SELECT position FROM registry_feed"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await sandbox.Anonymous.PostAsync("api/registry-feed/recheck", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await sandbox.Anonymous.GetAsync("api/registry-feed")).StatusCode);
    }

    [Theory, StorageData]
    public async Task A_recheck_runs_in_the_background_shows_its_progress_and_a_second_start_while_it_runs_is_refused(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var cards = new List<IndividualNumberCard>();
        foreach (var _ in Enumerable.Range(0, 3)) cards.Add(await sandbox.IssueCardAsync(await sandbox.RegisterResidentAsync()));
        // The re-check is held before its second question: one card checked of three.
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await sandbox.StartPkiAsync(services: PkiSandbox.OnResidentQuestion(async call =>
        {
            if (call == 2) await held.Task;
            return null;
        }));

        using var release = new Releaser(held);
        var started = await sandbox.PkiAdmin.PostAsync("api/registry-feed/recheck", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal("/api/registry-feed", started.Headers.Location?.ToString());
        Assert.Equal("running", JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("recheck").GetProperty("state").GetString());
        JsonElement running = default;
        await PkiSandbox.EventuallyAsync(async () =>
        {
            running = JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync("api/registry-feed")).RootElement.GetProperty("recheck");
            return running.GetProperty("checked").GetInt32() == 1;
        }, "the re-check checked its first card");
        Assert.Equal("running", running.GetProperty("state").GetString());
        Assert.Equal(3, running.GetProperty("total").GetInt32());
        Assert.False(running.TryGetProperty("finishedAt", out _));
        Assert.False(running.TryGetProperty("position", out _));

        // Not started twice: the caller is told one runs, and where to follow it.
        var second = await ProblemAssert.IsProblemAsync(await sandbox.PkiAdmin.PostAsync("api/registry-feed/recheck", null), 409, "recheck-running");
        Assert.Contains("(1 of 3 cards checked); no other was started", second.GetProperty("detail").GetString());
        Assert.Contains("GET /api/registry-feed", second.GetProperty("detail").GetString());

        held.SetResult();
        var done = await EndedAsync(sandbox);
        Assert.Equal("done", done.GetProperty("state").GetString());
        Assert.Equal(3, done.GetProperty("checked").GetInt32());
        Assert.Equal(0, done.GetProperty("holderGone").GetArrayLength());
        Assert.NotNull(done.GetProperty("finishedAt").GetString());
        Assert.Equal(JsonValueKind.Number, done.GetProperty("position").ValueKind);
        // Once it has ended, another may start.
        Assert.Equal(3, (await RecheckAsync(sandbox)).GetProperty("checked").GetInt32());
        Assert.Equal("good", await StatusAsync(sandbox, cards[0].SigningCertificate, CertificateKind.Signing));
    }

    [Fact]
    public async Task The_api_document_says_a_recheck_is_accepted_with_a_location_or_refused_while_one_runs()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var document = JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync("openapi/v1.json")).RootElement;
        var responses = document.GetProperty("paths").GetProperty("/api/registry-feed/recheck").GetProperty("post").GetProperty("responses");
        Assert.True(responses.GetProperty("202").GetProperty("headers").TryGetProperty("Location", out _));
        Assert.True(responses.GetProperty("409").GetProperty("content").TryGetProperty("application/problem+json", out _));
        var view = document.GetProperty("components").GetProperty("schemas").GetProperty("RecheckView").GetProperty("properties");
        Assert.Equal(["running", "done", "failed"], view.GetProperty("state").GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("date-time", view.GetProperty("startedAt").GetProperty("format").GetString());
    }

    [Fact]
    public async Task A_recheck_that_stops_short_leaves_the_feed_rewound_since_when_it_was_and_only_the_registrys_unknown_resident_counts_as_gone()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var resident = await sandbox.RegisterResidentAsync();
        var backup = Backup(sandbox);
        var marker = await sandbox.RegisterResidentAsync();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>().Position >= 2), "the follower read the marker");
        var card = await sandbox.IssueCardAsync(resident);
        // A proxy in front of the Registry answers its first question about a resident with a 404 of its own, not the Registry's.
        await sandbox.StartPkiAsync(services: PkiSandbox.OnResidentQuestion(call => Task.FromResult(call == 1
            ? new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent("<html>Not Found</html>", System.Text.Encoding.UTF8, "text/html") }
            : null)));
        Restore(sandbox, backup);
        await sandbox.RecordAsync(new { kind = "address-change", residentId = resident.ResidentId, address = "千葉県千葉市稲毛区稲毛1-1-1" });
        await sandbox.RegisterResidentAsync();
        var rewound = await EventuallyRewoundAsync(sandbox);

        var failed = await RecheckAsync(sandbox, "failed");
        Assert.Equal("registry-unavailable", failed.GetProperty("reason").GetString());
        Assert.Equal(0, failed.GetProperty("checked").GetInt32());
        // The card is not taken for a gone holder's, and the feed says rewound since when it was, with the re-check's failure beside it.
        Assert.Equal("good", await StatusAsync(sandbox, card.AuthenticationCertificate, CertificateKind.Authentication));
        var feed = JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync("api/registry-feed")).RootElement;
        Assert.Equal("rewound", feed.GetProperty("status").GetString());
        Assert.Equal(rewound.GetProperty("since").GetString(), feed.GetProperty("since").GetString());
        Assert.Equal("failed", feed.GetProperty("recheck").GetProperty("state").GetString());

        // Run again once the Registry answers: the changed address revokes the signing certificate, and the follower follows.
        var done = await RecheckAsync(sandbox);
        Assert.Equal([card.CardId], done.GetProperty("itemsChanged").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("revoked", await StatusAsync(sandbox, card.SigningCertificate, CertificateKind.Signing));
        Assert.Equal("following", JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync("api/registry-feed")).RootElement.GetProperty("status").GetString());
        Assert.NotNull(marker);
    }

    [Fact]
    public async Task A_position_kept_without_its_event_id_takes_the_registrys_event_there_once_and_says_so()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        await sandbox.RegisterResidentAsync();
        var follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.Position >= 1), "the follower read the move-in");
        var id = follower.EventId;
        Assert.NotNull(id);
        await sandbox.StartPkiAsync(s => s["Pki:FollowRegistryEvents"] = "false");
        // As kept by the version before event ids.
        await using (var c = await IssuanceTests.TestDatabaseOf(sandbox).OpenAsync()) await c.ExecuteAsync("UPDATE registry_feed SET event_id = NULL");
        await sandbox.StartPkiAsync();
        follower = sandbox.Pki.Services.GetRequiredService<RegistryEventFollower>();
        await PkiSandbox.EventuallyAsync(() => Task.FromResult(follower.EventId == id), "the follower took the event at its position");
        Assert.Contains(sandbox.Logs.Lines, l => l.Contains("had no event id") && l.Contains(id!));
        await using (var c = await IssuanceTests.TestDatabaseOf(sandbox).OpenAsync())
            Assert.Equal(id, await c.ScalarAsync<string>("SELECT event_id FROM registry_feed"));
    }

    /// <summary>Lets a held re-check go when the test ends, passed or not, so that the PKI stops without waiting for it.</summary>
    private sealed class Releaser(TaskCompletionSource held) : IDisposable
    {
        public void Dispose() => held.TrySetResult();
    }

    private static async Task<JsonElement> EventuallyRewoundAsync(PkiSandbox sandbox)
    {
        JsonElement feed = default;
        await PkiSandbox.EventuallyAsync(async () =>
        {
            feed = JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync("api/registry-feed")).RootElement;
            return feed.GetProperty("status").GetString() == "rewound";
        }, "the PKI says the Registry's feed is not the one it read");
        return feed;
    }

    private static Task<string> StatusAsync(PkiSandbox sandbox, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, CertificateKind kind) =>
        Ocsp.StatusAsync(sandbox.Anonymous, certificate, IssuanceTests.Ca(sandbox, kind));

    /// <summary>The nightly backup of the (SQLite) Registry, taken while it runs.</summary>
    private static string Backup(PkiSandbox sandbox)
    {
        var file = Path.Combine(sandbox.Folder, $"registry-backup-{Guid.NewGuid():N}.db");
        Copy(sandbox, file, toBackup: true);
        return file;
    }

    /// <summary>Restores the Registry's database from <paramref name="file"/> while it runs.</summary>
    private static void Restore(PkiSandbox sandbox, string file) => Copy(sandbox, file, toBackup: false);

    private static void Copy(PkiSandbox sandbox, string file, bool toBackup)
    {
        var registryDb = sandbox.Registry.Services.GetRequiredService<Database>();
        using var live = (SqliteConnection)registryDb.OpenAsync().GetAwaiter().GetResult();
        using var backup = new SqliteConnection($"Data Source={file};Pooling=False");
        backup.Open();
        if (toBackup) live.BackupDatabase(backup);
        else backup.BackupDatabase(live);
    }
}
