using System.ComponentModel.DataAnnotations;
using Renkei.Pki.Cards;
using Renkei.Pki.Certificates;

namespace Renkei.Pki.Revocation;

/// <summary>
/// A re-check as GET /api/registry-feed shows it: <c>running</c>, <c>done</c> or <c>failed</c> (<c>reason</c> and <c>detail</c> say
/// why); the events it replayed, the cards checked of <c>total</c> (null until counted), the cards revoked so far, and once done the
/// position the follower goes on from.
/// </summary>
public sealed record RecheckView(
    [property: AllowedValues("running", "done", "failed")] string State,
    [property: DataType(DataType.DateTime)] string StartedAt, [property: DataType(DataType.DateTime)] string? FinishedAt,
    int Replayed, int Checked, int? Total, List<string> HolderGone, List<string> ItemsChanged,
    long? Position, string? EventId, string? Reason, string? Detail);

/// <summary>
/// The re-check as a background job of the PKI: a real register's cards take far longer to check than an HTTP request may wait, so
/// POST /api/registry-feed/recheck starts it and answers at once, and GET /api/registry-feed shows how far it has come and how it
/// ended. One runs at a time; the last one's outcome is kept until the next starts or the PKI restarts. Stopping the PKI stops it
/// between two cards (what it revoked stays revoked; the position is not moved).
/// </summary>
public sealed class RecheckJob(IServiceProvider services, TimeProvider clock, ILogger<RecheckJob> logger) : IHostedService
{
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stopping = new();
    private Run? last;

    private sealed class Run(DateTime startedAt)
    {
        public DateTime StartedAt { get; } = startedAt;
        public RecheckProgress Progress { get; } = new();
        public Task Task { get; set; } = Task.CompletedTask;
        public DateTime? FinishedAt { get; set; }
        public RecheckResult? Result { get; set; }
        public CardRefusal? Failure { get; set; }
    }

    /// <summary>The running re-check, or the last one since the PKI started; null if none.</summary>
    public RecheckView? View => last is { } run ? ViewOf(run) : null;

    /// <summary>Starts a re-check; when one is running already, starts none and returns that one's view with <c>Started</c> false.</summary>
    public (RecheckView View, bool Started) Start()
    {
        Run run;
        lock (gate)
        {
            if (last is { FinishedAt: null } running) return (ViewOf(running), false);
            run = last = new Run(clock.GetUtcNow().UtcDateTime);
            run.Task = Task.Run(() => RunAsync(run));
        }
        return (ViewOf(run), true);
    }

    private async Task RunAsync(Run run)
    {
        RecheckResult? result = null;
        CardRefusal? failure;
        try { (result, failure) = await ActivatorUtilities.CreateInstance<CardRecheck>(services).RunAsync(run.Progress, stopping.Token); }
        catch (Exception e)
        {
            // Whatever failed (the PKI's own database, say): what was revoked stays revoked, and the position was not moved.
            logger.LogError(e, "カードの照合が失敗しました / The card re-check failed");
            failure = new CardRefusal(500, "recheck-failed", "カードの照合が失敗しました / The card re-check failed",
                $"照合が途中で失敗しました（{e.GetType().Name}）。照合済みの失効はそのままです。読取位置は動かしていないため、原因を取り除いてから照合をやり直してください / " +
                $"The re-check failed part-way ({e.GetType().Name}; the PKI's log says more): what it revoked stays revoked, and the feed position was not moved. " +
                "Run it again once the cause is removed.");
        }
        if (failure is not null)
            logger.LogWarning("カードの照合が終わらずに止まりました / The card re-check stopped short: {Reason}: {Detail}", failure.Slug, failure.Detail);
        lock (gate) (run.Result, run.Failure, run.FinishedAt) = (result, failure, clock.GetUtcNow().UtcDateTime);
    }

    private RecheckView ViewOf(Run run)
    {
        RecheckResult? result;
        CardRefusal? failure;
        DateTime? finished;
        lock (gate) (result, failure, finished) = (run.Result, run.Failure, run.FinishedAt);
        var (holderGone, itemsChanged) = run.Progress.Cards();
        return new RecheckView(finished is null ? "running" : failure is null ? "done" : "failed",
            CertificateStore.Text(run.StartedAt), finished is { } f ? CertificateStore.Text(f) : null,
            run.Progress.Replayed, run.Progress.Checked, run.Progress.Total, holderGone, itemsChanged,
            result?.Position, result?.EventId, failure?.Slug, failure?.Detail);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stops a running re-check between two cards and waits for it, as long as the host lets it.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        if (last is { } run)
            try { await run.Task.WaitAsync(cancellationToken); }
            catch (OperationCanceledException) { }
    }
}
