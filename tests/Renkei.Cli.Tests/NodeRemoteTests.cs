using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Renkei.Hosting;
using System.Text.Json;
using Renkei.Cli.Linkage;
using Renkei.Cli.Network;
using Renkei.Hosting.Storage;
using Renkei.Hosting.Tls;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>
/// A network run as an operator runs separate services: the CLI gets their URLs, the network CA's certificate in a file of its
/// own and tokens in its environment, and runs from an empty folder without --data, so no network.json or callers.json is in reach.
/// </summary>
public sealed class SeparateServices : IAsyncLifetime
{
    public const string Kashiwa = LinkageSandbox.Kashiwa, Bunkyo = LinkageSandbox.Bunkyo;
    public static readonly string Insurer = LinkageSandbox.HealthInsurer;

    private readonly TempFolder folder = new();
    private readonly TempFolder operatorFolder = new();

    public SandboxNetwork Network { get; private set; } = null!;
    public string DataFolder => folder.Path;
    public List<string> Numbers { get; private set; } = null!;

    /// <summary>The network CA's certificate, copied to the operator's folder.</summary>
    public string CaFile => operatorFolder.File("network-ca.pem");

    public string Node => Network.Linkage!.NodeUrl.ToString();
    public string Core => Network.Linkage!.CoreUrl.ToString();
    public string Registry => Network.RegistryUrl.ToString();

    public async Task InitializeAsync()
    {
        Assert.Equal(0, (await RenkeiCommand.RunAsync("registry", "seed", "--data", folder.Path, "--municipalities", "1", "--residents", "6", "--seed", "23")).ExitCode);
        var export = (await RenkeiCommand.RunAsync("registry", "export", "--data", folder.Path)).Lines;
        var column = Array.IndexOf(export[0].Split(','), "individual_number");
        Numbers = [.. export.Skip(1).Select(l => l.Split(',')[column])];
        Network = await SandboxNetwork.StartAsync(folder.Path);
        await File.WriteAllTextAsync(CaFile, Network.Linkage!.NetworkCaPem);
    }

    public string NodeToken(string caller) => LinkageSandbox.Token(Network.Linkage!.NodeCallers, caller);
    public string CoreToken(string caller) => LinkageSandbox.Token(Network.Linkage!.CoreCallers, caller);
    public string RegistryToken => SandboxCallers.TokenOf(folder.Path, "link-keys");

    /// <summary>The tokens issue-codes needs for <paramref name="agency"/>'s addressee system.</summary>
    public Dictionary<string, string> AddresseeTokens(string agency) => new()
    {
        ["RENKEI_NODE_ADDRESSEE_TOKEN"] = NodeToken($"{agency}-addressee"),
        ["RENKEI_CORE_TOKEN"] = CoreToken($"{agency}-addressee"),
        ["RENKEI_REGISTRY_TOKEN"] = RegistryToken,
    };

    public string[] ByUrl(string? ca = null) => ["--node", Node, "--core", Core, "--registry", Registry, "--ca", ca ?? CaFile];

    /// <summary>Runs renkei in an empty folder with <paramref name="environment"/>, and checks that it left nothing there (no ./data).</summary>
    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var empty = new TempFolder();
        var result = await RenkeiCommand.RunAsync(args, null, TimeSpan.FromMinutes(3), empty.Path, environment);
        Assert.Empty(Directory.GetFileSystemEntries(empty.Path));
        return result;
    }

    /// <summary>What one tenant of the node holds: addressees with a code, pending acquisition numbers, copies.</summary>
    public async Task<(List<string> Coded, long Acquisitions, Dictionary<string, JsonElement> Copies)> TenantAsync(string agency)
    {
        await using var c = await Database.Sqlite(Path.Combine(folder.Path, "node", "tenants", agency, "node.db")).OpenAsync();
        var coded = await c.QueryAsync("SELECT addressee_number FROM addressees WHERE agency_code IS NOT NULL ORDER BY addressee_number", r => r.GetString(0));
        var copies = await c.QueryAsync("SELECT addressee_number, content FROM copies", r => (r.GetString(0), JsonDocument.Parse(r.GetString(1)).RootElement.Clone()));
        return ([.. coded], await c.ScalarAsync<long>("SELECT COUNT(*) FROM acquisitions"), copies.ToDictionary(x => x.Item1, x => x.Item2));
    }

    public async Task DisposeAsync()
    {
        await Network.DisposeAsync();
        folder.Dispose();
        operatorFolder.Dispose();
    }
}

public class NodeRemoteTests(SeparateServices services) : IClassFixture<SeparateServices>
{
    private const string Kashiwa = SeparateServices.Kashiwa, Bunkyo = SeparateServices.Bunkyo;
    private static readonly string Insurer = SeparateServices.Insurer;

    private static string Line(string addressee, int income) => $$"""{"addresseeNumber":"{{addressee}}","item":"local-tax","schemaVersion":1,"content":{{Tax(income)}}}""";

    private static string Tax(int income) => $$"""{"fiscalYear":2025,"totalIncome":{{income}},"taxableIncome":0,"municipalTax":0,"prefecturalTax":0}""";

    private static async Task<string> FileAsync(TempFolder folder, string name, params string[] lines)
    {
        await File.WriteAllLinesAsync(folder.File(name), lines);
        return folder.File(name);
    }

    [Fact]
    public async Task Every_node_command_works_on_services_reached_by_url_with_tokens_from_the_environment_and_no_data_folder()
    {
        using var inputs = new TempFolder();
        var n = services.Numbers;
        var outputs = new List<string>();
        foreach (var (agency, prefix, count) in new[] { (Bunkyo, "B", 4), (Kashiwa, "K", 3) })
        {
            var people = await FileAsync(inputs, $"{prefix}.csv", [.. n.Take(count).Select((number, i) => $"{prefix}-{i + 1},{number}")]);
            var issued = await SeparateServices.RunAsync(services.AddresseeTokens(agency), ["node", "issue-codes", "--agency", agency, "--file", people, .. services.ByUrl()]);
            Assert.True(issued.ExitCode == 0, issued.Output + issued.Error);
            Assert.Contains($"codes delivered: {count}, 該当者なし / unknown: 0", issued.Output);
            outputs.Add(issued.Output + issued.Error);
        }
        Assert.Equal(["B-1", "B-2", "B-3", "B-4"], (await services.TenantAsync(Bunkyo)).Coded);
        Assert.Equal(0, (await services.TenantAsync(Bunkyo)).Acquisitions);

        var copies = await FileAsync(inputs, "copies.jsonl", Line("K-1", 3_000_001), Line("K-2", 3_000_002));
        var imported = await SeparateServices.RunAsync(new Dictionary<string, string> { ["RENKEI_NODE_COPIES_TOKEN"] = services.NodeToken($"{Kashiwa}-copies") },
            "node", "import-copies", "--agency", Kashiwa, "--file", copies, "--node", services.Node, "--ca", services.CaFile);
        Assert.True(imported.ExitCode == 0, imported.Output + imported.Error);
        Assert.Contains("copies imported: 2, 不正な行 / bad rows: 0", imported.Output);
        Assert.Equal(3_000_002, (await services.TenantAsync(Kashiwa)).Copies["K-2"].GetProperty("totalIncome").GetInt32());
        outputs.Add(imported.Output + imported.Error);

        var list = await FileAsync(inputs, "list.txt", "B-1", "B-2", "B-3", "B-4");
        var results = inputs.File("results.jsonl");
        var asked = await SeparateServices.RunAsync(new Dictionary<string, string> { ["RENKEI_NODE_STAFF_TOKEN"] = services.NodeToken($"{Bunkyo}-child-allowance") },
            "node", "inquire-batch", "--agency", Bunkyo, "--affair", "child-allowance", "--provider", Kashiwa, "--item", "local-tax",
            "--file", list, "--out", results, "--node", services.Node, "--ca", services.CaFile);
        Assert.True(asked.ExitCode == 0, asked.Output + asked.Error);
        Assert.Contains("4 件 / people", asked.Error);
        outputs.Add(asked.Output + asked.Error);
        var answers = (await File.ReadAllLinesAsync(results)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["B-1", "B-2", "B-3", "B-4"], answers.Select(a => a.GetProperty("addresseeNumber").GetString()));
        Assert.Equal(["provided", "provided", "no-data", "no-data"], answers.Select(a => a.GetProperty("outcome").GetString()));
        Assert.Equal(3_000_001, answers[0].GetProperty("content").GetProperty("totalIncome").GetInt32());

        foreach (var number in n) Assert.All(outputs, o => Assert.DoesNotContain(number, o));
        // No network was looked for or started: nothing said of one, nothing written beside the services' own data.
        Assert.All(outputs, o => Assert.DoesNotContain("network", o));
        Assert.False(File.Exists(NetworkFile.PathIn(services.DataFolder)));
    }

