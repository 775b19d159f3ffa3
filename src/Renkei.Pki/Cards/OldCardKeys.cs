using System.Security.Cryptography.X509Certificates;
using Renkei.Hosting.Storage;
using Renkei.Pki.Certificates;

namespace Renkei.Pki.Cards;

/// <summary>
/// Keeps the keys of cards issued before migration 0007, whose certificates carried no fingerprint and so gave
/// <c>card_keys</c> nothing (migration 0009): read from the stored certificates at start, after migrating, so that such a key
/// is on no second card either. Only cards not withdrawn, as 0007 kept the keys of every card but those withdrawn while pending;
/// only certificates issued before 0007 was applied, since a later card without rows gave its keys back (withdrawn or
/// taken out of use while pending). Each card in its own transaction; a key another card already carries is left there and logged.
/// </summary>
public static class OldCardKeys
{
    /// <summary>Returns how many keys were kept.</summary>
    public static async Task<int> KeepAsync(Database database, ILogger log, CancellationToken ct = default)
    {
        List<(string CardId, string ResidentId, byte[] Der)> certificates;
        await using (var c = await database.OpenAsync(ct))
        {
            var applied = await c.ScalarAsync<string>("SELECT applied_at FROM schema_migrations WHERE version = 7");
            if (applied is null) return 0;
            certificates = await c.QueryAsync(
                "SELECT t.card_id, t.resident_id, t.der FROM certificates t JOIN cards k ON k.card_id = t.card_id " +
                "WHERE k.status <> 'withdrawn' AND t.issued_at < @a AND NOT EXISTS (SELECT 1 FROM card_keys h WHERE h.card_id = t.card_id) " +
                "ORDER BY t.card_id, t.kind",
                r => (r.GetString(0), r.GetString(1), (byte[])r.GetValue(2)), null, ("a", CertificateStore.Text(CertificateStore.ParseUtc(applied))));
        }
        var kept = 0;
        foreach (var card in certificates.GroupBy(t => (t.CardId, t.ResidentId)))
        {
            string[] keys;
            try
            {
                keys = card.Select(t => Fingerprint(t.Der)).Distinct().Order(StringComparer.Ordinal).ToArray();
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                // One unreadable certificate does not stop the start; its card is looked at again at the next.
                log.LogWarning("カード {Card} の証明書を読めないため、鍵を記録しませんでした / could not read a certificate of card {Card}: its keys were not kept",
                    card.Key.CardId, card.Key.CardId);
                continue;
            }
            try
            {
                await using var c = await database.OpenAsync(ct);
                await using var tx = await database.BeginSerializedAsync(c, CardStore.LockKey(card.Key.ResidentId), ct);
                foreach (var key in keys)
                {
                    var holder = await c.ScalarAsync<string>("SELECT card_id FROM card_keys WHERE public_key_sha256 = @f", tx, ("f", key));
                    if (holder == card.Key.CardId) continue; // kept meanwhile by another PKI process starting
                    if (holder is not null)
                    {
                        log.LogWarning("カード {Card} の鍵は別のカード {Other} にもあります（複製されたカードか発行機の不具合の疑い）。その鍵は {Other} のものとして残します / " +
                            "a key of card {Card} is on card {Other} too (a cloned card or a faulty issuing system?): it stays {Other}'s",
                            card.Key.CardId, holder, holder, card.Key.CardId, holder, holder);
                        continue;
                    }
                    await CertificateStore.HoldKeyAsync(c, tx, key, card.Key.CardId, card.Key.ResidentId);
                    kept++;
                }
                await tx.CommitAsync(ct);
            }
            catch (Exception e) when (Database.IsUniqueViolation(e))
            {
                // Another process kept the same key at this moment: the next start looks at this card again.
                log.LogWarning("カード {Card} の鍵を記録できませんでした。次の起動で再び確かめます / could not keep the keys of card {Card}: checked again at the next start",
                    card.Key.CardId, card.Key.CardId);
            }
        }
        return kept;
    }

    private static string Fingerprint(byte[] der)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(der);
        return CardIssuance.KeyFingerprint(certificate.PublicKey);
    }
}
