using System.Buffers;

namespace Renkei.Node.Copies;

/// <summary>
/// The lines of a request body as bytes, ended as <see cref="StreamReader.ReadLine"/> ends them (CR LF, LF or a
/// bare CR), so that a line number means the same line to the node and to <c>renkei node import-copies</c>. The
/// bytes are not decoded here: a line that is not UTF-8 is seen as such, not read with replacement characters.
/// </summary>
internal sealed class BodyLines(Stream body) : IDisposable
{
    private byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int start, end;
    private bool ended, crBefore;

    /// <summary>The next line without its ending, valid until the next call; null after the last.</summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken ct = default)
    {
        var searched = 0;
        while (true)
        {
            // The LF of a CR LF split across two reads.
            if (crBefore && start < end)
            {
                if (buffer[start] == (byte)'\n') start++;
                crBefore = false;
            }
            var at = buffer.AsSpan(start + searched, end - start - searched).IndexOfAny((byte)'\r', (byte)'\n');
            if (at >= 0)
            {
                var lineEnd = start + searched + at;
                var line = buffer.AsMemory(start, lineEnd - start);
                crBefore = buffer[lineEnd] == (byte)'\r';
                start = lineEnd + 1;
                return line;
            }
            searched = end - start;
            if (ended)
            {
                if (start == end) return null;
                var last = buffer.AsMemory(start, end - start);
                start = end;
                return last;
            }
            if (start > 0)
            {
                buffer.AsSpan(start, end - start).CopyTo(buffer);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length)
            {
                // A line longer than the buffer: the body's size limit bounds how far this grows.
                var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, end).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }
            var read = await body.ReadAsync(buffer.AsMemory(end), ct);
            if (read == 0) ended = true;
            else end += read;
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
    }
}
