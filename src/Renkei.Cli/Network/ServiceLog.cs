using Microsoft.AspNetCore.Builder;
using Renkei.Hosting;
using Serilog;
using Serilog.Events;
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
            // Serilog's provider sets aside the host's filter rules, so the levels are Serilog's own.
            .MinimumLevel.Warning()
            .MinimumLevel.Override("Renkei", LogEventLevel.Information)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .WriteTo.File(new Masked(), Path.Combine(dataFolder, "logs", service + ".log"),
                fileSizeLimitBytes: 10_000_000, rollOnFileSizeLimit: true, retainedFileCountLimit: 5)
            .CreateLogger();
        builder.Logging.AddSerilog(logger, dispose: true);
    }

    /// <summary>
    /// Each line with every run of 11 or 12 digits masked, as problem details are: no log may hold an Individual Number
    /// (ARCHITECTURE.md, invariant 2), even one that reached a message or an exception by mistake.
    /// </summary>
    private sealed class Masked : ITextFormatter
    {
        private readonly MessageTemplateTextFormatter line =
            new("{Timestamp:yyyy-MM-ddTHH:mm:ss.fffzzz} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}");

        public void Format(LogEvent logEvent, TextWriter output)
        {
            using var text = new StringWriter();
            line.Format(logEvent, text);
            output.Write(NumberShape.Mask(text.ToString()));
        }
    }
}
