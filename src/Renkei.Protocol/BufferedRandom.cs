using System.Security.Cryptography;

namespace Renkei.Protocol;

/// <summary>
/// Cryptographically strong random bytes, drawn from the system's generator 4 KiB at a time per thread. Every
/// inquiry takes several ids and nonces, and each call of OpenSSL's generator costs more in its set-up than in the bytes.
/// </summary>
internal static class BufferedRandom
{
    [ThreadStatic] private static byte[]? buffer;
    [ThreadStatic] private static int used;

    public static void Fill(Span<byte> destination)
    {
        if (destination.Length > 256)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }
        if (buffer is null || used + destination.Length > buffer.Length)
        {
            buffer ??= new byte[4096];
            RandomNumberGenerator.Fill(buffer);
            used = 0;
        }
        var taken = buffer.AsSpan(used, destination.Length);
        taken.CopyTo(destination);
        taken.Clear(); // bytes handed out do not stay behind in the buffer
        used += destination.Length;
    }
}
