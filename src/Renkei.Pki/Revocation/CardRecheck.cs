using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Cards;
using Renkei.Pki.Certificates;
using Renkei.Pki.Registry;

namespace Renkei.Pki.Revocation;

/// <summary>
/// What a re-check did: how many Registry events it applied from the kept position (when that was still the Registry's), how many
/// live cards it then checked, the cards it took out of use (holder dead, abroad or not on the register), those whose signing
/// certificate it revoked (name, address, date of birth or sex changed since issuance), and the feed position and event the follower
/// goes on from.
/// </summary>
public sealed record RecheckResult(int Replayed, int Checked, List<string> HolderGone, List<string> ItemsChanged, long Position, string? EventId);

/// <summary>How far a running re-check has come: written by the re-check, read by GET /api/registry-feed at any moment.</summary>
public sealed class RecheckProgress
{
    private readonly Lock gate = new();
    private readonly List<string> holderGone = [];
    private readonly List<string> itemsChanged = [];
    private int replayed, checkedCards;
    private int? total;

    /// <summary>Registry events applied from the kept position.</summary>
    public int Replayed { get { lock (gate) return replayed; } }

    /// <summary>Cards asked about so far.</summary>
    public int Checked { get { lock (gate) return checkedCards; } }

    /// <summary>The cards to ask about (those there when the end was noted and still active once the events were applied); null until they are counted.</summary>
    public int? Total { get { lock (gate) return total; } }

    public void EventReplayed() { lock (gate) replayed++; }

    public void Listed(int cards) { lock (gate) total = cards; }

    public void CardChecked() { lock (gate) checkedCards++; }

    /// <summary>A card the re-check revoked: holder gone (both certificates) or items changed (the signing one); holder gone says it all.</summary>
    public void Revoked(string cardId, bool holderGone)
    {
        lock (gate)
        {
            if (holderGone)
            {
                itemsChanged.Remove(cardId);
                if (!this.holderGone.Contains(cardId)) this.holderGone.Add(cardId);
            }
            else if (!this.holderGone.Contains(cardId) && !itemsChanged.Contains(cardId)) itemsChanged.Add(cardId);
        }
    }

    /// <summary>The cards revoked so far, copied.</summary>
    public (List<string> HolderGone, List<string> ItemsChanged) Cards() { lock (gate) return ([.. holderGone], [.. itemsChanged]); }
}

