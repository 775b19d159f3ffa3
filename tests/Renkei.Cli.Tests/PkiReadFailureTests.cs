using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>
/// Audit Y3: `pki chain` and `pki crl` stopped at the status (EnsureSuccessStatusCode), which the CLI printed as a lost
/// connection to a service that had answered. They print the service's problem, as `card issue` does.
/// </summary>
public class PkiReadFailureTests
{
    private const string StorageFull = """{"type":"urn:renkei:problem:storage-full","title":"保存領域が一杯です / Storage is full","status":503,"detail":"ディスクに空きを作ってください / free some disk space"}""";

    [Theory]
    [InlineData("chain", "GET /ca/chain.pem")]
    [InlineData("crl", "GET /crl/signing.crl")]
    public async Task A_refusal_prints_the_services_problem_not_a_lost_connection(string command, string asked)
    {
        using var data = new TempFolder();
        await using var network = await FakeNetwork.StartAsync(data.Path, context => FakeService.Json(context, StorageFull, 503));

        string[] args = command == "chain" ? ["pki", "chain", "--data", data.Path] : ["pki", "crl", "--data", data.Path, "--kind", "signing"];
        var result = await RenkeiCommand.RunAsync(args);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(network.Asked, a => a.StartsWith(asked, StringComparison.Ordinal));
        Assert.Contains("保存領域が一杯です / Storage is full: ディスクに空きを作ってください / free some disk space", result.Error);
        Assert.DoesNotContain("接続が切れました", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.Equal("", result.Output);
    }

    [Theory]
    [InlineData("chain")]
    [InlineData("crl")]
    [InlineData("card")]
    public async Task A_refusal_without_a_body_prints_its_status_not_an_empty_line(string command)
    {
        // Review: a bare 503 (a proxy, a service stopping) printed an empty line, which said nothing at all.
        using var data = new TempFolder();
        await using var network = await FakeNetwork.StartAsync(data.Path, context => { context.Response.StatusCode = 503; return Task.CompletedTask; });

        string[] args = command switch
        {
            "chain" => ["pki", "chain", "--data", data.Path],
            "crl" => ["pki", "crl", "--data", data.Path, "--kind", "signing"],
            _ => ["card", "issue", "--data", data.Path, "--number", "123456789018", "--pin", "2468", "--signing-password", "HANAKO1", "--out", Path.Combine(data.Path, "card.json")],
        };
        var result = await RenkeiCommand.RunAsync(args);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("サービスが 503 を返しました（本文なし）/ 503 Service Unavailable", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Theory]
    [InlineData("feed", "GET /api/registry-feed")]
    [InlineData("recheck", "POST /api/registry-feed/recheck")]
    [InlineData("reset-pin", "POST /api/cards/card-1/pin-reset")]
    [InlineData("report-lost", "POST /api/cards/X/loss")]
    public async Task A_refusal_without_a_body_prints_its_status_in_the_other_pki_and_card_commands(string command, string asked)
    {
        // Audit 20c §4: these printed an empty line (exit 1, nothing said) for a bare 503 of a proxy or a PKI stopping.
        using var data = new TempFolder();
        await using var network = await FakeNetwork.StartAsync(data.Path, context => { context.Response.StatusCode = 503; return Task.CompletedTask; });

        string[] args = command switch
        {
            "feed" => ["pki", "feed", "--data", data.Path],
            "recheck" => ["pki", "recheck", "--data", data.Path],
            "reset-pin" => ["card", "reset-pin", "--data", data.Path, "--card", CardCommandTests.LocalCard(data), "--number", "123456789018", "--pin", "2468"],
            _ => ["card", "report-lost", "--data", data.Path, "--card-id", "X"],
        };
        var result = await RenkeiCommand.RunAsync(args);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(network.Asked, a => a.StartsWith(asked, StringComparison.Ordinal));
        Assert.Equal("サービスが 503 を返しました（本文なし）/ 503 Service Unavailable", result.Error.Trim());
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task A_bare_refusal_while_following_a_recheck_says_its_status()
    {
        // The re-check started (202); reading how it goes then met a bare 503, and the line ended after "could not follow the re-check: ".
        using var data = new TempFolder();
        await using var network = await FakeNetwork.StartAsync(data.Path, context =>
        {
            context.Response.StatusCode = context.Request.Method == "POST" ? 202 : 503;
            return Task.CompletedTask;
        });

        var result = await RenkeiCommand.RunAsync("pki", "recheck", "--data", data.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(network.Asked, a => a.StartsWith("GET /api/registry-feed", StringComparison.Ordinal));
        Assert.Equal("照合を見届けられませんでした / could not follow the re-check: サービスが 503 を返しました（本文なし）/ 503 Service Unavailable", result.Error.Trim());
    }

    [Fact]
    public async Task A_crl_answered_is_printed_as_pem()
    {
        using var data = new TempFolder();
        await using var network = await FakeNetwork.StartAsync(data.Path, context =>
        {
            context.Response.ContentType = "application/pkix-crl";
            return context.Response.Body.WriteAsync(new byte[] { 0x30, 0x03, 0x02, 0x01, 0x07 }).AsTask();
        });

        var result = await RenkeiCommand.RunAsync("pki", "crl", "--data", data.Path, "--kind", "authentication");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("-----BEGIN X509 CRL-----\nMAMCAQc=\n-----END X509 CRL-----", result.Output.Trim());
    }
}
