using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;
using Renkei.Protocol.Records;

namespace Renkei.Core.Records;

/// <summary>The core's provision records: by the requester's code, the signed head, inclusion proofs, a full check.</summary>
public static class RecordsApi
{
    public static void MapRecords(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/records").WithTags("Records").RequirePermission("records");
        group.MapGet("/", async (string? code, ProvisionLog log) => string.IsNullOrEmpty(code)
            ? (IResult)Problems.BadRequest("code-required", "符号を指定してください / Name the person by code")
            : TypedResults.Ok(await log.ListByCodeAsync(code))).WithSummary("The records of one person, by the code the record holds.");
        group.MapGet("/head", async (ProvisionLog log) => TypedResults.Ok(await log.HeadAsync())).WithSummary("The signed head of the log.");
        group.MapGet("/{recordId}/proof", async Task<Results<Ok<InclusionProof>, ProblemHttpResult>> (string recordId, ProvisionLog log) =>
            await log.ProveAsync(recordId) is { } proof ? TypedResults.Ok(proof) : Problems.NotFound("unknown-record", "記録がありません / No such record"))
            .WithSummary("A record's inclusion in the signed head.");
        group.MapGet("/verify", async (ProvisionLog log) => TypedResults.Ok(await log.CheckAsync())).WithSummary("Recomputes every hash of the log.");
    }
}
