using System.Text.Json;
using System.Text.Json.Serialization;

namespace Renkei.Protocol;

/// <summary>
/// Reads an inquiry's notBefore only with its offset. System.Text.Json would read a date, or a date-time without an offset,
/// in the reading host's own zone, so cores in different zones would relay the same inquiry differently. Such a value reads
/// as <see cref="DateTimeOffset.MinValue"/>, which <see cref="RelayKinds.IsNotBefore"/> refuses: that inquiry alone is answered
/// <see cref="RelayKinds.InvalidNotBeforeReason"/>, as one out of range. Text that is no date at all still fails the message.
/// </summary>
internal sealed class ZonedTimeConverter : JsonConverter<DateTimeOffset?>
{
    public override bool HandleNull => true;

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var at)) throw new JsonException();
        // The offset, if any, follows the date (yyyy-MM-dd, its own '-' before index 10): Z, + or -, as the node reads a clerk's (RequestedTime).
        var zoned = reader.ValueIsEscaped || reader.HasValueSequence
            ? reader.GetString()!.AsSpan(10).IndexOfAny("Zz+-") >= 0
            : reader.ValueSpan[10..].IndexOfAny("Zz+-"u8) >= 0;
        return zoned ? at : DateTimeOffset.MinValue;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is { } at) writer.WriteStringValue(at);
        else writer.WriteNullValue();
    }
}
