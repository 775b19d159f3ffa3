using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Cli.Linkage;
using Renkei.Cli.Network;
using Renkei.Cli.Records;
using Renkei.Hosting;
using Renkei.Node.Linkage;
using Renkei.Node.Tenants;
using Renkei.Protocol;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>
/// A network whose core and tenants hold records and have witnessed each other's heads, the logs grown since: the demo run, a
/// witness pass, the demo run again. It runs in this process, with network.json written for the commands to find it.
/// </summary>
public sealed class WitnessedNetwork : IAsyncLifetime
{
    private readonly TempFolder folder = new();
    private readonly TempFolder operatorFolder = new();

    public SandboxNetwork Network { get; private set; } = null!;
    public string DataFolder => folder.Path;
    public string CaFile => operatorFolder.File("network-ca.pem");
    public LinkageSandbox Linkage => Network.Linkage!;

    public async Task InitializeAsync()
    {
        Network = await SandboxNetwork.StartAsync(folder.Path);
        await Network.Describe().WriteAsync(folder.Path);
        await File.WriteAllTextAsync(CaFile, Linkage.NetworkCaPem);
        var demo = await RenkeiCommand.RunAsync("demo", "moving-family", "--data", folder.Path);
        Assert.True(demo.ExitCode == 0, demo.Output + demo.Error);
        var witness = Linkage.NodeServices!.GetRequiredService<TreeHeadWitness>();
        foreach (var tenant in Linkage.NodeServices!.GetRequiredService<TenantDirectory>().All)
        {
            await witness.WitnessAsync(tenant);
            await witness.KeepCoreHeadAsync(tenant);
        }
        demo = await RenkeiCommand.RunAsync("demo", "moving-family", "--data", folder.Path);
        Assert.True(demo.ExitCode == 0, demo.Output + demo.Error);
    }

    public Tenant Tenant(string id) => Linkage.NodeServices!.GetRequiredService<TenantDirectory>().Find(id)!;

    public string AuditorToken(string id) => LinkageSandbox.Token(Linkage.NodeCallers, $"{id}-auditor");

    public async Task DisposeAsync()
    {
        await Network.DisposeAsync();
        folder.Dispose();
        operatorFolder.Dispose();
    }
}

public class AuditHeadsTests(WitnessedNetwork network) : IClassFixture<WitnessedNetwork>
{
    private const string Kashiwa = LinkageSandbox.Kashiwa, Bunkyo = LinkageSandbox.Bunkyo;

    [Fact]
    public async Task On_a_network_that_shows_every_party_one_log_the_audit_passes_with_a_line_per_party()
    {
        // Every tenant kept a head of the core's log, smaller than the core's now: each is proved, not only compared.
        SignedTreeHead? kept;
        await using (var c = await network.Tenant(Bunkyo).Database.OpenAsync()) kept = await TreeHeadWitness.KeptCoreHeadAsync(c);
        using var core = new HttpClient(network.Linkage.Handler, false) { BaseAddress = network.Linkage.CoreUrl };
        var now = await core.GetFromJsonAsync<SignedTreeHead>("api/records/tree-head", ServiceDefaults.Json);
        Assert.True(kept!.Size < now!.Size);

        var audit = await RenkeiCommand.RunAsync("records", "audit-heads", "--data", network.DataFolder);
        Assert.True(audit.ExitCode == 0, audit.Output + audit.Error);
        Assert.StartsWith("コア / core: 署名済みツリーヘッド", audit.Lines[0]);
        foreach (var (id, _, name) in LinkageSandbox.Agencies)
            Assert.Contains(audit.Lines, l => l.StartsWith($"{id} {name}: 一致 / consistent: コアの記録 / the core's log: この機関が保管した"));
        // The requester's and the provider's own logs were witnessed by the core, and have grown since.
        foreach (var id in new[] { Kashiwa, Bunkyo })
            Assert.Matches("機関の記録 / the tenant's log: コアが立ち会った [0-9]+ 件のツリーヘッドを、いまの [0-9]+ 件が含みます", audit.Lines.Single(l => l.StartsWith(id)));
        Assert.Contains("every view is consistent (4 tenants)", audit.Lines[^1]);
    }

    [Fact]
    public async Task On_a_network_with_no_head_kept_or_witnessed_the_audit_says_there_is_nothing_to_compare_not_that_all_agree()
    {
        using var empty = new TempFolder();
        var audit = await RenkeiCommand.RunAsync("records", "audit-heads", "--data", empty.Path);
        Assert.True(audit.ExitCode == 0, audit.Output + audit.Error);
        Assert.Equal("コア / core: 署名済みツリーヘッド 0 件 / signed tree head of 0 records", audit.Lines[0]);
        Assert.All(audit.Lines[1..^1], l => Assert.Contains(": まだ比べるものがありません / nothing to compare yet: ", l));
        Assert.Equal(LinkageSandbox.Agencies.Length, audit.Lines.Length - 2);
        Assert.EndsWith("nothing to compare yet: no head was kept or witnessed", audit.Lines[^1]);
        Assert.DoesNotContain("every view is consistent", audit.Output);
    }

