using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Cards;
using Renkei.Pki.Certificates;
using Renkei.Pki.Registry;

namespace Renkei.Pki.Revocation;

/// <summary>
/// Follows the Registry's event feed and revokes what a change makes untrue: a name or address
/// change (or a move-in, which gives a new address) revokes the signing certificate only; a death
/// or a move abroad revokes both and marks the card holder-gone; each only of certificates whose items
/// were read at a feed position before the event's. The feed position is kept in the PKI database in the same
/// transaction as the revocations, so a restart resumes without missing or repeating one.
/// </summary>
public sealed class RegistryEventFollower(
    IServiceProvider services, Database database, RevocationService revocation, TimeProvider clock, PkiOptions options, ILogger<RegistryEventFollower> logger)
    : BackgroundService
{
    private static readonly CertificateKind[] SigningOnly = [CertificateKind.Signing];
    private static readonly CertificateKind[] Both = [CertificateKind.Signing, CertificateKind.Authentication];

    /// <summary>The last position applied (for tests and health).</summary>
    public long Position { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        var started = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!started)
                {
                    await using (var c = await database.OpenAsync(stoppingToken))
                        Position = await c.ScalarAsync<long?>("SELECT position FROM registry_feed WHERE id = 1") ?? 0;
                    started = true;
                }
                var registry = services.GetRequiredService<RegistryClient>();
                var page = await registry.EventsAsync(Position, options.RegistryWaitSeconds, stoppingToken);
                foreach (var e in page.Events) await ApplyAsync(registry, e, stoppingToken);
                if (page.Events.Count == 0 && page.Next > Position) await SaveAsync(page.Next, []);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
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
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, failures)), stoppingToken);
            }
        }
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
        await SaveAsync(e.Position, action is null ? [] : [(e.ResidentId, action.Value.Kinds, action.Value.Reason, Stale(e, action.Value.Reason))]);
        if (action is not null)
            logger.LogInformation("Registry event {Position} ({Kind}) applied to resident {ResidentId}", e.Position, e.Kind, e.ResidentId);
    }

    /// <summary>
    /// What the event makes untrue: certificates whose items the Registry gave at a position before the event's (its feed is ordered,
    /// the clocks of two hosts are not). Those stored before positions were kept fall back to the old rule: for a changed item, issued
    /// before the event was recorded; for a holder gone, every one.
    /// </summary>
    private static StaleBefore Stale(RegistryEvent e, RevocationReason reason) =>
        new(e.Position, reason == RevocationReason.HolderGone ? StaleBefore.Everything.IssuedBefore : e.RecordedAt);

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

    private async Task SaveAsync(long position, IReadOnlyList<(string ResidentId, CertificateKind[] Kinds, RevocationReason Reason, StaleBefore Stale)> revocations)
    {
        var revoked = new List<string>();
        await using (var c = await database.OpenAsync())
        {
            await using var tx = await c.BeginTransactionAsync();
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
            var updated = await c.ExecuteAsync("UPDATE registry_feed SET position = @p, updated_at = @t WHERE id = 1", tx,
                ("p", position), ("t", CertificateStore.Text(now)));
            if (updated == 0)
                await c.ExecuteAsync("INSERT INTO registry_feed (id, position, updated_at) VALUES (1, @p, @t)", tx, ("p", position), ("t", CertificateStore.Text(now)));
            await tx.CommitAsync();
        }
        Position = position;
        revocation.Published(revoked);
    }
}
