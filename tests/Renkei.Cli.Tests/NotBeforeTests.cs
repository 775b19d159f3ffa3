using Renkei.Cli.Linkage;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary><c>inquire-batch --not-before</c>: Japan time whatever the machine's zone or culture, and nothing else guessed at.</summary>
public class NotBeforeTests
{
    private static readonly TimeSpan Japan = TimeSpan.FromHours(9);

    [Theory]
    [InlineData("2026-04-01")]
    [InlineData("2026/04/01")]
    [InlineData("2026/4/1")]
    [InlineData("２０２６／４／１")]
    [InlineData("2026-04-01T00:00")]
    [InlineData("2026-04-01 00:00:00")]
    [InlineData("2026-03-31T15:00:00Z")]
    [InlineData("2026-04-01T00:00:00+09:00")]
    public void A_date_or_a_time_without_an_offset_is_read_in_Japan(string text)
    {
        Assert.True(InquireBatchCommand.TryParseTime(text, out var time), text);
        Assert.Equal(new DateTimeOffset(2026, 4, 1, 0, 0, 0, Japan), time);
        Assert.Equal(new DateTimeOffset(2026, 3, 31, 15, 0, 0, TimeSpan.Zero).UtcTicks, time.UtcTicks);
    }

    [Fact]
    public void A_time_meant_in_Japan_is_not_read_as_UTC()
    {
        Assert.True(InquireBatchCommand.TryParseTime("2026-04-01 09:00", out var time));
        Assert.Equal(new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero), time.ToUniversalTime());
        Assert.True(InquireBatchCommand.TryParseTime("2026-04-01T09:00:30.5", out var precise));
        Assert.Equal(new DateTimeOffset(2026, 4, 1, 9, 0, 30, 500, Japan), precise);
    }

    [Theory]
    [InlineData("04/01/2026")] // month first in the invariant culture, day first elsewhere
    [InlineData("1 April 2026")]
    [InlineData("2026-4-1 9:00")]
    [InlineData("2026/04/01 09:00")]
    [InlineData("20260401")]
    [InlineData("2026-02-30")]
    [InlineData("令和8年4月1日")]
    [InlineData("")]
    [InlineData("0001-01-01")] // 0:00 in Japan is before the first moment UTC can hold
    [InlineData("0001/1/1")]
    [InlineData("0001-01-01T08:59")]
    public void Anything_else_is_refused(string text) =>
        Assert.False(InquireBatchCommand.TryParseTime(text, out _), text);

    [Fact]
    public void The_first_moment_of_Japan_time_that_UTC_holds_is_read()
    {
        Assert.True(InquireBatchCommand.TryParseTime("0001-01-01T09:00", out var time));
        Assert.Equal(DateTimeOffset.MinValue.UtcTicks, time.UtcTicks);
    }

    [Theory]
    [InlineData("04/01/2026")]
    [InlineData("0001-01-01")] // once a stack trace
    public async Task A_not_before_it_cannot_read_is_refused_Japanese_first_before_anything_is_sent(string notBefore)
    {
        using var data = new TempFolder();
        var list = data.File("list.txt");
        await File.WriteAllTextAsync(list, "A-1\n");
        var result = await RenkeiCommand.RunAsync("node", "inquire-batch", "--data", data.Path, "--agency", "131059", "--affair", "child-allowance",
            "--provider", "122173", "--item", "local-tax", "--file", list, "--not-before", notBefore);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"--not-before「{notBefore}」が読めません。日付は 2026-04-01 か 2026/4/1", result.Error.Trim());
        Assert.Contains("write a date as 2026-04-01 or 2026/4/1 (0:00 Japan time)", result.Error);
        Assert.Empty(result.Output);
        Assert.False(File.Exists(Path.Combine(data.Path, "network.json")), "a network was started for a command that refused its input");
        Assert.False(Directory.Exists(Path.Combine(data.Path, "node")), "a network was started for a command that refused its input");
    }
}
