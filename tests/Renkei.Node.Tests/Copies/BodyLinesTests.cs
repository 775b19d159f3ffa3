using System.Text;
using Renkei.Node.Copies;

namespace Renkei.Node.Tests.Copies;

public class BodyLinesTests
{
    /// <summary>A stream that gives at most <paramref name="step"/> bytes a read, as a network body may.</summary>
    private sealed class Trickle(byte[] bytes, int step) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(step, buffer.Length)], ct);
    }

    [Theory]
    [InlineData("")]
    [InlineData("one")]
    [InlineData("one\n")]
    [InlineData("one\r\ntwo\rthree\n\nfour\r")]
    [InlineData("\r\n\r\r\n\n")]
    [InlineData("a\r\r\nb")]
    public async Task Lines_end_where_a_StreamReader_ends_them_however_the_body_arrives(string text)
    {
        var expected = new List<string>();
        using (var reader = new StringReader(text))
            while (reader.ReadLine() is { } line) expected.Add(line);
        foreach (var step in new[] { 1, 2, 3, 1 << 20 })
        {
            using var lines = new BodyLines(new Trickle(Encoding.UTF8.GetBytes(text), step));
            var read = new List<string>();
            while (await lines.ReadLineAsync() is { } line) read.Add(Encoding.UTF8.GetString(line.Span));
            Assert.Equal(expected, read);
        }
    }

    [Fact]
    public async Task A_line_longer_than_the_buffer_is_read_whole_and_bytes_are_left_undecoded()
    {
        var longLine = new string('x', 300_000);
        byte[] body = [.. Encoding.UTF8.GetBytes(longLine + "\n"), 0x83, 0x65, (byte)'\n'];
        using var lines = new BodyLines(new Trickle(body, 7_000));
        Assert.Equal(longLine, Encoding.UTF8.GetString((await lines.ReadLineAsync())!.Value.Span));
        Assert.Equal([0x83, 0x65], (await lines.ReadLineAsync())!.Value.ToArray());
        Assert.Null(await lines.ReadLineAsync());
    }
}
