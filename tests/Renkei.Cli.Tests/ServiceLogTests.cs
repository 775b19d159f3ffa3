using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Renkei.Cli.Network;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

public class ServiceLogTests
{
    [Fact]
    public async Task A_service_log_file_keeps_warnings_and_renkei_information_and_masks_numbers()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(Path.Combine(folder.Path, "logs"));
        var builder = WebApplication.CreateSlimBuilder();
        ServiceLog.WriteToFile(builder, folder.Path, "registry");
        await using (var app = builder.Build())
        {
            var factory = app.Services.GetRequiredService<ILoggerFactory>();
            factory.CreateLogger("Renkei.Registry.Residents").LogInformation("applied event {Position}", 41);
            factory.CreateLogger("Renkei.Registry.Residents").LogDebug("debug detail");
            factory.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").LogInformation("Request starting GET /api/identity/{Number}", "123456789018");
            factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").LogWarning("connection reset");
            factory.CreateLogger("Renkei.Hosting.CallerAuthenticationHandler").LogInformation("RenkeiCaller was not authenticated");
            // A value from a request that would forge a line of its own, or colour the terminal, stays on its line.
            factory.CreateLogger("Renkei.Core.Agencies").LogWarning("Refused a {Kind} message", "k\n2026-01-01T00:00:00.000+00:00 [ERR] forged\u001b[31m\u202e");
            // A number that reached a message by mistake, spaced, hyphenated or full-width: masked in the file.
            factory.CreateLogger("Renkei.Registry.Identity").LogError(
                new InvalidOperationException("lookup of 1234-5678-9018 failed"), "query for {Number} failed", "１２３４ ５６７８ ９０１８");
        }

        var text = await File.ReadAllTextAsync(Path.Combine(folder.Path, "logs", "registry.log"));
        Assert.Contains("[INF] Renkei.Registry.Residents: applied event 41", text);
        Assert.DoesNotContain("debug detail", text);
        Assert.DoesNotContain("not authenticated", text); // a line per unauthenticated request would flood the file
        Assert.DoesNotContain("Request starting", text); // the web server's information lines stay out (request paths may hold numbers)
        Assert.Contains("[WRN] Microsoft.AspNetCore.Server.Kestrel: connection reset", text);
        Assert.Contains(@"Refused a k\u000A2026-01-01T00:00:00.000+00:00 [ERR] forged\u001B[31m\u202E message", text);
        Assert.False(text.Contains('\u001b'), "an escape character reached the file");
        Assert.Contains("[ERR] Renkei.Registry.Identity: query for", text);
        Assert.Contains("lookup of ****-****-**** failed", text);
        Assert.Empty(NumberLeaks.In(text, ["123456789018"])); // in none of its forms, found by the test's reckoning, not the masker's
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2} \[INF\]", text);
    }
}
