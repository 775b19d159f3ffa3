using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;

namespace Renkei.Protocol.Records;

/// <summary>The answers of the record APIs that the core and the nodes give alike.</summary>
public static class RecordProofsApi
{
    /// <summary>The consistency proof from a kept tree head's size, or why there is none.</summary>
    public static async Task<Results<Ok<ConsistencyProof>, ProblemHttpResult>> ConsistencyAsync(ProvisionLog log, long? from, CancellationToken ct)
    {
        if (from is not > 0)
            return Problems.BadRequest("invalid-size", "from には保管した署名済みツリーヘッドの件数（1 以上）を指定してください / from must be the size (1 or more) of a signed tree head you kept");
        return await log.ProveConsistencyAsync(from.Value, ct) is { } proof
            ? TypedResults.Ok(proof)
            : Problems.BadRequest("invalid-size", $"記録は {from} 件に達していません / the log holds fewer than {from} records");
    }
}
