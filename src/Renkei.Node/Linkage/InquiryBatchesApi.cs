using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Node.Codes;
using Renkei.Node.Tenants;
using Renkei.Protocol;
using Renkei.Protocol.Records;

namespace Renkei.Node.Linkage;

/// <summary>A batch inquiry: one affair, provider and item for many people, by their addressee numbers.</summary>
public sealed record InquiryBatchRequest(string? Affair, string? Provider, string? Item, List<string?>? AddresseeNumbers)
{
    /// <summary>As the body gives it, read by <see cref="InquiriesApi.CheckNotBefore"/>. Not a constructor parameter: the OpenAPI document
    /// shows the description only of a property.</summary>
    [Description(RequestedTime.Description)]
    public string? NotBefore { get; init; }
}

/// <summary>One answered person of a batch, at its position (1-based) in the submitted list.</summary>
public sealed record InquiryBatchResult(int Position, string AddresseeNumber, Outcome Outcome, string? Reason, string? MessageId,
    int? SchemaVersion = null, JsonElement? Content = null, DateTime? UpdatedAt = null, DateTimeOffset? ProvidedAt = null);

/// <summary>
/// A batch's progress and a page of its results. <c>Next</c> is the cursor: pass it as <c>after</c>
/// to get the results that follow; results come in submission order, as far as all are answered.
/// </summary>
public sealed record InquiryBatchStatus(string BatchId, [property: AllowedValues("pending", "running", "done")] string Status, string Affair, string Provider, string Item, DateTimeOffset? NotBefore,
    DateTimeOffset SubmittedAt, DateTimeOffset? CompletedAt, int Total, int Answered, Dictionary<string, int> Counts,
    List<InquiryBatchResult> Results, int Next);

/// <summary>What the worker needs of a batch, with the caller who submitted it (<see cref="SubmittedBy"/>, its name).</summary>
public sealed record InquiryBatch(string BatchId, string Affair, string Provider, string Item, DateTimeOffset? NotBefore, DateTimeOffset SubmittedAt,
    DateTimeOffset? CompletedAt, int Total, string SubmittedBy);

/// <summary>
/// 一括照会: a business system submits many people at once; the caller's affair is checked and the
/// batch stored before the answer (202), then <see cref="InquiryBatchWorker"/> asks for each person
/// as an immediate inquiry would, and the caller pages through the results with a cursor.
/// </summary>
public static class InquiryBatchesApi
{
    private const int DefaultPage = 100, MaxPage = 1000;

    public static void MapInquiryBatches(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/tenants/{agencyId}/inquiry-batches").WithTags("Inquiries").RequireAuthorization(NodeApp.StaffPolicy);
        group.MapPost("/", Submit).WithSummary("Submits one inquiry for many people; answered asynchronously (202 and a Location).")
            .WithDescription("With an Idempotency-Key header (1 to 100 visible ASCII characters), a submission sent again after its answer was lost "
                + "(a timeout, a connection cut) gets 202 with the batch the first made, for as long as the node keeps that batch, and nothing new is "
                + "stored or asked; the same key with another request or from another caller is refused (422 idempotency-key-reused).");
        group.MapGet("/{batchId}", Read).WithSummary("A batch's status, counts per outcome and results after the cursor (?after=N&limit=M).");
        group.MapDelete("/{batchId}", Delete).WithSummary("Cancels what is still pending and removes the batch and its results.");
    }

