using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Cards;
using Renkei.Pki.Certificates;
using Renkei.Pki.Registry;

namespace Renkei.Pki.Revocation;

/// <summary>
/// Follows the Registry's event feed and revokes what a change makes untrue: a name or address
/// change (or a move-in, which gives a new address) revokes the signing certificate only; a death
/// or a move abroad revokes both and marks the card holder-gone; a change or a move abroad only of certificates whose items
/// were read at a feed position before the event's, a death every one. The feed position and the id of the event at it are
/// kept in the PKI database in the same transaction as the revocations, so a restart resumes without missing or repeating one,
/// and each read asks the Registry whether that position still holds that event: a Registry restored from a backup gives its
/// positions to other events, and the follower then stops (<see cref="Rewound"/>) until CardRecheck has been run.
/// </summary>
public sealed class RegistryEventFollower(
    IServiceProvider services, Database database, RevocationService revocation, TimeProvider clock, PkiOptions options, ILogger<RegistryEventFollower> logger)
    : BackgroundService
{
    private static readonly CertificateKind[] SigningOnly = [CertificateKind.Signing];
    private static readonly CertificateKind[] Both = [CertificateKind.Signing, CertificateKind.Authentication];

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
            (Position, EventId) = (await c.QueryAsync("SELECT position, event_id FROM registry_feed WHERE id = 1",
                r => (r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1)), null)).FirstOrDefault();
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
        (CertificateKind[] Kinds, RevocationReason Reason)? action = e.Kind switch
        {
            "name-change" or "address-change" or "move-in" => (SigningOnly, RevocationReason.ItemsChanged),
            "death" => (Both, RevocationReason.HolderGone),
            "move-out" => await MovedAbroadAsync(registry, e, ct) ? (Both, RevocationReason.HolderGone) : null,
            _ => null,
        };
        await SaveAsync(e.Position, e.EventId, action is null ? [] : [(e.ResidentId, action.Value.Kinds, action.Value.Reason, Stale(e, action.Value.Reason))]);
        if (action is not null)
            logger.LogInformation("Registry event {Position} ({Kind}) applied to resident {ResidentId}", e.Position, e.Kind, e.ResidentId);
    }

    /// <summary>
    /// What the event makes untrue: a death, every certificate of the person (a card cannot outlive its holder, whatever position its
    /// items carry); otherwise certificates whose items the Registry gave at a position before the event's (its feed is ordered,
    /// the clocks of two hosts are not): a card issued after a return from abroad is spared by the move abroad read late. Those stored
    /// before positions were kept fall back to the old rule: for a changed item, issued before the event was recorded; for a move abroad, every one.
    /// </summary>
    private static StaleBefore Stale(RegistryEvent e, RevocationReason reason) =>
        e.Kind == "death" ? StaleBefore.Everything
        : new(e.Position, reason == RevocationReason.HolderGone ? StaleBefore.Everything.IssuedBefore : e.RecordedAt);

    /// <summary>
    /// Whether a move-out was abroad, as the event itself says: the status now would tell a move abroad read after the person's
    /// return as a move within Japan. Only a Registry that does not say yet is asked for the status.
    /// </summary>
    private static async Task<bool> MovedAbroadAsync(RegistryClient registry, RegistryEvent e, CancellationToken ct)
    {
        if (e.DestinationKind is { } kind) return kind == "abroad";
        var (identity, refusal) = await registry.ResidentAsync(e.ResidentId, ct);
        if (identity is null && refusal!.Status >= 500) throw new HttpRequestException($"Registry answered {refusal.Status}");
        return identity?.Status == "abroad";
    }

    private async Task SaveAsync(long position, string eventId, IReadOnlyList<(string ResidentId, CertificateKind[] Kinds, RevocationReason Reason, StaleBefore Stale)> revocations)
    {
        var revoked = new List<string>();
        await using (var c = await database.OpenAsync())
        {
            // Under the lock that activations, withdrawals and the re-check take for each resident it revokes, before any statement: run
            // beside an activation, the activation could count the revocations not yet committed as none and then make the card active
            // for a dead holder (PostgreSQL's READ COMMITTED), and the two would lock certificates and cards in opposite orders.
            await using var tx = await database.BeginSerializedAsync(c, revocations.Select(r => CardStore.LockKey(r.ResidentId)));
            var now = clock.GetUtcNow().UtcDateTime;
            foreach (var (residentId, kinds, reason, stale) in revocations)
            {
                // Only certificates whose items were read before the event: a card issued after it carries the new items (or,
                // after a return from abroad, belongs to a resident again); one read before it, also in the moment between the
                // Registry's answer to the issuance and the card's storing, is revoked.
                revoked.AddRange(await CertificateStore.RevokeOfResidentAsync(c, tx, residentId, kinds, reason, now, stale: stale));
                // The card goes with its holder, so that the counter sees it is no longer in use.
                if (reason == RevocationReason.HolderGone) await CardStore.HolderGoneAsync(c, tx, residentId, stale, now);
            }
            await KeepAsync(c, tx, position, eventId, now);
            await tx.CommitAsync();
        }
        (Position, EventId) = (position, eventId);
        revocation.Published(revoked);
    }

    /// <summary>Keeps the feed position and the id of the event at it (in the caller's transaction).</summary>
    public static async Task KeepAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, long position, string? eventId, DateTime now)
    {
        var updated = await c.ExecuteAsync("UPDATE registry_feed SET position = @p, event_id = @e, updated_at = @t WHERE id = 1", tx,
            ("p", position), ("e", eventId), ("t", CertificateStore.Text(now)));
        if (updated == 0)
            await c.ExecuteAsync("INSERT INTO registry_feed (id, position, event_id, updated_at) VALUES (1, @p, @e, @t)", tx,
                ("p", position), ("e", eventId), ("t", CertificateStore.Text(now)));
    }
}
