using System.Text.Json.Serialization;

namespace Renkei.Numbers;

/// <summary>
/// 個人番号 (My Number): eleven digits derived from the Resident Record Code and a check digit.
/// <see cref="ToString"/> masks all but the last four digits so that a number cannot reach a log
/// by accident; use <see cref="Digits"/> or <see cref="Format"/> where the whole number is meant.
/// </summary>
[JsonConverter(typeof(IdentityNumberJsonConverter<IndividualNumber>))]
public readonly record struct IndividualNumber : IIdentityNumber<IndividualNumber>, IComparable<IndividualNumber>
{
    private readonly long value;

    private IndividualNumber(long value) => this.value = value;

    /// <inheritdoc />
    public static NumberKind Kind => NumberKind.Individual;

    /// <inheritdoc />
    public static bool CheckDigitLeads => false;

    static IndividualNumber IIdentityNumber<IndividualNumber>.FromCheckedValue(long value) => new(value);

    /// <summary>
    /// The official check digit (総務省令 平成26年第85号 第5条): weights 2–7 then 2–6 from the right,
    /// r = Σ mod 11, check digit 0 when r ≤ 1, else 11 − r.
    /// </summary>
    public static int CheckDigitOf(ReadOnlySpan<byte> payload) => CheckDigits.Mod11(payload);

    /// <summary>The number whose first eleven digits are <paramref name="payload"/>.</summary>
    public static IndividualNumber FromPayload(long payload) => IdentityNumber.FromPayload<IndividualNumber>(payload);

    /// <summary>The twelve digits as a number.</summary>
    public long Value => value;

    /// <summary>The first eleven digits (the check digit dropped).</summary>
    public long Payload => value / 10;

    /// <inheritdoc />
    public string Digits => value.ToString("D12", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Four-four-four with spaces, as printed on the card: <c>1234 5678 9012</c>.</summary>
    public string Format() => Renkei.Numbers.Digits.GroupByFour(Digits);

    /// <summary>For display: <c>**** **** 9012</c>.</summary>
    public string Masked => "**** **** " + Digits[8..];

    /// <summary>Masked, so that a number never reaches a log whole.</summary>
    public override string ToString() => Masked;

    /// <inheritdoc />
    public int CompareTo(IndividualNumber other) => value.CompareTo(other.value);

    /// <summary>Parses a number, saying why when it is not valid.</summary>
    public static bool TryParse(string? s, out IndividualNumber number, out NumberProblem? problem) =>
        IIdentityNumber<IndividualNumber>.TryParse(s, out number, out problem);

    /// <inheritdoc />
    public static IndividualNumber Parse(string s, IFormatProvider? provider = null) => IdentityNumber.Parse<IndividualNumber>(s);

    /// <inheritdoc />
    public static bool TryParse(string? s, IFormatProvider? provider, out IndividualNumber result) => IdentityNumber.TryParse(s, out result);
}