    private static async Task<Results<Accepted<InquiryBatchStatus>, ProblemHttpResult>> Submit(string agencyId, InquiryBatchRequest request,
        ClaimsPrincipal user, TenantDirectory tenants, NodeOptions options, InquiryBatchWorker worker, KnownAgencies agencies, TimeProvider time,
        ILogger<InquiryBatch> log, [FromHeader(Name = BatchKey.Header)] string? idempotencyKey = null)
    {
        var (tenant, problem) = tenants.Enter(user, agencyId);
        if (tenant is null) return problem!;
        var (key, badKey) = BatchKey.From(idempotencyKey, user.Identity?.Name ?? "", request);
        if (badKey is not null) return badKey;
        var errors = new Dictionary<string, string[]>();
        InquiriesApi.CheckNames(request.Affair, request.Provider, request.Item, errors);
        // Checked when submitted: by the time the worker asks, the range's end has only moved on.
        var notBefore = InquiriesApi.CheckNotBefore(request.NotBefore, time, errors);
        var numbers = request.AddresseeNumbers ?? [];
        if (numbers.Count == 0) errors["addresseeNumbers"] = ["1件以上必要です / at least one is required"];
        if (errors.Count > 0) return Problems.Invalid(errors);
        if (numbers.Count > options.BatchMaxItems)
            return Problems.BadRequest("too-many-items", "一度に照会できる件数を超えています / Too many people in one batch",
                $"{numbers.Count:N0}件は上限の{options.BatchMaxItems:N0}件を超えています。一覧を複数の一括照会に分けてください / " +
                $"{numbers.Count:N0} > {options.BatchMaxItems:N0}; split the list into several batches.");
        // Positions are 1-based, as a person counts lines of the list the numbers came from.
        if (CodeManagementApi.RefuseMistyped("addresseeNumbers", numbers, first: 1) is { } numberShaped) return numberShaped;
        var malformed = numbers.Select((n, i) => (n, i)).Where(x => !CodeManagementApi.IsAddresseeNumber(x.n)).Take(20).ToList();
        if (malformed.Count > 0)
            return Problems.Invalid(malformed.ToDictionary(x => $"addresseeNumbers[{x.i + 1}]", _ => new[] { "宛名番号が不正です / invalid addressee number" }),
                "invalid-addressee-numbers");
        var duplicates = numbers.Select((n, i) => (n: n!, i)).GroupBy(x => x.n).Where(g => g.Count() > 1).Take(20).ToList();
        if (duplicates.Count > 0)
            return Problems.BadRequest("duplicate-addressee-numbers", "同じ宛名番号が複数あります / The same addressee number appears more than once",
                $"同じ宛名番号の位置：{string.Join("；", duplicates.Select(g => $"{string.Join(", ", g.Select(x => x.i + 1))}番目"))} / " +
                string.Join("; ", duplicates.Select(g => $"positions {string.Join(", ", g.Select(x => x.i + 1))}")));

        var now = time.GetUtcNow();
        // The prefix check, as for an immediate inquiry: refused at once, and recorded for each person. Here and below the
        // core's agency list is asked with no connection open, and the connection is closed before the records are written:
        // held while a slow core answers (up to KnownAgencies.LongestWait), or while the record writer waits for one of its
        // own, connections could drain the tenant's pool.
        if (!user.IsInRole("affair:" + request.Affair))
        {
            log.LogInformation("Batch of {Count} people refused as affair-not-assigned at tenant {AgencyId}: caller {Caller} does not hold affair {Affair}",
                numbers.Count, agencyId, user.Identity?.Name, request.Affair);
            var recorded = await agencies.RecordedProviderAsync(request.Provider!);
            var codes = new List<string?>(numbers.Count);
            await using (var lookup = await tenant.Database.OpenAsync())
                foreach (var n in numbers) codes.Add(await Tenant.AgencyCodeOfAsync(lookup, n));
            await Task.WhenAll(codes.Select(code => tenant.Records.AppendAsync(new ProvisionEntry(Envelope.NewId(), now, null, agencyId, recorded,
                request.Affair!, request.Item!, code, Outcome.NotPermitted, "affair-not-assigned", false))));
            return Problems.Result(403, "affair-not-assigned", "この事務の権限がありません / The caller is not assigned this affair",
                $"事務「{Problems.Shown(request.Affair!)}」を割り当てられた人に依頼してください / Ask someone assigned '{Problems.Shown(request.Affair!)}'.");
        }

        // Sent again under its key: the batch made, before the core is asked (a retry neither waits on a slow core nor fails by it).
        if (key is not null && await SubmittedBeforeAsync(tenant, key, agencyId, log) is { } again) return again;

        // The batch keeps its provider until it is done: only an agency the core registered, never an id that may hide a number.
        switch (await agencies.KnowsAsync(request.Provider!))
        {
            case false:
                return Problems.Invalid(new Dictionary<string, string[]> { ["provider"] = [UnknownProvider] }, RelayKinds.UnknownProviderReason);
            case null:
                return Problems.Result(503, "core-unreachable", "コアに接続できません / The core could not be reached",
                    "情報提供者が登録された機関か確かめられませんでした。しばらくしてから送り直してください / " +
                    "Whether the provider is a registered agency could not be checked; send the batch again later.");
        }

        var batchId = Envelope.NewId();
        await using var c = await tenant.Database.OpenAsync();
        try
        {
            await using var tx = await c.BeginTransactionAsync();
            await c.ExecuteAsync(
                """
                INSERT INTO inquiry_batches (batch_id, affair, provider, item, not_before, submitted_by, submitted_at, item_count, idempotency_key, request_hash)
                VALUES (@b, @a, @p, @i, @nb, @by, @t, @n, @k, @h)
                """, tx, ("b", batchId), ("a", request.Affair), ("p", request.Provider), ("i", request.Item),
                ("nb", notBefore is { } nb ? Text(nb) : null), ("by", user.Identity?.Name ?? ""), ("t", Text(now)), ("n", numbers.Count),
                ("k", key?.Key), ("h", key?.RequestHash));
            // Many rows per statement: one round trip per chunk rather than per person.
            foreach (var chunk in numbers.Select((n, i) => (n: n!, position: i + 1)).Chunk(200))
            {
                await using var insert = c.Command("", tx, ("b", batchId));
                insert.CommandText = "INSERT INTO inquiry_batch_items (batch_id, position, addressee_number) VALUES " +
                    string.Join(", ", chunk.Select((_, k) => $"(@b, @p{k}, @n{k})"));
                for (var k = 0; k < chunk.Length; k++) insert.Add("p" + k, chunk[k].position).Add("n" + k, chunk[k].n);
                await insert.ExecuteNonQueryAsync();
            }
            await tx.CommitAsync();
        }
        // Two submissions under one key at once: the one that committed first made the batch, and the other answers with it.
        catch (Exception e) when (key is not null && Database.IsUniqueViolation(e))
        {
            if (await SubmittedBeforeAsync(tenant, key, agencyId, log) is { } first) return first;
            throw;
        }
        worker.Wake(agencyId);
        log.LogInformation("Batch {BatchId} of tenant {AgencyId} submitted by {Caller}: affair {Affair}, provider {Provider}, item {Item}, {Count} people",
            batchId, agencyId, user.Identity?.Name, request.Affair, request.Provider, request.Item, numbers.Count);
        var batch = new InquiryBatch(batchId, request.Affair!, request.Provider!, request.Item!, notBefore, now, null, numbers.Count, user.Identity?.Name ?? "");
        return TypedResults.Accepted($"/api/tenants/{agencyId}/inquiry-batches/{batchId}", await StatusAsync(c, batch, 0, 0));
    }

