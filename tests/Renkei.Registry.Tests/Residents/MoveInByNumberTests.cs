using System.Net.Http.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Residents;

/// <summary>A move-in that names the person by Individual Number: the number must be someone's current one.</summary>
public class MoveInByNumberTests
{
    private const string KashiwaAddress = "千葉県柏市柏1丁目1番1号";

    /// <summary>A clerk of Kashiwa who may also read identities, and so is told why a number cannot move in.</summary>
    private const string Registrar = "kashiwa-registrar";

    [Theory, StorageData]
    public async Task A_move_in_by_number_tells_a_clerk_without_identity_nothing_of_the_holder(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var dead = await registry.RegisterBirthAsync(person: RegistryHost.Person("死亡", "一郎", "シボウ", "イチロウ", "1950-01-01"));
        var living = await registry.RegisterBirthAsync(person: RegistryHost.Person("在住", "二郎", "ザイジュウ", "ジロウ", "1960-01-01"));
        var elsewhere = await registry.RegisterBirthAsync(person: RegistryHost.Person("転出", "三郎", "テンシュツ", "サブロウ", "1970-01-01"));
        var reissued = await registry.RegisterBirthAsync(person: RegistryHost.Person("再指定", "四郎", "サイシテイ", "シロウ", "1980-01-01"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("death", ResidentId: dead.ResidentId));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: elsewhere.ResidentId, Destination: RegistryHost.Bunkyo));
        await registry.Client("chiba-clerk").PostAsJsonAsync($"api/municipalities/{RegistryHost.Chiba}/residents/{reissued.ResidentId}/number-reissue",
            new ReissueRequest("番号が漏えいした", "person"));
        await using var c = await registry.Database.OpenAsync();
        var before = await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events");

