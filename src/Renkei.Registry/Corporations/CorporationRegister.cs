using System.Diagnostics;
using System.Globalization;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Municipalities;
using Renkei.Registry.Residents;

namespace Renkei.Registry.Corporations;

/// <summary>A corporation's seat as an administrator enters it: a domestic address, an overseas one, or both.</summary>
public sealed record CorporationAddressInput(
    string? PrefectureName = null, string? CityName = null, string? StreetNumber = null, string? LocalGovernmentCode = null,
    string? PostCode = null, string? AddressOutside = null, string? EnPrefectureName = null, string? EnCityName = null,
    string? EnAddressOutside = null);

/// <summary>
/// 法人番号の指定: a new corporation. <see cref="CompanyLegalNumber"/> (会社法人等番号, 12 digits) becomes
/// the base number of a registered company; others are numbered by the register. A local government
/// (kind 201) is numbered from <see cref="LocalGovernmentCode"/>, or from its address. A corporation the NTA
/// numbered already keeps its <see cref="CorporateNumber"/>, with the <see cref="AssignmentDate"/> it was given.
/// </summary>
public sealed record RegisterCorporationRequest(
    string? Name, string? Furigana, string? Kind, CorporationAddressInput? Address, string? EnName = null,
    string? CompanyLegalNumber = null, string? LocalGovernmentCode = null, string? AssignmentDate = null, bool? Hihyoji = null,
    string? CorporateNumber = null);

/// <summary>A change to record (process 11 … 99); which fields are needed depends on the process.</summary>
public sealed record CorporationChangeRequest(
    string? Process, string? ChangeDate = null, bool? Correction = null, string? Name = null, string? Furigana = null,
    string? EnName = null, CorporationAddressInput? Address = null, string? CloseCause = null, string? SuccessorCorporateNumber = null,
    string? ChangeCause = null);

/// <summary>A corporation's newest record and every record before it.</summary>
public sealed record CorporationView(CorporationRecord Latest, IReadOnlyList<CorporationRecord> History);

/// <summary>
/// The register of corporations: validates what administrators send, assigns numbers and writes
/// each change as a new record, all or nothing.
/// </summary>
public sealed class CorporationRegister(Database database, TimeProvider time)
{
    /// <summary>The day corporate numbers began (番号法 施行日); nothing is assigned before it.</summary>
    public static readonly DateOnly Beginning = new(2015, 10, 5);

    public const int MaxBatch = 5000;

    /// <summary>An address that passed validation, with its codes derived.</summary>
    public sealed record ValidAddress(
        string PrefectureName, string CityName, string StreetNumber, string PrefectureCode, string CityCode, string PostCode,
        string AddressOutside, string EnPrefectureName, string EnCityName, string EnAddressOutside, string? LocalGovernmentCode);

    /// <summary>A registration that passed validation.</summary>
    public sealed record ValidRegistration(
        string Name, string Furigana, string Kind, string EnName, string? CompanyLegalNumber, string? LocalGovernmentCode,
        DateOnly AssignmentDate, bool Hihyoji, ValidAddress Address, string? AssignedNumber = null);

