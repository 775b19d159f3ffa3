using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Municipalities;
using Renkei.Registry.Residents;
using Renkei.Registry.Tests.Corporations;
using Renkei.Testing;
using static Renkei.Registry.Tests.Corporations.CorporateNumberSearchTests;

namespace Renkei.Registry.Tests.Municipalities;

/// <summary>Registry:DemoData: the sandbox's municipalities and corporations, which a production register must not publish.</summary>
public sealed class DemoDataTests
{
    private static async Task<List<string>> CodesAsync(RegistryHost host) =>
        [.. (await host.Client().GetFromJsonAsync<JsonElement>("/api/municipalities")).EnumerateArray().Select(m => m.GetProperty("code").GetString()!)];

    private static async Task<int> CorporationsNamedAsync(RegistryHost host, string name) =>
        (await Publication.GetAsync(host.Client(), $"/4/name?id=sandbox&type=22&mode=2&name={Uri.EscapeDataString(name)}")).Records.Count;

    private static async Task<int> NationalTaxAgencyAsync(RegistryHost host) =>
        (await Publication.GetAsync(host.Client(), $"/4/num?id=sandbox&type=22&number={Renkei.Registry.Corporations.CorporationSeed.NationalTaxAgency}")).Records.Count;

    [Theory, StorageData]
    public async Task By_default_and_when_true_the_demo_municipalities_and_corporations_are_there(StorageProvider provider)
    {
        foreach (var settings in new Dictionary<string, string?>?[] { null, new() { ["Registry:DemoData"] = "true" } })
        {
            await using var host = await RegistryHost.StartAsync(provider, settings);
            Assert.Equal(DemoMunicipalities.All.Select(m => m.Code.Digits).Order(), await CodesAsync(host));
            Assert.Equal(1, await NationalTaxAgencyAsync(host));
            Assert.True(await CorporationsNamedAsync(host, "商事") > 0);
        }
    }

    [Theory, StorageData]
    public async Task When_false_the_registry_starts_with_no_municipality_and_no_corporation(StorageProvider provider)
    {
        await using var host = await RegistryHost.StartAsync(provider, new Dictionary<string, string?> { ["Registry:DemoData"] = "false" });
        Assert.Empty(await CodesAsync(host));
        Assert.Equal(0, await NationalTaxAgencyAsync(host));
        Assert.Equal(0, await CorporationsNamedAsync(host, "商事"));
        Assert.Equal(0, await CorporationsNamedAsync(host, "市"));
        using (var events = await host.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("birth",
                   Person: RegistryHost.Person(dateOfBirth: "2026-01-15"), Address: "千葉県千葉市中央区中央1丁目1番1号")))
            Assert.Equal(HttpStatusCode.NotFound, events.StatusCode);

        // What the operator registers works as on the sandbox; a new national body is still numbered above the real ones.
        using (var put = await host.Client("admin-token").PutAsJsonAsync($"/api/municipalities/{RegistryHost.Chiba}",
                   new { prefecture = "千葉県", name = "千葉市", nameKana = "チバシ" }))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal([RegistryHost.Chiba], await CodesAsync(host));
        await host.RegisterBirthAsync();
        var number = await RegisterAsync(host.Client("corporations"), Company("試験庁", "シケンチョウ", kind: "101"));
        Assert.Equal(CorporateNumber.FromBase(12_900_001).Digits, number);
    }

    [Theory, StorageData]
    public async Task Turning_it_off_removes_nothing_already_there(StorageProvider provider)
    {
        await using var demo = await RegistryHost.StartAsync(provider, (IReadOnlyDictionary<string, string?>?)null);
        var born = await demo.RegisterBirthAsync();
        // The same database and data folder, started again without demo data.
        await using var production = await RegistryHost.StartAsync(provider, new Dictionary<string, string?>
        {
            ["Registry:DemoData"] = "false",
            ["Storage:ConnectionString"] = demo.Database.ConnectionString,
            ["Registry:DataFolder"] = demo.DataFolder,
        });
        Assert.Equal(DemoMunicipalities.All.Count, (await CodesAsync(production)).Count);
        Assert.Equal(1, await NationalTaxAgencyAsync(production));
        Assert.True(await CorporationsNamedAsync(production, "商事") > 0);
        using var resident = await production.Client("chiba-clerk").GetAsync($"/api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}");
        Assert.Equal(HttpStatusCode.OK, resident.StatusCode);
    }
}
