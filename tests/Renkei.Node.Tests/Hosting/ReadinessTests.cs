using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Node.Tests.Hosting;

/// <summary>The readiness probes of the Registry, the Core and the Node follow their storage, each tenant's apart at the Node.</summary>
public class ReadinessTests
{
    [Theory, StorageData]
    public async Task A_node_with_one_broken_tenant_names_that_tenant_only_and_is_ready_again_once_it_is_back(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        using var registry = LinkageNetwork.Client(network.Registry);
        using var core = network.CoreClient();
        using var node = network.NodeClient();
        await ReadinessAssert.IsReadyAsync(registry);
        await ReadinessAssert.IsReadyAsync(core);
        await ReadinessAssert.IsReadyAsync(node);

        var broken = LinkageNetwork.Bunkyo;
        var (secrets, restore) = await StorageOutage.TakeAwayAsync(network.TenantDatabases[broken]);
        // Named alone: no other tenant's agency id is in the answer. The other services are not touched.
        string[] others = [.. network.TenantDatabases.Keys.Where(id => id != broken)];
        Assert.NotEmpty(others);
        await ReadinessAssert.IsNotReadyAsync(node, ["tenant " + broken], [.. secrets, .. others]);
        // Why is for the operator's log alone: one warning line naming the tenant.
        Assert.Contains(network.Logs.Lines, l => l.StartsWith("Warning Renkei.Hosting.Readiness:", StringComparison.Ordinal) && l.Contains("not ready: tenant " + broken));
        await ReadinessAssert.IsReadyAsync(core);
        await ReadinessAssert.IsReadyAsync(registry);

        await restore();
        await ReadinessAssert.IsReadyAsync(node);
    }

    [Theory, StorageData]
    public async Task The_core_is_not_ready_when_its_storage_goes_away_but_stays_alive(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        using var core = network.CoreClient();
        using var node = network.NodeClient();
        await ReadinessAssert.IsReadyAsync(core);
        var (secrets, restore) = await StorageOutage.TakeAwayAsync(network.CoreDatabase);
        await ReadinessAssert.IsNotReadyAsync(core, ["storage"], secrets);
        await ReadinessAssert.IsReadyAsync(node);
        await restore();
        await ReadinessAssert.IsReadyAsync(core);
    }
}
