using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Numbering;
using Renkei.Registry.Residents;

namespace Renkei.Registry.Identity;

/// <summary>
/// 本人確認情報: what the national identity server answers about a person. <c>LastPosition</c> is the event-feed position of
/// the last event applied to the record, so a subscriber can tell whether a published event came before or after what it read.
/// </summary>
public sealed record IdentityInfo(
    string ResidentId, string IndividualNumber, string ResidentRecordCode, string MunicipalityCode, ResidentStatus Status,
    string FamilyName, string GivenName, string FamilyNameKana, string GivenNameKana, [property: DataType(DataType.Date)] string DateOfBirth, Sex Sex, string Address,
    DateTime UpdatedAt, long LastPosition);

public sealed record NumberQuery(string? IndividualNumber);

/// <summary>The basic four items of a search: names and date of birth are required; sex and address narrow it when given.</summary>
public sealed record BasicFourQuery(
    string? FamilyName, string? GivenName, string? DateOfBirth, [property: AllowedValues("male", "female", "男", "女")] string? Sex = null, string? Address = null);

public sealed record IdentityMatches(IReadOnlyList<IdentityInfo> Matches);

/// <summary>
/// Identity queries by Individual Number or by the basic four items, for callers holding the
/// <c>identity</c> permission. The number travels in the body, never in a URL that logs keep.
/// </summary>
public static class IdentityApi
{
    public static void MapIdentity(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/identity").WithTags("Identity").RequirePermission("identity");
        group.MapPost("/by-number", ByNumber).WithSummary("本人確認情報 by Individual Number; a superseded number answers 410.");
        group.MapPost("/by-basic-four", ByBasicFour).WithSummary("本人確認情報 of the residents matching the basic four items.");
        group.MapGet("/residents/{residentId}", ByResidentId).WithSummary("本人確認情報 of a resident named by a published event.");
    }

    private static async Task<Results<Ok<IdentityInfo>, ProblemHttpResult>> ByNumber(NumberQuery query, Database database)
    {
        if (!IndividualNumber.TryParse(query.IndividualNumber, out var number, out var problem))
            return Problems.BadRequest("invalid-number", "個人番号が不正です / Invalid individual number", problem!.Message);
        await using var c = await database.OpenAsync();
        var resident = await ResidentStore.FindByNumberAsync(c, number);
        if (resident is not null) return TypedResults.Ok(ToInfo(resident, number));
        var refusal = await NumberingAuthority.StateOfAsync(c, number) == NumberState.Superseded
            ? ResidentRegister.SupersededNumber
            : new Refusal(404, "unknown-number", "該当する個人番号がありません / No resident has this number",
                "この個人番号は指定されたことがありません / The number was never designated.");
        return refusal.ToProblem();
    }

    private static async Task<Results<Ok<IdentityInfo>, ProblemHttpResult>> ByResidentId(string residentId, Database database)
    {
        await using var c = await database.OpenAsync();
        var resident = await ResidentStore.FindAsync(c, residentId);
        var number = resident is null ? null : await NumberingAuthority.CurrentNumberAsync(c, residentId);
        if (resident is null || number is null)
            return ResidentRegister.UnknownResident.ToProblem();
        return TypedResults.Ok(ToInfo(resident, number.Value));
    }

    private static async Task<Results<Ok<IdentityMatches>, ProblemHttpResult>> ByBasicFour(BasicFourQuery q, Database database)
    {
        var errors = new Dictionary<string, string[]>();
        var criteria = BasicFourSearch.Parse(q, errors);
        if (criteria is null) return Problems.Invalid(errors);
        await using var c = await database.OpenAsync();
        var matches = (await BasicFourSearch.MatchAsync(c, criteria)).Select(m => ToInfo(m.Resident, m.Number)).ToList();
        return matches.Count == 0
            ? Problems.NotFound("no-match", "該当者がいません / No resident matches", "この基本4情報に該当する住民はいません / No resident has these basic four items.")
            : TypedResults.Ok(new IdentityMatches(matches));
    }

    public static IdentityInfo ToInfo(ResidentRecord r, IndividualNumber number) => new(
        r.ResidentId, number.Digits, r.ResidentRecordCode.Digits, r.MunicipalityCode.Digits, r.Status,
        r.Person.FamilyName, r.Person.GivenName, r.Person.FamilyNameKana, r.Person.GivenNameKana,
        RegisterText.ToText(r.Person.DateOfBirth), r.Person.Sex, r.Person.Address, r.UpdatedAt, r.LastPosition);
}
