using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

public class OrdinanceAndWithheldTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    [Theory, StorageData]
    public async Task An_ordinance_affair_links_inside_its_own_municipality_only(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-tax-system").PutAsJsonAsync($"api/tenants/{B}/copies/B-0001/local-tax", Copies.CopyTests.Tax(2_800_000)));

        // 条例による独自利用: Bunkyo's subsidy office asks Bunkyo's own tax copy through the network.
        var own = await family.AnswerAsync("bunkyo-medical-clerk", affair: "bunkyo-child-medical-subsidy", provider: B);
        Assert.Equal("provided", own.GetProperty("outcome").GetString());
        Assert.Equal(2_800_000, own.GetProperty("content").GetProperty("totalIncome").GetInt32());

        // The same affair reaches no other municipality: Kashiwa holds a copy, but no row lets Bunkyo's ordinance ask for it.
        var other = await family.AnswerAsync("bunkyo-medical-clerk", affair: "bunkyo-child-medical-subsidy", provider: K);
        Assert.Equal("not-permitted", other.GetProperty("outcome").GetString());
        Assert.False(other.TryGetProperty("content", out var leaked) && leaked.ValueKind != JsonValueKind.Null);

        var records = await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-auditor").GetAsync($"api/tenants/{B}/records?addresseeNumber=B-0001"));
        // Bunkyo is requester and provider of the first inquiry, so its log holds that inquiry twice, once in each role.
        var rows = records.EnumerateArray().Select(r => (Id: r.GetProperty("messageId").GetString(), Outcome: r.GetProperty("outcome").GetString(),
            Requester: r.GetProperty("requester").GetString(), Provider: r.GetProperty("provider").GetString())).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Equal(2, rows.Count(r => r.Id == own.GetProperty("messageId").GetString() && r is { Outcome: "provided", Requester: B, Provider: B }));
        Assert.Single(rows, r => r.Id == other.GetProperty("messageId").GetString() && r is { Outcome: "not-permitted", Requester: B, Provider: K });
        Assert.All(records.EnumerateArray(), r => Assert.Equal("bunkyo-child-medical-subsidy", r.GetProperty("affair").GetString()));
    }

    [Theory, StorageData]
    public async Task A_withheld_copy_is_provided_and_marked_withheld_in_all_three_parties_records(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        // 不開示: the provider's business system marks the copy as not to be shown to the person.
        await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{K}/copies/K-0001/local-tax",
            new { schemaVersion = 1, content = new { fiscalYear = 2025, totalIncome = 3_100_000, taxableIncome = 2_100_000, municipalTax = 120_000, prefecturalTax = 80_000, dependents = 2 }, withheld = true }));
        var answer = await family.AnswerAsync("bunkyo-child-clerk");
        Assert.Equal("provided", answer.GetProperty("outcome").GetString());
        var messageId = answer.GetProperty("messageId").GetString();

        var atB = Assert.Single((await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-auditor").GetAsync($"api/tenants/{B}/records?addresseeNumber=B-0001"))).EnumerateArray());
        var atK = Assert.Single((await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-auditor").GetAsync($"api/tenants/{K}/records?addresseeNumber=K-0001"))).EnumerateArray());
        var atCore = Assert.Single((await LinkageNetwork.Ensure(await network.CoreClient("auditor-token").GetAsync($"api/records?code={atB.GetProperty("code").GetString()}"))).EnumerateArray());
        foreach (var r in new[] { atB, atK, atCore })
        {
            Assert.Equal(messageId, r.GetProperty("messageId").GetString());
            Assert.True(r.GetProperty("withheld").GetBoolean());
        }

        // A copy not withheld gives records that say so.
        await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{K}/copies/K-0001/local-tax", Copies.CopyTests.Tax()));
        await family.AnswerAsync("bunkyo-child-clerk");
        var latest = (await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-auditor").GetAsync($"api/tenants/{B}/records?addresseeNumber=B-0001"))).EnumerateArray().Last();
        Assert.False(latest.GetProperty("withheld").GetBoolean());
    }
}
