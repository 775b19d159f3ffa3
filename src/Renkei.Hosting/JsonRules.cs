using System.Text.Json;
using System.Text.Json.Serialization;

namespace Renkei.Hosting;

/// <summary>
/// Enums in JSON are their names only. The framework's converter also takes a number (<c>"sex": 7</c>) or
/// names joined by commas, either of which can make a value the enum does not define; such a value
/// would be stored and then break every later read of the row.
/// </summary>
internal sealed class NamedEnumConverter : JsonConverterFactory
{
    private static readonly JsonNamingPolicy Naming = JsonNamingPolicy.KebabCaseLower;
    private readonly JsonStringEnumConverter names = new(Naming, allowIntegerValues: false);

    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    /// <summary>The names an enum is written and read as; null for a type that is not an enum.</summary>
    public static IEnumerable<string>? NamesOf(Type type) => type.IsEnum ? Enum.GetNames(type).Select(Naming.ConvertName) : null;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Strict<>).MakeGenericType(typeToConvert), names.CreateConverter(typeToConvert, options))!;

    private sealed class Strict<T>(JsonConverter inner) : JsonConverter<T> where T : struct, Enum
    {
        private readonly JsonConverter<T> inner = (JsonConverter<T>)inner;

        private static readonly string Accepted = string.Join(", ", NamesOf(typeof(T))!);

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            Refuse(ref reader);
            return Defined(inner.Read(ref reader, typeToConvert, options));
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => inner.Write(writer, value, options);

        public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            Refuse(ref reader);
            return Defined(inner.ReadAsPropertyName(ref reader, typeToConvert, options));
        }

        public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            inner.WriteAsPropertyName(writer, value, options);

        private static void Refuse(ref Utf8JsonReader reader)
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName)) throw NotAName();
            // Names joined by a comma would read as flags; looked for in the raw bytes, so that every enum read does not make a string.
            if (reader.ValueIsEscaped ? reader.GetString()!.Contains(',') : reader.ValueSpan.Contains((byte)',')) throw NotAName();
        }

        private static T Defined(T value) => Enum.IsDefined(value) ? value : throw NotAName();

        private static JsonException NotAName() => new($"次のいずれかの名前を指定してください / must be one of: {Accepted}");
    }
}

/// <summary>
/// Strings in JSON hold no NUL character (U+0000): PostgreSQL's text cannot store one, so it would
/// fail as a 500 there after passing on SQLite, and no name, address or code has one.
/// </summary>
internal sealed class NoNulStringConverter : JsonConverter<string>
{
    public override bool HandleNull => false;

    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException(); // the framework's own message: a value of the wrong type
        return Checked(reader.GetString()!);
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Checked(reader.GetString()!);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);

    private static string Checked(string value) =>
        value.Contains('\0') ? throw new JsonException(NulMessage) : value;

    public const string NulMessage = "NUL文字（\\u0000）は使えません / must not contain a NUL character (\\u0000)";
}
