using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;
using Renkei.Core.Agencies;
using Renkei.Core.Codes;
using Renkei.Protocol.Records;

namespace Renkei.Core.Records;

/// <summary>The core's provision records: by a person's code, the signed head, inclusion proofs, a full check.</summary>
public static class RecordsApi
{
    public static void MapRecords(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/records").WithTags("Records").RequirePermission("records");
        group.MapGet("/", ListAsync)
            .WithSummary("The records of one person, oldest first, a page at a time (limit=, after=; the Link header names the next page): " +
                "by the code a record holds, or with agency= by that agency's code, every record about the person.")
            .WithRecordPaging();
        group.MapGet("/head", (ProvisionLog log) => RecordProofsApi.HeadAsync(log)).WithSummary("The signed head of the log.");
        // The proof shows the record whole, code and all: only to a caller who names the code it holds, or a record found
        // through another agency's code (where the listing hides the code) would hand that agency's code out.
        group.MapGet("/{recordId}/proof", async Task<Results<Ok<InclusionProof>, ProblemHttpResult>> (string recordId, string? code, ProvisionLog log) =>
            CodeProblem(code) ?? await RecordProofsApi.InclusionAsync(log, recordId, code!))
            .WithSummary("A record's inclusion in the signed head, for the caller who names the code the record holds (code=).");
        // Tree heads and consistency proofs are hashes and sizes, nothing about anyone: public, so that every node and
        // auditor can witness the core's log without a token of the core's.
        var open = app.MapGroup("/api/records").WithTags("Records");
        open.MapGet("/tree-head", (ProvisionLog log, CancellationToken ct) => RecordProofsApi.TreeHeadAsync(log, ct))
            .WithSummary("The signed root of the Merkle tree over the whole log (public): keep it to ask for a consistency proof later.");
        open.MapGet("/consistency", async Task<Results<Ok<ConsistencyProof>, ProblemHttpResult>> (long? from, ProvisionLog log, CancellationToken ct) =>
            await RecordProofsApi.ConsistencyAsync(log, from, ct))
            .WithSummary("That the log still begins with the first `from` records unchanged (RFC 9162 consistency proof to a new signed tree head; public).");
        group.MapGet("/verify", async (ProvisionLog log, CancellationToken ct) => TypedResults.Ok(await log.CheckAsync(ct))).WithSummary("Recomputes every hash of the log.");
    }

    /// <summary>
    /// The core records the requester's code, so one agency's code finds only what that agency asked. Given the agency
    /// whose code it is, the core translates it into every registered agency's code and finds each record about the person,
    /// whoever asked (the oversight view); the other agencies' codes never leave the core, not even in the records found.
    /// </summary>
    /// <remarks>limit and after are read as text, so that a bad one is named in the problem; the document gives them as numbers.</remarks>
    private static async Task<Results<Ok<List<ProvisionRecord>>, ProblemHttpResult>> ListAsync(string? code, string? agency,
        [Range(1, RecordPaging.MaxLimit), Description(RecordPaging.LimitDescription)] string? limit,
        [Range(typeof(long), "0", "9223372036854775807"), Description(RecordPaging.AfterDescription)] string? after,
        ProvisionLog log, AgencyStore agencies, AgencyCodes codes, HttpContext context)
    {
        if (CodeProblem(code) is { } badCode) return badCode;
        if (RecordPaging.Read(limit, after, out var pageSize, out var from) is { } badPaging) return badPaging;
        if (string.IsNullOrEmpty(agency)) return RecordPaging.Answer(context, await log.PageByCodesAsync([code!], from, pageSize), pageSize, "code");
        var all = await agencies.ListAsync();
        if (all.All(a => a.AgencyId != agency))
            return Problems.NotFound("unknown-agency", "登録されていない機関です / No such agency", $"「{agency}」はコアに登録されていません / '{agency}' is not registered with the core.");
        // Opened once; each registered agency's code is then issued from the same link key.
        var linkKey = new byte[AgencyCodes.LinkKeyLength];
        if (!codes.TryOpen(agency, code, linkKey))
            return Problems.NotFound("unknown-code", "この機関の符号ではありません / Not a code of this agency", "この符号はその機関に発行されたものではありません / The code was not issued to that agency.");
        var translated = all.Select(a => codes.Issue(a.AgencyId, linkKey)).ToList();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(linkKey);
        // Each record holds its requester's code for the person: shown beside the others, they would link the person's codes
        // across agencies, which is what codes exist to prevent. Only the code the caller gave stays.
        // Paged over all the translated codes at once, so a page is in log order whichever agency asked.
        var page = await log.PageByCodesAsync(translated, from, pageSize);
        return RecordPaging.Answer(context, page with { Records = [.. page.Records.Select(r => r.Code == code ? r : r with { Code = null })] },
            pageSize, "code", "agency");
    }

    /// <summary>
    /// No code, or one of another form than the core issues: the relay refuses such a code with its message, so no record
    /// holds one, and an empty page would read as "nobody asked about this person".
    /// </summary>
    private static ProblemHttpResult? CodeProblem(string? code) =>
        string.IsNullOrEmpty(code) ? Problems.BadRequest("code-required", "符号を指定してください / Name the person by code")
        : AgencyCodes.IsWellFormed(code) ? null
        : Problems.BadRequest("malformed-code", "符号の形ではありません / Not a code",
            "符号はコアが発行する base64url の64文字です / A code is the 64 base64url characters the core issues.");
}