    [Fact]
    public async Task A_missing_or_empty_token_variable_is_one_line_naming_it_and_nothing_is_asked()
    {
        using var inputs = new TempFolder();
        var people = await FileAsync(inputs, "people.csv", $"H-1,{services.Numbers[0]}");
        var copies = await FileAsync(inputs, "copies.jsonl", Line("H-1", 1));
        var tokens = services.AddresseeTokens(Insurer);
        foreach (var (variable, args) in new[]
        {
            ("RENKEI_REGISTRY_TOKEN", (string[])["node", "issue-codes", "--agency", Insurer, "--file", people, .. services.ByUrl()]),
            ("RENKEI_NODE_COPIES_TOKEN", ["node", "import-copies", "--agency", Insurer, "--file", copies, "--node", services.Node, "--ca", services.CaFile]),
            ("RENKEI_NODE_STAFF_TOKEN", ["node", "inquire-batch", "--agency", Insurer, "--affair", "health-insurance", "--provider", Kashiwa, "--item", "local-tax",
                "--file", copies, "--node", services.Node, "--ca", services.CaFile]),
        })
        {
            foreach (var value in new[] { null, "", "  " })
            {
                var environment = tokens.Where(t => t.Key != variable).ToDictionary();
                if (value is not null) environment[variable] = value;
                var result = await SeparateServices.RunAsync(environment, args);
                Assert.True(result.ExitCode == 1, result.Output + result.Error);
                var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                Assert.StartsWith($"環境変数 {variable} がありません", line);
                Assert.Contains($"the environment variable {variable} is not set", line);
                Assert.Equal("", result.Output);
            }
        }
        var tenant = await services.TenantAsync(Insurer);
        Assert.Equal((0, 0L, 0), (tenant.Coded.Count, tenant.Acquisitions, tenant.Copies.Count));
    }

    [Fact]
    public async Task A_token_the_service_does_not_know_or_one_without_the_permission_is_refused_naming_the_variable()
    {
        using var inputs = new TempFolder();
        var copies = await FileAsync(inputs, "copies.jsonl", Line("H-1", 1));
        var list = await FileAsync(inputs, "list.txt", "B-1");
        string[] import = ["node", "import-copies", "--file", copies, "--node", services.Node, "--ca", services.CaFile];
        string[] inquire = ["node", "inquire-batch", "--agency", Bunkyo, "--affair", "child-allowance", "--provider", Kashiwa, "--item", "local-tax",
            "--file", list, "--node", services.Node, "--ca", services.CaFile];
        foreach (var (variable, token, args, expected) in new[]
        {
            ("RENKEI_NODE_COPIES_TOKEN", "not-a-token", (string[])[.. import, "--agency", Insurer], "401 認証が必要です / Authentication required"),
            // Another tenant's system: the node refuses it for this agency.
            ("RENKEI_NODE_COPIES_TOKEN", services.NodeToken($"{Kashiwa}-copies"), [.. import, "--agency", Insurer], "403 他の機関のデータにはアクセスできません"),
            ("RENKEI_NODE_STAFF_TOKEN", "not-a-token", inquire, "401 認証が必要です / Authentication required"),
            // Bunkyo's vaccination staff asking as child allowance: the node refuses the affair.
            ("RENKEI_NODE_STAFF_TOKEN", services.NodeToken($"{Bunkyo}-vaccination"), inquire, "403 "),
        })
        {
            var result = await SeparateServices.RunAsync(new Dictionary<string, string> { [variable] = token }, args);
            Assert.True(result.ExitCode == 1, result.Output + result.Error);
            var refusal = Assert.Single(result.Error.Split('\n'), l => l.Contains(expected));
            Assert.Contains(variable, refusal);
            Assert.Contains(expected.StartsWith("401") ? "the service does not know the token in" : "lacks this permission", refusal);
            // Sending again from line 1 cannot help against a refusal of the token: it was said all the same.
            Assert.DoesNotContain("send again", result.Error);
            Assert.DoesNotContain(token, result.Output + result.Error);
            Assert.DoesNotContain("   at ", result.Error);
        }

        // Whether the node hosts the agency, the node says: callers.json is not there to ask.
        var unknown = await SeparateServices.RunAsync(new Dictionary<string, string> { ["RENKEI_NODE_COPIES_TOKEN"] = services.NodeToken($"{Kashiwa}-copies") },
            [.. import, "--agency", "999999"]);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("404 この中間サーバーに該当する機関はありません / No such tenant on this node", unknown.Error);

        // issue-codes names the service that refused and the variable of its token; the node's acquisition numbers are discarded.
        var people = await FileAsync(inputs, "people.csv", $"H-1,{services.Numbers[0]}");
        var tokens = services.AddresseeTokens(Insurer);
        tokens["RENKEI_CORE_TOKEN"] = services.CoreToken($"{Kashiwa}-addressee");
        var codes = await SeparateServices.RunAsync(tokens, ["node", "issue-codes", "--agency", Insurer, "--file", people, .. services.ByUrl()]);
        Assert.True(codes.ExitCode == 1, codes.Output + codes.Error);
        var failed = Assert.Single(codes.Error.Split('\n'), l => l.StartsWith("失敗しました / failed: "));
        Assert.Contains("the core refused api/codes/issue: 403", failed);
        Assert.Contains("the token in RENKEI_CORE_TOKEN lacks this permission", failed);
        Assert.DoesNotContain(services.Numbers[0], codes.Output + codes.Error);
        var tenant = await services.TenantAsync(Insurer);
        Assert.Equal((0, 0L, 0), (tenant.Coded.Count, tenant.Acquisitions, tenant.Copies.Count));
    }

    [Fact]
    public async Task A_ca_file_of_another_CA_refuses_every_service_at_TLS_and_nothing_is_sent()
    {
        using var other = new TempFolder();
        using (var ca = NetworkCa.LoadOrCreate(other.Path)) await File.WriteAllTextAsync(other.File("other-ca.pem"), ca.CertificatePem);
        using var inputs = new TempFolder();
        var people = await FileAsync(inputs, "people.csv", $"H-1,{services.Numbers[0]}");
        var copies = await FileAsync(inputs, "copies.jsonl", Line("H-1", 1));

        var codes = await SeparateServices.RunAsync(services.AddresseeTokens(Insurer),
            ["node", "issue-codes", "--agency", Insurer, "--file", people, .. services.ByUrl(other.File("other-ca.pem"))]);
        Assert.True(codes.ExitCode == 1, codes.Output + codes.Error);
        var lines = codes.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([$"中間サーバー {services.Node}", $"住民基本台帳ネットワーク {services.Registry}", $"情報提供ネットワークシステム {services.Core}"],
            lines.Select(l => l[..l.IndexOf(": ", StringComparison.Ordinal)]));
        Assert.All(lines, l => Assert.Contains($"証明書がCAにつながりません（--ca {other.File("other-ca.pem")}） / ", l));
        Assert.All(lines, l => Assert.Contains("certificate does not chain to the given CA", l));
        Assert.Equal("", codes.Output);

        var imported = await SeparateServices.RunAsync(new Dictionary<string, string> { ["RENKEI_NODE_COPIES_TOKEN"] = services.NodeToken($"{Insurer}-copies") },
            "node", "import-copies", "--agency", Insurer, "--file", copies, "--node", services.Node, "--ca", other.File("other-ca.pem"));
        Assert.True(imported.ExitCode == 1, imported.Output + imported.Error);
        Assert.Equal($"中間サーバー {services.Node}: 証明書がCAにつながりません（--ca {other.File("other-ca.pem")}） / the node at {services.Node}: "
            + $"certificate does not chain to the given CA (--ca {other.File("other-ca.pem")})", imported.Error.Trim());

        var tenant = await services.TenantAsync(Insurer);
        Assert.Equal((0, 0L, 0), (tenant.Coded.Count, tenant.Acquisitions, tenant.Copies.Count));
    }

