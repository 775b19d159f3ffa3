using System.Net;
using System.Net.Sockets;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

public class LoopbackPortsTests
{
    [Fact]
    public async Task A_closed_port_refuses_connections_and_nothing_else_can_listen_on_it()
    {
        // Audit 21d §4: the port was only remembered in this process, so a renkei up of a parallel test project could listen there.
        var port = LoopbackPorts.Closed();
        foreach (var loopback in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        {
            using var client = new TcpClient(loopback.AddressFamily);
            Assert.Equal(SocketError.ConnectionRefused, (await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(loopback, port))).SocketErrorCode);
            var other = new TcpListener(loopback, port);
            try { Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(other.Start).SocketErrorCode); }
            finally { other.Stop(); }
        }
    }
}
