using Renkei.Hosting.Storage;
using Renkei.Pki.Registry;

namespace Renkei.Pki.Revocation;

/// <summary>
/// Follows the Registry's event feed and revokes what a change makes untrue (<see cref="RegistryEventRevocation"/>). The feed position
/// and the id of the event at it are kept in the PKI database in the same transaction as the revocations, so a restart resumes without missing or repeating one,
/// and each read asks the Registry whether that position still holds that event: a Registry restored from a backup gives its
/// positions to other events, and the follower then stops (<see cref="Rewound"/>) until CardRecheck has been run.
/// </summary>
public sealed class RegistryEventFollower(
    IServiceProvider services, Database database, RegistryEventRevocation events, TimeProvider clock, PkiOptions options, ILogger<RegistryEventFollower> logger)
    : BackgroundService
{
    // Held while a page is read and applied, and by a re-check for its whole run (HoldAsync).
    private readonly SemaphoreSlim gate = new(1, 1);
    private volatile bool holding;
    private volatile bool reload = true;
    private CancellationTokenSource? poll;

    /// <summary>The last position applied (for tests and health).</summary>
    public long Position { get; private set; }

    /// <summary>The id of the Registry's event at <see cref="Position"/>, as read.</summary>
    public string? EventId { get; private set; }

    /// <summary>Why no event is applied: the Registry's feed is not the one read (null while following).</summary>
    public FeedRewoundException? Rewound { get; private set; }

    /// <summary>Since when <see cref="Rewound"/> holds.</summary>
    public DateTime? RewoundSince { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (holding)
            {
                await Task.Delay(50, stoppingToken);
                continue;
            }
            TimeSpan? wait = null;
            await gate.WaitAsync(stoppingToken);
            try
            {
                if (reload) await LoadAsync(stoppingToken);
                var registry = services.GetRequiredService<RegistryClient>();
                if (EventId is null && Position > 0) await AdoptAsync(registry, stoppingToken);
                using var current = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                poll = current;
                if (holding) current.Cancel();
                var page = await registry.EventsAsync(Position, EventId, options.RegistryWaitSeconds, current.Token);
                if (Rewound is not null)
                {
                    logger.LogWarning("住基のイベントフィードが読んだものと再び一致したため、反映を再開します / The Registry's event feed matches what was read again " +
                        "(position {Position}): applying its events again", Position);
                    (Rewound, RewoundSince) = (null, null);
                }
                foreach (var e in page.Events) await ApplyAsync(registry, e, stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (OperationCanceledException) when (holding) { } // a re-check takes the feed over
            catch (FeedRewoundException e)
            {
                // Said once, in one line, and in GET /api/registry-feed; asked again now and then, in case the right Registry comes back.
                if (Rewound is null) logger.LogError("{Message}", e.Message);
                (Rewound, RewoundSince) = (e, RewoundSince ?? clock.GetUtcNow().UtcDateTime);
                wait = TimeSpan.FromSeconds(Math.Min(30, ++failures));
            }
            catch (Exception e)
            {
                // Whatever failed, the Registry, the network or the PKI's own database (restarted, locked, out of connections),
                // the follower waits and goes on: were it to stop, no death would revoke a certificate again while the PKI
                // went on answering as if all were well.
                failures++;
                if (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
                    logger.LogWarning("Registry event feed unavailable ({Failures} in a row): {Message}", failures, e.Message);
                else
                    logger.LogError("Registry events could not be applied ({Failures} in a row), trying again: {Error} {Message}", failures, e.GetType().Name, e.Message);
                wait = TimeSpan.FromSeconds(Math.Min(30, failures));
            }
            finally
            {
                poll = null;
                gate.Release();
            }
            if (wait is { } w) await Task.Delay(w, stoppingToken);
        }
    }

    /// <summary>
    /// Stops the follower until the returned handle is disposed (a re-check, which moves the kept position itself); the follower
    /// then reads the position again and follows from there.
    /// </summary>
    public async Task<Hold> HoldAsync(CancellationToken ct)
    {
        holding = true;
        try { poll?.Cancel(); } catch (ObjectDisposedException) { }
        try { await gate.WaitAsync(ct); }
        catch { holding = false; throw; }
        return new Hold(this);
    }

    public sealed class Hold(RegistryEventFollower follower) : IAsyncDisposable
    {
        private bool moved;

        /// <summary>The re-check kept a new position: the feed it follows from there is the Registry's as it now is.</summary>
        public void Moved() => moved = true;

        public async ValueTask DisposeAsync()
        {
            // A re-check that stopped short moved nothing: the feed is as rewound as before, and says so since when.
            if (moved) (follower.Rewound, follower.RewoundSince) = (null, null);
            // The position the re-check kept is read before the feed is let go, so that what GET /api/registry-feed says
            // right after a re-check is where the follower goes on from; the loop reads it again should this fail.
            try { await follower.LoadAsync(CancellationToken.None); }
            catch (Exception) { follower.reload = true; }
            follower.holding = false;
            follower.gate.Release();
        }
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        await using (var c = await database.OpenAsync(ct))
            (Position, EventId) = await RegistryEventRevocation.KeptAsync(c);
        reload = false;
    }

    /// <summary>
    /// A position kept before event ids were (migration 0004): the Registry's event there is taken as the one read, once, and said so.
    /// A log that no longer reaches it is a rewound feed like any other.
    /// </summary>
    private async Task AdoptAsync(RegistryClient registry, CancellationToken ct)
    {
        RegistryEvent? at;
        try { at = await registry.EventAtAsync(Position, ct); }
        catch (FeedRewoundException e) { throw new FeedRewoundException(Position, null, e.Latest, beyondEnd: true); }
        if (at is null) throw new FeedRewoundException(Position, null, (await registry.FeedEndAsync(ct)).Position, beyondEnd: true);
        await using (var c = await database.OpenAsync(ct))
            await c.ExecuteAsync("UPDATE registry_feed SET event_id = @e WHERE id = 1 AND position = @p", null, ("e", at.EventId), ("p", Position));
        EventId = at.EventId;
        logger.LogWarning("読取位置 {Position} にイベントIDがないため、住基のその位置のイベント {EventId} を読んだものとしました。それ以前に住基が復元されていた場合は、カードの照合を行ってください / " +
            "The kept position {Position} had no event id (kept by an earlier version): the Registry's event there ({EventId}) is taken as the one read. " +
            "If the Registry was restored from a backup before now, re-check the cards (renkei pki recheck)", Position, at.EventId, Position, at.EventId);
    }

    private async Task ApplyAsync(RegistryClient registry, RegistryEvent e, CancellationToken ct)
    {
        var revoked = await events.ApplyAsync(registry, e, keepPosition: true, ct);
        (Position, EventId) = (e.Position, e.EventId);
        if (revoked is not null)
            logger.LogInformation("Registry event {Position} ({Kind}) applied to resident {ResidentId}", e.Position, e.Kind, e.ResidentId);
    }
}
