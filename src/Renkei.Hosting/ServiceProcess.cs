using Microsoft.AspNetCore.Builder;

namespace Renkei.Hosting;

/// <summary>A service run as its own process (<c>dotnet run --project src/Renkei.X</c>, or its published binary).</summary>
public static class ServiceProcess
{
    /// <summary>
    /// Builds and runs the service. What its operator got wrong (a missing certificate file, a malformed key, a port in use,
    /// a database it may not open) is one line and exit code 1, not a stack trace; the services' own checks name the setting.
    /// </summary>
    public static async Task<int> RunAsync(Func<WebApplication> create)
    {
        try
        {
            await using var app = create();
            await app.RunAsync();
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or IOException or UnauthorizedAccessException
            or System.Data.Common.DbException or ArgumentException or System.Security.Cryptography.CryptographicException)
        {
            Console.Error.WriteLine($"起動できません / cannot start: {e.Message}");
            return 1;
        }
    }
}
