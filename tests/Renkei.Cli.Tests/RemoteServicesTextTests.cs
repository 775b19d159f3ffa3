using System.Net;
using System.Net.Sockets;
using System.Text;
using Renkei.Cli.Linkage;

namespace Renkei.Cli.Tests;

/// <summary>What a node command with --node says of a response cut short: a wrong scheme only where one can be wrong.</summary>
public class RemoteServicesTextTests
{
    private static readonly Dictionary<TokenVariable, string> Tokens = new() { [TokenVariable.NodeCopies] = "copies-token" };

    /// <summary>
    /// A node that answers its health check and then, with a request read whole, closes the connection (FIN, not a reset) without
    /// a status line, as the socket of a node killed mid-request does: HttpClient's "response ended".
    /// </summary>
    private sealed class DyingNode : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);

        public DyingNode()
        {
            listener.Start();
            _ = Task.Run(async () =>
            {
                while (true)
                {
                    using var socket = await listener.AcceptSocketAsync();
                    var request = "";
                    var buffer = new byte[4096];
                    while (!request.Contains("\r\n\r\n") || (request.StartsWith("POST") && !request.EndsWith("{}")))
                    {
                        var n = await socket.ReceiveAsync(buffer);
                        if (n == 0) break;
                        request += Encoding.ASCII.GetString(buffer, 0, n);
                    }
                    if (request.StartsWith("GET /health"))
                        await socket.SendAsync(Encoding.ASCII.GetBytes(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 32\r\nConnection: close\r\n\r\n{\"status\":\"ok\",\"service\":\"node\"}"));
                    socket.Shutdown(SocketShutdown.Both);
                }
            });
        }

        public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");

        public async Task<HttpRequestException> CutShortAsync()
        {
            using var http = new HttpClient();
            return await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync(new Uri(Url, "api/copies"), new StringContent("{}")));
        }

        public ValueTask DisposeAsync()
        {
            listener.Stop();
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task A_node_on_https_that_ends_the_response_is_a_connection_lost_not_an_https_hint()
    {
        await using var node = new DyingNode();
        var lost = await node.CutShortAsync();
        Assert.Equal(HttpRequestError.ResponseEnded, lost.HttpRequestError);
        await using var services = new RemoteServices(new Uri("https://node.example:7102/"), null, null, "ca.pem", new SocketsHttpHandler(), Tokens);
        var text = services.Text(lost);
        Assert.StartsWith("接続が切れました / the connection was lost", text);
        Assert.DoesNotContain("https のポートではありませんか", text);
    }

    [Fact]
    public async Task A_plain_http_node_that_answered_its_health_check_and_then_ends_a_response_is_a_connection_lost()
    {
        await using var node = new DyingNode();
        var lost = await node.CutShortAsync();
        Assert.Equal(HttpRequestError.ResponseEnded, lost.HttpRequestError);
        await using var services = new RemoteServices(node.Url, null, null, null, new SocketsHttpHandler(), Tokens);
        // Before any answer, http:// to what may be an https port: the hint stands.
        Assert.Contains("https のポートではありませんか", services.Text(lost));
        Assert.True(await services.ReachAsync(CancellationToken.None));
        var text = services.Text(lost);
        Assert.StartsWith("接続が切れました", text);
        Assert.DoesNotContain("https のポートではありませんか", text);
    }

    [Fact]
    public async Task A_failed_tls_handshake_is_named_so_not_a_connection_lost()
    {
        // Review: ServiceGone (commands on the data folder's own network) called any TLS failure "connection lost".
        await using var plain = await FakeService.StartAsync(context => FakeService.Health(context, "node"));
        using var http = new HttpClient();
        var tls = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri($"https://127.0.0.1:{plain.Port}/health")));
        Assert.Equal(HttpRequestError.SecureConnectionError, tls.HttpRequestError);
        Assert.StartsWith("TLSで接続できません（http のポートではありませんか） / TLS failed", ServiceGone.Text(tls));
        Assert.StartsWith("TLSで接続できません", ServiceGone.Said(tls));

        var untrusted = new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established, see inner exception.",
            new System.Security.Authentication.AuthenticationException("The remote certificate is invalid because of errors in the certificate chain: UntrustedRoot"));
        Assert.StartsWith("証明書を信頼できません / the certificate is not trusted", ServiceGone.Text(untrusted));
        var misnamed = new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established, see inner exception.",
            new System.Security.Authentication.AuthenticationException("The remote certificate is invalid according to the validation procedure: RemoteCertificateNameMismatch"));
        Assert.Equal("証明書にURLのホスト名がありません / the certificate does not name the URL's host", ServiceGone.Text(misnamed));
    }

    [Fact]
    public void Our_own_refusal_is_not_a_service_gone()
    {
        Assert.False(ServiceGone.IsGone(new HttpRequestException("受け付けられませんでした / refused: 503 Service Unavailable")));
        Assert.Equal("受け付けられませんでした / refused", ServiceGone.Said(new HttpRequestException("受け付けられませんでした / refused")));
        Assert.True(ServiceGone.IsGone(new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused")));
        Assert.True(ServiceGone.IsGone(new HttpRequestException("An error occurred while sending the request.", new IOException("reset"))));
        Assert.StartsWith("接続が切れました / the connection was lost",
            ServiceGone.Said(new HttpRequestException("An error occurred while sending the request.", new IOException("reset"))));
    }

    [Theory]
    [InlineData("9999999999", Renkei.Cli.Network.NetworkAccess.MostAnswerWaitSeconds)]
    [InlineData("2147483648", Renkei.Cli.Network.NetworkAccess.MostAnswerWaitSeconds)]
    [InlineData("99999999999999999999", Renkei.Cli.Network.NetworkAccess.MostAnswerWaitSeconds)] // past long too (audit 20c §5)
    [InlineData("00000000000000000000", 100)]
    [InlineData("+300", 100)]
    [InlineData("-99999999999999999999", 100)]
    [InlineData("30", 30)]
    [InlineData("0", 100)]
    [InlineData("soon", 100)]
    [InlineData(null, 100)]
    public void An_answer_wait_past_int_max_is_the_longest_wait_not_the_default(string? text, int seconds)
    {
        // Review: int.TryParse failed above int.MaxValue, so the longest waits fell back to 100 s.
        Assert.Equal(TimeSpan.FromSeconds(seconds), Renkei.Cli.Network.NetworkAccess.AnswerWaitOf(text));
    }
}
