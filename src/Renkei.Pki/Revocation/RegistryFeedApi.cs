using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;

namespace Renkei.Pki.Revocation;

/// <summary>
/// How the PKI follows the Registry's events: <c>following</c>, <c>rewound</c> (the Registry's feed is not the one read, so no
/// event is applied; <c>detail</c> says why and what to do) or <c>not-following</c> (no Registry, or Pki:FollowRegistryEvents off).
/// </summary>
public sealed record RegistryFeedView([property: AllowedValues("following", "rewound", "not-following")] string Status, long Position, string? EventId,
    long? RegistryLatest, [property: DataType(DataType.DateTime)] string? Since, string? Detail);

/// <summary>The operator's view of the Registry feed and the re-check that recovers from a restored Registry (permission <c>pki:registry-feed</c>).</summary>
public static class RegistryFeedApi
{
    public static void MapRegistryFeed(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/registry-feed").WithTags("Registry feed").RequirePermission("pki:registry-feed");
        group.MapGet("/", Get).WithSummary("Whether the PKI follows the Registry's events, and from which position and event.");
        group.MapPost("/recheck", Recheck).WithSummary("照合: checks every live card's holder against the Registry's current records, " +
            "revokes what is no longer true, and follows the events on from the Registry's current end.");
    }

    private static Ok<RegistryFeedView> Get(IServiceProvider services)
    {
        if (services.GetService<RegistryEventFollower>() is not { } follower)
            return TypedResults.Ok(new RegistryFeedView("not-following", 0, null, null, null, null));
        return TypedResults.Ok(follower.Rewound is { } rewound
            ? new RegistryFeedView("rewound", follower.Position, follower.EventId, rewound.Latest,
                follower.RewoundSince is { } since ? Certificates.CertificateStore.Text(since) : null, rewound.Message)
            : new RegistryFeedView("following", follower.Position, follower.EventId, null, null, null));
    }

    private static async Task<Results<Ok<RecheckResult>, ProblemHttpResult>> Recheck(IServiceProvider services, CancellationToken ct)
    {
        var (result, refusal) = await ActivatorUtilities.CreateInstance<CardRecheck>(services).RunAsync(ct);
        return result is not null ? TypedResults.Ok(result) : Problems.Result(refusal!.Status, refusal.Slug, refusal.Title, refusal.Detail);
    }
}
