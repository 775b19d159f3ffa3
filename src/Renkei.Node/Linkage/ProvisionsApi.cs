using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Hosting.Tls;
using Renkei.Node.Copies;
using Renkei.Node.Tenants;
using Renkei.Protocol;
using Renkei.Protocol.Records;

namespace Renkei.Node.Linkage;


/// <summary>
/// 情報提供: the provider's node answers the core's signed requests (one or more in a message) from
/// its copies, found under its own code for the person, sealed to the requester's node, and records each provision.
/// </summary>
public static class ProvisionsApi
{
    public static void MapProvisions(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/tenants/{agencyId}/provisions", Provide).WithTags("Provisions")
            .RequireNetworkParty(id => id == NetworkIdentity.Core, "コア", "the core")
            .WithSummary("The core's signed provision requests (one or more); answers with this tenant's signed provisions.");
    }

    private static async Task<Results<Ok<Envelope>, ProblemHttpResult>> Provide(string agencyId, Envelope envelope,
        HttpContext context, TenantDirectory tenants, CoreLink core, EnvelopeVerifier verifier, DataStandardLayout layouts, TimeProvider time,
        ILoggerFactory logs)
    {
        var log = logs.CreateLogger(typeof(ProvisionsApi)); // the node's category, not the protocol library's
        if (context.RefuseUnlessFrom(id => id == NetworkIdentity.Core, "コア", "the core") is { } refused) return refused;
        if (tenants.Find(agencyId) is not { } tenant)
            return Problems.NotFound("unknown-tenant", "この中間サーバーに該当する機関はありません / No such tenant on this node");
        var verdict = await core.VerifyFromCoreAsync(envelope, agencyId);
        if (verdict != EnvelopeVerdict.Accepted)
        {
            var (slug, title) = EnvelopeVerifier.Describe(verdict);
            log.LogWarning("Refused a provision request for tenant {AgencyId}: {Reason}", agencyId, slug);
            return Problems.Result(EnvelopeVerifier.StatusOf(verdict), slug, title);
        }
        var requests = envelope.BodyAs<ProvisionRequest>(RelayKinds.ProvisionRequests);
        // Every field a record needs is checked first: one bad row would fail the group commit of other messages' records too.
        // The core dates a request by its own clock as it relays it, so a time outside the staleness window is no request of
        // an honest core (one at DateTimeOffset's end could not be given its retention date, and was a 500).
        var received = time.GetUtcNow();
        if (requests is null || requests.DistinctBy(r => r.MessageId).Count() != requests.Count || !requests.All(r => Envelope.IsId(r.MessageId)
                && !string.IsNullOrEmpty(r.AgencyCode) && !string.IsNullOrEmpty(r.Item) && !string.IsNullOrEmpty(r.Affair)
                && !string.IsNullOrEmpty(r.Requester) && !string.IsNullOrEmpty(r.RequesterEncryptionKey)
                && r.RequestedAt >= received - verifier.Window && r.RequestedAt <= received + verifier.Window))
            return Problems.BadRequest("malformed-request", Problems.MalformedTitle);

        // A request id this node received within the staleness window is refused: a second record under it would make the
        // three parties' records of the inquiry ambiguous. Like the core, which claims each id across senders for the same
        // window, the node keeps to its memory and looks no id up in its records (a query per message cost the relay a tenth of
        // its throughput); an id reused after the window is taken, its records told apart by the requester (docs/linkage.md).
        if (!verifier.ClaimAll(requests.Select(r => r.MessageId))) return Reused(agencyId, log);

        // Whole seconds, which the core requires: a fraction would be seven digits of the provider's choosing in two other
        // parties' records. Rounded up, so that a provision is never before its request.
        var now = RelayKinds.WholeSecondFrom(time.GetUtcNow());
        var answers = new List<ProvisionAnswer>(requests.Count);
        try
        {
            List<StoredCopy?> found;
            await using (var c = await tenant.Database.OpenAsync())
                found = await CopiesApi.FindByCodesAsync(c, [.. requests.Select(r => (r.AgencyCode, r.Item))]);
            foreach (var (request, copy) in requests.Zip(found))
            {
                var answer = AnswerFrom(request, copy, layouts, now, () => SealedPayload.Sealer.For(request.RequesterEncryptionKey, time));
                // Not the layout's problems: they may repeat what the copy must not hold.
                if (answer.Reason == RelayKinds.ProviderAnswerInvalidReason)
                    log.LogWarning("Tenant {AgencyId} holds a copy of {Item} that its layout refuses (stored before a rule was added); inquiry {MessageId} " +
                        "was answered and recorded as provider-answer-invalid: store the copy again in the layout", agencyId, request.Item, request.MessageId);
                answers.Add(answer);
            }
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return Problems.BadRequest("malformed-request", Problems.MalformedTitle,
                "要求元の暗号化用公開鍵が P-256 の公開鍵ではありません / A requester's encryption key is not a P-256 public key.");
        }
        await tenant.Records.AppendAllAsync([.. requests.Select((r, i) => new ProvisionEntry(r.MessageId, r.RequestedAt, now, r.Requester, agencyId,
            r.Affair, r.Item, r.AgencyCode, answers[i].Outcome, answers[i].Reason, answers[i].Withheld))]);
        return TypedResults.Ok(Envelope.Create(agencyId, CoreLink.CoreParty, RelayKinds.Provisions, JsonSerializer.Serialize(answers, ServiceDefaults.Json),
            tenant.Keys.Signing, time, envelope.MessageId));
    }

