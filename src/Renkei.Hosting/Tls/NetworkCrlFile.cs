using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Renkei.Hosting.Tls;

/// <summary>
/// A service's copy of the revocation list (<c>Tls:CrlFile</c>): read at start, then looked at again when asked and
/// <see cref="CheckInterval"/> has passed, and taken only if it changed, verifies under the CA and its number has
/// not gone down. Anything else leaves the last good list in force and is logged.
/// </summary>
public sealed class NetworkCrlFile
{
    /// <summary>How often, at most, the file is looked at for a change.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(2);

    private readonly string path;
    private readonly X509Certificate2 ca;
    private NetworkCrl current;
    private (DateTime Written, long Length) stamp;
    private long checkedAt = Environment.TickCount64;
    private int checking;

    private NetworkCrlFile(string path, X509Certificate2 ca, NetworkCrl current)
    {
        this.path = path;
        this.ca = ca;
        this.current = current;
        stamp = StampOf(path);
    }

    public ILogger? Log { get; set; }

    /// <summary>Reads the list at <paramref name="path"/>; one that is missing or does not verify throws with the reason.</summary>
    public static NetworkCrlFile Open(string path, X509Certificate2 ca)
    {
        path = Path.GetFullPath(path);
        return new NetworkCrlFile(path, ca, NetworkCrl.Read(File.ReadAllBytes(path), ca));
    }

    public bool IsRevoked(X509Certificate2 certificate)
    {
        Refresh();
        return Volatile.Read(ref current).IsRevoked(certificate);
    }

    /// <summary>By one caller at a time: the others go on with the list in force.</summary>
    private void Refresh()
    {
        if (Environment.TickCount64 - Volatile.Read(ref checkedAt) < CheckInterval.TotalMilliseconds) return;
        if (Interlocked.Exchange(ref checking, 1) == 1) return;
        try
        {
            Volatile.Write(ref checkedAt, Environment.TickCount64);
            var now = StampOf(path);
            if (now == stamp) return;
            stamp = now;
            var read = NetworkCrl.Read(File.ReadAllBytes(path), ca);
            if (read.Number < current.Number)
                throw new InvalidOperationException($"失効リストが古くなりました / the network CRL went back from number {current.Number} to {read.Number}");
            if (read.NextUpdate < DateTimeOffset.UtcNow)
                Log?.LogWarning("ネットワークCAの失効リストが更新期限を過ぎています / the network CRL was due for renewal at {NextUpdate:u}; it stays in force", read.NextUpdate);
            Volatile.Write(ref current, read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or FormatException)
        {
            Log?.LogWarning("ネットワークCAの失効リストを読めません。前のリストを使い続けます / the network CRL could not be read, the previous one stays in force: {Reason}", e.Message);
        }
        finally { Volatile.Write(ref checking, 0); }
    }

    private static (DateTime, long) StampOf(string file)
    {
        var info = new FileInfo(file);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : default;
    }
}
