using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Protocol;
using Renkei.Testing;

namespace Renkei.Node.Tests;

/// <summary>
/// The node's numeric settings are each checked at start, and a refusal names the one setting that is wrong, in Japanese
/// first: they were checked in two groups, whose one English sentence listed every setting of the group.
/// </summary>
public class NodeSettingsTests
{
    [Fact]
    public void Each_batch_relay_and_witness_setting_is_refused_alone_below_its_least_value()
    {
        using var folder = new TempFolder();
        foreach (var (key, min) in new[]
        {
            ("Node:BatchConcurrency", 1), ("Node:BatchMaxItems", 1), ("Node:BatchIdleSeconds", 1), ("Node:BatchResultDays", 1),
            ("Node:WitnessSeconds", 0), ("Node:RelayInFlight", 1),
        })
        {
            WebApplication Create(string value) => NodeSettings.Create(folder.Path, (key, value));
            SettingAssert.RefusesBelow(key, min, Create);
        }
    }

    [Fact]
    public void The_relay_batch_size_and_the_erasure_interval_are_refused_outside_their_ranges()
    {
        using var folder = new TempFolder();
        SettingAssert.RefusesOutsideRange("Node:RelayMaxPerMessage", 1, RelayKinds.MaxPerMessage,
            value => NodeSettings.Create(folder.Path, ("Node:RelayMaxPerMessage", value)));
        SettingAssert.RefusesOutsideRange("Node:ErasureHours", 0, 720,
            value => NodeSettings.Create(folder.Path, ("Node:ErasureHours", value)));
    }

    [Fact]
    public async Task A_staleness_window_under_ten_seconds_or_over_ten_minutes_is_refused()
    {
        // 0 or less made every message stale, and the node started anyway.
        using var folder = new TempFolder();
        WebApplication Create(string seconds) => NodeSettings.Create(folder.Path, ("Node:StalenessSeconds", seconds));
        SettingAssert.RefusesOutsideRange("Node:StalenessSeconds", 10, 600, Create, "9", "601", "0", "-120");
        await using var node = Create("10");
        Assert.Equal(TimeSpan.FromSeconds(10), node.Services.GetRequiredService<EnvelopeVerifier>().Window);
    }
}
