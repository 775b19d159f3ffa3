using System.Text.Json.Serialization;

namespace Renkei.Numbers;

/// <summary>
/// 法人番号: a leading check digit and a twelve-digit base number. Corporate numbers are public,
/// so <see cref="ToString"/> prints all thirteen digits.
/// </summary>
[JsonConverter(typeof(IdentityNumberJsonConverter<CorporateNumber>))]
public readonly record struct CorporateNumber : IIdentityNumber<CorporateNumber>, IComparable<CorporateNumber>
{
    private readonly long value;

    private CorporateNumber(long value) => this.value = value;

    /// <inheritdoc />
    public static NumberKind Kind => NumberKind.Corporate;

    /// <inheritdoc />
    public static bool CheckDigitLeads => true;

    static CorporateNumber IIdentityNumber<CorporateNumber>.FromCheckedValue(long value) => new(value);

    /// <summary>The ordinance's formula (<see cref="AgencyCheckDigits.Corporate"/>): 9 − (Σ P(n)Q(n) mod 9), Q(n) 1 for odd n and 2 for even.</summary>
    public static int CheckDigitOf(ReadOnlySpan<byte> payload) => AgencyCheckDigits.Corporate(payload);

    /// <summary>The number whose base (last twelve digits) is <paramref name="baseNumber"/>.</summary>
    public static CorporateNumber FromBase(long baseNumber) => IdentityNumber.FromPayload<CorporateNumber>(baseNumber);

    /// <summary>The thirteen digits as a number.</summary>
    public long Value => value;

    /// <summary>The twelve-digit base number.</summary>
    public long BaseNumber => value % 1_000_000_000_000;

    /// <summary>Whose series the base number lies in (<see cref="SeriesOf"/>).</summary>
    public CorporateNumberSeries Series => SeriesOf(BaseNumber);

    /// <summary>
    /// Whose a base number is, by its first digits (the NTA's 法人番号の構成). A registered company's base is its company legal
    /// number (会社法人等番号), which starts with a 4-digit registry office code (登記所コード), never 0000. The NTA numbers bodies
    /// there: a national body's base is 0000, 1, then its branch (000011 the Diet's, 国立国会図書館 000011000005; 000012 the
    /// executive's, 国税庁 000012050002; 000013 the courts'), a local government's is 000020 and its Local Government Code, and it
    /// numbers no one else under 0000. A base starting 7 is the NTA's for a body with no company legal number (健康保険組合,
    /// 人格のない社団等, a foreign company not registered here): a registry office code starts 0 to 5.
    /// </summary>
    public static CorporateNumberSeries SeriesOf(long baseNumber)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(baseNumber);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(baseNumber, 999_999_999_999);
        return (baseNumber / 1_000_000) switch
        {
            11 => CorporateNumberSeries.Diet,
            12 => CorporateNumberSeries.ExecutiveOrgan,
            13 => CorporateNumberSeries.Courts,
            20 => CorporateNumberSeries.LocalGovernment,
            < 100 => CorporateNumberSeries.Unassigned,
            _ when baseNumber / 100_000_000_000 == 7 => CorporateNumberSeries.Unregistered,
            _ => CorporateNumberSeries.CompanyLegalNumber,
        };
    }

    /// <inheritdoc />
    public string Digits => value.ToString("D13", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Check digit, then the base in groups of four: <c>7 0000 1205 0002</c>.</summary>
    public string Format() => Digits[..1] + " " + Renkei.Numbers.Digits.GroupByFour(Digits[1..]);

    /// <summary>Corporate numbers are public: the plain digits.</summary>
    public override string ToString() => Digits;

    /// <inheritdoc />
    public int CompareTo(CorporateNumber other) => value.CompareTo(other.value);

    /// <summary>Parses a number, saying why when it is not valid.</summary>
    public static bool TryParse(string? s, out CorporateNumber number, out NumberProblem? problem) =>
        IIdentityNumber<CorporateNumber>.TryParse(s, out number, out problem);

    /// <inheritdoc />
    public static CorporateNumber Parse(string s, IFormatProvider? provider = null) => IdentityNumber.Parse<CorporateNumber>(s);

    /// <inheritdoc />
    public static bool TryParse(string? s, IFormatProvider? provider, out CorporateNumber result) => IdentityNumber.TryParse(s, out result);
}

/// <summary>Whose a corporate number's base is (<see cref="CorporateNumber.SeriesOf"/>).</summary>
public enum CorporateNumberSeries
{
    /// <summary>A company legal number, under a registry office code other than 0000 (Renkei's own synthetic offices are 99…): anyone's but a national body's or a local government's.</summary>
    CompanyLegalNumber,
    /// <summary>000011…: the Diet's (国会).</summary>
    Diet,
    /// <summary>000012…: an executive organ's (行政機関), such as a ministry or the NTA.</summary>
    ExecutiveOrgan,
    /// <summary>000013…: the courts' (裁判所).</summary>
    Courts,
    /// <summary>000020 and a Local Government Code: a local government's (地方公共団体).</summary>
    LocalGovernment,
    /// <summary>7…: the NTA's for a body with no company legal number.</summary>
    Unregistered,
    /// <summary>Another 0000…: no registry office has the code 0000, and the NTA numbers no one else there.</summary>
    Unassigned,
}

/// <summary>What the series say together.</summary>
public static class CorporateNumberSeriesExtensions
{
    /// <summary>A national body's: the Diet's, the executive's or the courts' (000011… to 000013…).</summary>
    public static bool IsNationalBody(this CorporateNumberSeries series) =>
        series is CorporateNumberSeries.Diet or CorporateNumberSeries.ExecutiveOrgan or CorporateNumberSeries.Courts;
}
