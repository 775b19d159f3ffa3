using System.Data.Common;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Certificates;

namespace Renkei.Pki.Revocation;

/// <summary>A certificate revoked at a known value of the revocation counter.</summary>
public sealed record RevokedSince(string Serial, CertificateKind Kind, long Sequence);

/// <summary>One entry of a CRL: only what the list carries, not the certificate.</summary>
public sealed record RevokedEntry(string Serial, DateTime RevokedAt, RevocationReason Reason);

/// <summary>
/// The database's revocation counter: every revocation takes its next value (in the revoking transaction, whose row lock
/// orders the values as the commits), so any PKI process on the same database can ask which certificates were revoked
/// since the last value it saw.
/// </summary>
public static class RevocationSequence
{
    /// <summary>The next value, for one certificate revoked in <paramref name="tx"/>.</summary>
    public static async Task<long> NextAsync(DbConnection c, DbTransaction tx) =>
        (await c.QueryAsync("UPDATE revocation_counter SET value = value + 1 WHERE id = 1 RETURNING value", r => r.GetInt64(0), tx)).Single();

    public static async Task<long> CurrentAsync(DbConnection c) =>
        (await c.QueryAsync("SELECT value FROM revocation_counter WHERE id = 1", r => r.GetInt64(0))).Single();

    /// <summary>The certificates revoked after <paramref name="sequence"/> (an indexed range, empty when nothing happened).</summary>
    public static Task<List<RevokedSince>> SinceAsync(DbConnection c, long sequence) =>
        c.QueryAsync("SELECT serial, kind, revocation_sequence FROM certificates WHERE revocation_sequence > @q ORDER BY revocation_sequence",
            r => new RevokedSince(r.GetString(0), Enum.Parse<CertificateKind>(r.GetString(1)), r.GetInt64(2)), null, ("q", sequence));

    /// <summary>
    /// What one CA's CRL lists (revoked, unexpired), and the counter's value in the same statement, hence the same snapshot:
    /// the list holds exactly the revocations up to that value.
    /// </summary>
    public static async Task<(long Sequence, List<RevokedEntry> Entries)> CrlAsync(DbConnection c, CertificateKind kind, DateTime now)
    {
        var rows = await c.QueryAsync(
            "SELECT rc.value, c.serial, c.revoked_at, c.revocation_reason FROM revocation_counter rc " +
            "LEFT JOIN certificates c ON c.kind = @k AND c.revoked_at IS NOT NULL AND c.not_after > @n WHERE rc.id = 1 ORDER BY c.serial",
            r => (Sequence: r.GetInt64(0), Entry: r.IsDBNull(1) ? null
                : new RevokedEntry(r.GetString(1), CertificateStore.ParseUtc(r.GetString(2)), Enum.Parse<RevocationReason>(r.GetString(3)))),
            null, ("k", kind.ToString()), ("n", CertificateStore.Text(now)));
        return (rows[0].Sequence, [.. rows.Where(r => r.Entry is not null).Select(r => r.Entry!)]);
    }
}
