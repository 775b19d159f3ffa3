using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;

namespace Renkei.Pki.Revocation;

/// <summary>
/// How the PKI follows the Registry's events: <c>following</c>, <c>rewound</c> (the Registry's feed is not the one read, so no
/// event is applied; <c>detail</c> says why and what to do) or <c>not-following</c> (no Registry, or Pki:FollowRegistryEvents off);
/// <c>recheck</c> is the running re-check, or the last one since the PKI started.
/// </summary>
public sealed record RegistryFeedView([property: AllowedValues("following", "rewound", "not-following")] string Status, long Position, string? EventId,
    long? RegistryLatest, [property: DataType(DataType.DateTime)] string? Since, string? Detail, RecheckView? Recheck);

/// <summary>The operator's view of the Registry feed and the re-check that recovers from a restored Registry (permission <c>pki:registry-feed</c>).</summary>
public static class RegistryFeedApi
{
    public static void MapRegistryFeed(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/registry-feed").WithTags("Registry feed").RequirePermission("pki:registry-feed");
        group.MapGet("/", Get).WithSummary("Whether the PKI follows the Registry's events, from which position and event, and how the running (or last) re-check goes.");
        group.MapPost("/recheck", Recheck).WithSummary("照合: starts checking every live card's holder against the Registry's current records in the " +
            "background (202; its progress and outcome in GET /api/registry-feed): revokes what is no longer true, then follows the events on " +
            "from the Registry's end as it was when the re-check began. 409 while one runs.")
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static Ok<RegistryFeedView> Get(IServiceProvider services) => TypedResults.Ok(View(services, services.GetRequiredService<RecheckJob>().View));

    private static RegistryFeedView View(IServiceProvider services, RecheckView? recheck)
    {
        if (services.GetService<RegistryEventFollower>() is not { } follower)
            return new RegistryFeedView("not-following", 0, null, null, null, null, recheck);
        return follower.Rewound is { } rewound
            ? new RegistryFeedView("rewound", follower.Position, follower.EventId, rewound.Latest,
                follower.RewoundSince is { } since ? Certificates.CertificateStore.Text(since) : null, rewound.Message, recheck)
            : new RegistryFeedView("following", follower.Position, follower.EventId, null, null, null, recheck);
    }

    /// <summary>
    /// Starts a re-check. One already running is not joined: its caller is told (409) and may follow it at GET /api/registry-feed,
    /// where it was started from and how far it has come; a second run started behind it would only check every card again.
    /// </summary>
    private static Results<Accepted<RegistryFeedView>, ProblemHttpResult> Recheck(IServiceProvider services)
    {
        var (recheck, started) = services.GetRequiredService<RecheckJob>().Start();
        if (started) return TypedResults.Accepted("/api/registry-feed", View(services, recheck));
        return Problems.Result(409, "recheck-running", "照合はすでに実行中です / A re-check is already running",
            $"{recheck.StartedAt} に始まった照合が実行中です（{recheck.Total?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} 枚中 {recheck.Checked} 枚を照合済み）。" +
            $"新しい照合は始めていません。進み具合は GET /api/registry-feed（renkei pki feed）で見られます / The re-check started at {recheck.StartedAt} is still running " +
            $"({recheck.Checked} of {recheck.Total?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} cards checked); no other was started. " +
            "Follow it at GET /api/registry-feed (renkei pki feed).");
    }
}