    private static ProblemHttpResult Reused(string agencyId, ILogger log)
    {
        log.LogWarning("Refused a provision request for tenant {AgencyId}: {Reason}", agencyId, "reused-message-id");
        return Problems.Result(409, "reused-message-id", "照会の識別子が再利用されています / An inquiry's message id was used before",
            "要求のメッセージIDのいずれかは、この機関がすでに受けたものです。このメッセージの要求には一件も答えも記録もしていません / " +
            "This agency already received a request under one of these message ids; nothing of this message was answered or recorded.");
    }

    /// <summary>
    /// The answer from this tenant's copy, sealed to the requester and bound to the inquiry's message id. A copy its layout
    /// refuses today (stored before a rule was added: an unrounded measurement, say) is not handed out: the requester's node
    /// would refuse it as provider-answer-invalid, so this node answers that itself and all three records agree.
    /// </summary>
    private static ProvisionAnswer AnswerFrom(ProvisionRequest request, StoredCopy? copy, DataStandardLayout layouts, DateTimeOffset now,
        Func<SealedPayload.Sealer> sealer)
    {
        // One reason whether the tenant knows the person or not: telling them apart ("no-addressee") told the requester
        // who is enrolled here (an insurer's members, say). The tenant's own record says the same as the core's and the
        // requester's; its code in the record still tells the tenant whether it holds the person.
        if (copy is null) return new ProvisionAnswer(request.MessageId, Outcome.NoData, RelayKinds.NoCopyReason, null, now, false);
        if (request.NotBefore is { } notBefore && copy.UpdatedAt < notBefore.UtcDateTime)
            return new ProvisionAnswer(request.MessageId, Outcome.CopyOlderThanAsked, RelayKinds.CopyUpdated(copy.UpdatedAt), null, now, copy.Withheld);
        if (layouts.Validate(copy.Item, copy.SchemaVersion, copy.Content).Count > 0)
            return new ProvisionAnswer(request.MessageId, Outcome.Error, RelayKinds.ProviderAnswerInvalidReason, null, now, copy.Withheld);
        var payload = JsonSerializer.Serialize(new ProvidedCopy(copy.Item, copy.SchemaVersion, copy.Content, copy.UpdatedAt), ServiceDefaults.Json);
        return new ProvisionAnswer(request.MessageId, Outcome.Provided, null,
            sealer().Seal(payload, request.MessageId), now, copy.Withheld);
    }

