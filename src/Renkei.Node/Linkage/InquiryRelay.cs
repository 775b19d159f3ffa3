using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Renkei.Hosting;
using Renkei.Node.Tenants;
using Renkei.Protocol;

namespace Renkei.Node.Linkage;

/// <summary>
/// The answer to one inquiry and its payload, opened. <paramref name="FromCore"/>: the core answered this inquiry itself
/// (and recorded it); otherwise the answer stands for a failure of the message as a whole, which the core did not record.
/// </summary>
public sealed record RelayedAnswer(ProvisionAnswer Answer, string? Opened, bool FromCore);

/// <summary>
/// Carries a tenant's inquiries to the core. A lone inquiry leaves at once; inquiries made while
/// <see cref="NodeOptions.RelayInFlight"/> messages of the tenant are already on their way wait and
/// then leave together in one signed message, as the provision log commits its records in groups.
/// Each round trip so pays one signature, one verification and one TLS exchange per hop for all of
/// them, while each inquiry keeps its own message id, records and sealed answer.
/// </summary>
public sealed class InquiryRelay(CoreLink core, NodeOptions options, TimeProvider time, ILogger<InquiryRelay> log) : IDisposable
{
    private readonly ConcurrentDictionary<(string Tenant, string Provider), Lane> lanes = new();
    // Cancelled when the node is disposed, after its requests and batch worker have stopped: what is still on its way is abandoned.
    private readonly CancellationTokenSource closing = new();

    /// <summary>
    /// The core's answer to one inquiry, with its payload opened (null when none came or it does not
    /// open); failures of the message as a whole come back as an error answer with the reason.
    /// Stopped by <paramref name="ct"/>, an inquiry not yet sent is not sent. With <paramref name="writeAhead"/> (an immediate
    /// inquiry), its row in pending_inquiries is written just before its message leaves; if that fails (a full disk) it is not
    /// sent and the failure is thrown.
    /// </summary>
    public Task<RelayedAnswer> SendAsync(Tenant tenant, InquiryBody inquiry, PendingInquiries.WriteAhead? writeAhead = null, CancellationToken ct = default)
    {
        var pending = new Pending(inquiry, new TaskCompletionSource<RelayedAnswer>(TaskCreationOptions.RunContinuationsAsynchronously), ct, writeAhead);
        // One lane per tenant and provider: a provider that is slow to answer holds up only the inquiries made of it.
        var lane = lanes.GetOrAdd((tenant.AgencyId, inquiry.Provider), _ => new Lane());
        // GetOrAdd may make a lane it then throws away: only the stored one, the first time, gets its loop.
        if (Interlocked.Exchange(ref lane.Started, 1) == 0) _ = Task.Run(() => SendLoopAsync(tenant, lane));
        Interlocked.Increment(ref lane.Waiting);
        if (!lane.Queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(InquiryRelay));
        return pending.Done.Task.WaitAsync(ct);
    }

    private long messages, inquiries;

    /// <summary>Messages sent to the core since start, and the inquiries they carried (their ratio is the batching achieved).</summary>
    public (long Messages, long Inquiries) Sent => (Interlocked.Read(ref messages), Interlocked.Read(ref inquiries));

    /// <summary>How many of a tenant's inquiries wait for a free message slot now, to any provider.</summary>
    public int Waiting(string agencyId) => lanes.Where(l => l.Key.Tenant == agencyId).Sum(l => Volatile.Read(ref l.Value.Waiting));

    public void Dispose()
    {
        closing.Cancel();
        foreach (var lane in lanes.Values) lane.Queue.Writer.TryComplete();
    }

    private sealed record Pending(InquiryBody Inquiry, TaskCompletionSource<RelayedAnswer> Done, CancellationToken Ct, PendingInquiries.WriteAhead? WriteAhead);

    /// <summary>One tenant's queue and the loop that sends it.</summary>
    private sealed class Lane
    {
        public readonly Channel<Pending> Queue = Channel.CreateUnbounded<Pending>(new() { SingleReader = true });
        public int Waiting, Started;
    }

