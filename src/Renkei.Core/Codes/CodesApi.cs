using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Core.Agencies;
using Renkei.Hosting;
using Renkei.Hosting.Linkage;
using Renkei.Protocol;

namespace Renkei.Core.Codes;

/// <summary>
/// One person in a code request: the agency's acquisition number and the link key the Registry
/// sealed for the core, bound to this agency and acquisition number (the agency cannot read it).
/// </summary>
public sealed record CodeRequestItem(string? AcquisitionNumber, string? SealedLinkKey);

/// <summary>The body of POST /api/codes/issue: any number of people for one agency (bulk issuance).</summary>
public sealed record CodeRequest(string? AgencyId, List<CodeRequestItem>? Requests);

/// <summary>What the requester learns: how many codes reached the agency's node; never the codes.</summary>
public sealed record CodeIssueReceipt(string AgencyId, int Delivered, int Unmatched);

/// <summary>
/// 符号の生成 (番号法 art. 21-2): the Registry hands the core a link key per person together with the
/// agency's acquisition number, sealed so that only the core can open it and only for that agency
/// and acquisition number (the agency's addressee system carries it, as a courier that cannot read
/// it); the core computes the agency's code and delivers it, sealed, to the agency's node with the
/// acquisition number, and keeps neither. The caller needs <c>code-requests:{agencyId}</c>.
/// </summary>
public static class CodesApi
{
    public const int MaxBatch = 100_000;

    public static void MapCodes(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/codes/issue", Issue).WithTags("Codes").RequireAuthorization(p => p.AddAuthenticationSchemes(CallerAuthenticationHandler.SchemeName).RequireAuthenticatedUser())
            .WithSummary("Issues agency codes for sealed link keys from the Registry and delivers them to the agency's node.");
    }

    private static async Task<Results<Ok<CodeIssueReceipt>, ProblemHttpResult>> Issue(CodeRequest request, ClaimsPrincipal user,
        AgencyStore agencies, AgencyCodes codes, LinkKeySeal seal, CoreIdentity core, IHttpClientFactory http, TimeProvider time, ILogger<CodeRequest> log)
    {
        // An agency's addressee system asks for its own codes only.
        if (!string.IsNullOrWhiteSpace(request.AgencyId) && !user.Holds("code-requests:" + request.AgencyId))
            return Problems.Result(403, "forbidden", "この機関の符号を求める権限がありません / Not permitted to request this agency's codes",
                $"権限 code-requests:{request.AgencyId} が必要です / The caller needs the permission code-requests:{request.AgencyId}.");
        var errors = new Dictionary<string, string[]>();
        var agency = string.IsNullOrWhiteSpace(request.AgencyId) ? null : await agencies.FindAsync(request.AgencyId);
        if (agency is null) errors["agencyId"] = ["登録されていない機関です / agencyId names no registered agency"];
        var items = request.Requests ?? [];
        if (items.Count == 0 || items.Count > MaxBatch) errors["requests"] = [$"1〜{MaxBatch}件を指定してください / send 1 to {MaxBatch} requests"];
        var issued = new List<DeliveredCode>(items.Count);
        var now = time.GetUtcNow();
        for (var i = 0; i < items.Count && agency is not null && errors.Count == 0; i++)
        {
            var item = items[i];
            string? why = "封緘された連携キーがありません / sealedLinkKey is required";
            if (item is null)
                errors[$"requests[{i}]"] = ["空の項目です / the item is empty"];
            else if (string.IsNullOrWhiteSpace(item.AcquisitionNumber) || item.AcquisitionNumber.Length > 64)
                errors[$"requests[{i}].acquisitionNumber"] = ["取得番号は1〜64文字です / acquisitionNumber must be 1 to 64 characters"];
            else if (string.IsNullOrEmpty(item.SealedLinkKey) || !seal.TryOpen(item.SealedLinkKey, agency.AgencyId, item.AcquisitionNumber, now, out var linkKey, out why))
                errors[$"requests[{i}].sealedLinkKey"] = [why!];
            else
            {
                issued.Add(new DeliveredCode(item.AcquisitionNumber, codes.Issue(agency.AgencyId, linkKey)));
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(linkKey);
            }
        }
        // Nothing is issued unless every item is good: the requester fixes the batch and sends it again.
        if (errors.Count > 0) return Problems.Invalid(errors);

        // The codes go to the agency's node only, sealed to its key: the Registry never sees them.
        var messageId = Envelope.NewId();
        var sealedCodes = SealedPayload.Seal(JsonSerializer.Serialize(new CodeDelivery(issued), ServiceDefaults.Json), agency!.Keys, messageId);
        var envelope = Envelope.Create(CoreIdentity.PartyId, agency.AgencyId, "code-delivery",
            JsonSerializer.Serialize(sealedCodes, ServiceDefaults.Json), core.Keys.Signing, time, messageId);
        try
        {
            using var response = await http.CreateClient("nodes").PostAsync(
                new Uri(new Uri(agency.NodeAddress), $"api/tenants/{agency.AgencyId}/codes/delivered"), envelope.ToHttpContent());
            if (!response.IsSuccessStatusCode)
            {
                log.LogWarning("Node of agency {AgencyId} refused a code delivery: {Status}", agency.AgencyId, (int)response.StatusCode);
                return Problems.Result(502, "node-refused", "中間サーバーが符号を受け付けませんでした / The agency's node refused the codes",
                    $"中間サーバーの応答は {(int)response.StatusCode} でした / The node answered {(int)response.StatusCode}.");
            }
            if (await response.Content.ReadFromJsonAsync<CodeDeliveryReceipt>(ServiceDefaults.Json) is not { } receipt)
                return Problems.Result(502, "node-answer-invalid", "中間サーバーの応答が読めません / The agency's node gave no receipt");
            return TypedResults.Ok(new CodeIssueReceipt(agency.AgencyId, receipt.Matched, receipt.Unmatched));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            log.LogWarning("Node of agency {AgencyId} is unreachable: {Error}", agency.AgencyId, e.GetType().Name);
            return Problems.Result(502, "node-unreachable", "中間サーバーに接続できません / The agency's node is unreachable",
                "中間サーバーが応答しないか、応答を読めませんでした。要求はもう一度送れます / " +
                "The node did not answer, or its answer could not be read; the request may be sent again.");
        }
    }
}
