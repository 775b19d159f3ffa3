using System.Net.Http.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Residents;

/// <summary>A household lives at one address, and each member says how they stand in it (続柄).</summary>
public class HouseholdTests
{
    private const string Home = "千葉県千葉市中央区富士見2丁目1番1号";
    private const string Elsewhere = "千葉県千葉市美浜区打瀬2丁目3番4号";

    [Theory, StorageData]
    public async Task Joining_a_household_at_another_address_is_refused_for_every_kind_and_writes_nothing(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var head = await registry.RegisterBirthAsync(person: RegistryHost.Person("佐藤", "一郎", "サトウ", "イチロウ", "1980-05-05"), address: Home);
        var other = await registry.RegisterBirthAsync(person: RegistryHost.Person("佐藤", "花子", "サトウ", "ハナコ", "1982-07-07", "female"), address: Elsewhere);
        var returning = await registry.RegisterBirthAsync(RegistryHost.Kashiwa, RegistryHost.Person("佐藤", "次郎", "サトウ", "ジロウ", "1984-08-08"), "千葉県柏市柏1丁目1番1号");
        await registry.RecordAsync(RegistryHost.Kashiwa, new ResidentEventRequest("move-out", ResidentId: returning.ResidentId, Destination: RegistryHost.Chiba));
        var before = await CountEventsAsync(registry);

        var refused = new[]
        {
            new ResidentEventRequest("birth", Person: RegistryHost.Person("佐藤", "三郎", "サトウ", "サブロウ", "2026-01-15"),
                Address: Elsewhere, HouseholdId: head.HouseholdId, Relationship: "子"),
            new ResidentEventRequest("move-in", From: "abroad", Person: RegistryHost.Person("Smith", "Anna", "スミス", "アンナ", "1985-06-07", "female"),
                Address: Elsewhere, HouseholdId: head.HouseholdId, Relationship: "同居人"),
            new ResidentEventRequest("move-in", IndividualNumber: returning.IndividualNumber, Address: Elsewhere, HouseholdId: head.HouseholdId, Relationship: "弟"),
            new ResidentEventRequest("address-change", ResidentId: other.ResidentId, Address: Elsewhere, HouseholdId: head.HouseholdId, Relationship: "妻"),
        };
        foreach (var request in refused)
        {
            var problem = await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, request), 409, "household-address-mismatch");
            Assert.Contains("世帯", problem.GetProperty("title").GetString());
        }

        Assert.Equal(before, await CountEventsAsync(registry));
        var view = await ViewAsync(registry, other.ResidentId);
        Assert.Equal((other.HouseholdId, Elsewhere, "世帯主"), (view.HouseholdId, view.Resident.Address, view.Relationship));
    }

    [Theory, StorageData]
    public async Task Joining_a_household_with_no_address_or_its_own_takes_the_households_address(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var head = await registry.RegisterBirthAsync(person: RegistryHost.Person("佐藤", "一郎", "サトウ", "イチロウ", "1980-05-05"), address: Home);
        var wife = await registry.RegisterBirthAsync(person: RegistryHost.Person("佐藤", "花子", "サトウ", "ハナコ", "1982-07-07", "female"), address: Elsewhere);

        // The same address as the clerk may type it: full-width digits and an extra space normalise to the household's.
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("address-change", ResidentId: wife.ResidentId,
            Address: "千葉県千葉市中央区富士見２丁目１番１号 ", HouseholdId: head.HouseholdId, Relationship: "妻"));
        var child = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth",
            Person: RegistryHost.Person("佐藤", "三郎", "サトウ", "サブロウ", "2026-01-15"), HouseholdId: head.HouseholdId, Relationship: "子"));

        foreach (var (id, relationship) in new[] { (wife.ResidentId, "妻"), (child.ResidentId, "子"), (head.ResidentId, "世帯主") })
        {
            var view = await ViewAsync(registry, id);
            Assert.Equal((head.HouseholdId, Home, relationship), (view.HouseholdId, view.Resident.Address, view.Relationship));
        }
    }

    private static async Task<ResidentView> ViewAsync(RegistryHost registry, string residentId, string municipality = RegistryHost.Chiba) =>
        (await registry.Client(RegistryHost.ClerkOf(municipality)).GetFromJsonAsync<ResidentView>(
            $"api/municipalities/{municipality}/residents/{residentId}", ServiceDefaults.Json))!;

    private static async Task<long> CountEventsAsync(RegistryHost registry)
    {
        await using var c = await registry.Database.OpenAsync();
        return await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events");
    }
}
