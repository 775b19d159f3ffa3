namespace Renkei.Hosting;

/// <summary>
/// Dates people read (a register's day, a certificate's last day) are days in Japan. Japan Standard Time has been UTC+9 all
/// year since 1952, so a fixed offset serves: a machine or container without the time zone database ("Asia/Tokyo") works alike.
/// </summary>
public static class JapanTime
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(9);

    /// <summary>Today in Japan by the service's clock, which tests set.</summary>
    public static DateOnly Today(TimeProvider clock) => DateOf(clock.GetUtcNow());

    /// <summary>
    /// The day <paramref name="moment"/> falls on in Japan. The last nine hours of <see cref="DateTimeOffset"/>'s range fall on
    /// 10000-01-01 there, which no <see cref="DateOnly"/> holds: they read as its last day, still later than every other date,
    /// rather than throwing where a caller compares a date with a moment from outside (a far-future notBefore).
    /// </summary>
    public static DateOnly DateOf(DateTimeOffset moment) =>
        moment.UtcTicks >= DateTime.MaxValue.Ticks - Offset.Ticks ? DateOnly.MaxValue : DateOnly.FromDateTime(moment.ToOffset(Offset).DateTime);

    /// <summary>The last second of <paramref name="date"/> in Japan, in UTC.</summary>
    public static DateTimeOffset EndOfDay(DateOnly date) =>
        new DateTimeOffset(date.AddDays(1).ToDateTime(TimeOnly.MinValue), Offset).AddSeconds(-1).ToUniversalTime();
}
