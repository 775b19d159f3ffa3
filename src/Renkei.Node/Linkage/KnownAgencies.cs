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
/// not answer, or answers what cannot be read, leaves the id unknown. The list is first read when the node has started
/// (<see cref="ReadAtStart"/>), so that the first request needing it does not pay for a cold read.
/// </summary>
public sealed class KnownAgencies(CoreLink core, NodeOptions options, TimeProvider time, ILogger<KnownAgencies> log)
{
    public static readonly TimeSpan MissInterval = TimeSpan.FromSeconds(5);

    /// <summary>The longest a read may take: no caller waits longer for one (<c>Node:AgencyListWaitSeconds</c> is at most this).</summary>
    public static readonly TimeSpan ReadLimit = TimeSpan.FromSeconds(10);

    /// <summary>How long a request waits for a read of the list (<c>Node:AgencyListWaitSeconds</c>).</summary>
    public TimeSpan LongestWait { get; } = TimeSpan.FromSeconds(options.AgencyListWaitSeconds);

    private volatile FrozenSet<string> ids = FrozenSet<string>.Empty;
    // Whether the latest read got the list: if not, an id missing from it may be the core's, unseen.
    private volatile bool lastReadFailed;
    private readonly Lock sync = new();
    private Task reading = Task.CompletedTask, atStart = Task.CompletedTask;
    // When the latest read asked for by a missing id began (0: none yet); the read at start does not count.
    private long readStarted;

    /// <summary>
    /// Starts the first read and does not wait for it: the node starts even while the core is down, and a read that fails
    /// leaves the first miss to read again. Nor does it start <see cref="MissInterval"/>: agencies are registered after their
    /// node starts (the core needs their keys from it), so a list read at start may not name them yet.
    /// </summary>
    public void ReadAtStart()
    {
        lock (sync) if (readStarted == 0 && reading.IsCompleted) reading = atStart = Task.Run(ReadAsync);
    }

    /// <summary>
    /// True if the core registered <paramref name="agencyId"/>; false if the core's list, just read, does not name it;
    /// null if the list could not be read (the core unreachable or too slow) and it was not known before.
    /// </summary>
    public async Task<bool?> KnowsAsync(string agencyId)
    {
        if (ids.Contains(agencyId)) return true;
        using var waited = new CancellationTokenSource(LongestWait);
        for (var first = true; ; first = false)
        {
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
            try { await read.WaitAsync(waited.Token); }
            catch (OperationCanceledException) { return ids.Contains(agencyId) ? true : null; }
            if (ids.Contains(agencyId)) return true;
            // The read at start may have begun before the agency was registered: a miss then reads once more (within the same wait).
            if (read != atStart || !first) return lastReadFailed ? null : false;
        }
    }

    /// <summary>The provider a record made without the core's answer holds: the id if the core registered it, else <c>unknown</c>.</summary>
    public async Task<string> RecordedProviderAsync(string provider) => RelayKinds.RecordedProvider(provider, known: await KnowsAsync(provider) == true);

    private async Task ReadAsync()
    {
        try
        {
            // Its own cap, on the whole read: the core's client waits Node:CoreWaitSeconds (1 to 7200 s, for a relay), and only
            // for the headers, where GetStreamAsync returns: a list trickled after prompt headers is ended by this limit alone,
            // however short that wait. The catch below takes whichever ends the read.
            using var timeout = new CancellationTokenSource(ReadLimit);
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
