using System.Data.Common;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Renkei.Protocol.Records;

/// <summary>
/// Erases the provision records past their retention (<see cref="ProvisionLog.EraseExpiredAsync"/>) once at start and then
/// every <paramref name="every"/>, in each log the service keeps (the core's, or each tenant's on a node). Zero turns it off.
/// </summary>
public sealed class RecordErasure(Func<IEnumerable<ProvisionLog>> logs, TimeSpan every, TimeProvider time, ILogger<RecordErasure> log) : BackgroundService
{
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
                    catch (Exception e) when (e is DbException or InvalidOperationException)
                    {
                        // One party's database failing does not stop the others' erasure; the next pass tries again.
                        log.LogWarning("Provision records of {Party} were not erased this time: {Error}", records.Party, e.GetType().Name);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
    }
}
