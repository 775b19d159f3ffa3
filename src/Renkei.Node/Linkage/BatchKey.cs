using System.Data.Common;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;
using Renkei.Hosting.Storage;

namespace Renkei.Node.Linkage;

/// <summary>
/// The <c>Idempotency-Key</c> a caller sends with a batch: a submission whose answer was lost (a timeout, a connection cut, Ctrl+C)
/// is sent again under the same key and gets the batch it made, not a second one that would ask every person twice. Kept with
/// the batch, per tenant, for as long as the batch is (<see cref="NodeOptions.BatchResultDays"/> after it is done); the same key
/// with another request (or from another caller) is refused. The Registry's events take the same header by the same rules.
/// </summary>
public sealed record BatchKey(string Key, string RequestHash)
{
    public const string Header = IdempotencyKeyHeader.Name;

    /// <summary>No key and no problem without the header; a problem for a malformed one.</summary>
    public static (BatchKey? Key, ProblemHttpResult? Problem) From(string? header, string caller, InquiryBatchRequest request)
    {
        var (key, problem) = IdempotencyKeyHeader.Read(header, caller, request);
        return (key is { } k ? new BatchKey(k.Key, k.RequestHash) : null, problem);
    }

    /// <summary>The batch made under this key, a refusal when another request made it, or null when none was.</summary>
    public async Task<(InquiryBatch? Batch, ProblemHttpResult? Refusal)?> EarlierAsync(DbConnection c)
    {
        var rows = await c.QueryAsync("SELECT batch_id, request_hash FROM inquiry_batches WHERE idempotency_key = @k",
            r => (Id: r.GetString(0), Hash: r.GetString(1)), null, ("k", Key));
        if (rows is not [var earlier]) return null;
        if (earlier.Hash != RequestHash) return (null, Reused());
        return await InquiryBatchesApi.FindAsync(c, earlier.Id) is { } batch ? (batch, null) : null;
    }

    private static ProblemHttpResult Reused() =>
        Problems.Result(422, "idempotency-key-reused", "冪等キーが別の要求に使われています / The Idempotency-Key was used for another request",
            "同じ冪等キーで異なる内容の一括照会を受け付けていました。新しい一括照会には新しいキーを使ってください / " +
            "A different batch was submitted under this key: use a new key for a new batch.");
}
