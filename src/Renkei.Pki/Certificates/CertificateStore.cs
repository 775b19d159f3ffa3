using System.Data.Common;
using System.Globalization;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;

namespace Renkei.Pki.Certificates;

/// <summary>Why a certificate was revoked (the CRL reason it carries).</summary>
public enum RevocationReason
{
    /// <summary>基本4情報の変更: a name or address change (CRL reason affiliationChanged).</summary>
    ItemsChanged,
    /// <summary>死亡 or 国外転出 (cessationOfOperation).</summary>
    HolderGone,
    /// <summary>紛失: the holder reported the card lost (keyCompromise).</summary>
    Lost,
    /// <summary>再交付: a new card replaced this one (superseded).</summary>
    Superseded,
}

/// <summary>An issued certificate; <c>RegistryPosition</c> is the Registry feed position its holder's items were read at (null before it was kept).</summary>
public sealed record CertificateRecord(
    string Serial, CertificateKind Kind, string CardId, string ResidentId, DateTime IssuedAt, DateTime NotBefore, DateTime NotAfter,
    byte[] Der, DateTime? RevokedAt, RevocationReason? Reason, long? RegistryPosition = null);

/// <summary>
/// Which certificates a Registry event makes untrue: those whose items were read at a position before the event's. Certificates
/// stored before positions were kept fall back to their issue time against <c>IssuedBefore</c> (the event's recording time).
/// </summary>
public readonly record struct StaleBefore(long Position, DateTime IssuedBefore)
{
    /// <summary>Every certificate, whatever it was read at.</summary>
    public static readonly StaleBefore Everything = new(long.MaxValue, DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc));

    /// <summary>The SQL condition, on columns <c>registry_position</c> and <c>issued_at</c>, with parameters @sp and @sib.</summary>
    public const string Condition = "(registry_position < @sp OR (registry_position IS NULL AND issued_at < @sib))";

    public (string, object?)[] Parameters => [("sp", Position), ("sib", CertificateStore.Text(IssuedBefore))];
}

/// <summary>Issued certificates and their revocation, in SQL portable to SQLite and PostgreSQL.</summary>
public static class CertificateStore
{
    private const string Columns = "serial, kind, card_id, resident_id, issued_at, not_before, not_after, der, revoked_at, revocation_reason, registry_position";

    public static string Text(DateTime utc) => utc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static DateTime ParseUtc(string text) =>
        DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    public static Task InsertAsync(DbConnection c, DbTransaction tx, CertificateRecord r) =>
        c.ExecuteAsync($"INSERT INTO certificates ({Columns}) VALUES (@s, @k, @c, @r, @i, @nb, @na, @d, NULL, NULL, @p)", tx,
            ("s", r.Serial), ("k", r.Kind.ToString()), ("c", r.CardId), ("r", r.ResidentId), ("i", Text(r.IssuedAt)),
            ("nb", Text(r.NotBefore)), ("na", Text(r.NotAfter)), ("d", r.Der), ("p", r.RegistryPosition));

    /// <summary>
    /// Keeps a key the card made (KeyFiles.PublicKeyFingerprint of its SubjectPublicKeyInfo as .NET writes it), certified or not:
    /// the primary key of <c>card_keys</c> (migration 0009) makes the insert fail when another card already carries the key.
    /// </summary>
    public static Task HoldKeyAsync(DbConnection c, DbTransaction tx, string keyFingerprint, string cardId, string residentId) =>
        c.ExecuteAsync("INSERT INTO card_keys (public_key_sha256, card_id, resident_id) VALUES (@f, @c, @r)", tx,
            ("f", keyFingerprint), ("c", cardId), ("r", residentId));

    /// <summary>The residents whose cards carry either of a card's two keys.</summary>
    public static Task<List<string>> HoldersOfKeysAsync(DbConnection c, string signingKey, string authenticationKey) =>
        c.QueryAsync("SELECT resident_id FROM card_keys WHERE public_key_sha256 IN (@a, @b)", r => r.GetString(0), null,
            ("a", signingKey), ("b", authenticationKey));

    /// <summary>Gives a withdrawn card's keys back: the card was never delivered, and the same card may be issued again with them.</summary>
    public static Task ReleaseKeysAsync(DbConnection c, DbTransaction tx, string cardId) =>
        c.ExecuteAsync("DELETE FROM card_keys WHERE card_id = @c", tx, ("c", cardId));

    public static async Task<CertificateRecord?> FindAsync(DbConnection c, string serial) =>
        (await c.QueryAsync($"SELECT {Columns} FROM certificates WHERE serial = @s", Read, null, ("s", serial))).FirstOrDefault();

    public static Task<List<CertificateRecord>> OfCardAsync(DbConnection c, string cardId) =>
        c.QueryAsync($"SELECT {Columns} FROM certificates WHERE card_id = @c ORDER BY issued_at", Read, null, ("c", cardId));

    /// <summary>
    /// Revokes the unrevoked certificates of a resident (of the given kinds; of one card, or only those <paramref name="stale"/>
    /// names); returns the serials revoked.
    /// </summary>
    public static async Task<List<string>> RevokeOfResidentAsync(DbConnection c, DbTransaction tx, string residentId,
        IReadOnlyCollection<CertificateKind> kinds, RevocationReason reason, DateTime now, string? cardId = null, StaleBefore? stale = null)
    {
        var revoked = new List<string>();
        foreach (var kind in kinds)
        {
            var serials = await c.QueryAsync(
                "SELECT serial FROM certificates WHERE resident_id = @r AND kind = @k AND revoked_at IS NULL AND not_after > @n" +
                (cardId is null ? "" : " AND card_id = @c") + (stale is null ? "" : " AND " + StaleBefore.Condition),
                r => r.GetString(0), tx, [("r", residentId), ("k", kind.ToString()), ("n", Text(now)), ("c", cardId), .. stale?.Parameters ?? []]);
            // Each revocation takes the database's next revocation value, by which the other PKI processes on it learn of it.
            foreach (var serial in serials)
                await c.ExecuteAsync("UPDATE certificates SET revoked_at = @t, revocation_reason = @why, revocation_sequence = @q WHERE serial = @s AND revoked_at IS NULL", tx,
                    ("t", Text(now)), ("why", reason.ToString()), ("q", await Revocation.RevocationSequence.NextAsync(c, tx)), ("s", serial));
            revoked.AddRange(serials);
        }
        return revoked;
    }

    private static CertificateRecord Read(DbDataReader r) => new(
        r.GetString(0), Enum.Parse<CertificateKind>(r.GetString(1)), r.GetString(2), r.GetString(3), ParseUtc(r.GetString(4)),
        ParseUtc(r.GetString(5)), ParseUtc(r.GetString(6)), (byte[])r.GetValue(7),
        r.IsDBNull(8) ? null : ParseUtc(r.GetString(8)), r.IsDBNull(9) ? null : Enum.Parse<RevocationReason>(r.GetString(9)),
        r.IsDBNull(10) ? null : r.GetInt64(10));
}