/// <summary>
/// The recovery from a Registry restored from a backup (FeedRewoundException): the events between the backup and the restore are
/// gone, and the positions they had are given to other events, so no kept position can be trusted. The holder of every card live
/// when the re-check began is checked against the Registry's current records instead (a card issued later was checked by its issuance), and the follower goes on from the end of the Registry's log as it was
/// before the first card was checked (what comes after it is read again; a revocation twice is one). Where the kept position is
/// still the Registry's (a re-check run while the follower lagged or was off), the events from it to that end are first applied as
/// the follower would have: the current records alone cannot tell a holder who moved abroad and came back.
/// </summary>
public sealed class CardRecheck(IServiceProvider services, Database database, RegistryEventRevocation events, RevocationService revocation, TimeProvider clock,
    ILogger<CardRecheck> logger)
{
    /// <summary>
    /// Runs the re-check, reporting to <paramref name="progress"/> as it goes. <paramref name="ct"/> (the PKI stopping) stops it between
    /// two cards; what was revoked by then stays revoked, and the position is not moved.
    /// </summary>
    public async Task<(RecheckResult? Result, CardRefusal? Refusal)> RunAsync(RecheckProgress progress, CancellationToken ct)
    {
        var follower = services.GetService<RegistryEventFollower>();
        RegistryEventFollower.Hold? hold = null;
        try { hold = follower is null ? null : await follower.HoldAsync(ct); }
        catch (OperationCanceledException) { return (null, Stopped(progress)); }
        await using var _ = hold;
        var registry = services.GetRequiredService<RegistryClient>();
        // The cards there are before the end is noted: only their items were read before it. A card stored later was judged by its
        // own issuance (the Registry asked twice, after the end), and its items may be from past the end (below, ApplyAsync).
        HashSet<string> before;
        await using (var c = await database.OpenAsync(CancellationToken.None))
            before = [.. await c.QueryAsync("SELECT card_id FROM cards WHERE status IN ('pending', 'active')", r => r.GetString(0), null)];
        RegistryFeedEnd end;
        try { end = await registry.FeedEndAsync(ct); }
        // InvalidOperationException: no Registry configured (no base address to ask).
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or System.Text.Json.JsonException)
        {
            return (null, ct.IsCancellationRequested ? Stopped(progress) : Unanswered(progress));
        }
        try { await ReplayAsync(registry, end.Position, progress, ct); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return (null, ct.IsCancellationRequested ? Stopped(progress) : Unanswered(progress));
        }

        List<(string CardId, string ResidentId)> cards;
        await using (var c = await database.OpenAsync(CancellationToken.None))
            cards = (await c.QueryAsync("SELECT card_id, resident_id FROM cards WHERE status = 'active' ORDER BY card_id", r => (r.GetString(0), r.GetString(1)), null))
                .Where(card => before.Contains(card.Item1)).ToList();
        before.Clear();
        progress.Listed(cards.Count);
        foreach (var (cardId, residentId) in cards)
        {
            if (ct.IsCancellationRequested) return (null, Stopped(progress));
            // Not cut off midway by the PKI stopping: what is checked is committed card by card, and the position moves only at the end.
            var (identity, refusal) = await registry.ResidentAsync(residentId, CancellationToken.None);
            // Only the Registry's own word that it has no such resident means the holder is gone: any other 404 (a proxy, a
            // wrong base path) would otherwise revoke every card, and revocation cannot be undone.
            if (identity is null && !(refusal!.Status == 404 && refusal.Type.EndsWith(":unknown-resident", StringComparison.Ordinal)))
                return (null, Unanswered(progress));
            var gone = identity is null || identity.Status is "deceased" or "abroad";
            var verdict = await ApplyAsync(cardId, residentId, gone ? null : identity!, end.Position);
            if (verdict != Verdict.Kept) progress.Revoked(cardId, holderGone: verdict == Verdict.HolderGone);
            progress.CardChecked();
        }
        await using (var c = await database.OpenAsync(CancellationToken.None))
        {
            await using var tx = await c.BeginTransactionAsync();
            await RegistryEventRevocation.KeepAsync(c, tx, end.Position, end.EventId, clock.GetUtcNow().UtcDateTime);
            await tx.CommitAsync();
            hold?.Moved();
        }
        var (holderGone, itemsChanged) = progress.Cards();
        logger.LogInformation("カードの照合が終わりました：{Checked} 枚を照合し、{Gone} 枚を所持者不在で失効、{Changed} 枚の署名用証明書を失効しました。位置 {Position} から反映を続けます / " +
            "Card re-check done: {Checked} cards checked, {Gone} revoked as their holder is gone, {Changed} signing certificates revoked as the items changed; " +
            "following the Registry's events on from position {Position}", cards.Count, holderGone.Count, itemsChanged.Count, end.Position,
            cards.Count, holderGone.Count, itemsChanged.Count, end.Position);
        return (new RecheckResult(progress.Replayed, cards.Count, holderGone, itemsChanged, end.Position, end.EventId), null);
    }

    /// <summary>
    /// Applies the events after the kept position up to <paramref name="end"/> as the follower would, when that position is still the
    /// Registry's (its event there is the one read; or nothing was read yet), counting them and the cards they revoke. The position is
    /// not moved: should the re-check stop short, the follower applies them again, and a revocation twice is one. A Registry whose
    /// event there is another (restored from a backup) is replayed nothing: its current records are all there is to go by.
    /// </summary>
    private async Task ReplayAsync(RegistryClient registry, long end, RecheckProgress progress, CancellationToken ct)
    {
        (long Position, string? EventId) after;
        await using (var c = await database.OpenAsync())
            after = await RegistryEventRevocation.KeptAsync(c);
        // A position kept without its event id (an earlier version) cannot be checked against the Registry's log.
        if (after.Position > 0 && after.EventId is null) return;
        while (after.Position < end)
        {
            RegistryEventPage page;
            try { page = await registry.EventsAsync(after.Position, after.EventId, 0, ct); }
            catch (FeedRewoundException) { return; }
            foreach (var e in page.Events.TakeWhile(e => e.Position <= end))
            {
                var revoked = await events.ApplyAsync(registry, e, keepPosition: false, CancellationToken.None);
                progress.EventReplayed();
                if (revoked is not { Count: > 0 }) continue;
                await using var c = await database.OpenAsync();
                foreach (var serial in revoked)
                {
                    var (cardId, reason) = (await c.QueryAsync("SELECT card_id, revocation_reason FROM certificates WHERE serial = @s",
                        r => (r.GetString(0), r.GetString(1)), null, ("s", serial))).Single();
                    progress.Revoked(cardId, holderGone: reason == nameof(RevocationReason.HolderGone));
                }
            }
            if (page.Events.Count == 0) return;
            after = (page.Events[^1].Position, page.Events[^1].EventId);
        }
    }

    private enum Verdict { Kept, HolderGone, ItemsChanged }

    /// <summary>
    /// Revokes what the Registry's record (null: the holder is gone) makes untrue of one card; the certificates left good are marked as
    /// read no later than <paramref name="end"/>, so that the events after it, which the follower reads next, judge them.
    /// </summary>
    private async Task<Verdict> ApplyAsync(string cardId, string residentId, RegistryIdentity? identity, long end)
    {
        List<string> revoked = [];
        var verdict = Verdict.Kept;
        await using (var c = await database.OpenAsync())
        {
            await using var tx = await database.BeginSerializedAsync(c, CardStore.LockKey(residentId));
            var now = clock.GetUtcNow().UtcDateTime;
            if (identity is null)
            {
                revoked = await CertificateStore.RevokeOfResidentAsync(c, tx, residentId, [CertificateKind.Signing, CertificateKind.Authentication],
                    RevocationReason.HolderGone, now, cardId);
                if (await c.ExecuteAsync("UPDATE cards SET status = 'holder-gone', status_changed_at = @t WHERE card_id = @i AND status = 'active'", tx,
                    ("t", CertificateStore.Text(now)), ("i", cardId)) > 0)
                    verdict = Verdict.HolderGone;
            }
            else
            {
                var signing = (await c.QueryAsync("SELECT der FROM certificates WHERE card_id = @c AND kind = 'Signing' AND revoked_at IS NULL",
                    r => (byte[])r.GetValue(0), tx, ("c", cardId))).FirstOrDefault();
                if (signing is not null && !SameItems(X509CertificateLoader.LoadCertificate(signing), identity))
                {
                    revoked = await CertificateStore.RevokeOfResidentAsync(c, tx, residentId, [CertificateKind.Signing], RevocationReason.ItemsChanged, now, cardId);
                    if (revoked.Count > 0) verdict = Verdict.ItemsChanged;
                }
                // Not the record's last position: the record is read after end, and may already hold events past it (a move abroad
                // and the return, recorded while the re-check ran) that the follower reads again from end; stamped at the record's
                // position, those would spare the card, though the follower revokes a card from before a move abroad. At end (or
                // lower: a card's own position is never raised, and a lower one judges every event after end the same) they judge it
                // as they judge any card. Only cards stored before end was noted come here, so their items were read before it: in
                // the Registry's current log at a position no later than end (the replay applied the events up to end to them), and
                // one beyond end is from a log lost in a restore, brought back to it. A card stored after end was noted is left out:
                // its items may be from past end (a return from abroad while the re-check replayed), and lowered to end it would be
                // revoked by the very events it already reflects.
                const string Earlier = "(registry_position IS NULL OR registry_position > @p)";
                await c.ExecuteAsync($"UPDATE cards SET registry_position = @p WHERE card_id = @i AND status = 'active' AND {Earlier}", tx, ("p", end), ("i", cardId));
                await c.ExecuteAsync($"UPDATE certificates SET registry_position = @p WHERE card_id = @i AND revoked_at IS NULL AND {Earlier}", tx, ("p", end), ("i", cardId));
            }
            await tx.CommitAsync();
        }
        revocation.Published(revoked);
        return verdict;
    }

    /// <summary>Whether a signing certificate asserts the record's items, as issuance writes them (substitute characters included).</summary>
    private static bool SameItems(X509Certificate2 certificate, RegistryIdentity identity) =>
        CertificateProfile.ReadItems(certificate) is { } items
        && items.Name == SubstituteCharacters.Substitute($"{identity.FamilyName} {identity.GivenName}").Text
        && items.Address == SubstituteCharacters.Substitute(identity.Address).Text
        && items.DateOfBirth.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) == identity.DateOfBirth
        && items.Sex == identity.Sex;

    private static CardRefusal Unanswered(RecheckProgress progress) => new(503, "registry-unavailable", "住基に照会できません / The Registry did not answer",
        $"{progress.Total ?? 0} 枚中 {progress.Checked} 枚を照合したところで止まりました。照合済みの失効はそのままです。読取位置は動かしていないため、住基が応答するようになってから照合をやり直してください / " +
        $"The re-check stopped after {progress.Checked} of {progress.Total ?? 0} cards: what it revoked stays revoked, and the feed position was not moved. " +
        "Run the re-check again when the Registry answers.");

    private static CardRefusal Stopped(RecheckProgress progress) => new(503, "recheck-stopped", "PKIが停止したため照合を中断しました / The re-check stopped as the PKI stopped",
        $"{progress.Total ?? 0} 枚中 {progress.Checked} 枚を照合したところで止まりました。照合済みの失効はそのままです。読取位置は動かしていないため、照合をやり直してください / " +
        $"The re-check stopped after {progress.Checked} of {progress.Total ?? 0} cards: what it revoked stays revoked, and the feed position was not moved. Run the re-check again.");
}
