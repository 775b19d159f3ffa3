using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Numbering;
using Renkei.Registry.Seeding;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Seeding;

/// <summary>The running Registry serves seeded people through its identity, resident and event APIs as if clerks had registered them.</summary>
public class SeededResidentsOverHttpTests
{
    private const string Token = "seed-test-token-0123456789";

    private static async Task<(WebApplication App, HttpClient Http, IndividualNumberDeriver Deriver, Database Database)> StartAsync(StorageProvider provider, TempFolder folder)
    {
        var storage = TestDatabases.Create(provider, folder.Path);
        var keyFile = folder.File("numbering.key");
        var app = RegistryApp.Create([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Storage:Provider"] = provider.ToString(), ["Storage:ConnectionString"] = storage.ConnectionString,
                ["Registry:DataFolder"] = folder.Path, ["Registry:NumberingKeyFile"] = keyFile,
                ["Callers:0:Name"] = "tester", ["Callers:0:Token"] = Token,
                ["Callers:0:Permissions:0"] = "identity", ["Callers:0:Permissions:1"] = "events", ["Callers:0:Permissions:2"] = "municipality:121002",
                ["Logging:LogLevel:Default"] = "Warning",
            });
        });
        await app.StartAsync();
        var http = new HttpClient { BaseAddress = app.BaseAddress() };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return (app, http, new IndividualNumberDeriver(NumberingKey.LoadOrCreate(keyFile)), new Database(storage));
    }

    [Theory, StorageData]
    public async Task Seeded_people_are_found_by_number_listed_in_the_feed_and_take_further_events(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var (app, http, deriver, database) = await StartAsync(provider, folder);
        await using var _ = app;
        using var __ = deriver;
        var plan = new SeedPlan(64, 1, 60) { BatchSize = 25 };
        await ResidentSeeder.SeedAsync(database, deriver, plan);
        var people = new SyntheticResidents(plan).Households().SelectMany(h => h.Members.Select(m => (Household: h, Person: m))).ToList();

        var feed = await http.GetFromJsonAsync<JsonElement>("api/events?after=0&limit=1000");
        var events = feed.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(people.Select(p => p.Person.ResidentId), events.Select(e => e.GetProperty("residentId").GetString()));
        Assert.All(events, e => Assert.Equal("registered", e.GetProperty("kind").GetString()));

        foreach (var (household, person) in people.Take(10))
        {
            var byId = await http.GetFromJsonAsync<JsonElement>($"api/identity/residents/{person.ResidentId}");
            var number = byId.GetProperty("individualNumber").GetString()!;
            Assert.Equal(deriver.Derive(ResidentRecordCode.Parse(byId.GetProperty("residentRecordCode").GetString()!)).Digits, number);
            var byNumber = await http.PostAsJsonAsync("api/identity/by-number", new { individualNumber = number });
            Assert.Equal(HttpStatusCode.OK, byNumber.StatusCode);
            var info = await byNumber.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(person.ResidentId, info.GetProperty("residentId").GetString());
            Assert.Equal(person.Person.FamilyName, info.GetProperty("familyName").GetString());
            Assert.Equal(person.Person.GivenNameKana, info.GetProperty("givenNameKana").GetString());
            Assert.Equal(RegisterTextDate(person.Person.DateOfBirth), info.GetProperty("dateOfBirth").GetString());
            Assert.Equal(household.Address, info.GetProperty("address").GetString());
            Assert.Equal("121002", info.GetProperty("municipalityCode").GetString());
        }

        // A clerk records an address change for a seeded resident: the register treats them as its own.
        var first = people[0].Person;
        var moved = await http.PostAsJsonAsync("api/municipalities/121002/events",
            new { kind = "address-change", residentId = first.ResidentId, address = "千葉県千葉市美浜区打瀬1丁目2番3号" });
        Assert.True(moved.IsSuccessStatusCode, await moved.Content.ReadAsStringAsync());
        var history = await http.GetFromJsonAsync<JsonElement>($"api/municipalities/121002/residents/{first.ResidentId}/events");
        var kinds = (history.ValueKind == JsonValueKind.Array ? history : history.GetProperty("events")).EnumerateArray()
            .Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["registered", "address-change"], kinds);
        var next = await http.GetFromJsonAsync<JsonElement>($"api/events?after={events[^1].GetProperty("position").GetInt64()}&limit=10");
        Assert.Equal(first.ResidentId, Assert.Single(next.GetProperty("events").EnumerateArray()).GetProperty("residentId").GetString());
    }

    private static string RegisterTextDate(DateOnly d) => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