    [Fact]
    public async Task An_unreachable_service_is_named_with_its_url_and_nothing_is_sent_to_the_others()
    {
        var closed = LoopbackPorts.Closed();
        using var inputs = new TempFolder();
        var people = await FileAsync(inputs, "people.csv", $"H-1,{services.Numbers[0]}");
        var codes = await SeparateServices.RunAsync(services.AddresseeTokens(Insurer),
            "node", "issue-codes", "--agency", Insurer, "--file", people, "--node", services.Node, "--core", services.Core,
            "--registry", $"https://127.0.0.1:{closed}", "--ca", services.CaFile);
        Assert.True(codes.ExitCode == 1, codes.Output + codes.Error);
        Assert.Equal($"住民基本台帳ネットワーク https://127.0.0.1:{closed}/: 接続を拒否されました（URLのポートと、サービスが動いているかを確かめてください）"
            + $" / the Registry at https://127.0.0.1:{closed}/: connection refused: check the URL's port and that the service runs", codes.Error.Trim());
        // The node was reachable, but asked for no acquisition number: the Registry's refusal was known before.
        Assert.Equal(0L, (await services.TenantAsync(Insurer)).Acquisitions);

        var copies = await FileAsync(inputs, "copies.jsonl", Line("H-1", 1));
        var imported = await SeparateServices.RunAsync(new Dictionary<string, string> { ["RENKEI_NODE_COPIES_TOKEN"] = "t" },
            "node", "import-copies", "--agency", Insurer, "--file", copies, "--node", $"http://127.0.0.1:{closed}");
        Assert.Equal(1, imported.ExitCode);
        Assert.Contains($"the node at http://127.0.0.1:{closed}/: connection refused", imported.Error);
        Assert.Single(imported.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_url_of_another_service_or_another_application_is_named_so_and_no_token_goes_there()
    {
        using var inputs = new TempFolder();
        var copies = await FileAsync(inputs, "copies.jsonl", Line("H-1", 1));
        // The Registry given as the node: its /health names it, so the copies token never reaches it.
        var registry = await SeparateServices.RunAsync(new Dictionary<string, string> { ["RENKEI_NODE_COPIES_TOKEN"] = "copies-token" },
            "node", "import-copies", "--agency", Insurer, "--file", copies, "--node", services.Registry, "--ca", services.CaFile);
        Assert.Equal(1, registry.ExitCode);
        Assert.Equal($"中間サーバー {services.Registry}: このURLは住民基本台帳ネットワークです。中間サーバーのURLを指定してください"
            + $" / the node at {services.Registry}: this URL is the Registry's, not the node's", registry.Error.Trim());
        Assert.Equal("", registry.Output);

        // The node and the core swapped in issue-codes: each is named for what it is.
        var people = await FileAsync(inputs, "people.csv", $"H-1,{services.Numbers[0]}");
        var swapped = await SeparateServices.RunAsync(services.AddresseeTokens(Insurer), "node", "issue-codes", "--agency", Insurer, "--file", people,
            "--node", services.Core, "--core", services.Node, "--registry", services.Registry, "--ca", services.CaFile);
        Assert.Equal(1, swapped.ExitCode);
        Assert.Contains($"the node at {services.Core}: this URL is the core's, not the node's", swapped.Error);
        Assert.Contains($"the core at {services.Node}: this URL is the node's, not the core's", swapped.Error);
        Assert.Equal(0L, (await services.TenantAsync(Insurer)).Acquisitions);

        // Another application whose /health answers 200: not taken for the node.
        await using var other = await FakeService.StartAsync(c => c.Response.WriteAsync("ok"));
        var foreign = await SeparateServices.RunAsync(new Dictionary<string, string> { ["RENKEI_NODE_COPIES_TOKEN"] = "copies-token" },
            "node", "import-copies", "--agency", Insurer, "--file", copies, "--node", other.Url.ToString());
        Assert.Equal(1, foreign.ExitCode);
        Assert.Contains("Renkei の中間サーバーではありません（/health がサービス名を答えません）", foreign.Error);
        Assert.Equal(["GET /health"], other.Asked);
    }

    [Fact]
    public async Task The_wrong_scheme_for_a_port_is_named_as_such()
    {
        using var inputs = new TempFolder();
        var copies = await FileAsync(inputs, "copies.jsonl", Line("H-1", 1));
        var tokens = new Dictionary<string, string> { ["RENKEI_NODE_COPIES_TOKEN"] = "copies-token" };
        // https:// to a port that speaks plain http: no certificate ever came, so it is not the CA's fault.
        await using var plain = await FakeService.StartAsync(c => FakeService.Health(c, "node"));
        var tls = await SeparateServices.RunAsync(tokens, "node", "import-copies", "--agency", Insurer, "--file", copies,
            "--node", $"https://127.0.0.1:{plain.Port}/", "--ca", services.CaFile);
        Assert.Equal(1, tls.ExitCode);
        Assert.Contains("TLSで接続できません（http のポートではありませんか）", tls.Error);
        Assert.DoesNotContain("CAにつながりません", tls.Error);
        Assert.Single(tls.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // http:// to the node's https port: no HTTP answer comes, and the line says to use https://.
        var https = new UriBuilder(services.Node) { Scheme = "http" }.Uri;
        var clear = await SeparateServices.RunAsync(tokens, "node", "import-copies", "--agency", Insurer, "--file", copies, "--node", https.ToString());
        Assert.Equal(1, clear.ExitCode);
        Assert.Contains("HTTPの応答がありません（https のポートではありませんか。https:// と --ca を使ってください）", clear.Error);
        Assert.Contains("is this an https port? Use https:// and --ca", clear.Error);
        Assert.Single(clear.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Plain_http_on_this_machine_is_taken_by_each_loopback_name()
    {
        // Plain http on every address in front of the real node's https: what the node makes of the lines sent is what the CLI reads.
        using var toNode = new HttpClient(NetworkTls.Handler(X509Certificate2.CreateFromPem(services.Network.Linkage!.NetworkCaPem)));
        await using var node = await FakeService.StartAsync(c => RelayAsync(c, toNode, new Uri(services.Node)), "http://0.0.0.0:0");
        using var inputs = new TempFolder();
        var tokens = new Dictionary<string, string> { ["RENKEI_NODE_COPIES_TOKEN"] = services.NodeToken($"{Kashiwa}-copies") };
        string[] hosts = ["localhost", "LocalHost", "127.0.0.1", "127.0.0.2", "127.1"];
        foreach (var (host, i) in hosts.Select((h, i) => (h, i)))
        {
            var file = await FileAsync(inputs, $"copies-{i}.jsonl", Line($"L-{i}", 4_000_000 + i));
            var result = await SeparateServices.RunAsync(tokens, "node", "import-copies", "--agency", Kashiwa, "--file", file, "--node", $"http://{host}:{node.Port}");
            Assert.True(result.ExitCode == 0, $"{host}: {result.Output}{result.Error}");
            Assert.Contains("copies imported: 1, 不正な行 / bad rows: 0", result.Output);
        }
        Assert.Equal(10, node.Asked.Count); // a health check and an import through each name
        var held = (await services.TenantAsync(Kashiwa)).Copies;
        foreach (var i in Enumerable.Range(0, hosts.Length))
            Assert.Equal(4_000_000 + i, held[$"L-{i}"].GetProperty("totalIncome").GetInt32());
        // ::1 is this machine too: not a usage error, whether or not the machine has IPv6 to connect with.
        var closed = await SeparateServices.RunAsync(tokens, "node", "import-copies", "--agency", Kashiwa, "--file", inputs.File("copies-0.jsonl"),
            "--node", $"http://[::1]:{LoopbackPorts.Closed()}");
        Assert.Equal(1, closed.ExitCode);
        Assert.DoesNotContain("Usage:", closed.Error);
        Assert.StartsWith("中間サーバー http://[::1]:", closed.Error);
    }

    /// <summary>Passes a request on to <paramref name="target"/> and its answer back, as it came.</summary>
    private static async Task RelayAsync(HttpContext context, HttpClient client, Uri target)
    {
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(target, context.Request.Path.Value!.TrimStart('/') + context.Request.QueryString));
        if (context.Request.Headers.Authorization.Count > 0) request.Headers.TryAddWithoutValidation("Authorization", context.Request.Headers.Authorization.ToString());
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        if (body.Length > 0)
        {
            request.Content = new ByteArrayContent(body.ToArray());
            if (context.Request.ContentType is { } type) request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        using var answer = await client.SendAsync(request);
        context.Response.StatusCode = (int)answer.StatusCode;
        if (answer.Content.Headers.ContentType is { } answered) context.Response.ContentType = answered.ToString();
        await context.Response.Body.WriteAsync(await answer.Content.ReadAsByteArrayAsync());
    }
}

/// <summary>What the node commands refuse before any service is asked: mixed options, bad URLs, a CA file they cannot read.</summary>
public class NodeRemoteUsageTests
{
    private static readonly Dictionary<string, string> AllTokens = new()
    {
        ["RENKEI_NODE_ADDRESSEE_TOKEN"] = "a", ["RENKEI_CORE_TOKEN"] = "c", ["RENKEI_REGISTRY_TOKEN"] = "r",
        ["RENKEI_NODE_COPIES_TOKEN"] = "k", ["RENKEI_NODE_STAFF_TOKEN"] = "s",
    };

    [Fact]
    public async Task Options_that_mix_a_data_folder_with_services_by_url_are_usage_errors()
    {
        using var folder = new TempFolder();
        var ca = folder.File("ca.pem");
        var file = folder.File("input.txt");
        const string Node = "https://node.example:7103";
        string[] copies = ["node", "import-copies", "--agency", "122173", "--file", file];
        string[] codes = ["node", "issue-codes", "--agency", "122173", "--file", file];
        string[] batch = ["node", "inquire-batch", "--agency", "131059", "--affair", "child-allowance", "--provider", "122173", "--item", "local-tax", "--file", file];
        foreach (var (args, expected) in new[]
        {
            ((string[])[.. copies, "--node", Node, "--ca", ca, "--data", folder.Path], "--node と --data は一緒に使えません（--node はそのサービスを使い、--data のネットワークは使いません）/ --node and --data cannot be used together"),
            ([.. batch, "--node", Node, "--ca", ca, "--data", folder.Path], "--node and --data cannot be used together"),
            ([.. copies, "--ca", ca], "--ca は --node と一緒に使います / --ca goes with --node"),
            ([.. codes, "--core", "https://core.example", "--data", folder.Path], "--core goes with --node"),
            ([.. codes, "--registry", "https://registry.example"], "--registry goes with --node"),
            ([.. codes, "--node", Node, "--ca", ca], "--node には --core も必要です / --node needs --core too"),
            ([.. codes, "--node", Node, "--core", "https://core.example", "--ca", ca], "--node needs --registry too"),
            ([.. copies, "--node", Node], "https のサービスには --ca（ネットワークCAの証明書）が必要です / an https service needs --ca"),
            ([.. codes, "--node", "http://127.0.0.1:7103", "--core", "http://localhost:7102", "--registry", "https://registry.example"], "an https service needs --ca"),
            ([.. copies, "--node", "ftp://node.example/"], "--node は http:// か https:// で始まるURLです / --node must be a URL starting with http:// or https:// (got 'ftp://node.example/')"),
            ([.. copies, "--node", "node.example:7103"], "(got 'node.example:7103')"),
            ([.. codes, "--node", Node, "--core", "https://core.example?x=1", "--registry", "https://registry.example", "--ca", ca], "--core must be a URL"),
            ([.. batch, "--node", Node, "--ca", ca, "--caller", "131059-child-allowance"], "--caller は --data のネットワークでだけ使えます / --caller applies only to a network in --data"),
        })
        {
            var result = await SeparateServices.RunAsync(AllTokens, args);
            Assert.True(result.ExitCode == 1, $"{string.Join(' ', args)}: {result.Output}{result.Error}");
            Assert.Contains(expected, result.Error);
            Assert.Contains("Usage:", result.Error); // a usage error, with the command's help, as the CLI's others
            Assert.Equal("", result.Output);
        }
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path)); // no network was started in --data either
    }

    [Fact]
    public async Task A_plain_http_url_of_another_host_is_a_usage_error_naming_the_option_and_nothing_is_sent()
    {
        // Listening on every address: one of the machine's own non-loopback addresses is another host as the network sees it, and
        // 0.0.0.0 reaches this listener too without being a loopback address.
        await using var listener = await FakeService.StartAsync(c => c.Response.WriteAsync("ok"), "http://0.0.0.0:0");
        var port = listener.Port;
        var own = NetworkInterface.GetAllNetworkInterfaces().Where(i => i.OperationalStatus == OperationalStatus.Up)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)).Select(a => $"http://{a}:{port}/node/");
        using var folder = new TempFolder();
        var file = folder.File("input.txt");
        await File.WriteAllTextAsync(file, "H-1,123456789018\n");
        string[] copies = ["node", "import-copies", "--agency", "122173", "--file", file];
        string[] codes = ["node", "issue-codes", "--agency", "122173", "--file", file];
        string[] batch = ["node", "inquire-batch", "--agency", "131059", "--affair", "child-allowance", "--provider", "122173", "--item", "local-tax", "--file", file];
        var local = $"http://127.0.0.1:{port}/";
        var cases = new List<(string[] Args, string Option, string Host)>();
        foreach (var url in own.Concat([$"http://0.0.0.0:{port}/", "http://node.example", "http://10.1.2.3:7103", "http://[2001:db8::1]:7103/node/",
            "http://localhost.example", "http://127.0.0.1.example", "http://LOCALHOST.example:7103"]))
        {
            var host = new Uri(url).Host;
            cases.Add(([.. copies, "--node", url], "--node", host));
            cases.Add(([.. batch, "--node", url], "--node", host));
            // Each of issue-codes' services is checked on its own: the Registry receives the Individual Numbers.
            cases.Add(([.. codes, "--node", url, "--core", local, "--registry", local], "--node", host));
            cases.Add(([.. codes, "--node", local, "--core", url, "--registry", local], "--core", host));
            cases.Add(([.. codes, "--node", local, "--core", local, "--registry", url], "--registry", host));
        }
        foreach (var (args, option, host) in cases)
        {
            var result = await SeparateServices.RunAsync(AllTokens, args);
            Assert.True(result.ExitCode == 1, $"{string.Join(' ', args)}: {result.Output}{result.Error}");
            var line = Assert.Single(result.Error.Split('\n'), l => l.Contains("plain http://"));
            Assert.Equal($"{option} の http:// はこのマシン（localhost, 127.0.0.1, ::1）にだけ使えます。ほかのホストには https:// と --ca を使ってください"
                + $"（トークンと個人番号が暗号化されずに流れます）/ {option}: plain http:// is for this machine only (localhost, 127.0.0.1, ::1): "
                + $"use https:// and --ca for '{host}', or tokens and Individual Numbers cross the network unencrypted", line.Trim());
            Assert.Contains("Usage:", result.Error);
            Assert.Equal("", result.Output);
        }
        Assert.Empty(listener.Asked);
    }

    [Fact]
    public async Task A_server_whose_certificate_is_from_the_CA_but_names_another_host_is_refused_saying_so()
    {
        using var folder = new TempFolder();
        using var ca = NetworkCa.LoadOrCreate(folder.File("ca"));
        // A certificate of the network CA for elsewhere.example only, served at 127.0.0.1.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=elsewhere", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("elsewhere.example");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = request.Create(ca.Certificate, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3, 4]);
        using var certificate = issued.CopyWithPrivateKey(key);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelHttpsConfiguration().UseUrls("https://127.0.0.1:0").ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate));
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        var asked = 0;
        app.MapGet("/health", () => { Interlocked.Increment(ref asked); return Results.Json(new { status = "ok", service = "node" }); });
        await app.StartAsync();
        var url = app.BaseAddress();

