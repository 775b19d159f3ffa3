using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Renkei.Hosting;
using Renkei.Numbers;

namespace Renkei.Registry.Residents;

/// <summary>A person's items as a clerk enters them.</summary>
public sealed record PersonInput(
    string? FamilyName, string? GivenName, string? FamilyNameKana, string? GivenNameKana, string? DateOfBirth,
    [property: AllowedValues("male", "female", "男", "女")] string? Sex);

/// <summary>
/// What a municipality sends to record an event. Which fields are needed depends on the kind:
/// birth and move-in from abroad carry a person; events about a known resident name it by
/// <see cref="ResidentId"/> (or, for a move-in, by <see cref="IndividualNumber"/>). A newcomer's move-in from abroad
/// with the basic four of a resident abroad is refused as that resident's return unless <see cref="NotReturning"/> is true.
/// A head-change (世帯主変更) names the new head by <see cref="ResidentId"/> and their household by <see cref="HouseholdId"/>;
/// a former head still a member takes <see cref="FormerHeadRelationship"/>. A field the kind does not take is refused, not dropped.
/// </summary>
public sealed record ResidentEventRequest(
    [property: AllowedValues("birth", "move-in", "move-out", "address-change", "name-change", "death", "head-change")] string? Kind,
    string? OccurredOn = null,
    string? ResidentId = null,
    string? IndividualNumber = null,
    PersonInput? Person = null,
    string? Address = null,
    string? HouseholdId = null,
    string? Relationship = null,
    string? From = null,
    string? Destination = null,
    string? FamilyName = null,
    string? GivenName = null,
    string? FamilyNameKana = null,
    string? GivenNameKana = null,
    bool? NotReturning = null,
    string? FormerHeadRelationship = null);

/// <summary>A request that passed validation: every field parsed, nothing yet written.</summary>
public sealed record ValidEventRequest(
    ResidentEventKind Kind,
    DateOnly OccurredOn,
    string? ResidentId,
    IndividualNumber? IndividualNumber,
    BasicFour? Person,
    string? Address,
    string? HouseholdId,
    string? Relationship,
    bool Abroad,
    LocalGovernmentCode? Destination,
    (string Family, string Given, string FamilyKana, string GivenKana)? NewName,
    bool NotReturning = false,
    string? FormerHeadRelationship = null);

public static class ResidentEventValidation
{
    /// <summary>The longest name part, reading or relationship the register holds, in characters.</summary>
    public const int MaxName = 50;

    /// <summary>The longest address the register holds, in characters.</summary>
    public const int MaxAddress = 200;

    private static readonly Dictionary<string, ResidentEventKind> Kinds = new(StringComparer.OrdinalIgnoreCase)
    {
        ["birth"] = ResidentEventKind.Birth,
        ["move-in"] = ResidentEventKind.MoveIn,
        ["move-out"] = ResidentEventKind.MoveOut,
        ["address-change"] = ResidentEventKind.AddressChange,
        ["name-change"] = ResidentEventKind.NameChange,
        ["death"] = ResidentEventKind.Death,
        ["head-change"] = ResidentEventKind.HeadChange,
    };

