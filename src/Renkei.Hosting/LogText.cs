using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Renkei.Hosting;

/// <summary>
/// What a log line may carry of a request: no Individual Number (masked as problem details are; ARCHITECTURE.md,
/// invariant 2) and no control or invisible formatting character. A node's certificate was enough to put a newline,
/// a fake "[ERR]" line and a terminal escape into the core's log through an envelope's kind.
/// </summary>
public static partial class LogText
{
    /// <summary>The text with control characters, line and paragraph separators and invisible format characters as \uXXXX.</summary>
    public static string Escape(string text)
    {
        if (!HasUnsafe(text)) return text;
        var escaped = new System.Text.StringBuilder(text.Length + 16);
        foreach (var ch in text)
            if (Unsafe(ch)) escaped.Append("\\u").Append(((int)ch).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            else escaped.Append(ch);
        return escaped.ToString();
    }

    /// <summary>
    /// A value repeated from a request, as a log line may hold it: masked, escaped, and masked again. Escaped first, a number
    /// written with a zero-width space between its groups would read <c>1234\u200B5678…</c> and no longer be one; the escape's
    /// own hex digits next to digits can make one too.
    /// </summary>
    public static string Safe(string text) => Masked(Escape(Masked(text)));

    /// <summary>
    /// The text masked as <see cref="NumberShape.Mask"/> masks it, but for the dotted object identifiers under the arcs
    /// certificates and their algorithms are named by: <c>1.2.840.113549.1.1.4</c> (md5WithRSAEncryption) is 12 digits in
    /// groups, and an operator diagnosing a certificate fault needs to read it. No one types an Individual Number after such
    /// a prefix by mistake; the text on either side of one is masked as ever.
    /// </summary>
    public static string Masked(string text)
    {
        if (!text.Contains('.')) return NumberShape.Mask(text)!; // most lines: no OID to look for
        List<System.Text.RegularExpressions.Match>? kept = null;
        foreach (System.Text.RegularExpressions.Match oid in Oid().Matches(text))
            // Its arcs after the known prefix must not hold a number themselves: 1.3.6.1.1234.5678.9018 is an Individual Number in dotted groups.
            if (KnownArcs.FirstOrDefault(arc => oid.Value.StartsWith(arc, StringComparison.Ordinal)) is { } prefix
                && !NumberShape.ContainsIndividualNumber(oid.Value[prefix.Length..]))
                (kept ??= []).Add(oid);
        // Nor may a number run across an OID's edge: cut out, "1234 5678 2.5.4.3" left 8 digits on one side and a kept OID on the other.
        if (kept is not null)
        {
            var spans = NumberShape.Spans(text).ToList();
            kept.RemoveAll(o => spans.Any(s => s.First < o.Index && s.Last >= o.Index || s.First < o.Index + o.Length && s.Last >= o.Index + o.Length));
        }
        if (kept is not { Count: > 0 }) return NumberShape.Mask(text)!;
        var masked = new System.Text.StringBuilder(text.Length);
        var from = 0;
        foreach (var oid in kept)
        {
            masked.Append(NumberShape.Mask(text[from..oid.Index])).Append(oid.Value);
            from = oid.Index + oid.Length;
        }
        return masked.Append(NumberShape.Mask(text[from..])).ToString();
    }

    /// <summary>
    /// The arcs the OIDs of certificates sit under: PKCS (RSA), ANSI X9.62 (ECDSA) and X9.57 (DSA), JPKI, the internet's
    /// (PKIX, private enterprises), OIW (SHA-1), EdDSA, SEC curves, X.500 (attributes, extensions), the US government's
    /// (NIST's algorithms) and the CA/Browser Forum's.
    /// </summary>
    private static readonly string[] KnownArcs =
        ["1.2.840.113549.", "1.2.840.10045.", "1.2.840.10040.", "1.2.392.200149.", "1.3.6.1.", "1.3.14.", "1.3.101.", "1.3.132.", "2.5.",
            "2.16.840.1.", "2.23."];

    /// <summary>A dotted OID standing alone: four arcs or more, none over 10 digits nor with a leading zero, no digit or dot joined to it.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![\d.])[0-2](?:\.(?:0|[1-9]\d{0,9})){3,}(?!\.?\d)")]
    private static partial System.Text.RegularExpressions.Regex Oid();

    /// <summary>Whether text holds what <see cref="Escape"/> escapes: a name that does may not be kept (a record would keep it as given).</summary>
    public static bool HasUnsafe(string text) => text.Any(Unsafe);

    /// <summary>
    /// Whether a name a client gives (an agency's, a verifier's) can be kept and shown to others: no control or invisible
    /// character, and no more than <see cref="MostNameDigits"/> digits in all, wherever they stand, since the name would publish
    /// an Individual Number written in it. Digits are counted as a reader sees them: those of any script, those NFKC makes
    /// digits of (circled, superscript, full-width), other number characters worth 0 to 9, the kanji numerals 〇 to 九, the
    /// formal ones (大字: 零 壱 弐 参 肆 伍 陸 漆 捌 玖, as in legal and financial papers) and the circles written for zero (○ ◯);
    /// marks on them count for nothing. A name needs no long chain of digits, so unlike <see cref="NumberShape"/> (which must
    /// let dates and times through in copies) nothing between them is asked about: <c>1234：5678：9018</c>, <c>一二三四…</c>.
    /// </summary>
    public static bool IsPlainName(string name) => !HasUnsafe(name) && DigitsIn(name) <= MostNameDigits;

    /// <summary>The most digits a name may hold: one fewer than an Individual Number without its check digit.</summary>
    public const int MostNameDigits = 10;

    private static int DigitsIn(string name)
    {
        string normal;
        try { normal = name.Normalize(System.Text.NormalizationForm.FormKC); }
        catch (ArgumentException) { return int.MaxValue; } // half a surrogate pair: no name
        var digits = 0;
        foreach (var rune in normal.EnumerateRunes())
            if (NumberShape.IsDigit(rune) || rune.IsBmp && NumberShape.KanjiDigits.Contains((char)rune.Value)) digits++;
        return digits;
    }


    public const string NotPlainName =
        "名称には数字を合わせて11個以上（全角・丸数字・上付き・漢数字の〇〜九、大字の零・壱〜玖、ゼロと書く○も数えます）、制御文字、見えない書式文字は使えません / " +
        "a name must not hold 11 or more digits in all (full-width, circled, superscript, the kanji numerals 〇 to 九, the formal " +
        "零 and 壱 to 玖, and ○ for zero count too: an Individual Number could be written so), control characters or invisible format characters";

    private static bool Unsafe(char ch) =>
        char.IsControl(ch) || ch is '\u2028' or '\u2029' || char.GetUnicodeCategory(ch) == System.Globalization.UnicodeCategory.Format;

    /// <summary>
    /// A request the database could not take just now (503 service-busy): retryable, so one warning line with the reason and
    /// no stack trace, rather than the error the exception handler would log for a fault. The path is masked.
    /// </summary>
    public static void LogBusy(Microsoft.AspNetCore.Http.HttpContext context, Exception? exception) =>
        LogStorage(context, exception, "Renkei.Hosting.ServiceBusy", LogLevel.Warning,
            "データベースが混み合っているため 503 service-busy を返しました / answered 503 service-busy, the database could not take it now");

    /// <summary>
    /// A write refused because the database's disk is full (503 storage-full): one error line for the operator, who must free
    /// space, without the stack trace of a fault. The path is masked.
    /// </summary>
    public static void LogFull(Microsoft.AspNetCore.Http.HttpContext context, Exception? exception) =>
        LogStorage(context, exception, "Renkei.Hosting.StorageFull", LogLevel.Error,
            "データベースのディスクに空きがないため 503 storage-full を返しました。空きを作ってください / answered 503 storage-full, the disk of the database is full: free space");

    /// <summary>One line for a request the database refused for a reason of its own: the path masked, the reason named.</summary>
    private static void LogStorage(Microsoft.AspNetCore.Http.HttpContext context, Exception? exception, string category, LogLevel level, string what)
    {
        var reason = exception?.GetBaseException() is { } e ? $"{e.GetType().Name}: {e.Message}" : "";
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<ILoggerFactory>(context.RequestServices)
            .CreateLogger(category)
            .Log(level, "{What}: {Method} {Path}: {Reason}", what, context.Request.Method, Safe(context.Request.Path.Value ?? ""), Safe(reason));
    }

    /// <summary>
    /// Every service's console: one line an entry, its message escaped and masked (a standalone service's console was
    /// neither), an exception after it masked.
    /// </summary>
    internal sealed class ConsoleLine() : ConsoleFormatter(FormatterName)
    {
        public const string FormatterName = "renkei";

        public override void Write<TState>(in LogEntry<TState> entry, IExternalScopeProvider? scopeProvider, TextWriter writer)
        {
            var message = entry.Formatter(entry.State, entry.Exception);
            if (string.IsNullOrEmpty(message) && entry.Exception is null) return;
            if (ServiceProcess.IsStartFailureReport(entry.Category, entry.Exception is not null)) return;
            var level = entry.LogLevel switch
            {
                LogLevel.Trace => "trce", LogLevel.Debug => "dbug", LogLevel.Information => "info", LogLevel.Warning => "warn",
                LogLevel.Error => "fail", _ => "crit",
            };
            writer.Write($"{level}: {entry.Category}: {Safe(message ?? "")}");
            if (entry.Exception is not null) writer.Write(Environment.NewLine + Masked(entry.Exception.ToString()));
            writer.WriteLine();
        }
    }
}