        var file = folder.File("copies.jsonl");
        await File.WriteAllTextAsync(file, "{}\n");
        var result = await SeparateServices.RunAsync(AllTokens, "node", "import-copies", "--agency", "122173", "--file", file, "--node", url.ToString(), "--ca", ca.CertificateFile);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"中間サーバー {url}: 証明書にURLのホスト名がありません / the node at {url}: the certificate does not name the URL's host", result.Error.Trim());
        Assert.Equal(0, asked);
        await app.StopAsync();
    }

    [Fact]
    public async Task A_ca_file_that_is_missing_or_not_a_PEM_certificate_is_one_line_naming_it()
    {
        using var folder = new TempFolder();
        var file = folder.File("copies.jsonl");
        await File.WriteAllTextAsync(file, "{}\n");
        var notPem = folder.File("ca.der");
        await File.WriteAllBytesAsync(notPem, [0x30, 0x82, 0x01, 0x0a]);
        var keyOnly = folder.File("key.pem");
        await File.WriteAllTextAsync(keyOnly, "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n");
        foreach (var (ca, expected) in new[]
        {
            (folder.File("nowhere.pem"), $"--ca: ファイルがありません / no such file: {folder.File("nowhere.pem")}"),
            (notPem, $"--ca: PEM の証明書として読めません（-----BEGIN CERTIFICATE----- の形）/ not a PEM certificate (-----BEGIN CERTIFICATE-----): {notPem}"),
            (keyOnly, $"--ca: PEM の証明書として読めません（-----BEGIN CERTIFICATE----- の形）/ not a PEM certificate (-----BEGIN CERTIFICATE-----): {keyOnly}"),
        })
        {
            // A port nothing listens on: the CA file is refused before anything is tried.
            var result = await SeparateServices.RunAsync(AllTokens, "node", "import-copies", "--agency", "122173", "--file", file,
                "--node", $"https://127.0.0.1:{LoopbackPorts.Closed()}", "--ca", ca);
            Assert.Equal(1, result.ExitCode);
            Assert.Equal(expected, result.Error.Trim());
        }
    }
}

/// <summary>
/// What the node commands make of a 200 that is not the service's API: a proxy's login page, or a wrong base URL whose /health answers
/// too. One line naming the service and its URL, exit 1 as for any failure of a service, never a stack trace.
/// </summary>
public class NodeRemoteAnswerTests
{
    private const string Agency = "131016", BatchId = "0123456789abcdef0123456789abcdef";

    private static readonly Dictionary<string, string> AllTokens = new()
    {
        ["RENKEI_NODE_ADDRESSEE_TOKEN"] = "a", ["RENKEI_CORE_TOKEN"] = "c", ["RENKEI_REGISTRY_TOKEN"] = "r",
        ["RENKEI_NODE_COPIES_TOKEN"] = "k", ["RENKEI_NODE_STAFF_TOKEN"] = "s",
    };

