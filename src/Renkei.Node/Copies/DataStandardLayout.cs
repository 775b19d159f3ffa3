using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using Renkei.Hosting;

namespace Renkei.Node.Copies;

/// <summary>
/// データ標準レイアウト: the versioned JSON Schemas of the items a node keeps copies of, embedded as
/// <c>Copies/Schemas/{item}.v{n}.json</c>. The validator covers the part of JSON Schema the layouts use
/// (type, required, properties, additionalProperties: false, enum, minimum, maximum, multipleOf, maxLength,
/// pattern, format: date, items, maxItems) and says where each problem is. A date's range (formatMinimum, formatMaximum,
/// x-notAfterToday, x-notBefore) is checked only when a copy is stored: see <see cref="ValidateEntry"/>.
/// </summary>
public sealed partial class DataStandardLayout
{
    private readonly Dictionary<(string Item, int Version), JsonElement> schemas = [];

    public DataStandardLayout()
    {
        var assembly = typeof(DataStandardLayout).Assembly;
        foreach (var name in assembly.GetManifestResourceNames())
        {
            var m = SchemaName().Match(name);
            if (!m.Success) continue;
            using var stream = assembly.GetManifestResourceStream(name)!;
            schemas[(m.Groups["item"].Value, int.Parse(m.Groups["version"].Value, CultureInfo.InvariantCulture))] = JsonDocument.Parse(stream).RootElement.Clone();
        }
    }

    private const string NumberShaped = "個人番号の形をした値は受け付けません / a value shaped like an Individual Number is never kept by the node";

    private const string TooLarge = "数値が大きすぎるため保管できません（9,999,999,999まで）。11桁以上の数値は個人番号を含みうるので、中間サーバーは保管しません / " +
        "too large to be kept: at most 9,999,999,999, since a number of 11 or more digits could carry an Individual Number, which the node never keeps";

    private const string TooManyDigits = "桁数が多すぎるため保管できません。有効数字11桁以上の数値は個人番号を含みうるので、中間サーバーは保管しません。桁数を減らしてください / " +
        "too many digits to be kept: a number of 11 or more significant digits could carry an Individual Number, which the node never keeps; send fewer digits";

    public IEnumerable<(string Item, int Version)> Layouts => schemas.Keys.OrderBy(k => k.Item).ThenBy(k => k.Version);

    public JsonElement? Schema(string item, int version) => schemas.TryGetValue((item, version), out var s) ? s : null;

    /// <summary>The problems of <paramref name="content"/> against the item's layout; empty when it conforms.</summary>
    public List<string> Validate(string item, int version, JsonElement content) => Validate(item, version, content, null);

    /// <summary>
    /// The problems of <paramref name="content"/> stored on <paramref name="today"/> (in Japan): those of <see cref="Validate"/>
    /// and the range of its dates. Year 1, a checkup next year or coverage ending before it began was stored and served
    /// as specific personal information (audit Z, Z8). The range is held to at entry only: a copy stored before, or one a
    /// provider stored by its own clock, is still served and taken, and no "today" moves a copy from valid to invalid.
    /// </summary>
    public List<string> ValidateEntry(string item, int version, JsonElement content, DateOnly today) => Validate(item, version, content, today);

    private List<string> Validate(string item, int version, JsonElement content, DateOnly? today)
    {
        if (Schema(item, version) is not { } schema)
            return [$"レイアウト {Problems.Shown(item)} v{version} は定義されていません / no layout {Problems.Shown(item)} v{version}"];
        var problems = new List<string>();
        Readable(content, schema, "$", problems);
        if (problems.Count == 0) Check(schema, content, "$", problems, today);
        // A content of many bad members is told of its first problems only: the answer stays small whatever was sent.
        return problems.Count > MaxProblems ? [.. problems.Take(MaxProblems), MoreProblems] : problems;
    }

