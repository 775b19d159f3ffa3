using System.Text.Json;

namespace Renkei.Cli;

/// <summary>What a refusing service said, for a person: an RFC 9457 problem's title and detail.</summary>
public static class ProblemText
{
    /// <summary>"title: detail" of a problem body; the body itself when it is not one.</summary>
    public static string Of(string body)
    {
        try
        {
            var json = JsonDocument.Parse(body).RootElement;
            if (json.ValueKind != JsonValueKind.Object) return body;
            var title = json.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var detail = json.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            return title is null && detail is null ? body : $"{title}{(detail is null ? "" : ": " + detail)}";
        }
        catch (JsonException) { return body; }
    }

    /// <summary>The status and what the problem says.</summary>
    public static async Task<string> OfAsync(HttpResponseMessage response) => $"{(int)response.StatusCode} {Of(await response.Content.ReadAsStringAsync())}";
}
