using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// The core stops mid-answer to a relayed inquiry: the body ends before the length it promised. HttpClient's buffering wraps
/// that in an HttpRequestException; read as a stream (and in the test network, whose capturing handler rethrows what a
/// streamed read meets) it is an IOException, which the relay took for a fault of this node: node-error, not core-unreachable.
/// </summary>
public class RelayCutShortTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    [Theory, StorageData]
    public async Task A_core_that_cuts_its_answer_or_its_problem_short_is_recorded_as_unreachable(StorageProvider provider)
    {
        foreach (var (status, type, part) in new[]
        {
            (200, "application/json", "{\"messageId\": \"m\", \"kind\": "),
            (503, "application/problem+json", "{\"type\": \"https://renkei.example/problems/"),
        })
        {
            await using var core = await StubPeer.StartAsync(async context =>
            {
                if (context.Request.Path == "/api/agencies")
                {
                    await context.Response.WriteAsJsonAsync(new[] { new { agencyId = K }, new { agencyId = B } });
                    return;
                }
                if (context.Request.Path != "/api/relay/inquiries")
                {
                    context.Response.StatusCode = 404;
                    return;
                }
                // Fewer bytes than promised: Kestrel ends the connection once the handler returns.
                var body = Encoding.UTF8.GetBytes(part);
                context.Response.StatusCode = status;
                context.Response.ContentType = type;
                context.Response.ContentLength = body.Length + 5000;
                await context.Response.Body.WriteAsync(body);
                await context.Response.Body.FlushAsync();
            });
            await using var network = await LinkageNetwork.StartAsync(provider,
                configureNode: b => b.Configuration.AddInMemoryCollection([new("Node:CoreAddress", core.Url.ToString())]));
            // The code as the node keeps it; the stub core never sees a real one.
            await using (var c = await network.TenantDatabases[B].OpenAsync())
                await c.ExecuteAsync("INSERT INTO addressees (addressee_number, agency_code, code_issued_at, created_at) VALUES ('B-1', 'code-of-b-1', @t, @t)",
                    null, ("t", DateTimeOffset.UtcNow.ToString("O")));

            var answer = await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{B}/inquiries",
                new { addresseeNumber = "B-1", affair = "child-allowance", provider = K, item = "local-tax" }, ServiceDefaults.Json));
            Assert.Equal(("error", "core-unreachable", K),
                (answer.GetProperty("outcome").GetString(), answer.GetProperty("reason").GetString(), answer.GetProperty("provider").GetString()));
            await using (var c = await network.TenantDatabases[B].OpenAsync())
                Assert.Equal([$"{K}|core-unreachable"], await c.QueryAsync("SELECT provider, reason FROM provision_records", r => $"{r.GetString(0)}|{r.GetString(1)}"));
        }
    }
}
