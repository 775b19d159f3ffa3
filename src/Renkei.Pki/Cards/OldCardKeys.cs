using System.Security.Cryptography.X509Certificates;
using Renkei.Hosting.Storage;
using Renkei.Pki.Certificates;

namespace Renkei.Pki.Cards;

/// <summary>
/// Keeps the keys of cards issued before migration 0007, whose certificates carried no fingerprint and so gave
/// <c>card_keys</c> nothing (migration 0009): read from the stored certificates once, at the first start after migrating, so
/// that such a key is on no second card either. Only cards not withdrawn, as 0007 kept the keys of every card but those withdrawn
/// while pending; only certificates issued before 0007 was applied, since a later card without rows gave its keys back (withdrawn
/// or taken out of use while pending). A key on two cards goes to one of them (<see cref="Takes"/>); a page of cards at a time,
/// in the order they were issued, each card in its own transaction under the locks of its resident and of the key's other
/// holder, as another PKI process on the database may already be issuing. Done when the step is in <c>pki_upkeep</c>
/// (migration 0010, which marks it on a database without certificates): later starts read nothing.
/// </summary>
public static class OldCardKeys
{
    public const string Step = "old-card-keys";
    private const int PageSize = 1000;

    /// <summary>Returns how many keys were kept.</summary>
    public static Task<int> KeepAsync(Database database, ILogger log, CancellationToken ct = default) => KeepAsync(database, log, PageSize, ct);

    /// <summary>With pages of <paramref name="pageSize"/> cards: tests page through a few cards.</summary>
    internal static async Task<int> KeepAsync(Database database, ILogger log, int pageSize, CancellationToken ct)
    {
        string before;
        await using (var c = await database.OpenAsync(ct))
        {
            if (await c.ScalarAsync<string>("SELECT done_at FROM pki_upkeep WHERE step = @s", null, ("s", Step)) is not null) return 0;
            var applied = await c.ScalarAsync<string>("SELECT applied_at FROM schema_migrations WHERE version = 7");
            if (applied is null) return 0;
            before = CertificateStore.Text(CertificateStore.ParseUtc(applied));
        }
        var kept = 0;
        var complete = true;
        var (afterIssued, afterCard) = ("", "");
        while (true)
        {
            List<Card> cards;
            await using (var c = await database.OpenAsync(ct))
                cards = await c.QueryAsync(
                    "SELECT k.card_id, k.resident_id, k.issued_at, k.status FROM cards k WHERE (k.issued_at, k.card_id) > (@i, @c) AND k.status <> 'withdrawn' " +
                    "AND EXISTS (SELECT 1 FROM certificates t WHERE t.card_id = k.card_id AND t.issued_at < @a) " +
                    $"AND NOT EXISTS (SELECT 1 FROM card_keys h WHERE h.card_id = k.card_id) ORDER BY k.issued_at, k.card_id LIMIT {pageSize}",
                    ReadCard, null, ("i", afterIssued), ("c", afterCard), ("a", before));
            foreach (var card in cards)
            {
                var keptOfCard = await KeepCardAsync(database, log, card, before, ct);
                if (keptOfCard is null) complete = false;
                else kept += keptOfCard.Value;
            }
            if (cards.Count < pageSize) break;
            (afterIssued, afterCard) = (cards[^1].IssuedAt, cards[^1].CardId);
        }
        // A card another process kept a key of (or whose key changed hands) at the same moment is looked at again at the next
        // start; every other card was kept or warned about, once.
        if (complete)
        {
            await using var c = await database.OpenAsync(ct);
            await c.ExecuteAsync("INSERT INTO pki_upkeep (step, done_at) VALUES (@s, @t) ON CONFLICT (step) DO NOTHING", null,
                ("s", Step), ("t", CertificateStore.Text(DateTime.UtcNow)));
        }
        return kept;
    }

    private sealed record Card(string CardId, string ResidentId, string IssuedAt, string Status);

