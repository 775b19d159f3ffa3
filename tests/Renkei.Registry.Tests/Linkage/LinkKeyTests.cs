using System.Net.Http.Json;
using Renkei.Hosting;
using Renkei.Hosting.Linkage;
using Renkei.Hosting.Storage;
using Renkei.Registry.Identity;
using Renkei.Registry.Linkage;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Linkage;

public class LinkKeyTests
{
    [Theory, StorageData]
    public async Task Each_item_gets_a_sealed_link_key_or_its_own_reason(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var a = await registry.RegisterBirthAsync();
        var b = await registry.RegisterBirthAsync(person: RegistryHost.Person("小林", "葵", "コバヤシ", "アオイ", "2026-01-05", "female"));
        var response = await Request(registry, "agency-chiba", ("acq-1", a.IndividualNumber), ("acq-2", b.IndividualNumber),
            ("acq-3", "123456789018"), ("acq-4", "123456789019"));
        Assert.Equal(4, response.Results.Count);
        Assert.NotNull(response.Results[0].SealedLinkKey);
        Assert.NotNull(response.Results[1].SealedLinkKey);
        Assert.Equal(Problems.Type("unknown-number"), response.Results[2].ProblemType);
        Assert.Equal(Problems.Type("invalid-number"), response.Results[3].ProblemType);
        Assert.Contains("期待値 8", response.Results[3].Problem);

        var seal = registry.Seal();
        var now = DateTimeOffset.UtcNow;
        Assert.True(seal.TryOpen(response.Results[0].SealedLinkKey!, "agency-chiba", "acq-1", now, out var keyA, out _));
        Assert.True(seal.TryOpen(response.Results[1].SealedLinkKey!, "agency-chiba", "acq-2", now, out var keyB, out _));
        Assert.NotEqual(keyA, keyB);
        // Bound to the agency and the acquisition number; expires.
        Assert.False(seal.TryOpen(response.Results[0].SealedLinkKey!, "agency-kashiwa", "acq-1", now, out _, out var why));
        Assert.Contains("another agency", why);
        Assert.False(seal.TryOpen(response.Results[0].SealedLinkKey!, "agency-chiba", "acq-2", now, out _, out _));
        Assert.False(seal.TryOpen(response.Results[0].SealedLinkKey!, "agency-chiba", "acq-1", now.AddHours(1), out _, out why));
        Assert.Contains("has expired", why);
    }

    [Theory, StorageData]
    public async Task A_persons_link_key_is_stable_across_requests_agencies_and_number_reissue(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var a = await registry.RegisterBirthAsync();
        var first = (await Request(registry, "agency-1", ("x1", a.IndividualNumber))).Results[0];
        var reissued = await (await registry.Client("chiba-clerk").PostAsJsonAsync(
            $"api/municipalities/{RegistryHost.Chiba}/residents/{a.ResidentId}/number-reissue", new ReissueRequest("漏えい", "person")))
            .Content.ReadFromJsonAsync<EventReceipt>(ServiceDefaults.Json);
        var second = (await Request(registry, "agency-2", ("y1", reissued!.IndividualNumber))).Results[0];
        var old = (await Request(registry, "agency-2", ("y2", a.IndividualNumber))).Results[0];
        var seal = registry.Seal();
        Assert.True(seal.TryOpen(first.SealedLinkKey!, "agency-1", "x1", DateTimeOffset.UtcNow, out var k1, out _));
        Assert.True(seal.TryOpen(second.SealedLinkKey!, "agency-2", "y1", DateTimeOffset.UtcNow, out var k2, out _));
        Assert.Equal(k1, k2);
        Assert.Equal(Problems.Type("number-superseded"), old.ProblemType);
    }

    [Theory, StorageData]
    public async Task By_the_basic_four_items_a_link_key_comes_only_for_exactly_one_resident(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        // Two residents with the same name, birth date and sex, at different addresses.
        var a = await registry.RegisterBirthAsync(address: "千葉県千葉市中央区中央1丁目1番1号");
        await registry.RegisterBirthAsync(address: "千葉県千葉市美浜区打瀬2丁目2番2号");
        var link = registry.Client("link-token");
        async Task<LinkKeyResult> Ask(string acquisition, BasicFourQuery query)
        {
            var response = await link.PostAsJsonAsync("api/link-keys", new LinkKeyRequest("agency-chiba", [new LinkKeyItem(acquisition, null, query)]), ServiceDefaults.Json);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            Assert.DoesNotContain(a.IndividualNumber!, body);
            return System.Text.Json.JsonSerializer.Deserialize<LinkKeyResponse>(body, ServiceDefaults.Json)!.Results.Single();
        }

        var ambiguous = await Ask("b4-1", new BasicFourQuery("山田", "太郎", "2026-01-15", "male", null));
        Assert.Equal(Problems.Type("ambiguous-basic-four"), ambiguous.ProblemType);
        Assert.Null(ambiguous.SealedLinkKey);
        Assert.StartsWith("複数の人が該当します", ambiguous.Problem); // not how many: link-keys is no census of names
        var one = await Ask("b4-2", new BasicFourQuery("山田", "太郎", "2026-01-15", "male", "千葉県千葉市中央区中央1丁目1番1号"));
        Assert.Equal(Problems.Type("no-match"), (await Ask("b4-3", new BasicFourQuery("山田", "花子", "2026-01-15", null, null))).ProblemType);
        Assert.Equal(Problems.Type("invalid-basic-four"), (await Ask("b4-4", new BasicFourQuery("山田", "太郎", "15 January", null, null))).ProblemType);

        // The same person's key as by number.
        var byNumber = (await Request(registry, "agency-chiba", ("n-1", a.IndividualNumber))).Results[0];
        var seal = registry.Seal();
        Assert.True(seal.TryOpen(one.SealedLinkKey!, "agency-chiba", "b4-2", DateTimeOffset.UtcNow, out var k1, out _));
        Assert.True(seal.TryOpen(byNumber.SealedLinkKey!, "agency-chiba", "n-1", DateTimeOffset.UtcNow, out var k2, out _));
        Assert.Equal(k2, k1);

        // An item names the person one way only.
        var both = await link.PostAsJsonAsync("api/link-keys", new LinkKeyRequest("agency-chiba",
            [new LinkKeyItem("x", a.IndividualNumber, new BasicFourQuery("山田", "太郎", "2026-01-15", null, null))]), ServiceDefaults.Json);
        Assert.True((await ProblemAssert.IsProblemAsync(both, 400, "invalid-request")).GetProperty("errors").TryGetProperty("items[0]", out _));
        var neither = await link.PostAsJsonAsync("api/link-keys", new LinkKeyRequest("agency-chiba", [new LinkKeyItem("x", null)]), ServiceDefaults.Json);
        await ProblemAssert.IsProblemAsync(neither, 400, "invalid-request");
    }

