using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Renkei.Hosting.Storage;

namespace Renkei.Hosting;

/// <summary>
/// A database the readiness probe checks besides the service's own <see cref="Database"/> (a Node's tenants, which have no
/// shared one). <paramref name="Name"/> is what the 503 names: an agency id is fine, a connection string never.
/// </summary>
public sealed record ReadinessStore(string Name, Database Database);

/// <summary>
/// <c>GET /health/ready</c>: 200 while every database of the service answers, 503 <c>not-ready</c> naming those that do not.
/// <c>GET /health</c> stays the liveness probe: a restart does not bring a database back.
/// </summary>
internal static class Readiness
{
    public static void MapReadiness(this WebApplication app)
    {
        var timeout = ProbeTimeout(app.Services.GetRequiredService<IOptions<StorageOptions>>().Value);
        app.MapGet("/health/ready", (IServiceProvider services, ILoggerFactory logs, CancellationToken ct) => CheckAsync(services, logs, timeout, ct))
            .ExcludeFromDescription();
    }

    /// <summary>
    /// How long a probe waits for each database (<c>Storage:ProbeTimeoutSeconds</c>): a hung one makes an answer, not a hung
    /// probe. Refused at start unless it is more than 0 and at most 600 seconds.
    /// </summary>
    internal static TimeSpan ProbeTimeout(StorageOptions options) =>
        options.ProbeTimeoutSeconds is > 0 and <= 600
            ? TimeSpan.FromSeconds(options.ProbeTimeoutSeconds)
            : throw new InvalidOperationException($"Storage:ProbeTimeoutSeconds（Storage__ProbeTimeoutSeconds）は 0 より大きく 600 以下の秒数です（{options.ProbeTimeoutSeconds}） / "
                + $"Storage:ProbeTimeoutSeconds (Storage__ProbeTimeoutSeconds) must be more than 0 and at most 600 seconds, not {options.ProbeTimeoutSeconds}");

    private static async Task<Results<Ok<Ready>, ProblemHttpResult>> CheckAsync(IServiceProvider services, ILoggerFactory logs, TimeSpan timeout, CancellationToken ct)
    {
        // Told to stop, it finishes what it has (the host's shutdown timeout) but should be sent nothing new: a balancer that
        // asks in that time takes it out of rotation before its connections are refused.
        if (services.GetService<IHostApplicationLifetime>() is { ApplicationStopping.IsCancellationRequested: true })
            return Problems.Result(StatusCodes.Status503ServiceUnavailable, "not-ready", "準備ができていません / The service is not ready",
                "停止中です / The service is stopping.", new Dictionary<string, object?> { ["notReady"] = new[] { "stopping" } });
        var stores = services.GetServices<ReadinessStore>().ToList();
        if (services.GetService<Database>() is { } own) stores.Insert(0, new ReadinessStore("storage", own));
        // At once, not one after another: a node with many tenants still answers within one timeout.
        var probed = await Task.WhenAll(stores.Select(async s => (s.Name, Failure: await s.Database.ProbeAsync(timeout, ct))));
        var failed = probed.Where(p => p.Failure is not null).ToList();
        if (failed.Count == 0) return TypedResults.Ok(new Ready("ready"));
        var log = logs.CreateLogger("Renkei.Hosting.Readiness");
        // The reason goes to the log only (it may name a host or a file); one line, no stack trace: a probe asks every few seconds.
        foreach (var (name, failure) in failed)
            log.LogWarning("準備ができていません / not ready: {Store}: {Reason}", name, LogText.Safe($"{failure!.GetType().Name}: {failure.Message}"));
        var names = failed.Select(f => f.Name).ToList();
        return Problems.Result(StatusCodes.Status503ServiceUnavailable, "not-ready", "準備ができていません / The service is not ready",
            $"ストレージが応答しません（{string.Join("、", names)}） / Storage does not answer: {string.Join(", ", names)}.",
            new Dictionary<string, object?> { ["notReady"] = names });
    }

    internal sealed record Ready(string Status);
}
