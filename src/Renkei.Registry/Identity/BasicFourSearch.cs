using System.Data.Common;
using Renkei.Numbers;
using Renkei.Registry.Numbering;
using Renkei.Registry.Residents;

namespace Renkei.Registry.Identity;

/// <summary>The basic four items of a query, normalised as the register keeps them.</summary>
public sealed record BasicFourCriteria(string FamilyName, string GivenName, DateOnly DateOfBirth, Sex? Sex, string Address);

/// <summary>Finding residents by the basic four items (基本4情報): for identity queries and for link keys.</summary>
public static class BasicFourSearch
{
    /// <summary>Checks a basic-four query, putting what is wrong in <paramref name="errors"/> (empty on entry) by field.</summary>
    public static BasicFourCriteria? Parse(BasicFourQuery q, Dictionary<string, string[]> errors)
    {
        var family = RegisterText.Normalize(q.FamilyName);
        var given = RegisterText.Normalize(q.GivenName);
        if (family.Length == 0) errors["familyName"] = ["氏を入力してください / familyName is required"];
        if (given.Length == 0) errors["givenName"] = ["名を入力してください / givenName is required"];
        CheckLengths(q, errors);
        if (!DateOnly.TryParseExact(q.DateOfBirth, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var dob))
            errors["dateOfBirth"] = ["生年月日はYYYY-MM-DD形式です / dateOfBirth must be yyyy-MM-dd"];
        Sex? sex = q.Sex?.ToLowerInvariant() switch { "male" or "男" => Sex.Male, "female" or "女" => Sex.Female, null => null, _ => (Sex)(-1) };
        if (sex == (Sex)(-1)) errors["sex"] = ["性別は male または female です / sex must be male or female"];
        return errors.Count > 0 ? null : new BasicFourCriteria(family, given, dob, sex, RegisterText.Normalize(q.Address));
    }

    /// <summary>
    /// Names and an address no longer than the register holds (<see cref="ResidentEventValidation"/>): a longer one matches no one, and
    /// matching it cost time with its length, a name of megabytes minutes of a core. Named under <paramref name="prefix"/>.
    /// </summary>
    public static void CheckLengths(BasicFourQuery q, Dictionary<string, string[]> errors, string prefix = "")
    {
        if (RegisterText.Length(RegisterText.Normalize(q.FamilyName)) > ResidentEventValidation.MaxName)
            errors[prefix + "familyName"] = [$"氏が長すぎます / familyName is at most {ResidentEventValidation.MaxName} characters"];
        if (RegisterText.Length(RegisterText.Normalize(q.GivenName)) > ResidentEventValidation.MaxName)
            errors[prefix + "givenName"] = [$"名が長すぎます / givenName is at most {ResidentEventValidation.MaxName} characters"];
        if (RegisterText.Length(RegisterText.Normalize(q.Address)) > ResidentEventValidation.MaxAddress)
            errors[prefix + "address"] = [$"住所が長すぎます / address is at most {ResidentEventValidation.MaxAddress} characters"];
    }

    /// <summary>Residents with a current number whose name and birth match, and sex and address where given.</summary>
    public static async Task<List<(ResidentRecord Resident, IndividualNumber Number)>> MatchAsync(DbConnection c, BasicFourCriteria q)
    {
        var matches = new List<(ResidentRecord, IndividualNumber)>();
        var address = RegisterText.ComparisonKey(q.Address);
        foreach (var r in await ResidentStore.FindByNameAndBirthAsync(c, q.FamilyName, q.GivenName, q.DateOfBirth))
        {
            if (q.Sex is not null && r.Person.Sex != q.Sex) continue;
            // 塚 U+FA10 and 塚 U+585A are one address, as they are one name.
            if (address.Length > 0 && RegisterText.ComparisonKey(r.Person.Address) != address) continue;
            if (await NumberingAuthority.CurrentNumberAsync(c, r.ResidentId) is { } number) matches.Add((r, number));
        }
        return matches;
    }
}
