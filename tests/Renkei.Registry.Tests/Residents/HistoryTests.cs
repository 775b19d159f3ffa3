using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting.Storage;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Residents;

/// <summary>A municipality's history of its resident: what it recorded itself, as each municipality keeps its own records (除票).</summary>
public class HistoryTests
{
    private const string KashiwaAddress = "千葉県柏市柏1丁目1番1号";

    [Theory, StorageData]
    public async Task History_gives_a_municipality_only_its_own_events(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth", OccurredOn: "2026-01-15",
            Person: RegistryHost.Person("佐藤", "花子", "サトウ", "ハナコ", "2026-01-15", "female"), Address: "千葉県千葉市中央区中央1丁目1番1号", Relationship: "妻"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("name-change", OccurredOn: "2026-02-01", ResidentId: born.ResidentId,
            FamilyName: "鈴木", FamilyNameKana: "スズキ"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", OccurredOn: "2026-03-01", ResidentId: born.ResidentId, Destination: RegistryHost.Kashiwa));
        var movedIn = await registry.RecordAsync(RegistryHost.Kashiwa, new ResidentEventRequest("move-in", OccurredOn: "2026-03-02",
            IndividualNumber: born.IndividualNumber, Address: KashiwaAddress));
        await registry.RecordAsync(RegistryHost.Kashiwa, new ResidentEventRequest("address-change", OccurredOn: "2026-04-01", ResidentId: born.ResidentId,
            Address: "千葉県柏市柏2丁目2番2号"));

        // Chiba's birth, its name change with the old name and the relationship in Chiba's household, and the move-out: none of it is Kashiwa's.
        var history = await HistoryAsync(registry, RegistryHost.Kashiwa, born.ResidentId);
        Assert.Equal([("move-in", RegistryHost.Kashiwa), ("address-change", RegistryHost.Kashiwa)],
            history.Select(e => (e.GetProperty("kind").GetString(), e.GetProperty("municipalityCode").GetString())));
        Assert.Equal(movedIn.EventId, history[0].GetProperty("eventId").GetString());
        // The move-in that brought the person names where from, as the move-out certificate does.
        Assert.Equal(RegistryHost.Chiba, history[0].GetProperty("movedInFrom").GetString());
        Assert.False(history[1].TryGetProperty("movedInFrom", out _));
        var text = string.Join("\n", history.Select(e => e.GetRawText()));
        foreach (var elsewhere in new[] { "佐藤", "サトウ", "妻", "千葉県千葉市中央区", born.HouseholdId! })
            Assert.DoesNotContain(elsewhere, text);

        // Back from abroad to Bunkyo: the move-in says abroad, and none of Chiba's or Kashiwa's events.
        await registry.RecordAsync(RegistryHost.Kashiwa, new ResidentEventRequest("move-out", OccurredOn: "2026-05-01", ResidentId: born.ResidentId, Destination: "abroad"));
        await registry.RecordAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", OccurredOn: "2026-06-01", From: "abroad",
            ResidentId: born.ResidentId, Address: "東京都文京区本郷7丁目3番1号"));
        var bunkyo = await HistoryAsync(registry, RegistryHost.Bunkyo, born.ResidentId);
        Assert.Equal("move-in", Assert.Single(bunkyo).GetProperty("kind").GetString());
        Assert.Equal("abroad", bunkyo[0].GetProperty("movedInFrom").GetString());
    }

    [Theory, StorageData]
    public async Task Another_municipalitys_clerk_reads_no_history_of_a_resident_not_theirs(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var lives = await registry.RegisterBirthAsync();
        var died = await registry.RegisterBirthAsync(person: RegistryHost.Person("佐藤", "花子", "サトウ", "ハナコ", "2026-01-15", "female"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("death", ResidentId: died.ResidentId));
        // Moved out to 柏市 but not yet moved in: 柏市 reads nothing of them until it records the move-in.
        var moving = await registry.RegisterBirthAsync(person: RegistryHost.Person("高橋", "次郎", "タカハシ", "ジロウ", "2026-01-15"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: moving.ResidentId, Destination: RegistryHost.Kashiwa));

        foreach (var token in new[] { "kashiwa-clerk", "kashiwa-registrar" })
        {
            var nobody = await ProblemAssert.IsProblemAsync(await registry.Client(token).GetAsync(
                $"api/municipalities/{RegistryHost.Kashiwa}/residents/r_nobody/events"), 404, "unknown-resident");
            foreach (var resident in new[] { lives, died, moving })
            {
                var problem = await ProblemAssert.IsProblemAsync(await registry.Client(token).GetAsync(
                    $"api/municipalities/{RegistryHost.Kashiwa}/residents/{resident.ResidentId}/events"), 404, "unknown-resident");
                Assert.Equal(ProblemAssert.WithoutTraceId(nobody), ProblemAssert.WithoutTraceId(problem));
                // In 千葉市's name, without its permission.
                await ProblemAssert.IsProblemAsync(await registry.Client(token).GetAsync(
                    $"api/municipalities/{RegistryHost.Chiba}/residents/{resident.ResidentId}/events"), 403, "forbidden");
            }
        }

        // 千葉市 reads each on the same route: the refusals above were for the caller, not the request.
        foreach (var (resident, kinds) in new[] { (lives, new[] { "birth" }), (died, ["birth", "death"]), (moving, ["birth", "move-out"]) })
            Assert.Equal(kinds, (await HistoryAsync(registry, RegistryHost.Chiba, resident.ResidentId)).Select(e => e.GetProperty("kind").GetString()));
    }

    private static async Task<List<JsonElement>> HistoryAsync(RegistryHost registry, string municipality, string residentId) =>
        [.. (await registry.Client(RegistryHost.ClerkOf(municipality)).GetFromJsonAsync<JsonElement>(
            $"api/municipalities/{municipality}/residents/{residentId}/events")).EnumerateArray()];
}
