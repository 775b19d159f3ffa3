using System.Net;
using System.Text.Json;

namespace Renkei.Cli;

/// <summary>What a refusing service said, for a person: an RFC 9457 problem's title and detail.</summary>
public static class ProblemText
{
    /// <summary>
    /// "title: detail" of a problem body; else the body on one line, cut at <see cref="MaxShown"/> characters: an error page of
    /// a gateway or proxy in front of a service (HTML, often long) is not ours to print whole, its start is enough to tell it.
    /// </summary>
    public static string Of(string body)
    {
        try
        {
            var json = JsonDocument.Parse(body).RootElement;
            if (json.ValueKind != JsonValueKind.Object) return OneLine(body);
            var title = json.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var detail = json.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            return title is null && detail is null ? OneLine(body) : $"{title}{(detail is null ? "" : ": " + detail)}";
        }
        catch (JsonException) { return OneLine(body); }
    }

    public const int MaxShown = 200;

    private static string OneLine(string body)
    {
        var line = string.Join(' ', body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= MaxShown ? line : line[..MaxShown] + $"…（{body.Length} 文字 / {body.Length} characters）";
    }

    /// <summary>The status and what the problem says; a refusal with no body (a bare 503) is the status and its reason, not an empty line.</summary>
    public static string Of(HttpResponseMessage response, string body)
    {
        if (!string.IsNullOrWhiteSpace(body)) return $"{(int)response.StatusCode} {Of(body)}".TrimEnd();
        var (japanese, english) = Status(response.StatusCode, response.ReasonPhrase);
        return $"{japanese}（本文なし）/ {english}";
    }

    /// <summary>
    /// A status answered with nothing to say of it (a bare 503 of a proxy or a service stopping), Japanese and English: the reason
    /// is the response's, else the standard one for the status.
    /// </summary>
    public static (string Japanese, string English) Status(HttpStatusCode status, string? reason)
    {
        using var standard = new HttpResponseMessage(status);
        return ($"サービスが {(int)status} を返しました", $"{(int)status} {reason ?? standard.ReasonPhrase}".TrimEnd());
    }

    /// <summary>The status and what the problem says.</summary>
    public static async Task<string> OfAsync(HttpResponseMessage response) => Of(response, await AnswerText.ReadAsync(response.Content));
}
