using System.Text.Json;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Renkei.Hosting;

namespace Renkei.Pki.Registry;

/// <summary>
/// 本人確認情報 as the Registry's identity API answers (only what the PKI uses; the number is not kept). <c>LastPosition</c> is the
/// feed position of the last event in the record: the items are as of it (null from a Registry that does not say).
/// </summary>
public sealed record RegistryIdentity(
    string ResidentId, string MunicipalityCode, string Status, string FamilyName, string GivenName,
    string DateOfBirth, string Sex, string Address, long? LastPosition = null);

/// <summary>
/// A published event; a move-out's <c>DestinationKind</c> is <c>abroad</c> or <c>municipality</c> (null from a Registry that does not say);
/// <c>ChangedItems</c> which items it changed (<c>name</c>, <c>name-reading</c>, <c>address</c>, <c>household</c> …; null when not given).
/// </summary>
public sealed record RegistryEvent(long Position, string EventId, string Kind, string ResidentId, string MunicipalityCode, DateTime RecordedAt,
    string? DestinationKind = null, IReadOnlyList<string>? ChangedItems = null);

public sealed record RegistryEventPage(List<RegistryEvent> Events, long Next);

/// <summary>The Registry's last event (position 0 and no id for an empty log).</summary>
public sealed record RegistryFeedEnd(long Position, string? EventId);

/// <summary>A refusal from the Registry, passed on with its status and problem type.</summary>
public sealed record RegistryRefusal(int Status, string Type, string Title);

/// <summary>
/// The Registry's identity API and event feed, called with the PKI's bearer token (holding
/// <c>identity</c> and <c>events</c>). The Individual Number travels only in request bodies.
/// </summary>
public sealed class RegistryClient(HttpClient http)
{
    public static void Configure(HttpClient http, PkiOptions options)
    {
        if (options.RegistryUrl is { Length: > 0 } url) http.BaseAddress = new Uri(url.TrimEnd('/') + "/");
        if (options.RegistryToken is { Length: > 0 } token) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.Timeout = TimeSpan.FromSeconds(90);
    }

    public Task<(RegistryIdentity? Identity, RegistryRefusal? Refusal)> ByNumberAsync(string individualNumber, CancellationToken ct = default) =>
        CallAsync(() => http.PostAsJsonAsync("api/identity/by-number", new { individualNumber }, ServiceDefaults.Json, ct), ct);

    public Task<(RegistryIdentity? Identity, RegistryRefusal? Refusal)> ResidentAsync(string residentId, CancellationToken ct = default) =>
        CallAsync(() => http.GetAsync($"api/identity/residents/{Uri.EscapeDataString(residentId)}", ct), ct);

    /// <summary>An unreachable or unconfigured Registry is a 503 refusal for the caller, not an exception.</summary>
    private async Task<(RegistryIdentity?, RegistryRefusal?)> CallAsync(Func<Task<HttpResponseMessage>> send, CancellationToken ct)
    {
        if (http.BaseAddress is null)
            return (null, new RegistryRefusal(503, "urn:renkei:problem:registry-not-configured", "住基が設定されていません / No Registry is configured"));
        try
        {
            using var response = await send();
            return await ReadAsync(response, ct);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return (null, new RegistryRefusal(503, "urn:renkei:problem:registry-unavailable", "住基に照会できません / The Registry did not answer"));
        }
    }

    /// <summary>
    /// The events after <paramref name="after"/>; with <paramref name="afterEventId"/>, only if the Registry's event at <paramref name="after"/>
    /// is still that one. <see cref="FeedRewoundException"/> when it is not, or when the log ends before <paramref name="after"/>.
    /// </summary>
    public async Task<RegistryEventPage> EventsAsync(long after, string? afterEventId, int waitSeconds, CancellationToken ct)
    {
        var query = $"api/events?after={after}&limit=200&wait={waitSeconds}" + (afterEventId is null ? "" : $"&afterEventId={Uri.EscapeDataString(afterEventId)}");
        using var response = await http.GetAsync(query, ct);
        if (response.StatusCode == HttpStatusCode.Conflict
            && await response.Content.ReadFromJsonAsync<Dictionary<string, JsonElement>>(ServiceDefaults.Json, ct) is { } problem
            && problem.TryGetValue("latest", out var latest) && latest.TryGetInt64(out var end))
            throw new FeedRewoundException(after, afterEventId, end,
                beyondEnd: !(problem.TryGetValue("type", out var type) && type.GetString()?.EndsWith(":position-reused", StringComparison.Ordinal) == true));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<RegistryEventPage>(ServiceDefaults.Json, ct))!;
    }

    /// <summary>The event at <paramref name="position"/>, or null when the log has none there.</summary>
    public async Task<RegistryEvent?> EventAtAsync(long position, CancellationToken ct)
    {
        var page = await EventsAsync(position - 1, null, 0, ct);
        return page.Events.FirstOrDefault() is { } e && e.Position == position ? e : null;
    }

    public async Task<RegistryFeedEnd> FeedEndAsync(CancellationToken ct)
    {
        using var response = await http.GetAsync("api/events/latest", ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<RegistryFeedEnd>(ServiceDefaults.Json, ct))!;
    }

    private static async Task<(RegistryIdentity?, RegistryRefusal?)> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return (await response.Content.ReadFromJsonAsync<RegistryIdentity>(ServiceDefaults.Json, ct), null);
        // The Registry refusing the PKI itself is the PKI's configuration, not the caller's token: say which setting.
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            return (null, new RegistryRefusal(502, "urn:renkei:problem:registry-refused-pki",
                "住基がPKIの照会を受け付けません（Pki:RegistryToken を確認してください） / The Registry refused the PKI's own token (check Pki:RegistryToken)"));
        var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
            ? await response.Content.ReadFromJsonAsync<Dictionary<string, object?>>(ServiceDefaults.Json, ct)
            : null;
        return (null, new RegistryRefusal((int)response.StatusCode, problem?.GetValueOrDefault("type")?.ToString() ?? "urn:renkei:problem:registry-unavailable",
            problem?.GetValueOrDefault("title")?.ToString() ?? "住基に照会できません / The Registry did not answer"));
    }
}

/// <summary>
/// The Registry's event feed is not the one the PKI read: its log ends before the PKI's position, or another event now stands at
/// that position. Either way the Registry was restored from a backup and gives its positions to other events, so the PKI applies
/// none until an operator has had every live card re-checked against the Registry's current records (CardRecheck).
/// </summary>
public sealed class FeedRewoundException(long position, string? eventId, long latest, bool beyondEnd) : InvalidOperationException(
    (beyondEnd
        ? $"住基のイベントログは位置 {latest} で終わり、PKIが読んだ位置 {position} に届きません"
        : $"住基の位置 {position} のイベントはPKIが読んだもの（{eventId}）ではありません") +
    "（住基がバックアップから復元された）。イベントの反映を止めました。住基が正しいことを確かめてから、有効なカードを住基の現在の記録と照合してください" +
    "（renkei pki recheck または POST /api/registry-feed/recheck） / " +
    (beyondEnd
        ? $"the Registry's event log ends at position {latest}, before position {position} that the PKI has read"
        : $"the Registry's event at position {position} is not the one the PKI read ({eventId})") +
    " (the Registry was restored from a backup). No more events are applied: once the Registry is the right one, re-check every live card " +
    "against its current records (renkei pki recheck, or POST /api/registry-feed/recheck).")
{
    public long Position { get; } = position;
    public long Latest { get; } = latest;
}