    /// <summary>The line a command says for an answer to <paramref name="url"/> that is not the service's API.</summary>
    private static string NotTheApi(string japanese, string english, string url, string type) =>
        $"{japanese}の {url} への応答がAPIのものではありません（{type}）。URLは正しいですか / the {english} answered {url} with something that is not its API ({type}): is the URL right?";

    /// <summary>What inquire-batch says of a batch the node accepted and then would not give: where it stays.</summary>
    private static string StaysAtNode(FakeService node) =>
        Renkei.Cli.Linkage.InquireBatchCommand.StaysAt(BatchId, new Uri($"{node.Url}node/api/tenants/{Agency}/inquiry-batches/{BatchId}"), 0, ownNetwork: false);

    /// <summary>
    /// A node, a Registry and a core under /node/, /registry/ and /core/ of one server, each answering as the service would, but
    /// <paramref name="broken"/>'s API answering with <paramref name="wrong"/> instead. A batch submitted is accepted with
    /// <paramref name="location"/>; anything else at the server's root is another application's (404).
    /// </summary>
    private static Task<FakeService> ServicesAsync(string broken, Func<HttpContext, Task> wrong, string? location = $"/node/api/tenants/{Agency}/inquiry-batches/{BatchId}") =>
        FakeService.StartAsync(c =>
    {
        var path = c.Request.Path.Value!;
        if (path.EndsWith("/health", StringComparison.Ordinal)) return FakeService.Health(c, path.Split('/')[1]);
        if (path.StartsWith($"/{broken}", StringComparison.Ordinal)) return wrong(c);
        // The Registry and the core check the caller, then refuse a request of no people as invalid.
        return path is "/registry/api/link-keys" or "/core/api/codes/issue" ? ProbeOrAsync(c, c => Answer(c, location)) : Answer(c, location);
    });

    private static Task Answer(HttpContext c, string? location)
    {
        var path = c.Request.Path.Value!;
        return path switch
        {
            $"/node/api/tenants/{Agency}/acquisitions" => FakeService.Json(c, """{"acquisitions":[{"addresseeNumber":"A-1","acquisitionNumber":"acq-1"}]}"""),
            $"/node/api/tenants/{Agency}/acquisitions/discard" => FakeService.Json(c, """{"discarded":1,"acquisitionNumbers":["acq-1"]}"""),
            "/registry/api/link-keys" => FakeService.Json(c, """{"results":[{"acquisitionNumber":"acq-1","sealedLinkKey":"c2VhbGVk"}]}"""),
            "/core/api/codes/issue" => FakeService.Json(c, $$"""{"agencyId":"{{Agency}}","delivered":1,"unmatched":0}"""),
            $"/node/api/tenants/{Agency}/copies/import" => FakeService.Json(c, """{"imported":1,"errors":[]}"""),
            $"/node/api/tenants/{Agency}/inquiry-batches" => Accepted(c, location),
            $"/node/api/tenants/{Agency}/inquiry-batches/{BatchId}" => FakeService.Json(c, $$"""
                {"batchId":"{{BatchId}}","status":"done","affair":"child-allowance","provider":"122173","item":"local-tax",
                 "submittedAt":"2025-04-01T00:00:00Z","total":1,"answered":1,"counts":{"provided":1},
                 "results":[{"position":1,"addresseeNumber":"B-1","outcome":"provided"}],"next":1}
                """),
            _ => FakeService.Json(c, """{"title":"not here"}""", 404),
        };
    }

    /// <summary>The Registry's or the core's 400 for a request that names no one; <paramref name="otherwise"/> for any other request.</summary>
    private static async Task ProbeOrAsync(HttpContext c, Func<HttpContext, Task> otherwise)
    {
        using var body = await JsonDocument.ParseAsync(c.Request.Body);
        var (name, list) = body.RootElement.TryGetProperty("items", out var items) ? ("items", items) : ("requests", body.RootElement.GetProperty("requests"));
        if (list.GetArrayLength() > 0) await otherwise(c);
        else await FakeService.Json(c, $$$"""{"title":"invalid","status":400,"errors":{"{{{name}}}":["send 1 or more"]}}""", 400);
    }

    private static Task Accepted(HttpContext c, string? location)
    {
        if (location is not null) c.Response.Headers.Location = location;
        return FakeService.Json(c, $$"""{"batchId":"{{BatchId}}","status":"pending","total":1,"answered":0,"counts":{},"results":[],"next":0}""", 202);
    }

    private static void AssertOneLine(CliResult result, string expected)
    {
        Assert.True(result.ExitCode == 1, result.Output + result.Error);
        Assert.Equal(expected, Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.DoesNotContain("proxy login", result.Output + result.Error);
    }

    [Fact]
    public async Task Issue_codes_names_the_service_whose_answer_is_not_its_API_and_sends_no_number_after_the_node_failed()
    {
        using var folder = new TempFolder();
        var people = folder.File("people.csv");
        await File.WriteAllTextAsync(people, "A-1,123456789018\n");
        foreach (var (broken, wrong, type, japanese, english, path) in new (string, Func<HttpContext, Task>, string, string, string, string)[]
        {
            ("node", FakeService.LoginPage, "text/html", "中間サーバー", "node", $"node/api/tenants/{Agency}/acquisitions"),
            // JSON, but without the member the command reads.
            ("registry", c => FakeService.Json(c, """{"items":[]}"""), "application/json", "住民基本台帳ネットワーク", "Registry", "registry/api/link-keys"),
            ("registry", c => FakeService.Json(c, "null"), "application/json", "住民基本台帳ネットワーク", "Registry", "registry/api/link-keys"),
            ("core", FakeService.LoginPage, "text/html", "情報提供ネットワークシステム", "core", "core/api/codes/issue"),
            ("core", c => FakeService.Json(c, """{"agencyId":"131016","delivered":null,"unmatched":0}"""), "application/json", "情報提供ネットワークシステム", "core", "core/api/codes/issue"),
            // Both answer the request of no one as themselves, then one answers the people with something else.
            ("registry", c => ProbeOrAsync(c, FakeService.LoginPage), "text/html", "住民基本台帳ネットワーク", "Registry", "registry/api/link-keys"),
            ("core", c => ProbeOrAsync(c, FakeService.LoginPage), "text/html", "情報提供ネットワークシステム", "core", "core/api/codes/issue"),
        })
        {
            await using var services = await ServicesAsync(broken, wrong);
            var url = services.Url;
            var result = await SeparateServices.RunAsync(AllTokens, "node", "issue-codes", "--agency", Agency, "--file", people,
                "--node", $"{url}node/", "--core", $"{url}core/", "--registry", $"{url}registry/");
            AssertOneLine(result, "失敗しました / failed: " + NotTheApi(japanese, english, $"{url}{path}", type));
            Assert.Equal("", result.Output);
            Assert.DoesNotContain("123456789018", result.Error);
            // The Registry and the core are asked first with no people: one that does not answer as itself then is found before
            // the node is asked for acquisition numbers, and so before any number goes to the Registry. Those of a request that
            // failed later are given back.
            var probed = services.Asked.Count(a => a.StartsWith($"POST /{broken}/", StringComparison.Ordinal)) > 1;
            Assert.Equal(broken == "node" || probed, services.Asked.Contains($"POST /node/api/tenants/{Agency}/acquisitions with a token"));
            Assert.Equal(probed, services.Asked.Contains($"POST /node/api/tenants/{Agency}/acquisitions/discard with a token"));
        }
    }

    [Fact]
    public async Task Issue_codes_finds_a_token_the_core_or_the_Registry_refuses_before_any_number_is_sent()
    {
        using var folder = new TempFolder();
        var people = folder.File("people.csv");
        await File.WriteAllTextAsync(people, "A-1,123456789018\n");
        foreach (var (broken, status, variable) in new[] { ("core", 403, "RENKEI_CORE_TOKEN"), ("registry", 401, "RENKEI_REGISTRY_TOKEN"), ("core", 401, "RENKEI_CORE_TOKEN") })
        {
            await using var services = await ServicesAsync(broken, c => FakeService.Json(c, $$"""{"title":"refused","status":{{status}}}""", status));
            var result = await SeparateServices.RunAsync(AllTokens, "node", "issue-codes", "--agency", Agency, "--file", people,
                "--node", $"{services.Url}node/", "--core", $"{services.Url}core/", "--registry", $"{services.Url}registry/");
            Assert.True(result.ExitCode == 1, result.Output + result.Error);
            var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"失敗しました / failed: ", line);
            Assert.Contains($"the {broken} refused", line);
            Assert.Contains(variable, line);
            // Neither an acquisition number asked of the node nor a person sent to the Registry: only the requests of no one.
            string[] asked = broken == "core" ? ["POST /core/api/codes/issue with a token", "POST /registry/api/link-keys with a token"] : ["POST /registry/api/link-keys with a token"];
            Assert.Equal(asked, services.Asked.Where(a => !a.EndsWith("/health", StringComparison.Ordinal)).Order());
        }
    }