    [Theory, StorageData]
    public async Task Bad_requests_and_callers_without_the_permission_are_refused(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var a = await registry.RegisterBirthAsync();
        var link = registry.Client("link-token");
        var noAgency = await link.PostAsJsonAsync("api/link-keys", new LinkKeyRequest(null, [new LinkKeyItem("a1", a.IndividualNumber)]));
        await ProblemAssert.IsProblemAsync(noAgency, 400, "invalid-request");
        var numberAsAcquisition = await link.PostAsJsonAsync("api/link-keys", new LinkKeyRequest("agency", [new LinkKeyItem(a.IndividualNumber, a.IndividualNumber)]));
        var problem = await ProblemAssert.IsProblemAsync(numberAsAcquisition, 400, "invalid-request");
        Assert.True(problem.GetProperty("errors").TryGetProperty("items[0].acquisitionNumber", out _));
        Assert.DoesNotContain(a.IndividualNumber!, problem.ToString());
        // Nor may one hold a number inside it: the acquisition number travels to the core and the agency's node.
        foreach (var acquisition in new[] { "a" + a.IndividualNumber, a.IndividualNumber![..4] + "_" + a.IndividualNumber[4..8] + "_" + a.IndividualNumber[8..] })
        {
            var inside = await ProblemAssert.IsProblemAsync(await link.PostAsJsonAsync("api/link-keys",
                new LinkKeyRequest("agency", [new LinkKeyItem(acquisition, a.IndividualNumber)])), 400, "invalid-request");
            Assert.True(inside.GetProperty("errors").TryGetProperty("items[0].acquisitionNumber", out _));
        }
        var duplicate = await link.PostAsJsonAsync("api/link-keys", new LinkKeyRequest("agency", [new LinkKeyItem("a1", a.IndividualNumber), new LinkKeyItem("a1", a.IndividualNumber)]));
        await ProblemAssert.IsProblemAsync(duplicate, 400, "invalid-request");
        var nullItem = await link.PostAsync("api/link-keys", new StringContent("""{"agency":"agency","items":[null]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.True((await ProblemAssert.IsProblemAsync(nullItem, 400, "invalid-request")).GetProperty("errors").TryGetProperty("items[0]", out _));
        var empty = await link.PostAsJsonAsync("api/link-keys", new LinkKeyRequest("agency", []));
        await ProblemAssert.IsProblemAsync(empty, 400, "invalid-request");
        var clerk = await registry.Client("chiba-clerk").PostAsJsonAsync("api/link-keys", new LinkKeyRequest("agency", [new LinkKeyItem("a1", a.IndividualNumber)]));
        await ProblemAssert.IsProblemAsync(clerk, 403, "forbidden");
    }

    [Theory, StorageData]
    public async Task A_basic_four_item_longer_than_the_register_holds_refuses_the_request_naming_the_item(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var a = await registry.RegisterBirthAsync();
        var response = await registry.Client("link-token").PostAsJsonAsync("api/link-keys", new LinkKeyRequest("agency",
        [
            new LinkKeyItem("a1", a.IndividualNumber),
            new LinkKeyItem("a2", null, new BasicFourQuery("山田", new string('あ', 100_000), "2026-01-15")),
            new LinkKeyItem("a3", null, new BasicFourQuery(new string('山', 51), "太郎", "2026-01-15", null, "千葉県千葉市中央区" + new string('一', 192))),
            new LinkKeyItem("a4", null, new BasicFourQuery(new string('山', 50), "太郎", "2026-01-15", null, "千葉県千葉市中央区" + new string('一', 191))),
        ]), ServiceDefaults.Json);
        var problem = await ProblemAssert.IsProblemAsync(response, 400, "invalid-request");
        Assert.Equal(["items[1].basicFour.givenName", "items[2].basicFour.address", "items[2].basicFour.familyName"],
            problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(a.IndividualNumber!, problem.ToString());
    }

    private static async Task<LinkKeyResponse> Request(RegistryHost registry, string agency, params (string Acquisition, string? Number)[] items)
    {
        var response = await registry.Client("link-token").PostAsJsonAsync("api/link-keys",
            new LinkKeyRequest(agency, items.Select(i => new LinkKeyItem(i.Acquisition, i.Number)).ToList()), ServiceDefaults.Json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        foreach (var (_, number) in items) Assert.DoesNotContain(number!, body);
        return System.Text.Json.JsonSerializer.Deserialize<LinkKeyResponse>(body, ServiceDefaults.Json)!;
    }
}
