using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting.Storage;
using Renkei.Registry.Residents;
using Renkei.Testing;
using static Renkei.Registry.Tests.Corporations.CorporateNumberSearchTests;

namespace Renkei.Registry.Tests.Municipalities;

/// <summary>PUT /api/municipalities/{code}: a municipality joins the registry network without a new release.</summary>
public sealed class MunicipalityRegistrationTests
{
    public const string Sapporo = "011002";

    private static readonly object SapporoBody = new { prefecture = "北海道", name = "札幌市", nameKana = "サッポロシ" };

    private static Task<HttpResponseMessage> PutAsync(HttpClient client, string code, object body) =>
        client.PutAsJsonAsync($"/api/municipalities/{code}", body);

    private static async Task<List<JsonElement>> ListAsync(RegistryHost host) =>
        [.. (await host.Client().GetFromJsonAsync<JsonElement>("/api/municipalities")).EnumerateArray()];

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadAsync(HttpResponseMessage response) =>
        (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);

    [Theory, StorageData]
    public async Task A_registered_municipality_is_listed_at_once_and_its_clerk_records_events(StorageProvider provider)
    {
        // The new municipality's clerk is configured as any other: a caller holding municipality:{code}.
        await using var host = await RegistryHost.StartAsync(provider, new Dictionary<string, string?>
        {
            ["Callers:100:Name"] = "sapporo-clerk", ["Callers:100:Token"] = "sapporo-clerk", ["Callers:100:Permissions:0"] = $"municipality:{Sapporo}",
        });
        using (var before = await host.PostEventAsync(Sapporo, new ResidentEventRequest("birth",
                   Person: RegistryHost.Person(dateOfBirth: "2026-01-15"), Address: "北海道札幌市中央区北1条西2丁目"), "sapporo-clerk"))
            Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);

        using var created = await PutAsync(host.Client("admin-token"), Sapporo, SapporoBody);
        var (status, body) = await ReadAsync(created);
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal($"/api/municipalities/{Sapporo}", created.Headers.Location?.OriginalString);
        Assert.Equal((Sapporo, "北海道", "札幌市", "サッポロシ", 0L),
            (body.GetProperty("code").GetString(), body.GetProperty("prefecture").GetString(), body.GetProperty("name").GetString(),
                body.GetProperty("nameKana").GetString(), body.GetProperty("residents").GetInt64()));
        Assert.Contains(await ListAsync(host), m => m.GetProperty("code").GetString() == Sapporo && m.GetProperty("name").GetString() == "札幌市");
        var one = await host.Client().GetFromJsonAsync<JsonElement>($"/api/municipalities/{Sapporo}");
        Assert.Equal("札幌市", one.GetProperty("name").GetString());