    [Fact]
    public async Task A_core_that_shows_the_audit_another_log_than_it_showed_the_node_fails_it_naming_the_tenant()
    {
        using var coreKeys = PartyKeys.LoadOrCreate(Path.Combine(network.DataFolder, "core", "core-keys.pem"));
        using var realCore = new HttpClient(network.Linkage.Handler, false) { BaseAddress = network.Linkage.CoreUrl };
        var fork = false;
        await using var core = await FakeService.StartAsync(async context =>
        {
            // Log B: as many records as the real log (A, which the node was shown) and one more, with another root, signed by the core's key.
            if (fork && context.Request.Path.StartsWithSegments("/api/records"))
            {
                var real = (await realCore.GetFromJsonAsync<SignedTreeHead>("api/records/tree-head", ServiceDefaults.Json))!;
                var other = Sign(new SignedTreeHead("core", real.Size + 1, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), DateTimeOffset.UtcNow, ""), coreKeys);
                if (context.Request.Path == "/api/records/tree-head") await context.Response.WriteAsJsonAsync(other, ServiceDefaults.Json);
                else await context.Response.WriteAsJsonAsync(new ConsistencyProof(long.Parse(context.Request.Query["from"]!), [], other), ServiceDefaults.Json);
                return;
            }
            await ForwardAsync(context, realCore);
        });
        var environment = new Dictionary<string, string> { ["RENKEI_NODE_RECORDS_TOKEN"] = network.AuditorToken(Bunkyo) };
        string[] args = ["records", "audit-heads", "--agency", Bunkyo, "--node", network.Linkage.NodeUrl.ToString(), "--core", core.Url.ToString(), "--ca", network.CaFile];

        // Through the same stand-in, passing the core's answers on unchanged, the audit passes: what fails below is the fork.
        var honest = await RenkeiCommand.RunAsync(args, null, TimeSpan.FromMinutes(3), null, environment);
        Assert.True(honest.ExitCode == 0, honest.Output + honest.Error);
        Assert.Contains(honest.Lines, l => l.StartsWith($"{Bunkyo} 文京区: 一致 / consistent"));