        // Dead (it said 状態が「死亡」), living in Chiba, moved out to Bunkyo, re-issued, never given: one answer, word for word.
        var answers = new List<string>();
        foreach (var number in new[] { dead.IndividualNumber!, living.IndividualNumber!, elsewhere.IndividualNumber!, reissued.IndividualNumber!, Nobody.Digits })
        {
            var problem = await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa,
                new ResidentEventRequest("move-in", IndividualNumber: number, Address: KashiwaAddress)), 404, "no-move-in");
            answers.Add($"{problem.GetProperty("title").GetString()}|{problem.GetProperty("detail").GetString()}");
        }
        Assert.Single(answers.Distinct());
        Assert.DoesNotContain("死亡", answers[0]);
        Assert.DoesNotContain("Deceased", answers[0]);

        // The identity API tells that to those holding `identity`; so does the move-in.
        var told = await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa,
            new ResidentEventRequest("move-in", IndividualNumber: dead.IndividualNumber, Address: KashiwaAddress), Registrar), 409, "event-not-allowed");
        Assert.Contains("死亡", told.GetProperty("detail").GetString());
        Assert.Equal(before, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events"));
    }

    [Theory, StorageData]
    public async Task A_move_in_probe_says_nothing_of_a_resident_abroad(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var abroad = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth", OccurredOn: "1980-01-01",
            Person: RegistryHost.Person("国外", "五郎", "コクガイ", "ゴロウ", "1980-01-01"), Address: "千葉県千葉市中央区中央1丁目1番1号"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", OccurredOn: "2026-03-31", ResidentId: abroad.ResidentId, Destination: "abroad"));
        await using var c = await registry.Database.OpenAsync();
        var before = await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events");

        // Before the birth it said occurred-before-birth, after it occurred-before-latest-event with the move-out's date: a search for
        // the date of birth, and a word that the holder is abroad, where a number no one has is no-move-in.
        var nobody = await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa,
            new ResidentEventRequest("move-in", OccurredOn: "1990-01-01", IndividualNumber: Nobody.Digits, Address: KashiwaAddress)), 404, "no-move-in");
        foreach (var date in new[] { "1900-01-01", "1990-01-01", "2026-03-30" })
        {
            var problem = await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa,
                new ResidentEventRequest("move-in", OccurredOn: date, IndividualNumber: abroad.IndividualNumber, Address: KashiwaAddress)), 404, "no-move-in");
            Assert.Equal(nobody.GetProperty("detail").GetString(), problem.GetProperty("detail").GetString());
            Assert.DoesNotContain("2026-03-31", problem.ToString());
        }
        Assert.Equal(before, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events"));

        // A clerk holding `identity` may read the dates anyway, and is told which; a date after the move-out moves the person in.
        var told = await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa,
            new ResidentEventRequest("move-in", OccurredOn: "1990-01-01", IndividualNumber: abroad.IndividualNumber, Address: KashiwaAddress), Registrar),
            409, "occurred-before-latest-event");
        Assert.Contains("2026-03-31", told.GetProperty("detail").GetString());
        var movedIn = await registry.RecordAsync(RegistryHost.Kashiwa,
            new ResidentEventRequest("move-in", OccurredOn: "2026-03-31", IndividualNumber: abroad.IndividualNumber, Address: KashiwaAddress));
        Assert.Equal(abroad.ResidentId, movedIn.ResidentId);
    }

    /// <summary>A well-formed number that no one on a fresh register was given.</summary>
    private static readonly IndividualNumber Nobody = IndividualNumber.FromPayload(12_345_678_901);

    [Theory, StorageData]
    public async Task A_move_in_by_a_number_nobody_has_is_an_unknown_resident_and_writes_nothing(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        await registry.RegisterBirthAsync();

        foreach (var number in new[] { Nobody.Digits, Wide(Nobody.Format()) })
        {
            await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa,
                new ResidentEventRequest("move-in", IndividualNumber: number, Address: KashiwaAddress), Registrar), 404, "unknown-resident");
            await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa,
                new ResidentEventRequest("move-in", From: "abroad", IndividualNumber: number, Address: KashiwaAddress), Registrar), 404, "unknown-resident");
            await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa,
                new ResidentEventRequest("move-in", IndividualNumber: number, Address: KashiwaAddress)), 404, "no-move-in");
        }
        await AssertOnlyTheBirthAsync(registry);
    }

    [Theory, StorageData]
    public async Task A_move_in_by_a_superseded_number_is_refused_as_superseded_and_the_current_number_moves_the_person(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var reissue = await registry.Client("chiba-clerk").PostAsJsonAsync(
            $"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}/number-reissue", new ReissueRequest("番号が漏えいした", "person"));
        var reissued = (await reissue.Content.ReadFromJsonAsync<EventReceipt>(ServiceDefaults.Json))!;
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: born.ResidentId, Destination: RegistryHost.Kashiwa));

        var old = IndividualNumber.Parse(born.IndividualNumber!);
        foreach (var number in new[] { old.Digits, Wide(old.Digits), Wide(old.Format()) })
        {
            var refused = await registry.PostEventAsync(RegistryHost.Kashiwa, new ResidentEventRequest("move-in", IndividualNumber: number, Address: KashiwaAddress), Registrar);
            var problem = await ProblemAssert.IsProblemAsync(refused, 410, "number-superseded");
            Assert.DoesNotContain(old.Digits, problem.ToString());
        }
        await using (var c = await registry.Database.OpenAsync())
            Assert.Equal(ResidentStatus.MovedOut, (await ResidentStore.FindAsync(c, born.ResidentId))!.Status);

        var movedIn = await registry.RecordAsync(RegistryHost.Kashiwa,
            new ResidentEventRequest("move-in", IndividualNumber: Wide(reissued.IndividualNumber!), Address: KashiwaAddress));
        Assert.Equal(born.ResidentId, movedIn.ResidentId);
        Assert.Equal(reissued.IndividualNumber, movedIn.IndividualNumber);
    }

    [Theory, StorageData]
    public async Task A_move_in_from_abroad_by_a_superseded_number_is_refused_as_superseded(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        await registry.Client("chiba-clerk").PostAsJsonAsync(
            $"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}/number-reissue", new ReissueRequest("番号が漏えいした", "mayor"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: born.ResidentId, Destination: "abroad"));

        var refused = await registry.PostEventAsync(RegistryHost.Kashiwa,
            new ResidentEventRequest("move-in", From: "abroad", IndividualNumber: Wide(born.IndividualNumber!), Address: KashiwaAddress), Registrar);
        await ProblemAssert.IsProblemAsync(refused, 410, "number-superseded");
        await using var c = await registry.Database.OpenAsync();
        Assert.Equal(ResidentStatus.Abroad, (await ResidentStore.FindAsync(c, born.ResidentId))!.Status);
    }

    /// <summary>The digits in full width (０–９), as a clerk's input method may type them.</summary>
    private static string Wide(string text) => new(text.Select(ch => ch is >= '0' and <= '9' ? (char)(ch - '0' + '０') : ch).ToArray());

    private static async Task AssertOnlyTheBirthAsync(RegistryHost registry)
    {
        await using var c = await registry.Database.OpenAsync();
        Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events"));
        Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM residents"));
        Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM individual_numbers"));
    }
}
