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
/// 情報照会・情報提供の中継: checks each of a requester's signed inquiries against the permission
/// table, translates the requester's code into the provider's, relays them to the providers' nodes
/// (one message per provider) and back, and records every inquiry, refused ones too. Answers travel
/// sealed to the requester's node: the core cannot read them.
/// </summary>
public static class RelayApi
{
    public static void MapRelay(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/relay/inquiries", Relay).WithTags("Relay")
            .RequireNetworkParty(NetworkIdentity.IsNode, "中間サーバー", "a node")
            .WithSummary("A node's signed inquiries (one or more); answers with the core's signed results, each payload sealed to the requester.");
    }

    private static async Task<Results<Ok<Envelope>, ProblemHttpResult>> Relay(Envelope envelope, HttpContext context, AgencyStore agencies, PermissionTable table,
        AgencyCodes codes, EnvelopeVerifier verifier, CoreIdentity core, ProvisionLog records, IHttpClientFactory http, TimeProvider time, ILoggerFactory logs)
    {
        // Under the relay's own category: refusals here are the core's decisions, not the protocol library's.
        var log = logs.CreateLogger(typeof(RelayApi));
        var (requester, refused) = await agencies.AdmitAsync(envelope, RelayKinds.Inquiries, context, verifier, log);
        if (refused is not null) return refused;
        var inquiries = envelope.BodyAs<InquiryBody>(RelayKinds.Inquiries);
        if (inquiries is null || !inquiries.All(IsComplete) || inquiries.DistinctBy(i => i.MessageId).Count() != inquiries.Count)
            return Problems.BadRequest("malformed-inquiry", "照会の内容が読めません / The inquiry could not be read",
                $"本文は1〜{RelayKinds.MaxPerMessage}件の照会の一覧で、各照会にそれぞれ別のメッセージID、コアが発行する形の符号、事務、情報提供者、特定個人情報（名前は{RelayKinds.MaxNameLength}文字以内）が必要です / " +
                $"The body is a list of 1 to {RelayKinds.MaxPerMessage} inquiries, each with its own message id, a code of the form the core issues, affair, provider and item (names of at most {RelayKinds.MaxNameLength} characters).");

        // Checked after the whole message reads, so that a malformed message claims nothing. Claimed whoever sends it: a
        // provider sees each requester's ids, and could otherwise file an inquiry of its own under one while the first is on
        // its way. The records name an inquiry by its requester and message id together (docs/linkage.md); looking every id
        // up in them as well cost the relay about a tenth of its throughput.
        if (!verifier.ClaimAll(inquiries.Select(q => q.MessageId))) return Reused(requester!, envelope, log);

        var requestedAt = time.GetUtcNow();
        var answers = new ProvisionAnswer[inquiries.Count];
        var registered = new bool[inquiries.Count];
        // A code this core did not make for the requester is not recorded: it has a code's form but may spell anything (a number,
        // a name), and it finds no person's records anyway.
        var issued = new bool[inquiries.Count];
        var forwards = new Dictionary<string, Forward>();
        for (var i = 0; i < inquiries.Count; i++)
        {
            var q = inquiries[i];
            var provider = await agencies.FindAsync(q.Provider);
            if (provider is null)
            {
                issued[i] = codes.IsIssued(requester!.AgencyId, q.AgencyCode);
                answers[i] = Answer(q, Outcome.NotPermitted, RelayKinds.UnknownProviderReason);
                continue;
            }
            registered[i] = true;
            var decision = table.Check(requester!, q.Affair, provider, q.Item);
            if (!decision.Permitted)
            {
                log.LogInformation("Inquiry {MessageId} refused by the permission table: {Reason}", q.MessageId, decision.RefusalSlug);
                answers[i] = Answer(q, Outcome.NotPermitted, decision.RefusalSlug);
                issued[i] = codes.IsIssued(requester!.AgencyId, q.AgencyCode);
                continue;
            }
            // By the requester node's clock, which may run ahead of the core's by the staleness window. Only this inquiry is
            // refused: a notBefore past 9999-12-31 in Japan once failed the whole message, after its provider had answered.
            if (!RelayKinds.IsNotBefore(q.NotBefore, requestedAt + verifier.Window))
            {
                answers[i] = Answer(q, Outcome.Error, RelayKinds.InvalidNotBeforeReason);
                issued[i] = codes.IsIssued(requester!.AgencyId, q.AgencyCode);
                continue;
            }
            if (codes.Translate(requester!.AgencyId, q.AgencyCode, provider.AgencyId) is not { } providerCode)
            {
                answers[i] = Answer(q, Outcome.Error, "unknown-code");
                continue;
            }
            issued[i] = true;
            if (!forwards.TryGetValue(provider.AgencyId, out var forward)) forwards[provider.AgencyId] = forward = new Forward(provider, []);
            forward.Requests.Add((i, new ProvisionRequest(q.MessageId, requester.AgencyId, requester.Keys.EncryptionKey, q.Affair, q.Item, providerCode,
                q.NotBefore, requestedAt)));
        }
        await Task.WhenAll(forwards.Values.Select(f => ForwardOrFailAsync(f, envelope.MessageId, answers, agencies, verifier, core, http, time, log)));

        // An unknown provider is recorded as such, not as asked: an id that names nobody may hide an Individual Number. Known by
        // this core's own lookup, never by an answer: a provider's would otherwise take its own name out of the records.
        await records.AppendAllAsync([.. inquiries.Select((q, i) => new ProvisionEntry(q.MessageId, requestedAt, answers[i].ProvidedAt, requester!.AgencyId,
            RelayKinds.RecordedProvider(q.Provider, known: registered[i]), q.Affair, q.Item, issued[i] ? q.AgencyCode : null, answers[i].Outcome, answers[i].Reason, answers[i].Withheld))]);
        return TypedResults.Ok(Envelope.Create(CoreIdentity.PartyId, requester!.AgencyId, RelayKinds.InquiryResults,
            JsonSerializer.Serialize(answers, ServiceDefaults.Json), core.Keys.Signing, time, envelope.MessageId));
    }

