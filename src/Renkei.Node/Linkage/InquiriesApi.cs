using System.ComponentModel;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Node.Codes;
using Renkei.Node.Copies;
using Renkei.Node.Tenants;
using Renkei.Protocol;
using Renkei.Protocol.Records;

namespace Renkei.Node.Linkage;

/// <summary>A staff member's or business system's inquiry: the person by AddresseeNumber, the affair, the provider and the item.</summary>
public sealed record InquiryRequest(string? AddresseeNumber, string? Affair, string? Provider, string? Item)
{
    /// <summary>As the body gives it, read by <see cref="InquiriesApi.CheckNotBefore"/>. Not a constructor parameter: the OpenAPI document
    /// shows the description only of a property.</summary>
    [Description(RequestedTime.Description)]
    public string? NotBefore { get; init; }
}

/// <summary>
/// A time a person gives in a request body (an inquiry's or a batch's notBefore). The framework reads one without an offset in
/// the host's zone, so the same request meant a different time on a node set to UTC than on one in Japan (audit Z, Z2). A date
/// alone is 0:00 in Japan, as the docs promise; a date-time must carry its offset; nothing falls back to the host's zone.
/// </summary>
public static class RequestedTime
{
    public const string Form = "日付（2026-04-01、日本時間0時）か時差付きの日時（2026-04-01T09:00:00+09:00）です / " +
        "is a date (2026-04-01, 0:00 in Japan) or a date-time with an offset (2026-04-01T09:00:00+09:00)";

    /// <summary>What the OpenAPI document says of a notBefore: the forms read here, and the range the node and the core take.</summary>
    public const string Description = "日付（2026-04-01、日本時間0時）か時差付きの日時（2026-04-01T09:00:00+09:00）で、2015-10-05（日本時間）以降、今から1日後までです / " +
        "a date (2026-04-01, 0:00 in Japan) or a date-time with an offset (2026-04-01T09:00:00+09:00), from 2015-10-05 in Japan to a day from now at the latest";

    public const string NoOffset = "日時には時差（+09:00 や Z）が必要です。日付のみなら日本時間0時です / " +
        "a date-time needs an offset (+09:00 or Z); a date alone means 0:00 in Japan";