    /// <summary>A tenant's provision records: by addressee (mapped to this tenant's code), the signed head, proofs, a full check.</summary>
    public static void MapTenantRecords(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/tenants/{agencyId}/records").WithTags("Records").RequireAuthorization(NodeApp.StaffPolicy);
        // limit and after are read as text, so that a bad one is named in the problem; the document gives them as numbers.
        group.MapGet("/", async Task<Results<Ok<List<ProvisionRecord>>, ProblemHttpResult>> (string agencyId, string? addresseeNumber,
            [Range(1, RecordPaging.MaxLimit), Description(RecordPaging.LimitDescription)] string? limit,
            [Range(typeof(long), "0", "9223372036854775807"), Description(RecordPaging.AfterDescription)] string? after,
            ClaimsPrincipal user, TenantDirectory tenants, HttpContext context) =>
        {
            var (tenant, problem) = tenants.Enter(user, agencyId, "records");
            if (tenant is null) return problem!;
            if (Codes.CodeManagementApi.RefuseMistyped("addresseeNumber", addresseeNumber) is { } numberShaped) return numberShaped;
            if (!Codes.CodeManagementApi.IsAddresseeNumber(addresseeNumber))
                return Problems.BadRequest("addressee-number-required", "宛名番号を指定してください / Name the person by ?addresseeNumber=");
            if (RecordPaging.Read(limit, after, out var pageSize, out var from) is { } badPaging) return badPaging;
            var code = await tenant.AgencyCodeOfAsync(addresseeNumber);
            if (code is null) return Problems.NotFound("no-agency-code", "この宛名番号の符号がありません / No agency code for this addressee");
            return RecordPaging.Answer(context, await tenant.Records.PageByCodesAsync([code], from, pageSize), pageSize, "addresseeNumber");
        }).WithSummary("A person's provision records at this tenant, oldest first, a page at a time (limit=, after=; the Link header names the next page).")
            .WithRecordPaging();
        group.MapGet("/head", async Task<Results<Ok<SignedHead>, ProblemHttpResult>> (string agencyId, ClaimsPrincipal user, TenantDirectory tenants) =>
        {
            var (tenant, problem) = tenants.Enter(user, agencyId, "records");
            return tenant is null ? problem! : await RecordProofsApi.HeadAsync(tenant.Records);
        }).WithSummary("The tenant's signed log head.");
        group.MapGet("/{recordId}/proof", async Task<Results<Ok<InclusionProof>, ProblemHttpResult>> (string agencyId, string recordId, ClaimsPrincipal user, TenantDirectory tenants) =>
        {
            var (tenant, problem) = tenants.Enter(user, agencyId, "records");
            if (tenant is null) return problem!;
            return await RecordProofsApi.InclusionAsync(tenant.Records, recordId);
        }).WithSummary("A record's inclusion in the signed head.");
        group.MapGet("/tree-head", async Task<Results<Ok<SignedTreeHead>, ProblemHttpResult>> (string agencyId, ClaimsPrincipal user, TenantDirectory tenants, CancellationToken ct) =>
        {
            var (tenant, problem) = tenants.Enter(user, agencyId, "records");
            return tenant is null ? problem! : await RecordProofsApi.TreeHeadAsync(tenant.Records, ct);
        }).WithSummary("The signed root of the Merkle tree over the tenant's whole log: keep it to ask for a consistency proof later.");
        group.MapGet("/consistency", async Task<Results<Ok<ConsistencyProof>, ProblemHttpResult>> (string agencyId, long? from, ClaimsPrincipal user, TenantDirectory tenants, CancellationToken ct) =>
        {
            var (tenant, problem) = tenants.Enter(user, agencyId, "records");
            return tenant is null ? problem! : await RecordProofsApi.ConsistencyAsync(tenant.Records, from, ct);
        }).WithSummary("That the tenant's log still begins with the first `from` records unchanged (RFC 9162 consistency proof to a new signed tree head).");
        group.MapGet("/core-head", async Task<Results<Ok<SignedTreeHead>, ProblemHttpResult>> (string agencyId, ClaimsPrincipal user, TenantDirectory tenants) =>
        {
            var (tenant, problem) = tenants.Enter(user, agencyId, "records");
            if (tenant is null) return problem!;
            await using var c = await tenant.Database.OpenAsync();
            return await TreeHeadWitness.KeptCoreHeadAsync(c) is { } head ? TypedResults.Ok(head)
                : Problems.NotFound("no-core-head", "コアのツリーヘッドをまだ保管していません / This tenant has kept no tree head of the core yet");
        }).WithSummary("The latest signed tree head of the core's records that this tenant witnessed (kept only when the core proved it extends the one before).");
        group.MapGet("/verify", async Task<Results<Ok<LogCheck>, ProblemHttpResult>> (string agencyId, ClaimsPrincipal user, TenantDirectory tenants, CancellationToken ct) =>
        {
            var (tenant, problem) = tenants.Enter(user, agencyId, "records");
            if (tenant is null) return problem!;
            return TypedResults.Ok(await tenant.Records.CheckAsync(ct));
        }).WithSummary("Recomputes every hash of the tenant's log.");
    }
}
