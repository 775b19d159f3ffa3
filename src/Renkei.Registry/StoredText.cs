using System.Text;

namespace Renkei.Registry;

/// <summary>
/// What text the registers (residents and corporations alike) store and publish: no control characters
/// other than white space, which would reach whoever prints the register as terminal escapes, and no half
/// of a surrogate pair on its own, which no encoding can write.
/// </summary>
public static class StoredText
{
    public const string Refusal =
        "使用できない文字（制御文字など）が含まれています / contains characters that cannot be stored (control characters, broken surrogates)";

    /// <summary>True when <paramref name="text"/> can be stored and published (null can: it is not given).</summary>
    public static bool IsWellFormed(string? text)
    {
        if (text is null) return true;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (IsRefused(c)) return false;
        }
        return true;
    }

    /// <summary>The text without what <see cref="IsWellFormed"/> refuses (so that normalization never throws).</summary>
    public static string Sanitize(string text)
    {
        if (IsWellFormed(text)) return text;
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { sb.Append(c).Append(text[++i]); continue; }
            if (!IsRefused(c)) sb.Append(c);
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

    /// <summary>A character refused outside a well-formed surrogate pair.</summary>
    private static bool IsRefused(char c) => char.IsSurrogate(c) || char.IsControl(c) && !char.IsWhiteSpace(c);
}