    private static Card ReadCard(System.Data.Common.DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3));

    /// <summary>The keys of one card kept; null when another process kept one of them, or took one back, at this moment.</summary>
    private static async Task<int?> KeepCardAsync(Database database, ILogger log, Card card, string before, CancellationToken ct)
    {
        try
        {
            // Certificates of then are only ever revoked, never rewritten: read before the locks, which depend on the keys' holders.
            var keys = new SortedSet<string>(StringComparer.Ordinal);
            Dictionary<string, Card> holders;
            await using (var c = await database.OpenAsync(ct))
            {
                var certificates = await c.QueryAsync("SELECT serial, der FROM certificates WHERE card_id = @c AND issued_at < @a ORDER BY kind",
                    r => (Serial: r.GetString(0), Der: (byte[])r.GetValue(1)), null, ("c", card.CardId), ("a", before));
                foreach (var (serial, der) in certificates)
                {
                    // One unreadable certificate does not stop the start, nor cost the card its other key.
                    if (Fingerprint(der) is { } key) keys.Add(key);
                    else log.LogWarning("カード {Card} の証明書 {Serial} を読めないため、その鍵を記録しませんでした / " +
                        "could not read certificate {Serial} of card {Card}: its key was not kept", card.CardId, serial, serial, card.CardId);
                }
                holders = await HoldersAsync(c, null, keys);
            }
            var locked = holders.Values.Select(h => h.ResidentId).Append(card.ResidentId).ToHashSet(StringComparer.Ordinal);

            await using var connection = await database.OpenAsync(ct);
            await using var tx = await database.BeginSerializedAsync(connection, locked.Select(CardStore.LockKey), ct);
            var now = await HoldersAsync(connection, tx, keys);
            var kept = 0;
            foreach (var key in keys)
            {
                if (!now.TryGetValue(key, out var holder))
                {
                    await CertificateStore.HoldKeyAsync(connection, tx, key, card.CardId, card.ResidentId);
                    kept++;
                    continue;
                }
                if (holder.CardId == card.CardId) continue; // kept meanwhile by another PKI process starting
                // Its holder changed since it was read: the cards of a resident not locked here are not moved.
                if (!locked.Contains(holder.ResidentId)) return null;
                var (keeper, other) = Takes(card, holder) ? (card, holder) : (holder, card);
                if (keeper.ResidentId != other.ResidentId)
                    log.LogWarning("カード {Card} の鍵は先に発行されたカード {Other} にもあります（複製されたカードか発行機の不具合の疑い）。その鍵は {Other} のものとして残します / " +
                        "a key of card {Card} is on card {Other} too (a cloned card or a faulty issuing system?): it stays {Other}'s",
                        other.CardId, keeper.CardId, keeper.CardId, other.CardId, keeper.CardId, keeper.CardId);
                else
                    log.LogInformation("同じ方のカード {Other} と {Card} に同じ鍵があります（一枚のカードの再発行）。その鍵は {Card} のものとします / " +
                        "cards {Other} and {Card} of one holder carry the same key (one card issued again): it stays {Card}'s",
                        other.CardId, keeper.CardId, keeper.CardId, other.CardId, keeper.CardId, keeper.CardId);
                if (keeper != card) continue;
                if (await connection.ExecuteAsync("UPDATE card_keys SET card_id = @c, resident_id = @r WHERE public_key_sha256 = @f AND card_id = @h", tx,
                    ("c", card.CardId), ("r", card.ResidentId), ("f", key), ("h", holder.CardId)) != 1) return null;
                kept++;
            }
            await tx.CommitAsync(ct);
            return kept;
        }
        catch (Exception e) when (Database.IsUniqueViolation(e))
        {
            log.LogWarning("カード {Card} の鍵を記録できませんでした。次の起動で再び確かめます / could not keep the keys of card {Card}: checked again at the next start",
                card.CardId, card.CardId);
            return null;
        }
    }

    /// <summary>
    /// Of this card and the card that already carries one of its keys, whether this one keeps the key. Cards of two residents: the
    /// card issued first, the other being the copy (a copy certified after 0007 got its row first). Two cards of one resident are
    /// one chip issued again (a card never delivered, an issuance repeated): the card in use, else the later; never a card still
    /// pending, which the start's sweep withdraws.
    /// </summary>
    private static bool Takes(Card card, Card holder)
    {
        var first = string.CompareOrdinal(card.IssuedAt, holder.IssuedAt) is var order && (order < 0 || order == 0 && string.CompareOrdinal(card.CardId, holder.CardId) < 0);
        if (card.ResidentId != holder.ResidentId) return first;
        return InUse(card.Status) != InUse(holder.Status) ? InUse(card.Status) > InUse(holder.Status) : !first;
        static int InUse(string status) => status switch { "active" => 2, "pending" => 0, _ => 1 };
    }

    /// <summary>The cards that carry any of <paramref name="keys"/>, by key.</summary>
    private static async Task<Dictionary<string, Card>> HoldersAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction? tx, IEnumerable<string> keys)
    {
        var holders = new Dictionary<string, Card>(StringComparer.Ordinal);
        foreach (var key in keys)
            foreach (var card in await c.QueryAsync("SELECT k.card_id, k.resident_id, k.issued_at, k.status FROM card_keys h JOIN cards k ON k.card_id = h.card_id " +
                "WHERE h.public_key_sha256 = @f", ReadCard, tx, ("f", key)))
                holders[key] = card;
        return holders;
    }

    /// <summary>The key's fingerprint; null for a certificate that cannot be read.</summary>
    private static string? Fingerprint(byte[] der)
    {
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(der);
            return CardIssuance.KeyFingerprint(certificate.PublicKey);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }
}
