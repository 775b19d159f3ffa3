using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Renkei.Registry.Seeding;

/// <summary>
/// Rows in PostgreSQL's binary COPY format (a field count, then each field as its length and bytes),
/// written without a string per value so that encoding can run on every core ahead of the connection.
/// Also a buffer writer, so that JSON can be written straight into a field.
/// </summary>
internal sealed class CopyBuffer(int capacity) : IBufferWriter<byte>
{
    /// <summary>The signature, flags and header extension length that start a binary COPY stream.</summary>
    public static readonly byte[] Header = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>The field count -1 that ends it.</summary>
    public static readonly byte[] Trailer = [0xFF, 0xFF];

    private byte[] data = new byte[capacity];
    private int length;

    public ReadOnlyMemory<byte> Written => data.AsMemory(0, length);

    public void Clear() => length = 0;

    private Span<byte> Room(int size)
    {
        if (length + size > data.Length) Array.Resize(ref data, Math.Max(data.Length * 2, length + size));
        return data.AsSpan(length);
    }

    public void Advance(int count) => length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Room(Math.Max(sizeHint, 256));
        return data.AsMemory(length);
    }

    public Span<byte> GetSpan(int sizeHint = 0) => Room(Math.Max(sizeHint, 256));

    public void Row(short fields)
    {
        BinaryPrimitives.WriteInt16BigEndian(Room(2), fields);
        length += 2;
    }

    public void Text(string value)
    {
        var room = Room(4 + Encoding.UTF8.GetMaxByteCount(value.Length));
        var n = Encoding.UTF8.GetBytes(value, room[4..]);
        BinaryPrimitives.WriteInt32BigEndian(room, n);
        length += 4 + n;
    }

    public void Null()
    {
        BinaryPrimitives.WriteInt32BigEndian(Room(4), -1);
        length += 4;
    }

    public void Int32(int value)
    {
        var room = Room(8);
        BinaryPrimitives.WriteInt32BigEndian(room, 4);
        BinaryPrimitives.WriteInt32BigEndian(room[4..], value);
        length += 8;
    }

    /// <summary>Writes a BIGINT and returns where its value is, for <see cref="Patch"/>.</summary>
    public int Int64(long value)
    {
        var room = Room(12);
        BinaryPrimitives.WriteInt32BigEndian(room, 8);
        BinaryPrimitives.WriteInt64BigEndian(room[4..], value);
        length += 12;
        return length - 8;
    }

    public void Patch(int offset, long value) => BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(offset), value);

    /// <summary>A number as text of exactly <paramref name="width"/> digits, leading zeros kept (as ToString("D11")).</summary>
    public void Digits(long value, int width)
    {
        var room = Room(4 + width);
        BinaryPrimitives.WriteInt32BigEndian(room, width);
        for (var i = width - 1; i >= 0; i--, value /= 10) room[4 + i] = (byte)('0' + value % 10);
        length += 4 + width;
    }

    /// <summary>A date as yyyy-MM-dd text, as <see cref="Residents.RegisterText.ToText(DateOnly)"/> writes it.</summary>
    public void Date(DateOnly date)
    {
        var room = Room(14);
        BinaryPrimitives.WriteInt32BigEndian(room, 10);
        var d = room[4..];
        Put(d, date.Year, 4);
        d[4] = (byte)'-';
        Put(d[5..], date.Month, 2);
        d[7] = (byte)'-';
        Put(d[8..], date.Day, 2);
        length += 14;

        static void Put(Span<byte> to, int value, int width)
        {
            for (var i = width - 1; i >= 0; i--, value /= 10) to[i] = (byte)('0' + value % 10);
        }
    }

    /// <summary>Starts a field whose bytes are written through the buffer-writer interface; <see cref="EndField"/> sets its length.</summary>
    public int BeginField()
    {
        Room(4);
        length += 4;
        return length - 4;
    }

    public void EndField(int start) => BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(start), length - start - 4);
}
