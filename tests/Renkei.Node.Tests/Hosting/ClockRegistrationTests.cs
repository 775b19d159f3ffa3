using Microsoft.Extensions.DependencyInjection;
using Renkei.Testing;

namespace Renkei.Node.Tests.Hosting;

/// <summary>
/// The node reads its clock before services are built, so one registered otherwise than as an instance is refused: a clock given
/// by a factory was used by the services but not by the tenants' records, which went by the system's.
/// </summary>
public class ClockRegistrationTests
{
    [Fact]
    public void A_clock_registered_by_a_factory_or_a_type_stops_the_start_saying_why_in_japanese_first()
    {
        using var folder = new TempFolder();
        var clock = new ManualTime(DateTimeOffset.Parse("2031-07-14T16:00:00Z"));
        foreach (var register in new Action<IServiceCollection>[] { s => s.AddSingleton<TimeProvider>(_ => clock), s => s.AddSingleton<TimeProvider, ManualTime>() })
        {
            var refused = Assert.Throws<InvalidOperationException>(() => NodeSettings.Create(folder.Path, register));
            Assert.StartsWith("ノードはサービスを組み立てる前にTimeProviderを読みます", refused.Message);
            Assert.Contains(" / the node reads its TimeProvider before services are built", refused.Message);
        }
    }
}
