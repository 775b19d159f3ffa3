using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Node.Linkage;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit X, finding 2: the node first read the core's agency list when a batch or a refused inquiry needed it, cold, over
/// mutual TLS, and gave that read 3 s; on a loaded machine it answered 503 or recorded <c>unknown</c>. It now reads the list
/// when it starts, and the wait is <c>Node:AgencyListWaitSeconds</c>.
/// </summary>
public class AgencyListAtStartTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    /// <summary>A core that answers the agency list with <paramref name="list"/>'s answer, and everything else with 503.</summary>
    private static Task<StubPeer> CoreAsync(Func<HttpContext, Task> list) => StubPeer.StartAsync(async context =>
    {
        if (context.Request.Path == "/api/agencies") await list(context);
        else context.Response.StatusCode = 503;
    });

    private static async Task<HttpResponseMessage> AskAsync(LinkageNetwork network, string clerk) =>
        await network.NodeClient(clerk).PostAsJsonAsync($"api/tenants/{B}/inquiries",
            new { addresseeNumber = "B-1", affair = "child-allowance", provider = K, item = "local-tax" }, ServiceDefaults.Json);

    private static async Task<HttpResponseMessage> SubmitAsync(LinkageNetwork network) =>
        await network.NodeClient("bunkyo-child-system").PostAsJsonAsync($"api/tenants/{B}/inquiry-batches",
            new { affair = "child-allowance", provider = K, item = "local-tax", addresseeNumbers = new[] { "B-1" } }, ServiceDefaults.Json);

    private static async Task<List<string>> RecordsAsync(LinkageNetwork network)
    {
        await using var c = await network.TenantDatabases[B].OpenAsync();
        return await c.QueryAsync("SELECT provider, reason FROM provision_records ORDER BY seq", r => $"{r.GetString(0)}|{r.GetString(1)}");
    }

    private static Task<LinkageNetwork> StartAsync(StorageProvider provider, StubPeer core) =>
        LinkageNetwork.StartAsync(provider, configureNode: b => b.Configuration.AddInMemoryCollection([new("Node:CoreAddress", core.Url.ToString())]));

    [Theory, StorageData]
    public async Task A_node_reads_the_agency_list_when_it_starts_so_its_first_requests_find_it_known_with_the_core_down(StorageProvider provider)
    {
        var listed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var down = 0;
        await using var core = await CoreAsync(async context =>
        {
            if (Volatile.Read(ref down) == 1)
            {
                context.Response.StatusCode = 503;
                return;
            }
            await context.Response.WriteAsJsonAsync(new[] { new { agencyId = K } });
            listed.TrySetResult();
        });
        await using var network = await StartAsync(provider, core);
        // Nobody has asked the node anything: it reads the list on its own once started. Then the core goes down.
        await listed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Volatile.Write(ref down, 1);

        // The node's first requests need the list and find it: a refused inquiry names the provider, a batch is accepted.
        await ProblemAssert.IsProblemAsync(await AskAsync(network, "bunkyo-vaccination-clerk"), 403, "affair-not-assigned");
        Assert.Equal(HttpStatusCode.Accepted, (await SubmitAsync(network)).StatusCode);
        Assert.Equal($"{K}|affair-not-assigned", (await RecordsAsync(network))[0]);
    }

    [Theory]
    [InlineData(503)]
    [InlineData(200)]
    public async Task A_list_read_at_start_that_failed_or_did_not_name_the_agency_yet_is_read_again_at_the_first_miss(int atStart)
    {
        // The core down when the node starts (the node starts all the same), or up without the agency: agencies are
        // registered after their node starts, since the core needs their keys from it. The first miss must not go by that read.
        var firstRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reads = 0;
        await using var core = await CoreAsync(async context =>
        {
            if (Interlocked.Increment(ref reads) == 1)
            {
                context.Response.StatusCode = atStart;
                if (atStart == 200) await context.Response.WriteAsJsonAsync(Array.Empty<object>());
                firstRead.TrySetResult();
                return;
            }
            await context.Response.WriteAsJsonAsync(new[] { new { agencyId = K } });
        });
        await using var network = await StartAsync(StorageProvider.Sqlite, core);
        await firstRead.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Whether the node has taken in that read yet or still waits on it, the miss reads once more, and finds the agency.
        await ProblemAssert.IsProblemAsync(await AskAsync(network, "bunkyo-vaccination-clerk"), 403, "affair-not-assigned");
        Assert.Equal([$"{K}|affair-not-assigned"], await RecordsAsync(network));
        Assert.Equal(2, Volatile.Read(ref reads));
    }

    [Fact]
    public async Task The_wait_for_the_agency_list_is_a_setting_of_one_to_ten_seconds()
    {
        using var folder = new TempFolder();
        WebApplication Create(string seconds) => NodeSettings.Create(folder.Path, ("Node:AgencyListWaitSeconds", seconds));
        SettingAssert.RefusesOutsideRange("Node:AgencyListWaitSeconds", 1, 10, Create);
        await using var app = Create("7");
        Assert.Equal(TimeSpan.FromSeconds(7), app.Services.GetRequiredService<KnownAgencies>().LongestWait);
    }
}
