using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Cards;
using Renkei.Pki.Certificates;
using Renkei.Pki.Registry;

namespace Renkei.Pki.Revocation;

/// <summary>
/// What one Registry event revokes, as RegistryEventFollower applies it and a re-check replays it: a name or address change (or a
/// move-in, which gives a new address) that changed an item the signing certificate carries revokes it only; a death or a move abroad revokes both and marks the
/// card holder-gone; a new Individual Number (after a leak) revokes both as superseded and marks the card number-changed, since the
/// card still carries the old number and is to be returned for a new one; a change, a move abroad or a new number only of certificates
/// whose items were read at a feed position before the event's, a death every one.
/// </summary>
public sealed class RegistryEventRevocation(Database database, RevocationService revocation, TimeProvider clock)
{
    private static readonly CertificateKind[] SigningOnly = [CertificateKind.Signing];
    private static readonly CertificateKind[] Both = [CertificateKind.Signing, CertificateKind.Authentication];

    /// <summary>The feed's names of the items the signing certificate carries (not the reading, the household or the relationship).</summary>
    private static readonly string[] SigningItems = ["name", "address", "date-of-birth", "sex"];

    /// <summary>
    /// Applies <paramref name="e"/> in one transaction; with <paramref name="keepPosition"/> the feed position moves to it in the same
    /// transaction, so that a restart neither misses nor repeats it. Returns the serials revoked, or null when the event is none that
    /// revokes (a birth, a move within Japan).
    /// </summary>
    public async Task<List<string>?> ApplyAsync(RegistryClient registry, RegistryEvent e, bool keepPosition, CancellationToken ct)
    {
        (CertificateKind[] Kinds, RevocationReason Reason, string? CardStatus)? action = e.Kind switch
        {
            "name-change" or "address-change" or "move-in" when ChangesSigningItems(e) => (SigningOnly, RevocationReason.ItemsChanged, null),
            "death" => (Both, RevocationReason.HolderGone, "holder-gone"),
            "move-out" => await MovedAbroadAsync(registry, e, ct) ? (Both, RevocationReason.HolderGone, "holder-gone") : null,
            // The card holds the leaked number (card face, input-assist application): it is returned and replaced, and its
            // certificates end with it, as a card replaced by a new one (superseded). The reasons J-LIS's CPS lists (4.9.9) have
            // none closer: privilegeWithdrawn (9) is not among them, and cessationOfOperation already says the holder is gone.
            "number-reissued" => (Both, RevocationReason.Superseded, "number-changed"),
            _ => null,
        };
        if (action is null && !keepPosition) return null;
        var revoked = await SaveAsync(keepPosition ? (e.Position, e.EventId) : null,
            action is null ? [] : [(e.ResidentId, action.Value.Kinds, action.Value.Reason, action.Value.CardStatus, Stale(e, action.Value.Reason))]);
        return action is null ? null : revoked;
    }

    /// <summary>
    /// Whether the event changed what the signing certificate says: a household joined at the same address or a new reading leaves it
    /// true. An event that does not list its items (a Registry that does not say) is taken, as before, to change them.
    /// </summary>
    private static bool ChangesSigningItems(RegistryEvent e) => e.ChangedItems is not { } items || items.Any(SigningItems.Contains);

    /// <summary>
    /// What the event makes untrue: a death, every certificate of the person (a card cannot outlive its holder, whatever position its
    /// items carry); otherwise certificates whose items the Registry gave at a position before the event's (its feed is ordered,
    /// the clocks of two hosts are not): a card issued after a return from abroad is spared by the move abroad read late. Those stored
    /// before positions were kept fall back to the old rule: for a changed item, issued before the event was recorded; for a move abroad, every one.
    /// </summary>
    private static StaleBefore Stale(RegistryEvent e, RevocationReason reason) =>
        e.Kind == "death" ? StaleBefore.Everything
        : new(e.Position, reason == RevocationReason.HolderGone ? StaleBefore.Everything.IssuedBefore : e.RecordedAt);

    /// <summary>
    /// Whether a move-out was abroad, as the event itself says: the status now would tell a move abroad read after the person's
    /// return as a move within Japan. Only a Registry that does not say yet is asked for the status.
    /// </summary>
    private static async Task<bool> MovedAbroadAsync(RegistryClient registry, RegistryEvent e, CancellationToken ct)
    {
        if (e.DestinationKind is { } kind) return kind == "abroad";
        var (identity, refusal) = await registry.ResidentAsync(e.ResidentId, ct);
        if (identity is null && refusal!.Status >= 500) throw new HttpRequestException($"Registry answered {refusal.Status}");
        return identity?.Status == "abroad";
    }

    private async Task<List<string>> SaveAsync((long Position, string EventId)? keep,
        IReadOnlyList<(string ResidentId, CertificateKind[] Kinds, RevocationReason Reason, string? CardStatus, StaleBefore Stale)> revocations)
    {
        var revoked = new List<string>();
        await using (var c = await database.OpenAsync())
        {
            // Under the lock that activations, withdrawals and the re-check take for each resident it revokes, before any statement: run
            // beside an activation, the activation could count the revocations not yet committed as none and then make the card active
            // for a dead holder (PostgreSQL's READ COMMITTED), and the two would lock certificates and cards in opposite orders.
            await using var tx = await database.BeginSerializedAsync(c, revocations.Select(r => CardStore.LockKey(r.ResidentId)));
            var now = clock.GetUtcNow().UtcDateTime;
            foreach (var (residentId, kinds, reason, cardStatus, stale) in revocations)
            {
                // Only certificates whose items were read before the event: a card issued after it carries the new items (or,
                // after a return from abroad, belongs to a resident again); one read before it, also in the moment between the
                // Registry's answer to the issuance and the card's storing, is revoked.
                revoked.AddRange(await CertificateStore.RevokeOfResidentAsync(c, tx, residentId, kinds, reason, now, stale: stale));
                // The card goes with its holder (or its number), so that the counter sees it is no longer in use.
                if (cardStatus is not null) await CardStore.OutOfUseAsync(c, tx, residentId, cardStatus, stale, now);
            }
            if (keep is { } k) await KeepAsync(c, tx, k.Position, k.EventId, now);
            await tx.CommitAsync();
        }
        revocation.Published(revoked);
        return revoked;
    }

    /// <summary>The kept feed position and the id of the event at it (0 and null before the first is kept).</summary>
    public static async Task<(long Position, string? EventId)> KeptAsync(System.Data.Common.DbConnection c) =>
        (await c.QueryAsync("SELECT position, event_id FROM registry_feed WHERE id = 1", r => (r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1)), null))
            .FirstOrDefault();

    /// <summary>Keeps the feed position and the id of the event at it (in the caller's transaction).</summary>
    public static async Task KeepAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, long position, string? eventId, DateTime now)
    {
        var updated = await c.ExecuteAsync("UPDATE registry_feed SET position = @p, event_id = @e, updated_at = @t WHERE id = 1", tx,
            ("p", position), ("e", eventId), ("t", CertificateStore.Text(now)));
        if (updated == 0)
            await c.ExecuteAsync("INSERT INTO registry_feed (id, position, event_id, updated_at) VALUES (1, @p, @e, @t)", tx,
                ("p", position), ("e", eventId), ("t", CertificateStore.Text(now)));
    }
}
