using System.Security.Claims;
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
        // Whoever explains a past permission decision (the auditor, the Commission) reads the kinds agencies had then here.
        group.MapGet("/history", History).RequirePermission("records")
            .WithSummary("Every registration and change of an agency (who, when, before and after), oldest first; of one agency with agency=.");
        group.MapGet("/{agencyId}", Get).WithSummary("One registered agency and its public keys.");
        group.MapGet("/", List).WithSummary("Every registered agency.");
    }

    private static async Task<Results<Ok<Agency>, ProblemHttpResult>> Register(string agencyId, AgencyRegistration registration, AgencyStore store, TimeProvider time,
        ClaimsPrincipal user, ILogger<AgencyStore> log)
    {
        var errors = registration.Validate(agencyId);
        if (errors.Count > 0) return Problems.Invalid(errors);
        // A caller is always named: the endpoint takes only a configured caller's token.
        var change = await store.SaveAsync(agencyId, registration, time.GetUtcNow().UtcDateTime, user.Identity?.Name ?? "");
        log.LogInformation("Agency {AgencyId} {Action} by {Caller}: {Old} → {New}{Keys}", agencyId, change.Old is null ? "registered" : "changed", change.ChangedBy,
            change.Old?.Summary() ?? "(none)", change.New.Summary(),
            change.Old is { } old && (old.SigningKey, old.EncryptionKey) != (change.New.SigningKey, change.New.EncryptionKey) ? ", new keys" : "");
        return TypedResults.Ok((await store.FindAsync(agencyId))!);
    }

    private static async Task<Ok<List<AgencyChange>>> History(string? agency, AgencyStore store) => TypedResults.Ok(await store.HistoryAsync(agency));

    private static async Task<Results<Ok<Agency>, ProblemHttpResult>> Get(string agencyId, AgencyStore store) =>
        await store.FindAsync(agencyId) is { } agency
            ? TypedResults.Ok(agency)
            : Problems.NotFound("unknown-agency", "登録されていない機関です / No such agency", $"「{agencyId}」という機関は登録されていません / No agency is registered as '{agencyId}'.");

    private static async Task<Ok<List<Agency>>> List(AgencyStore store) => TypedResults.Ok(await store.ListAsync());
}
