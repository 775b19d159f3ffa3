using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Builder;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>The node's wait for the core was a fixed 45 s; it is <c>Node:CoreWaitSeconds</c>, to be kept above the core's wait for a provider.</summary>
public class CoreWaitTests
{
    [Fact]
    public async Task The_wait_for_the_core_is_a_setting_of_one_to_7200_seconds()
    {
        using var folder = new TempFolder();
        WebApplication Create(string seconds) => NodeSettings.Create(folder.Path, ("Node:CoreWaitSeconds", seconds));
        SettingAssert.RefusesOutsideRange("Node:CoreWaitSeconds", 1, 7200, Create);
        await using (var app = Create("7200"))
            Assert.Equal(TimeSpan.FromSeconds(7200), app.Services.GetRequiredService<CoreLink>().Client().Timeout);
        await using (var app = NodeSettings.Create(folder.Path))
            Assert.Equal(TimeSpan.FromSeconds(45), app.Services.GetRequiredService<CoreLink>().Client().Timeout);
    }
}
