using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Renkei.Hosting.Storage;
using Renkei.Pki.Certificates;

namespace Renkei.Pki.Cards;

/// <summary>A card; <c>RegistryPosition</c> is the Registry feed position its holder's items were read at (null before it was kept).</summary>
public sealed record CardRecord(string CardId, string ResidentId, string MunicipalityCode, DateTime IssuedAt, DateOnly ExpiresOn, string Status,
    long? RegistryPosition = null);

/// <summary>
/// Issued cards: pending (stored, its issuance not yet confirmed by the Registry; the holder's previous card stays active), active, lost (reported), superseded (a new card replaced it), holder-gone (the holder died or moved abroad),
/// number-changed (the holder was given a new Individual Number: the card carries the old one), withdrawn (its issuance was undone: the Registry changed or could not confirm while it was made).
/// </summary>
public static class CardStore
{
    public static Task InsertAsync(DbConnection c, DbTransaction tx, CardRecord card) =>
        c.ExecuteAsync("INSERT INTO cards (card_id, resident_id, municipality_code, issued_at, expires_on, status, registry_position) " +
            "VALUES (@i, @r, @m, @t, @e, @s, @p)", tx,
            ("i", card.CardId), ("r", card.ResidentId), ("m", card.MunicipalityCode), ("t", CertificateStore.Text(card.IssuedAt)),
            ("e", card.ExpiresOn.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)), ("s", card.Status), ("p", card.RegistryPosition));

    public static async Task<CardRecord?> FindAsync(DbConnection c, string cardId, DbTransaction? tx = null) =>
        (await c.QueryAsync("SELECT card_id, resident_id, municipality_code, issued_at, expires_on, status FROM cards WHERE card_id = @i",
            r => new CardRecord(r.GetString(0), r.GetString(1), r.GetString(2), CertificateStore.ParseUtc(r.GetString(3)),
                DateOnly.ParseExact(r.GetString(4), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), r.GetString(5)), tx, ("i", cardId))).FirstOrDefault();

    /// <summary>Marks a card lost, only while it is active: a status set under another writer (holder-gone, superseded) is kept.</summary>
    public static Task<int> LostAsync(DbConnection c, DbTransaction tx, string cardId, DateTime now) =>
        c.ExecuteAsync("UPDATE cards SET status = 'lost', status_changed_at = @t WHERE card_id = @i AND status = 'active'", tx,
            ("t", CertificateStore.Text(now)), ("i", cardId));

    /// <summary>
    /// Marks a resident's active and pending cards whose items <paramref name="stale"/> names holder-gone (a death or a move abroad):
    /// a pending card's certificates are revoked with the others, and its issuance, finding them revoked, asks the Registry again and
    /// refuses (not-a-resident); its card says why meanwhile, and stays so should that issuance never finish.
    /// </summary>
    public static Task<int> HolderGoneAsync(DbConnection c, DbTransaction tx, string residentId, StaleBefore stale, DateTime now) =>
        OutOfUseAsync(c, tx, residentId, "holder-gone", stale, now);

    /// <summary>
    /// Marks a resident's active and pending cards that <paramref name="stale"/> names with <paramref name="status"/> (holder-gone,
    /// number-changed). A pending card so marked is never activated (only a pending card is) nor delivered: it gives its keys back
    /// as a withdrawn pending card does, so the same card can be issued again, to its holder or, once emptied, to anyone.
    /// </summary>
    public static async Task<int> OutOfUseAsync(DbConnection c, DbTransaction tx, string residentId, string status, StaleBefore stale, DateTime now)
    {
        await c.ExecuteAsync("DELETE FROM card_keys WHERE card_id IN (SELECT card_id FROM cards WHERE resident_id = @r AND status = 'pending' AND " +
            $"{StaleBefore.Condition})", tx, [("r", residentId), .. stale.Parameters]);
        return await c.ExecuteAsync($"UPDATE cards SET status = @s, status_changed_at = @t WHERE resident_id = @r AND status IN ('active', 'pending') AND {StaleBefore.Condition}", tx,
            [("s", status), ("t", CertificateStore.Text(now)), ("r", residentId), .. stale.Parameters]);
    }

    /// <summary>The key of the lock that serializes card changes of one resident (a PostgreSQL advisory lock; SQLite serializes all writers).</summary>
    public static long LockKey(string residentId) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("renkei-pki-card:" + residentId)));

    /// <summary>Marks a resident's active cards superseded (before a new card is issued).</summary>
    public static Task<int> SupersedeAsync(DbConnection c, DbTransaction tx, string residentId, DateTime now) =>
        c.ExecuteAsync("UPDATE cards SET status = 'superseded', status_changed_at = @t WHERE resident_id = @r AND status = 'active'", tx,
            ("t", CertificateStore.Text(now)), ("r", residentId));
}
