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
                new ResidentEventRequest("move-in", IndividualNumber: number, Address: KashiwaAddress)), 404, "unknown-resident");
            await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa,
                new ResidentEventRequest("move-in", From: "abroad", IndividualNumber: number, Address: KashiwaAddress)), 404, "unknown-resident");
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
            var refused = await registry.PostEventAsync(RegistryHost.Kashiwa, new ResidentEventRequest("move-in", IndividualNumber: number, Address: KashiwaAddress));
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
            new ResidentEventRequest("move-in", From: "abroad", IndividualNumber: Wide(born.IndividualNumber!), Address: KashiwaAddress));
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