    /// <summary>The answer to a submission sent again under <paramref name="key"/>: the batch it made (202), a refusal, or null when none was made.</summary>
    private static async Task<Results<Accepted<InquiryBatchStatus>, ProblemHttpResult>?> SubmittedBeforeAsync(Tenant tenant, BatchKey key, string agencyId,
        ILogger<InquiryBatch> log)
    {
        await using var c = await tenant.Database.OpenAsync();
        switch (await key.EarlierAsync(c))
        {
            case null: return null;
            case ({ } batch, _):
                log.LogInformation("Batch {BatchId} of tenant {AgencyId} submitted again under its Idempotency-Key: nothing new stored", batch.BatchId, agencyId);
                return TypedResults.Accepted($"/api/tenants/{agencyId}/inquiry-batches/{batch.BatchId}", await StatusAsync(c, batch, 0, 0));
            case (_, var refusal): return refusal!;
        }
    }

    // after and limit are read as text, so that a bad one is named in the errors as the body's fields are; the document gives them as numbers.
    private static async Task<Results<Ok<InquiryBatchStatus>, ProblemHttpResult>> Read(string agencyId, string batchId,
        [Range(0, int.MaxValue)] string? after, [Range(1, MaxPage)] string? limit,
        ClaimsPrincipal user, TenantDirectory tenants)
    {
        var (tenant, problem) = tenants.Enter(user, agencyId);
        if (tenant is null) return problem!;
        if (!IsBatchId(batchId)) return MalformedId();
        var errors = new Dictionary<string, string[]>();
        var from = 0;
        var size = DefaultPage;
        if (after is not null && (!int.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out from)))
            errors["after"] = ["0以上の整数です / must be a whole number, 0 or more"];
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxPage))
            errors["limit"] = [$"1から{MaxPage}までの整数です / must be a whole number from 1 to {MaxPage}"];
        if (errors.Count > 0) return Problems.Invalid(errors);
        await using var c = await tenant.Database.OpenAsync();
        if (await FindAsync(c, batchId) is not { } batch || !user.IsInRole("affair:" + batch.Affair)) return UnknownBatch();
        return TypedResults.Ok(await StatusAsync(c, batch, from, size));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string agencyId, string batchId, ClaimsPrincipal user, TenantDirectory tenants,
        InquiryBatchWorker worker)
    {
        var (tenant, problem) = tenants.Enter(user, agencyId);
        if (tenant is null) return problem!;
        if (!IsBatchId(batchId)) return MalformedId();
        await using var c = await tenant.Database.OpenAsync();
        if (await FindAsync(c, batchId) is not { } batch || !user.IsInRole("affair:" + batch.Affair)) return UnknownBatch();
        await using var tx = await c.BeginTransactionAsync();
        await c.ExecuteAsync("DELETE FROM inquiry_batch_items WHERE batch_id = @b", tx, ("b", batchId));
        await c.ExecuteAsync("DELETE FROM inquiry_batches WHERE batch_id = @b", tx, ("b", batchId));
        await tx.CommitAsync();
        // After the commit: the worker's page read later finds nobody, one read before stops before its next person.
        worker.Cancel(batchId);
        return TypedResults.NoContent();
    }

    private const string UnknownProvider = "コアに登録された機関ではありません / is not an agency registered with the core";

    /// <summary>Batch ids are 128 random bits in lower-case hex, like message ids.</summary>
    private static bool IsBatchId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);

    private static ProblemHttpResult MalformedId() =>
        Problems.BadRequest("malformed-batch-id", "一括照会IDの形式が不正です / Malformed batch id",
            "一括照会IDは英小文字の16進数32桁です / A batch id is 32 lower-case hexadecimal digits.");

    // Another tenant's batch, or one of an affair the caller does not hold, is as unknown as a missing one.
    private static ProblemHttpResult UnknownBatch() =>
        Problems.NotFound("unknown-batch", "該当する一括照会はありません / No such batch",
            "このIDの一括照会は、この呼び出し元にはありません / No batch with this id for this caller.");

    public static async Task<InquiryBatch?> FindAsync(DbConnection c, string batchId) =>
        (await c.QueryAsync("SELECT batch_id, affair, provider, item, not_before, submitted_at, completed_at, item_count, submitted_by FROM inquiry_batches WHERE batch_id = @b",
            ReadBatch, null, ("b", batchId))).SingleOrDefault();

    /// <summary>The oldest batch with unanswered people, which the worker takes next.</summary>
    public static async Task<InquiryBatch?> OldestOpenAsync(DbConnection c) =>
        (await c.QueryAsync(
            "SELECT batch_id, affair, provider, item, not_before, submitted_at, completed_at, item_count, submitted_by FROM inquiry_batches WHERE completed_at IS NULL ORDER BY submitted_at, batch_id LIMIT 1",
            ReadBatch)).SingleOrDefault();

    private static InquiryBatch ReadBatch(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
        r.GetNullableString(4) is { } nb ? ParseTime(nb) : null, ParseTime(r.GetString(5)), r.GetNullableString(6) is { } done ? ParseTime(done) : null,
        Convert.ToInt32(r.GetValue(7)), r.GetString(8));

    private static async Task<InquiryBatchStatus> StatusAsync(DbConnection c, InquiryBatch batch, int after, int limit)
    {
        var counts = (await c.QueryAsync("SELECT outcome, COUNT(*) FROM inquiry_batch_items WHERE batch_id = @b AND outcome IS NOT NULL GROUP BY outcome",
            r => (Outcome: Enum.Parse<Outcome>(r.GetString(0)), Count: Convert.ToInt32(r.GetValue(1))), null, ("b", batch.BatchId)))
            .ToDictionary(x => JsonNamingPolicy.KebabCaseLower.ConvertName(x.Outcome.ToString()), x => x.Count);
        var answered = counts.Values.Sum();
        var results = new List<InquiryBatchResult>();
        if (limit > 0)
        {
            var rows = await c.QueryAsync(
                """
                SELECT position, addressee_number, outcome, reason, message_id, schema_version, content, updated_at, provided_at
                FROM inquiry_batch_items WHERE batch_id = @b AND position > @after ORDER BY position LIMIT @limit
                """,
                r => r.IsDBNull(2) ? null : new InquiryBatchResult(Convert.ToInt32(r.GetValue(0)), r.GetString(1), Enum.Parse<Outcome>(r.GetString(2)),
                    r.GetNullableString(3), r.GetNullableString(4), r.IsDBNull(5) ? null : Convert.ToInt32(r.GetValue(5)),
                    r.GetNullableString(6) is { } json ? JsonDocument.Parse(json).RootElement.Clone() : null,
                    r.GetNullableString(7) is { } u ? DateTime.Parse(u, System.Globalization.CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null,
                    r.GetNullableString(8) is { } p ? ParseTime(p) : null),
                null, ("b", batch.BatchId), ("after", after), ("limit", limit));
            // Only the answered run right after the cursor: a cursor never skips a person still pending.
            results.AddRange(rows.TakeWhile(x => x is not null).Select(x => x!));
        }
        var status = answered == batch.Total ? "done" : answered == 0 ? "pending" : "running";
        return new InquiryBatchStatus(batch.BatchId, status, batch.Affair, batch.Provider, batch.Item, batch.NotBefore, batch.SubmittedAt, batch.CompletedAt,
            batch.Total, answered, counts, results, results.Count > 0 ? results[^1].Position : after);
    }

    public static string Text(DateTimeOffset t) => t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
