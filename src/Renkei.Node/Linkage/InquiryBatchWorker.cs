using System.Collections.Concurrent;
using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Node.Copies;
using Renkei.Node.Tenants;
using Renkei.Protocol;

namespace Renkei.Node.Linkage;

/// <summary>
/// Works through the pending people of every tenant's batches, oldest batch first, a page at a time, at most
/// <see cref="NodeOptions.BatchConcurrency"/> inquiries at once per tenant. Tenants are worked apart, each in a
/// loop of its own, so that one tenant's batch waiting on a slow provider holds up no other tenant's. Each
/// answer is stored as it arrives, so a restarted node continues with what is still pending and never
/// asks again for a person already answered. Run it on one node instance per tenant database.
/// It also removes batches completed more than <see cref="NodeOptions.BatchResultDays"/> ago: their
/// results hold other agencies' data, kept only until the business system has fetched them.
/// </summary>
public sealed class InquiryBatchWorker(TenantDirectory tenants, InquiryRelay relay, KnownAgencies agencies, DataStandardLayout layouts, TimeProvider time,
    NodeOptions options, IOptions<CallerOptions> callers, ILogger<InquiryBatchWorker> log)
    : BackgroundService
{
    private readonly Dictionary<string, Channel<bool>> wakes = tenants.All.ToDictionary(t => t.AgencyId,
        _ => Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite }));

    /// <summary>Tells the tenant's worker that a batch arrived, so it need not wait for its next look.</summary>
    public void Wake(string agencyId)
    {
        if (wakes.TryGetValue(agencyId, out var wake)) wake.Writer.TryWrite(true);
    }

    /// <summary>The batches whose page is being worked, each with what a DELETE of it sets.</summary>
    private readonly ConcurrentDictionary<string, CancellationTokenSource> working = new();

    /// <summary>
    /// After a DELETE of the batch: nobody more of the page being worked is asked (those already asked are answered).
    /// A DELETE through another node process is not seen here; the batch is gone from the database at the next page.
    /// </summary>
    public void Cancel(string batchId)
    {
        if (working.TryGetValue(batchId, out var deleted)) deleted.Cancel();
        stopped.TryRemove(batchId, out _); // a deleted batch never completes, where a stopped one leaves the set
    }

    protected override Task ExecuteAsync(CancellationToken stopping) => Task.WhenAll(tenants.All.Select(t => WorkAsync(t, stopping)));

    /// <summary>One tenant's batches, one after another, until the node stops.</summary>
    private async Task WorkAsync(Tenant tenant, CancellationToken stopping)
    {
        await Task.Yield(); // the host's start does not wait for the first look at each tenant's database
        var wake = wakes[tenant.AgencyId];
        try
        {
            var nextPurge = DateTimeOffset.MinValue;
            while (!stopping.IsCancellationRequested)
            {
                var worked = false;
                if (time.GetUtcNow() >= nextPurge)
                {
                    nextPurge = time.GetUtcNow().AddMinutes(1);
                    try { await PurgeAsync(tenant, stopping); }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        log.LogError("Expired batches of tenant {AgencyId} not removed: {Error}", tenant.AgencyId, e.GetType().Name);
                    }
                }
                // A failing database pauses this tenant's batches only; it is tried again at the next look.
                try { worked = await WorkOnceAsync(tenant, stopping); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError("Batch inquiries of tenant {AgencyId} paused: {Error}", tenant.AgencyId, e.GetType().Name);
                }
                if (worked) continue;
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                idle.CancelAfter(TimeSpan.FromSeconds(options.BatchIdleSeconds));
                try { await wake.Reader.ReadAsync(idle.Token); }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested) { }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
    }

    /// <summary>Removes the tenant's batches completed more than <see cref="NodeOptions.BatchResultDays"/> ago, with their results.</summary>
    public async Task<int> PurgeAsync(Tenant tenant, CancellationToken ct = default)
    {
        var cutoff = InquiryBatchesApi.Text(time.GetUtcNow().AddDays(-options.BatchResultDays));
        await using var c = await tenant.Database.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        const string expired = "SELECT batch_id FROM inquiry_batches WHERE completed_at IS NOT NULL AND completed_at < @t";
        await c.ExecuteAsync($"DELETE FROM inquiry_batch_items WHERE batch_id IN ({expired})", tx, ("t", cutoff));
        var removed = await c.ExecuteAsync($"DELETE FROM inquiry_batches WHERE batch_id IN ({expired})", tx, ("t", cutoff));
        await tx.CommitAsync(ct);
        if (removed > 0) log.LogInformation("Removed {Count} batches of tenant {AgencyId} completed before {Cutoff}", removed, tenant.AgencyId, cutoff);
        return removed;
    }

    /// <summary>Answers one page of the tenant's oldest open batch; false when the tenant has nothing pending.</summary>
    private async Task<bool> WorkOnceAsync(Tenant tenant, CancellationToken stopping)
    {
        InquiryBatch? batch;
        await using (var c = await tenant.Database.OpenAsync(stopping)) batch = await InquiryBatchesApi.OldestOpenAsync(c);
        if (batch is null) return false;
        // Registered before the page is read: a DELETE committed before then leaves no page, one after it finds this.
        // Not disposed: a DELETE may cancel it just after the page is done, and it holds nothing to release.
        var deleted = new CancellationTokenSource();
        working[batch.BatchId] = deleted;
        try
        {
            List<(int Position, string AddresseeNumber)> page;
            await using (var c = await tenant.Database.OpenAsync(stopping))
            {
                page = await c.QueryAsync(
                    "SELECT position, addressee_number FROM inquiry_batch_items WHERE batch_id = @b AND outcome IS NULL ORDER BY position LIMIT @n",
                    r => (Convert.ToInt32(r.GetValue(0)), r.GetString(1)), null, ("b", batch.BatchId), ("n", options.BatchConcurrency * 4));
                if (page.Count == 0)
                {
                    await c.ExecuteAsync("UPDATE inquiry_batches SET completed_at = @t WHERE batch_id = @b", null,
                        ("t", InquiryBatchesApi.Text(time.GetUtcNow())), ("b", batch.BatchId));
                    stopped.TryRemove(batch.BatchId, out _); // a stopped batch ends here too: the set holds only batches still open
                    return true;
                }
            }
            if (!SubmitterHoldsAffair(tenant, batch))
            {
                // Said once per batch, not per page of it.
                if (stopped.TryAdd(batch.BatchId, 0))
                    log.LogWarning("Batch {BatchId} of tenant {AgencyId} stopped: its submitter {Caller} no longer holds affair {Affair}; " +
                        "the people still pending are recorded as affair-not-assigned and not asked", batch.BatchId, tenant.AgencyId, batch.SubmittedBy, batch.Affair);
                foreach (var (position, addressee) in page) await RefuseAsync(tenant, batch, position, addressee);
                return true;
            }
            await Parallel.ForEachAsync(page, new ParallelOptions { MaxDegreeOfParallelism = options.BatchConcurrency, CancellationToken = stopping },
                async (item, ct) =>
                {
                    // A batch deleted meanwhile is no longer wanted: whoever is not yet asked is not asked.
                    if (!deleted.IsCancellationRequested) await AnswerAsync(tenant, batch, item.Position, item.AddresseeNumber, ct);
                });
            return true;
        }
        finally { working.TryRemove(batch.BatchId, out _); }
    }

    private readonly ConcurrentDictionary<string, byte> stopped = new();

    /// <summary>
    /// Whether the caller who submitted the batch still belongs to the tenant and holds its affair, as at submission: a batch
    /// runs for hours and across restarts, and a clerk moved off the affair (callers.json changed, the node restarted) must
    /// not go on asking in the agency's name. Callers are read at start, so a change takes a restart.
    /// </summary>
    private bool SubmitterHoldsAffair(Tenant tenant, InquiryBatch batch) =>
        callers.Value.Callers.Any(c => c.Name == batch.SubmittedBy && c.Permissions.Contains("tenant:" + tenant.AgencyId)
            && c.Permissions.Contains("affair:" + batch.Affair));

    /// <summary>A person of a batch whose submitter no longer holds the affair: recorded and answered as an immediate inquiry's refusal, never sent.</summary>
    private async Task RefuseAsync(Tenant tenant, InquiryBatch batch, int position, string addresseeNumber)
    {
        var messageId = Envelope.NewId();
        var code = await tenant.AgencyCodeOfAsync(addresseeNumber);
        await tenant.Records.AppendAsync(new Protocol.Records.ProvisionEntry(messageId, time.GetUtcNow(), null, tenant.AgencyId,
            await agencies.RecordedProviderAsync(batch.Provider), batch.Affair, batch.Item, code, Outcome.NotPermitted, "affair-not-assigned", false));
        await using var w = await tenant.Database.OpenAsync(CancellationToken.None);
        await SaveAsync(w, batch.BatchId, position, new InquiryResponse(messageId, Outcome.NotPermitted, "affair-not-assigned", batch.Provider, batch.Item));
    }

    private async Task AnswerAsync(Tenant tenant, InquiryBatch batch, int position, string addresseeNumber, CancellationToken ct)
    {
        var code = await tenant.AgencyCodeOfAsync(addresseeNumber, ct);
        InquiryResponse answer;
        if (code is null)
        {
            // As an immediate inquiry: nothing can be asked without the person's code, so nothing is sent; the attempt is recorded.
            var messageId = Envelope.NewId();
            await InquiriesApi.RecordUnaskedAsync(tenant, new InquiryRequest(addresseeNumber, batch.Affair, batch.Provider, batch.Item, batch.NotBefore),
                messageId, time.GetUtcNow(), agencies);
            answer = new InquiryResponse(messageId, Outcome.Error, "no-agency-code", batch.Provider, batch.Item);
        }
        else
        {
            try
            {
                answer = await InquiriesApi.AskAsync(tenant, new InquiryRequest(addresseeNumber, batch.Affair, batch.Provider, batch.Item, batch.NotBefore),
                    code, relay, agencies, layouts, time, log, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError("Batch inquiry failed at the node: {Error}", e.GetType().Name);
                answer = new InquiryResponse("", Outcome.Error, "node-error", batch.Provider, batch.Item);
            }
        }
        // Stored even when the node is stopping: the question was asked and answered, and must not be asked again.
        await using var w = await tenant.Database.OpenAsync(CancellationToken.None);
        await SaveAsync(w, batch.BatchId, position, answer);
    }

    private async Task SaveAsync(DbConnection c, string batchId, int position, InquiryResponse a) =>
        await c.ExecuteAsync(
            """
            UPDATE inquiry_batch_items SET outcome = @o, reason = @r, message_id = @m, schema_version = @v, content = @c, updated_at = @u,
                provided_at = @p, answered_at = @t
            WHERE batch_id = @b AND position = @pos AND outcome IS NULL
            """, null, ("o", a.Outcome.ToString()), ("r", a.Reason), ("m", a.MessageId.Length == 0 ? null : a.MessageId), ("v", a.SchemaVersion),
            ("c", a.Content?.GetRawText()), ("u", a.UpdatedAt?.ToString("O")), ("p", a.ProvidedAt is { } p ? InquiryBatchesApi.Text(p) : null),
            ("t", InquiryBatchesApi.Text(time.GetUtcNow())), ("b", batchId), ("pos", position));
}
