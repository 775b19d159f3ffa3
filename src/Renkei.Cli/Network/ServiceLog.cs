using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Renkei.Hosting;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace Renkei.Cli.Network;

/// <summary>
/// A sandbox service's log file, <c>DIR/logs/SERVICE.log</c>, besides the console: the console of <c>renkei up</c> shows
/// warnings only and is gone when it stops, while a 500's <c>traceId</c> has to be found afterwards. The file also keeps
/// Renkei's own information lines (refused inquiries, erased records, applied events). Files roll at 10 MB, five kept.
/// </summary>
internal static class ServiceLog
{
    public static void WriteToFile(WebApplicationBuilder builder, string dataFolder, string service)
    {
        var logger = new LoggerConfiguration()
            .MinimumLevel.Verbose() // the host's filter rules below decide
            .WriteTo.File(new Masked(), Path.Combine(dataFolder, "logs", service + ".log"),
                fileSizeLimitBytes: 10_000_000, rollOnFileSizeLimit: true, retainedFileCountLimit: 5)
            .CreateLogger();
        builder.Logging.AddSerilog(logger, dispose: true);
        // As rules of the host, after the one AddSerilog adds (everything): a level the file does not keep is then not even
        // formatted, where Serilog's own minimum level would see every request's lines first (a tenth of the PKI's CPU).
        builder.Logging.AddFilter<SerilogLoggerProvider>(null, LogLevel.Warning);
        builder.Logging.AddFilter<SerilogLoggerProvider>("Renkei", LogLevel.Information);
        builder.Logging.AddFilter<SerilogLoggerProvider>("Microsoft.Hosting.Lifetime", LogLevel.Information);
        // The framework's authentication handler, under our name, says "not authenticated" for every request without a
        // caller token (a verifier's, an anonymous OCSP request): a line per request.
        builder.Logging.AddFilter<SerilogLoggerProvider>("Renkei.Hosting.CallerAuthenticationHandler", LogLevel.Warning);
    }

    /// <summary>
    /// Each line with every run of 11 or 12 digits masked, as problem details are (but a certificate's OID, LogText.Masked): no log may hold an Individual Number
    /// (ARCHITECTURE.md, invariant 2), even one that reached a message or an exception by mistake.
    /// </summary>
    private sealed class Masked : ITextFormatter
    {
        private readonly MessageTemplateTextFormatter line =
            new("{Timestamp:yyyy-MM-ddTHH:mm:ss.fffzzz} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}");

        public void Format(LogEvent logEvent, TextWriter output)
        {
            // The values a message repeats (an envelope's kind, say) are escaped: a newline in one would forge a line.
            var safe = new LogEvent(logEvent.Timestamp, logEvent.Level, logEvent.Exception, logEvent.MessageTemplate,
                logEvent.Properties.Select(p => new LogEventProperty(p.Key, p.Value is ScalarValue { Value: string s } ? new ScalarValue(LogText.Escape(s)) : p.Value)));
            using var text = new StringWriter();
            line.Format(safe, text);
            output.Write(LogText.Masked(text.ToString()));
        }
    }
}