    /// <summary>Checks a registration; every wrong field is named, under <paramref name="prefix"/>.</summary>
    public static ValidRegistration? Validate(RegisterCorporationRequest r, DateOnly today, Dictionary<string, string[]> errors, string prefix = "")
    {
        var count = errors.Count;
        void Error(string field, string message) => errors[prefix + field] = [message];
        var name = CorporationText.Clean(r.Name);
        if (name.Length == 0) Error("name", "商号又は名称を入力してください / name is required");
        else if (RegisterText.Length(name) > 150) Error("name", "商号又は名称は150文字以内です / name is at most 150 characters");
        var furigana = ValidateFurigana(r.Furigana, prefix, errors);
        var kind = r.Kind?.Trim() ?? "";
        if (!KindCodes.All.ContainsKey(kind))
            Error("kind", $"法人種別は {Problems.Listed(KindCodes.All.Keys)} のいずれかです / kind must be one of {Problems.Listed(KindCodes.All.Keys)}");
        var enName = ValidateEnglish(r.EnName, "enName", prefix, errors);
        var address = ValidateAddress(r.Address, "address.", prefix, errors, required: true);

        string? legal = null;
        if (!string.IsNullOrWhiteSpace(r.CompanyLegalNumber))
        {
            legal = DigitsOnly(r.CompanyLegalNumber);
            if (legal is not { Length: 12 })
                Error("companyLegalNumber", "会社法人等番号は12桁の数字です / companyLegalNumber has 12 digits");
            else if (kind.Length > 0 && !KindCodes.MayHaveCompanyLegalNumber(kind))
                Error("companyLegalNumber", "会社法人等番号は設立登記法人（種別3xx）と日本で登記した外国会社（種別401）だけに指定できます / " +
                    "only registered corporations (kind 3xx) and foreign companies registered in Japan (kind 401) have a companyLegalNumber");
            // A company legal number lies in no other series of bases (CorporateNumber.SeriesOf). The first four digits are the
            // registry office (登記所コード); no office is 0000. National bodies (000011… to 000013…) and local governments
            // (000020 + their code) are numbered there, so a company given such a number took one of theirs. Nor does any start 7:
            // that is the NTA's series for bodies with no company legal number. The next two (the kind of register) are not held
            // against `kind`: a company keeps its number when it changes its form.
            else if (CorporateNumber.SeriesOf(long.Parse(legal, CultureInfo.InvariantCulture)) is not CorporateNumberSeries.CompanyLegalNumber and var taken)
                Error("companyLegalNumber", taken == CorporateNumberSeries.Unregistered
                    ? "7で始まる番号は会社法人等番号ではなく、国税庁が会社法人等番号のない法人等に指定する基礎番号です / " +
                        "a number starting 7 is not a companyLegalNumber but the base the NTA gives a body with no company legal number"
                    : "会社法人等番号の先頭4桁は登記所コードで、0000の登記所はありません（0000…は国の機関・地方公共団体の法人番号です） / " +
                        "companyLegalNumber starts with a 4-digit registry office code, and no office has 0000 (0000… numbers national bodies and local governments)");
        }

        string? localGovernment = null;
        if (kind == "201")
        {
            var text = r.LocalGovernmentCode ?? address?.LocalGovernmentCode;
            if (!Numbers.LocalGovernmentCode.TryParse(text, out var code, out var problem))
                Error("localGovernmentCode", text is null
                    ? "地方公共団体の法人番号には地方公共団体コード（6桁）が必要です / a local government is numbered from its 6-digit localGovernmentCode"
                    : problem!.Message);
            else localGovernment = code.Digits;
        }
        else if (r.LocalGovernmentCode is not null)
            Error("localGovernmentCode", "地方公共団体コードは種別201だけに指定できます / only kind 201 takes a localGovernmentCode");

        var assigned = today;
        if (r.AssignmentDate is not null && !CorporationText.TryParseDate(r.AssignmentDate, out assigned))
            Error("assignmentDate", "法人番号指定年月日はYYYY-MM-DD形式です / assignmentDate must be yyyy-MM-dd");
        else if (assigned < Beginning || assigned > today)
            Error("assignmentDate", $"法人番号指定年月日は{CorporationText.ToText(Beginning)}から今日までです / assignmentDate is from {CorporationText.ToText(Beginning)} to today");

        var assignedNumber = r.CorporateNumber is null ? null : ValidateAssignedNumber(r, kind, legal, localGovernment, errors, prefix);

        CheckPublishedText(errors, prefix, ("name", r.Name), ("furigana", r.Furigana), ("enName", r.EnName),
            ("address.prefectureName", r.Address?.PrefectureName), ("address.cityName", r.Address?.CityName),
            ("address.streetNumber", r.Address?.StreetNumber), ("address.addressOutside", r.Address?.AddressOutside),
            ("address.enPrefectureName", r.Address?.EnPrefectureName), ("address.enCityName", r.Address?.EnCityName),
            ("address.enAddressOutside", r.Address?.EnAddressOutside));
        if (errors.Count > count) return null;
        return new ValidRegistration(name, furigana, kind, enName, legal, localGovernment, assigned, r.Hihyoji ?? false, address!, assignedNumber);
    }

    /// <summary>
    /// A number the NTA assigned already, which a real register carries over (国税庁 is 7000012050002 wherever it is published):
    /// its check digit holds, the day it was assigned is given (today would publish it as new), and it is the number the
    /// register would derive from a company legal number or a local government code given beside it. Its base carries its
    /// kind (the NTA's 法人番号の構成): a registered company's is its company legal number, under a registry office code that
    /// is never 0000; a national body's is 000011…, 000012… or 000013…, a local government's 000020 + its code, and no other
    /// kind's starts 0000; a base starting 7 is the NTA's for a body with no company legal number (401, 499), never a company's.
    /// A number in another kind's series would be published, and its real holder then refused as a duplicate.
    /// </summary>
    private static string? ValidateAssignedNumber(RegisterCorporationRequest r, string kind, string? legal, string? localGovernment,
        Dictionary<string, string[]> errors, string prefix)
    {
        if (r.AssignmentDate is null)
            errors[prefix + "assignmentDate"] = ["指定済みの法人番号を登録するときは法人番号指定年月日も入力してください / assignmentDate is required with a corporateNumber already assigned"];
        string? problem = null;
        if (!CorporateNumber.TryParse(r.CorporateNumber, out var n, out var numberProblem)) problem = numberProblem!.Message;
        else if (legal is { Length: 12 } && n.Digits[1..] != legal)
            problem = "法人番号の基礎番号（後ろ12桁）は会社法人等番号です / the base of the corporateNumber (its last 12 digits) is the companyLegalNumber";
        else if (localGovernment is not null && n.Digits[1..] != "000020" + localGovernment)
        {
            var own = CorporateNumber.FromBase(20_000_000 + long.Parse(localGovernment, CultureInfo.InvariantCulture)).Digits;
            problem = $"地方公共団体の法人番号は000020と地方公共団体コードからなります（{own}） / a local government's corporateNumber is 000020 and its localGovernmentCode ({own})";
        }
        // A kind already refused has no series to hold the base to.
        else if (KindCodes.All.ContainsKey(kind) && n.Series is var series && !Takes(series, kind))
            problem = NotTheOwners(series, kind);
        if (problem is null) return n.Digits;
        errors[prefix + "corporateNumber"] = [problem];
        return null;
    }

