using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Http;

/// <summary>What a careless or hostile client sends gets a 4xx problem, never a 500, and leaves the register as it was; a fault of the service itself is a 500 problem that tells nothing of it.</summary>
public class BadInputTests
{
    private const string Events = $"api/municipalities/{RegistryHost.Chiba}/events";

    private static string Birth(string familyName = "山田", string? relationship = null) => JsonSerializer.Serialize(new
    {
        kind = "birth", person = RegistryHost.Person(family: familyName, dateOfBirth: "2026-01-15"), address = "千葉県千葉市中央区中央1丁目1番1号", relationship,
    }, ServiceDefaults.Json);

    private static async Task<int> ResidentsAsync(RegistryHost registry) =>
        (await registry.Client("chiba-clerk").GetFromJsonAsync<JsonElement>($"api/municipalities/{RegistryHost.Chiba}/residents")).GetArrayLength();

    [Fact]
    public async Task Api_answers_are_not_stored_by_caches_and_do_not_name_the_web_server()
    {
        await using var registry = await RegistryHost.StartAsync(StorageProvider.Sqlite);
        var response = await registry.Client("chiba-clerk").GetAsync($"api/municipalities/{RegistryHost.Chiba}/residents");
        Assert.True(response.IsSuccessStatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.False(response.Headers.Contains("Server"));
    }

    [Theory, StorageData]
    public async Task A_fault_of_the_service_is_a_problem_of_ours_that_tells_nothing_of_the_fault(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        // A database that lost a table, as an operator's mistake would leave it.
        await using (var c = await registry.Database.OpenAsync()) await c.ExecuteAsync("ALTER TABLE municipalities RENAME TO municipalities_gone");
        var response = await registry.Client().GetAsync("api/municipalities");
        var problem = await ProblemAssert.IsProblemAsync(response, 500, "internal-error");
        Assert.StartsWith("サービス内部のエラーです", problem.GetProperty("title").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        var body = problem.GetRawText();
        foreach (var leak in new[] { "municipalities", "SQLite", "relation", "Exception", "   at " }) Assert.DoesNotContain(leak, body);
    }

    [Theory, StorageData]
    public async Task A_body_over_the_size_limit_is_a_request_too_large_problem_and_records_nothing(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider, b => b.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 4096));
        var clerk = registry.Client("chiba-clerk");
        var body = Birth(familyName: new string('山', 3000));

        // Declared too long, and sent as a stream whose length shows only as it is read.
        var declared = await ProblemAssert.IsProblemAsync(await clerk.PostAsync(Events, RawBody.Json(body)), 413, "request-too-large");
        Assert.Contains("4,096", declared.GetProperty("detail").GetString());
        using var streamed = new HttpRequestMessage(HttpMethod.Post, Events) { Content = RawBody.Json(body) };
        streamed.Headers.TransferEncodingChunked = true;
        await ProblemAssert.IsProblemAsync(await clerk.SendAsync(streamed), 413, "request-too-large");
        Assert.Equal(0, await ResidentsAsync(registry));
    }

    [Theory, StorageData]
    public async Task A_nul_character_in_a_json_string_or_a_query_is_refused_before_the_database_sees_it(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var clerk = registry.Client("chiba-clerk");

        var nul = await ProblemAssert.IsProblemAsync(await clerk.PostAsync(Events, RawBody.Json(Birth(familyName: "山\0田"))), 400, "malformed-request");
        Assert.Contains("person.familyName", nul.GetProperty("detail").GetString());
        Assert.Contains("NUL", nul.GetProperty("detail").GetString());
        await ProblemAssert.IsProblemAsync(await clerk.GetAsync($"api/municipalities/{RegistryHost.Chiba}/residents?after=r%00x"), 400, "malformed-request");
        await ProblemAssert.IsProblemAsync(await registry.Client("identity-token").PostAsync("api/identity/by-basic-four",
            RawBody.Json("""{"familyName": "山田", "givenName": "太\u0000郎", "dateOfBirth": "2026-01-15"}""")), 400, "malformed-request");
        Assert.Equal(0, await ResidentsAsync(registry));
    }

