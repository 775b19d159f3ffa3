using Microsoft.Extensions.Configuration;
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
        WebApplication Create(string? seconds) => NodeApp.Create([], b => b.Configuration.AddInMemoryCollection(
        [
            new("Storage:Provider", "Sqlite"), new("Node:DataFolder", folder.Path), new("Node:CoreAddress", "http://127.0.0.1:9/"),
            new("Node:Tenants:0:AgencyId", LinkageNetwork.Bunkyo), new("Node:Tenants:0:Name", "文京区"),
            .. seconds is null ? Array.Empty<KeyValuePair<string, string?>>() : [new("Node:CoreWaitSeconds", seconds)],
        ]));
        foreach (var seconds in new[] { "0", "7201" })
        {
            var refused = Assert.Throws<InvalidOperationException>(() => Create(seconds));
            Assert.Contains("Node:CoreWaitSeconds は 1 から 7200 まで", refused.Message);
            Assert.Contains("Node:CoreWaitSeconds must be 1 to 7200", refused.Message);
        }
        await using (var app = Create("7200"))
            Assert.Equal(TimeSpan.FromSeconds(7200), app.Services.GetRequiredService<CoreLink>().Client().Timeout);
        await using (var app = Create(null))
            Assert.Equal(TimeSpan.FromSeconds(45), app.Services.GetRequiredService<CoreLink>().Client().Timeout);
    }
}
