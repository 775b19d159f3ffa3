using System.Collections.Concurrent;
using System.Text;
using Renkei.Hosting.Storage;
using Renkei.Node.Tenants;
using Renkei.Protocol;
using Renkei.Protocol.Records;

namespace Renkei.Node.Linkage;

/// <summary>
/// Immediate inquiries written ahead (pending_inquiries): the core and the provider record an inquiry once it is relayed, and
/// the requester records it last, so a hard stop or a full disk in between would leave no trace at the requester that it asked
/// (art. 23). <see cref="InquiryRelay"/> writes the rows of one message in one statement just before sending it; this
/// service, at start and every <see cref="Every"/>, removes the rows whose requester record exists and records the others
/// <c>error</c>/<see cref="InquiryBatchWorker.AnswerNotSaved"/>, as the batch worker records a lost claim.
/// </summary>
public sealed class PendingInquiries(TenantDirectory tenants, TimeProvider time, ILogger<PendingInquiries> log)
    : BackgroundService
{
    /// <summary>How often each tenant's pending inquiries are looked at.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How old a row not in <c>asking</c> must be before it counts as lost. No other instance runs the tenant (its instance
    /// lock), and this process's inquiries are in <c>asking</c> from <see cref="Begin"/> to their record, waiting in the relay
    /// queue or for the core too: the only race left is between Begin's clock read and its add, which this covers with room
    /// for a long pause or the clock stepped back.
    /// </summary>
    public static readonly TimeSpan Margin = TimeSpan.FromMinutes(1);

    // This process's immediate inquiries between their time being taken and their record's append returning (or failing).
    private readonly ConcurrentDictionary<string, byte> asking = new();

    /// <summary>The request time of an immediate inquiry about to be asked under <paramref name="messageId"/>; <see cref="End"/> it when its record is written or failed.</summary>
    public DateTimeOffset Begin(string messageId)
    {
        // The time is taken first: a pass that has not seen the id then finds its row too young to count as lost.
        var at = time.GetUtcNow();
        asking[messageId] = 0;
        return at;
    }

    public void End(string messageId) => asking.TryRemove(messageId, out _);

    /// <summary>
    /// What is written ahead of an immediate inquiry besides the inquiry itself: its request time, and its provider as the
    /// requester's record names it (an id the core does not know is no agency's, and may hide an Individual Number: never kept).
    /// </summary>
    public readonly record struct WriteAhead(DateTimeOffset At, string RecordedProvider);

    /// <summary>Writes the rows of one relay message's immediate inquiries, in one statement; throws (a full disk) and nothing is to be sent.</summary>
    public static async Task WriteAsync(Tenant tenant, IReadOnlyList<(InquiryBody Inquiry, WriteAhead Ahead)> rows, CancellationToken ct)
    {
        if (rows.Count == 0) return;
        await using var c = await tenant.Database.OpenAsync(ct);
        if (tenant.Database.Provider == StorageProvider.Postgres)
        {
            // One text whatever the number of rows, with six array parameters: it is on every message's path, and a statement
            // of six parameters a row cost a tenth of the relay's throughput in building and parsing.
            await c.ExecuteAsync(
                "INSERT INTO pending_inquiries (message_id, asked_at, code, affair, provider, item) SELECT * FROM unnest(@m, @t, @c, @a, @p, @i)", null,
                ("m", rows.Select(r => r.Inquiry.MessageId).ToArray()), ("t", rows.Select(r => ProvisionLog.TimeText(r.Ahead.At)).ToArray()),
                ("c", rows.Select(r => r.Inquiry.AgencyCode).ToArray()), ("a", rows.Select(r => r.Inquiry.Affair).ToArray()),
                ("p", rows.Select(r => r.Ahead.RecordedProvider).ToArray()), ("i", rows.Select(r => r.Inquiry.Item).ToArray()));
            return;
        }
        var sql = new StringBuilder("INSERT INTO pending_inquiries (message_id, asked_at, code, affair, provider, item) VALUES ");
        var parameters = new (string, object?)[rows.Count * 6];
        for (var i = 0; i < rows.Count; i++)
        {
            var (q, (at, provider)) = rows[i];
            sql.Append(i == 0 ? "" : ", ").Append($"(@m{i}, @t{i}, @c{i}, @a{i}, @p{i}, @i{i})");
            (parameters[i * 6], parameters[i * 6 + 1], parameters[i * 6 + 2]) = (($"m{i}", q.MessageId), ($"t{i}", ProvisionLog.TimeText(at)), ($"c{i}", q.AgencyCode));
            (parameters[i * 6 + 3], parameters[i * 6 + 4], parameters[i * 6 + 5]) = (($"a{i}", q.Affair), ($"p{i}", provider), ($"i{i}", q.Item));
        }
        await c.ExecuteAsync(sql.ToString(), null, parameters);
    }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        await Task.Yield(); // the host's start does not wait for the first look at each tenant's database
        using var timer = new PeriodicTimer(Every, time);
        try
        {
            do
            {
                var before = time.GetUtcNow() - Margin;
                foreach (var tenant in tenants.All)
                {
                    try { await ReconcileAsync(tenant, before, stopping); }
                    catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
                    {
                        // Kept for the next pass: a full disk or a busy database does not lose the rows.
                        log.LogError("Pending inquiries of tenant {AgencyId} not reconciled this time{Full}: {Error}", tenant.AgencyId,
                            Database.IsFull(e) ? " (storage-full)" : "", e.GetType().Name);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
    }

    /// <summary>
    /// Removes the tenant's rows whose requester record exists, and records the others asked before <paramref name="askedBefore"/>,
    /// except those this process is still asking, as <c>error</c>/<see cref="InquiryBatchWorker.AnswerNotSaved"/>
    /// under their message id, time and code; returns how many it recorded.
    /// </summary>
    public async Task<int> ReconcileAsync(Tenant tenant, DateTimeOffset askedBefore, CancellationToken ct = default)
    {
        // Read before the rows: an inquiry begun after this has a row too young to be taken.
        var stillAsking = asking.Keys.ToHashSet();
        var before = ProvisionLog.TimeText(askedBefore);
        await RemoveRecordedAsync();
        var recorded = 0;
        while (true)
        {
            List<(string MessageId, DateTimeOffset AskedAt, string Code, string Affair, string Provider, string Item)> lost;
            await using (var c = await tenant.Database.OpenAsync(ct))
                lost = await c.QueryAsync(
                    "SELECT message_id, asked_at, code, affair, provider, item FROM pending_inquiries WHERE asked_at < @t ORDER BY asked_at LIMIT @n",
                    r => (r.GetString(0), ProvisionLog.ParseTime(r.GetString(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5)),
                    null, ("t", before), ("n", ProvisionLog.MaxBatch));
            var toRecord = lost.Where(p => !stillAsking.Contains(p.MessageId)).ToList();
            if (toRecord.Count == 0) return recorded;
            var entries = new List<ProvisionEntry>();
            foreach (var p in toRecord)
                entries.Add(new ProvisionEntry(p.MessageId, p.AskedAt, null, tenant.AgencyId, p.Provider, p.Affair, p.Item,
                    p.Code, Outcome.Error, InquiryBatchWorker.AnswerNotSaved, false));
            await tenant.Records.AppendAllAsync(entries);
            // A failure here leaves rows whose records exist: the next pass removes them.
            await RemoveRecordedAsync();
            recorded += toRecord.Count;
            log.LogWarning("Tenant {AgencyId}: {Count} immediate inquiries relayed by an earlier run or whose record could not be written recorded as {Reason}",
                tenant.AgencyId, toRecord.Count, InquiryBatchWorker.AnswerNotSaved);
            if (toRecord.Count < lost.Count || lost.Count < ProvisionLog.MaxBatch) return recorded;
        }

        // Whatever their age: an answered inquiry's row has done its work once its record is written. The requester's own
        // record: the provider's record of a self-inquiry (same tenant, id and code) has the core's time.
        async Task RemoveRecordedAsync()
        {
            await using var c = await tenant.Database.OpenAsync(ct);
            await c.ExecuteAsync(
                """
                DELETE FROM pending_inquiries WHERE EXISTS (SELECT 1 FROM provision_records r WHERE r.code = pending_inquiries.code
                    AND r.message_id = pending_inquiries.message_id AND r.requester = @self AND r.requested_at = pending_inquiries.asked_at)
                """, null, ("self", tenant.AgencyId));
        }
    }
}
