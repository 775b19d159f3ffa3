using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Renkei.Hosting;

/// <summary>
/// What a log line may carry of a request: no Individual Number (masked as problem details are; ARCHITECTURE.md,
/// invariant 2) and no control or invisible formatting character. A node's certificate was enough to put a newline,
/// a fake "[ERR]" line and a terminal escape into the core's log through an envelope's kind.
/// </summary>
public static class LogText
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

    /// <summary>A value repeated from a request, as a log line may hold it: escaped, then masked.</summary>
    public static string Safe(string text) => NumberShape.Mask(Escape(text))!;

    /// <summary>Whether text holds what <see cref="Escape"/> escapes: a name that does may not be kept (a record would keep it as given).</summary>
    public static bool HasUnsafe(string text) => text.Any(Unsafe);

    /// <summary>
    /// Whether a name a client gives (an agency's, a verifier's) can be kept and shown to others: no control or invisible
    /// character, and nothing of an Individual Number's shape, which the name would then publish.
    /// </summary>
    public static bool IsPlainName(string name) => !HasUnsafe(name) && !NumberShape.ContainsIndividualNumber(name);

    public const string NotPlainName =
        "名称に個人番号の形をした数字（11桁・12桁）、制御文字、見えない書式文字は使えません / " +
        "a name must not hold 11 or 12 digits (an Individual Number's shape), control characters or invisible format characters";

    private static bool Unsafe(char ch) =>
        char.IsControl(ch) || ch is '\u2028' or '\u2029' || char.GetUnicodeCategory(ch) == System.Globalization.UnicodeCategory.Format;

    /// <summary>
    /// A request the database could not take just now (503 service-busy): retryable, so one warning line with the reason and
    /// no stack trace, rather than the error the exception handler would log for a fault. The path is masked.
    /// </summary>
    public static void LogBusy(Microsoft.AspNetCore.Http.HttpContext context, Exception? exception)
    {
        var reason = exception?.GetBaseException() is { } e ? $"{e.GetType().Name}: {e.Message}" : "";
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<ILoggerFactory>(context.RequestServices)
            .CreateLogger("Renkei.Hosting.ServiceBusy")
            .LogWarning("データベースが混み合っているため 503 service-busy を返しました / answered 503 service-busy, the database could not take it now: {Method} {Path}: {Reason}",
                context.Request.Method, Safe(context.Request.Path.Value ?? ""), Safe(reason));
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
            if (entry.Exception is not null) writer.Write(Environment.NewLine + NumberShape.Mask(entry.Exception.ToString()));
            writer.WriteLine();
        }
    }
}
