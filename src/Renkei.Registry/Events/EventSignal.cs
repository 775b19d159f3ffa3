namespace Renkei.Registry.Events;

/// <summary>Wakes long-polling readers of the feed when an event is committed in this process.</summary>
public sealed class EventSignal
{
    private TaskCompletionSource next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Notify(long position)
    {
        var fired = Interlocked.Exchange(ref next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        fired.TrySetResult();
    }

    /// <summary>
    /// Completes at the next commit, or after <paramref name="timeout"/> (writers in other processes are
    /// polled); throws when <paramref name="ct"/> is cancelled, so a reader that went away stops at once.
    /// </summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        try { await Volatile.Read(ref next).Task.WaitAsync(timeout, ct); }
        catch (TimeoutException) { }
    }
}
