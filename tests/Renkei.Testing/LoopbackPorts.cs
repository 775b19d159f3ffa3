using System.Net;
using System.Net.Sockets;

namespace Renkei.Testing;

/// <summary>
/// Loopback ports for a test that names a port to a service which binds it later, or needs one nothing listens on. A port probed
/// free and released is open to whoever binds next: taken from below the system's ephemeral range, no client connection or
/// port-0 listener of a parallel test can take it in the gap, and no two asks in this process get the same one. A closed port is
/// held instead (<see cref="Closed"/>).
/// </summary>
public static class LoopbackPorts
{
    private const int Lowest = 10_000; // above the fixed ports the tests and the sandbox use (7100 and on)
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>A base port whose next <paramref name="count"/> ports are free, as <c>renkei up --port</c> takes it.</summary>
    public static int FreeRange(int count = 5)
    {
        var highest = EphemeralLow() - count - 1;
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var basePort = Random.Shared.Next(Lowest, highest);
            var ports = Enumerable.Range(basePort, count + 1).ToList();
            lock (HandedOut)
            {
                if (ports.Any(HandedOut.Contains) || !ports.Skip(1).All(IsFree)) continue;
                HandedOut.UnionWith(ports);
            }
            return basePort;
        }
        throw new InvalidOperationException($"no {count} free loopback ports in a row below {highest + count + 1}");
    }

    /// <summary>
    /// A loopback port nothing listens on, and nothing can: bound on 127.0.0.1 and ::1 without listening, and held until this test
    /// process ends. Such a socket refuses every connection, and no other process can bind the port meanwhile; a free port only
    /// remembered here was free for a parallel test project's <c>renkei up</c> to listen on.
    /// </summary>
    public static int Closed()
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var v4 = Bound(IPAddress.Loopback, 0);
            var port = ((IPEndPoint)v4.LocalEndPoint!).Port;
            Socket? v6 = null;
            try { if (Socket.OSSupportsIPv6) v6 = Bound(IPAddress.IPv6Loopback, port); }
            catch (SocketException) { v4.Dispose(); continue; } // taken on ::1: another port
            lock (Held) Held.AddRange(v6 is null ? [v4] : [v4, v6]);
            return port;
        }
        throw new InvalidOperationException("no loopback port free on both 127.0.0.1 and ::1");
    }

    private static readonly List<Socket> Held = [];

    private static Socket Bound(IPAddress address, int port)
    {
        // TCP all the same, but not named so: .NET sets SO_REUSEADDR on a TCP socket it binds on Unix, and on Linux a second socket
        // with it may then bind the port too while neither listens.
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = false;
            socket.Bind(new IPEndPoint(address, port));
            return socket;
        }
        catch { socket.Dispose(); throw; }
    }

    private static bool IsFree(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try { listener.Start(); return true; }
        catch (SocketException) { return false; }
        finally { listener.Stop(); }
    }

    /// <summary>The lowest port the system hands out on its own (Linux: ip_local_port_range; 32768 elsewhere).</summary>
    private static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return Math.Max(Lowest + 1000, int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException) { return 32_768; }
    }
}