    /// <summary>Checks every field and says, per field, what is wrong (Japanese, then English).</summary>
    public static (ValidEventRequest? Request, Dictionary<string, string[]> Errors) Validate(ResidentEventRequest r, DateOnly today)
    {
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors[field] = [message];
        // A blank id, as a form sends a field left empty, is none, as a blank address is none: it was looked up (404 unknown-household on a death).
        r = r with { ResidentId = string.IsNullOrWhiteSpace(r.ResidentId) ? null : r.ResidentId, HouseholdId = string.IsNullOrWhiteSpace(r.HouseholdId) ? null : r.HouseholdId };

        if (r.Kind is null || !Kinds.TryGetValue(r.Kind, out var kind))
        {
            Error("kind", $"種別が不正です / kind must be one of: {string.Join(", ", Kinds.Keys)}");
            return (null, errors);
        }

        var occurredOn = today;
        if (r.OccurredOn is not null && !DateOnly.TryParseExact(r.OccurredOn, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out occurredOn))
            Error("occurredOn", "日付はYYYY-MM-DD形式で入力してください / occurredOn must be a date yyyy-MM-dd");
        else if (occurredOn > today)
            Error("occurredOn", "未来の日付は届け出られません / occurredOn cannot be in the future");

        IndividualNumber? number = null;
        if (r.IndividualNumber is not null)
        {
            if (Numbers.IndividualNumber.TryParse(r.IndividualNumber, out var n, out var problem)) number = n;
            else Error("individualNumber", problem!.Message);
        }

        var fromAbroad = string.Equals(r.From, "abroad", StringComparison.OrdinalIgnoreCase);
        var newPerson = kind == ResidentEventKind.Birth || (kind == ResidentEventKind.MoveIn && fromAbroad && r.ResidentId is null && number is null);
        var needsResident = !newPerson;
        if (needsResident && r.ResidentId is null && !(kind == ResidentEventKind.MoveIn && number is not null))
            Error("residentId", "対象の住民を指定してください / residentId is required for this kind");

        // A new person gets a new record; naming an existing one as well would leave two answers to "who".
        if (kind == ResidentEventKind.Birth || (kind == ResidentEventKind.MoveIn && r.Person is not null))
        {
            const string names = "新しい住民の届出に既存の住民は指定できません / an event that carries a new person cannot name an existing resident";
            if (r.ResidentId is not null) Error("residentId", names);
            if (r.IndividualNumber is not null) Error("individualNumber", names);
        }

        // Said of a newcomer from abroad only: elsewhere it would be a word the register drops.
        if (r.NotReturning == true && !(kind == ResidentEventKind.MoveIn && r.Person is not null))
            Error("notReturning", "notReturning は person を伴う国外からの転入にだけ指定できます / notReturning applies only to a move-in from abroad that carries a person");

        var address = RegisterText.Normalize(r.Address);
        // These place the person at an address: in the household named, or in a new one there.
        var placesPerson = kind is ResidentEventKind.Birth or ResidentEventKind.MoveIn or ResidentEventKind.AddressChange;
        if (placesPerson && address.Length == 0 && r.HouseholdId is null)
            Error("address", "住所を入力してください / address (or householdId) is required");
        if (RegisterText.Length(address) > MaxAddress) Error("address", "住所が長すぎます / address is longer than 200 characters");
        var relationship = RegisterText.Normalize(r.Relationship);
        if (RegisterText.Length(relationship) > MaxName) Error("relationship", "続柄が長すぎます / relationship is at most 50 characters");
        // Joining a household says how the person stands in it: one kept from a household left could make a second head.
        else if (relationship.Length == 0 && r.HouseholdId is not null && placesPerson)
            Error("relationship", "加わる世帯での続柄を入力してください / relationship is required when joining a household (householdId)");

        // A head-change moves no one: it says who heads a household the person is in already, and what the head before becomes.
        var formerHead = RegisterText.Normalize(r.FormerHeadRelationship);
        if (kind == ResidentEventKind.HeadChange)
        {
            if (r.HouseholdId is null) Error("householdId", "世帯を指定してください / householdId is required for a head-change");
            if (address.Length > 0) Error("address", "世帯主変更では住所は変わりません。住所を省いてください / a head-change moves no one: give no address");
            if (relationship.Length > 0 && relationship != ResidentProjection.Head && !errors.ContainsKey("relationship"))
                Error("relationship", "新しい世帯主の続柄は世帯主です。前の世帯主の続柄は formerHeadRelationship に入力してください / " +
                    "the new head's relationship is 世帯主: give the former head's as formerHeadRelationship");
            if (RegisterText.Length(formerHead) > MaxName) Error("formerHeadRelationship", "続柄が長すぎます / formerHeadRelationship is at most 50 characters");
            else if (formerHead == ResidentProjection.Head)
                Error("formerHeadRelationship", "世帯主は一世帯に一人です。前の世帯主の新しい続柄を入力してください / a household has one head: give the former head's new relationship");
        }
        else if (r.FormerHeadRelationship is not null)
            Error("formerHeadRelationship", "formerHeadRelationship は世帯主変更（head-change）にだけ指定できます / formerHeadRelationship applies only to a head-change");

        // A field the kind does not take was dropped or, worse, acted on (a householdId looked up for a death); one naming the person
        // a second time was ignored, so a wrong residentId beside the right number moved in or buried someone else. Both are refused.
        if (kind == ResidentEventKind.MoveIn && r.ResidentId is not null && r.IndividualNumber is not null && !errors.ContainsKey("individualNumber"))
            Error("individualNumber", "住民は residentId か individualNumber のどちらか一方で指定してください / name the resident once: residentId or individualNumber, not both");
        foreach (var (field, given) in new[] { ("residentId", r.ResidentId), ("individualNumber", r.IndividualNumber), ("address", r.Address),
            ("householdId", r.HouseholdId), ("relationship", r.Relationship), ("from", r.From), ("destination", r.Destination), ("familyName", r.FamilyName),
            ("givenName", r.GivenName), ("familyNameKana", r.FamilyNameKana), ("givenNameKana", r.GivenNameKana) }
            .Select(f => (f.Item1, !string.IsNullOrEmpty(f.Item2))).Append(("person", r.Person is not null)))
            if (given && !Takes(kind, field) && !errors.ContainsKey(field))
                Error(field, $"{field} は{ResidentRegister.InJapanese(kind)}の届出には指定できません / {field} does not apply to a {r.Kind.ToLowerInvariant()}");

        BasicFour? person = null;
        if (newPerson)
        {
            if (r.Person is null) Error("person", "本人の氏名・生年月日・性別を入力してください / person is required for a new resident");
            else person = ValidatePerson(r.Person, address, errors.ContainsKey("occurredOn") ? today : occurredOn, errors);
        }

        var abroad = false;
        LocalGovernmentCode? destination = null;
        if (kind == ResidentEventKind.MoveOut)
        {
            if (string.Equals(r.Destination, "abroad", StringComparison.OrdinalIgnoreCase)) abroad = true;
            else if (LocalGovernmentCode.TryParse(r.Destination, out var d, out var problem)) destination = d;
            else Error("destination", r.Destination is null ? "転出先を指定してください / destination is required (a local government code or 'abroad')" : problem!.Message);
        }

        (string, string, string, string)? newName = null;
        if (kind == ResidentEventKind.NameChange)
        {
            var fields = new[] { ("familyName", "氏", r.FamilyName), ("givenName", "名", r.GivenName), ("familyNameKana", "氏（カナ）", r.FamilyNameKana),
                ("givenNameKana", "名（カナ）", r.GivenNameKana) };
            var parts = fields.Select(f => RegisterText.Normalize(f.Item3)).ToArray();
            if (parts.All(p => p.Length == 0)) Error("familyName", "新しい氏名を入力してください / give the new name");
            else
            {
                // Each part under its own name: a long given name used to be reported as the family name.
                for (var i = 0; i < fields.Length; i++)
                    if (RegisterText.Length(parts[i]) > MaxName) Error(fields[i].Item1, $"{fields[i].Item2}が長すぎます / {fields[i].Item1} is at most 50 characters");
                // The reading is checked as at birth, or a name change could bring in what a birth may not.
                foreach (var (field, kana) in new[] { ("familyNameKana", parts[2]), ("givenNameKana", parts[3]) })
                    if (!errors.ContainsKey(field) && !RegisterText.IsKatakana(kana)) Error(field, KatakanaMessage(field));
                if (errors.Count == 0) newName = (parts[0], parts[1], parts[2], parts[3]);
            }
        }

        // The CSV export writes the register as it is stored, and a spreadsheet runs a text that begins =, +, - or @ (＝ typed with an input
        // method too, once folded): a link that sends the row's number away, say. No name, address or relationship begins so.
        foreach (var (field, value) in new[] { ("address", address), ("relationship", relationship), ("formerHeadRelationship", formerHead),
            ("familyName", RegisterText.Normalize(r.FamilyName)), ("givenName", RegisterText.Normalize(r.GivenName)),
            ("person.familyName", RegisterText.Normalize(r.Person?.FamilyName)), ("person.givenName", RegisterText.Normalize(r.Person?.GivenName)) })
            if (RegisterText.StartsLikeFormula(value) && !errors.ContainsKey(field))
                Error(field, $"先頭に =、+、-、@ は使えません（表計算ソフトが数式として扱います）/ {field.Split('.')[^1]} must not begin with =, +, - or @ " +
                    "(a spreadsheet would run it as a formula)");

        // A number typed into a name or an address would go into the person's signing certificate, which travels inside every
        // signature they make and cannot be recalled; no name or address holds 11 digits in a row. (Readings are katakana only.)
        foreach (var (field, given) in new[] { ("address", r.Address), ("relationship", r.Relationship), ("formerHeadRelationship", r.FormerHeadRelationship),
            ("familyName", r.FamilyName), ("givenName", r.GivenName), ("person.familyName", r.Person?.FamilyName), ("person.givenName", r.Person?.GivenName) })
            // A name holds no digit groups either (an address's 〒261-0013 and 2-3-4-1203 are why addresses count runs only).
            if ((RegisterText.HoldsNumberRun(given) || (field.EndsWith("Name", StringComparison.Ordinal) && NumberShape.ContainsIndividualNumberInFreeText(given)))
                && !errors.ContainsKey(field))
                Error(field, "個人番号と読める数字（11桁以上の連続した数字、氏名では区切ったものも）は入力できません（氏名と住所は署名用電子証明書に記録されます）/ " +
                    $"{field.Split('.')[^1]} must not hold 11 or more digits in a row (in a name, grouped too): they read as an Individual Number " +
                    "(names and addresses go into the signing certificate)");

        // Last, so that it names the fault in a field another check would call too long or not katakana.
        StoredText.Check(errors, "", ("address", r.Address), ("relationship", r.Relationship),
            ("formerHeadRelationship", r.FormerHeadRelationship), ("familyName", r.FamilyName),
            ("givenName", r.GivenName), ("familyNameKana", r.FamilyNameKana), ("givenNameKana", r.GivenNameKana));
        StoredText.Check(errors, "person.", ("familyName", r.Person?.FamilyName), ("givenName", r.Person?.GivenName),
            ("familyNameKana", r.Person?.FamilyNameKana), ("givenNameKana", r.Person?.GivenNameKana));

        if (errors.Count > 0) return (null, errors);
        return (new ValidEventRequest(kind, occurredOn, r.ResidentId, number, person, address.Length == 0 ? null : address,
            r.HouseholdId, relationship.Length > 0 ? relationship : null, abroad, destination, newName, r.NotReturning == true,
            formerHead.Length > 0 ? formerHead : null), errors);
    }

