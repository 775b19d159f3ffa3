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
