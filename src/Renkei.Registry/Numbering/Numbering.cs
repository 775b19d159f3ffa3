using System.Data.Common;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Residents;

namespace Renkei.Registry.Numbering;

/// <summary>
/// Designation and re-issue of Individual Numbers and changes of Resident Record Code. Numbers are
/// derived (FF1) from the code; the table of every number ever designated makes sure that none,
/// current or retired, is ever given to anyone again.
/// </summary>
public sealed class NumberingAuthority(IndividualNumberDeriver deriver)
{
    private readonly Lock gate = new();

    public IndividualNumber Derive(ResidentRecordCode code, int reissueCount = 0)
    {
        // Aes objects are not thread-safe; designation is rare enough that a lock costs nothing.
        lock (gate) return deriver.Derive(code, reissueCount);
    }

    /// <summary>
    /// Draws a fresh random Resident Record Code whose number (tweak 0) was never designated, and records both.
    /// </summary>
    public async Task<(ResidentRecordCode Code, IndividualNumber Number)> DesignateNewAsync(DbConnection c, DbTransaction tx, string residentId, DateTime now)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var code = ResidentRecordCode.Random();
            if (await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_record_codes WHERE code = @c", tx, ("c", code.Digits)) > 0) continue;
            var number = Derive(code);
            // A number retired by someone's re-issue can equal a new code's number: draw another code.
            if (await NumberEverIssuedAsync(c, tx, number)) continue;
            await RecordCodeAsync(c, tx, code, residentId, now);
            await RecordNumberAsync(c, tx, number, residentId, 0, now, null);
            return (code, number);
        }
        throw new InvalidOperationException("no free resident record code after 100 draws");
    }

    /// <summary>
    /// Re-issue after a leak: FF1 of the same code under the next re-issue count, skipping any number
    /// ever designated; the old number is marked superseded and kept.
    /// </summary>
    public async Task<IndividualNumber> ReissueAsync(DbConnection c, DbTransaction tx, string residentId, ResidentRecordCode code, string reason, DateTime now)
    {
        var count = (int)await c.ScalarAsync<long>("SELECT COALESCE(MAX(reissue_count), 0) FROM individual_numbers WHERE resident_id = @r", tx, ("r", residentId));
        IndividualNumber number;
        do number = Derive(code, ++count);
        while (await NumberEverIssuedAsync(c, tx, number));
        await c.ExecuteAsync("UPDATE individual_numbers SET superseded_at = @t WHERE resident_id = @r AND superseded_at IS NULL", tx,
            ("t", RegisterText.ToText(now)), ("r", residentId));
        await RecordNumberAsync(c, tx, number, residentId, count, now, reason);
        return number;
    }

    /// <summary>A new Resident Record Code on the person's request; the Individual Number stays as it is.</summary>
    public async Task<ResidentRecordCode> ChangeCodeAsync(DbConnection c, DbTransaction tx, string residentId, DateTime now)
    {
        ResidentRecordCode code;
        do code = ResidentRecordCode.Random();
        while (await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_record_codes WHERE code = @c", tx, ("c", code.Digits)) > 0);
        await c.ExecuteAsync("UPDATE resident_record_codes SET replaced_at = @t WHERE resident_id = @r AND replaced_at IS NULL", tx,
            ("t", RegisterText.ToText(now)), ("r", residentId));
        await RecordCodeAsync(c, tx, code, residentId, now);
        return code;
    }

    public static async Task<IndividualNumber?> CurrentNumberAsync(DbConnection c, string residentId, DbTransaction? tx = null)
    {
        var digits = await c.ScalarAsync<string>("SELECT number FROM individual_numbers WHERE resident_id = @r AND superseded_at IS NULL", tx, ("r", residentId));
        return digits is null ? null : IndividualNumber.Parse(digits);
    }

    /// <summary>
    /// Whether a number is current, superseded (retired by a re-issue) or unknown. Inside a writer's
    /// transaction, pass it: SQLite runs no command on a connection that has one without it.
    /// </summary>
    public static async Task<NumberState> StateOfAsync(DbConnection c, IndividualNumber number, DbTransaction? tx = null)
    {
        var rows = await c.QueryAsync("SELECT superseded_at FROM individual_numbers WHERE number = @n", r => r.IsDBNull(0), tx, ("n", number.Digits));
        return rows.Count == 0 ? NumberState.Unknown : rows[0] ? NumberState.Current : NumberState.Superseded;
    }

    private static async Task<bool> NumberEverIssuedAsync(DbConnection c, DbTransaction tx, IndividualNumber number) =>
        await c.ScalarAsync<long>("SELECT COUNT(*) FROM individual_numbers WHERE number = @n", tx, ("n", number.Digits)) > 0;

    private static Task RecordCodeAsync(DbConnection c, DbTransaction tx, ResidentRecordCode code, string residentId, DateTime now) =>
        c.ExecuteAsync("INSERT INTO resident_record_codes (code, resident_id, assigned_at) VALUES (@c, @r, @t)", tx,
            ("c", code.Digits), ("r", residentId), ("t", RegisterText.ToText(now)));

    private static Task RecordNumberAsync(DbConnection c, DbTransaction tx, IndividualNumber number, string residentId, int reissueCount, DateTime now, string? reason) =>
        c.ExecuteAsync("INSERT INTO individual_numbers (number, resident_id, reissue_count, designated_at, reason) VALUES (@n, @r, @k, @t, @why)", tx,
            ("n", number.Digits), ("r", residentId), ("k", reissueCount), ("t", RegisterText.ToText(now)), ("why", reason));
}

public enum NumberState
{
    Unknown,
    Current,
    Superseded,
}
