using System.Net.Http.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Registry.Events;
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
    public async Task Joining_a_household_with_its_address_in_the_other_form_of_a_compatibility_ideograph_takes_the_households_address(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        // 塚 U+FA10 as the register keeps it, and 塚 U+585A as most input methods type it: one address either way.
        const string kept = "千葉県千葉市若葉区\uFA10田町1番1号", typed = "千葉県千葉市若葉区\u585A田町1番1号";
        foreach (var (household, joining) in new[] { (kept, typed), (typed, kept) })
        {
            var head = await registry.RegisterBirthAsync(person: RegistryHost.Person("佐藤", "一郎", "サトウ", "イチロウ", "1980-05-05"), address: household);
            var wife = await registry.RegisterBirthAsync(person: RegistryHost.Person("佐藤", "花子", "サトウ", "ハナコ", "1982-07-07", "female"), address: Elsewhere);
            await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("address-change", ResidentId: wife.ResidentId,
                Address: joining, HouseholdId: head.HouseholdId, Relationship: "妻"));
            var child = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth",
                Person: RegistryHost.Person("佐藤", "三郎", "サトウ", "サブロウ", "2026-01-15"), Address: joining, HouseholdId: head.HouseholdId, Relationship: "子"));

            // A household lives at one address, written one way.
            foreach (var id in new[] { wife.ResidentId, child.ResidentId, head.ResidentId })
            {
                var view = await ViewAsync(registry, id);
                Assert.Equal((head.HouseholdId, household), (view.HouseholdId, view.Resident.Address));
            }
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

    [Theory, StorageData]
    public async Task A_second_head_is_refused_whether_joining_or_moving_within_the_household(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var (head, other) = await HeadAndOtherAsync(registry);
        var wife = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-in", From: "abroad",
            Person: RegistryHost.Person("佐藤", "良子", "サトウ", "ヨシコ", "1981-02-02", "female"), HouseholdId: head.HouseholdId, Relationship: "妻"));
        var before = await CountEventsAsync(registry);

        var heads = new[]
        {
            new ResidentEventRequest("birth", Person: RegistryHost.Person("佐藤", "三郎", "サトウ", "サブロウ", "2026-01-15"), HouseholdId: head.HouseholdId, Relationship: "世帯主"),
            new ResidentEventRequest("move-in", From: "abroad", Person: RegistryHost.Person("Smith", "Anna", "スミス", "アンナ", "1985-06-07", "female"),
                HouseholdId: head.HouseholdId, Relationship: "世帯主"),
            // A member moving within the household, and another household's head joining it, as its head.
            new ResidentEventRequest("address-change", ResidentId: wife.ResidentId, HouseholdId: head.HouseholdId, Relationship: "世帯主"),
            new ResidentEventRequest("address-change", ResidentId: other.ResidentId, HouseholdId: head.HouseholdId, Relationship: "世帯主"),
        };
        foreach (var request in heads)
        {
            var problem = await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, request), 409, "household-has-head");
            Assert.Contains("head-change", problem.GetProperty("detail").GetString());
        }
        Assert.Equal(before, await CountEventsAsync(registry));
        Assert.Equal("妻", (await ViewAsync(registry, wife.ResidentId)).Relationship);
    }

    [Theory, StorageData]
    public async Task A_household_whose_head_dies_has_no_head_until_a_head_change_names_one(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var head = await HeadAsync(registry);
        var wife = await JoinAsync(registry, head, "良子", "ヨシコ", "妻");
        var son = await JoinAsync(registry, head, "三郎", "サブロウ", "子");
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("death", ResidentId: head.ResidentId));
        Assert.Equal(["妻", "子"], [(await ViewAsync(registry, wife.ResidentId)).Relationship, (await ViewAsync(registry, son.ResidentId)).Relationship]);
        var feed = registry.Client("events-token");
        var after = (await feed.GetFromJsonAsync<Renkei.Registry.Events.EventPage>("api/events", ServiceDefaults.Json))!.Next;

        // No one is left to become something else: the former head is no member, so no formerHeadRelationship is needed.
        var change = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("head-change", ResidentId: wife.ResidentId, HouseholdId: head.HouseholdId));
        Assert.Equal((wife.ResidentId, head.HouseholdId), (change.ResidentId, change.HouseholdId));
        Assert.Equal((head.HouseholdId, "世帯主"), ((await ViewAsync(registry, wife.ResidentId)).HouseholdId, (await ViewAsync(registry, wife.ResidentId)).Relationship));
        Assert.Equal("子", (await ViewAsync(registry, son.ResidentId)).Relationship);

        // Published like any event, naming the resident and what changed, never the relationship itself.
        var published = Assert.Single((await feed.GetFromJsonAsync<Renkei.Registry.Events.EventPage>($"api/events?after={after}", ServiceDefaults.Json))!.Events);
        Assert.Equal((ResidentEventKind.HeadChange, wife.ResidentId, change.Position), (published.Kind, published.ResidentId, published.Position));
        Assert.Equal(["relationship"], published.ChangedItems);
        Assert.Contains("\"kind\":\"head-change\"", await feed.GetStringAsync($"api/events?after={after}"));
        await AssertRecordsFollowTheirEventsAsync(registry, wife.ResidentId, son.ResidentId);

        // Immutable as every event is.
        await using var c = await registry.Database.OpenAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => c.ExecuteAsync("UPDATE resident_events SET data = '{}' WHERE kind = 'HeadChange'"));
        await Assert.ThrowsAnyAsync<Exception>(() => c.ExecuteAsync("DELETE FROM resident_events WHERE kind = 'HeadChange'"));
    }

    [Theory, StorageData]
    public async Task A_head_change_gives_a_former_head_still_a_member_the_relationship_it_names_both_or_neither(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var today = JapanTime.Today(TimeProvider.System);
        string Day(int daysAgo) => RegisterText.ToText(today.AddDays(-daysAgo));
        var head = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth", OccurredOn: Day(100),
            Person: RegistryHost.Person("佐藤", "一郎", "サトウ", "イチロウ", Day(100)), Address: Home));
        var wife = await JoinAsync(registry, head, "良子", "ヨシコ", "妻", occurredOn: Day(90));
        // The head's own latest event is later than the change below would be dated.
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("name-change", OccurredOn: Day(5), ResidentId: head.ResidentId, GivenName: "市朗", GivenNameKana: "イチロウ"));
        var before = await CountEventsAsync(registry);

        var unsaid = new[]
        {
            (new ResidentEventRequest("head-change", ResidentId: wife.ResidentId, HouseholdId: head.HouseholdId), "formerHeadRelationship"),
            (new ResidentEventRequest("head-change", ResidentId: wife.ResidentId, HouseholdId: head.HouseholdId, FormerHeadRelationship: " 世帯主"), "formerHeadRelationship"),
            (new ResidentEventRequest("head-change", ResidentId: wife.ResidentId), "householdId"),
            (new ResidentEventRequest("head-change", ResidentId: wife.ResidentId, HouseholdId: head.HouseholdId, FormerHeadRelationship: "夫", Address: Elsewhere), "address"),
            (new ResidentEventRequest("head-change", ResidentId: wife.ResidentId, HouseholdId: head.HouseholdId, FormerHeadRelationship: "夫", Relationship: "妻"), "relationship"),
            (new ResidentEventRequest("address-change", ResidentId: wife.ResidentId, Address: Elsewhere, FormerHeadRelationship: "夫"), "formerHeadRelationship"),
        };
        foreach (var (request, field) in unsaid)
        {
            var errors = (await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, request), 400, "invalid-event")).GetProperty("errors");
            Assert.Equal([field], errors.EnumerateObject().Select(p => p.Name));
        }
        // The former head's part cannot be dated before his latest event, so the new head's part is not written either.
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("head-change", OccurredOn: Day(10),
            ResidentId: wife.ResidentId, HouseholdId: head.HouseholdId, FormerHeadRelationship: "夫")), 409, "occurred-before-latest-event");
        Assert.Equal(before, await CountEventsAsync(registry));
        Assert.Equal(["妻", "世帯主"], [(await ViewAsync(registry, wife.ResidentId)).Relationship, (await ViewAsync(registry, head.ResidentId)).Relationship]);

        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("head-change", ResidentId: wife.ResidentId, HouseholdId: head.HouseholdId, FormerHeadRelationship: "夫"));
        Assert.Equal(["世帯主", "夫"], [(await ViewAsync(registry, wife.ResidentId)).Relationship, (await ViewAsync(registry, head.ResidentId)).Relationship]);
        Assert.Equal(before + 2, await CountEventsAsync(registry));
        await AssertRecordsFollowTheirEventsAsync(registry, wife.ResidentId, head.ResidentId);
    }

    [Theory, StorageData]
    public async Task A_household_left_with_two_heads_gets_one_by_a_head_change_naming_either(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var head = await HeadAsync(registry);
        var wife = await JoinAsync(registry, head, "良子", "ヨシコ", "妻");
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("head-change", ResidentId: wife.ResidentId, HouseholdId: head.HouseholdId, FormerHeadRelationship: "夫"));
        // A second head, as joining as 世帯主 could make one before it was refused.
        await using (var c = await registry.Database.OpenAsync())
            await c.ExecuteAsync("UPDATE residents SET relationship = '世帯主' WHERE resident_id = @r", null, ("r", head.ResidentId));

        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("head-change", ResidentId: wife.ResidentId, HouseholdId: head.HouseholdId, FormerHeadRelationship: "夫"));
        Assert.Equal(["世帯主", "夫"], [(await ViewAsync(registry, wife.ResidentId)).Relationship, (await ViewAsync(registry, head.ResidentId)).Relationship]);
        await AssertRecordsFollowTheirEventsAsync(registry, wife.ResidentId, head.ResidentId);
        // One head again: naming her once more changes nothing.
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba,
            new ResidentEventRequest("head-change", ResidentId: wife.ResidentId, HouseholdId: head.HouseholdId, FormerHeadRelationship: "夫")), 409, "already-head");
    }

    [Theory, StorageData]
    public async Task A_head_change_names_a_member_who_is_not_the_head_of_this_municipalitys_household(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var (head, other) = await HeadAndOtherAsync(registry);
        var wife = await JoinAsync(registry, head, "良子", "ヨシコ", "妻");
        var before = await CountEventsAsync(registry);

        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba,
            new ResidentEventRequest("head-change", ResidentId: other.ResidentId, HouseholdId: head.HouseholdId, FormerHeadRelationship: "同居人")), 409, "not-household-member");
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba,
            new ResidentEventRequest("head-change", ResidentId: head.ResidentId, HouseholdId: head.HouseholdId)), 409, "already-head");
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba,
            new ResidentEventRequest("head-change", ResidentId: wife.ResidentId, HouseholdId: "h_nosuchhousehold", FormerHeadRelationship: "夫")), 404, "unknown-household");
        // Another municipality learns nothing of the household or its members.
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa,
            new ResidentEventRequest("head-change", ResidentId: wife.ResidentId, HouseholdId: head.HouseholdId, FormerHeadRelationship: "夫")), 404, "unknown-resident");
        Assert.Equal(before, await CountEventsAsync(registry));
    }

    [Theory, StorageData]
    public async Task A_household_joined_or_left_at_the_same_address_is_published_as_a_change_of_household_not_of_address(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var head = await HeadAsync(registry);
        var wife = await registry.RegisterBirthAsync(person: RegistryHost.Person("佐藤", "花子", "サトウ", "ハナコ", "1982-07-07", "female"), address: Home);
        var feed = registry.Client("events-token");
        async Task<IReadOnlyList<string>> PublishedAsync(ResidentEventRequest request)
        {
            var change = await registry.RecordAsync(RegistryHost.Chiba, request);
            return (await feed.GetFromJsonAsync<EventPage>($"api/events?after={change.Position - 1}", ServiceDefaults.Json))!.Events.Single().ChangedItems;
        }

        // 世帯合併 and 世帯分離 at one address: the PKI revoked the signing certificate for the "address" they were published with.
        Assert.Equal(["household", "relationship"], await PublishedAsync(
            new ResidentEventRequest("address-change", ResidentId: wife.ResidentId, HouseholdId: head.HouseholdId, Relationship: "妻")));
        Assert.Equal(["household", "relationship"], await PublishedAsync(new ResidentEventRequest("address-change", ResidentId: wife.ResidentId, Address: Home)));
        // A move is still one of address.
        Assert.Equal(["address", "household"], await PublishedAsync(new ResidentEventRequest("address-change", ResidentId: wife.ResidentId, Address: Elsewhere)));

        // Into the household she is in, as what she is: nothing changes, so nothing is written or published.
        var own = (await ViewAsync(registry, wife.ResidentId)).HouseholdId;
        var before = await CountEventsAsync(registry);
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba,
            new ResidentEventRequest("address-change", ResidentId: wife.ResidentId, HouseholdId: own, Relationship: "世帯主")), 409, "address-unchanged");
        Assert.Equal(before, await CountEventsAsync(registry));
        await AssertRecordsFollowTheirEventsAsync(registry, wife.ResidentId);
    }

    /// <summary>A member of <paramref name="head"/>'s household, born there.</summary>
    private static Task<EventReceipt> JoinAsync(RegistryHost registry, EventReceipt head, string given, string givenKana, string relationship, string? occurredOn = null) =>
        registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth", OccurredOn: occurredOn,
            Person: RegistryHost.Person("佐藤", given, "サトウ", givenKana, occurredOn ?? "2026-01-15"), HouseholdId: head.HouseholdId, Relationship: relationship));

    /// <summary>The records are still what their events add up to.</summary>
    private static async Task AssertRecordsFollowTheirEventsAsync(RegistryHost registry, params string[] residentIds)
    {
        await using var c = await registry.Database.OpenAsync();
        foreach (var id in residentIds)
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
