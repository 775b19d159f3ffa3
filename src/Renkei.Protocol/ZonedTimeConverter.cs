using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Renkei.Protocol;

/// <summary>
/// A date-time as System.Text.Json reads it (ISO 8601), and whether it carries its offset: without one that reader takes the
/// reading host's own zone, so the same text meant different times on hosts in different zones. The core (relayed inquiries)
/// and the node (a clerk's notBefore) ask this one question.
/// </summary>
public static class ZonedTime
{
    /// <summary>The time the string token <paramref name="reader"/> is on names, and whether it gives its offset; false if it names none.</summary>
    public static bool TryRead(ref Utf8JsonReader reader, out DateTimeOffset at, out bool zoned)
    {
        zoned = false;
        if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out at)) { at = default; return false; }
        zoned = reader.ValueIsEscaped || reader.HasValueSequence ? HasOffset(reader.GetString()!) : HasOffset(reader.ValueSpan);
        return true;
    }

    /// <summary><see cref="TryRead(ref Utf8JsonReader, out DateTimeOffset, out bool)"/> of text, such as a string a request body held.</summary>
    public static bool TryRead(string text, out DateTimeOffset at, out bool zoned)
    {
        // The same reader as the core's, so both take the same forms; the text, quoted, is one JSON string token.
        var quoted = Encoding.UTF8.GetBytes("\"" + JsonEncodedText.Encode(text).Value + "\"");
        var reader = new Utf8JsonReader(quoted);
        reader.Read();
        return TryRead(ref reader, out at, out zoned);
    }

    // The offset, if any, follows the date (yyyy-MM-dd, its own '-' before index 10): Z, + or -.
    private static bool HasOffset(ReadOnlySpan<char> text) => text.Length > 10 && text[10..].IndexOfAny("Zz+-") >= 0;

    private static bool HasOffset(ReadOnlySpan<byte> utf8) => utf8.Length > 10 && utf8[10..].IndexOfAny("Zz+-"u8) >= 0;
}

/// <summary>
/// Reads an inquiry's notBefore only with its offset (<see cref="ZonedTime"/>). Such a value without one reads as
/// <see cref="DateTimeOffset.MinValue"/>, which <see cref="RelayKinds.IsNotBefore"/> refuses: that inquiry alone is answered
/// <see cref="RelayKinds.InvalidNotBeforeReason"/>, as one out of range. Text that is no date at all still fails the message.
/// </summary>
internal sealed class ZonedTimeConverter : JsonConverter<DateTimeOffset?>
{
    public override bool HandleNull => true;

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (!ZonedTime.TryRead(ref reader, out var at, out var zoned)) throw new JsonException();
        return zoned ? at : DateTimeOffset.MinValue;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is { } at) writer.WriteStringValue(at);
        else writer.WriteNullValue();
    }
}
