using System.Net.Http.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Registry.Events;
using Renkei.Registry.Identity;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Identity;

public class IdentityTests
{
    [Theory, StorageData]
    public async Task Identity_by_number_accepts_any_written_form_and_answers_the_basic_four(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var n = born.IndividualNumber!;
        var fullWidth = string.Concat(n.Select(ch => (char)(ch - '0' + '０')));
        var response = await registry.Client("identity-token").PostAsJsonAsync("api/identity/by-number", new NumberQuery($"{fullWidth[..4]}－{fullWidth[4..8]}－{fullWidth[8..]}"));
        var info = (await response.Content.ReadFromJsonAsync<IdentityInfo>(ServiceDefaults.Json))!;
        Assert.Equal(born.ResidentId, info.ResidentId);
        Assert.Equal("山田", info.FamilyName);
        Assert.Equal("2026-01-15", info.DateOfBirth);
    }

    [Theory, StorageData]
    public async Task Identity_answers_the_feed_position_of_the_last_event_applied_to_the_record(StorageProvider provider)
    {
        // A subscriber (the PKI) compares it with a published event's position: was what it read before or after the event?
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var other = await registry.RegisterBirthAsync(person: RegistryHost.Person("伊藤", "結衣", "イトウ", "ユイ", "2026-01-20", "female"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("address-change", ResidentId: born.ResidentId, Address: "千葉市稲毛区穴川4丁目1番1号"));
        var events = (await registry.Client("events-token").GetFromJsonAsync<EventPage>("api/events", ServiceDefaults.Json))!.Events;
        var identity = registry.Client("identity-token");

        var changed = (await (await identity.PostAsJsonAsync("api/identity/by-number", new NumberQuery(born.IndividualNumber)))
            .Content.ReadFromJsonAsync<IdentityInfo>(ServiceDefaults.Json))!;
        Assert.Equal(events.Single(e => e.Kind == ResidentEventKind.AddressChange).Position, changed.LastPosition);
        var unchanged = (await identity.GetFromJsonAsync<IdentityInfo>($"api/identity/residents/{other.ResidentId}", ServiceDefaults.Json))!;
        Assert.Equal(events.Single(e => e.ResidentId == other.ResidentId).Position, unchanged.LastPosition);
        Assert.True(unchanged.LastPosition < changed.LastPosition);
    }

    [Theory, StorageData]
    public async Task A_search_by_address_finds_it_typed_in_either_form_of_a_compatibility_ideograph(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        // 塚 U+FA10 kept as given in one address, 塚 U+585A in the other.
        var kept = await registry.RegisterBirthAsync(address: "千葉県千葉市若葉区\uFA10田町1番1号");
        var plain = await registry.RegisterBirthAsync(person: RegistryHost.Person("山田", "太郎", "ヤマダ", "タロウ", "2026-01-15"), address: "千葉県千葉市若葉区\u585A田町2番2号");
        var identity = registry.Client("identity-token");

        foreach (var (address, id) in new[]
        {
            ("千葉県千葉市若葉区\u585A田町1番1号", kept.ResidentId), ("千葉県千葉市若葉区\uFA10田町1番1号", kept.ResidentId),
            ("千葉県千葉市若葉区\uFA10田町２番２号", plain.ResidentId), ("千葉県千葉市若葉区\u585A田町2番2号", plain.ResidentId),
        })
        {
            var response = await identity.PostAsJsonAsync("api/identity/by-basic-four", new BasicFourQuery("山田", "太郎", "2026-01-15", null, address), ServiceDefaults.Json);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            var matches = (await response.Content.ReadFromJsonAsync<IdentityMatches>(ServiceDefaults.Json))!.Matches;
            Assert.Equal(id, Assert.Single(matches).ResidentId);
        }
        // Another address is still another.
        var elsewhere = await identity.PostAsJsonAsync("api/identity/by-basic-four", new BasicFourQuery("山田", "太郎", "2026-01-15", null, "千葉県千葉市若葉区\u585A田町3番3号"), ServiceDefaults.Json);
        await ProblemAssert.IsProblemAsync(elsewhere, 404, "no-match");
    }

    [Theory, StorageData]
    public async Task Identity_refuses_malformed_unknown_numbers_and_callers_without_permission(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var identity = registry.Client("identity-token");
        var bad = await ProblemAssert.IsProblemAsync(await identity.PostAsJsonAsync("api/identity/by-number", new NumberQuery("123456789019")), 400, "invalid-number");
        Assert.Contains("期待値 8", bad.GetProperty("detail").GetString());
        await ProblemAssert.IsProblemAsync(await identity.PostAsJsonAsync("api/identity/by-number", new NumberQuery("123456789018")), 404, "unknown-number");
        await ProblemAssert.IsProblemAsync(await identity.PostAsJsonAsync("api/identity/by-number", new NumberQuery(null)), 400, "invalid-number");
        // A municipality clerk or an events subscriber may not make identity queries.
        await ProblemAssert.IsProblemAsync(await registry.Client("chiba-clerk").PostAsJsonAsync("api/identity/by-number", new NumberQuery(born.IndividualNumber)), 403, "forbidden");
        await ProblemAssert.IsProblemAsync(await registry.Client("events-token").PostAsJsonAsync("api/identity/by-number", new NumberQuery(born.IndividualNumber)), 403, "forbidden");
        await ProblemAssert.IsProblemAsync(await registry.Client().PostAsJsonAsync("api/identity/by-number", new NumberQuery(born.IndividualNumber)), 401, "unauthenticated");
    }

    [Theory, StorageData]
    public async Task Identity_by_basic_four_matches_on_normalised_items(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync(address: "千葉県千葉市中央区中央1丁目1番1号");
        await registry.RegisterBirthAsync(person: RegistryHost.Person("山田", "太郎", dateOfBirth: "2026-01-16"));
        var identity = registry.Client("identity-token");
        var response = await identity.PostAsJsonAsync("api/identity/by-basic-four",
            new BasicFourQuery("山田", "太郎", "2026-01-15", "male", "千葉県千葉市中央区中央１丁目１番１号"));
        var matches = (await response.Content.ReadFromJsonAsync<IdentityMatches>(ServiceDefaults.Json))!;
        Assert.Equal(born.ResidentId, Assert.Single(matches.Matches).ResidentId);

        await ProblemAssert.IsProblemAsync(await identity.PostAsJsonAsync("api/identity/by-basic-four",
            new BasicFourQuery("山田", "太郎", "2026-01-15", "female", null)), 404, "no-match");
        var invalid = await ProblemAssert.IsProblemAsync(await identity.PostAsJsonAsync("api/identity/by-basic-four",
            new BasicFourQuery("", "太郎", "15/01/2026", "other", null)), 400, "invalid-request");
        Assert.Equal(3, invalid.GetProperty("errors").EnumerateObject().Count());
    }

    [Theory, StorageData]
    public async Task A_basic_four_query_is_limited_as_the_register_limits_names_and_addresses(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        await registry.RegisterBirthAsync();
        var identity = registry.Client("identity-token");
        // No record holds a longer one, and matching a name of 200,000 characters held a core for many seconds.
        foreach (var (query, field) in new[]
        {
            (new BasicFourQuery(new string('山', 51), "太郎", "2026-01-15"), "familyName"),
            (new BasicFourQuery("山田", new string('あ', 200_000), "2026-01-15"), "givenName"),
            (new BasicFourQuery("山田", "太郎", "2026-01-15", null, "千葉県千葉市中央区" + new string('一', 192)), "address"),
        })
        {
            var problem = await ProblemAssert.IsProblemAsync(await identity.PostAsJsonAsync("api/identity/by-basic-four", query, ServiceDefaults.Json), 400, "invalid-request");
            Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        }
        // At the limits (and counted after folding: full-width letters are one each), a query is read.
        await ProblemAssert.IsProblemAsync(await identity.PostAsJsonAsync("api/identity/by-basic-four",
            new BasicFourQuery(new string('Ｙ', 50), new string('山', 50), "2026-01-15", null, "千葉県千葉市中央区" + new string('一', 191)), ServiceDefaults.Json), 404, "no-match");
    }
}
