using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Core.Agencies;
using Renkei.Core.Codes;
using Renkei.Core.Permissions;
using Renkei.Hosting;
using Renkei.Hosting.Tls;
using Renkei.Protocol;
using Renkei.Protocol.Records;

namespace Renkei.Core.Relay;

/// <summary>
/// 情報照会・情報提供の中継: checks the requester's signed inquiry against the permission table,
/// translates the requester's code into the provider's, relays to the provider's node and back,
/// and records every inquiry, refused ones too. The answer travels sealed to the requester's node:
/// the core cannot read it.
/// </summary>
public static class RelayApi
{
    public static void MapRelay(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/relay/inquiries", Relay).WithTags("Relay")
            .WithSummary("A node's signed inquiry; answers with the core's signed result (the payload sealed to the requester).");
    }

    private static async Task<Results<Ok<Envelope>, ProblemHttpResult>> Relay(Envelope envelope, HttpContext context, AgencyStore agencies, PermissionTable table,
        AgencyCodes codes, EnvelopeVerifier verifier, CoreIdentity core, ProvisionLog records, IHttpClientFactory http, TimeProvider time, ILogger<Envelope> log)
    {
        var requester = await agencies.FindAsync(envelope.Sender);
        // The connection must come from the node registered for the sending agency; a sender nobody
        // registered gets past any node's certificate only to be refused as unknown-sender below.
        if (context.RefuseUnlessFrom(id => requester is null ? NetworkIdentity.IsNode(id) : id == NetworkIdentity.Node(requester.NodeId),
                "the node registered for the sending agency") is { } refused) return refused;
        var verdict = verifier.Verify(envelope, CoreIdentity.PartyId, _ => agencies.SigningKeyOf(requester));
        if (verdict != EnvelopeVerdict.Accepted)
        {
            var (slug, title) = EnvelopeVerifier.Describe(verdict);
            log.LogWarning("Refused an inquiry message: {Reason}", slug);
            return Problems.Result(EnvelopeVerifier.StatusOf(verdict), slug, title);
        }
        InquiryBody? body = null;
        try { if (envelope.Kind == "inquiry") body = JsonSerializer.Deserialize<InquiryBody>(envelope.Body, ServiceDefaults.Json); }
        catch (JsonException) { }
        if (body is null || string.IsNullOrEmpty(body.AgencyCode) || string.IsNullOrEmpty(body.Affair) || string.IsNullOrEmpty(body.Item) || string.IsNullOrEmpty(body.Provider))
            return Problems.BadRequest("malformed-inquiry", "照会の内容が読めません / The inquiry could not be read");

        var requestedAt = time.GetUtcNow();
        async Task<Ok<Envelope>> Answer(Outcome outcome, string? reason, SealedPayload? sealedPayload = null, DateTimeOffset? providedAt = null, bool withheld = false)
        {
            await records.AppendAsync(new ProvisionEntry(envelope.MessageId, requestedAt, providedAt, requester!.AgencyId, body.Provider,
                body.Affair, body.Item, body.AgencyCode, outcome, reason, withheld));
            var answer = new ProvisionAnswer(outcome, reason, sealedPayload, providedAt, withheld);
            return TypedResults.Ok(Envelope.Create(CoreIdentity.PartyId, requester.AgencyId, "inquiry-result",
                JsonSerializer.Serialize(answer, ServiceDefaults.Json), core.Keys.Signing, time, envelope.MessageId));
        }

        var provider = await agencies.FindAsync(body.Provider);
        if (provider is null) return await Answer(Outcome.NotPermitted, "unknown-provider");
        var decision = table.Check(requester!, body.Affair, provider, body.Item);
        if (!decision.Permitted)
        {
            log.LogInformation("Inquiry {MessageId} refused by the permission table: {Reason}", envelope.MessageId, decision.RefusalSlug);
            return await Answer(Outcome.NotPermitted, decision.RefusalSlug);
        }
        var providerCode = codes.Translate(requester!.AgencyId, body.AgencyCode, provider.AgencyId);
        if (providerCode is null) return await Answer(Outcome.Error, "unknown-code");

        var request = new ProvisionRequest(requester.AgencyId, requester.Keys.EncryptionKey, body.Affair, body.Item, providerCode, body.NotBefore, requestedAt);
        var forward = Envelope.Create(CoreIdentity.PartyId, provider.AgencyId, "provision-request",
            JsonSerializer.Serialize(request, ServiceDefaults.Json), core.Keys.Signing, time, envelope.MessageId);
        try
        {
            using var response = await http.CreateClient("nodes").PostAsJsonAsync(
                new Uri(new Uri(provider.NodeAddress), $"api/tenants/{provider.AgencyId}/provisions"), forward, ServiceDefaults.Json);
            if (!response.IsSuccessStatusCode) return await Answer(Outcome.Error, "provider-refused");
            var reply = await response.Content.ReadFromJsonAsync<Envelope>(ServiceDefaults.Json);
            if (reply is null || reply.Kind != "provision" || reply.MessageId != envelope.MessageId
                || verifier.Verify(reply, CoreIdentity.PartyId, s => s == provider.AgencyId ? agencies.SigningKeyOf(provider) : null) != EnvelopeVerdict.Accepted)
                return await Answer(Outcome.Error, "provider-answer-invalid");
            // A signed reply whose body is no answer is still recorded, as an error.
            if (JsonSerializer.Deserialize<ProvisionAnswer>(reply.Body, ServiceDefaults.Json) is not { } answer)
                return await Answer(Outcome.Error, "provider-answer-invalid");
            return await Answer(answer.Outcome, answer.Reason, answer.Sealed, answer.ProvidedAt, answer.Withheld);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException)
        {
            log.LogWarning("Provider node of {Provider} failed for inquiry {MessageId}: {Error}", provider.AgencyId, envelope.MessageId, e.GetType().Name);
            return await Answer(Outcome.Error, "provider-unreachable");
        }
    }
}
