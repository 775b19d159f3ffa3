using System.Security.Cryptography.X509Certificates;
using Renkei.Hosting.Storage;
using Renkei.Pki.Certificates;

namespace Renkei.Pki.Cards;

/// <summary>
/// Keeps the keys of cards issued before migration 0007, whose certificates carried no fingerprint and so gave
/// <c>card_keys</c> nothing (migration 0009): read from the stored certificates once, at the first start after migrating, so
/// that such a key is on no second card either. Only cards not withdrawn, as 0007 kept the keys of every card but those withdrawn
/// while pending; only certificates issued before 0007 was applied, since a later card without rows gave its keys back (withdrawn
/// or taken out of use while pending). The cards in the order they were issued, so of a card and its copy the first keeps a
/// shared key (the other is logged); a page of cards at a time, each card in its own transaction under its resident's lock, as
/// another PKI process on the database may already be issuing. Done when the step is in <c>pki_upkeep</c> (migration 0010,
/// which marks it on a database without certificates): later starts read nothing.
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
            List<(string CardId, string ResidentId, string IssuedAt)> cards;
            await using (var c = await database.OpenAsync(ct))
                cards = await c.QueryAsync(
                    "SELECT k.card_id, k.resident_id, k.issued_at FROM cards k WHERE (k.issued_at, k.card_id) > (@i, @c) AND k.status <> 'withdrawn' " +
                    "AND EXISTS (SELECT 1 FROM certificates t WHERE t.card_id = k.card_id AND t.issued_at < @a) " +
                    $"AND NOT EXISTS (SELECT 1 FROM card_keys h WHERE h.card_id = k.card_id) ORDER BY k.issued_at, k.card_id LIMIT {pageSize}",
                    r => (r.GetString(0), r.GetString(1), r.GetString(2)), null, ("i", afterIssued), ("c", afterCard), ("a", before));
            foreach (var (cardId, residentId, _) in cards)
            {
                var keptOfCard = await KeepCardAsync(database, log, cardId, residentId, before, ct);
                if (keptOfCard is null) complete = false;
                else kept += keptOfCard.Value;
            }
            if (cards.Count < pageSize) break;
            (afterIssued, afterCard) = (cards[^1].IssuedAt, cards[^1].CardId);
        }
        // A card another process kept a key of at the same moment is looked at again at the next start; every other card was
        // kept or warned about, once.
        if (complete)
        {
            await using var c = await database.OpenAsync(ct);
            await c.ExecuteAsync("INSERT INTO pki_upkeep (step, done_at) VALUES (@s, @t) ON CONFLICT (step) DO NOTHING", null,
                ("s", Step), ("t", CertificateStore.Text(DateTime.UtcNow)));
        }
        return kept;
    }

    /// <summary>The keys of one card kept; null when another process kept one of them at this moment.</summary>
    private static async Task<int?> KeepCardAsync(Database database, ILogger log, string cardId, string residentId, string before, CancellationToken ct)
    {
        try
        {
            await using var c = await database.OpenAsync(ct);
            await using var tx = await database.BeginSerializedAsync(c, CardStore.LockKey(residentId), ct);
            var ders = await c.QueryAsync("SELECT der FROM certificates WHERE card_id = @c AND issued_at < @a ORDER BY kind",
                r => (byte[])r.GetValue(0), tx, ("c", cardId), ("a", before));
            string[] keys;
            try
            {
                keys = ders.Select(Fingerprint).Distinct().Order(StringComparer.Ordinal).ToArray();
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                // One unreadable certificate does not stop the start.
                log.LogWarning("カード {Card} の証明書を読めないため、鍵を記録しませんでした / could not read a certificate of card {Card}: its keys were not kept",
                    cardId, cardId);
                return 0;
            }
            var kept = 0;
            foreach (var key in keys)
            {
                var holder = await c.ScalarAsync<string>("SELECT card_id FROM card_keys WHERE public_key_sha256 = @f", tx, ("f", key));
                if (holder == cardId) continue; // kept meanwhile by another PKI process starting
                if (holder is not null)
                {
                    log.LogWarning("カード {Card} の鍵は別のカード {Other} にもあります（複製されたカードか発行機の不具合の疑い）。その鍵は {Other} のものとして残します / " +
                        "a key of card {Card} is on card {Other} too (a cloned card or a faulty issuing system?): it stays {Other}'s",
                        cardId, holder, holder, cardId, holder, holder);
                    continue;
                }
                await CertificateStore.HoldKeyAsync(c, tx, key, cardId, residentId);
                kept++;
            }
            await tx.CommitAsync(ct);
            return kept;
        }
        catch (Exception e) when (Database.IsUniqueViolation(e))
        {
            log.LogWarning("カード {Card} の鍵を記録できませんでした。次の起動で再び確かめます / could not keep the keys of card {Card}: checked again at the next start",
                cardId, cardId);
            return null;
        }
    }

    private static string Fingerprint(byte[] der)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(der);
        return CardIssuance.KeyFingerprint(certificate.PublicKey);
    }
}
