using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Residents;

namespace Renkei.Registry.Municipalities;

public sealed record MunicipalitySummary(string Code, string Prefecture, string Name, string NameKana, long Residents);

/// <summary>A municipality's names as <c>PUT /api/municipalities/{code}</c> registers them.</summary>
public sealed record MunicipalityRequest(string? Prefecture, string? Name, string? NameKana);

public static class MunicipalitiesApi
{
    public static void MapMunicipalities(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/municipalities", async (Database database) =>
                TypedResults.Ok((await MunicipalityStore.ListAsync(database)).Select(Summary)))
            .WithTags("Municipalities").WithSummary("The municipalities on this registry network and their resident counts.");
        app.MapGet("/api/municipalities/{code}", Get)
            .WithTags("Municipalities").WithSummary("One municipality and its resident count.");
        app.MapPut("/api/municipalities/{code}", Put).RequirePermission("admin")
            .WithTags("Municipalities")
            .WithSummary("Registers a municipality (201) or gives it new names (200); never deletes one.")
            .WithDescription("The code is a Local Government Code with its check digit; prefecture is the one the code names. " +
                "The same names again change nothing (200). Its clerks are callers holding municipality:{code}.");
    }

    private static MunicipalitySummary Summary(MunicipalityRow m) => new(m.Code, m.Prefecture, m.Name, m.NameKana, m.Residents);

    private static async Task<Results<Ok<MunicipalitySummary>, ProblemHttpResult>> Get(string code, Database database)
    {
        var (municipality, problem) = Parse(code);
        if (problem is not null) return problem;
        return await MunicipalityStore.FindAsync(database, municipality) is { } row
            ? TypedResults.Ok(Summary(row))
            : Residents.ResidentRegister.UnknownMunicipality(municipality).ToProblem();
    }

    private static async Task<Results<Created<MunicipalitySummary>, Ok<MunicipalitySummary>, ProblemHttpResult>> Put(
        string code, MunicipalityRequest request, Database database, ClaimsPrincipal user, ILoggerFactory loggers)
    {
        var (municipality, problem) = Parse(code);
        if (problem is not null) return problem;
        if (municipality.FiveDigits % 1000 == 0)
            return Problems.BadRequest("invalid-local-government-code", "市区町村のコードではありません / Not a municipality's code",
                $"{municipality.Digits} は都道府県（{Prefectures.NameOf(municipality)}）自体のコードです。市区町村のコードを指定してください / " +
                $"{municipality.Digits} is the code of the prefecture itself; give a municipality's code.");
        var (names, errors) = Validate(municipality, request);
        if (names is not { } n) return Problems.Invalid(errors, "invalid-municipality");
        var (row, created) = await MunicipalityStore.PutAsync(database, municipality, n.Prefecture, n.Name, n.NameKana);
        loggers.CreateLogger("Renkei.Registry.Municipalities").LogInformation(
            "Municipality {Code} {Outcome} by {Caller}", municipality.Digits, created ? "registered" : "put", user.Identity?.Name);
        return created ? TypedResults.Created($"/api/municipalities/{row.Code}", Summary(row)) : TypedResults.Ok(Summary(row));
    }

    private static (LocalGovernmentCode Code, ProblemHttpResult? Problem) Parse(string code) =>
        LocalGovernmentCode.TryParse(code, out var m, out var problem)
            ? (m, null)
            : (default, Problems.BadRequest("invalid-local-government-code", "地方公共団体コードが不正です / Invalid local government code", problem!.Message));

    /// <summary>
    /// The names as the register stores text (NFKC, single spaces; lengths in characters, as <see cref="RegisterText.Length"/> counts),
    /// or what is wrong with each. Limits are the corporate register's, which publishes a municipality as a local government.
    /// </summary>
    public static ((string Prefecture, string Name, string NameKana)? Names, Dictionary<string, string[]> Errors) Validate(
        LocalGovernmentCode code, MunicipalityRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        var prefecture = RegisterText.Normalize(request.Prefecture);
        var name = RegisterText.Normalize(request.Name);
        var kana = RegisterText.Normalize(request.NameKana);
        var expected = Prefectures.NameOf(code);
        if (prefecture.Length == 0) errors["prefecture"] = [$"都道府県名を入力してください（{expected}） / prefecture is required ({expected})"];
        else if (prefecture != expected)
            errors["prefecture"] = [$"地方公共団体コード {code.Digits} の都道府県は{expected}です / the prefecture of {code.Digits} is {expected}"];
        if (name.Length == 0) errors["name"] = ["市区町村名を入力してください / name is required"];
        else if (RegisterText.Length(name) > 30) errors["name"] = ["市区町村名は30文字以内です / name is at most 30 characters"];
        if (kana.Length == 0) errors["nameKana"] = ["市区町村名（カナ）を入力してください / nameKana is required"];
        else if (RegisterText.Length(kana) > 60) errors["nameKana"] = ["市区町村名（カナ）は60文字以内です / nameKana is at most 60 characters"];
        else if (!RegisterText.IsKatakana(kana)) errors["nameKana"] = ["カタカナで入力してください / nameKana must be katakana"];
        // Last, so that it names the fault in a field another check would call too long or not katakana.
        StoredText.Check(errors, "", ("prefecture", request.Prefecture), ("name", request.Name), ("nameKana", request.NameKana));
        return (errors.Count == 0 ? (prefecture, name, kana) : null, errors);
    }
}
