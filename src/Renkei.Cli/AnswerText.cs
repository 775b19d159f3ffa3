using System.Text;

namespace Renkei.Cli;

/// <summary>
/// The body of a service's answer as text, whatever charset its Content-Type names. What answers may be a gateway in front of
/// the service, whose error page is often Shift_JIS or EUC-JP, which .NET knows only through the code pages provider, or a
/// charset nobody knows: <c>ReadAsStringAsync</c> and <c>ReadFromJsonAsync</c> throw for those, and the command ended in a stack
/// trace instead of saying what answered.
/// </summary>
public static class AnswerText
{
    public static async Task<string> ReadAsync(HttpContent content, CancellationToken ct = default)
    {
        var bytes = await content.ReadAsByteArrayAsync(ct);
        // A byte order mark wins over the header, as ReadAsStringAsync does; what cannot be decoded becomes U+FFFD.
        using var reader = new StreamReader(new MemoryStream(bytes), EncodingOf(content.Headers.ContentType?.CharSet), detectEncodingFromByteOrderMarks: true);
        return await reader.ReadToEndAsync(ct);
    }

    /// <summary>The encoding a charset names, UTF-8 when none is named or the name is unknown.</summary>
    private static Encoding EncodingOf(string? charset)
    {
        var name = charset?.Trim().Trim('"');
        if (string.IsNullOrEmpty(name)) return Encoding.UTF8;
        // The provider is asked directly rather than registered for the process: Japanese legacy charsets are wanted here only.
        try { return CodePagesEncodingProvider.Instance.GetEncoding(name) ?? Encoding.GetEncoding(name); }
        catch (ArgumentException) { return Encoding.UTF8; }
    }
}