    /// <summary>A new person's items; <paramref name="latestBirth"/> is the event's date, as no one is born after their own birth or move-in.</summary>
    private static BasicFour? ValidatePerson(PersonInput p, string address, DateOnly latestBirth, Dictionary<string, string[]> errors)
    {
        var count = errors.Count;
        string Required(string? value, string field, string label)
        {
            var v = RegisterText.Normalize(value);
            if (v.Length == 0) errors[$"person.{field}"] = [$"{label}を入力してください / {field} is required"];
            else if (RegisterText.Length(v) > MaxName) errors[$"person.{field}"] = [$"{label}が長すぎます / {field} is at most 50 characters"];
            return v;
        }
        var family = Required(p.FamilyName, "familyName", "氏");
        var given = Required(p.GivenName, "givenName", "名");
        var familyKana = Required(p.FamilyNameKana, "familyNameKana", "氏（カナ）");
        var givenKana = Required(p.GivenNameKana, "givenNameKana", "名（カナ）");
        foreach (var (field, kana) in new[] { ("familyNameKana", familyKana), ("givenNameKana", givenKana) })
            if (!RegisterText.IsKatakana(kana)) errors[$"person.{field}"] = [KatakanaMessage(field)];
        if (!DateOnly.TryParseExact(p.DateOfBirth, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var dob))
            errors["person.dateOfBirth"] = ["生年月日はYYYY-MM-DD形式で入力してください / dateOfBirth must be a date yyyy-MM-dd"];
        else if (dob.Year < 1880)
            errors["person.dateOfBirth"] = ["生年月日が不正です / dateOfBirth is out of range"];
        else if (dob > latestBirth)
            errors["person.dateOfBirth"] = ["生年月日が届出の日より後です / dateOfBirth is after the event's occurredOn"];
        Sex? sex = p.Sex?.ToLowerInvariant() switch { "male" or "男" => Sex.Male, "female" or "女" => Sex.Female, _ => null };
        if (sex is null) errors["person.sex"] = ["性別は male または female です / sex must be male or female"];
        return errors.Count > count ? null : new BasicFour(family, given, familyKana, givenKana, dob, sex!.Value, address);
    }

    /// <summary>The fields besides kind and occurredOn that a kind takes (notReturning and formerHeadRelationship are checked on their own).</summary>
    private static bool Takes(ResidentEventKind kind, string field) => kind switch
    {
        ResidentEventKind.Birth => field is "person" or "address" or "householdId" or "relationship",
        ResidentEventKind.MoveIn => field is "residentId" or "individualNumber" or "person" or "address" or "householdId" or "relationship" or "from",
        ResidentEventKind.MoveOut => field is "residentId" or "destination",
        ResidentEventKind.AddressChange => field is "residentId" or "address" or "householdId" or "relationship",
        ResidentEventKind.NameChange => field is "residentId" or "familyName" or "givenName" or "familyNameKana" or "givenNameKana",
        ResidentEventKind.HeadChange => field is "residentId" or "householdId" or "relationship" or "address",
        _ => field is "residentId",
    };

    private static string KatakanaMessage(string field) => $"カタカナで入力してください / {field} must be katakana";
}