    [Fact]
    public async Task A_gateways_error_page_in_front_of_a_service_is_shown_by_its_start_on_one_line()
    {
        using var folder = new TempFolder();
        var people = folder.File("people.csv");
        await File.WriteAllTextAsync(people, "A-1,123456789018\n");
        var page = "<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n" + string.Concat(Enumerable.Repeat("<p>upstream connect error</p>\n", 40)) + "</body></html>\n";
        await using var services = await ServicesAsync("node", c =>
        {
            c.Response.StatusCode = 502;
            c.Response.ContentType = "text/html";
            return c.Response.WriteAsync(page);
        });
        var result = await SeparateServices.RunAsync(AllTokens, "node", "issue-codes", "--agency", Agency, "--file", people,
            "--node", $"{services.Url}node/", "--core", $"{services.Url}core/", "--registry", $"{services.Url}registry/");
        Assert.True(result.ExitCode == 1, result.Output + result.Error);
        // The page was printed whole, over 45 lines; its start tells what answered.
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("502 <!DOCTYPE html> <html> <head><title>502 Bad Gateway</title></head>", line);
        Assert.EndsWith($"…（{page.Length} 文字 / {page.Length} characters）", line);
        Assert.True(line.Length < 500, line);
    }

    /// <summary>A gateway's error page in Japanese, in the charset it names (Shift_JIS, EUC-JP, or one nobody knows, its bytes UTF-8).</summary>
    private static Func<HttpContext, Task> GatewayPage(string charset, int status = 502) => async c =>
    {
        var encoding = charset == "x-nonsense" ? System.Text.Encoding.UTF8 : System.Text.CodePagesEncodingProvider.Instance.GetEncoding(charset)!;
        c.Response.StatusCode = status;
        c.Response.ContentType = $"text/html; charset={charset}";
        await c.Response.Body.WriteAsync(encoding.GetBytes("<html><head><title>502</title></head><body>ゲートウェイエラー：上流に接続できません</body></html>"));
    };

    private static readonly string[] Charsets = ["Shift_JIS", "EUC-JP", "x-nonsense"];