    [Theory, StorageData]
    public async Task A_query_parameter_given_twice_is_refused_by_name_rather_than_read_as_one_joined_value(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var clerk = registry.Client("chiba-clerk");
        Assert.True((await clerk.GetAsync($"api/municipalities/{RegistryHost.Chiba}/residents?limit=3")).IsSuccessStatusCode);
        var twice = await ProblemAssert.IsProblemAsync(await clerk.GetAsync($"api/municipalities/{RegistryHost.Chiba}/residents?limit=3&limit=4"), 400, "malformed-request");
        Assert.Contains("'limit' is given more than once", twice.GetProperty("detail").GetString());
        Assert.Contains("「limit」が複数指定されています", twice.GetProperty("detail").GetString());
        // The corporate number search answers in the National Tax Agency's format, with that API's own error for the same.
        var (status, _, _) = await Corporations.Publication.RefusalAsync(registry.Client(), "/4/num?id=sandbox&number=7000012050002&number=7000012050002&type=12");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, status);
    }

    [Theory, StorageData]
    public async Task A_body_in_a_charset_the_service_cannot_read_is_an_unsupported_media_type(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var clerk = registry.Client("chiba-clerk");

        foreach (var charset in new[] { "foo", "utf-9" })
        {
            var refused = await ProblemAssert.IsProblemAsync(await clerk.PostAsync(Events, RawBody.Json(Birth(), $"application/json; charset={charset}")),
                415, "unsupported-media-type");
            Assert.Contains("charset", refused.GetProperty("detail").GetString());
        }
        // A charset it knows is read as before, quoted or not.
        Assert.Equal(201, (int)(await clerk.PostAsync(Events, RawBody.Json(Birth(), "application/json; charset=UTF-8"))).StatusCode);
        Assert.Equal(201, (int)(await clerk.PostAsync(Events, RawBody.Json(Birth(familyName: "佐藤"), "application/json; charset=\"utf-8\""))).StatusCode);
        Assert.Equal(2, await ResidentsAsync(registry));
    }

    [Theory, StorageData]
    public async Task A_client_that_accepts_only_html_still_gets_problem_details(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var browser = registry.Client("chiba-clerk");
        browser.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));

        await ProblemAssert.IsProblemAsync(await browser.GetAsync("api/no-such-thing"), 404, "not-found");
        await ProblemAssert.IsProblemAsync(await browser.PostAsync(Events, RawBody.Json("{\"kind\": ")), 400, "malformed-request");
        await ProblemAssert.IsProblemAsync(await browser.PostAsync(Events, RawBody.Json("kind=birth", "text/plain")), 415, "unsupported-media-type");
        await ProblemAssert.IsProblemAsync(await browser.DeleteAsync(Events), 405, "method-not-allowed");
    }

    [Theory, StorageData]
    public async Task A_household_relationship_and_a_reissue_reason_have_length_limits(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var clerk = registry.Client("chiba-clerk");

        var relationship = await ProblemAssert.IsProblemAsync(await clerk.PostAsync(Events, RawBody.Json(Birth(relationship: new string('子', 51)))), 400, "invalid-event");
        Assert.True(relationship.GetProperty("errors").TryGetProperty("relationship", out _));
        Assert.Equal(0, await ResidentsAsync(registry));
        var born = await clerk.PostAsync(Events, RawBody.Json(Birth(relationship: new string('子', 50))));
        var receipt = (await born.Content.ReadFromJsonAsync<JsonElement>())!;
        Assert.Equal(201, (int)born.StatusCode);

        var reissue = $"api/municipalities/{RegistryHost.Chiba}/residents/{receipt.GetProperty("residentId").GetString()}/number-reissue";
        var reason = await ProblemAssert.IsProblemAsync(await clerk.PostAsJsonAsync(reissue, new { reason = new string('漏', 201), requestedBy = "person" }),
            400, "invalid-request");
        Assert.True(reason.GetProperty("errors").TryGetProperty("reason", out _));
        var resident = await clerk.GetFromJsonAsync<JsonElement>($"api/municipalities/{RegistryHost.Chiba}/residents/{receipt.GetProperty("residentId").GetString()}");
        Assert.Equal(receipt.GetProperty("individualNumber").GetString(), resident.GetProperty("resident").GetProperty("individualNumber").GetString());
        Assert.Equal(200, (int)(await clerk.PostAsJsonAsync(reissue, new { reason = new string('漏', 200), requestedBy = "person" })).StatusCode);
    }

    [Theory, StorageData]
    public async Task The_openapi_document_lists_an_enums_names(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var document = await registry.Client().GetFromJsonAsync<JsonElement>("openapi/v1.json");
        var sex = document.GetProperty("components").GetProperty("schemas").GetProperty("Sex");
        Assert.Equal("string", sex.GetProperty("type").GetString());
        Assert.Equal(["male", "female"], sex.GetProperty("enum").EnumerateArray().Select(e => e.GetString()!));
    }

    [Theory, StorageData]
    public async Task A_register_holding_residents_does_not_start_without_its_keys_rather_than_make_new_ones(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        Assert.Equal(201, (int)(await registry.Client("chiba-clerk").PostAsync(Events, RawBody.Json(Birth()))).StatusCode);
        using var elsewhere = new TempFolder(); // the same database, its keys left behind
        WebApplication Start() => RegistryApp.Create([], b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = registry.Database.Provider.ToString(),
            ["Storage:ConnectionString"] = registry.Database.ConnectionString,
            ["Registry:DataFolder"] = elsewhere.Path,
        }));
        var refused = Assert.Throws<InvalidOperationException>(() => Start());
        Assert.Contains($"鍵ファイル {Path.Combine(elsewhere.Path, "numbering.key")}", refused.Message);
        Assert.Contains("a new key would give the same people new numbers or codes", refused.Message);
        Assert.False(File.Exists(Path.Combine(elsewhere.Path, "numbering.key"))); // none made

        // Given its keys back, it starts.
        foreach (var key in new[] { "numbering.key", "link-secret.key", "link-seal.key" })
            File.Copy(Path.Combine(registry.DataFolder, key), Path.Combine(elsewhere.Path, key));
        await using var again = Start();
    }

    [Fact]
    public async Task A_register_whose_database_is_unreachable_at_start_makes_no_key_and_then_refuses_to_start_without_its_own()
    {
        await using var registry = await RegistryHost.StartAsync(StorageProvider.Postgres);
        Assert.Equal(201, (int)(await registry.Client("chiba-clerk").PostAsync(Events, RawBody.Json(Birth()))).StatusCode);
        using var elsewhere = new TempFolder(); // the same database, its keys left behind
        WebApplication Start(string connectionString) => RegistryApp.Create([], b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:ConnectionString"] = connectionString,
            ["Registry:NumberingKeyFile"] = Path.Combine(elsewhere.Path, "numbering.key"),
            ["Registry:DataFolder"] = elsewhere.Path,
        }));

        // The server is down: the start fails, naming the setting, and makes no key (a new one would be taken for the register's own).
        var closed = TestDatabases.WithClosedPort(registry.Database.ConnectionString);
        var down = Assert.ThrowsAny<Exception>(() => Start(closed));
        Assert.Contains("Storage:ConnectionString", down.Message);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere.Path));

        // The server is back: the register holds residents, so the missing key is refused rather than made.
        var refused = Assert.Throws<InvalidOperationException>(() => Start(registry.Database.ConnectionString));
        Assert.Contains($"鍵ファイル {Path.Combine(elsewhere.Path, "numbering.key")}", refused.Message);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere.Path));
    }

    [Theory, StorageData]
    public async Task The_openapi_document_declares_the_bearer_token_and_leaves_fields_an_answer_may_omit_out_of_required(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var document = await registry.Client().GetFromJsonAsync<JsonElement>("openapi/v1.json");
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));

        // The residents of a municipality need a clerk's token; the list of municipalities and the NTA search need none.
        var paths = document.GetProperty("paths");
        var residents = paths.GetProperty("/api/municipalities/{code}/residents").GetProperty("get");
        Assert.True(residents.GetProperty("security")[0].TryGetProperty("bearer", out _));
        Assert.True(residents.GetProperty("responses").TryGetProperty("401", out _));
        Assert.True(residents.GetProperty("responses").TryGetProperty("403", out _));
        Assert.False(paths.GetProperty("/api/municipalities").GetProperty("get").TryGetProperty("security", out _));
        Assert.False(paths.GetProperty("/4/num").GetProperty("get").TryGetProperty("security", out _));

        // An answer leaves a null member out: a resident with no move planned has no movingTo, so it is not required.
        var required = document.GetProperty("components").GetProperty("schemas").GetProperty("ResidentView").GetProperty("required")
            .EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(["resident", "relationship"], required);
        // A request's fields stay required: the service refuses a missing one with its own reason.
        Assert.Contains("familyName", document.GetProperty("components").GetProperty("schemas").GetProperty("BasicFourQuery").GetProperty("required")
            .EnumerateArray().Select(e => e.GetString()));
    }
}
