using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;

namespace Renkei.Core.Agencies;

/// <summary>The agency register: the network operator registers agencies; anyone on the network reads them.</summary>
public static class AgenciesApi
{
    public static void MapAgencies(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/agencies").WithTags("Agencies");
        group.MapPut("/{agencyId}", Register).RequirePermission("agencies").WithSummary("Registers or updates an agency: kind, code, node address, public keys.");
        group.MapGet("/{agencyId}", Get).WithSummary("One registered agency and its public keys.");
        group.MapGet("/", List).WithSummary("Every registered agency.");
    }

    private static async Task<Results<Ok<Agency>, ProblemHttpResult>> Register(string agencyId, AgencyRegistration registration, AgencyStore store, TimeProvider time)
    {
        var errors = registration.Validate(agencyId);
        if (errors.Count > 0) return Problems.Invalid(errors);
        return TypedResults.Ok(await store.SaveAsync(agencyId, registration, time.GetUtcNow().UtcDateTime));
    }

    private static async Task<Results<Ok<Agency>, ProblemHttpResult>> Get(string agencyId, AgencyStore store) =>
        await store.FindAsync(agencyId) is { } agency
            ? TypedResults.Ok(agency)
            : Problems.NotFound("unknown-agency", "登録されていない機関です / No such agency", $"「{agencyId}」という機関は登録されていません / No agency is registered as '{agencyId}'.");

    private static async Task<Ok<List<Agency>>> List(AgencyStore store) => TypedResults.Ok(await store.ListAsync());
}