    [Fact]
    public async Task A_gateways_page_in_a_Japanese_legacy_or_unknown_charset_is_read_and_said_on_one_line()
    {
        // Audit D, finding 4: ReadAsStringAsync and ReadFromJsonAsync throw for a charset .NET does not know without the code
        // pages provider, or at all: the command printed "Unhandled exception" and a stack trace.
        using var folder = new TempFolder();
        var list = folder.File("list.txt");
        await File.WriteAllTextAsync(list, "B-1\n");
        var people = folder.File("people.csv");
        await File.WriteAllTextAsync(people, "A-1,123456789018\n");
        foreach (var charset in Charsets)
        {
            // A refusal of the submission, a refusal of the batch's page, and a 200 page where the batch's JSON was expected.
            await using (var node = await ServicesAsync($"node/api/tenants/{Agency}/inquiry-batches", GatewayPage(charset)))
            {
                var result = await SeparateServices.RunAsync(AllTokens, "node", "inquire-batch", "--agency", Agency, "--affair", "child-allowance",
                    "--provider", "122173", "--item", "local-tax", "--file", list, "--node", $"{node.Url}node/");
                AssertOneLine(result, "受け付けられませんでした / refused: 502 <html><head><title>502</title></head><body>ゲートウェイエラー：上流に接続できません</body></html>");
            }
            foreach (var status in new[] { 502, 200 })
            {
                await using var node = await ServicesAsync($"node/api/tenants/{Agency}/inquiry-batches/", GatewayPage(charset, status));
                var result = await SeparateServices.RunAsync(AllTokens, "node", "inquire-batch", "--agency", Agency, "--affair", "child-allowance",
                    "--provider", "122173", "--item", "local-tax", "--file", list, "--node", $"{node.Url}node/");
                var page = $"{node.Url}node/api/tenants/{Agency}/inquiry-batches/{BatchId}?after=0&limit=1000";
                Assert.True(result.ExitCode == 1, result.Output + result.Error);
                Assert.Equal([$"一括照会 / batch {BatchId}: 1 件 / people", "失敗しました / failed: " + (status == 502
                    ? "502 <html><head><title>502</title></head><body>ゲートウェイエラー：上流に接続できません</body></html>"
                    : NotTheApi("中間サーバー", "node", page, "text/html")), StaysAtNode(node)], result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            }
            // issue-codes: the Registry's refusal of the people (it took the request of no one), after which the node's
            // acquisition numbers are still given back.
            await using (var services = await ServicesAsync("registry", c => ProbeOrAsync(c, GatewayPage(charset))))
            {
                var result = await SeparateServices.RunAsync(AllTokens, "node", "issue-codes", "--agency", Agency, "--file", people,
                    "--node", $"{services.Url}node/", "--core", $"{services.Url}core/", "--registry", $"{services.Url}registry/");
                AssertOneLine(result, "失敗しました / failed: 住民基本台帳ネットワークが受け付けませんでした / the registry refused api/link-keys: "
                    + "502 <html><head><title>502</title></head><body>ゲートウェイエラー：上流に接続できません</body></html>");
                Assert.Contains($"POST /node/api/tenants/{Agency}/acquisitions/discard with a token", services.Asked);
            }
        }
    }

    [Fact]
    public async Task Import_copies_stopped_by_a_gateways_page_in_any_charset_says_from_which_line_to_send_again()
    {
        using var folder = new TempFolder();
        var copies = folder.File("copies.jsonl");
        await File.WriteAllLinesAsync(copies, Enumerable.Range(1, CopyImportCommand.ChunkRows + 1).Select(_ => "{}"));
        foreach (var charset in Charsets)
        {
            foreach (var status in new[] { 502, 200 })
            {
                // The first chunk is taken; the gateway answers the second.
                var chunks = 0;
                var page = GatewayPage(charset, status);
                await using var node = await ServicesAsync("node/api", c => Interlocked.Increment(ref chunks) == 1
                    ? FakeService.Json(c, $$"""{"imported":{{CopyImportCommand.ChunkRows}},"errors":[]}""") : page(c));
                var result = await SeparateServices.RunAsync(AllTokens, "node", "import-copies", "--agency", Agency, "--file", copies, "--node", $"{node.Url}node/");
                Assert.True(result.ExitCode == 1, result.Output + result.Error);
                Assert.Equal([$"副本 / copies: {CopyImportCommand.ChunkRows:N0} / {CopyImportCommand.ChunkRows + 1:N0} (99%)", "失敗しました / failed: " + (status == 502
                        ? "502 <html><head><title>502</title></head><body>ゲートウェイエラー：上流に接続できません</body></html>"
                        : NotTheApi("中間サーバー", "node", $"{node.Url}node/api/tenants/{Agency}/copies/import", "text/html")),
                    $"{CopyImportCommand.ChunkRows + 1:N0}行目から送り直してください（同じ行をもう一度送っても同じ副本になります） / send again from line {CopyImportCommand.ChunkRows + 1:N0} (a row sent twice stores the same copy)"],
                    result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                Assert.Equal($"副本を登録しました / copies imported: {CopyImportCommand.ChunkRows:N0}, 不正な行 / bad rows: 0", result.Output.Trim());
            }
        }
    }

    [Fact]
    public async Task Import_copies_names_the_node_whose_answer_is_not_its_API_and_says_where_to_go_on()
    {
        using var folder = new TempFolder();
        var copies = folder.File("copies.jsonl");
        await File.WriteAllTextAsync(copies, "{}\n");
        foreach (var (wrong, type) in new (Func<HttpContext, Task>, string)[]
        {
            (FakeService.LoginPage, "text/html"), (c => FakeService.Json(c, """{"imported":1}"""), "application/json"),
        })
        {
            await using var node = await ServicesAsync("node/api", wrong);
            var result = await SeparateServices.RunAsync(AllTokens, "node", "import-copies", "--agency", Agency, "--file", copies, "--node", $"{node.Url}node/");
            Assert.True(result.ExitCode == 1, result.Output + result.Error);
            Assert.Equal(["失敗しました / failed: " + NotTheApi("中間サーバー", "node", $"{node.Url}node/api/tenants/{Agency}/copies/import", type),
                "1行目から送り直してください（同じ行をもう一度送っても同じ副本になります） / send again from line 1 (a row sent twice stores the same copy)"],
                result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal("副本を登録しました / copies imported: 0, 不正な行 / bad rows: 0", result.Output.Trim());
        }
    }

    [Fact]
    public async Task Inquire_batch_names_the_node_whose_answer_is_not_its_API()
    {
        using var folder = new TempFolder();
        var list = folder.File("list.txt");
        await File.WriteAllTextAsync(list, "B-1\n");
        foreach (var (wrong, type) in new (Func<HttpContext, Task>, string)[]
        {
            (FakeService.LoginPage, "text/html"), (c => FakeService.Json(c, """{"batchId":"x","status":"done","results":[]}"""), "application/json"),
        })
        {
            // The submission is taken; what answers the batch's page is not the node.
            await using var node = await ServicesAsync($"node/api/tenants/{Agency}/inquiry-batches/", wrong);
            var result = await SeparateServices.RunAsync(AllTokens, "node", "inquire-batch", "--agency", Agency, "--affair", "child-allowance",
                "--provider", "122173", "--item", "local-tax", "--file", list, "--node", $"{node.Url}node/");
            Assert.True(result.ExitCode == 1, result.Output + result.Error);
            Assert.Equal([$"一括照会 / batch {BatchId}: 1 件 / people",
                "失敗しました / failed: " + NotTheApi("中間サーバー", "node", $"{node.Url}node/api/tenants/{Agency}/inquiry-batches/{BatchId}?after=0&limit=1000", type),
                StaysAtNode(node)],
                result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal("", result.Output);
        }
    }

    [Fact]
    public async Task Import_copies_and_inquire_batch_whose_node_does_not_answer_in_time_say_so_rather_than_cannot_connect()
    {
        // Review: HttpClient's timeout, wrapped as a request that failed, was said "接続できません / cannot connect".
        using var folder = new TempFolder();
        var copies = folder.File("copies.jsonl");
        await File.WriteAllTextAsync(copies, "{}\n");
        var list = folder.File("list.txt");
        await File.WriteAllTextAsync(list, "B-1\n");
        var environment = new Dictionary<string, string>(AllTokens) { ["RENKEI_ANSWER_WAIT_SECONDS"] = "2" };
        await using var node = await ServicesAsync("node/api", c => Task.Delay(Timeout.Infinite, c.RequestAborted));

        var imported = await SeparateServices.RunAsync(environment, "node", "import-copies", "--agency", Agency, "--file", copies, "--node", $"{node.Url}node/");
        Assert.True(imported.ExitCode == 130, imported.Output + imported.Error);
        Assert.Equal(["中断しました。中間サーバーとの接続が切れました / stopped: the node went away: 2 秒以内に応答がありません / no answer within 2 s",
            "1行目から送り直してください（同じ行をもう一度送っても同じ副本になります） / send again from line 1 (a row sent twice stores the same copy)"],
            imported.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var inquired = await SeparateServices.RunAsync(environment, "node", "inquire-batch", "--agency", Agency, "--affair", "child-allowance",
            "--provider", "122173", "--item", "local-tax", "--file", list, "--node", $"{node.Url}node/");
        Assert.True(inquired.ExitCode == 1, inquired.Output + inquired.Error);
        // Sent and not answered, the batch may be the node's (audit 21c §1): the command to follow it under the same key is given.
        var said = inquired.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, said.Length);
        Assert.Equal("失敗しました / failed: 2 秒以内に応答がありません / no answer within 2 s", said[0]);
        Assert.StartsWith("一括照会が中間サーバーに届いたかどうか分かりません。", said[1]);
        Assert.Matches($"^  renkei node inquire-batch .* --node {node.Url}node/ --idempotency-key [0-9a-f]{{32}}$", said[2]);
        Assert.Equal("", inquired.Output);
    }

    [Fact]
    public async Task An_answer_wait_past_what_HttpClient_takes_waits_the_longest_it_can_rather_than_fail_every_command()
    {
        // HttpClient refuses a timeout above int.MaxValue ms: RENKEI_ANSWER_WAIT_SECONDS=2147483647 failed every node command.
        using var folder = new TempFolder();
        var copies = folder.File("copies.jsonl");
        await File.WriteAllTextAsync(copies, "{}\n");
        await using var node = await ServicesAsync("node/api", c => FakeService.Json(c, """{"imported":1,"errors":[]}"""));
        var result = await SeparateServices.RunAsync(new Dictionary<string, string>(AllTokens) { ["RENKEI_ANSWER_WAIT_SECONDS"] = "2147483647" },
            "node", "import-copies", "--agency", Agency, "--file", copies, "--node", $"{node.Url}node/");
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Equal("副本を登録しました / copies imported: 1, 不正な行 / bad rows: 0", result.Output.Trim());
    }

    [Fact]
    public async Task Inquire_batch_reads_the_batch_under_the_node_url_with_its_base_path_whatever_the_Location()
    {
        using var folder = new TempFolder();
        var list = folder.File("list.txt");
        await File.WriteAllTextAsync(list, "B-1\n");
        // A node behind a path-routing gateway gives its Location from the host's root, where another application answers; a
        // Location elsewhere, or none, is not followed either.
        foreach (var location in new[] { $"/api/tenants/{Agency}/inquiry-batches/{BatchId}", $"http://localhost:1/node/api/tenants/{Agency}/inquiry-batches/{BatchId}", null })
        {
            await using var node = await ServicesAsync("none", _ => Task.CompletedTask, location);
            var result = await SeparateServices.RunAsync(AllTokens, "node", "inquire-batch", "--agency", Agency, "--affair", "child-allowance",
                "--provider", "122173", "--item", "local-tax", "--file", list, "--node", $"{node.Url}node");
            Assert.True(result.ExitCode == 0, $"{location}: {result.Output}{result.Error}");
            Assert.Equal([$"POST /node/api/tenants/{Agency}/inquiry-batches with a token",
                $"GET /node/api/tenants/{Agency}/inquiry-batches/{BatchId}?after=0&limit=1000 with a token"], node.Asked.Where(a => !a.EndsWith("/health")));
            Assert.Equal("B-1", JsonDocument.Parse(result.Output.Trim()).RootElement.GetProperty("addresseeNumber").GetString());
        }
    }

    [Fact]
    public async Task Issue_codes_reads_a_row_a_spreadsheet_padded_with_empty_fields_in_the_form_its_filled_fields_have()
    {
        // Saved from a spreadsheet, a file that mixes both forms gets every row as wide as the widest: a number row read as
        // basic four items was refused for a missing given name and date of birth.
        using var folder = new TempFolder();
        var people = folder.File("people.csv");
        foreach (var row in new[] { "A-1,123456789018,,,,", "A-1,123456789018,", "A-1,山田,花子,1990-01-01,female,,,," })
        {
            await File.WriteAllTextAsync(people, $"addresseeNumber,familyName,givenName,dateOfBirth,sex,address\r\n{row}\r\n");
            await using var services = await ServicesAsync("none", _ => Task.CompletedTask);
            var result = await SeparateServices.RunAsync(AllTokens, "node", "issue-codes", "--agency", Agency, "--file", people,
                "--node", $"{services.Url}node/", "--core", $"{services.Url}core/", "--registry", $"{services.Url}registry/");
            Assert.True(result.ExitCode == 0, $"{row}: {result.Output}{result.Error}");
            Assert.Contains("codes delivered: 1,", result.Output);
        }
        // A field filled after a form's last is still no form, and nothing is asked.
        foreach (var row in new[] { "A-1,123456789018,x", "A-1,123456789018,,,,,x", "A-1,山田,花子,1990-01-01,female,,x" })
        {
            await File.WriteAllTextAsync(people, $"{row}\n");
            await using var services = await ServicesAsync("none", _ => Task.CompletedTask);
            var result = await SeparateServices.RunAsync(AllTokens, "node", "issue-codes", "--agency", Agency, "--file", people,
                "--node", $"{services.Url}node/", "--core", $"{services.Url}core/", "--registry", $"{services.Url}registry/");
            Assert.True(result.ExitCode == 1, $"{row}: {result.Output}{result.Error}");
            Assert.Equal("1行目 / line 1: 宛名番号,個人番号 または 宛名番号,氏,名,生年月日,性別,住所 の形式ではありません / "
                + "neither addresseeNumber,individualNumber nor addresseeNumber,familyName,givenName,dateOfBirth,sex,address", result.Error.Trim());
            Assert.Empty(services.Asked);
        }
    }

    [Fact]
    public async Task Inquire_batch_out_over_a_file_others_could_read_leaves_it_readable_by_its_owner_only_and_keeps_what_was_written()
    {
        if (OperatingSystem.IsWindows()) return;
        using var folder = new TempFolder();
        var list = folder.File("list.txt");
        await File.WriteAllTextAsync(list, "B-1\nB-2\n");
        var results = folder.File("results.jsonl");
        const UnixFileMode Shared = (UnixFileMode)0b110_100_100; // 0644, as `> results.jsonl` makes it under the usual umask
        async Task<CliResult> InquireAsync(FakeService node)
        {
            await File.WriteAllTextAsync(results, "earlier\n");
            File.SetUnixFileMode(results, Shared);
            return await SeparateServices.RunAsync(AllTokens, "node", "inquire-batch", "--agency", Agency, "--affair", "child-allowance",
                "--provider", "122173", "--item", "local-tax", "--file", list, "--out", results, "--node", $"{node.Url}node/");
        }
        // Answered: the file holds the results, and only its owner can read them (other agencies' copies); it kept 0644.
        await using (var node = await ServicesAsync("none", _ => Task.CompletedTask))
        {
            var result = await InquireAsync(node);
            Assert.True(result.ExitCode == 0, result.Output + result.Error);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(results));
            Assert.Equal("B-1", JsonDocument.Parse(Assert.Single(await File.ReadAllLinesAsync(results))).RootElement.GetProperty("addresseeNumber").GetString());
        }
        // The batch's reading fails after its first page: that page's line stays (a provision recorded at three parties), owner-only.
        await using (var node = await ServicesAsync($"node/api/tenants/{Agency}/inquiry-batches/", c => c.Request.Query["after"] == "0"
            ? FakeService.Json(c, $$"""
                {"batchId":"{{BatchId}}","status":"running","total":2,"answered":1,"counts":{"provided":1},
                 "results":[{"position":1,"addresseeNumber":"B-1","outcome":"provided"}],"next":1}
                """)
            : FakeService.Json(c, """{"title":"unavailable","status":503}""", 503)))
        {
            var result = await InquireAsync(node);
            Assert.True(result.ExitCode == 1, result.Output + result.Error);
            Assert.Contains("失敗しました / failed: 503", result.Error);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(results));
            Assert.Equal("B-1", JsonDocument.Parse(Assert.Single(await File.ReadAllLinesAsync(results))).RootElement.GetProperty("addresseeNumber").GetString());
        }
        // The reading fails on its first page, nothing written: the file there is as it was, not replaced by an empty one.
        await using (var node = await ServicesAsync($"node/api/tenants/{Agency}/inquiry-batches/", c => FakeService.Json(c, """{"title":"unavailable","status":503}""", 503)))
        {
            var result = await InquireAsync(node);
            Assert.True(result.ExitCode == 1, result.Output + result.Error);
            Assert.Equal("earlier\n", await File.ReadAllTextAsync(results));
            Assert.Equal(Shared, File.GetUnixFileMode(results));
        }
        // Refused, the batch was never made: the file there is as it was, mode and all.
        await using (var node = await ServicesAsync($"node/api/tenants/{Agency}/inquiry-batches", c => FakeService.Json(c, """{"title":"forbidden","status":403}""", 403)))
        {
            var result = await InquireAsync(node);
            Assert.True(result.ExitCode == 1, result.Output + result.Error);
            Assert.Equal("earlier\n", await File.ReadAllTextAsync(results));
            Assert.Equal(Shared, File.GetUnixFileMode(results));
        }
        Assert.Equal([results], Directory.GetFiles(folder.Path, "results.jsonl*")); // no temporary file left beside it
    }

    /// <summary>
    /// A node, Registry and core that issue a code for everyone but the first person of the first chunk, whom the Registry does
    /// not know, and answer the Registry's second chunk with <paramref name="second"/>.
    /// </summary>
    private static Task<FakeService> FailingAtTheSecondChunkAsync(Func<HttpContext, Task> second)
    {
        var chunks = 0;
        return FakeService.StartAsync(async c =>
        {
            var path = c.Request.Path.Value!;
            if (path.EndsWith("/health", StringComparison.Ordinal)) { await FakeService.Health(c, path.Split('/')[1]); return; }
            if (path.EndsWith("/discard", StringComparison.Ordinal)) { await FakeService.Json(c, """{"discarded":0,"acquisitionNumbers":[]}"""); return; }
            using var body = await JsonDocument.ParseAsync(c.Request.Body);
            var list = body.RootElement.EnumerateObject().Single(p => p.Value.ValueKind == JsonValueKind.Array);
            var items = list.Value.EnumerateArray().ToList();
            if (items.Count == 0) { await FakeService.Json(c, $$$"""{"title":"invalid","status":400,"errors":{"{{{list.Name}}}":["send 1 or more"]}}""", 400); return; }
            switch (path)
            {
                case $"/node/api/tenants/{Agency}/acquisitions":
                    await c.Response.WriteAsJsonAsync(new { acquisitions = items.Select(a => new { addresseeNumber = a.GetString(), acquisitionNumber = "acq-" + a.GetString() }) });
                    break;
                case "/registry/api/link-keys" when Interlocked.Increment(ref chunks) == 1:
                    await c.Response.WriteAsJsonAsync(new
                    {
                        results = items.Select((item, i) => new
                        {
                            acquisitionNumber = item.GetProperty("acquisitionNumber").GetString(),
                            sealedLinkKey = i == 0 ? null : "c2VhbGVk",
                            problem = i == 0 ? "該当者がいません / No resident has this number" : null,
                        }),
                    });
                    break;
                case "/registry/api/link-keys":
                    await second(c);
                    break;
                case "/core/api/codes/issue":
                    await FakeService.Json(c, $$"""{"agencyId":"{{Agency}}","delivered":{{items.Count}},"unmatched":0}""");
                    break;
            }
        });
    }

    /// <summary>A file of one person more than a chunk, the second line malformed: A-1 is line 1, A-10002 the second chunk's only one.</summary>
    private static async Task<string> ChunkAndOneAsync(TempFolder folder)
    {
        var people = folder.File("people.csv");
        await File.WriteAllLinesAsync(people, Enumerable.Range(1, AddresseeSystem.BatchSize + 2)
            .Select(i => i == 2 ? "A-2,12345" : $"A-{i},{Renkei.Numbers.IndividualNumber.FromPayload(10_000_000_000 + i).Digits}"));
        return people;
    }

    [Fact]
    public async Task Issue_codes_that_fails_part_way_still_reports_what_the_chunks_done_found_and_how_many_were_done()
    {
        using var folder = new TempFolder();
        var people = await ChunkAndOneAsync(folder);
        await using var services = await FailingAtTheSecondChunkAsync(c => FakeService.Json(c, """{"title":"unavailable","status":503}""", 503));
        var result = await SeparateServices.RunAsync(AllTokens, "node", "issue-codes", "--agency", Agency, "--file", people,
            "--node", $"{services.Url}node/", "--core", $"{services.Url}core/", "--registry", $"{services.Url}registry/");
        // The first chunk's unknown person was known only to this run: a clerk had to send every number again to learn it.
        AssertFirstChunkReported(result, "失敗しました / failed: 住民基本台帳ネットワークが受け付けませんでした / the registry refused api/link-keys: 503 unavailable");
    }

    /// <summary>A run of <see cref="ChunkAndOneAsync"/>'s file that failed in its second chunk: exit 1, the first chunk's findings and count, then the failure.</summary>
    private static void AssertFirstChunkReported(CliResult result, string failure)
    {
        Assert.True(result.ExitCode == 1, result.Output + result.Error);
        Assert.Equal(
        [
            "1行目 / line 1: 該当者がいません / No resident has this number",
            "2行目 / line 2: 2列目の個人番号 / the Individual Number in column 2: 個人番号は12桁ですが、5桁です / an individual number has 12 digits, this has 5",
            failure,
            "10,000 / 10,001 人の処理を終えています。もう一度実行すれば残りも取得します（取得済みの人は同じ符号です）/ "
                + "10,000 of 10,001 people were done; run it again for the rest (those done get the same codes)",
        ], result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("符号 / codes: ", StringComparison.Ordinal)));
        Assert.Equal("符号を取得しました / codes delivered: 9,999, 該当者なし / unknown: 1, 符号を保存できず / not stored: 0, 不正な行 / bad lines: 1", result.Output.Trim());
    }

    [Fact]
    public async Task Issue_codes_whose_service_does_not_answer_in_time_says_so_with_what_the_chunks_done_found()
    {
        // HttpClient's timeout (100 s unless RENKEI_ANSWER_WAIT_SECONDS says otherwise): its cancellation went past the
        // command's handling, and the file's bad lines and the first chunk's findings were lost with it.
        using var folder = new TempFolder();
        var people = await ChunkAndOneAsync(folder);
        await using var services = await FailingAtTheSecondChunkAsync(c => Task.Delay(Timeout.Infinite, c.RequestAborted));
        var result = await SeparateServices.RunAsync(new Dictionary<string, string>(AllTokens) { ["RENKEI_ANSWER_WAIT_SECONDS"] = "3" }, "node", "issue-codes", "--agency", Agency, "--file", people,
            "--node", $"{services.Url}node/", "--core", $"{services.Url}core/", "--registry", $"{services.Url}registry/");
        AssertFirstChunkReported(result, "失敗しました / failed: サービスが時間内に応答しませんでした / a service did not answer in time");
        // The second chunk's acquisition numbers were given back all the same.
        Assert.Equal(2, services.Asked.Count(a => a.EndsWith("/acquisitions/discard with a token", StringComparison.Ordinal)));
    }
}
