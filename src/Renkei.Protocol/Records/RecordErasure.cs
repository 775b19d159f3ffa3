using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Renkei.Protocol.Records;

/// <summary>
/// Erases the provision records past their retention (<see cref="ProvisionLog.EraseExpiredAsync"/>) once at start and then
/// every <paramref name="every"/> (at most <see cref="MaxHours"/>), in each log the service keeps (the core's, or each tenant's
/// on a node). Zero turns it off.
/// </summary>
public sealed class RecordErasure(Func<IEnumerable<ProvisionLog>> logs, TimeSpan every, TimeProvider time, ILogger<RecordErasure> log) : BackgroundService
{
    /// <summary>The longest time between passes that a setting may ask for: a month.</summary>
    public const int MaxHours = 720;

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        if (every <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(every, time);
        try
        {
            do
            {
                foreach (var records in logs())
                {
                    try
                    {
                        if (await records.EraseExpiredAsync(stopping) is > 0 and var erased)
                            log.LogInformation("Erased {Count} provision records of {Party} past their retention", erased, records.Party);
                    }
                    catch (TamperedRecordsException e) when (!stopping.IsCancellationRequested)
                    {
                        // Not a passing failure: someone changed the log behind the party. Said in its own words, Japanese first.
                        log.LogError("{Message}", e.Message);
                    }
                    catch (Exception e) when (!stopping.IsCancellationRequested)
                    {
                        // Whatever one party's log holds, the others are still erased and the service keeps running; the next pass tries again.
                        log.LogWarning("Provision records of {Party} were not erased this time: {Error}: {Message}", records.Party, e.GetType().Name, e.Message);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
    }
}
