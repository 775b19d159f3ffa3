using System.Text.Json.Serialization;

namespace Renkei.Numbers;

/// <summary>
/// 全国地方公共団体コード: two digits for the prefecture, three for the municipality, and a check digit.
/// </summary>
[JsonConverter(typeof(IdentityNumberJsonConverter<LocalGovernmentCode>))]
public readonly record struct LocalGovernmentCode : IIdentityNumber<LocalGovernmentCode>, IComparable<LocalGovernmentCode>
{
    private readonly int value;

    private LocalGovernmentCode(int value) => this.value = value;

    /// <inheritdoc />
    public static NumberKind Kind => NumberKind.LocalGovernmentCode;

    /// <inheritdoc />
    public static bool CheckDigitLeads => false;

    static LocalGovernmentCode IIdentityNumber<LocalGovernmentCode>.FromCheckedValue(long value) => new((int)value);

    /// <summary>Weights 6, 5, 4, 3, 2 on the five digits; the check digit is the ones digit of 11 − (Σ mod 11) (<see cref="AgencyCheckDigits.LocalGovernment"/>).</summary>
    public static int CheckDigitOf(ReadOnlySpan<byte> payload) => AgencyCheckDigits.LocalGovernment(payload);

    /// <summary>The prefecture codes run from 01 (北海道) to 47 (沖縄県); 00 and 48–99 name none.</summary>
    static NumberProblem? IIdentityNumber<LocalGovernmentCode>.RangeProblem(ReadOnlySpan<byte> digits) =>
        AgencyCheckDigits.IsPrefecture(digits[0] * 10 + digits[1]) ? null
            : new NumberProblem(NumberKind.LocalGovernmentCode, NumberProblemKind.Prefecture, PrefectureCode: digits[0] * 10 + digits[1]);

    /// <summary>The code of the five-digit prefecture-and-municipality number (e.g. 13101 → 131016).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not five digits, or its first two are not a prefecture code (01–47).</exception>
    public static LocalGovernmentCode FromFiveDigits(int fiveDigits) =>
        AgencyCheckDigits.IsPrefecture(fiveDigits / 1_000)
            ? IdentityNumber.FromPayload<LocalGovernmentCode>(fiveDigits)
            : throw new ArgumentOutOfRangeException(nameof(fiveDigits), "the first two digits are a prefecture code, 01 to 47");

    /// <summary>The six digits.</summary>
    public int Value => value;

    /// <summary>The two-digit prefecture code (01–47).</summary>
    public int PrefectureCode => value / 10_000;

    /// <summary>The five digits without the check digit, as used by the corporate number publication.</summary>
    public int FiveDigits => value / 10;

    /// <inheritdoc />
    public string Digits => value.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Public: the plain digits.</summary>
    public override string ToString() => Digits;

    /// <inheritdoc />
    public int CompareTo(LocalGovernmentCode other) => value.CompareTo(other.value);

    /// <summary>Parses a code, saying why when it is not valid.</summary>
    public static bool TryParse(string? s, out LocalGovernmentCode code, out NumberProblem? problem) =>
        IIdentityNumber<LocalGovernmentCode>.TryParse(s, out code, out problem);

    /// <inheritdoc />
    public static LocalGovernmentCode Parse(string s, IFormatProvider? provider = null) => IdentityNumber.Parse<LocalGovernmentCode>(s);

    /// <inheritdoc />
    public static bool TryParse(string? s, IFormatProvider? provider, out LocalGovernmentCode result) => IdentityNumber.TryParse(s, out result);
}
