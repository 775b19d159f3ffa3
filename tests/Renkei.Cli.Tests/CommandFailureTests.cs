using System.Net.Http;

namespace Renkei.Cli.Tests;

public class CommandFailureTests
{
    [Fact]
    public void A_service_that_cannot_be_reached_is_one_line_not_a_stack_trace()
    {
        // Audit W: commands without a message of their own for a network gone away printed "Unhandled exception" and 40 frames.
        var error = new StringWriter();
        var code = CommandTree.Failed(new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:7104)"), error);
        Assert.Equal(1, code);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("サービスと通信できませんでした（接続できません）。ネットワークが動いているか確かめてください / "
            + "could not talk to a service (cannot connect: Connection refused (127.0.0.1:7104)): check that the network runs", line);
        Assert.DoesNotContain("Unhandled exception", line);

        // One of our own refusals, already in both languages, is said as it is.
        error = new StringWriter();
        CommandTree.Failed(new HttpRequestException("PKIに照合の記録がありません / the PKI shows no re-check"), error);
        Assert.Equal("PKIに照合の記録がありません / the PKI shows no re-check", error.ToString().Trim());
    }

    [Fact]
    public void A_status_the_service_answered_is_said_as_a_status_not_as_a_connection_lost()
    {
        // Audit Y3: pki chain while the PKI answers 503 was told "接続が切れました … check that the network runs".
        var error = new StringWriter();
        var code = CommandTree.Failed(new HttpRequestException("Response status code does not indicate success: 503 (Service Unavailable).", null,
            System.Net.HttpStatusCode.ServiceUnavailable), error);
        Assert.Equal(1, code);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("サービスが 503 を返しました", line);
        Assert.Contains("the service answered 503", line);
        Assert.DoesNotContain("接続が切れました", line);
        Assert.DoesNotContain("network runs", line);
    }
}
