using System.Net.Http.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Identity;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Numbering;

public class NumberingTests
{
    [Theory, StorageData]
    public async Task Reissue_keeps_the_code_supersedes_the_old_number_and_keeps_history(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var clerk = registry.Client("chiba-clerk");
        var response = await clerk.PostAsJsonAsync($"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}/number-reissue",
            new ReissueRequest("番号が漏えいし不正利用のおそれがある", "person"));
        var reissued = (await response.Content.ReadFromJsonAsync<EventReceipt>(ServiceDefaults.Json))!;

        Assert.Equal(born.ResidentRecordCode, reissued.ResidentRecordCode);
        Assert.NotEqual(born.IndividualNumber, reissued.IndividualNumber);
        using var deriver = registry.Deriver();
        Assert.Equal(deriver.Derive(ResidentRecordCode.Parse(born.ResidentRecordCode!), 1).Digits, reissued.IndividualNumber);

        var identity = registry.Client("identity-token");
        var old = await identity.PostAsJsonAsync("api/identity/by-number", new NumberQuery(born.IndividualNumber));
        await ProblemAssert.IsProblemAsync(old, 410, "number-superseded");
        var current = await identity.PostAsJsonAsync("api/identity/by-number", new NumberQuery(reissued.IndividualNumber));
        Assert.Equal(born.ResidentId, (await current.Content.ReadFromJsonAsync<IdentityInfo>(ServiceDefaults.Json))!.ResidentId);

        await using var c = await registry.Database.OpenAsync();
        Assert.Equal(2L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM individual_numbers WHERE resident_id = @r", null, ("r", born.ResidentId)));
        var kinds = (await ResidentStore.EventsOfAsync(c, born.ResidentId)).Select(e => e.Kind);
        Assert.Equal([ResidentEventKind.Birth, ResidentEventKind.NumberReissued], kinds);
    }

    [Theory, StorageData]
    public async Task Reissue_skips_a_number_that_was_ever_issued(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var other = await registry.RegisterBirthAsync(person: RegistryHost.Person("高橋", "蓮", "タカハシ", "レン", "2026-01-02"));
        using var deriver = registry.Deriver();
        var code = ResidentRecordCode.Parse(born.ResidentRecordCode!);
        // Make the first re-issue's number already taken (as if retired by someone else).
        await using (var c = await registry.Database.OpenAsync())
            await c.ExecuteAsync("INSERT INTO individual_numbers (number, resident_id, reissue_count, designated_at, superseded_at) VALUES (@n, @r, 1, '2020-01-01T00:00:00Z', '2021-01-01T00:00:00Z')",
                null, ("n", deriver.Derive(code, 1).Digits), ("r", other.ResidentId));

        var response = await registry.Client("chiba-clerk").PostAsJsonAsync(
            $"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}/number-reissue", new ReissueRequest("漏えい", "mayor"));
        var reissued = (await response.Content.ReadFromJsonAsync<EventReceipt>(ServiceDefaults.Json))!;
        Assert.Equal(deriver.Derive(code, 2).Digits, reissued.IndividualNumber);
    }

    [Theory, StorageData]
    public async Task Reissue_needs_a_reason_and_who_asked(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var response = await registry.Client("chiba-clerk").PostAsJsonAsync(
            $"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}/number-reissue", new ReissueRequest("", "neighbour"));
        var problem = await ProblemAssert.IsProblemAsync(response, 400, "invalid-request");
        Assert.True(problem.GetProperty("errors").TryGetProperty("reason", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("requestedBy", out _));
        var unknown = await registry.Client("chiba-clerk").PostAsJsonAsync(
            $"api/municipalities/{RegistryHost.Chiba}/residents/r_nobody/number-reissue", new ReissueRequest("漏えい", "person"));
        await ProblemAssert.IsProblemAsync(unknown, 404, "unknown-resident");
        var elsewhere = await registry.Client("kashiwa-clerk").PostAsJsonAsync(
            $"api/municipalities/{RegistryHost.Kashiwa}/residents/{born.ResidentId}/number-reissue", new ReissueRequest("漏えい", "person"));
        await ProblemAssert.IsProblemAsync(elsewhere, 404, "unknown-resident");
    }

    [Theory, StorageData]
    public async Task Changing_the_resident_record_code_leaves_the_number(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var response = await registry.Client("chiba-clerk").PostAsync(
            $"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}/resident-record-code-change", null);
        var changed = (await response.Content.ReadFromJsonAsync<EventReceipt>(ServiceDefaults.Json))!;
        Assert.NotEqual(born.ResidentRecordCode, changed.ResidentRecordCode);
        Assert.Equal(born.IndividualNumber, changed.IndividualNumber);
        Assert.True(ResidentRecordCode.TryParse(changed.ResidentRecordCode, out _, out _));
        await using var c = await registry.Database.OpenAsync();
        Assert.NotNull(await c.ScalarAsync<string>("SELECT replaced_at FROM resident_record_codes WHERE code = @c", null, ("c", born.ResidentRecordCode)));
    }

    [Fact]
    public void Designation_is_a_permutation_so_many_codes_never_share_a_number()
    {
        using var deriver = new IndividualNumberDeriver(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var codes = Enumerable.Range(0, 20_000).Select(i => ResidentRecordCode.FromPayload(i)).ToArray();
        var numbers = codes.Select(c => deriver.Derive(c)).ToHashSet();
        Assert.Equal(codes.Length, numbers.Count);
        // Consecutive codes give numbers with no visible order.
        var sorted = codes.Select(c => deriver.Derive(c).Value).ToArray();
        Assert.NotEqual(sorted.Order().ToArray(), sorted);
    }
}
