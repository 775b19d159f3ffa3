using System.Net.Http.Json;
using Microsoft.Extensions.Configuration;
using Renkei.Core;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit X, finding 4: the core's wait for a provider's node was a fixed 15 s, so a test that must finish while a provider
/// stalls could not give itself more. It is <c>Core:ProviderWaitSeconds</c> (default 15).
/// </summary>
public class ProviderWaitTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    [Fact]
    public async Task The_core_waits_for_a_stalled_provider_as_long_as_its_setting_says_then_answers_provider_unreachable()
    {
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite, coreSettings: [new("Core:ProviderWaitSeconds", "1")]);
        await BatchPeople.ArrangeAsync(network, count: 1, atKashiwa: 1, withCopy: 0);
        var stalled = network.ProviderGate(B);
        stalled.Close();
        try
        {
            var answer = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-child-clerk").PostAsJsonAsync($"api/tenants/{K}/inquiries",
                new { addresseeNumber = "K-1", affair = "child-allowance", provider = B, item = "local-tax" }, ServiceDefaults.Json));
            Assert.Equal(("error", "provider-unreachable"), (answer.GetProperty("outcome").GetString(), answer.GetProperty("reason").GetString()));
            // Timed at the gate, not over the whole round trip (a cold first mutual-TLS path can take seconds on a loaded machine):
            // the default 15 s would hold the request close to 15 s; 1 s leaves a wide margin below it.
            var held = stalled.LongestHeld;
            Assert.True(held > TimeSpan.Zero && held < TimeSpan.FromSeconds(12), $"held at the gate for {held}");
            // The core gave up on the held request, not on a failure of the provider's node.
            Assert.Contains(network.Logs.Lines, l => l.Contains($"Provider node of {B} failed", StringComparison.Ordinal) && l.Contains("TaskCanceledException", StringComparison.Ordinal));
        }
        finally { stalled.Open(); }
    }

    [Fact]
    public void A_provider_wait_under_a_second_or_over_an_hour_stops_the_core_naming_the_setting()
    {
        using var folder = new TempFolder();
        SettingAssert.RefusesOutsideRange("Core:ProviderWaitSeconds", 1, 3600, seconds => CoreApp.Create([], b => b.Configuration.AddInMemoryCollection(
            [new("Storage:Provider", "Sqlite"), new("Core:DataFolder", folder.Path), new("Core:ProviderWaitSeconds", seconds)])));
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }
}
