using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Renkei.Hosting;

namespace Renkei.Node.Tests.Hosting;

public sealed class LogProviderTests
{
    [Fact]
    public void A_service_logs_only_through_providers_that_mask_numbers()
    {
        // ASP.NET Core's request lines carry a URL as sent, an Individual Number typed into a path included; the framework's
        // default Debug and EventSource providers would pass them on unmasked (ARCHITECTURE.md, invariant 2).
        var builder = ServiceDefaults.CreateBuilder([]);
        builder.AddRenkeiDefaults("Renkei.Test");
        using var services = builder.Services.BuildServiceProvider();
        var providers = services.GetServices<ILoggerProvider>().Select(p => p.GetType().Name).ToList();
        Assert.Equal(["ConsoleLoggerProvider"], providers);
    }
}
