using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit I, finding 5: the requester's node took a provided payload whatever it held (another item than asked, content
/// outside the layout, an Individual Number) and passed it on, and into a batch's results, as the item asked.
/// </summary>
public class ProvidedCopyTests
{
    private const string B = LinkageNetwork.Bunkyo, Chiba = StubProviderNode.Agency, Number = "123456789018";

    private const string Tax = """{"fiscalYear":2025,"totalIncome":3200000,"taxableIncome":2200000,"municipalTax":130000,"prefecturalTax":87000}""";

    private static (string?, string?) OutcomeOf(JsonElement answer) =>
        (answer.GetProperty("outcome").GetString(), answer.TryGetProperty("reason", out var reason) ? reason.GetString() : null);

    private static string Copy(string item, string content, int version = 1) =>
        $$"""{"item":"{{item}}","schemaVersion":{{version}},"content":{{content}},"updatedAt":"2026-04-01T00:00:00Z"}""";

    [Theory, StorageData]
    public async Task A_provided_copy_of_another_item_or_outside_its_layout_is_refused_by_the_requesters_node_and_nothing_of_it_is_kept(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        var payload = Copy("local-tax", Tax);
        await using var node = await StubProviderNode.StartAsync(network, r => new(r.MessageId, Outcome.Provided, null,
            SealedPayload.Sealer.For(r.RequesterEncryptionKey, TimeProvider.System).Seal(payload, r.MessageId), RelayKinds.WholeSecondFrom(DateTimeOffset.UtcNow), false));

        // What an honest node gives goes through.
        var honest = await family.AnswerAsync("bunkyo-child-clerk", provider: Chiba);
        Assert.Equal("provided", honest.GetProperty("outcome").GetString());
        Assert.Equal(130000, honest.GetProperty("content").GetProperty("municipalTax").GetInt32());

        foreach (var bad in new[]
        {
            // Public assistance, well formed in its own layout, for a local-tax inquiry: an item no permission row allowed.
            Copy("public-assistance", """{"status":"receiving","since":"2024-04-01","monthlyAmount":80000}"""),
            Copy("local-tax", Tax.Replace("130000", Number)),
            Copy("local-tax", Tax.Replace("}", $$""","note":"{{Number}}"}""")),
            Copy("local-tax", """{"fiscalYear":2025}"""),
            Copy("local-tax", Tax, version: 9),
        })
        {
            payload = bad;
            var given = await family.AnswerAsync("bunkyo-child-clerk", provider: Chiba);
            Assert.Equal(("error", "provider-answer-invalid"), OutcomeOf(given));
            Assert.Equal("local-tax", given.GetProperty("item").GetString());
            Assert.False(given.TryGetProperty("content", out var content) && content.ValueKind != JsonValueKind.Null, given.ToString());
            await using var c = await network.TenantDatabases[B].OpenAsync();
            Assert.Equal(["Error|provider-answer-invalid"], await c.QueryAsync("SELECT outcome, reason FROM provision_records WHERE message_id = @m",
                r => $"{r.GetString(0)}|{r.GetString(1)}", null, ("m", given.GetProperty("messageId").GetString())));
        }

        // In a batch, nothing of it is kept among the results either.
        payload = Copy("local-tax", Tax.Replace("130000", Number));
        var submitted = await network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{B}/inquiry-batches",
            new { affair = "child-allowance", provider = Chiba, item = "local-tax", addresseeNumbers = new[] { "B-0001" } }, ServiceDefaults.Json);
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var id = (await LinkageNetwork.Ensure(submitted)).GetProperty("batchId").GetString()!;
        var people = new BatchPeople { Network = network, IndividualNumbers = [] };
        var result = (await people.DoneAsync(id)).GetProperty("results")[0];
        Assert.Equal(("error", "provider-answer-invalid"), OutcomeOf(result));

        Assert.DoesNotContain(Number, await LinkageNetwork.DumpAsync(network.TenantDatabases[B]));
        Assert.DoesNotContain("receiving", await LinkageNetwork.DumpAsync(network.TenantDatabases[B]));
        Assert.DoesNotContain(network.Logs.Lines, l => l.Contains(Number, StringComparison.Ordinal));
        Assert.Equal(6, network.Logs.Lines.Count(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("recorded as provider-answer-invalid")
            && l.Contains("Provider 121002", StringComparison.Ordinal)));
    }
    [Theory, StorageData]
    public async Task A_stored_copy_its_layout_now_refuses_is_not_handed_out_and_all_three_records_say_provider_answer_invalid(StorageProvider provider)
    {
        // Audit O, finding 1: a copy stored before a rule was added (here a total income with a digit before an Individual
        // Number, which copies took until the rule on ten billion and more) was provided and recorded so by the provider and the
        // core, while the requester's node refused it: the three records of one inquiry disagreed, and the provider never knew.
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        await using (var c = await network.TenantDatabases[LinkageNetwork.Kashiwa].OpenAsync())
            await c.ExecuteAsync("UPDATE copies SET content = @c WHERE addressee_number = 'K-0001'", null, ("c", Tax.Replace("3200000", "1" + Number)));

        var answer = await family.AnswerAsync("bunkyo-child-clerk");
        Assert.Equal(("error", "provider-answer-invalid"), OutcomeOf(answer));
        var messageId = answer.GetProperty("messageId").GetString()!;
        foreach (var database in new[] { network.TenantDatabases[B], network.CoreDatabase, network.TenantDatabases[LinkageNetwork.Kashiwa] })
        {
            await using var c = await database.OpenAsync();
            Assert.Equal(["Error|provider-answer-invalid"], await c.QueryAsync("SELECT outcome, reason FROM provision_records WHERE message_id = @m",
                r => $"{r.GetString(0)}|{r.GetString(1)}", null, ("m", messageId)));
        }
        // The provider's node says so, naming the tenant, the item and the inquiry; the core sees an honest node's answer.
        Assert.Single(network.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal)
            && l.Contains($"Tenant {LinkageNetwork.Kashiwa} holds a copy of local-tax that its layout refuses", StringComparison.Ordinal) && l.Contains(messageId, StringComparison.Ordinal));
        Assert.DoesNotContain(network.Logs.Lines, l => l.Contains("no honest node gives", StringComparison.Ordinal));
        Assert.DoesNotContain(network.Logs.Lines, l => l.Contains(Number, StringComparison.Ordinal));
        Assert.DoesNotContain(network.Messages, m => m.Contains(Number, StringComparison.Ordinal));

        // Stored again in the layout, it is provided.
        await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{LinkageNetwork.Kashiwa}/copies/K-0001/local-tax",
            Copies.CopyTests.Tax()));
        Assert.Equal(("provided", null), OutcomeOf(await family.AnswerAsync("bunkyo-child-clerk")));
    }
}
