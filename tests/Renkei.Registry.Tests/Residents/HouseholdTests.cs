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
        var (head, other) = await HeadAndOtherAsync(registry);
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
        var (head, wife) = await HeadAndOtherAsync(registry);

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

    [Theory, StorageData]
    public async Task Joining_a_household_needs_the_relationship_so_a_former_head_does_not_stay_one(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var (head, wife) = await HeadAndOtherAsync(registry);
        Assert.Equal("世帯主", (await ViewAsync(registry, wife.ResidentId)).Relationship);
        var before = await CountEventsAsync(registry);

        var unsaid = new[]
        {
            new ResidentEventRequest("address-change", ResidentId: wife.ResidentId, HouseholdId: head.HouseholdId),
            new ResidentEventRequest("birth", Person: RegistryHost.Person("佐藤", "三郎", "サトウ", "サブロウ", "2026-01-15"), HouseholdId: head.HouseholdId),
            new ResidentEventRequest("move-in", From: "abroad", Person: RegistryHost.Person("Smith", "Anna", "スミス", "アンナ", "1985-06-07", "female"),
                HouseholdId: head.HouseholdId, Relationship: " "),
        };
        foreach (var request in unsaid)
        {
            var errors = (await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, request), 400, "invalid-event")).GetProperty("errors");
            Assert.Equal(["relationship"], errors.EnumerateObject().Select(p => p.Name));
            Assert.Contains("続柄", errors.GetProperty("relationship")[0].GetString());
        }
        Assert.Equal(before, await CountEventsAsync(registry));

        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("address-change", ResidentId: wife.ResidentId, HouseholdId: head.HouseholdId, Relationship: "妻"));
        var view = await ViewAsync(registry, wife.ResidentId);
        Assert.Equal((head.HouseholdId, Home, "妻"), (view.HouseholdId, view.Resident.Address, view.Relationship));
    }

    [Theory, StorageData]
    public async Task A_member_who_leaves_to_a_household_of_their_own_heads_it(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var head = await HeadAsync(registry);
        var son = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth",
            Person: RegistryHost.Person("佐藤", "三郎", "サトウ", "サブロウ", "2000-01-15"), OccurredOn: "2000-01-20", HouseholdId: head.HouseholdId, Relationship: "子"));
        var daughter = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth",
            Person: RegistryHost.Person("佐藤", "桜", "サトウ", "サクラ", "2002-03-03", "female"), OccurredOn: "2002-03-10", HouseholdId: head.HouseholdId, Relationship: "子"));

        // Within the municipality, to a new address of his own.
        var moved = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("address-change", ResidentId: son.ResidentId, Address: Elsewhere));
        Assert.NotEqual(head.HouseholdId, moved.HouseholdId);
        Assert.Equal("世帯主", (await ViewAsync(registry, son.ResidentId)).Relationship);

        // Away to another municipality and in again, alone.
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: daughter.ResidentId, Destination: RegistryHost.Kashiwa));
        await registry.RecordAsync(RegistryHost.Kashiwa, new ResidentEventRequest("move-in", ResidentId: daughter.ResidentId, Address: "千葉県柏市柏1丁目1番1号"));
        Assert.Equal("世帯主", (await ViewAsync(registry, daughter.ResidentId, RegistryHost.Kashiwa)).Relationship);

        // The head and the log agree: the record is still what its events add up to.
        await using var c = await registry.Database.OpenAsync();
        foreach (var id in new[] { son.ResidentId, daughter.ResidentId })
        {
            var derived = (await ResidentStore.EventsOfAsync(c, id)).Aggregate((ResidentRecord?)null, ResidentProjection.Apply)!;
            Assert.Equal((await ResidentStore.FindAsync(c, id))! with { UpdatedAt = default }, derived with { UpdatedAt = default });
        }
    }

    /// <summary>佐藤一郎, born at <see cref="Home"/> and so head of a household there.</summary>
    private static Task<EventReceipt> HeadAsync(RegistryHost registry) =>
        registry.RegisterBirthAsync(person: RegistryHost.Person("佐藤", "一郎", "サトウ", "イチロウ", "1980-05-05"), address: Home);

    /// <summary>The head at <see cref="Home"/>, and 佐藤花子, head of her own household at <see cref="Elsewhere"/>.</summary>
    private static async Task<(EventReceipt Head, EventReceipt Other)> HeadAndOtherAsync(RegistryHost registry) =>
        (await HeadAsync(registry),
            await registry.RegisterBirthAsync(person: RegistryHost.Person("佐藤", "花子", "サトウ", "ハナコ", "1982-07-07", "female"), address: Elsewhere));

    private static async Task<ResidentView> ViewAsync(RegistryHost registry, string residentId, string municipality = RegistryHost.Chiba) =>
        (await registry.Client(RegistryHost.ClerkOf(municipality)).GetFromJsonAsync<ResidentView>(
            $"api/municipalities/{municipality}/residents/{residentId}", ServiceDefaults.Json))!;

    private static async Task<long> CountEventsAsync(RegistryHost registry)
    {
        await using var c = await registry.Database.OpenAsync();
        return await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events");
    }
}