    /// <summary>The time <paramref name="text"/> names, or why it names none; (null, null) for none given.</summary>
    public static (DateTimeOffset? At, string? Problem) Read(string? text)
    {
        if (text is null) return (null, null);
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            // 0001-01-01 0:00 in Japan is before DateTimeOffset.MinValue in UTC: it threw while the body was bound, a 500.
            return date == DateOnly.MinValue ? (null, RelayKinds.NotBeforeForm)
                : (new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), JapanTime.Offset), null);
        // Anything else as the core reads it; a date alone is taken above, so one here without an offset is a date-time.
        if (!ZonedTime.TryRead(text, out var at, out var zoned)) return (null, Form);
        return zoned ? (at, null) : (null, NoOffset);
    }
}

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
        ClaimsPrincipal user, TenantDirectory tenants, InquiryRelay relay, PendingInquiries pending, KnownAgencies agencies, DataStandardLayout layouts,
        TimeProvider time, ILogger<InquiryRequest> log)
    {
        var (tenant, problem) = tenants.Enter(user, agencyId);
        if (tenant is null) return problem!;
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.AddresseeNumber)) errors["addresseeNumber"] = ["必須です / is required"];
        else if (CodeManagementApi.RefuseMistyped("addresseeNumber", request.AddresseeNumber) is { } numberShaped) return numberShaped;
        // One no code could ever be made for (a batch refuses it the same way): a 404 no-agency-code would send the clerk to
        // the addressee system to obtain a code that the node refuses to make.
        else if (CodeManagementApi.AddresseeNumberProblem(request.AddresseeNumber) is { } wrong) errors["addresseeNumber"] = [wrong];
        CheckNames(request.Affair, request.Provider, request.Item, errors);
        var notBefore = CheckNotBefore(request.NotBefore, time, errors);
        if (errors.Count > 0) return Problems.Invalid(errors);

        var messageId = Envelope.NewId();
        var requestedAt = time.GetUtcNow();
        // The connection is closed before the round trip: holding it while the record writer needs one could drain the pool.
        var code = await tenant.AgencyCodeOfAsync(request.AddresseeNumber);

        // The prefix check: a caller may ask only for the affairs it is assigned.
        if (!user.IsInRole("affair:" + request.Affair))
        {
            // The record names no caller; the log says who tried.
            log.LogInformation("Inquiry {MessageId} refused as affair-not-assigned at tenant {AgencyId}: caller {Caller} does not hold affair {Affair}",
                messageId, agencyId, user.Identity?.Name, request.Affair);
            await tenant.Records.AppendAsync(new ProvisionEntry(messageId, requestedAt, null, agencyId, await agencies.RecordedProviderAsync(request.Provider!),
                request.Affair!, request.Item!, code, Outcome.NotPermitted, "affair-not-assigned", false));
            return Problems.Result(403, "affair-not-assigned", "この事務の権限がありません / The caller is not assigned this affair",
                $"事務「{Problems.Shown(request.Affair!)}」を割り当てられた人に依頼してください / Ask someone assigned '{Problems.Shown(request.Affair!)}'.");
        }
        if (code is null)
        {
            await RecordUnaskedAsync(tenant, request, messageId, requestedAt, agencies);
            return Problems.NotFound("no-agency-code", "この宛名番号の符号がありません / No agency code for this addressee",
                "先に宛名管理システムで符号を取得してください / Obtain the code through the addressee system first.");
        }
        return TypedResults.Ok(await AskAsync(tenant, request, notBefore, code, messageId, relay, pending, agencies, layouts, log));
    }

    /// <summary>
    /// An inquiry that cannot be sent for want of the person's code is recorded as an error with no code, as every
    /// refused inquiry is: it never reaches the core, but the requester's log shows it was attempted. Like every record
    /// made without the core's answer, it names the provider only if the core registered it.
    /// </summary>
    public static async Task RecordUnaskedAsync(Tenant tenant, InquiryRequest request, string messageId, DateTimeOffset requestedAt, KnownAgencies agencies) =>
        await tenant.Records.AppendAsync(new ProvisionEntry(messageId, requestedAt, null, tenant.AgencyId, await agencies.RecordedProviderAsync(request.Provider!),
            request.Affair!, request.Item!, null, Outcome.Error, "no-agency-code", false));

    /// <summary>
    /// The affair, provider and item of an inquiry: each required and of the form the permission table names them in.
    /// They are recorded at every party and sent to the core as given: a number or a name typed in the wrong field would
    /// stay in three logs for seven years.
    /// </summary>
    public static void CheckNames(string? affair, string? provider, string? item, Dictionary<string, string[]> errors)
    {
        foreach (var (field, value) in new[] { ("affair", affair), ("provider", provider), ("item", item) })
            if (string.IsNullOrWhiteSpace(value)) errors[field] = ["必須です / is required"];
            else if (value.Length > RelayKinds.MaxNameLength)
                errors[field] = [RelayKinds.NameTooLong(field)];
            else if (NumberShape.ContainsIndividualNumber(value))
                errors[field] = ["個人番号の形をした数字（11桁・12桁）は使えません / must not hold 11 or 12 digits, the shape of an Individual Number"];
            else if (field == "provider" ? !RelayKinds.IsAgencyId(value) : !RelayKinds.IsName(value))
                errors[field] = [field == "provider" ? RelayKinds.AgencyIdForm : RelayKinds.NameForm];
    }

    /// <summary>
    /// A notBefore, if given, readable (<see cref="RequestedTime"/>) and in <see cref="RelayKinds.IsNotBefore"/>'s range by this node's clock: one past 9999-12-31 in Japan
    /// failed the core's whole relay message, colleagues' inquiries in it too, and any later than a day ahead can only be
    /// answered copy-older-than-asked.
    /// </summary>
    public static DateTimeOffset? CheckNotBefore(string? text, TimeProvider time, Dictionary<string, string[]> errors)
    {
        var (notBefore, problem) = RequestedTime.Read(text);
        if (problem is not null) errors["notBefore"] = [problem];
        else if (!RelayKinds.IsNotBefore(notBefore, time.GetUtcNow())) errors["notBefore"] = [RelayKinds.NotBeforeForm];
        return notBefore;
    }

    /// <summary>
    /// An immediate inquiry itself, once the caller's affair is checked and the person's code found, with the requester's
    /// record written. Stopped by <paramref name="ct"/> (the caller gone), it records the attempt as interrupted and throws.
    /// It is written ahead (<see cref="PendingInquiries"/>) just before it leaves, so that a record it could not write (a hard
    /// stop, a full disk: the caller gets the failure) is made later; the record is dated with the time written ahead.
    /// The batch worker goes through <see cref="AskUnrecordedAsync"/> and writes the record itself.
    /// </summary>
    public static async Task<InquiryResponse> AskAsync(Tenant tenant, InquiryRequest request, DateTimeOffset? notBefore, string code, string messageId,
        InquiryRelay relay, PendingInquiries pending, KnownAgencies agencies, DataStandardLayout layouts, ILogger log, CancellationToken ct = default)
    {
        // Dated by Begin, not by the caller's earlier time: a pass that has not seen the id must find its row too young to take.
        var askedAt = pending.Begin(messageId);
        try
        {
            var (record, answer) = await AskUnrecordedAsync(tenant, request, notBefore, code, messageId, askedAt, relay, agencies, layouts, log, writeAhead: true, ct);
            await tenant.Records.AppendAsync(record);
            return answer;
        }
        finally { pending.End(messageId); }
    }

    /// <summary>
    /// <see cref="AskAsync"/> under a message id and request time the caller chose, leaving the requester's record of the
    /// answer to the caller: the batch worker claims the id and time before asking (<paramref name="writeAhead"/> false: the
    /// claim is its write-ahead), and keeps an answer whose record it could not write (a full disk) to write later, rather
    /// than asking the provider again. The record is dated <paramref name="requestedAt"/>, by which a restart finds it.
    /// </summary>
    public static async Task<(ProvisionEntry Record, InquiryResponse Answer)> AskUnrecordedAsync(Tenant tenant, InquiryRequest request, DateTimeOffset? notBefore, string code,
        string messageId, DateTimeOffset requestedAt, InquiryRelay relay, KnownAgencies agencies, DataStandardLayout layouts, ILogger log, bool writeAhead,
        CancellationToken ct = default)
    {
        var agencyId = tenant.AgencyId;
        RelayedAnswer relayed;
        try
        {
            relayed = await relay.SendAsync(tenant, new InquiryBody(messageId, code, request.Affair!, request.Provider!, request.Item!, notBefore),
                // The row keeps the provider only as the core's agency list names it: a raw unknown id may hide an Individual Number.
                // One in the list costs nothing; one not in it waits for one re-read of the list (rate-limited), at most Node:AgencyListWaitSeconds.
                writeAhead ? new PendingInquiries.WriteAhead(requestedAt, await agencies.RecordedProviderAsync(request.Provider!)) : null, ct);
        }
        catch (OperationCanceledException)
        {
            // The caller gave up or the node is stopping: the inquiry may or may not have reached the core.
            await tenant.Records.AppendAsync(new ProvisionEntry(messageId, requestedAt, null, agencyId, await agencies.RecordedProviderAsync(request.Provider!),
                request.Affair!, request.Item!, code, Outcome.Error, "interrupted", false));
            throw;
        }
        return await AnsweredAsync(tenant, request, code, messageId, requestedAt, relayed, agencies, layouts, log);
    }

    /// <summary>
    /// The caller's answer from the core's, recorded at the requester: a provided payload that is not
    /// a copy (not JSON, or without its item, version or content) is an error answer, never a 500. One that is a copy of
    /// another item than asked, or whose content fails the item's layout (an Individual Number in it too), is the error
    /// <c>provider-answer-invalid</c>, and nothing of it is passed on or kept: the core cannot read the sealed payload, so
    /// this node is the only one that can hold it to what was asked.
    /// </summary>
    public static async Task<InquiryResponse> AnswerAsync(Tenant tenant, InquiryRequest request, string code, string messageId, DateTimeOffset requestedAt,
        RelayedAnswer relayed, KnownAgencies agencies, DataStandardLayout layouts, ILogger log)
    {
        var (record, answer) = await AnsweredAsync(tenant, request, code, messageId, requestedAt, relayed, agencies, layouts, log);
        await tenant.Records.AppendAsync(record);
        return answer;
    }

    /// <summary><see cref="AnswerAsync"/> with the record to write, not yet written.</summary>
    private static async Task<(ProvisionEntry Record, InquiryResponse Answer)> AnsweredAsync(Tenant tenant, InquiryRequest request, string code, string messageId,
        DateTimeOffset requestedAt, RelayedAnswer relayed, KnownAgencies agencies, DataStandardLayout layouts, ILogger log)
    {
        var answer = relayed.Answer;
        ProvidedCopy? copy = null;
        if (answer.Outcome == Outcome.Provided)
        {
            copy = ReadCopy(relayed.Opened);
            if (copy is null) answer = answer with { Outcome = Outcome.Error, Reason = "unreadable-payload" };
            else if (NotAsAsked(copy, request.Item!, layouts) is { } why)
            {
                // Neither the content nor the layout's problems are logged: they may hold what the copy must not.
                log.LogWarning("Provider {Provider} answered inquiry {MessageId} of tenant {AgencyId} with {Why}; recorded as provider-answer-invalid",
                    request.Provider, messageId, tenant.AgencyId, why);
                (copy, answer) = (null, answer with { Outcome = Outcome.Error, Reason = RelayKinds.ProviderAnswerInvalidReason });
            }
        }
        // As the core records it: a provider the core does not know is no agency's id, and may hide an Individual Number.
        // Without the core's answer (the message failed as a whole), the core's agency list tells.
        var provider = relayed.FromCore ? RelayKinds.RecordedProvider(request.Provider!, relayed.Answer)
            : await agencies.RecordedProviderAsync(request.Provider!);
        return (new ProvisionEntry(messageId, requestedAt, answer.ProvidedAt, tenant.AgencyId, provider, request.Affair!,
                request.Item!, code, answer.Outcome, answer.Reason, answer.Withheld),
            new InquiryResponse(messageId, answer.Outcome, answer.Reason, provider, request.Item!,
                copy?.SchemaVersion, copy?.Content, copy?.UpdatedAt, answer.ProvidedAt));
    }

    /// <summary>Why a provided copy is not what was asked, or null when it is.</summary>
    private static string? NotAsAsked(ProvidedCopy copy, string item, DataStandardLayout layouts) =>
        copy.Item != item ? "a copy of another item than asked"
        : layouts.Validate(item, copy.SchemaVersion, copy.Content).Count > 0 ? "a copy outside the item's layout"
        : null;

    private static ProvidedCopy? ReadCopy(string? opened)
    {
        if (opened is null) return null;
        ProvidedCopy? copy;
        try { copy = JsonSerializer.Deserialize<ProvidedCopy>(opened, ServiceDefaults.Json); }
        catch (JsonException) { return null; }
        return copy is { Item.Length: > 0, SchemaVersion: > 0, Content.ValueKind: not (JsonValueKind.Undefined or JsonValueKind.Null) } ? copy : null;
    }
}
