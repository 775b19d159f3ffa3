using System.Net.Http.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Registry.Events;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Residents;

/// <summary>A name-change (氏名の変更) changes the name with its reading, and only when there is something to change.</summary>
public class NameChangeTests
{
    [Theory, StorageData]
    public async Task A_changed_name_part_needs_its_reading_and_without_it_nothing_is_written(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var unread = new (ResidentEventRequest Request, string[] Fields)[]
        {
            // 高橋 alone used to give 高橋 / ヤマダ.
            (new("name-change", ResidentId: born.ResidentId, FamilyName: "高橋"), ["familyNameKana"]),
            (new("name-change", ResidentId: born.ResidentId, GivenName: "次郎", GivenNameKana: " "), ["givenNameKana"]),
            (new("name-change", ResidentId: born.ResidentId, FamilyName: "高橋", GivenName: "次郎", FamilyNameKana: "タカハシ"), ["givenNameKana"]),
            (new("name-change", ResidentId: born.ResidentId, FamilyName: "高橋", GivenName: "次郎"), ["familyNameKana", "givenNameKana"]),
        };
        foreach (var (request, fields) in unread)
        {
            var errors = (await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, request), 400, "invalid-event")).GetProperty("errors");
            Assert.Equal(fields, errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            Assert.All(fields, f => Assert.Contains("カナ", errors.GetProperty(f)[0].GetString()));
        }
        await using var c = await registry.Database.OpenAsync();
        Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events"));

        // A part given as it is changes nothing and needs no reading; a reading may change alone.
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("name-change", ResidentId: born.ResidentId, FamilyName: "山田", GivenName: "次郎", GivenNameKana: "ジロウ"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("name-change", ResidentId: born.ResidentId, FamilyNameKana: "ヤマタ"));
        var stored = (await ResidentStore.FindAsync(c, born.ResidentId))!.Person;
        Assert.Equal(("山田", "次郎", "ヤマタ", "ジロウ"), (stored.FamilyName, stored.GivenName, stored.FamilyNameKana, stored.GivenNameKana));
    }

    [Theory, StorageData]
    public async Task A_name_change_to_the_current_name_is_refused_and_nothing_is_published(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var same = new ResidentEventRequest[]
        {
            new("name-change", ResidentId: born.ResidentId, FamilyName: "山田", FamilyNameKana: "ヤマダ"),
            new("name-change", ResidentId: born.ResidentId, FamilyName: "山田"),
            // As typed with half-width katakana and a space: the same name once normalised.
            new("name-change", ResidentId: born.ResidentId, FamilyName: "山田 ", GivenName: "太郎", FamilyNameKana: "ﾔﾏﾀﾞ", GivenNameKana: "タロウ"),
        };
        foreach (var request in same)
        {
            var problem = await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, request), 409, "name-unchanged");
            Assert.Contains("現在の氏名と同じ", problem.GetProperty("detail").GetString());
        }
        // It used to be published as a change, and the PKI revoked the signing certificate for it.
        var feed = (await registry.Client("events-token").GetFromJsonAsync<EventPage>("api/events", ServiceDefaults.Json))!;
        Assert.Equal([ResidentEventKind.Birth], feed.Events.Select(e => e.Kind));
    }

    [Theory, StorageData]
    public async Task A_new_reading_alone_is_published_as_name_reading_not_as_name(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var feed = registry.Client("events-token");
        async Task<IReadOnlyList<string>> PublishedAsync(ResidentEventRequest request)
        {
            var change = await registry.RecordAsync(RegistryHost.Chiba, request);
            return (await feed.GetFromJsonAsync<EventPage>($"api/events?after={change.Position - 1}", ServiceDefaults.Json))!.Events.Single().ChangedItems;
        }

        // The signing certificate carries the name and not its reading: "name" revoked it for a reading corrected.
        Assert.Equal(["name-reading"], await PublishedAsync(new("name-change", ResidentId: born.ResidentId, FamilyNameKana: "ヤマタ")));
        Assert.Equal(["name"], await PublishedAsync(new("name-change", ResidentId: born.ResidentId, FamilyName: "山多", FamilyNameKana: "ヤマタ")));
        Assert.Equal(["name", "name-reading"], await PublishedAsync(new("name-change", ResidentId: born.ResidentId, GivenName: "次郎", GivenNameKana: "ジロウ")));
    }
}
