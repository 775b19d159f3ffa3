using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>A person's provision records are listed a page at a time, at the nodes and at the core, with a Link to the next page.</summary>
public partial class RecordPagingTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    /// <summary>
    /// One page as answered: its records and its Link rel="next", if any: the target as given, and as a client resolves it against
    /// the URL it asked (RFC 3986 5.2).
    /// </summary>
    private sealed record Page(List<JsonElement> Records, string? Target, string? Next);

    // The query alone: a relative reference that keeps whatever path the caller asked by, a gateway's prefix included.
    [GeneratedRegex("^<(?<target>\\?[^>]*)>; rel=\"next\"$")]
    private static partial Regex NextLink();

    private static async Task<Page> PageAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        var records = (await LinkageNetwork.Ensure(response)).EnumerateArray().ToList();
        if (!response.Headers.TryGetValues("Link", out var links)) return new Page(records, null, null);
        var match = NextLink().Match(Assert.Single(links));
        Assert.True(match.Success, $"not a next link of the query alone: {string.Join(", ", links)}");
        var target = match.Groups["target"].Value;
        return new Page(records, target, new Uri(response.RequestMessage!.RequestUri!, target).AbsoluteUri);
    }

    /// <summary>Every page from <paramref name="first"/> on, following each next link as a client resolves it.</summary>
    private static async Task<List<Page>> PagesAsync(HttpClient client, string first)
    {
        var pages = new List<Page> { await PageAsync(client, first) };
        while (pages[^1].Next is { } next)
        {
            Assert.True(pages.Count < 50, "the next links do not end");
            pages.Add(await PageAsync(client, next));
        }
        return pages;
    }

    private static List<string> MessageIds(IEnumerable<JsonElement> records) => [.. records.Select(r => r.GetProperty("messageId").GetString()!)];

    private static void AssertLastPage(List<string> expected, Page page)
    {
        Assert.Equal(expected, MessageIds(page.Records));
        Assert.Null(page.Next);
    }

    private static long Seq(JsonElement record) => record.GetProperty("seq").GetInt64();

    /// <summary>
    /// Each page's link reads on after the page's last record, with the same path, size and query; behind a gateway that routes
    /// <c>/renkei/…</c> to the service, it resolves under the gateway's prefix, not at the host's root.
    /// </summary>
    private static void AssertLinksReadOn(List<Page> pages, string path, string query, int limit)
    {
        foreach (var page in pages.SkipLast(1))
        {
            var next = $"{path}?{query}&after={Seq(page.Records[^1])}&limit={limit}";
            Assert.Equal(next, new Uri(page.Next!).PathAndQuery);
            Assert.Equal($"https://gateway.example/renkei{next}", new Uri(new Uri($"https://gateway.example/renkei{path}?{query}&limit={limit}"), page.Target).AbsoluteUri);
        }
        Assert.Null(pages[^1].Next);
    }

    private static async Task AssertBadPagingRefusedAsync(HttpClient client, string url)
    {
        foreach (var (query, field) in new[]
        {
            ("limit=0", "limit"), ("limit=-1", "limit"), ("limit=1001", "limit"), ("limit=abc", "limit"), ("limit=2.5", "limit"), ("limit=", "limit"),
            ("limit=99999999999", "limit"), ("after=-1", "after"), ("after=abc", "after"), ("after=1e3", "after"), ("after=", "after"),
            ("after=99999999999999999999", "after"),
        })
        {
            var problem = await ProblemAssert.IsProblemAsync(await client.GetAsync($"{url}&{query}"), 400, "invalid-paging");
            Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
            Assert.Equal("ページの指定が不正です / Invalid paging", problem.GetProperty("title").GetString());
            Assert.StartsWith($"{field}: ", problem.GetProperty("detail").GetString());
            Assert.Contains(" / ", problem.GetProperty("detail").GetString());
        }
        var both = await ProblemAssert.IsProblemAsync(await client.GetAsync($"{url}&limit=0&after=-5"), 400, "invalid-paging");
        Assert.Equal(["after", "limit"], both.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order());
    }

    [Theory, StorageData]
    public async Task A_tenants_records_come_a_page_at_a_time_and_the_next_links_give_each_once_in_log_order(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        var asked = new List<string>();
        for (var i = 0; i < 5; i++) asked.Add((await family.AnswerAsync("bunkyo-child-clerk")).GetProperty("messageId").GetString()!);
        var auditor = network.NodeClient("bunkyo-auditor");
        var path = $"/api/tenants/{B}/records";

        // Pages of two: 2, 2, 1, each record once, oldest first, and no link on the last page.
        var pages = await PagesAsync(auditor, $"{path}?addresseeNumber=B-0001&limit=2");
        Assert.Equal([2, 2, 1], pages.Select(p => p.Records.Count));
        Assert.Equal(asked, MessageIds(pages.SelectMany(p => p.Records)));
        var seqs = pages.SelectMany(p => p.Records).Select(Seq).ToList();
        Assert.Equal(seqs.Order(), seqs);
        Assert.Equal(seqs.Distinct().Count(), seqs.Count);
        AssertLinksReadOn(pages, path, "addresseeNumber=B-0001", 2);
        // The provider's tenant pages its own records of the same inquiries alike.
        var atK = await PagesAsync(network.NodeClient("kashiwa-auditor"), $"api/tenants/{K}/records?addresseeNumber=K-0001&limit=3");
        Assert.Equal([3, 2], atK.Select(p => p.Records.Count));
        Assert.Equal(asked, MessageIds(atK.SelectMany(p => p.Records)));

        // A page that holds exactly the records left is the last: no link to an empty page.
        var whole = await PageAsync(auditor, $"{path}?addresseeNumber=B-0001&limit=5");
        AssertLastPage(asked, whole);
        var rest = await PageAsync(auditor, $"{path}?addresseeNumber=B-0001&limit=4&after={seqs[0]}");
        AssertLastPage(asked[1..], rest);
        // Without limit or after: the first 100 from the start, here all of them; after=0 is the start.
        Assert.Equal(asked, MessageIds((await PageAsync(auditor, $"{path}?addresseeNumber=B-0001")).Records));
        Assert.Equal(asked, MessageIds((await PageAsync(auditor, $"{path}?addresseeNumber=B-0001&after=0&limit=1000")).Records));
        // after is a position in the log, exclusive, and beyond the end gives an empty last page.
        Assert.Equal(asked[3..], MessageIds((await PageAsync(auditor, $"{path}?addresseeNumber=B-0001&after={seqs[2]}")).Records));
        foreach (var beyond in new[] { seqs[^1], seqs[^1] + 1, long.MaxValue })
        {
            var empty = await PageAsync(auditor, $"{path}?addresseeNumber=B-0001&after={beyond}");
            Assert.Empty(empty.Records);
            Assert.Null(empty.Next);
        }

        await AssertBadPagingRefusedAsync(auditor, $"{path}?addresseeNumber=B-0001");

        // The tenant checks come first: another tenant's caller cannot page these records, not even by a next link it was shown,
        // and learns nothing from its paging being wrong; a caller of the tenant without the records role neither.
        var kashiwa = network.NodeClient("kashiwa-auditor");
        await ProblemAssert.IsProblemAsync(await kashiwa.GetAsync(pages[0].Next), 403, "another-tenant");
        await ProblemAssert.IsProblemAsync(await kashiwa.GetAsync($"{path}?addresseeNumber=B-0001&limit=0"), 403, "another-tenant");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-child-clerk").GetAsync(pages[0].Next), 403, "forbidden");
        await ProblemAssert.IsProblemAsync(await network.NodeClient().GetAsync(pages[0].Next), 401, "unauthenticated");
        // Paging needs the person still.
        await ProblemAssert.IsProblemAsync(await auditor.GetAsync($"{path}?limit=2&after=1"), 400, "addressee-number-required");
    }

    [Theory, StorageData]
    public async Task The_core_pages_a_persons_records_and_its_oversight_view_still_hides_the_other_agencies_codes(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        var kashiwaClerk = network.NodeClient("kashiwa-child-clerk");
        async Task<string> AskFromKashiwaAsync() =>
            (await LinkageNetwork.Ensure(await kashiwaClerk.PostAsJsonAsync($"api/tenants/{K}/inquiries",
                new { addresseeNumber = "K-0001", affair = "child-allowance", provider = B, item = "local-tax" }, ServiceDefaults.Json))).GetProperty("messageId").GetString()!;
        // Interleaved: Bunkyo asks three times, Kashiwa twice, so the oversight view's pages mix both agencies' records.
        var byBunkyo = new List<string>();
        var byKashiwa = new List<string>();
        var all = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var id = i % 2 == 0 ? (await family.AnswerAsync("bunkyo-child-clerk")).GetProperty("messageId").GetString()! : await AskFromKashiwaAsync();
            (i % 2 == 0 ? byBunkyo : byKashiwa).Add(id);
            all.Add(id);
        }
        var codeAtB = (await PageAsync(network.NodeClient("bunkyo-auditor"), $"api/tenants/{B}/records?addresseeNumber=B-0001")).Records[0].GetProperty("code").GetString()!;
        var codeAtK = (await PageAsync(network.NodeClient("kashiwa-auditor"), $"api/tenants/{K}/records?addresseeNumber=K-0001")).Records[0].GetProperty("code").GetString()!;
        var core = network.CoreClient("auditor-token");

        // By the code alone: what that agency asked, a page at a time.
        var byCode = await PagesAsync(core, $"api/records?code={codeAtB}&limit=2");
        Assert.Equal([2, 1], byCode.Select(p => p.Records.Count));
        Assert.Equal(byBunkyo, MessageIds(byCode.SelectMany(p => p.Records)));
        AssertLinksReadOn(byCode, "/api/records", $"code={codeAtB}", 2);

        // The oversight view pages over every agency's code for the person, in log order, and each page keeps only the code given.
        foreach (var (code, agency, other, limit, sizes) in new[] { (codeAtB, B, codeAtK, 2, new[] { 2, 2, 1 }), (codeAtK, K, codeAtB, 3, [3, 2]) })
        {
            var pages = await PagesAsync(core, $"api/records?code={code}&agency={agency}&limit={limit}");
            Assert.Equal(sizes, pages.Select(p => p.Records.Count));
            Assert.Equal(all, MessageIds(pages.SelectMany(p => p.Records)));
            AssertLinksReadOn(pages, "/api/records", $"code={code}&agency={agency}", limit);
            foreach (var record in pages.SelectMany(p => p.Records))
            {
                Assert.DoesNotContain(other, record.GetRawText());
                var shown = record.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                Assert.Equal(record.GetProperty("requester").GetString() == agency ? code : null, shown);
            }
        }

        // Beyond the end: an empty last page, in either view.
        foreach (var query in new[] { $"code={codeAtB}", $"code={codeAtB}&agency={B}" })
        {
            var beyond = await PageAsync(core, $"api/records?{query}&after=1000000");
            Assert.Empty(beyond.Records);
            Assert.Null(beyond.Next);
        }

        // The core's log has the index on (code, seq) as the nodes' have.
        Assert.Equal(["provision_records_code_seq"], await CodeIndexesAsync(network.CoreDatabase));

        await AssertBadPagingRefusedAsync(core, $"api/records?code={codeAtB}");
        await AssertBadPagingRefusedAsync(core, $"api/records?code={codeAtB}&agency={B}");
        // The code is still asked for first, and paging does not get past the agency checks.
        await ProblemAssert.IsProblemAsync(await core.GetAsync("api/records?limit=2"), 400, "code-required");
        await ProblemAssert.IsProblemAsync(await core.GetAsync($"api/records?code={codeAtK}&agency={B}&limit=2&after=1"), 404, "unknown-code");
        await ProblemAssert.IsProblemAsync(await network.CoreClient().GetAsync(byCode[0].Next), 401, "unauthenticated");
        await ProblemAssert.IsProblemAsync(await network.CoreClient("operator-token").GetAsync(byCode[0].Next), 403, "forbidden");
    }

    [Theory, StorageData]
    public async Task A_page_holds_100_records_unless_asked_otherwise_and_the_index_reads_it_in_log_order(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        await MovedFamily.ArrangeAsync(network);
        var bunkyo = network.NodeTenants.Find(B)!;
        var code = (await bunkyo.AgencyCodeOfAsync("B-0001"))!;
        // 150 records of the person among 1,050 of fifty others, as a log kept for years holds them (batches of at most MaxBatch).
        var now = DateTimeOffset.UtcNow;
        var written = new List<ProvisionRecord>();
        foreach (var batch in Enumerable.Range(0, 1200).Chunk(400))
            written.AddRange(await bunkyo.Records.AppendAllAsync([.. batch.Select(i => new ProvisionEntry(Envelope.NewId(), now, now, B, K,
                "child-allowance", "local-tax", i % 8 == 0 ? code : $"someone-else-{i % 50}", Outcome.Provided, null, false))]));
        var mine = written.Where(r => r.Code == code).Select(r => r.MessageId).ToList();
        var auditor = network.NodeClient("bunkyo-auditor");

        var pages = await PagesAsync(auditor, $"api/tenants/{B}/records?addresseeNumber=B-0001");
        Assert.Equal([100, 50], pages.Select(p => p.Records.Count));
        Assert.Equal(mine, MessageIds(pages.SelectMany(p => p.Records)));
        AssertLinksReadOn(pages, $"/api/tenants/{B}/records", "addresseeNumber=B-0001", 100);
        var most = await PageAsync(auditor, $"api/tenants/{B}/records?addresseeNumber=B-0001&limit=1000");
        AssertLastPage(mine, most);

        // The index on (code, seq) finds where a page starts and reads on in log order: nothing is sorted, and the log is not read
        // from its start past everyone else's records. Asked for one of the others, who has a few records, as most people have.
        await using var c = await bunkyo.Database.OpenAsync();
        const string page = "SELECT seq, message_id FROM provision_records WHERE code IN (@c) AND seq > @after ORDER BY seq LIMIT 101";
        (string, object?)[] values = [("c", "someone-else-7"), ("after", 100L)];
        string plan;
        if (provider == StorageProvider.Postgres)
        {
            await c.ExecuteAsync("ANALYZE provision_records");
            await using var tx = await c.BeginTransactionAsync();
            // So small a table would be read whole: what is asked is which index serves the query on a log of millions.
            await c.ExecuteAsync("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off", tx);
            plan = string.Join("\n", await c.QueryAsync("EXPLAIN " + page, r => r.GetString(0), tx, values));
        }
        else plan = string.Join("\n", await c.QueryAsync("EXPLAIN QUERY PLAN " + page, r => r.GetString(3), null, values));
        Assert.True(plan.Contains("provision_records_code_seq") && !plan.Contains("Sort") && !plan.Contains("TEMP B-TREE"), plan);
        // It took the place of the index on the code alone, which it serves as well: one index less to write on each append.
        Assert.Equal(["provision_records_code_seq"], await CodeIndexesAsync(bunkyo.Database));

        // The OpenAPI documents give limit and after as bounded numbers and the Link header of a page.
        foreach (var (service, route) in new[] { (network.Node, "/api/tenants/{agencyId}/records/"), (network.Core, "/api/records/") })
        {
            var document = JsonDocument.Parse(await LinkageNetwork.Client(service, handler: network.Handler).GetStringAsync("openapi/v1.json")).RootElement;
            var paths = document.GetProperty("paths");
            var operation = (paths.TryGetProperty(route, out var p) ? p : paths.GetProperty(route.TrimEnd('/'))).GetProperty("get");
            var parameters = operation.GetProperty("parameters").EnumerateArray().ToDictionary(x => x.GetProperty("name").GetString()!);
            Assert.Equal(("integer", "1", "1000"), Bounds(parameters["limit"]));
            Assert.Equal(("integer", "0", "9223372036854775807"), Bounds(parameters["after"]));
            Assert.Contains("1000", parameters["limit"].GetProperty("description").GetString());
            Assert.Contains("seq", parameters["after"].GetProperty("description").GetString());
            var link = operation.GetProperty("responses").GetProperty("200").GetProperty("headers").GetProperty("Link");
            Assert.Contains("rel=\"next\"", link.GetProperty("description").GetString());
            Assert.Contains("Link", operation.GetProperty("summary").GetString());
        }
    }

    /// <summary>The indexes on provision_records that hold its code.</summary>
    private static async Task<List<string>> CodeIndexesAsync(Database database)
    {
        await using var c = await database.OpenAsync();
        return database.Provider == StorageProvider.Postgres
            ? await c.QueryAsync("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'provision_records' AND indexdef LIKE '%(code%'",
                r => r.GetString(0))
            : await c.QueryAsync("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'provision_records' AND sql LIKE '%(code%'", r => r.GetString(0));
    }

    private static (string?, string, string) Bounds(JsonElement parameter)
    {
        var schema = parameter.GetProperty("schema");
        var type = schema.GetProperty("type");
        return (type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().First(t => t.GetString() != "null").GetString() : type.GetString(),
            schema.GetProperty("minimum").GetRawText(), schema.GetProperty("maximum").GetRawText());
    }
}