    private static ProblemHttpResult Reused(Agency requester, Envelope envelope, ILogger log)
    {
        // The envelope's id is of the form every honest sender draws, as the verifier checked: no free text reaches the log.
        log.LogWarning("Refused the inquiries message {MessageId} of {Requester}: an inquiry's message id was used before (reused-message-id)",
            envelope.MessageId, requester.AgencyId);
        return Problems.Result(409, "reused-message-id", "照会の識別子が再利用されています / An inquiry's message id was used before",
            "照会ごとに新しいメッセージIDが必要です（別のメッセージが同じIDで中継中か、直前に中継されました）。このメッセージの照会は一件も中継も記録もしていません / " +
            "Each inquiry needs a new message id (another message carries or just carried this one); nothing of this message was relayed or recorded.");
    }

    // A code of the wrong form is refused with the message: whatever it holds would otherwise stay in the core's records.
    // Names not of the table's form (free text, a number, an escape sequence) are refused with the message, as a malformed
    // code is: whatever they hold would stay in the records.
    private static bool IsComplete(InquiryBody q) => Envelope.IsId(q.MessageId) && AgencyCodes.IsWellFormed(q.AgencyCode)
        && RelayKinds.IsName(q.Affair) && RelayKinds.IsName(q.Item) && RelayKinds.IsAgencyId(q.Provider);

    private static ProvisionAnswer Answer(InquiryBody q, Outcome outcome, string? reason) => new(q.MessageId, outcome, reason, null, null, false);

    /// <summary>The inquiries for one provider, by their place in the requester's message.</summary>
    private sealed record Forward(Agency Provider, List<(int Index, ProvisionRequest Request)> Requests);

    /// <summary>
    /// <see cref="ForwardAsync"/>, whose own fault (a bug of the core's, not the provider's) answers only that provider's
    /// inquiries as errors: escaping, it failed the whole message and the core recorded none of it, answers the other
    /// providers had given and recorded included.
    /// </summary>
    private static async Task ForwardOrFailAsync(Forward forward, string messageId, ProvisionAnswer[] answers, AgencyStore agencies, EnvelopeVerifier verifier,
        CoreIdentity core, IHttpClientFactory http, TimeProvider time, ILogger log)
    {
        try { await ForwardAsync(forward, messageId, answers, agencies, verifier, core, http, time, log); }
        catch (Exception e)
        {
            log.LogError(e, "Relaying message {MessageId} to the node of {Provider} failed in the core; its inquiries are answered and recorded as internal-error",
                messageId, forward.Provider.AgencyId);
            foreach (var (index, request) in forward.Requests) answers[index] = new ProvisionAnswer(request.MessageId, Outcome.Error, "internal-error", null, null, false);
        }
    }

