using System.Net;
using System.Net.Sockets;
using Renkei.Cli.Network;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

public class SandboxStartTests
{
    [Fact]
    public async Task A_network_whose_start_fails_half_way_stops_what_it_started_and_frees_its_folder()
    {
        using var folder = new TempFolder();
        var basePort = LoopbackPorts.FreeRange(); // none of these five can be taken by someone else before the start, but the one held here
        // The PKI's https port (base + 5) is taken after the Registry (base + 1) started: the start fails at the PKI.
        using var taken = new TcpListener(IPAddress.Loopback, basePort + 5);
        taken.Start();
        var failed = await Assert.ThrowsAnyAsync<Exception>(() => SandboxNetwork.StartAsync(folder.Path, basePort));
        // At the PKI's port, after the Registry's: not a failure of some other kind, nor one found before anything started.
        Assert.Contains($"127.0.0.1:{basePort + 5}", failed.Message);

        // The Registry no longer listens, and the folder's lock is free for the next start in this process.
        using (var registryPort = new TcpListener(IPAddress.Loopback, basePort + 1)) registryPort.Start();
        await using var again = await SandboxNetwork.StartAsync(folder.Path);
        Assert.NotNull(again.Linkage);
    }
}