    /// <summary>Whether a base number of <paramref name="series"/> may be one of kind <paramref name="kind"/>.</summary>
    private static bool Takes(CorporateNumberSeries series, string kind) => series switch
    {
        _ when series.IsNationalBody() => kind == "101",
        CorporateNumberSeries.LocalGovernment => kind == "201",
        CorporateNumberSeries.Unregistered => kind is "401" or "499",
        CorporateNumberSeries.Unassigned => false,
        _ => kind is not ("101" or "201"),
    };

    /// <summary>Why a base number of <paramref name="series"/> is not one of kind <paramref name="kind"/> (a valid kind).</summary>
    private static string NotTheOwners(CorporateNumberSeries series, string kind) =>
        series == CorporateNumberSeries.LocalGovernment ? "000020で始まる基礎番号は地方公共団体（種別201）の法人番号です / a base number starting 000020 is a local government's (kind 201)"
        : kind == "101" ? "国の機関（種別101）の基礎番号は000011（国会）・000012（行政機関）・000013（裁判所）で始まります / " +
            "a national body's (kind 101) base number starts 000011 (the Diet), 000012 (the executive) or 000013 (the courts)"
        // Reached only when the localGovernmentCode was refused: a valid one is checked against the base first.
        : kind == "201" ? "地方公共団体（種別201）の基礎番号は000020で始まり、地方公共団体コードが続きます / " +
            "a local government's (kind 201) base number starts 000020, followed by its localGovernmentCode"
        : KindCodes.IsRegisteredCompany(kind) && series == CorporateNumberSeries.Unregistered
            ? "7で始まる基礎番号は会社法人等番号のない法人等（種別401・499）の法人番号で、設立登記法人（種別3xx）の基礎番号は会社法人等番号です / " +
                "a base number starting 7 is that of a body with no company legal number (kind 401 or 499); a registered company's (kind 3xx) is its company legal number"
        : KindCodes.IsRegisteredCompany(kind) ? "設立登記法人（種別3xx）の基礎番号は会社法人等番号で、先頭4桁の登記所コードに0000はありません（0000…は国の機関・地方公共団体の法人番号です） / " +
            "a registered company's (kind 3xx) base number is its company legal number, whose 4-digit registry office code is never 0000 " +
            "(0000… numbers national bodies and local governments)"
        : series.IsNationalBody() ? "000011（国会）・000012（行政機関）・000013（裁判所）で始まる基礎番号は国の機関（種別101）の法人番号です / " +
            "a base number starting 000011 (the Diet), 000012 (the executive) or 000013 (the courts) is a national body's (kind 101)"
        // The other kinds (401, 499) take a company legal number's base and 7…: what is left is the 0000 no one is numbered under.
        : series == CorporateNumberSeries.Unassigned ? "0000で始まる基礎番号は国の機関（000011から000013まで）と地方公共団体（000020）の法人番号です / " +
            "a base number starting 0000 is a national body's (000011 to 000013) or a local government's (000020)"
        : throw new UnreachableException($"kind {kind} takes the {series} series");

    /// <summary>
    /// The scope of the register's <see cref="IdempotencyKey"/>s in the table the resident register keeps its own in (per
    /// municipality, under six-digit codes): one for every administrator of the register.
    /// </summary>
    public const string IdempotencyScope = "corporations";

