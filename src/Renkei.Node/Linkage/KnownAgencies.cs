using System.Collections.Frozen;
using System.Text.Json;
using Renkei.Protocol;

namespace Renkei.Node.Linkage;

/// <summary>
/// The agency ids the core has registered, read from its public list (<c>GET /api/agencies</c>) and kept. Where the node
/// records an inquiry without the core's answer about it (refused before it was sent, or the core not reached), the provider
/// is recorded as given only if this list names it (<see cref="RelayKinds.RecordedProvider(string, bool)"/>): an id of the
/// right form that names nobody may be an Individual Number with a digit before it. Each list read replaces the last (a core
/// on an emptied database knows nobody), and one that fails keeps it; an id not in the list has it read again, at most
/// once per <see cref="MissInterval"/>, and nobody waits for that longer than <see cref="LongestWait"/>: a core that does
/// not answer, or answers what cannot be read, leaves the id unknown.
/// </summary>
public sealed class KnownAgencies(CoreLink core, TimeProvider time, ILogger<KnownAgencies> log)
{
    public static readonly TimeSpan MissInterval = TimeSpan.FromSeconds(5), LongestWait = TimeSpan.FromSeconds(3);

    private volatile FrozenSet<string> ids = FrozenSet<string>.Empty;
    // Whether the latest read got the list: if not, an id missing from it may be the core's, unseen.
    private volatile bool lastReadFailed;
    private readonly Lock sync = new();
    private Task reading = Task.CompletedTask;
    private long readStarted;

    /// <summary>
    /// True if the core registered <paramref name="agencyId"/>; false if the core's list, just read, does not name it;
    /// null if the list could not be read (the core unreachable or too slow) and it was not known before.
    /// </summary>
    public async Task<bool?> KnowsAsync(string agencyId)
    {
        if (ids.Contains(agencyId)) return true;
        Task read;
        lock (sync)
        {
            // One read at a time, and none sooner than MissInterval after the last began: a stream of unknown ids costs the core little.
            if (reading.IsCompleted && (readStarted == 0 || time.GetElapsedTime(readStarted) >= MissInterval))
            {
                readStarted = time.GetTimestamp();
                reading = Task.Run(ReadAsync);
            }
            read = reading;
        }
        try { await read.WaitAsync(LongestWait); }
        catch (TimeoutException) { return ids.Contains(agencyId) ? true : null; }
        return ids.Contains(agencyId) ? true : lastReadFailed ? null : false;
    }

    /// <summary>The provider a record made without the core's answer holds: the id if the core registered it, else <c>unknown</c>.</summary>
    public async Task<string> RecordedProviderAsync(string provider) => RelayKinds.RecordedProvider(provider, known: await KnowsAsync(provider) == true);

    private async Task ReadAsync()
    {
        try
        {
            // Its own limit: the core's client waits 45 s for a relay, far longer than a list should take.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await using var body = await core.Client().GetStreamAsync("api/agencies", timeout.Token);
            using var list = await JsonDocument.ParseAsync(body, cancellationToken: timeout.Token);
            ids = list.RootElement.EnumerateArray()
                .Select(a => a.ValueKind == JsonValueKind.Object && a.TryGetProperty("agencyId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null)
                .OfType<string>().ToFrozenSet();
            lastReadFailed = false;
        }
        // Whatever stops the read, the list was not read, and no caller waits on it but for LongestWait: it runs apart from
        // them, under its own time limit. Listing the failures let one through (a body cut short is an IOException, not an
        // HttpRequestException), and then every record made without the core's answer failed with a 500 for MissInterval.
        catch (Exception e)
        {
            lastReadFailed = true;
            log.LogWarning("The core's agency list could not be read: {Error}", e.GetType().Name);
        }
    }
}
