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

/// <summary>A published event; a move-out's <c>DestinationKind</c> is <c>abroad</c> or <c>municipality</c> (null from a Registry that does not say).</summary>
public sealed record RegistryEvent(long Position, string EventId, string Kind, string ResidentId, string MunicipalityCode, DateTime RecordedAt,
    string? DestinationKind = null);

public sealed record RegistryEventPage(List<RegistryEvent> Events, long Next);

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

    public async Task<RegistryEventPage> EventsAsync(long after, int waitSeconds, CancellationToken ct)
    {
        using var response = await http.GetAsync($"api/events?after={after}&limit=200&wait={waitSeconds}", ct);
        if (response.StatusCode == HttpStatusCode.Conflict
            && await response.Content.ReadFromJsonAsync<Dictionary<string, JsonElement>>(ServiceDefaults.Json, ct) is { } problem
            && problem.TryGetValue("latest", out var latest) && latest.TryGetInt64(out var end))
            throw new FeedAheadException(after, end);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<RegistryEventPage>(ServiceDefaults.Json, ct))!;
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
/// The PKI has read further than the Registry's event log reaches: the Registry was restored from a backup. Revocations
/// stop until an operator has checked what the lost events were and set the PKI's position back.
/// </summary>
public sealed class FeedAheadException(long position, long latest) : InvalidOperationException(
    $"PKIの読取位置 {position} が住基のイベントログの末尾 {latest} を越えています（住基がバックアップから復元されたなど）。失われたイベントを確かめ、" +
    $"registry_feed の position を {latest} 以下にしてください / The PKI has read to position {position}, past the Registry's latest event {latest} " +
    $"(the Registry restored from a backup?): check which events were lost, then set registry_feed.position to {latest} or less.");
