using System.Net;
using System.Text;
using Renkei.Hosting.Storage;
using Renkei.Registry.Tests.Corporations;

namespace Renkei.Registry.Tests.Http;

/// <summary>
/// What Kestrel refuses before the service sees the request (docs/problems.md, "Refused by the web server"): any valid
/// search fits under its limits, and what does not fit gets Kestrel's bare status, no body.
/// </summary>
public class RequestLineTests
{
    /// <summary>Every byte of <paramref name="text"/>'s UTF-8 as %XX, the longest a client can write it.</summary>
    private static string FullyEncoded(string text) => string.Concat(Encoding.UTF8.GetBytes(text).Select(b => $"%{b:X2}"));

    [Fact]
    public async Task A_valid_name_search_fully_percent_encoded_fits_the_request_line_and_a_longer_one_is_answered_by_kestrel_bare()
    {
        using var host = RegistryHost.Start(StorageProvider.Sqlite);
        var client = host.Client();
        const string Query = "/4/name?id=sandbox&type=12&mode=2&target=1&change=1&close=1&divide=1&address=13&kind=01,02,03,04&name=";

        // The longest valid name: 150 characters of four UTF-8 bytes each (𠮷, outside the BMP), each byte %XX: 1,800 characters.
        var longest = FullyEncoded(string.Concat(Enumerable.Repeat("𠮷", 150)));
        Assert.Equal(1800, longest.Length);
        Assert.True((Query + longest).Length < 8192 - "GET  HTTP/1.1\r\n".Length);
        Assert.Equal(0, (await Publication.GetAsync(client, Query + longest)).Count);
        // One more character is the search's own refusal, code 101, not the web server's.
        var (status, code, _) = await Publication.RefusalAsync(client, Query + FullyEncoded(string.Concat(Enumerable.Repeat("𠮷", 151))));
        Assert.Equal((HttpStatusCode.BadRequest, "101"), (status, code));

        // 1,000 kana (9 KB encoded) exceed Kestrel's 8 KB request line: 414 with no body, before the service is reached.
        using var tooLong = await client.GetAsync(Query + FullyEncoded(new string('あ', 1000)));
        Assert.Equal(HttpStatusCode.RequestUriTooLong, tooLong.StatusCode);
        Assert.Empty(await tooLong.Content.ReadAsByteArrayAsync());

        // Headers over 32 KB in all: 431, no body.
        using var big = new HttpRequestMessage(HttpMethod.Get, "/4/name?id=sandbox&type=12&name=a");
        big.Headers.Add("X-Padding", new string('a', 40_000));
        using var tooBig = await host.Client().SendAsync(big);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, tooBig.StatusCode);
        Assert.Empty(await tooBig.Content.ReadAsByteArrayAsync());

        // %00 in the path: 400, no body.
        using var nul = await host.Client().GetAsync("/4/na%00me?id=sandbox&type=12&name=a");
        Assert.Equal(HttpStatusCode.BadRequest, nul.StatusCode);
        Assert.Empty(await nul.Content.ReadAsByteArrayAsync());
    }
}