    /// <summary>Sends one provider its requests in one signed message and puts each answer in its place; a failure answers each as an error.</summary>
    private static async Task ForwardAsync(Forward forward, string messageId, ProvisionAnswer[] answers, AgencyStore agencies, EnvelopeVerifier verifier,
        CoreIdentity core, IHttpClientFactory http, TimeProvider time, ILogger log)
    {
        var window = verifier.Window;
        var provider = forward.Provider;
        var message = Envelope.Create(CoreIdentity.PartyId, provider.AgencyId, RelayKinds.ProvisionRequests,
            JsonSerializer.Serialize(forward.Requests.Select(r => r.Request), ServiceDefaults.Json), core.Keys.Signing, time, messageId);
        Dictionary<string, ProvisionAnswer>? provided = null;
        var failure = RelayKinds.ProviderAnswerInvalidReason;
        try
        {
            using var response = await http.CreateClient(CoreApp.RelayClient).PostAsync(
                new Uri(new Uri(provider.NodeAddress), $"api/tenants/{provider.AgencyId}/provisions"), message.ToHttpContent());
            if (!response.IsSuccessStatusCode) failure = "provider-refused";
            else if (await response.Content.ReadFromJsonAsync<Envelope>(ServiceDefaults.Json) is { } reply && reply.MessageId == messageId
                && verifier.Verify(reply, CoreIdentity.PartyId, s => s == provider.AgencyId ? agencies.SigningKeyOf(provider) : null) == EnvelopeVerdict.Accepted)
                // A signed reply that lacks an answer still leaves that inquiry recorded, as an error.
                provided = reply.BodyAs<ProvisionAnswer>(RelayKinds.Provisions)?.Where(a => a.MessageId is not null).DistinctBy(a => a.MessageId)
                    .ToDictionary(a => a.MessageId);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            log.LogWarning("Provider node of {Provider} failed for message {MessageId}: {Error}", provider.AgencyId, messageId, e.GetType().Name);
            failure = "provider-unreachable";
        }
        catch (Exception e)
        {
            // Whatever the provider sent, its inquiries are still answered and recorded, as errors.
            log.LogWarning("Provider node of {Provider} answered message {MessageId} unreadably: {Error}", provider.AgencyId, messageId, e.GetType().Name);
            failure = RelayKinds.ProviderAnswerInvalidReason;
        }
        foreach (var (index, request) in forward.Requests)
        {
            var answer = provided?.GetValueOrDefault(request.MessageId);
            // The core and the requester record the answer's reason and time for seven years, so only what an honest node
            // gives is taken: free text there would be the provider's choice (a name, an Individual Number) in two other
            // parties' append-only records. That covers unknown-provider too, which the requester takes as the core's word that
            // no such agency is registered: a registered provider claiming it would take its name out of the records.
            if (answer is not null && !(RelayKinds.IsProviderAnswer(answer, request.NotBefore) && IsPlausible(answer.ProvidedAt, request.RequestedAt, time, window)))
            {
                // Not the reason itself: it may hold what it must not.
                log.LogWarning("Provider node of {Provider} answered inquiry {MessageId} ({Outcome}) in a form no honest node gives; recorded as provider-answer-invalid",
                    provider.AgencyId, request.MessageId, answer.Outcome);
                answer = null;
            }
            answers[index] = answer ?? new ProvisionAnswer(request.MessageId, Outcome.Error, failure, null, null, false);
        }
    }

    /// <summary>
    /// Whether a provider's time of provision lies between the request and its answer, give or take the clock skew envelopes
    /// are allowed, in whole seconds. Checked, not replaced by the core's time, so that the three parties' records of an inquiry
    /// agree; a time outside it (the year 1234, its ticks spelling a number), or a fraction of a second inside it (seven free
    /// digits), would be the provider's free choice in the records. Which whole second in the window is still its choice.
    /// </summary>
    private static bool IsPlausible(DateTimeOffset? providedAt, DateTimeOffset requestedAt, TimeProvider time, TimeSpan window) =>
        providedAt is { } at && RelayKinds.IsWholeSecond(at) && at >= requestedAt - window && at <= time.GetUtcNow() + window;
}
