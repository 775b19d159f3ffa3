using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>
/// Audit W3: card issue whose network goes away under it printed an unhandled HttpRequestException of 40 frames. It is one
/// line, Japanese first, that says whether a card can have been issued.
/// </summary>
public class CardIssueCutOffTests
{
    [Fact]
    public async Task A_PKI_that_cannot_be_reached_is_one_line_saying_no_card_was_issued()
    {
        using var data = new TempFolder();
        await using var network = await FakeNetwork.StartAsync(data.Path, _ => Task.CompletedTask,
            new Dictionary<string, string> { ["pki"] = $"https://127.0.0.1:{LoopbackPorts.Closed()}/" });
        var card = data.File("hanako.card");

        var issue = await IssueAsync(data.Path, card);

        Assert.Equal(1, issue.ExitCode);
        Assert.StartsWith("PKI（https://127.0.0.1:", issue.Error);
        Assert.Contains("に接続できないため（接続を拒否されました（URLのポートと、サービスが動いているかを確かめてください））、カードは交付していません", issue.Error);
        Assert.Contains("(connection refused: check the URL's port and that the service runs): no card was issued; check that the network runs", issue.Error);
        AssertOneLine(issue);
        Assert.False(File.Exists(card));
    }

    [Fact]
    public async Task A_PKI_that_goes_away_after_the_request_is_one_line_saying_to_issue_again()
    {
        using var data = new TempFolder();
        await using var network = await FakeNetwork.StartAsync(data.Path, context =>
        {
            // The PKI dies with the request in hand: whether it stored a card is not known to the command.
            context.Abort();
            return Task.CompletedTask;
        });
        var card = data.File("hanako.card");

        var issue = await IssueAsync(data.Path, card);

        Assert.Equal(1, issue.ExitCode);
        Assert.Contains("POST /api/cards with a token", network.Asked);
        Assert.StartsWith("PKI（https://127.0.0.1:", issue.Error);
        Assert.Contains("からの応答が途中で途切れました（接続が切れました）。カードは書き出していません", issue.Error);
        Assert.Contains("was cut off (the connection was lost (", issue.Error);
        Assert.Contains("run card issue again, and the new card supersedes it", issue.Error);
        AssertOneLine(issue);
        Assert.False(File.Exists(card));
    }

    private static Task<CliResult> IssueAsync(string data, string card) => RenkeiCommand.RunAsync(
        "card", "issue", "--data", data, "--number", "123456789018", "--pin", "2468", "--signing-password", "HANAKO1", "--out", card);

    private static void AssertOneLine(CliResult result)
    {
        Assert.DoesNotContain("Unhandled exception", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_PKI_that_does_not_answer_in_time_is_said_with_the_wait_the_PKI_client_used()
    {
        // Audit Y4: it named RENKEI_ANSWER_WAIT_SECONDS's wait (100 s by default), which the PKI client does not use.
        var timedOut = new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 120 seconds elapsing.",
            new TimeoutException("The operation was canceled."));
        var text = Renkei.Cli.Card.CardCommands.IssueCutOff(timedOut, new Uri("https://127.0.0.1:7104/"), TimeSpan.FromMinutes(2));
        Assert.Contains("（120 秒以内に応答がありません）", text);
        Assert.Contains("(no answer within 120 s)", text);
        Assert.DoesNotContain("100 秒", text);
    }
}
