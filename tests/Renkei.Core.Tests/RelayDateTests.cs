using Renkei.Hosting;
using Renkei.Protocol;

namespace Renkei.Core.Tests;

/// <summary>Audit S, S1: the range of an inquiry's notBefore, and that no date of DateTimeOffset's range throws where it is compared with one.</summary>
public class RelayDateTests
{
    private static readonly DateTimeOffset Start = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_notBefore_is_taken_from_the_first_Individual_Numbers_to_a_day_ahead()
    {
        var japan = JapanTime.Offset;
        Assert.True(RelayKinds.IsNotBefore(null, Start));
        Assert.True(RelayKinds.IsNotBefore(new DateTimeOffset(2015, 10, 5, 0, 0, 0, japan), Start));
        Assert.True(RelayKinds.IsNotBefore(Start.AddDays(1), Start));
        Assert.False(RelayKinds.IsNotBefore(new DateTimeOffset(2015, 10, 4, 23, 59, 59, japan), Start));
        Assert.False(RelayKinds.IsNotBefore(Start.AddDays(1).AddTicks(1), Start));
        Assert.False(RelayKinds.IsNotBefore(DateTimeOffset.MaxValue, Start));
        Assert.False(RelayKinds.IsNotBefore(DateTimeOffset.MinValue, Start));
    }

    [Fact]
    public void The_last_hours_of_DateTimeOffset_fall_on_the_last_date_in_Japan_rather_than_throwing()
    {
        Assert.Equal(new DateOnly(9999, 12, 31), JapanTime.DateOf(DateTimeOffset.Parse("9999-12-31T14:59:59Z")));
        Assert.Equal(DateOnly.MaxValue, JapanTime.DateOf(DateTimeOffset.Parse("9999-12-31T15:00:00Z")));
        Assert.Equal(DateOnly.MaxValue, JapanTime.DateOf(DateTimeOffset.MaxValue));
        Assert.Equal(DateOnly.MinValue, JapanTime.DateOf(DateTimeOffset.MinValue));
        // So the core's check of a provider's copy-older-than-asked answer to a far-future notBefore answers, and does not throw.
        var answer = new ProvisionAnswer(Envelope.NewId(), Outcome.CopyOlderThanAsked, RelayKinds.CopyUpdatedPrefix + "2026-04-01", null, Start, false);
        Assert.True(RelayKinds.IsProviderAnswer(answer, DateTimeOffset.MaxValue));
        Assert.False(RelayKinds.IsProviderAnswer(answer, DateTimeOffset.MinValue));
    }
}
