using System.Text.Json;
using Renkei.Hosting;
using Xunit;

namespace Renkei.Testing;

/// <summary>Reads RFC 9457 problem details in assertions: the status, the media type and our type for the failure.</summary>
public static class ProblemAssert
{
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, int status, string slug)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status} {slug}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal(Problems.Type(slug), json.GetProperty("type").GetString());
        return json;
    }

    /// <summary>The problem as the caller reads it, a member a line, but for the trace id that every answer has its own of.</summary>
    public static string WithoutTraceId(JsonElement problem) =>
        string.Join("\n", problem.EnumerateObject().Where(p => p.Name != "traceId").Select(p => p.ToString()));

    /// <summary>An answer's raw text without its trace id, whose random hex may hold any four digits by chance; for
    /// looking for a few digits of a number in it.</summary>
    public static string WithoutTraceId(string body) =>
        System.Text.RegularExpressions.Regex.Replace(body, "\"traceId\"\\s*:\\s*\"[^\"]*\"", "");
}
