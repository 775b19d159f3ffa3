using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

/// <summary>The PKI's readiness probe follows its storage (its CA keys are read at start, not probed).</summary>
public sealed class ReadinessTests
{
    [Theory, StorageData]
    public async Task The_pki_is_ready_while_its_storage_answers_and_alive_but_not_ready_once_it_is_gone(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        await ReadinessAssert.IsReadyAsync(sandbox.Anonymous);

        var (secrets, restore) = await StorageOutage.TakeAwayAsync(sandbox.PkiStorage);
        // Asked twice while the follower and the sweep of pending cards keep using the database: still not ready.
        await ReadinessAssert.IsNotReadyAsync(sandbox.Anonymous, ["storage"], secrets);
        await ReadinessAssert.IsNotReadyAsync(sandbox.Anonymous, ["storage"], secrets);
        await restore();
        await ReadinessAssert.IsReadyAsync(sandbox.Anonymous);
    }
}
