using System.Globalization;
using System.Text;

namespace Renkei.Registry.Corporations;

/// <summary>
/// One published record of a corporation, with the 30 fields of the National Tax Agency's
/// publication (Web-API version 4) in their order. Every change is a new record; the newest has
/// <see cref="Latest"/> = true. Empty items are empty strings, as the NTA publishes them.
/// </summary>
public sealed record CorporationRecord
{
    public long RecordId { get; init; }
    public int Version { get; init; } = 1;
    public required string CorporateNumber { get; init; }
    public required string Process { get; init; }
    public string Correct { get; init; } = "0";
    public required string UpdateDate { get; init; }
    public required string ChangeDate { get; init; }
    public required string Name { get; init; }
    public string NameImageId { get; init; } = "";
    public required string Kind { get; init; }
    public string PrefectureName { get; init; } = "";
    public string CityName { get; init; } = "";
    public string StreetNumber { get; init; } = "";
    public string AddressImageId { get; init; } = "";
    public string PrefectureCode { get; init; } = "";
    public string CityCode { get; init; } = "";
    public string PostCode { get; init; } = "";
    public string AddressOutside { get; init; } = "";
    public string AddressOutsideImageId { get; init; } = "";
    public string CloseDate { get; init; } = "";
    public string CloseCause { get; init; } = "";
    public string SuccessorCorporateNumber { get; init; } = "";
    public string ChangeCause { get; init; } = "";
    public required string AssignmentDate { get; init; }
    public bool Latest { get; init; } = true;
    public string EnName { get; init; } = "";
    public string EnPrefectureName { get; init; } = "";
    public string EnCityName { get; init; } = "";
    public string EnAddressOutside { get; init; } = "";
    public string Furigana { get; init; } = "";
    public bool Hihyoji { get; init; }

    /// <summary>Closed (閉鎖等): a close date is set until a restoration clears it.</summary>
    public bool IsClosed => CloseDate.Length > 0;

    /// <summary>
    /// The 30 published items in the NTA's order, as text; <paramref name="sequenceNumber"/> is the
    /// record's position in the answer.
    /// </summary>
    public string[] Items(long sequenceNumber) =>
    [
        sequenceNumber.ToString(CultureInfo.InvariantCulture), CorporateNumber, Process, Correct, UpdateDate, ChangeDate,
        Name, NameImageId, Kind, PrefectureName, CityName, StreetNumber, AddressImageId,
        PrefectureCode, CityCode, PostCode, AddressOutside, AddressOutsideImageId, CloseDate,
        CloseCause, SuccessorCorporateNumber, ChangeCause, AssignmentDate, Latest ? "1" : "0", EnName,
        EnPrefectureName, EnCityName, EnAddressOutside, Furigana, Hihyoji ? "1" : "0",
    ];

    /// <summary>The item names, in order: the XML element names and the JSON property names.</summary>
    public static readonly IReadOnlyList<string> ItemNames =
    [
        "sequenceNumber", "corporateNumber", "process", "correct", "updateDate", "changeDate",
        "name", "nameImageId", "kind", "prefectureName", "cityName", "streetNumber", "addressImageId",
        "prefectureCode", "cityCode", "postCode", "addressOutside", "addressOutsideImageId", "closeDate",
        "closeCause", "successorCorporateNumber", "changeCause", "assignmentDate", "latest", "enName",
        "enPrefectureName", "enCityName", "enAddressOutside", "furigana", "hihyoji",
    ];

    /// <summary>Which items the NTA's CSV writes in double quotes (free text); codes and dates go bare.</summary>
    public static readonly IReadOnlySet<int> QuotedItems = new HashSet<int> { 6, 9, 10, 11, 16, 21, 24, 25, 26, 27, 28 };
}

/// <summary>処理区分: why a record was published.</summary>
public static class ProcessCodes
{
    public const string New = "01";
    public const string NameChange = "11";
    public const string DomesticAddressChange = "12";
    public const string OverseasAddressChange = "13";
    public const string RegistryClosed = "21";
    public const string RegistryRestored = "22";
    public const string AbsorbedByMerger = "71";
    public const string MergerAnnulled = "72";
    public const string TradeNameStruck = "81";
    public const string Deleted = "99";

    /// <summary>The changes an administrator may record (everything but 01, which registration writes).</summary>
    public static readonly IReadOnlyDictionary<string, string> Changes = new Dictionary<string, string>
    {
        [NameChange] = "商号又は名称の変更 / name change",
        [DomesticAddressChange] = "国内所在地の変更 / domestic address change",
        [OverseasAddressChange] = "国外所在地の変更 / overseas address change",
        [RegistryClosed] = "登記記録の閉鎖等 / registry closed",
        [RegistryRestored] = "登記記録の復活等 / registry restored",
        [AbsorbedByMerger] = "吸収合併 / absorbed by merger",
        [MergerAnnulled] = "吸収合併無効 / merger annulled",
        [TradeNameStruck] = "商号の登記の抹消 / trade-name registration struck",
        [Deleted] = "削除 / deleted",
    };
}

