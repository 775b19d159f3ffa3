using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>Several inquiries in one relay message: each keeps its own message id, outcome, sealed answer and records.</summary>
public class RelayMessageTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    private static List<string> RelayMessages(LinkageNetwork network, string path) =>
        [.. network.Messages.Where(m => m.Contains(path + " -> ", StringComparison.Ordinal))];

    [Theory, StorageData]
    public async Task Inquiries_made_while_others_are_on_their_way_leave_together_and_each_keeps_its_own_answer_and_records(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 8, atKashiwa: 8, withCopy: 7);
        var clerk = network.NodeClient("bunkyo-child-clerk");
        Task<HttpResponseMessage> Ask(int i) => clerk.PostAsJsonAsync($"api/tenants/{B}/inquiries",
            new { addresseeNumber = $"B-{i}", affair = "child-allowance", provider = K, item = "local-tax" }, ServiceDefaults.Json);
        var sentBefore = RelayMessages(network, "/api/relay/inquiries").Count;

        // Two messages on their way (the node's limit per tenant), held at the core's door; six more inquiries wait behind them.
        network.RelayGate.Close();
        // One after the other: asked together, both could leave in one message before the relay's loop first looked.
        var first = new List<Task<HttpResponseMessage>> { Ask(1) };
        await Eventually.HoldsAsync(() => network.RelayGate.Held == 1, "the first message held");
        first.Add(Ask(2));
        await Eventually.HoldsAsync(() => network.RelayGate.Held == network.NodeOptions.RelayInFlight, "two messages held");
        var rest = Enumerable.Range(3, 6).Select(Ask).ToList();
        await Eventually.HoldsAsync(() => network.NodeRelay.Waiting(B) == 6, "six inquiries waiting");
        network.RelayGate.Open();
        var answers = new List<JsonElement>();
        foreach (var response in await Task.WhenAll(first.Concat(rest))) answers.Add(await LinkageNetwork.Ensure(response));

        // Three messages carried the eight inquiries: the six waiting ones in one.
        var sent = RelayMessages(network, "/api/relay/inquiries").Skip(sentBefore).ToList();
        Assert.Equal(3, sent.Count);
        var carried = sent.Select(m => JsonDocument.Parse(m[(m.IndexOf(" -> ", StringComparison.Ordinal) + 4)..]).RootElement)
            .Select(e => e.Deserialize<Envelope>(ServiceDefaults.Json)!.BodyAs<InquiryBody>(RelayKinds.Inquiries)!.Count).Order().ToList();
        Assert.Equal([1, 1, 6], carried);

        // Each answer is the asker's own: seven copies, and no data for the eighth person.
        var outcomes = answers.Select(a => a.GetProperty("outcome").GetString()).ToList();
        Assert.Equal([.. Enumerable.Repeat("provided", 7), "no-data"], outcomes);
        for (var i = 0; i < 7; i++) Assert.Equal(1_000_000 + i + 1, answers[i].GetProperty("content").GetProperty("totalIncome").GetInt32());
        var ids = answers.Select(a => a.GetProperty("messageId").GetString()!).ToList();
        Assert.Equal(8, ids.Distinct().Count());

        // Every party recorded each inquiry under its own message id, and each log is intact.
        await using (var c = await network.CoreDatabase.OpenAsync())
            Assert.Equal(ids.Order(), (await c.QueryAsync("SELECT message_id FROM provision_records", r => r.GetString(0))).Order());
        foreach (var tenant in new[] { B, K })
        {
            await using var t = await network.TenantDatabases[tenant].OpenAsync();
            Assert.Equal(ids.Order(), (await t.QueryAsync("SELECT message_id FROM provision_records", r => r.GetString(0))).Order());
            var auditor = network.NodeClient(tenant == K ? "kashiwa-auditor" : "bunkyo-auditor");
            Assert.True((await LinkageNetwork.Ensure(await auditor.GetAsync($"api/tenants/{tenant}/records/verify"))).GetProperty("intact").GetBoolean());
        }
    }

    [Theory, StorageData]
    public async Task The_core_answers_each_inquiry_of_a_message_on_its_own_and_refuses_a_message_it_cannot_read(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        await MovedFamily.ArrangeAsync(network);
        var bunkyo = network.NodeTenants.Find(B)!;
        var code = (await bunkyo.AgencyCodeOfAsync("B-0001"))!;
        Task<HttpResponseMessage> Send(string body) => network.SendInquiriesAsync(body);
        InquiryBody Inquiry(string affair = "child-allowance", string? agencyCode = null) => new(Envelope.NewId(), agencyCode ?? code, affair, K, "local-tax", null);
        Task<long> Recorded() => LinkageNetwork.CountAsync(network.CoreDatabase);

        // One message: a permitted inquiry, one the table refuses, and one with a code no agency was given.
        var asked = new[] { Inquiry(), Inquiry(affair: "pet-registration"), Inquiry(agencyCode: new string('A', code.Length)) };
        var reply = (await (await Send(JsonSerializer.Serialize(asked, ServiceDefaults.Json))).Content.ReadFromJsonAsync<Envelope>(ServiceDefaults.Json))!;
        var answers = reply.BodyAs<ProvisionAnswer>(RelayKinds.InquiryResults)!;
        Assert.Equal(asked.Select(a => a.MessageId), answers.Select(a => a.MessageId));
        Assert.Equal([(Outcome.Provided, null), (Outcome.NotPermitted, "affair-not-in-table"), (Outcome.Error, "unknown-code")],
            answers.Select(a => (a.Outcome, a.Reason)));
        // Each payload opens only under its own inquiry's message id.
        Assert.NotNull(answers[0].Sealed!.Open(bunkyo.Keys.Encryption, asked[0].MessageId));
        Assert.Null(answers[0].Sealed!.Open(bunkyo.Keys.Encryption, asked[1].MessageId));
        Assert.Equal(3L, await Recorded());
        // The code is recorded only where the core made it for Bunkyo: a code of the right form may spell anything (a number, a
        // name), and the refused inquiry for the real person stays where that person finds it.
        await using (var c = await network.CoreDatabase.OpenAsync())
            Assert.Equal([(asked[0].MessageId, code), (asked[1].MessageId, code), (asked[2].MessageId, null)],
                await c.QueryAsync("SELECT message_id, code FROM provision_records ORDER BY seq", r => (r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1))));
        var spelled = Inquiry(agencyCode: "MyNumber-123456789018-YamadaTaro-" + new string('A', code.Length - 33)) with { Provider = "011002" };
        await Send(JsonSerializer.Serialize(new[] { spelled, Inquiry(affair: "pet-registration", agencyCode: spelled.AgencyCode) }, ServiceDefaults.Json));
        await using (var c = await network.CoreDatabase.OpenAsync())
            Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records WHERE code LIKE '%Yamada%'"));

        // An inquiry's message id serves once: a later message that reuses one is refused whole.
        await ProblemAssert.IsProblemAsync(await Send(JsonSerializer.Serialize(new[] { Inquiry(), asked[0] }, ServiceDefaults.Json)), 409, "reused-message-id");
        Assert.Equal(5L, await Recorded());

        // A provider whose node cannot be reached costs only its own inquiries in the message.
        using var chiba = PartyKeys.Generate();
        await LinkageNetwork.Ensure(await network.CoreClient("operator-token").PutAsJsonAsync("api/agencies/121002", new
        {
            kind = "municipality", name = "千葉市", localGovernmentCode = "121002", nodeAddress = "https://127.0.0.1:9/", nodeId = LinkageNetwork.NodeId,
            signingKey = chiba.Public.SigningKey, encryptionKey = chiba.Public.EncryptionKey,
        }, ServiceDefaults.Json));
        var mixed = new[] { Inquiry(), Inquiry() with { Provider = "121002" } };
        reply = (await (await Send(JsonSerializer.Serialize(mixed, ServiceDefaults.Json))).Content.ReadFromJsonAsync<Envelope>(ServiceDefaults.Json))!;
        Assert.Equal([(Outcome.Provided, null), (Outcome.Error, "provider-unreachable")],
            reply.BodyAs<ProvisionAnswer>(RelayKinds.InquiryResults)!.Select(a => (a.Outcome, a.Reason)));
        Assert.Equal(7L, await Recorded());

        // Messages the core cannot read are refused whole, and nothing of them is recorded.
        var same = Inquiry();
        foreach (var body in new[]
        {
            JsonSerializer.Serialize(new[] { same, same with { Affair = "pet-registration" } }, ServiceDefaults.Json), // one message id twice
            "[]",
            JsonSerializer.Serialize(Enumerable.Range(0, RelayKinds.MaxPerMessage + 1).Select(_ => Inquiry()), ServiceDefaults.Json),
            JsonSerializer.Serialize(Inquiry(), ServiceDefaults.Json), // one inquiry, not in a list
            JsonSerializer.Serialize(new[] { Inquiry() with { Item = "" } }, ServiceDefaults.Json),
            "[null]",
            "{not json",
            JsonSerializer.Serialize(new[] { Inquiry() with { MessageId = "not-an-id" } }, ServiceDefaults.Json),
            // Only a code's own form reaches the core's undeletable log: never a number, nor text of any length.
            JsonSerializer.Serialize(new[] { Inquiry(agencyCode: "123456789018") }, ServiceDefaults.Json),
            JsonSerializer.Serialize(new[] { Inquiry(agencyCode: code[..^1] + "=") }, ServiceDefaults.Json),
            JsonSerializer.Serialize(new[] { Inquiry(agencyCode: code + "A") }, ServiceDefaults.Json),
            JsonSerializer.Serialize(new[] { Inquiry(agencyCode: new string('A', 200_000)) }, ServiceDefaults.Json),
            JsonSerializer.Serialize(new[] { Inquiry() with { Provider = "2323 6592 9171" } }, ServiceDefaults.Json),
            JsonSerializer.Serialize(new[] { Inquiry(affair: "child-allowance-232365929171") }, ServiceDefaults.Json),
            JsonSerializer.Serialize(new[] { Inquiry() with { Item = "２３２３６５９２９１７１" } }, ServiceDefaults.Json),
        })
            await ProblemAssert.IsProblemAsync(await Send(body), 400, "malformed-inquiry");
        Assert.Equal(7L, await Recorded());
    }

    [Theory, StorageData]
    public async Task A_provider_node_refuses_a_core_signed_request_it_could_not_record_and_records_nothing_of_it(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        await MovedFamily.ArrangeAsync(network);
        var kashiwa = network.NodeTenants.Find(K)!;
        var code = (await kashiwa.AgencyCodeOfAsync("K-0001"))!;
        var requester = network.NodeTenants.Find(B)!.Keys.Public.EncryptionKey;
        ProvisionRequest Request(string? id = null) => new(id ?? Envelope.NewId(), B, requester, "child-allowance", "local-tax", code, null, DateTimeOffset.UtcNow);
        Task<HttpResponseMessage> Send(object requests) => network.SendProvisionRequestsAsync(K, JsonSerializer.Serialize(requests, ServiceDefaults.Json));
        Task<long> Recorded() => LinkageNetwork.CountAsync(kashiwa.Database);

        // Genuine: answered and recorded.
        var good = Request();
        var reply = (await (await Send(new[] { good })).Content.ReadFromJsonAsync<Envelope>(ServiceDefaults.Json))!;
        Assert.Equal(Outcome.Provided, Assert.Single(reply.BodyAs<ProvisionAnswer>(RelayKinds.Provisions)!).Outcome);
        Assert.Equal(1L, await Recorded());

        // Signed by the core, yet a record could not be written for it: refused whole, before anything is recorded.
        var same = Request();
        foreach (var requests in new object[]
        {
            new[] { Request(), Request() with { Affair = "" } },
            new[] { same, same },
            new[] { Request(id: "not-an-id") },
            new[] { Request() with { RequesterEncryptionKey = "bm90IGEga2V5" } },
            Array.Empty<ProvisionRequest>(),
        })
            await ProblemAssert.IsProblemAsync(await Send(requests), 400, "malformed-request");
        Assert.Equal(1L, await Recorded());
    }

    [Fact]
    public async Task A_refused_message_is_logged_under_the_kind_the_endpoint_takes_never_the_kind_it_claims()
    {
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite);
        var bunkyo = network.NodeTenants.Find(B)!;
        using var stranger = PartyKeys.Generate();
        var core = network.Presenting(network.NodeCertificate, network.Core);
        // Any node's certificate reaches this far; the signature is not Bunkyo's, so the message is refused before it is read.
        var claimed = "山田太郎 1985-04-01 千葉県柏市 " + new string('x', 4096);
        foreach (var path in new[] { "api/relay/inquiries", "api/witness" })
        {
            var response = await core.PostAsJsonAsync(path, Envelope.Create(B, "core", claimed, "[]", stranger.Signing, TimeProvider.System), ServiceDefaults.Json);
            Assert.Equal(401, (int)response.StatusCode);
        }
        var refusals = network.Logs.Lines.Where(l => l.Contains("Refused a message sent as", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, refusals.Count);
        Assert.DoesNotContain(network.Logs.Lines, l => l.Contains("山田", StringComparison.Ordinal) || l.Contains("xxxx", StringComparison.Ordinal));
        // Under the relay's own category: the core's decision, not the protocol library's (audit L, L5).
        Assert.Contains(refusals, l => l.StartsWith($"Warning Renkei.Core.Relay.RelayApi: Refused a message sent as {RelayKinds.Inquiries}:", StringComparison.Ordinal));
        Assert.Contains(refusals, l => l.StartsWith($"Warning Renkei.Core.Records.WitnessApi: Refused a message sent as {ConsistencyProof.MessageKind}:", StringComparison.Ordinal));
    }
}
