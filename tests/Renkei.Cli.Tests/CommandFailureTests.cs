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
}