        fork = true;
        var forked = await RenkeiCommand.RunAsync(args, null, TimeSpan.FromMinutes(3), null, environment);
        Assert.Equal(1, forked.ExitCode);
        var line = Assert.Single(forked.Lines, l => l.StartsWith(Bunkyo));
        Assert.StartsWith($"{Bunkyo} 文京区: 不一致 / NOT consistent: コアの記録 / the core's log: この機関が保管した", line);
        Assert.Contains("the consistency proof does not hold", line);
        // The tenant's own log is what the core witnessed: only the core's view differs.
        Assert.Contains("機関の記録 / the tenant's log: コアが立ち会った", line);
        Assert.Contains($"views differ (a log forked or rewritten): {Bunkyo}", forked.Error);
    }

    [Fact]
    public async Task A_node_that_shows_the_audit_another_log_than_the_core_witnessed_fails_it_naming_the_tenant()
    {
        var keys = network.Tenant(Kashiwa).Keys;
        using var realNode = LinkageSandbox.Client(network.Linkage.NodeUrl, network.AuditorToken(Kashiwa), network.Linkage.Handler);
        await using var node = await FakeService.StartAsync(async context =>
        {
            // The tenant's log B, signed by its key: as long as the log the core witnessed (A) and one more, with another root.
            if (context.Request.Path == $"/api/tenants/{Kashiwa}/records/tree-head" || context.Request.Path == $"/api/tenants/{Kashiwa}/records/consistency")
            {
                var witnessed = (await realNode.GetFromJsonAsync<SignedTreeHead>($"api/tenants/{Kashiwa}/records/tree-head", ServiceDefaults.Json))!;
                var other = Sign(new SignedTreeHead(Kashiwa, witnessed.Size + 1, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), DateTimeOffset.UtcNow, ""), keys);
                if (context.Request.Path.Value!.EndsWith("/tree-head")) await context.Response.WriteAsJsonAsync(other, ServiceDefaults.Json);
                else await context.Response.WriteAsJsonAsync(new ConsistencyProof(long.Parse(context.Request.Query["from"]!), [], other), ServiceDefaults.Json);
                return;
            }
            await ForwardAsync(context, realNode);
        });
        var forked = await RenkeiCommand.RunAsync(["records", "audit-heads", "--agency", Kashiwa, "--node", node.Url.ToString(), "--core", network.Linkage.CoreUrl.ToString(),
            "--ca", network.CaFile], null, TimeSpan.FromMinutes(3), null, new Dictionary<string, string> { ["RENKEI_NODE_RECORDS_TOKEN"] = network.AuditorToken(Kashiwa) });
        Assert.Equal(1, forked.ExitCode);
        var line = Assert.Single(forked.Lines, l => l.StartsWith(Kashiwa));
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(line, "^122173 柏市: 不一致 / NOT consistent: コアの記録 / the core's log: この機関が保管した .*; 機関の記録 / the tenant's log: コアが立ち会った [0-9]+ 件のツリーヘッドを、いまの記録が含みません"), line);
        Assert.Contains($"views differ (a log forked or rewritten): {Kashiwa}", forked.Error);
    }

    [Fact]
    public async Task A_tenant_the_token_may_not_read_is_not_checked_and_fails_the_audit_as_such_not_as_a_fork()
    {
        var audit = await RenkeiCommand.RunAsync(["records", "audit-heads", "--agency", Kashiwa, "--node", network.Linkage.NodeUrl.ToString(), "--core",
            network.Linkage.CoreUrl.ToString(), "--ca", network.CaFile], null, TimeSpan.FromMinutes(3), null,
            new Dictionary<string, string> { ["RENKEI_NODE_RECORDS_TOKEN"] = network.AuditorToken(Bunkyo) });
        Assert.Equal(1, audit.ExitCode);
        Assert.StartsWith($"{Kashiwa} 柏市: 未確認 / not checked", Assert.Single(audit.Lines, l => l.StartsWith(Kashiwa)));
        Assert.Contains("403", audit.Output);
        Assert.Contains($"not checked: {Kashiwa}", audit.Error);
        Assert.DoesNotContain("views differ", audit.Error);
    }

    /// <summary>
    /// The tenants of one node keep the same head of the core's log after a witness pass: the audit asked the core for one
    /// identical consistency proof per tenant. It now asks once per head kept, and each tenant is still said to agree.
    /// </summary>
    [Fact]
    public async Task The_core_proves_a_head_kept_by_several_tenants_once()
    {
        using var realCore = new HttpClient(network.Linkage.Handler, false) { BaseAddress = network.Linkage.CoreUrl };
        var proofs = 0;
        await using var core = await FakeService.StartAsync(async context =>
        {
            if (context.Request.Path == "/api/records/consistency") Interlocked.Increment(ref proofs);
            await ForwardAsync(context, realCore);
        });
        using var coreClient = new HttpClient { BaseAddress = core.Url };
        using var node = new HttpClient(network.Linkage.Handler, false) { BaseAddress = network.Linkage.NodeUrl };
        var audit = new HeadAudit(coreClient, node, network.AuditorToken);
        Assert.Null(await audit.StartAsync(CancellationToken.None));
        var agencies = (await audit.AgenciesAsync(CancellationToken.None))!;
        var kept = new HashSet<(long, string)>();
        foreach (var agency in agencies)
        {
            await using var c = await network.Tenant(agency.AgencyId).Database.OpenAsync();
            var head = (await TreeHeadWitness.KeptCoreHeadAsync(c))!;
            Assert.True(head.Size < audit.CoreHead.Size);
            kept.Add((head.Size, head.RootHash));
        }
        Assert.True(kept.Count < agencies.Count, "the tenants kept one head between them");

        var results = new List<TenantAudit>();
        foreach (var agency in agencies) results.Add(await audit.TenantAsync(agency, CancellationToken.None));

        Assert.Equal(LinkageSandbox.Agencies.Length, results.Count);
        Assert.All(results, r => Assert.Equal(Agreement.Consistent, r.CoreLog.Agreement));
        Assert.Equal(kept.Count, proofs);
    }

    private static SignedTreeHead Sign(SignedTreeHead head, PartyKeys keys) =>
        head with { Signature = Convert.ToBase64String(keys.Signing.SignData(head.SignedBytes(), HashAlgorithmName.SHA256)) };

    /// <summary>Passes a request on to the real service, its token with it, and its answer back.</summary>
    private static async Task ForwardAsync(HttpContext context, HttpClient to)
    {
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path.Value![1..] + context.Request.QueryString);
        if (context.Request.Headers.Authorization.Count > 0) request.Headers.TryAddWithoutValidation("Authorization", context.Request.Headers.Authorization.ToString());
        using var response = await to.SendAsync(request);
        context.Response.StatusCode = (int)response.StatusCode;
        if (response.Content.Headers.ContentType is { } type) context.Response.ContentType = type.ToString();
        await response.Content.CopyToAsync(context.Response.Body);
    }
}
