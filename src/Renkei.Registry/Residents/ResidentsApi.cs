using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Identity;
using Renkei.Registry.Numbering;

namespace Renkei.Registry.Residents;

/// <summary>
/// A request for a new number after a leak. <see cref="NewLeak"/> says it is for a leak found after the last re-issue: without it, or an
/// Idempotency-Key, a second re-issue within ten minutes is taken as the first sent twice, and refused.
/// </summary>
public sealed record ReissueRequest(string? Reason, [property: AllowedValues("person", "mayor")] string? RequestedBy, bool? NewLeak = null);

public sealed record ResidentView(IdentityInfo Resident, string? HouseholdId, string Relationship, string? MovingTo);

/// <summary>
/// A municipality's clerk records events for its own residents and reads them back. Callers need
/// the permission <c>municipality:{code}</c>.
/// </summary>
public static class ResidentsApi
{
    public static void MapResidents(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/municipalities/{code}").WithTags("Residents").RequireAuthorization();
        group.MapPost("/events", RecordEvent).WithSummary("Records a birth, move-in, move-out, address change, name change, death or head change (世帯主変更).");
        group.MapGet("/residents", List).WithSummary("The municipality's residents, paged by resident id.");
        group.MapGet("/residents/{residentId}", Get).WithSummary("A resident's current record.");
        group.MapGet("/residents/{residentId}/events", History)
            .WithSummary("The events this municipality recorded of its resident, oldest first; a move-in names where from (movedInFrom).");
        group.MapPost("/residents/{residentId}/number-reissue", Reissue).WithSummary("個人番号の変更: a new number after a leak.");
        group.MapPost("/residents/{residentId}/resident-record-code-change", ChangeCode).WithSummary("住民票コードの変更 on request; the number stays.");
    }

    /// <summary>Parses the municipality in the route and checks the caller may act for it.</summary>
    private static (LocalGovernmentCode Code, ProblemHttpResult? Problem) Authorize(string code, ClaimsPrincipal user)
    {
        if (!LocalGovernmentCode.TryParse(code, out var m, out var problem))
            return (default, Problems.BadRequest("invalid-local-government-code", "地方公共団体コードが不正です / Invalid local government code", problem!.Message));
        if (!user.Holds($"municipality:{m.Digits}"))
            return (m, Problems.Result(403, "forbidden", "この市区町村の権限がありません / Not permitted for this municipality",
                $"権限 municipality:{m.Digits} がありません / The caller does not hold municipality:{m.Digits}."));
        return (m, null);
    }

    private static async Task<Results<Created<EventReceipt>, ProblemHttpResult>> RecordEvent(
        string code, ResidentEventRequest request, ClaimsPrincipal user, ResidentRegister register, TimeProvider clock,
        [FromHeader(Name = IdempotencyKey.Header)] string? idempotencyKey = null)
    {
        var (municipality, denied) = Authorize(code, user);
        if (denied is not null) return denied;
        var (key, badKey) = IdempotencyKey.From(idempotencyKey, "events", request);
        if (badKey is not null) return badKey;
        var (valid, errors) = ResidentEventValidation.Validate(request, JapanTime.Today(clock));
        if (valid is null) return Problems.Invalid(errors, "invalid-event");
        var (receipt, refusal) = await register.RecordAsync(municipality, valid, key, readsIdentity: user.Holds("identity"));
        if (receipt is not null) return TypedResults.Created($"/api/municipalities/{municipality.Digits}/residents/{receipt.ResidentId}", receipt);
        return refusal!.ToProblem();
    }

    private static async Task<Results<Ok<List<ResidentView>>, ProblemHttpResult>> List(
        string code, ClaimsPrincipal user, Database database, string? after = null, [Range(1, 1000)] int limit = 100)
    {
        var (municipality, denied) = Authorize(code, user);
        if (denied is not null) return denied;
        if (limit is < 1 or > 1000) return Problems.BadRequest("invalid-limit", "件数が不正です / Invalid limit", "limit は1〜1000です / limit is from 1 to 1000.");
        await using var c = await database.OpenAsync();
        // A code no municipality has (a typo in a script) is not one with no residents: an empty list would read as the latter.
        if (!await ResidentStore.MunicipalityExistsAsync(c, null, municipality))
            return ResidentRegister.UnknownMunicipality(municipality).ToProblem();
        var views = new List<ResidentView>();
        foreach (var r in await ResidentStore.ListAsync(c, municipality, after, limit))
            if (await NumberingAuthority.CurrentNumberAsync(c, r.ResidentId) is { } n) views.Add(ToView(r, n));
        return TypedResults.Ok(views);
    }

    private static async Task<Results<Ok<ResidentView>, ProblemHttpResult>> Get(string code, string residentId, ClaimsPrincipal user, Database database)
    {
        var (municipality, denied) = Authorize(code, user);
        if (denied is not null) return denied;
        await using var c = await database.OpenAsync();
        var r = await ResidentStore.FindAsync(c, residentId);
        // Another municipality's resident answers exactly as an unknown one.
        if (r is null || r.MunicipalityCode != municipality || await NumberingAuthority.CurrentNumberAsync(c, residentId) is not { } n)
            return Unknown();
        return TypedResults.Ok(ToView(r, n));
    }

