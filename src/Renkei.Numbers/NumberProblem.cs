namespace Renkei.Numbers;

/// <summary>Why a text is not a valid number.</summary>
public enum NumberProblemKind
{
    /// <summary>Nothing but separators was given.</summary>
    Empty,
    /// <summary>A character that is neither a digit nor an accepted separator.</summary>
    NonDigit,
    /// <summary>The wrong number of digits.</summary>
    Length,
    /// <summary>The digits are well formed but the check digit does not match.</summary>
    CheckDigit,
    /// <summary>A Local Government Code whose first two digits are not a prefecture code (01–47).</summary>
    Prefecture,
    /// <summary>A hyphen or dash before the first digit or after the last: it stands only between digits.</summary>
    MisplacedSeparator,
}

/// <summary>
/// The reason a text failed to parse as a number, precise enough to show to the person who typed it:
/// which character, how many digits, or which check digit was expected.
/// </summary>
public sealed record NumberProblem(
    NumberKind Number,
    NumberProblemKind Kind,
    int? Position = null,
    int? DigitCount = null,
    int? ExpectedCheckDigit = null,
    int? ActualCheckDigit = null,
    string? Character = null,
    int? PrefectureCode = null)
{
    /// <summary>The message in Japanese, then English.</summary>
    public string Message => $"{Japanese} / {English}";

    /// <summary>The message in Japanese.</summary>
    public string Japanese => Kind switch
    {
        NumberProblemKind.Empty => $"{Number.JapaneseName()}が入力されていません",
        NumberProblemKind.NonDigit => $"{Position}文字目{Shown("「", "」", "")}が数字ではありません",
        NumberProblemKind.Length => $"{Number.JapaneseName()}は{Number.Length()}桁ですが、{DigitCount}桁です",
        NumberProblemKind.CheckDigit => $"検査用数字が一致しません（期待値 {ExpectedCheckDigit}、入力 {ActualCheckDigit}）",
        NumberProblemKind.Prefecture => $"先頭2桁の都道府県コードは01から47ですが、{PrefectureCode:D2}です",
        NumberProblemKind.MisplacedSeparator => $"{Position}文字目の{Shown("「", "」", "")}は数字の間にだけ置けます",
        _ => "不正な番号です",
    };

    /// <summary>The message in English.</summary>
    public string English => Kind switch
    {
        NumberProblemKind.Empty => $"no {Number.EnglishName()} given",
        NumberProblemKind.NonDigit => $"character {Position}{Shown("'", "'", " ")} is not a digit",
        NumberProblemKind.Length => $"{Number.EnglishArticle()} {Number.EnglishName()} has {Number.Length()} digits, this has {DigitCount}",
        NumberProblemKind.CheckDigit => $"check digit mismatch: expected {ExpectedCheckDigit}, found {ActualCheckDigit}",
        NumberProblemKind.Prefecture => $"the first two digits are a prefecture code, 01 to 47; this has {PrefectureCode:D2}",
        NumberProblemKind.MisplacedSeparator => $"character {Position}{Shown("'", "'", " ")} may stand only between digits",
        _ => "invalid number",
    };

    /// <summary>
    /// The offending character with its code point, so that an invisible or look-alike one (a
    /// full-width letter, a non-breaking space) can be told apart; never a digit, so never part of a number.
    /// </summary>
    private string Shown(string open, string close, string gap)
    {
        if (Character is null) return "";
        var code = $"U+{(Character.Length == 2 ? char.ConvertToUtf32(Character[0], Character[1]) : Character[0]):X4}";
        var invisible = Character.Length == 1 && (char.IsControl(Character[0]) || char.IsWhiteSpace(Character[0]) || char.IsSurrogate(Character[0])
            || char.GetUnicodeCategory(Character[0]) == System.Globalization.UnicodeCategory.Format); // a zero-width space, say
        return invisible ? $"{gap}({code})" : $"{gap}{open}{Character}{close}{gap}({code})";
    }

    /// <inheritdoc />
    public override string ToString() => Message;
}

/// <summary>The kinds of number this library knows.</summary>
public enum NumberKind
{
    /// <summary>個人番号: 12 digits.</summary>
    Individual,
    /// <summary>法人番号: 13 digits.</summary>
    Corporate,
    /// <summary>住民票コード: 11 digits.</summary>
    ResidentRecordCode,
    /// <summary>全国地方公共団体コード: 6 digits.</summary>
    LocalGovernmentCode,
}

/// <summary>Names and lengths of each <see cref="NumberKind"/>.</summary>
public static class NumberKindExtensions
{
    /// <summary>The number of digits including the check digit.</summary>
    public static int Length(this NumberKind kind) => kind switch
    {
        NumberKind.Individual => 12,
        NumberKind.Corporate => 13,
        NumberKind.ResidentRecordCode => 11,
        NumberKind.LocalGovernmentCode => 6,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The Japanese name.</summary>
    public static string JapaneseName(this NumberKind kind) => kind switch
    {
        NumberKind.Individual => "個人番号",
        NumberKind.Corporate => "法人番号",
        NumberKind.ResidentRecordCode => "住民票コード",
        NumberKind.LocalGovernmentCode => "地方公共団体コード",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The indefinite article of the English name.</summary>
    public static string EnglishArticle(this NumberKind kind) => kind == NumberKind.Individual ? "an" : "a";

    /// <summary>The English name.</summary>
    public static string EnglishName(this NumberKind kind) => kind switch
    {
        NumberKind.Individual => "individual number",
        NumberKind.Corporate => "corporate number",
        NumberKind.ResidentRecordCode => "resident record code",
        NumberKind.LocalGovernmentCode => "local government code",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
