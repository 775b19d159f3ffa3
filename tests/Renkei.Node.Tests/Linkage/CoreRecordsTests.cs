using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

public class CoreRecordsTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    [Theory, StorageData]
    public async Task The_core_finds_every_record_about_a_person_from_one_agencys_code_whoever_asked_and_proves_a_record_only_to_the_holder_of_its_code(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        var byBunkyo = (await family.AnswerAsync("bunkyo-child-clerk")).GetProperty("messageId").GetString();
        // Kashiwa asks Bunkyo about the same person (Bunkyo holds no copy): the core records Kashiwa's code for it.
        var byKashiwa = (await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-child-clerk").PostAsJsonAsync($"api/tenants/{K}/inquiries",
            new { addresseeNumber = "K-0001", affair = "child-allowance", provider = B, item = "local-tax" }, ServiceDefaults.Json))).GetProperty("messageId").GetString();

        var codeAtB = (await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-auditor").GetAsync($"api/tenants/{B}/records?addresseeNumber=B-0001")))[0].GetProperty("code").GetString();
        var codeAtK = (await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-auditor").GetAsync($"api/tenants/{K}/records?addresseeNumber=K-0001")))[0].GetProperty("code").GetString();
        var core = network.CoreClient("auditor-token");
        async Task<List<string?>> Ids(string query) =>
            (await LinkageNetwork.Ensure(await core.GetAsync($"api/records?{query}"))).EnumerateArray().Select(r => r.GetProperty("messageId").GetString()).ToList();

        // By the code alone: what that agency asked.
        Assert.Equal([byBunkyo], await Ids($"code={codeAtB}"));
        Assert.Equal([byKashiwa], await Ids($"code={codeAtK}"));
        // With the agency whose code it is: everything about the person, from either agency's code.
        Assert.Equal([byBunkyo, byKashiwa], await Ids($"code={codeAtB}&agency={B}"));
        Assert.Equal([byBunkyo, byKashiwa], await Ids($"code={codeAtK}&agency={K}"));
        // The records found keep only the code the caller gave: the other agency's code for the person never leaves the core.
        var found = (await LinkageNetwork.Ensure(await core.GetAsync($"api/records?code={codeAtB}&agency={B}"))).GetRawText();
        Assert.Contains(codeAtB!, found);
        Assert.DoesNotContain(codeAtK!, found);

        // Nor through a record's proof, which shows the record whole: it is given only for the code the record holds.
        var kashiwasRecord = JsonDocument.Parse(found).RootElement.EnumerateArray().Single(r => r.GetProperty("messageId").GetString() == byKashiwa);
        Assert.False(kashiwasRecord.TryGetProperty("code", out var hidden) && hidden.ValueKind != JsonValueKind.Null);
        var proofUrl = $"api/records/{kashiwasRecord.GetProperty("recordId").GetString()}/proof";
        await ProblemAssert.IsProblemAsync(await core.GetAsync(proofUrl), 400, "code-required");
        var refused = await core.GetAsync($"{proofUrl}?code={Uri.EscapeDataString(codeAtB!)}");
        Assert.DoesNotContain(codeAtK!, await refused.Content.ReadAsStringAsync());
        await ProblemAssert.IsProblemAsync(refused, 404, "unknown-record");
        var proof = (await core.GetFromJsonAsync<Renkei.Protocol.Records.InclusionProof>($"{proofUrl}?code={Uri.EscapeDataString(codeAtK!)}", ServiceDefaults.Json))!;
        Assert.Equal(codeAtK, proof.Record.Code);
        Assert.Equal(byKashiwa, proof.Record.MessageId);

        await ProblemAssert.IsProblemAsync(await core.GetAsync($"api/records?code={codeAtK}&agency={B}"), 404, "unknown-code");
        await ProblemAssert.IsProblemAsync(await core.GetAsync($"api/records?code={codeAtB}&agency=999999"), 404, "unknown-agency");
        await ProblemAssert.IsProblemAsync(await core.GetAsync($"api/records?agency={B}"), 400, "code-required");
        // A number or any other text where a code belongs: no record can hold it, so an empty page would mislead.
        foreach (var notACode in new[] { "868861113345", new string('A', 63), new string('A', 63) + "=" })
        {
            await ProblemAssert.IsProblemAsync(await core.GetAsync($"api/records?code={Uri.EscapeDataString(notACode)}"), 400, "malformed-code");
            await ProblemAssert.IsProblemAsync(await core.GetAsync($"api/records/r-1/proof?code={Uri.EscapeDataString(notACode)}"), 400, "malformed-code");
        }
        await ProblemAssert.IsProblemAsync(await network.CoreClient().GetAsync($"api/records?code={codeAtB}&agency={B}"), 401, "unauthenticated");
    }
}
