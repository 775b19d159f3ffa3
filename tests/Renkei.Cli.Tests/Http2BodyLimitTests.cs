using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Renkei.Cli.Network;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

public class Http2BodyLimitTests
{
    [Fact]
    public async Task A_body_of_unknown_length_over_the_limit_sent_over_http2_is_a_413_problem_not_a_500()
    {
        using var folder = new TempFolder();
        await using var network = await SandboxNetwork.StartAsync(folder.Path);
        var clerk = SandboxCallers.LoadOrCreate(folder.Path).First(c => c.Name == "clerk-121002").Token;
        using var http = new HttpClient(network.Handler, disposeHandler: false);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(network.RegistryUrl, "api/municipalities/121002/events"))
        {
            Version = HttpVersion.Version20, // curl's default over HTTPS
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            // Many small values, so that the JSON reader has consumed part of the body when the limit (30,000,000 bytes) is passed.
            Content = new JsonArrayOverLimit(),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", clerk);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpVersion.Version20, response.Version);
        var problem = await ProblemAssert.IsProblemAsync(response, 413, "request-too-large");
        Assert.Contains("30,000,000", problem.GetProperty("detail").GetString());
    }

    /// <summary>A JSON body of 33 MB written as it is sent, with no length declared.</summary>
    private sealed class JsonArrayOverLimit : HttpContent
    {
        public JsonArrayOverLimit() => Headers.ContentType = new MediaTypeHeaderValue("application/json");

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            // A field the request has: one it has not is refused (400) as soon as its name is read.
            var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("abcdefghij,", 10_000)));
            await stream.WriteAsync("{\"kind\":\"birth\",\"address\":\""u8.ToArray());
            for (var i = 0; i < 300; i++) await stream.WriteAsync(chunk);
            await stream.WriteAsync("\"}"u8.ToArray());
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