    /// <summary>
    /// Why the reader refused an import row where it says only "content" and repeats a name whole, however long: a
    /// property given twice (the row's own fields by name, in any case as the reader takes them; the content's by their
    /// path, as <see cref="Validate"/> names them) or a property name of the content that is no text. Empty for any other reason.
    /// </summary>
    public static List<string> ReaderRefusal(string row)
    {
        var problems = new List<string>();
        using var document = JsonDocument.Parse(row); // keeps a property given twice, so that it can be found
        if (document.RootElement.ValueKind != JsonValueKind.Object) return problems;
        var fields = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in document.RootElement.EnumerateObject())
        {
            if (!fields.Add(field.Name)) problems.Add($"{Problems.Shown(field.Name)}: {Twice}");
            else if (field.Name.Equals("content", StringComparison.OrdinalIgnoreCase)) ReaderRefusal(field.Value, "$", problems);
        }
        return problems.Count > MaxProblems ? [.. problems.Take(MaxProblems), MoreProblems] : problems;
    }

    private static void ReaderRefusal(JsonElement value, string path, List<string> problems)
    {
        if (value.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var element in value.EnumerateArray())
                if (problems.Count <= MaxProblems) ReaderRefusal(element, $"{path}[{i++}]", problems);
        }
        else if (value.ValueKind == JsonValueKind.Object)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in value.EnumerateObject())
            {
                if (problems.Count > MaxProblems) return;
                // A name that is no text is told as Validate tells it; one that reads (a control character, say) is the layout's to refuse.
                var unreadable = TextProblem(JsonMarshal.GetRawUtf8PropertyName(property), default, property, name: true, out var name);
                if (name is null) problems.Add($"{path}: {unreadable}");
                else if (!names.Add(name)) problems.Add($"{Member(path, name)}: {Twice}");
                else ReaderRefusal(property.Value, Member(path, name), problems);
            }
        }
    }

    private const string Twice = "項目が重複しています / is given more than once";

    /// <summary>The most problems of one copy told; the checks stop soon after.</summary>
    private const int MaxProblems = 20;

    private static readonly string MoreProblems = $"ほかにも問題があります（最初の{MaxProblems}件のみ表示）/ more problems not shown (the first {MaxProblems} are)";

    /// <summary>The path of a member: the name as a problem shows a client's value (a name may be any length).</summary>
    private static string Member(string path, string name) => $"{path}.{Problems.Shown(name)}";

    /// <summary>
    /// What no layout can take, anywhere in the content: text that is not UTF-8 or holds an unpaired surrogate (the
    /// reader cannot turn it into a string), a control character or an invisible format character, a number beyond a decimal (about ±7.9e28) and a
    /// property given twice (a reader would take one or the other). Found before the layout is checked, which reads
    /// strings and numbers; <paramref name="schema"/> is the layout's word on the value, if any (only a number's precision is read here).
    /// </summary>
    private static void Readable(JsonElement value, JsonElement schema, string path, List<string> problems)
    {
        // The node never keeps an Individual Number, wherever in a copy it stands: no text of a layout holds 11 or 12 digits
        // in a row, no whole number of 11 or 12 digits (ten billion yen and more) is an amount a person has, and no measured
        // value is kept to 11 digits. Eleven: a spreadsheet reading the column as numbers drops the leading 0 of one number
        // in ten (012345678903 → 12345678903).
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                if (TextProblem(JsonMarshal.GetRawUtf8Value(value), value, default, name: false, out var text) is { } problem) problems.Add($"{path}: {problem}");
                else if (NumberShape.ContainsIndividualNumberInFreeText(text)) problems.Add($"{path}: {NumberShaped}");
                break;
            case JsonValueKind.Number:
                if (!value.TryGetDecimal(out var number)) problems.Add($"{path}: 数値が大きすぎます（±7.9×10²⁸まで）/ the number is out of range (at most ±7.9e28)");
                // Eleven or twelve whole digits are an Individual Number's shape; more are past any amount, and said to be.
                else if (decimal.Abs(number) >= 1_000_000_000_000m) problems.Add($"{path}: {TooLarge}");
                else if (decimal.Abs(number) >= 10_000_000_000m) problems.Add($"{path}: {NumberShaped}");
                // A measurement off its layout's precision (an unrounded BMI, 22.49134948096886) is told to round, as Check tells
                // a shorter one: it is refused all the same, and not as a number it is not.
                else if (SignificantDigits(number) >= 11)
                    problems.Add($"{path}: {(Keyword(schema, "multipleOf") is { } step && number % step.GetDecimal() != 0 ? OffPrecision(step) : TooManyDigits)}");
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var element in value.EnumerateArray())
                {
                    if (problems.Count > MaxProblems) break;
                    Readable(element, Keyword(schema, "items") ?? default, $"{path}[{i++}]", problems);
                }
                break;
            case JsonValueKind.Object:
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in value.EnumerateObject())
                {
                    if (problems.Count > MaxProblems) break;
                    // A name that cannot be read, or holds a control character, cannot be shown either: the object holding it is named instead.
                    if (TextProblem(JsonMarshal.GetRawUtf8PropertyName(property), default, property, name: true, out var name) is { } unreadable)
                    {
                        problems.Add($"{path}: {unreadable}");
                        continue;
                    }
                    if (!names.Add(name!)) problems.Add($"{Member(path, name!)}: {Twice}");
                    else Readable(property.Value, Keyword(schema, "properties") is { } properties && properties.ValueKind == JsonValueKind.Object
                        && properties.TryGetProperty(name!, out var sub) ? sub : default, Member(path, name!), problems);
                }
                break;
        }
    }

    /// <summary>
    /// The digits of a JSON number once its zeros at either end are left out, wherever the point stands, however written
    /// (read as a decimal, which keeps the value exactly). A number could carry an Individual Number with ten billion or
    /// more (<c>12345678903</c>, <c>1.2345678903e10</c>, a digit before a number as in <c>1868861113345</c>: no layout holds
    /// such an amount) or with 11 such digits or more (<c>1234567890.18</c>, <c>0.123456789018</c>): the layouts give their
    /// measured values a precision (<c>multipleOf</c>), so that only a fraction a layout does not bound is refused for its digits.
    /// </summary>
    private static int SignificantDigits(decimal number) =>
        decimal.Abs(number).ToString(CultureInfo.InvariantCulture).Replace(".", "").Trim('0').Length;

    /// <summary>A keyword of a layout's schema node, when the node is a schema and has it.</summary>
    private static JsonElement? Keyword(JsonElement schema, string name) =>
        schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty(name, out var value) ? value : null;

    /// <summary>What to do with a measurement off its precision: round to so many decimal places (0.1, 0.01), or a multiple of another step.</summary>
    private static string OffPrecision(JsonElement step)
    {
        var (scaled, places) = (step.GetDecimal(), 0);
        for (; scaled > 0 && scaled < 1 && places < 28; places++) scaled *= 10;
        return places > 0 && scaled == 1
            ? $"小数点以下{places}桁に丸めてください / round to {places} decimal place{(places == 1 ? "" : "s")}"
            : $"{step} の倍数にしてください / must be a multiple of {step}";
    }

    /// <summary>
    /// Why a string value of the content, or a property name (<paramref name="name"/>), cannot be kept as text; null when
    /// it can, with the <paramref name="text"/> read.
    /// </summary>
    private static string? TextProblem(ReadOnlySpan<byte> raw, JsonElement value, JsonProperty property, bool name, out string? text)
    {
        text = null;
        var (ja, en) = name ? ("項目名", "a property name") : ("文字列", "the text");
        if (!Utf8.IsValid(raw))
            return $"{ja}の文字コードがUTF-8ではありません（Shift_JISなど）。UTF-8で送ってください / {en} is not UTF-8 (Shift_JIS, say): send it as UTF-8";
        // Valid UTF-8 can still escape half a surrogate pair (\ud800), which is no character; the reader says so only by throwing.
        try { text = name ? property.Name : value.GetString()!; }
        catch (InvalidOperationException)
        {
            return $"{ja}に対になっていないサロゲート（\\uD800〜\\uDFFF）があります / {en} holds an unpaired surrogate escape (\\uD800-\\uDFFF), which is no character";
        }
        // No layout holds a control character: a NUL cuts the text short or fails in the systems that read a copy into a
        // string, and the screen or terminal showing one acts on an escape (ESC, C1's CSI) rather than show it.
        var at = text.AsSpan().IndexOfAny(ControlCharacters);
        if (at >= 0)
            return $"{ja}に制御文字（U+{(int)text[at]:X4}）があります / {en} holds a control character (U+{(int)text[at]:X4})";
        // Nor an invisible one, as the registers refuse them: a zero-width space or a direction override shows as nothing,
        // so a copy would read as what it is not (「MR」 with a zero-width space is not 「MR」 to the systems that compare it).
        foreach (var rune in text.EnumerateRunes())
            if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format || rune.Value is 0x2028 or 0x2029)
                return $"{ja}に見えない書式文字（U+{rune.Value:X4}）があります / {en} holds an invisible format character (U+{rune.Value:X4})";
        return null;
    }

    /// <summary>C0 (U+0000–U+001F, tab and line ends too: no layout has free text), DEL and C1 (U+007F–U+009F).</summary>
    private static readonly SearchValues<char> ControlCharacters =
        SearchValues.Create([.. Enumerable.Range(0, 0x20).Select(c => (char)c), .. Enumerable.Range(0x7F, 0x21).Select(c => (char)c)]);

    private static void Check(JsonElement schema, JsonElement value, string path, List<string> problems, DateOnly? today)
    {
        if (schema.TryGetProperty("type", out var type) && !HasType(value, type.GetString()!))
        {
            problems.Add($"{path}: {type.GetString()} が必要です / must be {type.GetString()}");
            return;
        }
        if (schema.TryGetProperty("enum", out var allowed) && !allowed.EnumerateArray().Any(a => JsonElement.DeepEquals(a, value)))
            problems.Add($"{path}: 値が許可されていません / must be one of {allowed.GetRawText()}");
        if (value.ValueKind == JsonValueKind.Number)
        {
            if (schema.TryGetProperty("minimum", out var min) && value.GetDecimal() < min.GetDecimal()) problems.Add($"{path}: {min} 以上 / must be at least {min}");
            if (schema.TryGetProperty("maximum", out var max) && value.GetDecimal() > max.GetDecimal()) problems.Add($"{path}: {max} 以下 / must be at most {max}");
            if (schema.TryGetProperty("multipleOf", out var step) && value.GetDecimal() % step.GetDecimal() != 0) problems.Add($"{path}: {OffPrecision(step)}");
        }
        if (value.ValueKind == JsonValueKind.String)
        {
            var s = value.GetString()!;
            if (schema.TryGetProperty("maxLength", out var maxLength) && s.Length > maxLength.GetInt32()) problems.Add($"{path}: {maxLength}文字以内 / at most {maxLength} characters");
            if (schema.TryGetProperty("pattern", out var pattern) && !Regex.IsMatch(s, pattern.GetString()!)) problems.Add($"{path}: 形式が違います / must match {pattern}");
            if (schema.TryGetProperty("format", out var format) && format.GetString() == "date")
            {
                if (AsDate(value) is not { } date) problems.Add($"{path}: 日付はYYYY-MM-DD / must be a date yyyy-MM-dd");
                else if (today is { } day) CheckRange(schema, date, day, path, problems);
            }
        }
        if (value.ValueKind == JsonValueKind.Array)
        {
            if (schema.TryGetProperty("maxItems", out var maxItems) && value.GetArrayLength() > maxItems.GetInt32()) problems.Add($"{path}: {maxItems}件以内 / at most {maxItems} items");
            if (schema.TryGetProperty("items", out var items))
            {
                var i = 0;
                foreach (var element in value.EnumerateArray())
                {
                    if (problems.Count > MaxProblems) break;
                    Check(items, element, $"{path}[{i++}]", problems, today);
                }
            }
        }
        if (value.ValueKind == JsonValueKind.Object)
        {
            var properties = schema.TryGetProperty("properties", out var p) ? p : default;
            if (schema.TryGetProperty("required", out var required))
                foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
                    if (!value.TryGetProperty(name, out _)) problems.Add($"{path}.{name}: 必須です / is required");
            foreach (var property in value.EnumerateObject())
            {
                if (problems.Count > MaxProblems) break;
                if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var sub)) Check(sub, property.Value, Member(path, property.Name), problems, today);
                else if (schema.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind == JsonValueKind.False)
                    problems.Add($"{Member(path, property.Name)}: 定義されていない項目です / is not in the layout");
            }
            // A period's end against its start, both given as dates: x-notBefore on the end names the start beside it.
            if (today is not null && properties.ValueKind == JsonValueKind.Object)
                foreach (var property in properties.EnumerateObject())
                    if (Keyword(property.Value, "x-notBefore") is { ValueKind: JsonValueKind.String } start
                        && value.TryGetProperty(property.Name, out var endValue) && AsDate(endValue) is { } end
                        && value.TryGetProperty(start.GetString()!, out var startValue) && AsDate(startValue) is { } begun && end < begun)
                        problems.Add($"{Member(path, property.Name)}: {start.GetString()}（{Day(begun)}）より前の日付です / is before {start.GetString()} ({Day(begun)})");
        }
    }

    /// <summary>A date of the layouts' one form, yyyy-MM-dd; null for anything else.</summary>
    private static DateOnly? AsDate(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && DateOnly.TryParseExact(value.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date : null;

    private static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// A date's range by its layout: formatMinimum and formatMaximum (dates, as ajv-formats reads them), and x-notAfterToday for a
    /// day something happened (a dose given, a checkup made), which cannot be after today in Japan by the node's clock.
    /// </summary>
    private static void CheckRange(JsonElement schema, DateOnly date, DateOnly today, string path, List<string> problems)
    {
        if (Keyword(schema, "formatMinimum") is { } min && AsDate(min) is { } earliest && date < earliest)
            problems.Add($"{path}: {Day(earliest)} 以降の日付です / must be {Day(earliest)} or later");
        if (Keyword(schema, "formatMaximum") is { } max && AsDate(max) is { } latest && date > latest)
            problems.Add($"{path}: {Day(latest)} 以前の日付です / must be {Day(latest)} or earlier");
        if (Keyword(schema, "x-notAfterToday") is { ValueKind: JsonValueKind.True } && date > today)
            problems.Add($"{path}: 未来の日付です（今日は日本時間で {Day(today)}）/ is in the future (today is {Day(today)} in Japan)");
    }

    private static bool HasType(JsonElement value, string type) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "number" => value.ValueKind == JsonValueKind.Number,
        _ => true,
    };

    [GeneratedRegex(@"Copies\.Schemas\.(?<item>[a-z-]+)\.v(?<version>\d+)\.json$")]
    private static partial Regex SchemaName();
}
