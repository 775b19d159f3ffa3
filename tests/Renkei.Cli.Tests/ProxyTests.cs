using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>
/// Audit D, finding 3: .NET takes its proxy from HTTP_PROXY, HTTPS_PROXY and ALL_PROXY and bypasses it only for the hosts in
/// NO_PROXY, never for loopback by itself: a node command given http://127.0.0.1 sent its token, and issue-codes the Individual
/// Numbers, in clear to the proxy host. Every client of the CLI and of the services connects directly.
/// </summary>
public class ProxyTests(SeparateServices services) : IClassFixture<SeparateServices>
{
    /// <summary>The environment of a workstation whose every request would go through <paramref name="proxy"/>, nothing exempted.</summary>
    private static Dictionary<string, string> Through(FakeProxy proxy, Dictionary<string, string>? more = null)
    {
        var environment = new Dictionary<string, string>(more ?? []);
        foreach (var name in new[] { "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy" })
            environment[name] = proxy.Url;
        environment["NO_PROXY"] = environment["no_proxy"] = "";
        return environment;
    }

    [Fact]
    public async Task A_node_command_reaches_a_service_on_this_machine_directly_whatever_proxy_the_environment_names()
    {
        // Against the real services: issue-codes sends the Individual Numbers, inquire-batch a staff token.
        using var proxy = FakeProxy.Start();
        using var folder = new TempFolder();
        var people = folder.File("people.csv");
        await File.WriteAllTextAsync(people, $"B-1,{services.Numbers[0]}\n");
        var issued = await SeparateServices.RunAsync(Through(proxy, services.AddresseeTokens(SeparateServices.Bunkyo)),
            ["node", "issue-codes", "--agency", SeparateServices.Bunkyo, "--file", people, .. services.ByUrl()]);
        Assert.True(issued.ExitCode == 0, issued.Output + issued.Error);
        Assert.Contains("codes delivered: 1, 該当者なし / unknown: 0", issued.Output);
        Assert.Equal(["B-1"], (await services.TenantAsync(SeparateServices.Bunkyo)).Coded);

        var list = folder.File("list.txt");
        await File.WriteAllTextAsync(list, "B-1\n");
        var results = folder.File("results.jsonl");
        var asked = await SeparateServices.RunAsync(Through(proxy, new() { ["RENKEI_NODE_STAFF_TOKEN"] = services.NodeToken($"{SeparateServices.Bunkyo}-child-allowance") }),
            "node", "inquire-batch", "--agency", SeparateServices.Bunkyo, "--affair", "child-allowance", "--provider", SeparateServices.Kashiwa, "--item", "local-tax",
            "--file", list, "--out", results, "--node", services.Node, "--ca", services.CaFile);
        Assert.True(asked.ExitCode == 0, asked.Output + asked.Error);
        // The node answered through the core: 柏市 has no code for the person, so no data.
        var answer = JsonDocument.Parse(Assert.Single(await File.ReadAllLinesAsync(results))).RootElement;
        Assert.Equal("B-1", answer.GetProperty("addresseeNumber").GetString());
        Assert.Equal("no-data", answer.GetProperty("outcome").GetString());
        Assert.Equal(0, proxy.Connections);
    }

    [Fact]
    public async Task The_services_of_a_sandbox_call_each_other_directly_whatever_proxy_the_environment_names()
    {
        // The demo starts every service in the command's process (https under the network CA) and runs a linkage through them:
        // the CLI's calls, the node's to the core, the core's to the node, the PKI's to the Registry.
        using var proxy = FakeProxy.Start();
        using var data = new TempFolder();
        var demo = await RenkeiCommand.RunAsync(["demo", "moving-family", "--data", data.Path], null, TimeSpan.FromMinutes(5), null, Through(proxy));
        Assert.True(demo.ExitCode == 0, demo.Output + demo.Error);
        Assert.Equal(0, proxy.Connections);
    }

    [Fact]
    public async Task Card_sign_asks_the_ocsp_responder_directly_and_warns_of_a_lost_card_whatever_proxy_the_environment_names()
    {
        // Through a proxy the card's serial and the time of each signature went to the proxy host, and a remote proxy cannot
        // reach this machine's responder: the holder of a card reported lost was never warned.
        using var proxy = FakeProxy.Start();
        using var folder = new TempFolder();
        var data = folder.File("data");
        var card = folder.File("lost.card");
        var document = folder.File("届出.txt");
        await File.WriteAllTextAsync(document, "届出 / notification");
        await using var network = await Renkei.Cli.Network.SandboxNetwork.StartAsync(data);
        await network.Describe().WriteAsync(data);
        using var clerk = Renkei.Cli.Linkage.LinkageSandbox.Client(network.RegistryUrl, Renkei.Cli.Network.SandboxCallers.TokenOf(data, "clerk-121002"), network.Handler);
        var movedIn = await clerk.PostAsJsonAsync("api/municipalities/121002/events", new
        {
            kind = "move-in", from = "abroad", address = "千葉県千葉市中央区中央1-1-1",
            person = new { familyName = "紛失", givenName = "三郎", familyNameKana = "フンシツ", givenNameKana = "サブロウ", dateOfBirth = "1980-03-03", sex = "male" },
        }, Renkei.Hosting.ServiceDefaults.Json);
        var number = System.Text.Json.JsonDocument.Parse(await movedIn.Content.ReadAsStringAsync()).RootElement.GetProperty("individualNumber").GetString()!;
        var issued = await RenkeiCommand.RunAsync("card", "issue", "--data", data, "--number", number, "--pin", "2468", "--signing-password", "SABURO1", "--out", card);
        Assert.True(issued.ExitCode == 0, issued.Error);
        var reported = await RenkeiCommand.RunAsync("card", "report-lost", "--data", data, "--card", card);
        Assert.True(reported.ExitCode == 0, reported.Error);

        var signed = await RenkeiCommand.RunAsync(["card", "sign", "--card", card, "--signing-password", "SABURO1", document], null, TimeSpan.FromMinutes(2), null, Through(proxy));
        Assert.True(signed.ExitCode == 0, signed.Error);
        Assert.Contains("warning: this card's signing certificate is revoked (reported lost)", signed.Error);
        Assert.Equal(0, proxy.Connections);
    }
}

/// <summary>A proxy that counts the connections made to it and closes each at once: anything sent through it fails.</summary>
public sealed class FakeProxy : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private int connections;

    private FakeProxy() { }

    public string Url => $"http://{listener.LocalEndpoint}";

    public int Connections => Volatile.Read(ref connections);

    public static FakeProxy Start()
    {
        var proxy = new FakeProxy();
        proxy.listener.Start();
        _ = proxy.AcceptAsync();
        return proxy;
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                Interlocked.Increment(ref connections);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    public void Dispose() => listener.Stop();
}
