using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;
using Renkei.Hosting.Linkage;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Identity;
using Renkei.Registry.Numbering;
using Renkei.Registry.Residents;

namespace Renkei.Registry.Linkage;

/// <summary>
/// One person an agency wants a code for: its acquisition number and either the person's Individual
/// Number or the basic four items (for a person whose number the agency does not hold). Either may be left out,
/// so both have a default: that is how a request record says a field is optional (its OpenAPI schema follows).
/// </summary>
public sealed record LinkKeyItem(string? AcquisitionNumber, string? IndividualNumber = null, BasicFourQuery? BasicFour = null);

public sealed record LinkKeyRequest(string? Agency, IReadOnlyList<LinkKeyItem>? Items);

/// <summary>Either the sealed link key for the Core, or why this item has none.</summary>
public sealed record LinkKeyResult(string AcquisitionNumber, string? SealedLinkKey = null, string? ProblemType = null, string? Problem = null);

public sealed record LinkKeyResponse(IReadOnlyList<LinkKeyResult> Results);

/// <summary>
/// The Registry's step of code issuance (番号法 art. 21-2): an agency sends acquisition numbers with
/// Individual Numbers; for each person the Registry answers a link key sealed for the Core, bound to
/// that agency and acquisition number. The link key derives from the resident's internal id, so a
/// number re-issue does not change it; the acquisition number is neither stored nor logged here.
/// </summary>
public static class LinkKeysApi
{
    public const int MaxItems = 10_000;

    public static void MapLinkKeys(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/link-keys", Issue).WithTags("Linkage").RequirePermission("link-keys")
            .WithSummary("Sealed link keys for the Core, one per acquisition number (up to 10,000 per request).");
    }

    private static async Task<Results<Ok<LinkKeyResponse>, ProblemHttpResult>> Issue(LinkKeyRequest request, Database database, LinkKeys keys, TimeProvider clock)
    {
        var agency = request.Agency?.Trim() ?? "";
        var errors = new Dictionary<string, string[]>();
        if (agency.Length is 0 or > 64) errors["agency"] = ["機関IDを入力してください / agency is required (at most 64 characters)"];
        if (request.Items is null || request.Items.Count is 0 or > MaxItems) errors["items"] = [$"1〜{MaxItems}件を指定してください / items must hold 1 to {MaxItems} entries"];
        else
            for (var i = 0; i < request.Items.Count; i++)
            {
                var item = request.Items[i];
                if (item is null) errors[$"items[{i}]"] = ["空の項目です / the item is empty"];
                else if (AcquisitionNumberProblem(item.AcquisitionNumber) is { } problem) errors[$"items[{i}].acquisitionNumber"] = [problem];
                else if ((item.IndividualNumber is null) == (item.BasicFour is null))
                    errors[$"items[{i}]"] = ["個人番号か基本4情報のどちらか一方を指定してください / give either individualNumber or basicFour"];
                // Before any item is matched: a name longer than the register holds names no one, and costs time with its length.
                else if (item.BasicFour is not null) BasicFourSearch.CheckLengths(item.BasicFour, errors, $"items[{i}].basicFour.");
            }
        if (errors.Count == 0 && request.Items!.Select(i => i.AcquisitionNumber).Distinct().Count() != request.Items!.Count)
            errors["items"] = ["取得番号が重複しています / acquisition numbers must differ"];
        if (errors.Count > 0) return Problems.Invalid(errors);

        var expires = clock.GetUtcNow() + LinkKeySeal.Lifetime;
        await using var c = await database.OpenAsync();
        var results = new List<LinkKeyResult>(request.Items!.Count);
        foreach (var item in request.Items!)
        {
            var acquisition = item.AcquisitionNumber!;
            if (item.BasicFour is not null)
            {
                results.Add(await ByBasicFourAsync(c, keys, agency, acquisition, item.BasicFour, expires));
                continue;
            }
            if (!IndividualNumber.TryParse(item.IndividualNumber, out var number, out var problem))
            {
                results.Add(new LinkKeyResult(acquisition, ProblemType: Problems.Type("invalid-number"), Problem: problem!.Message));
                continue;
            }
            var resident = await ResidentStore.FindByNumberAsync(c, number);
            if (resident is null)
            {
                var superseded = await NumberingAuthority.StateOfAsync(c, number) == NumberState.Superseded;
                results.Add(new LinkKeyResult(acquisition, ProblemType: Problems.Type(superseded ? "number-superseded" : "unknown-number"),
                    Problem: superseded ? ResidentRegister.SupersededNumber.Title : "該当する個人番号がありません / No resident has this number"));
                continue;
            }
            results.Add(new LinkKeyResult(acquisition, keys.Seal.Seal(agency, acquisition, keys.LinkKeyOf(resident.ResidentId), expires)));
        }
        return TypedResults.Ok(new LinkKeyResponse(results));
    }

    /// <summary>A link key only when exactly one resident has these basic four items: two would be a guess.</summary>
    private static async Task<LinkKeyResult> ByBasicFourAsync(DbConnection c, LinkKeys keys, string agency, string acquisition,
        BasicFourQuery query, DateTimeOffset expires)
    {
        var errors = new Dictionary<string, string[]>();
        var criteria = BasicFourSearch.Parse(query, errors);
        if (criteria is null)
            return new LinkKeyResult(acquisition, ProblemType: Problems.Type("invalid-basic-four"),
                Problem: string.Join(" ", errors.Select(e => $"{e.Key}: {e.Value[0]}")));
        var matches = await BasicFourSearch.MatchAsync(c, criteria);
        return matches.Count switch
        {
            0 => new LinkKeyResult(acquisition, ProblemType: Problems.Type("no-match"), Problem: "該当者がいません / No resident has these basic four items"),
            1 => new LinkKeyResult(acquisition, keys.Seal.Seal(agency, acquisition, keys.LinkKeyOf(matches[0].Resident.ResidentId), expires)),
            _ => new LinkKeyResult(acquisition, ProblemType: Problems.Type("ambiguous-basic-four"),
                // "Several", not how many: the count told any holder of link-keys how many people nationwide share a name and birth date.
                Problem: "複数の人が該当します。住所を加えるか個人番号で求めてください / Several residents match: add the address or ask by number"),
        };
    }

    /// <summary>An acquisition number is made for one request: short, plain, and never a number or code itself.</summary>
    public static string? AcquisitionNumberProblem(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 64 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            return "取得番号は英数字・ハイフン・下線の64文字以内です / acquisitionNumber is 1–64 letters, digits, '-' or '_'";
        // 11 or 12 digits anywhere, not only as the whole value: "a835404105048" would carry the number to the core and the node.
        if (NumberShape.ContainsIndividualNumber(value))
            return "取得番号に個人番号や住民票コードは使えません / an acquisition number must not be an individual number or resident record code";
        return null;
    }
}

/// <summary>The Registry's linkage secrets: the link-key secret (its own) and the seal key (shared with the Core).</summary>
public sealed class LinkKeys(byte[] linkSecret, byte[] sealKey)
{
    public LinkKeySeal Seal { get; } = new(sealKey);

    /// <summary>A person's link key: HMAC of the stable internal resident id, meaningless without the secret.</summary>
    public byte[] LinkKeyOf(string residentId) => HMACSHA256.HashData(linkSecret, Encoding.UTF8.GetBytes("renkei-link-key\n" + residentId));
}