    /// <summary>
    /// Registers corporations, all or none; the numbers are assigned in order. A request retried under its key gets the first answer.
    /// A number already on the register is refused naming the item with <paramref name="itemPrefix"/> (the prefix validation gave
    /// its fields; none for one registration), or an operator searches 5,000 lines; running out of numbers concerns no one item.
    /// </summary>
    public async Task<(List<CorporationRecord>? Records, Refusal? Refusal)> RegisterAsync(IReadOnlyList<ValidRegistration> registrations,
        DateOnly? updateDate = null, IdempotencyKey? key = null, Func<int, string>? itemPrefix = null)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var update = CorporationText.ToText(updateDate ?? JapanTime.Today(time));
        await using var c = await database.OpenAsync();
        await using var tx = await database.BeginSerializedAsync(c, CorporationStore.WriteLock);
        if (key is not null && await key.EarlierAnswerAsync<List<CorporationRecord>>(c, tx, IdempotencyScope) is { } earlier) return earlier;
        var written = new List<CorporationRecord>(registrations.Count);
        for (var i = 0; i < registrations.Count; i++)
        {
            var v = registrations[i];
            var (number, refusal) = await AssignNumberAsync(c, tx, v, itemPrefix?.Invoke(i) ?? "");
            if (refusal is not null) return (null, refusal);
            var a = v.Address;
            written.Add(await CorporationStore.AppendAsync(c, tx, new CorporationRecord
            {
                CorporateNumber = number!, Process = ProcessCodes.New, UpdateDate = update,
                ChangeDate = CorporationText.ToText(v.AssignmentDate), Name = v.Name, Kind = v.Kind,
                PrefectureName = a.PrefectureName, CityName = a.CityName, StreetNumber = a.StreetNumber, PrefectureCode = a.PrefectureCode,
                CityCode = a.CityCode, PostCode = a.PostCode, AddressOutside = a.AddressOutside,
                AssignmentDate = CorporationText.ToText(v.AssignmentDate), EnName = v.EnName, EnPrefectureName = a.EnPrefectureName,
                EnCityName = a.EnCityName, EnAddressOutside = a.EnAddressOutside, Furigana = v.Furigana, Hihyoji = v.Hihyoji,
            }, now));
        }
        if (key is not null) await key.KeepAnswerAsync(c, tx, IdempotencyScope, written, now);
        await tx.CommitAsync();
        return (written, null);
    }

    /// <summary>
    /// The number of a new corporation: the number the NTA assigned it, if given; the company legal number for a registered
    /// company that has one, 000020 + the local government code for a local government, else the next serial under the
    /// kind's prefix, past any number already on the register (one registered as assigned, say). Prefixes starting 99 are
    /// Renkei's own (synthetic registry offices).
    /// </summary>
    private static async Task<(string? Number, Refusal? Refusal)> AssignNumberAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx,
        ValidRegistration v, string item)
    {
        var fixedNumber = v.AssignedNumber;
        if (fixedNumber is null && (v.CompanyLegalNumber ?? (v.LocalGovernmentCode is { } lg ? "000020" + lg : null)) is { } fixedBase)
            fixedNumber = CorporateNumber.FromBase(long.Parse(fixedBase, CultureInfo.InvariantCulture)).Digits;
        if (fixedNumber is not null)
        {
            if (!await CorporationStore.ExistsAsync(c, fixedNumber, tx)) return (fixedNumber, null);
            // The field the number came from: given as such, or made from the company legal number or the local government code.
            var field = item + (v.AssignedNumber is not null ? "corporateNumber" : v.CompanyLegalNumber is not null ? "companyLegalNumber" : "localGovernmentCode");
            var message = $"法人番号 {fixedNumber} は登録済みです / {fixedNumber} is already on the register";
            return (null, new Refusal(409, "corporation-exists", "この法人番号は指定済みです / This corporate number is already assigned",
                $"法人番号 {fixedNumber} は登録済みです（{field}） / {fixedNumber} is already on the register ({field})",
                new Dictionary<string, string[]> { [field] = [message] }));
        }
        var a = v.Address;
        var prefix = v.Kind switch
        {
            "101" => "000012",
            "301" => "99" + Or(a.PrefectureCode, "00") + "01",
            "302" => "99" + Or(a.PrefectureCode, "00") + "02",
            "303" or "304" or "305" => "99" + Or(a.PrefectureCode, "00") + "03",
            "399" => "99" + Or(a.PrefectureCode, "00") + "04",
            _ => "990000",
        };
        while (true)
        {
            var serial = await CorporationStore.NextSerialAsync(c, tx, prefix);
            if (serial > 999_999)
                return (null, new Refusal(409, "numbers-exhausted", "法人番号を指定できません / No number left", $"{prefix} の一連番号はすべて使われています / Every serial under {prefix} is used"));
            var number = CorporateNumber.FromBase(long.Parse(prefix, CultureInfo.InvariantCulture) * 1_000_000 + serial).Digits;
            if (!await CorporationStore.ExistsAsync(c, number, tx)) return (number, null);
        }
    }

    /// <summary>Records one change of a corporation as its new newest record.</summary>
    public async Task<(CorporationRecord? Record, Refusal? Refusal)> ChangeAsync(string corporateNumber, CorporationChangeRequest request,
        Dictionary<string, string[]> errors, DateOnly? updateDate = null, IdempotencyKey? key = null)
    {
        var today = JapanTime.Today(time);
        var process = request.Process?.Trim() ?? "";
        if (!ProcessCodes.Changes.ContainsKey(process))
            errors["process"] = [$"処理区分は {Problems.Listed(ProcessCodes.Changes.Keys)} のいずれかです / process must be one of {Problems.Listed(ProcessCodes.Changes.Keys)}"];
        var changeDate = today;
        if (request.ChangeDate is not null && !CorporationText.TryParseDate(request.ChangeDate, out changeDate))
            errors["changeDate"] = ["変更年月日はYYYY-MM-DD形式です / changeDate must be yyyy-MM-dd"];
        else if (changeDate > today) errors["changeDate"] = ["変更年月日に未来の日付は指定できません / changeDate cannot be in the future"];
        var changeCause = CorporationText.Clean(request.ChangeCause);
        if (RegisterText.Length(changeCause) > 500) errors["changeCause"] = ["変更事由の詳細は500文字以内です / changeCause is at most 500 characters"];

        string? name = null, furigana = null, enName = null;
        ValidAddress? address = null;
        string? closeCause = null, successor = null;
        switch (process)
        {
            case ProcessCodes.NameChange:
                name = CorporationText.Clean(request.Name);
                if (name.Length == 0) errors["name"] = ["新しい商号又は名称を入力してください / name is required for a name change"];
                else if (RegisterText.Length(name) > 150) errors["name"] = ["商号又は名称は150文字以内です / name is at most 150 characters"];
                furigana = ValidateFurigana(request.Furigana, "", errors);
                enName = request.EnName is null ? null : ValidateEnglish(request.EnName, "enName", "", errors);
                break;
            case ProcessCodes.DomesticAddressChange:
                address = ValidateAddress(request.Address, "address.", "", errors, required: true, domestic: true);
                break;
            case ProcessCodes.OverseasAddressChange:
                address = ValidateAddress(request.Address, "address.", "", errors, required: true, overseas: true);
                break;
            case ProcessCodes.RegistryClosed:
                closeCause = request.CloseCause?.Trim() ?? "";
                if (!CloseCauses.All.Contains(closeCause))
                    errors["closeCause"] = ["閉鎖事由は 01, 11, 21, 31 のいずれかです / closeCause must be 01, 11, 21 or 31"];
                if (closeCause == CloseCauses.DissolvedByMerger || request.SuccessorCorporateNumber is not null)
                    successor = ValidateSuccessor(request.SuccessorCorporateNumber, corporateNumber, errors);
                break;
            case ProcessCodes.AbsorbedByMerger:
                successor = ValidateSuccessor(request.SuccessorCorporateNumber, corporateNumber, errors);
                break;
            case ProcessCodes.TradeNameStruck:
                if (request.CloseCause is not null)
                {
                    closeCause = request.CloseCause.Trim();
                    if (!CloseCauses.All.Contains(closeCause))
                        errors["closeCause"] = ["閉鎖事由は 01, 11, 21, 31 のいずれかです / closeCause must be 01, 11, 21 or 31"];
                }
                break;
        }
        CheckPublishedText(errors, "", ("name", request.Name), ("furigana", request.Furigana), ("enName", request.EnName),
            ("changeCause", request.ChangeCause), ("address.prefectureName", request.Address?.PrefectureName),
            ("address.cityName", request.Address?.CityName), ("address.streetNumber", request.Address?.StreetNumber),
            ("address.addressOutside", request.Address?.AddressOutside), ("address.enPrefectureName", request.Address?.EnPrefectureName),
            ("address.enCityName", request.Address?.EnCityName), ("address.enAddressOutside", request.Address?.EnAddressOutside));
        if (process is not (ProcessCodes.RegistryClosed or ProcessCodes.TradeNameStruck) && request.CloseCause is not null)
            errors["closeCause"] = ["閉鎖事由は処理区分21または81だけに指定できます / closeCause goes only with process 21 or 81"];
        if (errors.Count > 0) return (null, null);

        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await database.OpenAsync();
        await using var tx = await database.BeginSerializedAsync(c, CorporationStore.WriteLock);
        // Before the state is read: a retried change would otherwise be judged against the record its first sending wrote.
        if (key is not null && await key.EarlierAnswerAsync<CorporationRecord>(c, tx, IdempotencyScope) is { } earlier) return earlier;
        var latest = await CorporationStore.LatestAsync(c, corporateNumber, tx);
        if (latest is null) return (null, UnknownCorporation);
        if (CorporationText.TryParseDate(latest.ChangeDate, out var lastChange) && changeDate < lastChange)
        {
            errors["changeDate"] = [$"変更年月日は前回の変更（{latest.ChangeDate}）より前にできません / changeDate cannot precede the last change ({latest.ChangeDate})"];
            return (null, null);
        }
        if (successor is not null && SuccessorProblem(await CorporationStore.LatestAsync(c, successor, tx), latest) is { } wrongSuccessor)
        {
            errors["successorCorporateNumber"] = [wrongSuccessor];
            return (null, null);
        }
        var refusal = Allows(process, latest);
        if (refusal is not null) return (null, refusal);
        if (process == ProcessCodes.NameChange)
        {
            // A new name is published with its reading: without one, the register wrote "" over the old name's.
            if (name != latest.Name && furigana!.Length == 0 && latest.Furigana.Length > 0)
            {
                errors["furigana"] = ["商号又は名称を変えるときは新しいフリガナを入力してください / furigana is required with a new name"];
                return (null, null);
            }
            if (name == latest.Name)
            {
                // Published, the record would say the name changed; only a correction of the name's reading or English name keeps it.
                furigana = furigana!.Length > 0 ? furigana : latest.Furigana;
                if (request.Correction != true || (furigana == latest.Furigana && (enName ?? latest.EnName) == latest.EnName))
                    return (null, NameUnchanged);
            }
        }

        var date = CorporationText.ToText(changeDate);
        var next = latest with
        {
            Version = latest.Version + 1, Process = process, Correct = request.Correction == true ? "1" : "0",
            UpdateDate = CorporationText.ToText(updateDate ?? today), ChangeDate = date, ChangeCause = changeCause,
        };
        next = process switch
        {
            ProcessCodes.NameChange => next with { Name = name!, Furigana = furigana!, EnName = enName ?? latest.EnName },
            ProcessCodes.DomesticAddressChange => next with
            {
                PrefectureName = address!.PrefectureName, CityName = address.CityName, StreetNumber = address.StreetNumber,
                PrefectureCode = address.PrefectureCode, CityCode = address.CityCode, PostCode = address.PostCode,
                EnPrefectureName = address.EnPrefectureName, EnCityName = address.EnCityName,
            },
            ProcessCodes.OverseasAddressChange => next with { AddressOutside = address!.AddressOutside, EnAddressOutside = address.EnAddressOutside },
            ProcessCodes.RegistryClosed => next with { CloseDate = date, CloseCause = closeCause!, SuccessorCorporateNumber = successor ?? "" },
            ProcessCodes.AbsorbedByMerger => next with { CloseDate = date, CloseCause = CloseCauses.DissolvedByMerger, SuccessorCorporateNumber = successor! },
            ProcessCodes.TradeNameStruck => next with { CloseDate = date, CloseCause = closeCause ?? "" },
            ProcessCodes.Deleted => next with { CloseDate = latest.CloseDate.Length > 0 ? latest.CloseDate : date },
            _ => next with { CloseDate = "", CloseCause = "", SuccessorCorporateNumber = "" }, // 22 and 72 restore
        };
        var written = await CorporationStore.AppendAsync(c, tx, next, now);
        if (key is not null) await key.KeepAnswerAsync(c, tx, IdempotencyScope, written, now);
        await tx.CommitAsync();
        return (written, null);
    }

    /// <summary>
    /// Which changes the corporation's current state allows; anything else is refused before it is written. A closed corporation
    /// takes what undoes its closing (22 after 21 or 81, 72 after 71) and a deletion; a deleted one nothing.
    /// </summary>
    private static Refusal? Allows(string process, CorporationRecord latest)
    {
        if (latest.Process == ProcessCodes.Deleted)
            return new Refusal(409, "corporation-deleted", "削除された法人です / The corporation has been deleted", "削除された法人は変更を受け付けません / A deleted corporation takes no further changes");
        return process switch
        {
            ProcessCodes.RegistryRestored when latest.Process is not (ProcessCodes.RegistryClosed or ProcessCodes.TradeNameStruck) =>
                NotAllowed("回復（22）できるのは処理区分21または81で閉鎖された法人だけです / Only a corporation closed by process 21 or 81 can be restored (22)"),
            ProcessCodes.MergerAnnulled when latest.Process != ProcessCodes.AbsorbedByMerger =>
                NotAllowed("合併無効（72）は吸収合併（71）で閉鎖された法人だけに記録できます / Only a corporation absorbed by merger (71) can have the merger annulled (72)"),
            ProcessCodes.Deleted => null, // withdraws a record published in error (誤って指定された番号): in any state, closed or not
            ProcessCodes.RegistryRestored or ProcessCodes.MergerAnnulled => null,
            _ when latest.IsClosed => NotAllowed($"法人は閉鎖されています（{latest.CloseDate}）。先に閉鎖を取り消してください（21・81は22、71は72） / " +
                $"The corporation is closed ({latest.CloseDate}); restore it first (22 after 21 or 81, 72 after 71)"),
            _ => null,
        };
    }

    private static readonly Refusal NameUnchanged = new(409, "name-unchanged", "商号又は名称が変わっていません / The name is unchanged",
        "現在と同じ商号又は名称は、変更として公表されるため記録しません。今の名称のフリガナや英語表記の誤りを直すときは correction: true を付けてください / " +
        "The name given is the current one: it is not recorded, as it would be published as a name change. " +
        "To correct the current name's furigana or English name, send correction: true.");

    private static Refusal NotAllowed(string detail) =>
        new(409, "change-not-allowed", "この処理は受け付けられません / Not possible in the corporation's current state", detail);

    public static readonly Refusal UnknownCorporation =
        new(404, "unknown-corporation", "法人が見つかりません / Unknown corporation", "この法人番号の法人は登録されていません / No corporation with this number is on the register");

    /// <summary>A corporation's newest record and history, for administrators.</summary>
    public async Task<CorporationView?> FindAsync(string corporateNumber)
    {
        await using var c = await database.OpenAsync();
        var history = await CorporationStore.HistoryAsync(c, corporateNumber);
        return history.Count == 0 ? null : new CorporationView(history[^1], history);
    }

    /// <summary>
    /// Why <paramref name="successor"/> cannot take over <paramref name="absorbed"/>, or null when it can: it is on the register
    /// and open (a closed or deleted corporation absorbs nothing), and a company (会社法 art. 748) is absorbed only by a company,
    /// a national body or local government only by one of its own kind (a ministry reorganised, a municipality merged into another).
    /// </summary>
    private static string? SuccessorProblem(CorporationRecord? successor, CorporationRecord absorbed)
    {
        if (successor is null) return "承継先の法人が登録されていません / the successor is not on the register";
        if (successor.Process == ProcessCodes.Deleted) return "承継先の法人は削除されています / the successor has been deleted";
        if (successor.IsClosed) return $"承継先の法人は閉鎖されています（{successor.CloseDate}） / the successor is closed ({successor.CloseDate})";
        var (from, to) = (KindCodes.GroupOf(absorbed.Kind), KindCodes.GroupOf(successor.Kind));
        if (from == "03" && to != "03") return "会社（種別3xx）を合併で承継できるのは会社だけです / a company (kind 3xx) is absorbed only by a company";
        if (from is "01" or "02" && to != from)
            return "国の機関・地方公共団体を承継できるのは同じ種別の法人だけです / a national body or local government is succeeded only by one of its own kind";
        return null;
    }

    private static string? ValidateSuccessor(string? text, string self, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            errors["successorCorporateNumber"] = ["承継先の法人番号を入力してください / successorCorporateNumber is required"];
            return null;
        }
        if (!CorporateNumber.TryParse(text, out var n, out var problem))
        {
            errors["successorCorporateNumber"] = [problem!.Message];
            return null;
        }
        if (n.Digits == self)
        {
            errors["successorCorporateNumber"] = ["承継先に自らは指定できません / a corporation cannot succeed itself"];
            return null;
        }
        return n.Digits;
    }

    private const string IndividualNumberRefusal =
        "個人番号と読める数字（11桁か12桁、区切りや漢数字で書いたものも）は入力できません。公表され、取り消せません / " +
        "must not hold what reads as an Individual Number (11 or 12 digits, also in groups or in kanji numerals): it would be published for good";

    /// <summary>
    /// Names each field that cannot be stored (<see cref="StoredText"/>) or holds what reads as an Individual Number: every text item is
    /// published to anyone, and records are never withdrawn (a correction or deletion adds one), so a representative's number typed
    /// into a change's cause would stay public. 13 digits in a row, a corporate number, are not one. The published CSV is opened in
    /// spreadsheets, which run a cell that begins =, +, - or @ (＝ too, folded), quoted or not: such a start is refused, as the
    /// resident register refuses it for its own CSV. No company name, address or cause begins so.
    /// </summary>
    private static void CheckPublishedText(Dictionary<string, string[]> errors, string prefix, params (string Field, string? Value)[] fields)
    {
        StoredText.Check(errors, prefix, fields);
        foreach (var (field, value) in fields)
            if (NumberShape.ContainsIndividualNumberInFreeText(value)) errors[prefix + field] = [IndividualNumberRefusal];
            else if (RegisterText.StartsLikeFormula(RegisterText.Normalize(value)) && !errors.ContainsKey(prefix + field))
                errors[prefix + field] = [$"先頭に =、+、-、@ は使えません（公表するCSVを表計算ソフトが数式として扱います） / {field.Split('.')[^1]} must not " +
                    "begin with =, +, - or @ (a spreadsheet opening the published CSV would run it as a formula)"];
    }

    private static string ValidateFurigana(string? text, string prefix, Dictionary<string, string[]> errors)
    {
        var furigana = CorporationText.Clean(text);
        if (RegisterText.Length(furigana) > 300) errors[prefix + "furigana"] = ["フリガナは300文字以内です / furigana is at most 300 characters"];
        else if (!furigana.All(ch => ch is >= '\u30A1' and <= '\u30FC' || ch is '\u3000' or ' '))
            errors[prefix + "furigana"] = ["フリガナは全角カタカナで入力してください / furigana must be full-width katakana"];
        return furigana;
    }

    private static string ValidateEnglish(string? text, string field, string prefix, Dictionary<string, string[]> errors)
    {
        var value = CorporationText.Clean(text);
        if (RegisterText.Length(value) > 300) errors[prefix + field] = ["英語表記は300文字以内です / English items are at most 300 characters"];
        else if (value.Any(ch => ch is < ' ' or > '~'))
            errors[prefix + field] = ["英語表記は半角英数記号で入力してください / English items use printable ASCII only"];
        return value;
    }

    private static ValidAddress? ValidateAddress(CorporationAddressInput? a, string field, string prefix, Dictionary<string, string[]> errors,
        bool required, bool domestic = false, bool overseas = false)
    {
        var count = errors.Count;
        void Error(string name, string message) => errors[prefix + field + name] = [message];
        if (a is null)
        {
            if (required) errors[prefix + field.TrimEnd('.')] = ["所在地を入力してください / address is required"];
            return null;
        }
        var outside = CorporationText.Clean(a.AddressOutside);
        var enOutside = ValidateEnglish(a.EnAddressOutside, field + "enAddressOutside", prefix, errors);
        if (RegisterText.Length(outside) > 600) Error("addressOutside", "国外所在地は600文字以内です / addressOutside is at most 600 characters");
        var hasDomestic = !overseas && (domestic || a.LocalGovernmentCode is not null || a.StreetNumber is not null || outside.Length == 0);
        if (overseas && outside.Length == 0) Error("addressOutside", "国外所在地を入力してください / addressOutside is required");

        string prefName = "", cityName = "", street = "", prefCode = "", cityCode = "", post = "", enPref = "", enCity = "";
        string? lgDigits = null;
        if (hasDomestic)
        {
            var digits = DigitsOnly(a.LocalGovernmentCode);
            // Five digits (as the NTA publishes them) get their check digit, then both forms are read by the library's rules.
            if (digits is { Length: 5 })
                digits += Numbers.LocalGovernmentCode.CheckDigitOf([.. digits.Select(d => (byte)(d - '0'))]).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Municipality? known = null;
            Numbers.NumberProblem? problem6 = null;
            string? prefecture = null;
            if (digits is { Length: 6 } && Numbers.LocalGovernmentCode.TryParse(digits, out var lg6, out problem6))
            {
                lgDigits = lg6.Digits;
                known = DemoMunicipalities.Find(lg6);
                prefecture = Prefectures.NameOf(lg6);
                // The prefecture itself (xx000) is no seat: published, cityCode 000 stood beside whatever city was typed.
                if (lg6.FiveDigits % 1000 == 0)
                {
                    Error("localGovernmentCode", $"{lgDigits} は都道府県（{prefecture}）自体のコードです。所在地の市区町村のコードを入力してください / " +
                        $"{lgDigits} is the code of the prefecture itself; give the code of the municipality of the seat");
                    lgDigits = null;
                }
            }
            else
            {
                Error("localGovernmentCode", problem6 is not null
                    ? problem6.Message
                    : "所在地の地方公共団体コード（5桁または6桁）を入力してください / localGovernmentCode (5 or 6 digits) is required");
            }
            if (lgDigits is not null)
            {
                prefCode = lgDigits[..2];
                cityCode = lgDigits[2..5];
            }
            prefName = CorporationText.Clean(a.PrefectureName);
            cityName = CorporationText.Clean(a.CityName);
            street = CorporationText.Clean(a.StreetNumber);
            // Names are judged only once the code is right. They are published beside the code and searched by it: the code's
            // prefecture is the only one (given or filled in), and a municipality the register knows has its own name.
            if (lgDigits is not null)
            {
                if (prefName.Length == 0) prefName = prefecture!;
                else if (prefName != prefecture)
                    Error("prefectureName", $"地方公共団体コード {lgDigits} の都道府県は{prefecture}です / the prefecture of {lgDigits} is {prefecture}");
                if (known is not null && cityName.Length == 0) cityName = known.Name;
                else if (known is not null && cityName != known.Name)
                    Error("cityName", $"地方公共団体コード {lgDigits} の市区町村は{known.Name}です / the municipality of {lgDigits} is {known.Name}");
                else if (RegisterText.Length(cityName) is 0 or > 30)
                    Error("cityName", "市区町村名を入力してください（30文字以内） / cityName is required (at most 30 characters)");
            }
            if (RegisterText.Length(street) is 0 or > 300) Error("streetNumber", "丁目番地等を入力してください（300文字以内） / streetNumber is required (at most 300 characters)");
            if (a.PostCode is not null)
            {
                post = DigitsOnly(a.PostCode) ?? "";
                if (post.Length != 7) Error("postCode", "郵便番号は7桁の数字です / postCode has 7 digits");
            }
            enPref = ValidateEnglish(a.EnPrefectureName, field + "enPrefectureName", prefix, errors);
            enCity = ValidateEnglish(a.EnCityName, field + "enCityName", prefix, errors);
        }
        if (errors.Count > count) return null;
        return new ValidAddress(prefName, cityName, street, prefCode, cityCode, post, outside, enPref, enCity, enOutside, lgDigits);
    }

    /// <summary>The digits of a text typed with separators (full-width digits allowed), or null if it has other characters.</summary>
    private static string? DigitsOnly(string? text)
    {
        if (text is null) return null;
        var n = text.Normalize(System.Text.NormalizationForm.FormKC);
        if (n.Any(ch => !(char.IsAsciiDigit(ch) || ch is '-' or ' '))) return null;
        return new string(n.Where(char.IsAsciiDigit).ToArray());
    }

    private static string Or(string value, string fallback) => value.Length > 0 ? value : fallback;
}
