using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Node.Tenants;
using Renkei.Protocol;
using Renkei.Protocol.Records;

namespace Renkei.Node.Linkage;

/// <summary>A staff member's or business system's inquiry: the person by AddresseeNumber, the affair, the provider and the item.</summary>
public sealed record InquiryRequest(string? AddresseeNumber, string? Affair, string? Provider, string? Item, DateTimeOffset? NotBefore);

/// <summary>The answer the caller gets: the outcome, and the copy when provided.</summary>
public sealed record InquiryResponse(string MessageId, Outcome Outcome, string? Reason, string Provider, string Item,
    int? SchemaVersion = null, JsonElement? Content = null, DateTime? UpdatedAt = null, DateTimeOffset? ProvidedAt = null);

/// <summary>
/// 情報照会: the requester's node checks the caller's affairs (the prefix check), maps the addressee
/// to its own agency code, signs the inquiry to the core, verifies the core's signed answer, opens
/// the payload sealed to this tenant, records the inquiry and answers.
/// </summary>
public static class InquiriesApi
{
    public static void MapInquiries(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/tenants/{agencyId}/inquiries", Inquire).WithTags("Inquiries").RequireAuthorization(NodeApp.StaffPolicy)
            .WithSummary("Asks a provider for an item about a person, for one of the caller's affairs.");
    }

    public static async Task<Results<Ok<InquiryResponse>, ProblemHttpResult>> Inquire(string agencyId, InquiryRequest request,
        ClaimsPrincipal user, TenantDirectory tenants, CoreLink core, TimeProvider time, ILogger<InquiryRequest> log)
    {
        var (tenant, problem) = tenants.Enter(user, agencyId);
        if (tenant is null) return problem!;
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.AddresseeNumber)) errors["addresseeNumber"] = ["必須です / is required"];
        if (string.IsNullOrWhiteSpace(request.Affair)) errors["affair"] = ["必須です / is required"];
        if (string.IsNullOrWhiteSpace(request.Provider)) errors["provider"] = ["必須です / is required"];
        if (string.IsNullOrWhiteSpace(request.Item)) errors["item"] = ["必須です / is required"];
        if (errors.Count > 0) return Problems.Invalid(errors);

        var messageId = Envelope.NewId();
        var requestedAt = time.GetUtcNow();
        // The connection is closed before the round trip: holding it while the record writer needs one could drain the pool.
        var code = await tenant.AgencyCodeOfAsync(request.AddresseeNumber);

        // The prefix check: a caller may ask only for the affairs it is assigned.
        if (!user.IsInRole("affair:" + request.Affair))
        {
            await tenant.Records.AppendAsync(new ProvisionEntry(messageId, requestedAt, null, agencyId, request.Provider!, request.Affair!, request.Item!,
                code, Outcome.NotPermitted, "affair-not-assigned", false));
            return Problems.Result(403, "affair-not-assigned", "この事務の権限がありません / The caller is not assigned this affair",
                $"Ask someone assigned '{request.Affair}'.");
        }
        if (code is null)
            return Problems.NotFound("no-agency-code", "この宛名番号の符号がありません / No agency code for this addressee",
                "Obtain the code through the addressee system first.");
        return TypedResults.Ok(await AskAsync(tenant, request, code, core, time, log));
    }

    /// <summary>
    /// The inquiry itself, once the caller's affair is checked and the person's code found: shared by
    /// immediate inquiries and the batch worker. Stopped by <paramref name="ct"/>, it records the
    /// attempt as interrupted and throws, so that a batch item stays pending.
    /// </summary>
    public static async Task<InquiryResponse> AskAsync(Tenant tenant, InquiryRequest request, string code, CoreLink core, TimeProvider time, ILogger log,
        CancellationToken ct = default)
    {
        var agencyId = tenant.AgencyId;
        var messageId = Envelope.NewId();
        var requestedAt = time.GetUtcNow();
        var body = new InquiryBody(code, request.Affair!, request.Provider!, request.Item!, request.NotBefore);
        var envelope = Envelope.Create(agencyId, CoreLink.CoreParty, "inquiry", JsonSerializer.Serialize(body, ServiceDefaults.Json), tenant.Keys.Signing, time, messageId);
        ProvisionAnswer answer;
        try
        {
            using var response = await core.Client().PostAsJsonAsync("api/relay/inquiries", envelope, ServiceDefaults.Json, ct);
            var reply = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<Envelope>(ServiceDefaults.Json) : null;
            if (reply is null)
            {
                var reason = await ReasonOfAsync(response);
                answer = new ProvisionAnswer(Outcome.Error, reason, null, null, false);
            }
            else if (reply.MessageId != messageId || reply.Kind != "inquiry-result" || await core.VerifyFromCoreAsync(reply, agencyId) != EnvelopeVerdict.Accepted)
                answer = new ProvisionAnswer(Outcome.Error, "core-answer-invalid", null, null, false);
            else answer = JsonSerializer.Deserialize<ProvisionAnswer>(reply.Body, ServiceDefaults.Json)!;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await tenant.Records.AppendAsync(new ProvisionEntry(messageId, requestedAt, null, agencyId, request.Provider!, request.Affair!,
                request.Item!, code, Outcome.Error, "interrupted", false));
            throw;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException)
        {
            log.LogWarning("Core unreachable for inquiry {MessageId}: {Error}", messageId, e.GetType().Name);
            answer = new ProvisionAnswer(Outcome.Error, "core-unreachable", null, null, false);
        }

        ProvidedCopy? copy = null;
        if (answer.Outcome == Outcome.Provided)
        {
            var opened = answer.Sealed?.Open(tenant.Keys.Encryption, messageId);
            copy = opened is null ? null : JsonSerializer.Deserialize<ProvidedCopy>(opened, ServiceDefaults.Json);
            if (copy is null) answer = answer with { Outcome = Outcome.Error, Reason = "unreadable-payload" };
        }
        await tenant.Records.AppendAsync(new ProvisionEntry(messageId, requestedAt, answer.ProvidedAt, agencyId, request.Provider!, request.Affair!,
            request.Item!, code, answer.Outcome, answer.Reason, answer.Withheld));
        return new InquiryResponse(messageId, answer.Outcome, answer.Reason, request.Provider!, request.Item!,
            copy?.SchemaVersion, copy?.Content, copy?.UpdatedAt, answer.ProvidedAt);
    }

    private static async Task<string> ReasonOfAsync(HttpResponseMessage response)
    {
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            var type = problem.TryGetProperty("type", out var t) ? t.GetString() : null;
            return type is null ? $"core-{(int)response.StatusCode}" : Problems.SlugOf(type);
        }
        catch (JsonException) { return $"core-{(int)response.StatusCode}"; }
    }
}