    private static async Task<Results<Ok<List<ResidentEvent>>, ProblemHttpResult>> History(string code, string residentId, ClaimsPrincipal user, Database database)
    {
        var (municipality, denied) = Authorize(code, user);
        if (denied is not null) return denied;
        await using var c = await database.OpenAsync();
        var r = await ResidentStore.FindAsync(c, residentId);
        if (r is null || r.MunicipalityCode != municipality) return Unknown();
        return TypedResults.Ok(OwnHistory(await ResidentStore.EventsOfAsync(c, residentId), municipality));
    }

    /// <summary>
    /// The events <paramref name="municipality"/> recorded, each move-in naming where from. The earlier municipalities' events (addresses,
    /// households and relationships there, re-issue reasons) are theirs, as each keeps its own records (除票): a relationship there
    /// could tell the new one of a separation.
    /// </summary>
    private static List<ResidentEvent> OwnHistory(IReadOnlyList<ResidentEvent> events, LocalGovernmentCode municipality)
    {
        var own = new List<ResidentEvent>();
        ResidentEvent? movedOut = null;
        foreach (var e in events)
        {
            if (e.Kind == ResidentEventKind.MoveOut) movedOut = e;
            if (e.MunicipalityCode != municipality) continue;
            // A move-in with no move-out before it started the record: a newcomer from abroad.
            own.Add(e.Kind == ResidentEventKind.MoveIn
                ? e with { MovedInFrom = movedOut is null || movedOut.Abroad ? "abroad" : movedOut.MunicipalityCode.Digits }
                : e);
        }
        return own;
    }

    private static async Task<Results<Ok<EventReceipt>, ProblemHttpResult>> Reissue(
        string code, string residentId, ReissueRequest request, ClaimsPrincipal user, ResidentRegister register,
        [FromHeader(Name = IdempotencyKey.Header)] string? idempotencyKey = null)
    {
        var (municipality, denied) = Authorize(code, user);
        if (denied is not null) return denied;
        var (key, badKey) = IdempotencyKey.From(idempotencyKey, $"number-reissue {residentId}", request);
        if (badKey is not null) return badKey;
        var reason = RegisterText.Normalize(request.Reason);
        var by = request.RequestedBy?.ToLowerInvariant();
        var errors = new Dictionary<string, string[]>();
        if (reason.Length == 0) errors["reason"] = ["変更の理由を入力してください / reason is required (e.g. the number leaked)"];
        else if (RegisterText.Length(reason) > 200) errors["reason"] = ["変更の理由が長すぎます / reason is at most 200 characters"];
        else if (!StoredText.IsWellFormed(request.Reason)) errors["reason"] = [StoredText.Refusal];
        // The leaked number is the one thing a reason must not say: the register keeps it beside the new one, in the event log for good.
        else if (NumberShape.ContainsIndividualNumberInFreeText(request.Reason) || NumberShape.ContainsIndividualNumberInFreeText(reason))
            errors["reason"] = ["個人番号と読める数字（11桁か12桁、区切りや漢数字で書いたものも）は入力できません。漏えいした番号は書かずに理由を入力してください / " +
                "reason must not hold what reads as an Individual Number (11 or 12 digits, also in groups or in kanji numerals): give the reason without the leaked number"];
        if (by is not ("person" or "mayor")) errors["requestedBy"] = ["請求者は person（本人）または mayor（市町村長）です / requestedBy must be person or mayor"];
        if (errors.Count > 0) return Problems.Invalid(errors);
        var (receipt, refusal) = await register.ReissueNumberAsync(municipality, residentId, $"{by}: {reason}", key, request.NewLeak == true);
        return receipt is not null ? TypedResults.Ok(receipt)
            : refusal!.ToProblem();
    }

    private static async Task<Results<Ok<EventReceipt>, ProblemHttpResult>> ChangeCode(string code, string residentId, ClaimsPrincipal user, ResidentRegister register,
        [FromHeader(Name = IdempotencyKey.Header)] string? idempotencyKey = null)
    {
        var (municipality, denied) = Authorize(code, user);
        if (denied is not null) return denied;
        var (key, badKey) = IdempotencyKey.From(idempotencyKey, $"resident-record-code-change {residentId}", residentId);
        if (badKey is not null) return badKey;
        var (receipt, refusal) = await register.ChangeResidentRecordCodeAsync(municipality, residentId, key);
        return receipt is not null ? TypedResults.Ok(receipt) : refusal!.ToProblem();
    }

    private static ProblemHttpResult Unknown() => ResidentRegister.UnknownResident.ToProblem();

    private static ResidentView ToView(ResidentRecord r, IndividualNumber n) =>
        new(IdentityApi.ToInfo(r, n), r.HouseholdId, r.Relationship, r.MovingTo?.Digits);
}
