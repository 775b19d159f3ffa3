using System.Security.Cryptography;
using System.Text.Json.Serialization;

namespace Renkei.Numbers;

/// <summary>
/// 住民票コード: ten random digits and a check digit, kept by the resident registry network.
/// Masked by <see cref="ToString"/>, like the Individual Number it is converted into.
/// </summary>
[JsonConverter(typeof(IdentityNumberJsonConverter<ResidentRecordCode>))]
public readonly record struct ResidentRecordCode : IIdentityNumber<ResidentRecordCode>, IComparable<ResidentRecordCode>
{
    private readonly long value;

    private ResidentRecordCode(long value) => this.value = value;

    /// <inheritdoc />
    public static NumberKind Kind => NumberKind.ResidentRecordCode;

    /// <inheritdoc />
    public static bool CheckDigitLeads => false;

    static ResidentRecordCode IIdentityNumber<ResidentRecordCode>.FromCheckedValue(long value) => new(value);

    /// <summary>
    /// Renkei's own check digit. The official formula is set by a 2002 ministry notice whose text is
    /// not public, so this uses the Individual Number's mod-11 weights; swap it here and nowhere else.
    /// </summary>
    public static int CheckDigitOf(ReadOnlySpan<byte> payload) => CheckDigits.Mod11(payload);

    /// <summary>The code whose first ten digits are <paramref name="payload"/>.</summary>
    public static ResidentRecordCode FromPayload(long payload) => IdentityNumber.FromPayload<ResidentRecordCode>(payload);

    /// <summary>A code drawn at random (ten random digits, never in sequence); the caller checks it is unused.</summary>
    public static ResidentRecordCode Random() => FromPayload(RandomNumberGenerator.GetInt32(0, 100_000) * 100_000L + RandomNumberGenerator.GetInt32(0, 100_000));

    /// <summary>A code drawn from a seeded generator, for reproducible synthetic data.</summary>
    public static ResidentRecordCode Random(Random random) => FromPayload(random.NextInt64(0, 10_000_000_000));

    /// <summary>The eleven digits as a number.</summary>
    public long Value => value;

    /// <inheritdoc />
    public string Digits => value.ToString("D11", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>For display: all but the last four digits hidden.</summary>
    public string Masked => "*******" + Digits[7..];

    /// <summary>Masked, so that a code never reaches a log whole.</summary>
    public override string ToString() => Masked;

    /// <inheritdoc />
    public int CompareTo(ResidentRecordCode other) => value.CompareTo(other.value);

    /// <summary>Parses a code, saying why when it is not valid.</summary>
    public static bool TryParse(string? s, out ResidentRecordCode code, out NumberProblem? problem) =>
        IIdentityNumber<ResidentRecordCode>.TryParse(s, out code, out problem);

    /// <inheritdoc />
    public static ResidentRecordCode Parse(string s, IFormatProvider? provider = null) => IdentityNumber.Parse<ResidentRecordCode>(s);

    /// <inheritdoc />
    public static bool TryParse(string? s, IFormatProvider? provider, out ResidentRecordCode result) => IdentityNumber.TryParse(s, out result);
}
