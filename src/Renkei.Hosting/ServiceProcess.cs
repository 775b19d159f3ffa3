using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Renkei.Hosting;

/// <summary>A service run as its own process (<c>dotnet run --project src/Renkei.X</c>, or its published binary).</summary>
public static partial class ServiceProcess
{
    /// <summary>
    /// True while a service process starts: a start that fails is then said once, as one line, by <see cref="RunAsync"/>,
    /// and the host's and Kestrel's own reports of it (with their stack traces) are left off the console.
    /// </summary>
    internal static volatile bool Starting;

    /// <summary>
    /// Builds and runs the service. What its operator got wrong (a missing certificate file, a malformed key, a port in use,
    /// a database it may not open) is one line and exit code 1, not a stack trace; the services' own checks name the setting.
    /// <c>--help</c> prints what the service is and its settings, and starts and makes nothing.
    /// </summary>
    public static async Task<int> RunAsync(Func<WebApplication> create)
    {
        if (ServiceHelp.Asked(Environment.GetCommandLineArgs().Skip(1)))
        {
            Console.Out.Write(ServiceHelp.For(System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "Renkei"));
            Console.Out.WriteLine();
            return 0;
        }
        Starting = true;
        try
        {
            await using var app = create();
            app.Lifetime.ApplicationStarted.Register(() => Starting = false);
            await app.RunAsync();
            return 0;
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            // Found only at bind, once the database and key files are there (a next start uses them as they are).
            var address = BindAddress().Match(e.Message) is { Success: true } m ? m.Groups[1].Value : "--urls";
            Console.Error.WriteLine($"起動できません / cannot start: {LogText.Escape(address)} は使用中です。使っているものを止めるか、--urls で別のポートを指定してください / "
                + $"{LogText.Escape(address)} is already in use: stop what uses it, or choose another port with --urls");
            return 1;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or IOException or UnauthorizedAccessException
            or System.Data.Common.DbException or ArgumentException or System.Security.Cryptography.CryptographicException)
        {
            Console.Error.WriteLine($"起動できません / cannot start: {LogText.Escape(e.Message)}");
            return 1;
        }
        finally { Starting = false; }
    }

    /// <summary>Whether a log entry is the host's or Kestrel's own report of a failed start, which <see cref="RunAsync"/> says instead.</summary>
    internal static bool IsStartFailureReport(string category, bool hasException) =>
        Starting && hasException && (category.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal)
            || category == "Microsoft.Extensions.Hosting.Internal.Host");

    [System.Text.RegularExpressions.GeneratedRegex(@"bind to address (\S+?):? address already in use")]
    private static partial System.Text.RegularExpressions.Regex BindAddress();
}
