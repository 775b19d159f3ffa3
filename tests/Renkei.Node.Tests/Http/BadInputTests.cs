using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Testing;

namespace Renkei.Node.Tests.Http;

/// <summary>What a careless or hostile client sends the core and the node gets a 4xx problem, never a 500, and changes nothing.</summary>
public class BadInputTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    [Theory, StorageData]
    public async Task An_agency_kind_is_taken_by_name_only_and_an_agency_name_and_address_are_plain_and_bounded(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var keys = (await network.NodeClient().GetFromJsonAsync<PublicKeys>($"api/tenants/{K}/keys", ServiceDefaults.Json))!;
        var operatorClient = network.CoreClient("operator-token");
        string Registration(string kind, string name = "柏市") =>
            $$"""{"kind": {{kind}}, "name": "{{name}}", "localGovernmentCode": "{{K}}", "nodeAddress": "{{network.Node}}", "nodeId": "{{LinkageNetwork.NodeId}}", "signingKey": "{{keys.SigningKey}}", "encryptionKey": "{{keys.EncryptionKey}}"}""";

        // A number, a number in a string, and names joined by a comma would each make a kind the enum does not define.
        foreach (var kind in new[] { "7", "\"7\"", "\"minister, health-insurer\"", "\"mayor\"" })
        {
            var refused = await ProblemAssert.IsProblemAsync(await operatorClient.PutAsync($"api/agencies/{K}", RawBody.Json(Registration(kind))), 400, "malformed-request");
            Assert.Contains("kind", refused.GetProperty("detail").GetString());
        }
        var tooLong = await ProblemAssert.IsProblemAsync(
            await operatorClient.PutAsync($"api/agencies/{K}", RawBody.Json(Registration("\"municipality\"", new string('柏', 101)))), 400, "invalid-request");
        Assert.True(tooLong.GetProperty("errors").TryGetProperty("name", out _));
        await LinkageNetwork.Ensure(await operatorClient.PutAsync($"api/agencies/{K}", RawBody.Json(Registration("\"municipality\"", new string('柏', 100)))));
        // The core relays under mutual TLS: a node at a plain-HTTP address would get the messages in the clear.
        var plain = Registration("\"municipality\"").Replace(network.Node.ToString(), network.Node.ToString().Replace("https://", "http://"));
        var http = await ProblemAssert.IsProblemAsync(await operatorClient.PutAsync($"api/agencies/{K}", RawBody.Json(plain)), 400, "invalid-request");
        Assert.True(http.GetProperty("errors").TryGetProperty("nodeAddress", out _));
        // The agency list is public: a name or an address carrying a number, an escape sequence or a bidi override would publish it.
        // So would 11 digits in any form: circled, on keycaps, in kanji, or apart.
        foreach (var name in new[] { "柏市 835404105048", "柏市\\u001b[31m", "柏\\u202e市", "柏市①②③④⑤⑥⑦⑧⑨⑩",
            "柏市" + string.Concat("83540410504".Select(d => d + "\\ufe0f\\u20e3")), "柏市八三五四〇四一〇五〇四八", "柏市 8354：0410：504" })
        {
            var refused = await ProblemAssert.IsProblemAsync(await operatorClient.PutAsync($"api/agencies/{K}", RawBody.Json(Registration("\"municipality\"", name))), 400, "invalid-request");
            Assert.True(refused.GetProperty("errors").TryGetProperty("name", out _), refused.ToString());
        }
        await LinkageNetwork.Ensure(await operatorClient.PutAsync($"api/agencies/{K}", RawBody.Json(Registration("\"municipality\"", "九十九里町 第3庁舎"))));
        foreach (var address in new[] { "?n=835404105048", "835404105048/", "#x", "%38%33%35%34%30%34%31%30%35%30%34%38/" })
        {
            var odd = Registration("\"municipality\"").Replace(network.Node.ToString(), network.Node + address);
            var refused = await ProblemAssert.IsProblemAsync(await operatorClient.PutAsync($"api/agencies/{K}", RawBody.Json(odd)), 400, "invalid-request");
            Assert.True(refused.GetProperty("errors").TryGetProperty("nodeAddress", out _), refused.ToString());
        }
        var userInfo = Registration("\"municipality\"").Replace("https://", "https://someone@");
        Assert.True((await ProblemAssert.IsProblemAsync(await operatorClient.PutAsync($"api/agencies/{K}", RawBody.Json(userInfo)), 400, "invalid-request"))
            .GetProperty("errors").TryGetProperty("nodeAddress", out _));

        // Nothing refused was stored: the register still reads, with the kind it had.
        var agencies = await LinkageNetwork.Ensure(await network.CoreClient().GetAsync("api/agencies/"));
        Assert.All(agencies.EnumerateArray(), a => Assert.DoesNotContain(a.GetProperty("kind").ToString(), new[] { "7", "6" }));
        Assert.Equal("municipality", (await LinkageNetwork.Ensure(await network.CoreClient().GetAsync($"api/agencies/{K}"))).GetProperty("kind").GetString());
    }

    [Theory, StorageData]
    public async Task Affair_provider_and_item_names_are_of_the_tables_form_and_a_refused_inquiry_is_not_recorded(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var clerk = network.NodeClient("bunkyo-child-clerk");
        var longName = new string('x', 65);
        var before = await LinkageNetwork.CountAsync(network.TenantDatabases[B]);

        foreach (var (field, inquiry) in new (string, object)[]
        {
            ("affair", new { addresseeNumber = "B-0001", affair = longName, provider = K, item = "local-tax" }),
            ("provider", new { addresseeNumber = "B-0001", affair = "child-allowance", provider = longName, item = "local-tax" }),
            ("item", new { addresseeNumber = "B-0001", affair = "child-allowance", provider = K, item = longName }),
        })
        {
            var refused = await ProblemAssert.IsProblemAsync(await clerk.PostAsJsonAsync($"api/tenants/{B}/inquiries", inquiry), 400, "invalid-request");
            Assert.True(refused.GetProperty("errors").TryGetProperty(field, out _), refused.ToString());
        }
        // A number typed in the wrong field never reaches the records, in any of the shapes a careless client sends it.
        foreach (var (field, inquiry) in new (string, object)[]
        {
            ("provider", new { addresseeNumber = "B-0001", affair = "child-allowance", provider = "232365929171", item = "local-tax" }),
            ("provider", new { addresseeNumber = "B-0001", affair = "child-allowance", provider = "2323 6592 9171", item = "local-tax" }),
            ("item", new { addresseeNumber = "B-0001", affair = "child-allowance", provider = K, item = "local-tax-２３２３６５９２９１７１" }),
            ("affair", new { addresseeNumber = "B-0001", affair = "2323-6592-917", provider = K, item = "local-tax" }),
            ("provider", new { addresseeNumber = "B-0001", affair = "child-allowance", provider = "2323.6592.9171", item = "local-tax" }),
        })
        {
            var refused = await ProblemAssert.IsProblemAsync(await clerk.PostAsJsonAsync($"api/tenants/{B}/inquiries", inquiry), 400, "invalid-request");
            Assert.True(refused.GetProperty("errors").TryGetProperty(field, out _), refused.ToString());
            Assert.DoesNotContain("9171", ProblemAssert.WithoutTraceId(refused));
        }
        // Nor does free text: names are of the permission table's form and providers are agency ids, so a resident's name
        // typed into the wrong field is refused before any party records it.
        foreach (var (field, inquiry) in new (string, object)[]
        {
            ("item", new { addresseeNumber = "B-0001", affair = "child-allowance", provider = K, item = "山口圭" }),
            ("affair", new { addresseeNumber = "B-0001", affair = "Child Allowance", provider = K, item = "local-tax" }),
            ("item", new { addresseeNumber = "B-0001", affair = "child-allowance", provider = K, item = "local--tax" }),
            ("provider", new { addresseeNumber = "B-0001", affair = "child-allowance", provider = "kashiwa", item = "local-tax" }),
        })
        {
            var refused = await ProblemAssert.IsProblemAsync(await clerk.PostAsJsonAsync($"api/tenants/{B}/inquiries", inquiry), 400, "invalid-request");
            Assert.True(refused.GetProperty("errors").TryGetProperty(field, out _), refused.ToString());
        }
        var batch = await ProblemAssert.IsProblemAsync(await clerk.PostAsJsonAsync($"api/tenants/{B}/inquiry-batches",
            new { affair = longName, provider = K, item = "local-tax", addresseeNumbers = new[] { "B-0001" } }), 400, "invalid-request");
        Assert.True(batch.GetProperty("errors").TryGetProperty("affair", out _));
        var numberBatch = await ProblemAssert.IsProblemAsync(await clerk.PostAsJsonAsync($"api/tenants/{B}/inquiry-batches",
            new { affair = "child-allowance", provider = "2323 6592 9171", item = "local-tax", addresseeNumbers = new[] { "B-0001" } }), 400, "invalid-request");
        Assert.True(numberBatch.GetProperty("errors").TryGetProperty("provider", out _));
        Assert.Equal(before, await LinkageNetwork.CountAsync(network.TenantDatabases[B]));
        // A 13-digit Corporate Number, an agency id, is not such a number.
        Assert.NotEqual(400, (int)(await clerk.PostAsJsonAsync($"api/tenants/{B}/inquiries",
            new { addresseeNumber = "B-0001", affair = "child-allowance", provider = "5010405001703", item = "local-tax" })).StatusCode);

        var check = await ProblemAssert.IsProblemAsync(await network.CoreClient().PostAsJsonAsync("api/permission-table/check",
            new { requester = B, affair = "child-allowance", provider = K, item = longName }), 400, "invalid-request");
        Assert.True(check.GetProperty("errors").TryGetProperty("item", out _));
        // A field left out is said to be missing, not to name an unknown agency.
        var missing = await ProblemAssert.IsProblemAsync(await network.CoreClient().PostAsJsonAsync("api/permission-table/check",
            new { requester = B }), 400, "invalid-request");
        Assert.Equal("提供者（機関ID）は必須です / provider (an agency id) is required", missing.GetProperty("errors").GetProperty("provider")[0].GetString());
        var unknown = await ProblemAssert.IsProblemAsync(await network.CoreClient().PostAsJsonAsync("api/permission-table/check",
            new { requester = "999999", affair = "child-allowance", provider = K, item = "local-tax" }), 400, "invalid-request");
        Assert.Equal("登録されていない機関です / no such agency", unknown.GetProperty("errors").GetProperty("requester")[0].GetString());
    }

    [Theory, StorageData]
    public async Task A_copies_import_cut_off_by_the_size_limit_keeps_the_rows_read_and_says_how_many_and_where_it_stopped(StorageProvider provider)
    {
        const int limit = 16 * 1024;
        await using var network = await LinkageNetwork.StartAsync(provider, configureNode: b => b.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = limit));
        var tax = network.NodeClient("kashiwa-tax-system");
        var lines = new List<string>();
        for (var i = 1; i <= 120; i++)
            lines.Add(i == 2
                ? """{"addresseeNumber": "K-0002", "item": "local-tax"}"""
                : $$$"""{"addresseeNumber": "K-{{{i:D4}}}", "item": "local-tax", "schemaVersion": 1, "content": {"fiscalYear": 2025, "totalIncome": {{{3_000_000 + i}}}, "taxableIncome": 2000000, "municipalTax": 130000, "prefecturalTax": 87000, "dependents": 1}}""");
        var body = Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
        Assert.True(body.Length > limit + 1000);
        // Sent as a stream of unknown length, as a large file would be: the limit cuts it part-way.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/tenants/{K}/copies/import") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/x-ndjson");
        request.Headers.TransferEncodingChunked = true;

        var cut = await ProblemAssert.IsProblemAsync(await tax.SendAsync(request), 413, "request-too-large");
        var lastLine = cut.GetProperty("lastLine").GetInt32();
        var imported = cut.GetProperty("imported").GetInt32();
        Assert.InRange(lastLine, 10, 119);
        Assert.Equal(lastLine - 1, imported);
        Assert.Equal(2, cut.GetProperty("errors")[0].GetProperty("line").GetInt32());
        Assert.Contains($"{lastLine + 1}", cut.GetProperty("detail").GetString());

        // The rows read whole are kept; the one cut in two and those after it are not.
        var kept = await LinkageNetwork.Ensure(await tax.GetAsync($"api/tenants/{K}/copies/K-{lastLine:D4}/local-tax"));
        Assert.Equal(3_000_000 + lastLine, kept.GetProperty("content").GetProperty("totalIncome").GetInt32());
        await ProblemAssert.IsProblemAsync(await tax.GetAsync($"api/tenants/{K}/copies/K-{lastLine + 1:D4}/local-tax"), 404, "no-copy");
        await using var c = await network.TenantDatabases[K].OpenAsync();
        Assert.Equal((long)imported, await c.ScalarAsync<long>("SELECT COUNT(*) FROM copies"));
    }

    [Theory, StorageData]
    public async Task Unknown_charsets_and_nul_characters_are_refused_by_the_core_and_the_node(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var tax = network.NodeClient("kashiwa-tax-system");
        var copy = """{"schemaVersion": 1, "content": {"fiscalYear": 2025, "totalIncome": 1, "taxableIncome": 1, "municipalTax": 1, "prefecturalTax": 1, "dependents": 0}}""";

        foreach (var response in new[]
        {
            await tax.PutAsync($"api/tenants/{K}/copies/K-0001/local-tax", RawBody.Json(copy, "application/json; charset=foo")),
            await tax.PostAsync($"api/tenants/{K}/copies/import", RawBody.Json("{}", "application/x-ndjson; charset=foo")),
            await network.CoreClient().PostAsync("api/permission-table/check", RawBody.Json("{}", "application/json; charset=foo")),
        })
        {
            var refused = await ProblemAssert.IsProblemAsync(response, 415, "unsupported-media-type");
            Assert.Contains("foo", refused.GetProperty("detail").GetString());
        }

        var nul = await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-child-clerk").PostAsync($"api/tenants/{B}/inquiries",
            RawBody.Json("""{"addresseeNumber": "B-0001", "affair": "child-allowance", "provider": "122173", "item": "local\u0000tax"}""")), 400, "malformed-request");
        Assert.Contains("item", nul.GetProperty("detail").GetString());
        var line = await LinkageNetwork.Ensure(await tax.PostAsync($"api/tenants/{K}/copies/import",
            RawBody.Json("""{"addresseeNumber": "K-0001", "item": "local\u0000tax", "schemaVersion": 1, "content": {}}""", "application/x-ndjson")));
        Assert.Equal(0, line.GetProperty("imported").GetInt32());
        Assert.Contains("NUL", line.GetProperty("errors")[0].GetProperty("reason").GetString());
    }

    [Theory, StorageData]
    public async Task A_number_given_as_text_is_a_value_of_the_wrong_type_and_nothing_is_stored(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var tax = network.NodeClient("kashiwa-tax-system");
        const string content = """{"fiscalYear": 2025, "totalIncome": 1, "taxableIncome": 1, "municipalTax": 1, "prefecturalTax": 1, "dependents": 0}""";
        var refused = await ProblemAssert.IsProblemAsync(await tax.PutAsync($"api/tenants/{K}/copies/K-0001/local-tax",
            RawBody.Json($$"""{"schemaVersion": "1", "content": {{content}}}""")), 400, "malformed-request");
        Assert.Contains("schemaVersion", refused.GetProperty("detail").GetString());
        Assert.Equal(404, (int)(await tax.GetAsync($"api/tenants/{K}/copies/K-0001/local-tax")).StatusCode);

        var line = await LinkageNetwork.Ensure(await tax.PostAsync($"api/tenants/{K}/copies/import",
            RawBody.Json($$"""{"addresseeNumber": "K-0001", "item": "local-tax", "schemaVersion": "1", "content": {{content}}}""", "application/x-ndjson")));
        Assert.Equal(0, line.GetProperty("imported").GetInt32());
        Assert.Equal(404, (int)(await tax.GetAsync($"api/tenants/{K}/copies/K-0001/local-tax")).StatusCode);
    }

    [Theory, StorageData]
    public async Task A_problem_never_repeats_a_number_the_client_put_in_the_wrong_place(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        foreach (var response in new[]
        {
            await network.NodeClient("bunkyo-auditor").GetAsync("api/tenants/232365929171/records"),
            await network.NodeClient("bunkyo-auditor").GetAsync($"api/tenants/{B}/records/consistency?from=232365929171"),
            await network.NodeClient("kashiwa-tax-system").PutAsync($"api/tenants/{K}/copies/K-0001/2323-6592-9171", RawBody.Json("{}")),
            await network.CoreClient("operator-token").GetAsync("api/agencies/232365929171"),
        })
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.False(response.IsSuccessStatusCode, body);
            Assert.DoesNotContain("9171", ProblemAssert.WithoutTraceId(body));
        }
    }

    [Theory, StorageData]
    public async Task A_problem_repeats_at_most_40_characters_of_a_long_value_and_only_the_first_of_a_copys_many_problems(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var tax = network.NodeClient("kashiwa-tax-system");
        static async Task<string> Said(HttpResponseMessage response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.False(response.IsSuccessStatusCode, body);
            return body;
        }

        // An unknown tenant of 5,000 characters: its detail repeated it whole (10 KB).
        var unknown = await ProblemAssert.IsProblemAsync(await tax.GetAsync($"api/tenants/{new string('x', 5000)}/copies/K-1/local-tax"), 404, "unknown-tenant");
        Assert.Contains(new string('x', 40) + "…", unknown.GetProperty("detail").GetString());
        Assert.True(unknown.GetProperty("detail").GetString()!.Length < 200, unknown.ToString());
        // Cut after masking: a number at the cut shows none of its digits.
        Assert.DoesNotContain("1234", ProblemAssert.WithoutTraceId(await Said(await tax.GetAsync($"api/tenants/{new string('x', 30)}123456789018/copies/K-1/local-tax"))));

        // A copy with property names of 100,000 characters: each was repeated whole in the problem's path.
        var url = $"api/tenants/{K}/copies/K-1/local-tax";
        var tax2025 = "\"fiscalYear\":2025,\"totalIncome\":1,\"taxableIncome\":0,\"municipalTax\":0,\"prefecturalTax\":0";
        static string Copy(string members) => """{"schemaVersion":1,"content":{""" + members + "}}";
        var longNames = await Said(await tax.PutAsync(url, RawBody.Json(
            Copy(tax2025 + $",\"{new string('a', 100_000)}\":1,\"{new string('b', 100_000)}\":{{\"c\":1}}"))));
        Assert.Contains("$." + new string('a', 40) + "…: ", longNames);
        Assert.True(longNames.Length < 2_000, $"{longNames.Length:N0} characters");
        // A thousand unknown members: the first 20 are told, and that there are more.
        var many = await ProblemAssert.IsProblemAsync(await tax.PutAsync(url, RawBody.Json(
            Copy(tax2025 + string.Concat(Enumerable.Range(1, 1000).Select(i => $",\"x{i}\":1"))))), 400, "invalid-copy");
        var told = many.GetProperty("errors").GetProperty("content").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(21, told.Count);
        Assert.StartsWith("$.x1: ", told[0]);
        Assert.Contains("more problems not shown", told[^1]);

        // Five import lines with names of 100,000 characters: each reason repeated its name whole.
        var line = """{"addresseeNumber":"K-1","item":"local-tax","schemaVersion":1,"content":{""" + tax2025 + $",\"{new string('a', 100_000)}\":1}}}}";
        var report = await LinkageNetwork.Ensure(await tax.PostAsync($"api/tenants/{K}/copies/import",
            new StringContent(string.Join("\n", Enumerable.Repeat(line, 5)), Encoding.UTF8, "application/x-ndjson")));
        Assert.Equal(5, report.GetProperty("errors").GetArrayLength());
        Assert.True(report.GetRawText().Length < 2_000, $"{report.GetRawText().Length:N0} characters");
        // The same name given twice: the reader's refusal repeated it whole; the reason says where, as briefly.
        var twice = """{"addresseeNumber":"K-1","item":"local-tax","schemaVersion":1,"content":{""" + tax2025
            + $",\"{new string('a', 100_000)}\":1,\"{new string('a', 100_000)}\":2}}}}";
        var refused = await LinkageNetwork.Ensure(await tax.PostAsync($"api/tenants/{K}/copies/import",
            new StringContent(twice, Encoding.UTF8, "application/x-ndjson")));
        var reason = Assert.Single(refused.GetProperty("errors").EnumerateArray()).GetProperty("reason").GetString()!;
        Assert.StartsWith("$." + new string('a', 40) + "…: ", reason);
        Assert.Contains("more than once", reason);
        Assert.True(reason.Length < 200, $"{reason.Length:N0} characters");
    }

    [Fact]
    public void Masking_hides_every_run_of_eleven_or_twelve_digits_and_nothing_else()
    {
        Assert.Equal("'************' is not hosted here; '****-****-****' and '***********' neither",
            NumberShape.Mask("'232365929171' is not hosted here; '2323-6592-9171' and '23236592917' neither"));
        Assert.Equal("agency 5010405001703, record 42, 2026-12-06", NumberShape.Mask("agency 5010405001703, record 42, 2026-12-06"));
        Assert.Equal("ｘ＝************", NumberShape.Mask("ｘ＝２３２３６５９２９１７１"));
    }

    [Theory, StorageData]
    public async Task Concurrent_code_deliveries_for_one_tenant_are_taken_one_at_a_time(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var kashiwa = network.NodeTenants.Find(K)!;
        var asCore = network.Presenting(network.CoreCertificate, network.Node);
        const int rounds = 8, people = 40;

        // Each delivery answers acquisitions of its own addressees (the same people entered again) with the same codes,
        // so deliveries at the same moment race to give a code to an addressee.
        var deliveries = new List<Envelope>();
        for (var r = 0; r < rounds; r++)
        {
            var acquisitions = (await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-addressee").PostAsJsonAsync($"api/tenants/{K}/acquisitions",
                new { addresseeNumbers = Enumerable.Range(0, people).Select(i => $"K-{r}-{i:D3}").ToArray() }))).GetProperty("acquisitions");
            var codes = acquisitions.EnumerateArray().Select((a, i) => new DeliveredCode(a.GetProperty("acquisitionNumber").GetString()!, $"code-{i:D3}")).ToList();
            var id = Envelope.NewId();
            var body = JsonSerializer.Serialize(SealedPayload.Seal(JsonSerializer.Serialize(new CodeDelivery(codes), ServiceDefaults.Json), kashiwa.Keys.Public, id),
                ServiceDefaults.Json);
            deliveries.Add(Envelope.Create("core", K, "code-delivery", body, network.CoreKeys.Signing, TimeProvider.System, id));
        }
        var responses = await Task.WhenAll(deliveries.Select(d => asCore.PostAsJsonAsync($"api/tenants/{K}/codes/delivered", d, ServiceDefaults.Json)));

        // None fails; each code went to one addressee, the first delivery's for each, and the others were unmatched.
        var receipts = new List<JsonElement>();
        foreach (var response in responses) receipts.Add(await LinkageNetwork.Ensure(response));
        Assert.Equal(people, receipts.Sum(r => r.GetProperty("matched").GetInt32()));
        Assert.Equal((rounds - 1) * people, receipts.Sum(r => r.GetProperty("unmatched").GetInt32()));
        await using var c = await kashiwa.Database.OpenAsync();
        Assert.Equal((long)people, await c.ScalarAsync<long>("SELECT COUNT(DISTINCT agency_code) FROM addressees"));
        Assert.Equal((long)people, await c.ScalarAsync<long>("SELECT COUNT(agency_code) FROM addressees"));
        // The acquisitions of the codes not stored stay pending, for the addressee system's discard to name.
        Assert.Equal((long)(rounds - 1) * people, await c.ScalarAsync<long>("SELECT COUNT(*) FROM acquisitions"));
    }

    [Fact]
    public async Task The_openapi_documents_require_only_the_fields_the_core_and_the_node_require()
    {
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite);
        static IEnumerable<string?> Required(JsonElement document, string schema) =>
            document.GetProperty("components").GetProperty("schemas").GetProperty(schema).GetProperty("required").EnumerateArray().Select(r => r.GetString());
        var node = await network.NodeClient().GetFromJsonAsync<JsonElement>("openapi/v1.json");
        Assert.Equal(["addresseeNumber", "affair", "provider", "item"], Required(node, "InquiryRequest"));
        Assert.Equal(["affair", "provider", "item", "addresseeNumbers"], Required(node, "InquiryBatchRequest"));
        // Which of the two codes an agency needs depends on its kind; neither is required of every agency.
        var core = await network.CoreClient().GetFromJsonAsync<JsonElement>("openapi/v1.json");
        Assert.Equal(["kind", "name", "nodeAddress", "signingKey", "encryptionKey"], Required(core, "AgencyRegistration"));
    }
}
