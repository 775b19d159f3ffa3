using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Residents;

namespace Renkei.Registry.Corporations;

public sealed record CorporationBatchRequest(List<RegisterCorporationRequest>? Corporations);

public sealed record CorporationBatchReceipt(int Count, IReadOnlyList<CorporationRecord> Corporations);

/// <summary>
/// The register's administration (permission <c>corporations</c>): registering corporations and
/// recording their changes (the register is built per request from the service's database, so
/// the feature needs no registration of its own). The public search is <see cref="CorporateNumberSearchApi"/>.
/// </summary>
public static class CorporationsApi
{
    /// <summary>Maps the administration API and the public search.</summary>
    public static void MapCorporations(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/corporations").WithTags("Corporations").RequirePermission("corporations");
        group.MapPost("", Register).WithSummary("法人番号の指定: registers a corporation and assigns its number.");
        group.MapPost("/batch", RegisterMany).WithSummary($"Registers up to {CorporationRegister.MaxBatch} corporations, all or none.");
        group.MapGet("/{number}", Get).WithSummary("A corporation's newest record and its history.");
        group.MapPost("/{number}/changes", Change).WithSummary("Records a change (process 11, 12, 13, 21, 22, 71, 72, 81, 99) as a new record.");
        app.MapCorporateNumberSearch();
    }

    private static async Task<Results<Created<CorporationView>, ProblemHttpResult>> Register(RegisterCorporationRequest request, Database database, TimeProvider time,
        [FromHeader(Name = IdempotencyKey.Header)] string? idempotencyKey = null)
    {
        var (key, badKey) = IdempotencyKey.From(idempotencyKey, "corporations", request);
        if (badKey is not null) return badKey;
        var errors = new Dictionary<string, string[]>();
        var valid = CorporationRegister.Validate(request, JapanTime.Today(time), errors);
        if (valid is null) return Problems.Invalid(errors, "invalid-corporation");
        var (records, refusal) = await new CorporationRegister(database, time).RegisterAsync([valid], key: key);
        if (records is null) return refusal!.ToProblem();
        var view = new CorporationView(records[0], records);
        return TypedResults.Created($"/api/corporations/{records[0].CorporateNumber}", view);
    }

    private static async Task<Results<Created<CorporationBatchReceipt>, ProblemHttpResult>> RegisterMany(CorporationBatchRequest request, Database database, TimeProvider time,
        [FromHeader(Name = IdempotencyKey.Header)] string? idempotencyKey = null)
    {
        var (key, badKey) = IdempotencyKey.From(idempotencyKey, "corporations/batch", request);
        if (badKey is not null) return badKey;
        var items = request.Corporations ?? [];
        if (items.Count is 0 or > CorporationRegister.MaxBatch)
            return Problems.Invalid(new Dictionary<string, string[]>
            {
                ["corporations"] = [$"1件から{CorporationRegister.MaxBatch}件までです / give 1 to {CorporationRegister.MaxBatch} corporations"],
            }, "invalid-corporation");
        var errors = new Dictionary<string, string[]>();
        var today = JapanTime.Today(time);
        var valid = new List<CorporationRegister.ValidRegistration>(items.Count);
        for (var i = 0; i < items.Count; i++)
            if (items[i] is null) errors[$"corporations[{i}]"] = ["空の要素です / the item is empty"];
            else if (CorporationRegister.Validate(items[i], today, errors, ItemPrefix(i)) is { } v) valid.Add(v);
        if (errors.Count > 0) return Problems.Invalid(errors, "invalid-corporation");
        var (records, refusal) = await new CorporationRegister(database, time).RegisterAsync(valid, key: key, itemPrefix: ItemPrefix);
        if (records is null) return refusal!.ToProblem();
        return TypedResults.Created("/api/corporations", new CorporationBatchReceipt(records.Count, records));
    }

    /// <summary>How a batch's validation and its refusals name item <paramref name="i"/>'s fields.</summary>
    private static string ItemPrefix(int i) => $"corporations[{i}].";

    private static async Task<Results<Ok<CorporationView>, ProblemHttpResult>> Get(string number, Database database, TimeProvider time)
    {
        if (!CorporateNumber.TryParse(number, out var n, out var problem)) return InvalidNumber(problem!);
        return await new CorporationRegister(database, time).FindAsync(n.Digits) is { } view ? TypedResults.Ok(view) : CorporationRegister.UnknownCorporation.ToProblem();
    }

    private static async Task<Results<Created<CorporationRecord>, ProblemHttpResult>> Change(string number, CorporationChangeRequest request, Database database, TimeProvider time,
        [FromHeader(Name = IdempotencyKey.Header)] string? idempotencyKey = null)
    {
        if (!CorporateNumber.TryParse(number, out var n, out var problem)) return InvalidNumber(problem!);
        var (key, badKey) = IdempotencyKey.From(idempotencyKey, $"corporations/{n.Digits}/changes", request);
        if (badKey is not null) return badKey;
        var errors = new Dictionary<string, string[]>();
        var (record, refusal) = await new CorporationRegister(database, time).ChangeAsync(n.Digits, request, errors, key: key);
        if (errors.Count > 0) return Problems.Invalid(errors, "invalid-change");
        if (record is null) return refusal!.ToProblem();
        return TypedResults.Created($"/api/corporations/{n.Digits}", record);
    }

    private static ProblemHttpResult InvalidNumber(NumberProblem problem) =>
        Problems.BadRequest("invalid-corporate-number", "法人番号が不正です / Invalid corporate number", problem.Message);
}