        var receipt = await host.RecordAsync(Sapporo, new ResidentEventRequest("birth",
            Person: RegistryHost.Person(dateOfBirth: "2026-01-15"), Address: "北海道札幌市中央区北1条西2丁目"));
        Assert.NotNull(receipt.IndividualNumber);
        using (var clerk = await host.PostEventAsync(Sapporo, new ResidentEventRequest("birth",
                   Person: RegistryHost.Person(given: "花子", givenKana: "ハナコ", dateOfBirth: "2026-01-16", sex: "female"),
                   Address: "北海道札幌市中央区北1条西2丁目"), "sapporo-clerk"))
            Assert.Equal(HttpStatusCode.Created, clerk.StatusCode);
        // Another municipality's residents can move there.
        var chibaResident = await host.RegisterBirthAsync();
        await host.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: chibaResident.ResidentId, Destination: Sapporo));
        await host.RecordAsync(Sapporo, new ResidentEventRequest("move-in", ResidentId: chibaResident.ResidentId, Address: "北海道札幌市北区北8条西5丁目"));
        Assert.Equal(3, (await ListAsync(host)).Single(m => m.GetProperty("code").GetString() == Sapporo).GetProperty("residents").GetInt64());
    }

    [Theory, StorageData]
    public async Task Only_an_admin_registers_a_municipality(StorageProvider provider)
    {
        await using var host = await RegistryHost.StartAsync(provider, (IReadOnlyDictionary<string, string?>?)null);
        using (var anonymous = await PutAsync(host.Client(), Sapporo, SapporoBody))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        foreach (var token in new[] { "chiba-clerk", "corporations", "identity-token", "events-token", "nobody" })
        {
            using var refused = await PutAsync(host.Client(token), Sapporo, SapporoBody);
            var (status, body) = await ReadAsync(refused);
            Assert.Equal((HttpStatusCode.Forbidden, "urn:renkei:problem:forbidden"), (status, body.GetProperty("type").GetString()));
        }
        Assert.DoesNotContain(await ListAsync(host), m => m.GetProperty("code").GetString() == Sapporo);
    }

    [Theory, StorageData]
    public async Task A_code_that_is_not_a_municipality_is_refused_with_the_reason(StorageProvider provider)
    {
        await using var host = await RegistryHost.StartAsync(provider, (IReadOnlyDictionary<string, string?>?)null);
        var admin = host.Client("admin-token");
        var count = (await ListAsync(host)).Count;
        foreach (var (code, says) in new[]
                 {
                     ("011003", "検査用数字"), ("01100", "桁"), ("481009", "都道府県"), ("01100x", "数字"),
                     // A prefecture's own code (xx000) names the prefecture, which keeps no resident register.
                     ("010006", "都道府県"),
                 })
        {
            using var response = await PutAsync(admin, code, SapporoBody);
            var (status, body) = await ReadAsync(response);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("urn:renkei:problem:invalid-local-government-code", body.GetProperty("type").GetString());
            Assert.Contains(says, body.GetProperty("detail").GetString());
        }
        Assert.Equal(count, (await ListAsync(host)).Count);
    }

    [Theory, StorageData]
    public async Task Names_are_checked_as_register_text_and_nothing_wrong_is_stored(StorageProvider provider)
    {
        await using var host = await RegistryHost.StartAsync(provider, (IReadOnlyDictionary<string, string?>?)null);
        var admin = host.Client("admin-token");
        var count = (await ListAsync(host)).Count;
        foreach (var (body, field) in new (object, string)[]
                 {
                     (new { prefecture = "北海道", nameKana = "サッポロシ" }, "name"),
                     (new { prefecture = "北海道", name = "札幌市" }, "nameKana"),
                     (new { name = "札幌市", nameKana = "サッポロシ" }, "prefecture"),
                     // The prefecture is the one the code names.
                     (new { prefecture = "青森県", name = "札幌市", nameKana = "サッポロシ" }, "prefecture"),
                     (new { prefecture = "北海道", name = "札幌\u200B市", nameKana = "サッポロシ" }, "name"),
                     (new { prefecture = "北海道", name = "札幌\u001B[2J市", nameKana = "サッポロシ" }, "name"),
                     (new { prefecture = "北海道", name = "札幌市", nameKana = "さっぽろし" }, "nameKana"),
                     (new { prefecture = "北海道", name = new string('市', 31), nameKana = "サッポロシ" }, "name"),
                     (new { prefecture = "北海道", name = "札幌市", nameKana = new string('シ', 61) }, "nameKana"),
                 })
        {
            using var response = await PutAsync(admin, Sapporo, body);
            var (status, problem) = await ReadAsync(response);
            Assert.True(status == HttpStatusCode.BadRequest, $"{field}: {problem}");
            Assert.Equal("urn:renkei:problem:invalid-municipality", problem.GetProperty("type").GetString());
            Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToArray());
        }
        Assert.Equal(count, (await ListAsync(host)).Count);

        // Lengths count characters as a person does: thirty 𠮷 (sixty UTF-16 code units) are a name of thirty.
        using var long30 = await PutAsync(admin, Sapporo, new { prefecture = "北海道", name = string.Concat(Enumerable.Repeat("𠮷", 30)), nameKana = "ｻｯﾎﾟﾛｼ" });
        var (ok, stored) = await ReadAsync(long30);
        Assert.Equal(HttpStatusCode.Created, ok);
        // Stored as the register stores text: NFKC, so half-width katakana is written full-width.
        Assert.Equal("サッポロシ", stored.GetProperty("nameKana").GetString());
    }

    [Theory, StorageData]
    public async Task Putting_again_renames_and_the_same_names_change_nothing(StorageProvider provider)
    {
        await using var host = await RegistryHost.StartAsync(provider, (IReadOnlyDictionary<string, string?>?)null);
        var admin = host.Client("admin-token");
        using (var first = await PutAsync(admin, Sapporo, SapporoBody)) Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var count = (await ListAsync(host)).Count;

        using (var again = await PutAsync(admin, Sapporo, SapporoBody))
        {
            var (status, body) = await ReadAsync(again);
            Assert.Equal((HttpStatusCode.OK, "札幌市"), (status, body.GetProperty("name").GetString()));
        }
        using (var renamed = await PutAsync(admin, Sapporo, new { prefecture = "北海道", name = "新札幌市", nameKana = "シンサッポロシ" }))
        {
            var (status, body) = await ReadAsync(renamed);
            Assert.Equal((HttpStatusCode.OK, "新札幌市", "シンサッポロシ"),
                (status, body.GetProperty("name").GetString(), body.GetProperty("nameKana").GetString()));
        }
        var list = await ListAsync(host);
        Assert.Equal(count, list.Count);
        Assert.Equal("新札幌市", list.Single(m => m.GetProperty("code").GetString() == Sapporo).GetProperty("name").GetString());

        // A demo municipality renamed keeps its residents, and a later start does not put the old name back.
        await host.RegisterBirthAsync();
        using (var chiba = await PutAsync(admin, RegistryHost.Chiba, new { prefecture = "千葉県", name = "千葉新市", nameKana = "チバシンシ" }))
        {
            var (status, body) = await ReadAsync(chiba);
            Assert.Equal((HttpStatusCode.OK, 1L), (status, body.GetProperty("residents").GetInt64()));
        }
        await RegistryApp.MigrateAsync(host.Database);
        Assert.Equal("千葉新市", (await ListAsync(host)).Single(m => m.GetProperty("code").GetString() == RegistryHost.Chiba).GetProperty("name").GetString());
    }

    [Theory, StorageData]
    public async Task An_unknown_municipality_is_not_found(StorageProvider provider)
    {
        await using var host = await RegistryHost.StartAsync(provider, (IReadOnlyDictionary<string, string?>?)null);
        using var response = await host.Client().GetAsync($"/api/municipalities/{Sapporo}");
        var (status, body) = await ReadAsync(response);
        Assert.Equal((HttpStatusCode.NotFound, "urn:renkei:problem:unknown-municipality"), (status, body.GetProperty("type").GetString()));
    }
}
