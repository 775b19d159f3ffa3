namespace Renkei.Pki.Cards;

/// <summary>
/// Withdraws cards left pending by an issuance that never finished (CardIssuance.WithdrawAbandonedAsync): at start, which is
/// when a crash's leftovers are found, and then every minute (another PKI process on the same database may have crashed).
/// </summary>
public sealed class AbandonedCards(IServiceProvider services, PkiOptions options, TimeProvider clock, ILogger<AbandonedCards> log) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Tried again at the next round; a database that is away is the readiness probe's to report.
                log.LogWarning("保留中のカードを確認できませんでした / could not check the pending cards: {Reason}", e.GetType().Name);
            }
            try { await Task.Delay(Interval, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Withdraws the cards pending for longer than <see cref="PkiOptions.PendingCardMinutes"/>; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var storedBefore = clock.GetUtcNow().UtcDateTime.AddMinutes(-options.PendingCardMinutes);
        var withdrawn = await services.GetRequiredService<CardIssuance>().WithdrawAbandonedAsync(storedBefore, ct);
        if (withdrawn > 0)
            log.LogWarning("発行が完了しなかった保留中のカード {Count} 枚を取り下げ、証明書を失効しました / withdrew {Count} pending card(s) whose issuance never finished, revoking their certificates",
                withdrawn, withdrawn);
        return withdrawn;
    }
}
