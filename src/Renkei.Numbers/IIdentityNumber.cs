using System.Text.Json;
using System.Text.Json.Serialization;

namespace Renkei.Numbers;

/// <summary>What every number type here shares, so that parsing and JSON are written once.</summary>
public interface IIdentityNumber<TSelf> : IParsable<TSelf> where TSelf : struct, IIdentityNumber<TSelf>
{
    /// <summary>Which kind of number this is.</summary>
    static abstract NumberKind Kind { get; }

    /// <summary>True when the check digit is the leading digit (the Corporate Number); false when it is the last.</summary>
    static abstract bool CheckDigitLeads { get; }

    /// <summary>The check digit for the digits that are not the check digit.</summary>
    static abstract int CheckDigitOf(ReadOnlySpan<byte> payload);

    /// <summary>Why well-formed digits with a matching check digit are still not a number of this kind; null when they are.</summary>
    static virtual NumberProblem? RangeProblem(ReadOnlySpan<byte> digits) => null;

    /// <summary>Builds the value from digits already checked.</summary>
    internal static abstract TSelf FromCheckedValue(long value);

    /// <summary>All digits, check digit included, with no separators.</summary>
    string Digits { get; }

    /// <summary>Parses <paramref name="text"/>, saying why when it is not a valid number.</summary>
    static bool TryParse(string? text, out TSelf number, out NumberProblem? problem)
    {
        number = default;
        Span<byte> digits = stackalloc byte[TSelf.Kind.Length()];
        if (!Renkei.Numbers.Digits.TryRead(TSelf.Kind, (text ?? "").AsSpan(), digits, out problem)) return false;
        ReadOnlySpan<byte> payload = TSelf.CheckDigitLeads ? digits[1..] : digits[..^1];
        var actual = TSelf.CheckDigitLeads ? digits[0] : digits[^1];
        problem = Renkei.Numbers.Digits.CheckDigitProblem(TSelf.Kind, TSelf.CheckDigitOf(payload), actual) ?? TSelf.RangeProblem(digits);
        if (problem is not null) return false;
        number = TSelf.FromCheckedValue(Renkei.Numbers.Digits.ToInt64(digits));
        return true;
    }
}

/// <summary>Shared implementations for the number types.</summary>
internal static class IdentityNumber
{
    public static T Parse<T>(string s) where T : struct, IIdentityNumber<T> =>
        IIdentityNumber<T>.TryParse(s, out var n, out var problem) ? n : throw Digits.ToException(problem!);

    public static bool TryParse<T>(string? s, out T result) where T : struct, IIdentityNumber<T> =>
        IIdentityNumber<T>.TryParse(s, out result, out _);

    /// <summary>Builds a number from its payload digits by adding the check digit.</summary>
    public static T FromPayload<T>(long payload) where T : struct, IIdentityNumber<T>
    {
        var length = T.Kind.Length();
        if (payload < 0 || payload >= Pow10(length - 1)) throw new ArgumentOutOfRangeException(nameof(payload));
        Span<byte> digits = stackalloc byte[length - 1];
        Digits.FromInt64(payload, digits);
        var check = T.CheckDigitOf(digits);
        return T.FromCheckedValue(T.CheckDigitLeads ? check * Pow10(length - 1) + payload : payload * 10 + check);
    }

    public static long Pow10(int n)
    {
        long v = 1;
        for (var i = 0; i < n; i++) v *= 10;
        return v;
    }
}

/// <summary>Writes a number as its plain digits and reads any text its parser accepts.</summary>
public sealed class IdentityNumberJsonConverter<T> : JsonConverter<T> where T : struct, IIdentityNumber<T>
{
    /// <inheritdoc />
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // A JSON number would lose leading zeros, so a number is only ever read from a string.
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException($"{T.Kind.JapaneseName()}は文字列で指定してください / {T.Kind.EnglishArticle()} {T.Kind.EnglishName()} must be a JSON string");
        return IIdentityNumber<T>.TryParse(reader.GetString(), out var n, out var problem) ? n : throw new JsonException(problem!.Message);
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(value.Digits);
}
