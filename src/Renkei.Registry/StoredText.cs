using System.Buffers;
using System.Globalization;
using System.Text;

namespace Renkei.Registry;

/// <summary>
/// What text the registers (residents and corporations alike) store and publish: no control characters
/// other than white space, which would reach whoever prints the register as terminal escapes; no format characters
/// (category Cf): a zero-width space, a bidi override or a byte order mark prints as nothing, so that 山田 with a
/// zero-width space inside reads as 山田 and is not found as 山田; and no half of a surrogate pair on its own, which no
/// encoding can write. Variation selectors (category Mn) stay: they choose the glyph a name is written with.
/// </summary>
public static class StoredText
{
    public const string Refusal =
        "使用できない文字（制御文字、ゼロ幅スペースや書字方向の制御などの見えない書式文字）が含まれています / " +
        "contains characters that cannot be stored (control characters, invisible format characters such as a zero-width space or a direction override, broken surrogates)";

    /// <summary>True when <paramref name="text"/> can be stored and published (null can: it is not given).</summary>
    public static bool IsWellFormed(string? text)
    {
        if (text is null) return true;
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var used) != OperationStatus.Done || IsRefused(rune)) return false;
            rest = rest[used..];
        }
        return true;
    }

    /// <summary>The text without what <see cref="IsWellFormed"/> refuses (so that normalization never throws).</summary>
    public static string Sanitize(string text)
    {
        if (IsWellFormed(text)) return text;
        var sb = new StringBuilder(text.Length);
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            var status = Rune.DecodeFromUtf16(rest, out var rune, out var used);
            if (status == OperationStatus.Done && !IsRefused(rune)) sb.Append(rest[..used]);
            rest = rest[used..];
        }
        return sb.ToString();
    }

    /// <summary>Names each field whose value cannot be stored, with <see cref="Refusal"/>, in the validation errors.</summary>
    public static void Check(Dictionary<string, string[]> errors, string prefix, params (string Field, string? Value)[] fields)
    {
        foreach (var (field, value) in fields)
            if (!IsWellFormed(value))
                errors[prefix + field] = [Refusal];
    }

    /// <summary>A character refused in a well-formed text.</summary>
    private static bool IsRefused(Rune rune) =>
        Rune.IsControl(rune) && !Rune.IsWhiteSpace(rune) || Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format;
}
