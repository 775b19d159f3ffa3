using System.Collections.Concurrent;
using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Node.Copies;
using Renkei.Node.Tenants;
using Renkei.Protocol;
using Renkei.Protocol.Records;

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
                // A failing database pauses this tenant's batches only; it is tried again at the next look, or after a full disk a minute on.
                var full = false;
                try { worked = await WorkOnceAsync(tenant, stopping); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    full = Database.IsFull(e);
                    if (full)
                        log.LogError("Batch inquiries of tenant {AgencyId} paused: its database's disk is full (storage-full); nobody is asked until a write succeeds",
                            tenant.AgencyId);
                    else log.LogError("Batch inquiries of tenant {AgencyId} paused: {Error}", tenant.AgencyId, e.GetType().Name);
                }
                if (worked) continue;
                var pause = TimeSpan.FromSeconds(options.BatchIdleSeconds);
                if (full)
                {
                    // The whole pause, whatever is submitted meanwhile: each submission's wake would bring a look that fails as well.
                    // A wake stays in its channel and brings at most one more look after.
                    await Task.Delay(pause < FullPause ? FullPause : pause, time, stopping);
                    continue;
                }
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                idle.CancelAfter(pause);
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

    /// <summary>
    /// Answers one page of the tenant's oldest open batch; false when the tenant has nothing pending. Nobody is asked unless
    /// the tenant's database first took a claim for them (the message id to ask under, committed), just before they are asked:
    /// a database that cannot write asks nobody, and a claim an earlier run left is a person whose inquiry was in flight.
    /// An answer whose record or result could not be written is owed, and written before anybody else is asked.
    /// </summary>
    private async Task<bool> WorkOnceAsync(Tenant tenant, CancellationToken stopping)
    {
        var owed = this.owed[tenant.AgencyId];
        await SettleAsync(tenant, owed);
        InquiryBatch? batch;
        await using (var c = await tenant.Database.OpenAsync(stopping)) batch = await InquiryBatchesApi.OldestOpenAsync(c);
        if (batch is null) return false;
        // Registered before the page is read: a DELETE committed before then leaves no page, one after it finds this.
        // Not disposed: a DELETE may cancel it just after the page is done, and it holds nothing to release.
        var deleted = new CancellationTokenSource();
        working[batch.BatchId] = deleted;
        Exception? failed = null;
        try
        {
            List<Claim> page;
            await using (var c = await tenant.Database.OpenAsync(stopping))
            {
                page = await c.QueryAsync(
                    "SELECT position, addressee_number, message_id, asked_at, asked_code FROM inquiry_batch_items WHERE batch_id = @b AND outcome IS NULL ORDER BY position LIMIT @n",
                    r => new Claim(Convert.ToInt32(r.GetValue(0)), r.GetString(1), r.GetNullableString(2) ?? "",
                        r.GetNullableString(3) is { } at ? InquiryBatchesApi.ParseTime(at) : null, r.GetNullableString(4)),
                    null, ("b", batch.BatchId), ("n", options.BatchConcurrency * 4));
                if (page.Count == 0)
                {
                    await c.ExecuteAsync("UPDATE inquiry_batches SET completed_at = @t WHERE batch_id = @b", null,
                        ("t", InquiryBatchesApi.Text(time.GetUtcNow())), ("b", batch.BatchId));
                    stopped.TryRemove(batch.BatchId, out _); // a stopped batch ends here too: the set holds only batches still open
                    return true;
                }
            }
            // Nothing is owed here (settled above), so a claim without an outcome is an earlier run's: it may have been asked.
            if (page.Where(p => p.AskedAt is not null).ToList() is { Count: > 0 } lost)
            {
                await NotSavedAsync(tenant, owed, batch, lost);
                return true;
            }
            if (!SubmitterHoldsAffair(tenant, batch))
            {
                // Said once per batch, not per page of it.
                if (stopped.TryAdd(batch.BatchId, 0))
                    log.LogWarning("Batch {BatchId} of tenant {AgencyId} stopped: its submitter {Caller} no longer holds affair {Affair}; " +
                        "the people still pending are recorded as affair-not-assigned and not asked", batch.BatchId, tenant.AgencyId, batch.SubmittedBy, batch.Affair);
                foreach (var (position, addressee, _, _, _) in page) await RefuseAsync(tenant, owed, batch, position, addressee);
                return true;
            }
            await Parallel.ForEachAsync(page, new ParallelOptions { MaxDegreeOfParallelism = options.BatchConcurrency, CancellationToken = stopping },
                async (person, ct) =>
                {
                    // A batch deleted meanwhile is no longer wanted, and after a failed write nobody more is asked: whoever is not yet asked is not asked.
                    if (deleted.IsCancellationRequested || Volatile.Read(ref failed) is not null) return;
                    try
                    {
                        if (await ClaimAsync(tenant, owed, batch, person, ct) is not { } claim) return;
                        await AnswerAsync(tenant, owed, batch, claim, ct);
                    }
                    catch (Exception e) when (e is not OperationCanceledException) { Interlocked.CompareExchange(ref failed, e, null); }
                });
        }
        finally
        {
            working.TryRemove(batch.BatchId, out _);
            // The claims of people not asked (interrupted by a stop and recorded so, or whose claim failed) are given back: they are asked at a later page.
            try { await SettleAsync(tenant, owed); }
            catch (Exception e) when (e is not OperationCanceledException) { failed ??= e; }
        }
        if (failed is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
        return true;
    }

    /// <summary>
    /// A pending person of a page, with their claim if a worker took one: the message id to ask under, when, and the person's
    /// agency code then (null: none, nothing sent), which the records of the inquiry name whatever becomes of the code.
    /// </summary>
    private sealed record Claim(int Position, string AddresseeNumber, string MessageId, DateTimeOffset? AskedAt, string? Code);

    /// <summary>
    /// Commits a claim for one person just before they are asked, rather than for the page: a hard stop leaves claims only
    /// of people whose inquiry was in flight. If it cannot be written (a full disk), it throws and the person is not asked.
    /// Null for a person whose row is gone (the batch deleted) or already answered.
    /// </summary>
    private async Task<Claim?> ClaimAsync(Tenant tenant, Owed owed, InquiryBatch batch, Claim person, CancellationToken ct)
    {
        var code = await tenant.AgencyCodeOfAsync(person.AddresseeNumber, ct);
        var claim = person with { MessageId = Envelope.NewId(), AskedAt = time.GetUtcNow(), Code = code };
        await using var c = await tenant.Database.OpenAsync(ct);
        try
        {
            return await c.ExecuteAsync(
                "UPDATE inquiry_batch_items SET message_id = @m, asked_at = @t, asked_code = @c WHERE batch_id = @b AND position = @p AND outcome IS NULL AND asked_at IS NULL",
                null, ("m", claim.MessageId), ("t", InquiryBatchesApi.Text(claim.AskedAt!.Value)), ("c", code), ("b", batch.BatchId), ("p", person.Position)) == 1
                ? claim : null;
        }
        catch
        {
            // It may have committed all the same (the connection lost after the commit): given back, or the next look would take
            // this person, never asked, for one an earlier run asked. Giving back a claim that did not commit changes nothing.
            owed.Unasked[(batch.BatchId, person.Position)] = claim.MessageId;
            throw;
        }
    }

    /// <summary>
    /// What a tenant's worker owes its database from earlier pages, in memory: answers obtained whose record or result was not
    /// written, and claims of people who were not asked. Settled before anybody else is asked.
    /// </summary>
    private sealed class Owed
    {
        public readonly ConcurrentDictionary<(string Batch, int Position), Unsaved> Answers = new();
        public readonly ConcurrentDictionary<(string Batch, int Position), string> Unasked = new();
    }

    /// <summary>An answer to keep: its requester's record until written (then null), and the result for the batch.</summary>
    private sealed class Unsaved(ProvisionEntry? record, InquiryResponse answer)
    {
        public ProvisionEntry? Record = record;
        public InquiryResponse Answer { get; } = answer;
    }

    private readonly Dictionary<string, Owed> owed = tenants.All.ToDictionary(t => t.AgencyId, _ => new Owed());

    /// <summary>Writes what is owed: each answer's record, then its result, and gives back the claims of people not asked. Throws on the first failure.</summary>
    private async Task SettleAsync(Tenant tenant, Owed owed)
    {
        foreach (var ((batchId, position), unsaved) in owed.Answers) await KeepAsync(tenant, owed, batchId, position, unsaved);
        if (owed.Unasked.IsEmpty) return;
        await using var w = await tenant.Database.OpenAsync(CancellationToken.None);
        foreach (var ((batchId, position), messageId) in owed.Unasked)
        {
            await w.ExecuteAsync("UPDATE inquiry_batch_items SET message_id = NULL, asked_at = NULL, asked_code = NULL WHERE batch_id = @b AND position = @p AND outcome IS NULL AND message_id = @m",
                null, ("b", batchId), ("p", position), ("m", messageId));
            owed.Unasked.TryRemove((batchId, position), out _);
        }
    }

    /// <summary>
    /// Writes the requester's record of an answer, then the answer as the person's result; owed until both are written, so
    /// that a failure (a full disk) neither loses the answer nor leads to asking again. Even when the node is stopping: the
    /// question was asked and answered.
    /// </summary>
    private async Task KeepAsync(Tenant tenant, Owed owed, string batchId, int position, Unsaved unsaved)
    {
        owed.Answers[(batchId, position)] = unsaved;
        if (unsaved.Record is { } record)
        {
            await tenant.Records.AppendAsync(record);
            unsaved.Record = null;
        }
        await using (var w = await tenant.Database.OpenAsync(CancellationToken.None)) await SaveAsync(w, batchId, position, unsaved.Answer);
        owed.Answers.TryRemove((batchId, position), out _);
    }

    /// <summary>The reason of a person claimed by an earlier run (a node stopped hard, or restarted while its disk was full) whose answer was not saved.</summary>
    public const string AnswerNotSaved = "answer-not-saved";

    /// <summary>
    /// People claimed by an earlier run and never answered: their inquiry was in flight, and the provider and the core may hold a
    /// record of it, so they are not asked again. Each is recorded at the requester under its claimed message id and the code it
    /// was asked with, and answered <c>error</c>/<see cref="AnswerNotSaved"/>: the business system decides whether to ask again.
    /// One claimed without a code was never sent, and is answered <c>error</c>/<c>no-agency-code</c> as it would have been.
    /// </summary>
    private async Task NotSavedAsync(Tenant tenant, Owed owed, InquiryBatch batch, List<Claim> lost)
    {
        log.LogWarning("Batch {BatchId} of tenant {AgencyId}: {Count} people claimed by an earlier run have no saved answer; recorded as {Reason} (no-agency-code if claimed without a code) and not asked again",
            batch.BatchId, tenant.AgencyId, lost.Count, AnswerNotSaved);
        foreach (var (position, _, messageId, askedAt, code) in lost)
        {
            // The answer's record may have been written before its result could not be (a full disk): that record stands alone.
            // Looked up through the code asked with (not the person's now: released or delivered since, it would miss the record),
            // whose index the records have: one on message ids would cost every record written. Only this tenant's own record as
            // requester, dated with the claim's time: in a self-inquiry the provider's record (same tenant, id and code, the core's
            // time) is in the same log, and another agency's request reusing the id would be too.
            long recorded;
            await using (var c = await tenant.Database.OpenAsync(CancellationToken.None))
                recorded = await c.ScalarAsync<long>(
                    $"SELECT COUNT(*) FROM provision_records WHERE {(code is null ? "code IS NULL" : "code = @c")} AND message_id = @m AND requester = @self AND requested_at = @t",
                    null, ("m", messageId), ("c", code), ("self", tenant.AgencyId), ("t", ProvisionLog.TimeText(askedAt!.Value)));
            // One claimed without a code was never sent: its answer is what it would have been, not a lost one.
            var answer = await OwnAnswerAsync(tenant, batch, messageId, askedAt!.Value, code, Outcome.Error, code is null ? "no-agency-code" : AnswerNotSaved);
            if (recorded > 0) answer.Record = null;
            await KeepAsync(tenant, owed, batch.BatchId, position, answer);
        }
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
    private async Task RefuseAsync(Tenant tenant, Owed owed, InquiryBatch batch, int position, string addresseeNumber)
    {
        var messageId = Envelope.NewId();
        var code = await tenant.AgencyCodeOfAsync(addresseeNumber);
        await KeepAsync(tenant, owed, batch.BatchId, position,
            await OwnAnswerAsync(tenant, batch, messageId, time.GetUtcNow(), code, Outcome.NotPermitted, "affair-not-assigned"));
    }

    /// <summary>
    /// An answer the node gives itself, not the provider: its record at the requester, as every refused or failed inquiry has one
    /// (naming the provider only if the core registered it), and the same outcome as the person's result.
    /// </summary>
    private async Task<Unsaved> OwnAnswerAsync(Tenant tenant, InquiryBatch batch, string messageId, DateTimeOffset requestedAt, string? code,
        Outcome outcome, string reason) =>
        new(new ProvisionEntry(messageId, requestedAt, null, tenant.AgencyId, await agencies.RecordedProviderAsync(batch.Provider), batch.Affair, batch.Item,
                code, outcome, reason, false),
            new InquiryResponse(messageId, outcome, reason, batch.Provider, batch.Item));

    /// <summary>Asks for one claimed person under the claim's message id and keeps the answer, or gives the claim back when stopped.</summary>
    private async Task AnswerAsync(Tenant tenant, Owed owed, InquiryBatch batch, Claim claim, CancellationToken ct)
    {
        var request = new InquiryRequest(claim.AddresseeNumber, batch.Affair, batch.Provider, batch.Item);
        var code = claim.Code;
        Unsaved answer;
        if (code is null)
        {
            // As an immediate inquiry: nothing can be asked without the person's code, so nothing is sent; the attempt is recorded.
            answer = await OwnAnswerAsync(tenant, batch, claim.MessageId, claim.AskedAt!.Value, null, Outcome.Error, "no-agency-code");
        }
        else
        {
            // Dated with the claim's time, by which NotSavedAsync tells this record from the provider's of a self-inquiry.
            var requestedAt = claim.AskedAt!.Value;
            try
            {
                var (record, response) = await InquiriesApi.AskUnrecordedAsync(tenant, request, batch.NotBefore, code, claim.MessageId, requestedAt, relay, agencies,
                    layouts, log, writeAhead: false, ct);
                answer = new Unsaved(record, response);
            }
            catch (OperationCanceledException)
            {
                // Stopped, and recorded as interrupted: its claim is given back (when the page ends), and it is asked again after the restart.
                owed.Unasked[(batch.BatchId, claim.Position)] = claim.MessageId;
                throw;
            }
            catch (Exception e)
            {
                log.LogError("Batch inquiry failed at the node: {Error}", e.GetType().Name);
                // Recorded as every inquiry is: it may have reached the core.
                answer = await OwnAnswerAsync(tenant, batch, claim.MessageId, requestedAt, code, Outcome.Error, "node-error");
            }
        }
        await KeepAsync(tenant, owed, batch.BatchId, claim.Position, answer);
    }

    private async Task SaveAsync(DbConnection c, string batchId, int position, InquiryResponse a) =>
        await c.ExecuteAsync(
            """
            UPDATE inquiry_batch_items SET outcome = @o, reason = @r, message_id = @m, schema_version = @v, content = @c, updated_at = @u,
                provided_at = @p, answered_at = @t
            WHERE batch_id = @b AND position = @pos AND outcome IS NULL
            """, null, ("o", a.Outcome.ToString()), ("r", a.Reason), ("m", a.MessageId), ("v", a.SchemaVersion),
            ("c", a.Content?.GetRawText()), ("u", a.UpdatedAt?.ToString("O")), ("p", a.ProvidedAt is { } p ? InquiryBatchesApi.Text(p) : null),
            ("t", InquiryBatchesApi.Text(time.GetUtcNow())), ("b", batchId), ("pos", position));

    /// <summary>How long a tenant's batches pause at least after its database said its disk is full: as long as a full disk's 503 asks a client to wait.</summary>
    public static readonly TimeSpan FullPause = TimeSpan.FromSeconds(Database.FullRetrySeconds);
}
