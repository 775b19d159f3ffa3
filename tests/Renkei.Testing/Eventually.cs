using System.Diagnostics;

namespace Renkei.Testing;

/// <summary>Waits on a condition instead of a fixed sleep: polls it until it holds, within a patience a loaded machine does not run out of.</summary>
public static class Eventually
{
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(20);

    /// <summary>Polls every <paramref name="every"/> (20 ms) until <paramref name="condition"/> holds; after <paramref name="patience"/> (1 min) throws TimeoutException(<paramref name="what"/>).</summary>
    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? patience = null, TimeSpan? every = null) =>
        HoldsAsync(() => Task.FromResult(condition()), what, patience, every);

    /// <inheritdoc cref="HoldsAsync(Func{bool}, string, TimeSpan?, TimeSpan?)"/>
    public static Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? patience = null, TimeSpan? every = null) =>
        ResultAsync(condition, held => held, what, patience, every);

    /// <summary>
    /// Polls <paramref name="attempt"/> until <paramref name="done"/> holds for its result and returns that result. After
    /// <paramref name="patience"/> it throws TimeoutException(<paramref name="what"/>: the last result), or with
    /// <paramref name="lastOnTimeout"/> returns the last result, for the caller's own assertion to say what it got. The patience is
    /// checked between attempts: an attempt that itself blocks (an HTTP call to a stalled service) is not cut off.
    /// </summary>
    public static async Task<T> ResultAsync<T>(Func<Task<T>> attempt, Func<T, bool> done, string what, TimeSpan? patience = null,
        TimeSpan? every = null, bool lastOnTimeout = false)
    {
        // On the monotonic clock: a wall clock stepped by NTP or a resumed VM moved every pending wait.
        var started = Stopwatch.GetTimestamp();
        var limit = patience ?? Patience;
        while (true)
        {
            var result = await attempt();
            if (done(result)) return result;
            if (Stopwatch.GetElapsedTime(started) > limit)
                return lastOnTimeout ? result : throw new TimeoutException(result is bool or null ? what : $"{what}: {result}");
            await Task.Delay(every ?? Every);
        }
    }
}