/// <summary>登記記録の閉鎖等の事由.</summary>
public static class CloseCauses
{
    public const string LiquidationCompleted = "01";
    public const string DissolvedByMerger = "11";
    public const string ClosedByRegistrar = "21";
    public const string OtherLiquidationCompleted = "31";

    public static readonly IReadOnlySet<string> All = new HashSet<string> { "01", "11", "21", "31" };
}

/// <summary>法人種別 of a record, and the four groups the search's <c>kind</c> parameter names.</summary>
public static class KindCodes
{
    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>
    {
        ["101"] = "国の機関", ["201"] = "地方公共団体", ["301"] = "株式会社", ["302"] = "有限会社", ["303"] = "合名会社",
        ["304"] = "合資会社", ["305"] = "合同会社", ["399"] = "その他の設立登記法人", ["401"] = "外国会社等", ["499"] = "その他",
    };

    /// <summary>The search group (01 national body … 04 foreign and other) of a record's kind.</summary>
    public static string GroupOf(string kind) => kind[..1] switch { "1" => "01", "2" => "02", "3" => "03", _ => "04" };

    public static bool IsRegisteredCompany(string kind) => kind.StartsWith('3');

    /// <summary>
    /// Whose register record carries a 会社法人等番号: a registered company (3xx), and a foreign company registered here (401, 外国会社の登記;
    /// 商業登記規則 1条の2 keeps one number for it across registry offices). Other 401s, and 499s, have none.
    /// </summary>
    public static bool MayHaveCompanyLegalNumber(string kind) => IsRegisteredCompany(kind) || kind == "401";
}

/// <summary>How corporate names are stored and folded for search.</summary>
public static class CorporationText
{
    /// <summary>Stored text: canonical composition, trimmed, runs of white space made one space; width kept as given.</summary>
    public static string Clean(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        var n = StoredText.Sanitize(text).Normalize(NormalizationForm.FormC).Trim();
        var sb = new StringBuilder(n.Length);
        char? space = null;
        foreach (var c in n)
        {
            // A run of white space becomes its first character: an ideographic space stays one.
            if (char.IsWhiteSpace(c)) { space ??= c == '\u3000' ? c : ' '; continue; }
            if (space is { } s) sb.Append(s);
            space = null;
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>
    /// The fuzzy key (target 1): compatibility forms folded (full-width to half-width), hiragana to
    /// katakana, Latin letters to upper case, spaces and middle dots dropped.
    /// </summary>
    public static string Fold(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var n = StoredText.Sanitize(text).Normalize(NormalizationForm.FormKC);
        var sb = new StringBuilder(n.Length);
        foreach (var c in n)
        {
            if (char.IsWhiteSpace(c) || c is '・' or '･' or '\u00B7') continue;
            if (c is >= '\u3041' and <= '\u3096') sb.Append((char)(c + 0x60));
            else sb.Append(char.ToUpperInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>The English key (target 3): upper case, single spaces.</summary>
    public static string FoldEnglish(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        var n = StoredText.Sanitize(text).Normalize(NormalizationForm.FormKC);
        var sb = new StringBuilder(n.Length);
        var space = false;
        foreach (var c in n)
        {
            if (char.IsWhiteSpace(c)) { space = sb.Length > 0; continue; }
            if (space) sb.Append(' ');
            space = false;
            sb.Append(char.ToUpperInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>The distinct two-character pieces of the keys, for the partial-match index.</summary>
    public static IEnumerable<string> Grams(params string[] keys)
    {
        var grams = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var elements = TextElements(key);
            for (var i = 0; i + 1 < elements.Count; i++) grams.Add(elements[i] + elements[i + 1]);
        }
        return grams;
    }

    /// <summary>The first two-character piece of a query, or null when it is shorter.</summary>
    public static string? FirstGram(string key)
    {
        var elements = TextElements(key);
        return elements.Count >= 2 ? elements[0] + elements[1] : null;
    }

    /// <summary>Characters as people count them (a surrogate pair is one).</summary>
    private static List<string> TextElements(string text)
    {
        var list = new List<string>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { list.Add(text.Substring(i, 2)); i++; }
            else list.Add(text[i].ToString());
        }
        return list;
    }

    /// <summary>The exclusive upper end of the range of keys that start with <paramref name="prefix"/>.</summary>
    public static string PrefixEnd(string prefix) => prefix + char.ConvertFromUtf32(0x10FFFF);

    public static string ToText(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static bool TryParseDate(string? text, out DateOnly date) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
}
