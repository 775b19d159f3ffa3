using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;

namespace Renkei.Protocol.Records;

/// <summary>The answers of the record APIs that the core and the nodes give alike.</summary>
public static class RecordProofsApi
{
    /// <summary>The slug of a log that no longer ends at its party's signed head.</summary>
    public const string HeadNotReached = "head-not-reached";

    /// <summary>The slug of a log with records gone from its middle.</summary>
    public const string RecordsMissing = "records-missing";

    /// <summary>Whether a party's problem is its own word that its log is broken, which an audit or a witness reports as such, never as a fault.</summary>
    public static bool IsBrokenLog(string? slug) => slug is HeadNotReached or RecordsMissing;

    /// <summary>
    /// A record's inclusion proof, or why there is none: no such record, or one erased after its retention. Given
    /// <paramref name="code"/>, a record holding another code is no such record: the proof shows the record whole, code and all.
    /// </summary>
    public static async Task<Results<Ok<InclusionProof>, ProblemHttpResult>> InclusionAsync(ProvisionLog log, string recordId, string? code = null)
    {
        InclusionProof? proof;
        try { proof = await log.ProveAsync(recordId); }
        catch (MissingRecordsException e) { return Missing(e); }
        catch (HeadNotReachedException e) { return NotReached(e); }
        if (proof is null || code is not null && proof.Record.ErasedAt is null && proof.Record.Code != code)
            return Problems.NotFound("unknown-record", "記録がありません / No such record");
        if (proof.Record.ErasedAt is { } erased)
            return Problems.Result(410, "record-erased", "保存期間を過ぎて消去された記録です / The record was erased after its retention",
                $"{ProvisionLog.TimeText(erased)} に消去されました。記録の位置は残りますが、本人の符号はありません / " +
                $"erased at {ProvisionLog.TimeText(erased)}; it keeps its place in the log but no longer holds the person's code.");
        return TypedResults.Ok(proof);
    }

    /// <summary>The consistency proof from a kept tree head's size, or why there is none.</summary>
    public static async Task<Results<Ok<ConsistencyProof>, ProblemHttpResult>> ConsistencyAsync(ProvisionLog log, long? from, CancellationToken ct)
    {
        if (from is not > 0)
            return Problems.BadRequest("invalid-size", "from には保管した署名済みツリーヘッドの件数（1 以上）を指定してください / from must be the size (1 or more) of a signed tree head you kept");
        try
        {
            return await log.ProveConsistencyAsync(from.Value, ct) is { } proof
                ? TypedResults.Ok(proof)
                : Problems.BadRequest("invalid-size", $"記録は {from} 件に達していません / the log holds fewer than {from} records");
        }
        catch (MissingRecordsException e) { return Missing(e); }
        catch (HeadNotReachedException e) { return NotReached(e); }
    }

    /// <summary>The party's stored signed head, or why there is none: a log with records and no head row was cut or tampered with.</summary>
    public static async Task<Results<Ok<SignedHead>, ProblemHttpResult>> HeadAsync(ProvisionLog log)
    {
        try { return TypedResults.Ok(await log.HeadAsync()); }
        catch (HeadNotReachedException e) { return NotReached(e); }
    }

    /// <summary>The signed root of the tree over the whole log, or why there is none.</summary>
    public static async Task<Results<Ok<SignedTreeHead>, ProblemHttpResult>> TreeHeadAsync(ProvisionLog log, CancellationToken ct)
    {
        try { return TypedResults.Ok(await log.TreeHeadAsync(ct)); }
        catch (MissingRecordsException e) { return Missing(e); }
        catch (HeadNotReachedException e) { return NotReached(e); }
    }

    /// <summary>A log with records gone from its middle: the tampering is the answer, not a fault of the service (was a 500).</summary>
    private static ProblemHttpResult Missing(MissingRecordsException e) =>
        Problems.Conflict(RecordsMissing, "情報提供等記録が欠けています / Provision records are missing from the log",
            e.Message + "。/verify で確かめてください / check the log with /verify.");

    /// <summary>A log that no longer ends at its party's signed head: signing a tree over it would vouch for records the party never signed.</summary>
    private static ProblemHttpResult NotReached(HeadNotReachedException e) =>
        Problems.Conflict(HeadNotReached, "情報提供等記録が署名済みの先頭に届きません / The provision log does not reach its signed head",
            e.Message + "。/verify で確かめてください / check the log with /verify.");
}