    private async Task SendLoopAsync(Tenant tenant, Lane lane)
    {
        var queue = lane.Queue.Reader;
        var slots = new SemaphoreSlim(options.RelayInFlight);
        while (await queue.WaitToReadAsync())
        {
            await slots.WaitAsync();
            var batch = new List<Pending>();
            while (batch.Count < options.RelayMaxPerMessage && queue.TryRead(out var pending))
            {
                Interlocked.Decrement(ref lane.Waiting);
                if (pending.Ct.IsCancellationRequested) pending.Done.TrySetCanceled(pending.Ct);
                else batch.Add(pending);
            }
            if (batch.Count == 0)
            {
                slots.Release();
                continue;
            }
            _ = Task.Run(async () =>
            {
                try { await SendBatchAsync(tenant, batch); }
                catch (Exception e)
                {
                    // A fault of this node, not of the core: each inquiry still gets an answer, which its caller records.
                    log.LogError("Sending {Count} inquiries failed at the node: {Error}", batch.Count, e.GetType().Name);
                    foreach (var p in batch) p.Done.TrySetResult(new RelayedAnswer(new ProvisionAnswer(p.Inquiry.MessageId, Outcome.Error, "node-error", null, null, false), null, FromCore: false));
                }
                finally { slots.Release(); }
            });
        }
    }

    private async Task SendBatchAsync(Tenant tenant, List<Pending> batch)
    {
        // The immediate inquiries' rows, in one statement for the message. Batch inquiries have their claims, written already.
        var ahead = batch.Where(p => p.WriteAhead is not null).ToList();
        if (ahead.Count > 0)
        {
            try { await PendingInquiries.WriteAsync(tenant, [.. ahead.Select(p => (p.Inquiry, p.WriteAhead!.Value))], closing.Token); }
            catch (Exception e)
            {
                // Nothing says they were asked, so they are not: their callers get the failure (a full disk's 503). The others go.
                foreach (var p in ahead) p.Done.TrySetException(e);
                batch = [.. batch.Where(p => p.WriteAhead is null)];
                if (batch.Count == 0) return;
            }
        }
        Interlocked.Increment(ref messages);
        Interlocked.Add(ref inquiries, batch.Count);
        var message = Envelope.Create(tenant.AgencyId, CoreLink.CoreParty, RelayKinds.Inquiries,
            JsonSerializer.Serialize(batch.Select(p => p.Inquiry), ServiceDefaults.Json), tenant.Keys.Signing, time);
        Dictionary<string, ProvisionAnswer>? answers = null;
        var failure = "core-answer-invalid";
        try
        {
            using var response = await core.Client().PostAsync("api/relay/inquiries", message.ToHttpContent(), closing.Token);
            if (!response.IsSuccessStatusCode) failure = await ReasonOfAsync(response);
            else if (await response.Content.ReadFromJsonAsync<Envelope>(ServiceDefaults.Json) is { } reply && reply.MessageId == message.MessageId
                && await core.VerifyFromCoreAsync(reply, tenant.AgencyId) == EnvelopeVerdict.Accepted)
                answers = reply.BodyAs<ProvisionAnswer>(RelayKinds.InquiryResults)?.Where(a => a.MessageId is not null).DistinctBy(a => a.MessageId)
                    .ToDictionary(a => a.MessageId);
        }
        catch (OperationCanceledException) when (closing.IsCancellationRequested)
        {
            foreach (var p in batch) p.Done.TrySetCanceled(closing.Token);
            return;
        }
        // A body cut short (the core stopped mid-answer) is an HttpRequestException once HttpClient buffered it, an IOException where
        // it is read as a stream, a problem's body too (ReasonOfAsync lets it through): either way the core did not answer.
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException or TaskCanceledException or InvalidOperationException)
        {
            log.LogWarning("Core unreachable for message {MessageId} ({Count} inquiries): {Error}", message.MessageId, batch.Count, e.GetType().Name);
            failure = "core-unreachable";
        }
        // The tenant's opener keeps its key agreements: a provider seals under one ephemeral key a minute.
        var opener = tenant.Keys.Opener;
        foreach (var p in batch)
        {
            var fromCore = answers?.GetValueOrDefault(p.Inquiry.MessageId);
            var answer = fromCore ?? new ProvisionAnswer(p.Inquiry.MessageId, Outcome.Error, failure, null, null, false);
            p.Done.TrySetResult(new RelayedAnswer(answer, answer.Sealed is { } payload ? opener.Open(payload, p.Inquiry.MessageId) : null, fromCore is not null));
        }
    }

    /// <summary>The slug of the core's problem (e.g. <c>stale-message</c>), or <c>core-{status}</c>.</summary>
    private static async Task<string> ReasonOfAsync(HttpResponseMessage response)
    {
        try
        {
            return Problems.OfBody(await response.Content.ReadFromJsonAsync<JsonElement>()).Slug ?? $"core-{(int)response.StatusCode}";
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException) { return $"core-{(int)response.StatusCode}"; }
    }
}
