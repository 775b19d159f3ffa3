using System.Text.Json;
using Xunit;

namespace Renkei.Testing;

/// <summary>What a service's probes answer: <c>/health</c> (alive) and <c>/health/ready</c> (its storage answers).</summary>
public static class ReadinessAssert
{
    /// <summary>
    /// Ready within <paramref name="patience"/>: under a short probe timeout a stall of a loaded machine (CPU, thread pool, a
    /// pooled open) answers 503 for a moment although the database answers. A not-ready check stays strict, as a stall answers
    /// not-ready too. After the patience it fails as <see cref="IsReadyAsync"/> does, saying what the service answered.
    /// </summary>
    public static async Task BecomesReadyAsync(HttpClient client, TimeSpan patience)
    {
        var ready = await Eventually.ResultAsync(async () =>
        {
            try { await IsReadyAsync(client); return true; }
            catch (Xunit.Sdk.XunitException) { return false; }
        }, ready => ready, "ready", patience, TimeSpan.FromMilliseconds(200), lastOnTimeout: true);
        if (!ready) await IsReadyAsync(client);
    }

    public static async Task IsReadyAsync(HttpClient client)
    {
        var response = await client.GetAsync("health/ready");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 200, $"expected ready, got {(int)response.StatusCode}: {body}");
        Assert.Equal("ready", JsonDocument.Parse(body).RootElement.GetProperty("status").GetString());
        await IsAliveAsync(client);
    }

    /// <summary>
    /// 503 <c>not-ready</c> naming exactly <paramref name="notReady"/>, and none of <paramref name="secrets"/> (connection string
    /// parts, file names, exception text) anywhere in the answer; <c>/health</c> still answers 200: the process is alive.
    /// </summary>
    public static async Task<JsonElement> IsNotReadyAsync(HttpClient client, string[] notReady, params string[] secrets)
    {
        var response = await client.GetAsync("health/ready");
        var problem = await ProblemAssert.IsProblemAsync(response, 503, "not-ready");
        Assert.Equal(notReady, problem.GetProperty("notReady").EnumerateArray().Select(e => e.GetString()!).ToArray());
        var detail = problem.GetProperty("detail").GetString()!;
        foreach (var name in notReady) Assert.Contains(name, detail);
        Assert.Contains(" / ", problem.GetProperty("title").GetString());
        var text = problem.GetRawText();
        foreach (var secret in secrets.Append("Exception").Append("Host=").Append("Data Source").Append("127.0.0.1"))
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        await IsAliveAsync(client);
        return problem;
    }

    public static async Task IsAliveAsync(HttpClient client)
    {
        var response = await client.GetAsync("health");
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("ok", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }
}
