using Renkei.Hosting;

namespace Renkei.Node.Tests.Hosting;

public class JapanTimeTests
{
    [Theory]
    [InlineData("2026-03-31T14:59:59Z", "2026-03-31")]
    [InlineData("2026-03-31T15:00:00Z", "2026-04-01")] // midnight in Japan: the new fiscal year has begun there
    [InlineData("2026-04-01T00:00:00+09:00", "2026-04-01")]
    [InlineData("2026-12-31T23:30:00-10:00", "2027-01-01")]
    public void A_moment_falls_on_the_day_it_is_in_Japan(string moment, string day) =>
        Assert.Equal(DateOnly.Parse(day), JapanTime.DateOf(DateTimeOffset.Parse(moment)));

    [Fact]
    public void Today_is_read_from_the_clock_given_not_the_machines()
    {
        var clock = new Renkei.Testing.ManualTime(DateTimeOffset.Parse("2031-07-14T16:00:00Z"));
        Assert.Equal(new DateOnly(2031, 7, 15), JapanTime.Today(clock));
    }

    [Fact]
    public void A_day_ends_at_its_last_second_in_Japan() =>
        Assert.Equal(DateTimeOffset.Parse("2036-04-01T14:59:59Z"), JapanTime.EndOfDay(new DateOnly(2036, 4, 1)));
}
