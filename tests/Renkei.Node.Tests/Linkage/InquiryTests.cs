using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>A family that moved from Kashiwa (city A) to Bunkyo (city B): Bunkyo's clerks ask Kashiwa for last year's income.</summary>
public sealed class MovedFamily
{
    public const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;
    public required LinkageNetwork Network { get; init; }
    public required string IndividualNumber { get; init; }

    public static async Task<MovedFamily> ArrangeAsync(LinkageNetwork network)
    {
        var (_, number) = await network.BirthAsync(K, "移転", "花子", "1988-07-07");
        await network.AddresseeSystemOf(K).IssueCodesAsync([("K-0001", number)]);
        await network.AddresseeSystemOf(B).IssueCodesAsync([("B-0001", number)]);
        await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{K}/copies/K-0001/local-tax", Copies.CopyTests.Tax()));
        return new MovedFamily { Network = network, IndividualNumber = number };
    }

    public async Task<HttpResponseMessage> AskAsync(string clerk, string affair = "child-allowance", string item = "local-tax", string provider = K, DateTimeOffset? notBefore = null) =>
        await Network.NodeClient(clerk).PostAsJsonAsync($"api/tenants/{B}/inquiries",
            new { addresseeNumber = "B-0001", affair, provider, item, notBefore }, ServiceDefaults.Json);

    public async Task<JsonElement> AnswerAsync(string clerk, string affair = "child-allowance", string item = "local-tax", string provider = K, DateTimeOffset? notBefore = null) =>
        await LinkageNetwork.Ensure(await AskAsync(clerk, affair, item, provider, notBefore));
}

public class InquiryTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    [Theory, StorageData]
    public async Task No_data_gives_one_reason_whether_the_provider_knows_the_person_or_not_and_all_three_records_agree(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        // B-1 is known to Kashiwa, without a copy; B-2 is not known to Kashiwa at all.
        await BatchPeople.ArrangeAsync(network, count: 2, atKashiwa: 1, withCopy: 0);
        foreach (var addressee in new[] { "B-1", "B-2" })
        {
            var answer = await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{B}/inquiries",
                new { addresseeNumber = addressee, affair = "child-allowance", provider = K, item = "local-tax" }, ServiceDefaults.Json));
            // B-2's answer used to say "no-addressee": the requester learnt whom the provider holds (for an insurer, who is enrolled).
            Assert.Equal(("no-data", "no-copy"), (answer.GetProperty("outcome").GetString(), answer.GetProperty("reason").GetString()));
            var messageId = answer.GetProperty("messageId").GetString()!;
            foreach (var database in new[] { network.TenantDatabases[B], network.CoreDatabase, network.TenantDatabases[K] })
            {
                await using var c = await database.OpenAsync();
                Assert.Equal(["NoData|no-copy"], await c.QueryAsync("SELECT outcome, reason FROM provision_records WHERE message_id = @m",
                    r => $"{r.GetString(0)}|{r.GetString(1)}", null, ("m", messageId)));
            }
        }
    }

    [Theory, StorageData]
    public async Task A_child_allowance_clerk_obtains_last_years_income_from_the_previous_city_and_all_three_parties_record_it(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        var answer = await family.AnswerAsync("bunkyo-child-clerk");
        Assert.Equal("provided", answer.GetProperty("outcome").GetString());
        Assert.Equal(3_200_000, answer.GetProperty("content").GetProperty("totalIncome").GetInt32());
        Assert.Equal(1, answer.GetProperty("schemaVersion").GetInt32());
        var messageId = answer.GetProperty("messageId").GetString()!;

        // The core relayed ciphertext: no message between services carries the income in the clear. Both legs were captured,
        // or the check would pass on nothing.
        Assert.Contains(network.Messages, m => m.Contains("/api/relay/inquiries -> ", StringComparison.Ordinal));
        Assert.Contains(network.Messages, m => m.Contains($"/api/tenants/{K}/provisions <- ", StringComparison.Ordinal));
        Assert.DoesNotContain(network.Messages, m => m.Contains("3200000") || m.Contains("totalIncome"));

        var atB = await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-auditor").GetAsync($"api/tenants/{B}/records?addresseeNumber=B-0001"));
        var atK = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-auditor").GetAsync($"api/tenants/{K}/records?addresseeNumber=K-0001"));
        await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-auditor").GetAsync($"api/tenants/{K}/records"), 400, "addressee-number-required");
        var recordB = Assert.Single(atB.EnumerateArray());
        var recordK = Assert.Single(atK.EnumerateArray());
        foreach (var r in new[] { recordB, recordK })
        {
            Assert.Equal(messageId, r.GetProperty("messageId").GetString());
            Assert.Equal("provided", r.GetProperty("outcome").GetString());
            Assert.Equal("child-allowance", r.GetProperty("affair").GetString());
            Assert.Equal(B, r.GetProperty("requester").GetString());
            Assert.Equal(K, r.GetProperty("provider").GetString());
            Assert.True(r.GetProperty("retainUntil").GetDateTimeOffset() > r.GetProperty("requestedAt").GetDateTimeOffset().AddYears(7).AddDays(-1));
        }
        // Each party knows the person by its own code.
        Assert.NotEqual(recordB.GetProperty("code").GetString(), recordK.GetProperty("code").GetString());
        var atCore = await LinkageNetwork.Ensure(await network.CoreClient("auditor-token").GetAsync($"api/records?code={recordB.GetProperty("code").GetString()}"));
        Assert.Equal(messageId, Assert.Single(atCore.EnumerateArray()).GetProperty("messageId").GetString());

        // The provider's record is in its signed head.
        var proof = (await network.NodeClient("kashiwa-auditor").GetFromJsonAsync<InclusionProof>(
            $"api/tenants/{K}/records/{recordK.GetProperty("recordId").GetString()}/proof", ServiceDefaults.Json))!;
        var kashiwaKey = (await network.NodeClient().GetFromJsonAsync<PublicKeys>($"api/tenants/{K}/keys", ServiceDefaults.Json))!.OpenSigningKey();
        Assert.True(proof.Verify(kashiwaKey));
        Assert.False((proof with { Head = proof.Head with { Size = proof.Head.Size + 1 } }).Verify(kashiwaKey));
    }

    [Theory, StorageData]
    public async Task Outcomes_no_data_copy_older_than_asked_and_not_permitted_are_answers_and_are_recorded(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);

        var noData = await family.AnswerAsync("bunkyo-child-clerk", item: "resident");
        Assert.Equal("no-data", noData.GetProperty("outcome").GetString());
        Assert.False(noData.TryGetProperty("content", out _));

        var older = await family.AnswerAsync("bunkyo-child-clerk", notBefore: DateTimeOffset.UtcNow.AddDays(1));
        Assert.Equal("copy-older-than-asked", older.GetProperty("outcome").GetString());
        Assert.False(older.TryGetProperty("content", out _));

        var notInTable = await family.AnswerAsync("bunkyo-pet-clerk", affair: "pet-registration");
        Assert.Equal(("not-permitted", "affair-not-in-table"), (notInTable.GetProperty("outcome").GetString(), notInTable.GetProperty("reason").GetString()));
        var wrongItem = await family.AnswerAsync("bunkyo-vaccination-clerk", affair: "vaccination", item: "local-tax");
        Assert.Equal(("not-permitted", "item-not-permitted"), (wrongItem.GetProperty("outcome").GetString(), wrongItem.GetProperty("reason").GetString()));
        var wrongProvider = await family.AnswerAsync("bunkyo-child-clerk", provider: LinkageNetwork.PensionService);
        Assert.Equal(("not-permitted", "provider-not-permitted"), (wrongProvider.GetProperty("outcome").GetString(), wrongProvider.GetProperty("reason").GetString()));

        var outcomes = (await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-auditor").GetAsync($"api/tenants/{B}/records?addresseeNumber=B-0001")))
            .EnumerateArray().Select(r => r.GetProperty("outcome").GetString()).ToList();
        Assert.Equal(["no-data", "copy-older-than-asked", "not-permitted", "not-permitted", "not-permitted"], outcomes);
        // The provider saw only the two requests the table allowed.
        var atK = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-auditor").GetAsync($"api/tenants/{K}/records?addresseeNumber=K-0001"));
        Assert.Equal(2, atK.GetArrayLength());
    }

    [Theory, StorageData]
    public async Task A_provided_payload_that_is_not_a_copy_is_an_error_answer_and_is_recorded(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var bunkyo = network.NodeTenants.Find(B)!;
        var request = new Node.Linkage.InquiryRequest("B-0001", "child-allowance", K, "local-tax");
        // Opened from the provider's sealed payload: not JSON, an empty object, a copy without content, JSON null.
        foreach (var opened in new[] { "not json", "{}", "{\"item\":\"local-tax\",\"schemaVersion\":1,\"updatedAt\":\"2025-01-01T00:00:00Z\"}", "null" })
        {
            var messageId = Envelope.NewId();
            var now = DateTimeOffset.UtcNow;
            var relayed = new Node.Linkage.RelayedAnswer(new ProvisionAnswer(messageId, Outcome.Provided, null, null, now, false), opened, FromCore: true);
            var answer = await Node.Linkage.InquiriesApi.AnswerAsync(bunkyo, request, "code-of-b-0001", messageId, now, relayed,
                network.NodeServices.GetRequiredService<Node.Linkage.KnownAgencies>(), network.NodeServices.GetRequiredService<Node.Copies.DataStandardLayout>(),
                Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            Assert.Equal((Outcome.Error, "unreadable-payload"), (answer.Outcome, answer.Reason));
            Assert.Null(answer.Content);
            // The answer is written to the caller as JSON without failing (a 500 before).
            Assert.Contains("unreadable-payload", JsonSerializer.Serialize(answer, ServiceDefaults.Json));
        }
        var records = await bunkyo.Records.ListByCodeAsync("code-of-b-0001");
        Assert.Equal(4, records.Count);
        Assert.All(records, r => Assert.Equal((Outcome.Error, "unreadable-payload", B, K), (r.Outcome, r.Reason, r.Requester, r.Provider)));
    }

    [Theory, StorageData]
    public async Task A_core_enforcing_an_operators_permission_table_file_allows_what_its_new_row_allows(StorageProvider provider)
    {
        // An ordinance adds an affair the built-in table does not have (the test above: affair-not-in-table).
        var table = global::Renkei.Core.Permissions.PermissionTable.LoadEmbedded();
        table.Affairs["pet-registration"] = "文京区ペット登録に関する事務 (条例) / Bunkyo's ordinance pet registration";
        table.Rows.Add(new("ORD-bunkyo-pet-registration", new(Agencies: [B]), "pet-registration", new(Agencies: [K]), ["local-tax"], "文京区条例 (試験)"));
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("permission-table.json"), JsonSerializer.Serialize(table, ServiceDefaults.Json));
        await using var network = await LinkageNetwork.StartAsync(provider, coreSettings: [new("Core:PermissionTableFile", folder.File("permission-table.json"))]);
        var family = await MovedFamily.ArrangeAsync(network);

        var answer = await family.AnswerAsync("bunkyo-pet-clerk", affair: "pet-registration");
        Assert.Equal("provided", answer.GetProperty("outcome").GetString());
        Assert.Equal(3_200_000, answer.GetProperty("content").GetProperty("totalIncome").GetInt32());
        // Rows the file does not change still hold.
        var wrongItem = await family.AnswerAsync("bunkyo-vaccination-clerk", affair: "vaccination", item: "local-tax");
        Assert.Equal(("not-permitted", "item-not-permitted"), (wrongItem.GetProperty("outcome").GetString(), wrongItem.GetProperty("reason").GetString()));
    }

    [Theory, StorageData]
    public async Task A_clerk_without_the_affair_is_refused_at_the_node_and_the_refusal_is_recorded(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        await ProblemAssert.IsProblemAsync(await family.AskAsync("bunkyo-vaccination-clerk"), 403, "affair-not-assigned");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-child-clerk").PostAsJsonAsync($"api/tenants/{B}/inquiries",
            new { addresseeNumber = "B-0001", affair = "child-allowance", provider = K, item = "local-tax" }), 403, "another-tenant");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{B}/inquiries",
            new { addresseeNumber = "B-7777", affair = "child-allowance", provider = K, item = "local-tax" }), 404, "no-agency-code");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{B}/inquiries", new { affair = "x" }), 400, "invalid-request");
        var records = await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-auditor").GetAsync($"api/tenants/{B}/records?addresseeNumber=B-0001"));
        var refused = Assert.Single(records.EnumerateArray());
        Assert.Equal(("not-permitted", "affair-not-assigned"), (refused.GetProperty("outcome").GetString(), refused.GetProperty("reason").GetString()));
        // Nothing reached the core; the inquiry that had no code to send is recorded at Bunkyo too, with no code.
        await using var c = await network.CoreDatabase.OpenAsync();
        Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records"));
        await using var b = await network.TenantDatabases[B].OpenAsync();
        Assert.Equal(["Error|no-agency-code", "NotPermitted|affair-not-assigned"],
            (await b.QueryAsync("SELECT outcome, reason FROM provision_records WHERE code IS NULL OR reason = 'affair-not-assigned'",
                r => $"{r.GetString(0)}|{r.GetString(1)}")).Order());
    }

    [Theory, StorageData]
    public async Task An_addressee_number_no_code_could_be_made_for_is_a_400_naming_the_field_and_nothing_is_recorded(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var clerk = network.NodeClient("bunkyo-child-clerk");
        foreach (var wrong in new[] { "B 0001", "B_0001", new string('B', 33), "B-0001\n" })
        {
            var problem = await ProblemAssert.IsProblemAsync(await clerk.PostAsJsonAsync($"api/tenants/{B}/inquiries",
                new { addresseeNumber = wrong, affair = "child-allowance", provider = K, item = "local-tax" }), 400, "invalid-request");
            Assert.StartsWith("宛名番号は半角の英数字とハイフン32文字以内です", problem.GetProperty("errors").GetProperty("addresseeNumber")[0].GetString());
        }
        await using var b = await network.TenantDatabases[B].OpenAsync();
        Assert.Equal(0L, await b.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records"));
    }

    [Theory, StorageData]
    public async Task A_code_the_core_did_not_make_for_the_requester_is_an_error_and_is_recorded(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        // Bunkyo presents Kashiwa's code for the person: the core refuses to translate it.
        var kashiwaCode = (await network.NodeTenants.Find(K)!.AgencyCodeOfAsync("K-0001"))!;
        await using (var b = await network.TenantDatabases[B].OpenAsync())
            await b.ExecuteAsync("UPDATE addressees SET agency_code = @c WHERE addressee_number = 'B-0001'", null, ("c", kashiwaCode));
        var answer = await family.AnswerAsync("bunkyo-child-clerk");
        Assert.Equal(("error", "unknown-code"), (answer.GetProperty("outcome").GetString(), answer.GetProperty("reason").GetString()));
        Assert.False(answer.TryGetProperty("content", out _));
        var atK = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-auditor").GetAsync($"api/tenants/{K}/records?addresseeNumber=K-0001"));
        Assert.Equal(0, atK.GetArrayLength());
    }

    [Theory, StorageData]
    public async Task The_core_refuses_bad_signatures_replays_stale_messages_and_strangers(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        var bunkyo = network.NodeTenants.Find(B)!;
        var body = JsonSerializer.Serialize(new[] { await network.InquiryAsync() }, ServiceDefaults.Json);
        Task<HttpResponseMessage> Send(Envelope e) => network.SendAsync(network.Core, "api/relay/inquiries", e);

        var genuine = Envelope.Create(B, "core", RelayKinds.Inquiries, body, bunkyo.Keys.Signing, TimeProvider.System);
        await LinkageNetwork.Ensure(await Send(genuine));
        await ProblemAssert.IsProblemAsync(await Send(genuine), 401, "replayed-message");
        var tampered = Envelope.Create(B, "core", RelayKinds.Inquiries, body, bunkyo.Keys.Signing, TimeProvider.System) is var t ? t with { Body = body.Replace("local-tax", "resident") } : null!;
        await ProblemAssert.IsProblemAsync(await Send(tampered), 401, "bad-signature");
        using var stranger = PartyKeys.Generate();
        await ProblemAssert.IsProblemAsync(await network.SendInquiriesAsync(body, signing: stranger.Signing), 401, "bad-signature");
        await ProblemAssert.IsProblemAsync(await network.SendInquiriesAsync(body, sender: "999999", signing: stranger.Signing), 401, "unknown-sender");
        await ProblemAssert.IsProblemAsync(await network.SendInquiriesAsync(body, clock: new ManualTime(DateTimeOffset.UtcNow.AddMinutes(-10))), 401, "stale-message");
        // The provider node likewise refuses a provision request not signed by the core.
        var forged = Envelope.Create("core", K, RelayKinds.ProvisionRequests, "[]", stranger.Signing, TimeProvider.System);
        await ProblemAssert.IsProblemAsync(await network.SendAsync(network.Node, $"api/tenants/{K}/provisions", forged), 401, "bad-signature");
        // A name with a control or invisible character (an escape sequence, a bidi override) would stay in the records as given.
        // So would free text or a number in another shape: a person's name as the item, a number with dots as the provider.
        foreach (var (affair, providerId, item) in new[]
        {
            ("child-allowance\u001b[31m", K, "local-tax"), ("child\u202eallowance", K, "local-tax"), ("child-allowance\n", K, "local-tax"),
            ("child-allowance", K, "山口圭"), ("child-allowance", "8354.0410.5048", "local-tax"), ("Child Allowance", K, "local-tax"),
        })
        {
            var named = await network.InquiryAsync(affair: affair, provider: providerId, item: item);
            await ProblemAssert.IsProblemAsync(await network.SendInquiriesAsync([named]), 400, "malformed-inquiry");
        }
        // Only the genuine inquiry was recorded by the core.
        await using var c = await network.CoreDatabase.OpenAsync();
        Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records"));
    }

    [Theory, StorageData]
    public async Task A_provider_without_an_agency_ids_check_digit_or_a_name_with_more_than_four_digits_is_refused_by_node_and_core_before_any_record(StorageProvider provider)
    {
        // 0 + an Individual Number is 13 digits but no corporate number (whose check digit is 1 to 9); a number with a digit
        // slipped in is no Individual Number's shape, yet both were recorded as given by node and core for seven years.
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        var bunkyo = network.NodeTenants.Find(B)!;
        var code = (await bunkyo.AgencyCodeOfAsync("B-0001"))!;
        var refusals = new[]
        {
            ("child-allowance", "0123456789018", "local-tax", "provider"),   // the audit's: 0 and a number
            ("child-allowance", "122174", "local-tax", "provider"),          // Kashiwa (122173) with the wrong check digit
            ("child-allowance", "5010405001704", "local-tax", "provider"),   // a corporate number with the wrong check digit
            ("child-allowance", "482005", "local-tax", "provider"),          // its check digit matches, but 48 is no prefecture
            ("child-allowance", "122173", "x1234567890188", "item"),         // the audit's: a number and a slip of the finger
            ("child-allowance", "122173", "a1234b5678c9018", "item"),        // a number between letters: no run over four, 12 in all
            ("child-allowance-12345", "122173", "local-tax", "affair"),      // five digits in a row
        };
        foreach (var (affair, providerId, item, field) in refusals)
        {
            var refused = await ProblemAssert.IsProblemAsync(await family.AskAsync("bunkyo-child-clerk", affair, item, providerId), 400, "invalid-request");
            Assert.True(refused.GetProperty("errors").TryGetProperty(field, out _), refused.ToString());
            var named = JsonSerializer.Serialize(new[] { new InquiryBody(Envelope.NewId(), code, affair, providerId, item, null) }, ServiceDefaults.Json);
            await ProblemAssert.IsProblemAsync(await network.SendInquiriesAsync(named), 400, "malformed-inquiry");
        }
        await using (var c = await network.CoreDatabase.OpenAsync())
            Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records"));
        await using (var b = await network.TenantDatabases[B].OpenAsync())
            Assert.Equal(0L, await b.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records"));

        // Ids with a matching check digit are agencies' ids: one not on the network is asked about and refused by the core as
        // unknown, one that is (Kashiwa) is asked; an item with a year in it has the table's form and is refused as not in it.
        foreach (var (providerId, item, reason) in new[]
        {
            ("011002", "local-tax", "unknown-provider"), ("8000000000001", "local-tax", "unknown-provider"), (K, "local-tax-2026", "item-not-in-table"),
        })
        {
            var answer = await family.AnswerAsync("bunkyo-child-clerk", item: item, provider: providerId);
            Assert.Equal(("not-permitted", reason), (answer.GetProperty("outcome").GetString(), answer.GetProperty("reason").GetString()));
        }
        Assert.Equal("provided", (await family.AnswerAsync("bunkyo-child-clerk")).GetProperty("outcome").GetString());
    }

    [Theory, StorageData]
    public async Task A_provider_the_core_does_not_know_is_recorded_as_unknown_by_node_and_core_not_as_asked(StorageProvider provider)
    {
        // The audit's: 1 is the Corporate Number check digit of 123456789018, so 1123456789018 is an agency id of the right
        // form; nobody is registered under it, and node and core kept its 13 digits in their records as the provider.
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        const string slipped = "1123456789018";
        Assert.True(RelayKinds.IsAgencyId(slipped));
        var answer = await family.AnswerAsync("bunkyo-child-clerk", provider: slipped);
        Assert.Equal(("not-permitted", "unknown-provider", RelayKinds.UnknownProvider),
            (answer.GetProperty("outcome").GetString(), answer.GetProperty("reason").GetString(), answer.GetProperty("provider").GetString()));
        var messageId = answer.GetProperty("messageId").GetString()!;
        foreach (var database in new[] { network.CoreDatabase, network.TenantDatabases[B] })
        {
            await using var c = await database.OpenAsync();
            Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records WHERE provider LIKE '%23456789018%'"));
            Assert.Equal(["unknown|NotPermitted|unknown-provider"], await c.QueryAsync("SELECT provider, outcome, reason FROM provision_records WHERE message_id = @m",
                r => $"{r.GetString(0)}|{r.GetString(1)}|{r.GetString(2)}", null, ("m", messageId)));
        }
        // The requester's auditor and the core's see the same record, which names the provider as unknown.
        var atB = Assert.Single((await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-auditor").GetAsync($"api/tenants/{B}/records?addresseeNumber=B-0001"))).EnumerateArray());
        var atCore = Assert.Single((await LinkageNetwork.Ensure(await network.CoreClient("auditor-token").GetAsync($"api/records?code={atB.GetProperty("code").GetString()}"))).EnumerateArray());
        foreach (var r in new[] { atB, atCore })
            Assert.Equal((messageId, RelayKinds.UnknownProvider, "unknown-provider"),
                (r.GetProperty("messageId").GetString(), r.GetProperty("provider").GetString(), r.GetProperty("reason").GetString()));

        // A registered provider is still recorded by its id.
        var asked = await family.AnswerAsync("bunkyo-child-clerk");
        await using var core = await network.CoreDatabase.OpenAsync();
        Assert.Equal(K, await core.ScalarAsync<string>("SELECT provider FROM provision_records WHERE message_id = @m", null, ("m", asked.GetProperty("messageId").GetString())));
    }

    [Theory, StorageData]
    public async Task An_agency_update_replaces_its_keys_at_once_for_signatures_and_sealing(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        var bunkyo = network.NodeTenants.Find(B)!;
        var code = (await bunkyo.AgencyCodeOfAsync("B-0001"))!;
        string Body() => JsonSerializer.Serialize(new[] { new InquiryBody(Envelope.NewId(), code, "child-allowance", K, "local-tax", null) }, ServiceDefaults.Json);
        var body = Body();
        Task<HttpResponseMessage> Send(Envelope e) => network.SendAsync(network.Core, "api/relay/inquiries", e);
        // The core has verified (and cached) Bunkyo's registered key.
        await LinkageNetwork.Ensure(await network.SendInquiriesAsync(body));

        using var renewed = PartyKeys.Generate();
        await LinkageNetwork.Ensure(await network.CoreClient("operator-token").PutAsJsonAsync($"api/agencies/{B}", new
        {
            kind = "municipality", name = "文京区", localGovernmentCode = B, nodeAddress = network.Node.ToString(), nodeId = LinkageNetwork.NodeId,
            signingKey = renewed.Public.SigningKey, encryptionKey = renewed.Public.EncryptionKey,
        }, ServiceDefaults.Json));

        await ProblemAssert.IsProblemAsync(await network.SendInquiriesAsync(body), 401, "bad-signature");
        // A new inquiry (its own message id) signed with the renewed key.
        var fresh = Body();
        var inquiry = Envelope.Create(B, "core", RelayKinds.Inquiries, fresh, renewed.Signing, TimeProvider.System);
        var reply = (await (await Send(inquiry)).Content.ReadFromJsonAsync<Envelope>(ServiceDefaults.Json))!;
        var answer = Assert.Single(reply.BodyAs<ProvisionAnswer>(RelayKinds.InquiryResults)!);
        var asked = JsonSerializer.Deserialize<InquiryBody[]>(fresh, ServiceDefaults.Json)![0].MessageId;
        Assert.Equal((asked, Outcome.Provided), (answer.MessageId, answer.Outcome));
        Assert.NotNull(answer.Sealed!.Open(renewed.Encryption, asked));
        Assert.Null(answer.Sealed.Open(bunkyo.Keys.Encryption, asked));
        Assert.Null(answer.Sealed.Open(renewed.Encryption, inquiry.MessageId));

        // Two operators registering a new agency at the same moment both succeed: one row, no 500.
        var puts = Enumerable.Range(0, 8).Select(_ => network.CoreClient("operator-token").PutAsJsonAsync("api/agencies/121002", new
        {
            kind = "municipality", name = "千葉市", localGovernmentCode = "121002", nodeAddress = network.Node.ToString(), nodeId = LinkageNetwork.NodeId,
            signingKey = renewed.Public.SigningKey, encryptionKey = renewed.Public.EncryptionKey,
        }, ServiceDefaults.Json));
        foreach (var put in await Task.WhenAll(puts)) await LinkageNetwork.Ensure(put);
        await using var c = await network.CoreDatabase.OpenAsync();
        Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM agencies WHERE agency_id = '121002'"));
    }

    [Theory, StorageData]
    public async Task Two_writers_of_one_log_as_two_processes_would_be_keep_one_intact_chain(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        var first = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        var second = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        ProvisionEntry Entry(int i) => new(Envelope.NewId(), DateTimeOffset.UtcNow, null, B, K, "child-allowance", "local-tax", $"code-{i}", Outcome.NoData, "no-copy", false);

        // Each keeps its own idea of the head; the other's appends make it stale, and the sequence numbers decide.
        var appends = Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? first : second).AppendAsync(Entry(i))));
        // A check meanwhile sees batches committed after its walk began, with their heads, and holds the log to the last.
        var checks = new List<LogCheck>();
        do checks.Add(await second.CheckAsync()); while (!appends.IsCompleted);
        await appends;
        Assert.All(checks, c => Assert.True(c.Intact, c.Reason));
        await first.AppendAsync(Entry(40));

        Assert.Null((await first.CheckAsync()).FirstBrokenSeq);
        Assert.Equal(41, (await second.HeadAsync()).Count);
    }

    [Theory, StorageData]
    public async Task A_log_cut_at_its_end_takes_no_more_records_and_its_head_cannot_be_taken_away_unseen(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        ProvisionEntry Entry(int i) => new(Envelope.NewId(), DateTimeOffset.UtcNow, null, B, K, "child-allowance", "local-tax", $"code-{i}", Outcome.NoData, "no-copy", false);
        await new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System).AppendAllAsync([.. Enumerable.Range(0, 3).Select(Entry)]);
        Task<long> CountAsync() => LinkageNetwork.CountAsync(database);
        await using (var c = await database.OpenAsync())
        {
            await LiftAppendOnlyGuardAsync(c, provider);
            await c.ExecuteAsync("DELETE FROM provision_records WHERE seq = 3");
        }

        // The party started again reads its head from its records: it must not sign a new head over the cut (two appends
        // used to make the log read as intact again).
        var restarted = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        Assert.Contains("signed head", (await Assert.ThrowsAsync<InvalidOperationException>(() => restarted.AppendAsync(Entry(3)))).Message);
        Assert.Contains("signed head", (await Assert.ThrowsAsync<InvalidOperationException>(() => restarted.AppendAsync(Entry(4)))).Message);
        Assert.Equal(2L, await CountAsync());
        Assert.Equal((false, 3L), ((await restarted.CheckAsync()).Intact, (await restarted.CheckAsync()).FirstBrokenSeq));

        // Taking the head away as well leaves records without a head: still not intact, still nothing appended.
        await using (var c = await database.OpenAsync())
        {
            if (provider == StorageProvider.Postgres) await c.ExecuteAsync("ALTER TABLE provision_heads DISABLE TRIGGER USER");
            else await c.ExecuteAsync("DROP TRIGGER provision_heads_no_delete");
            await c.ExecuteAsync("DELETE FROM provision_heads");
        }
        Assert.Contains("no signed head", (await restarted.CheckAsync()).Reason);
        var again = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        await Assert.ThrowsAsync<InvalidOperationException>(() => again.AppendAsync(Entry(5)));
        Assert.Equal(2L, await CountAsync());
    }

    [Theory, StorageData]
    public async Task A_log_whose_head_row_was_taken_away_answers_head_not_reached_at_its_head_endpoint_not_a_500(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        await family.AnswerAsync("bunkyo-child-clerk");
        var auditor = network.NodeClient("kashiwa-auditor");
        var core = network.CoreClient("auditor-token");
        Assert.Equal(HttpStatusCode.OK, (await auditor.GetAsync($"api/tenants/{K}/records/head")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await core.GetAsync("api/records/head")).StatusCode);
        foreach (var database in new[] { network.TenantDatabases[K], network.CoreDatabase })
        {
            await using var c = await database.OpenAsync();
            if (provider == StorageProvider.Postgres) await c.ExecuteAsync("ALTER TABLE provision_heads DISABLE TRIGGER USER");
            else await c.ExecuteAsync("DROP TRIGGER provision_heads_no_delete");
            await c.ExecuteAsync("DELETE FROM provision_heads");
        }
        foreach (var answer in new[] { await auditor.GetAsync($"api/tenants/{K}/records/head"), await core.GetAsync("api/records/head") })
        {
            Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);
            Assert.EndsWith("head-not-reached", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        }
    }

    [Theory, StorageData]
    public async Task A_head_whose_signature_does_not_verify_stops_the_log_as_a_cut_does_and_cannot_be_raised_past_the_last_record(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        ProvisionEntry Entry(int i) => new(Envelope.NewId(), DateTimeOffset.UtcNow, null, B, K, "child-allowance", "local-tax", $"code-{i}", Outcome.NoData, "no-copy", false);
        await new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System).AppendAllAsync([.. Enumerable.Range(0, 3).Select(Entry)]);
        async Task<(long Records, long HeadCount)> CountAsync()
        {
            await using var c = await database.OpenAsync();
            return (await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records"), await c.ScalarAsync<long>("SELECT record_count FROM provision_heads"));
        }

        // The head's signature garbled (an UPDATE the heads' triggers allow, the count being unchanged), then the last record
        // cut past the records' triggers. (The other way round the database refuses the UPDATE: the head is then past the log.)
        await using (var c = await database.OpenAsync())
        {
            await c.ExecuteAsync("UPDATE provision_heads SET signature = 'AAAA'");
            await LiftAppendOnlyGuardAsync(c, provider);
            await c.ExecuteAsync("DELETE FROM provision_records WHERE seq = 3");
        }
        var restarted = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        var check = await restarted.CheckAsync();
        Assert.Equal((false, 3L), (check.Intact, check.FirstBrokenSeq));
        Assert.Contains("does not verify", check.Reason);
        Assert.Contains("signed head", (await Assert.ThrowsAsync<InvalidOperationException>(() => restarted.AppendAsync(Entry(3)))).Message);
        Assert.Equal((2L, 3L), await CountAsync());

        // Raising the count as well is refused by the database: a head beyond the last record would sit above every later one.
        await using (var c = await database.OpenAsync())
            Assert.Contains("past the last record", (await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() =>
                c.ExecuteAsync("UPDATE provision_heads SET record_count = 1000, signature = 'x'"))).Message);
        Assert.Equal((2L, 3L), await CountAsync());

        // Past that trigger too, the raised head is still not the party's: not intact, nothing appended.
        await using (var c = await database.OpenAsync())
        {
            if (provider == StorageProvider.Postgres) await c.ExecuteAsync("ALTER TABLE provision_heads DISABLE TRIGGER USER");
            else await c.ExecuteAsync("DROP TRIGGER provision_heads_in_log_on_update");
            await c.ExecuteAsync("UPDATE provision_heads SET record_count = 1000, signature = 'x'");
        }
        var again = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        await Assert.ThrowsAsync<InvalidOperationException>(() => again.AppendAsync(Entry(4)));
        Assert.False((await again.CheckAsync()).Intact);
        Assert.Equal((2L, 1000L), await CountAsync());
    }

    [Theory, StorageData]
    public async Task Records_inserted_beyond_the_signed_head_are_not_the_partys_and_the_party_signs_nothing_over_them(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        var log = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        ProvisionEntry Entry(int i) => new(Envelope.NewId(), DateTimeOffset.UtcNow, null, B, K, "child-allowance", "local-tax", $"code-{i}", Outcome.NoData, "no-copy", false);
        var written = await log.AppendAllAsync([.. Enumerable.Range(0, 3).Select(Entry)]);

        // With the triggers in place, which refuse only UPDATE and DELETE: a record computed as the party would (the hashes use
        // no secret) and inserted after its last, saying that agency B asked for person code-x's local tax.
        var now = DateTimeOffset.UtcNow;
        var draft = new ProvisionRecord(4, Envelope.NewId(), Envelope.NewId(), now, now, B, K, "child-allowance", "local-tax", "code-x", Outcome.Provided, null, false,
            now.AddYears(7), "", "");
        var forged = draft with { ContentHash = ProvisionLog.ContentHash(draft) };
        forged = forged with { ChainHash = ProvisionLog.Chain(written[2].ChainHash, forged.ContentHash) };
        await using (var c = await database.OpenAsync())
            await c.ExecuteAsync(
                """
                INSERT INTO provision_records (seq, record_id, message_id, requested_at, provided_at, requester, provider, affair, item, code,
                    outcome, reason, withheld, retain_until, content_hash, chain_hash)
                VALUES (@s, @id, @m, @at, @at, @rq, @pv, @a, @i, @code, @o, NULL, 0, @ru, @h, @ch)
                """, null, ("s", forged.Seq), ("id", forged.RecordId), ("m", forged.MessageId), ("at", ProvisionLog.TimeText(now)), ("rq", B), ("pv", K),
                ("a", forged.Affair), ("i", forged.Item), ("code", forged.Code), ("o", forged.Outcome.ToString()), ("ru", ProvisionLog.TimeText(forged.RetainUntil)),
                ("h", forged.ContentHash), ("ch", forged.ChainHash));

        var check = await log.CheckAsync();
        Assert.Equal((false, 4L), (check.Intact, check.FirstBrokenSeq));
        Assert.Contains("beyond the signed head", check.Reason);
        // The running writer loses the race for seq 4 to the forgery and reads the log again; neither it nor a restarted one
        // chains on the forgery and signs a head over it.
        Assert.Contains("signed head", (await Assert.ThrowsAsync<InvalidOperationException>(() => log.AppendAsync(Entry(4)))).Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System).AppendAsync(Entry(5)));
        Assert.Equal(3, (await log.HeadAsync()).Count);
        // Nor a tree head or a proof: they sign the log up to its head only, and the forged record has none.
        Assert.Equal(3, (await log.TreeHeadAsync()).Size);
        Assert.Null(await log.ProveAsync(forged.RecordId));
        await using (var c = await database.OpenAsync())
            Assert.Equal(4L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records"));
    }

    [Theory, StorageData]
    public async Task A_walk_of_the_log_stops_when_its_caller_gives_up(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        using var keys = PartyKeys.Generate();
        var log = new ProvisionLog(network.TenantDatabases[LinkageNetwork.PensionService], "p", keys.Signing, 7, TimeProvider.System);
        ProvisionEntry Entry(int i) => new(Envelope.NewId(), DateTimeOffset.UtcNow, null, B, K, "child-allowance", "local-tax", $"code-{i}", Outcome.NoData, "no-copy", false);
        await log.AppendAllAsync([.. Enumerable.Range(0, 300).Select(Entry)]);

        // The walk reads record after record rather than the whole log at once; a cancelled caller gets no verdict.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.CheckAsync(new CancellationToken(canceled: true)));
        Assert.Equal(new LogCheck(true, null), await log.CheckAsync());
    }

    [Theory, StorageData]
    public async Task The_records_of_one_message_are_written_all_or_none(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        var log = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        ProvisionEntry Entry(int i) => new(Envelope.NewId(), DateTimeOffset.UtcNow, null, B, K, "child-allowance", "local-tax", $"code-{i}", Outcome.NoData, "no-copy", false);

        // The database refuses the third record: its two neighbours of the same message are not written either.
        await using (var c = await database.OpenAsync())
            await c.ExecuteAsync(provider == StorageProvider.Postgres
                ? "ALTER TABLE provision_records ADD CONSTRAINT refuse_test CHECK (affair <> 'refused')"
                : "CREATE TRIGGER refuse_test BEFORE INSERT ON provision_records WHEN NEW.affair = 'refused' BEGIN SELECT RAISE(ABORT, 'refused'); END");
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => log.AppendAllAsync([Entry(1), Entry(2), Entry(3) with { Affair = "refused" }]));
        await using (var c = await database.OpenAsync())
            Assert.Equal(0, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records"));
        Assert.Equal([1L, 2L], (await log.AppendAllAsync([Entry(4), Entry(5)])).Select(r => r.Seq));
        Assert.Null((await log.CheckAsync()).FirstBrokenSeq);
        // Refused before anything is queued: a group larger than one INSERT may hold.
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = log.AppendAllAsync([.. Enumerable.Range(0, ProvisionLog.MaxBatch + 1).Select(Entry)]); });
    }

    [Theory, StorageData]
    public async Task A_tampered_record_breaks_the_chain_and_its_proof(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        await family.AnswerAsync("bunkyo-child-clerk");
        await family.AnswerAsync("bunkyo-child-clerk", item: "resident");
        await family.AnswerAsync("bunkyo-child-clerk");
        var auditor = network.NodeClient("kashiwa-auditor");
        Assert.True((await LinkageNetwork.Ensure(await auditor.GetAsync($"api/tenants/{K}/records/verify"))).GetProperty("intact").GetBoolean());
        var head = (await auditor.GetFromJsonAsync<SignedHead>($"api/tenants/{K}/records/head", ServiceDefaults.Json))!;
        Assert.Equal(3, head.Count);

        // Someone with rights over the database lifts the append-only guard and turns a provision into "no data" to hide it.
        await using (var c = await network.TenantDatabases[K].OpenAsync())
        {
            await LiftAppendOnlyGuardAsync(c, provider);
            await c.ExecuteAsync("UPDATE provision_records SET outcome = 'NoData' WHERE seq = 1");
        }
        var check = await LinkageNetwork.Ensure(await auditor.GetAsync($"api/tenants/{K}/records/verify"));
        Assert.Equal((false, 1L), (check.GetProperty("intact").GetBoolean(), check.GetProperty("firstBrokenSeq").GetInt64()));
        var first = (await LinkageNetwork.Ensure(await auditor.GetAsync($"api/tenants/{K}/records?addresseeNumber=K-0001"))).EnumerateArray().First();
        var proof = (await auditor.GetFromJsonAsync<InclusionProof>($"api/tenants/{K}/records/{first.GetProperty("recordId").GetString()}/proof", ServiceDefaults.Json))!;
        var key = (await network.NodeClient().GetFromJsonAsync<PublicKeys>($"api/tenants/{K}/keys", ServiceDefaults.Json))!.OpenSigningKey();
        Assert.False(proof.Verify(key));

        // Deleting a record is caught as well, at the core too.
        await using (var c = await network.CoreDatabase.OpenAsync())
        {
            await LiftAppendOnlyGuardAsync(c, provider);
            await c.ExecuteAsync("DELETE FROM provision_records WHERE seq = 2");
        }
        var coreCheck = await LinkageNetwork.Ensure(await network.CoreClient("auditor-token").GetAsync("api/records/verify"));
        Assert.Equal((false, 3L), (coreCheck.GetProperty("intact").GetBoolean(), coreCheck.GetProperty("firstBrokenSeq").GetInt64()));
        await ProblemAssert.IsProblemAsync(await network.CoreClient("operator-token").GetAsync("api/records/verify"), 403, "forbidden");
    }

    [Theory, StorageData]
    public async Task The_databases_refuse_to_change_or_remove_provision_records(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        await family.AnswerAsync("bunkyo-child-clerk");

        foreach (var database in new[] { network.TenantDatabases[K], network.TenantDatabases[B], network.CoreDatabase })
        {
            await using var c = await database.OpenAsync();
            List<string> attempts =
            [
                "UPDATE provision_records SET outcome = 'NoData' WHERE seq = 1",
                "DELETE FROM provision_records WHERE seq = 1",
                "DELETE FROM provision_records",
            ];
            if (provider == StorageProvider.Postgres) attempts.Add("TRUNCATE provision_records");
            foreach (var sql in attempts)
            {
                var refused = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => c.ExecuteAsync(sql));
                Assert.Contains("append-only", refused.Message);
            }
            Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records WHERE outcome = 'Provided'"));
            // The signed head kept beside the log only moves forward.
            foreach (var sql in new[] { "UPDATE provision_heads SET record_count = 0", "DELETE FROM provision_heads" })
                Assert.Contains("only moves forward", (await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => c.ExecuteAsync(sql))).Message);
            Assert.Equal(1L, await c.ScalarAsync<long>("SELECT record_count FROM provision_heads"));
        }
        Assert.True((await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-auditor").GetAsync($"api/tenants/{K}/records/verify"))).GetProperty("intact").GetBoolean());
    }

    [Theory, StorageData]
    public async Task Records_removed_from_the_end_or_rewritten_with_recomputed_hashes_no_longer_reach_the_signed_head(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        for (var i = 0; i < 3; i++) await family.AnswerAsync("bunkyo-child-clerk");
        var auditor = network.NodeClient("kashiwa-auditor");
        async Task<JsonElement> VerifyAsync() => await LinkageNetwork.Ensure(await auditor.GetAsync($"api/tenants/{K}/records/verify"));
        Assert.True((await VerifyAsync()).GetProperty("intact").GetBoolean());

        // An attacker with rights over the database rewrites record 2 as "no data" and recomputes every hash after it:
        // each record matches its hashes again, but the chain no longer ends where the party signed it.
        var log = network.NodeTenants.Find(K)!.Records;
        var records = (await log.ListByCodeAsync((await network.NodeTenants.Find(K)!.AgencyCodeOfAsync("K-0001"))!)).OrderBy(r => r.Seq).ToList();
        Assert.Equal([1L, 2L, 3L], records.Select(r => r.Seq));
        await using (var c = await network.TenantDatabases[K].OpenAsync())
        {
            await LiftAppendOnlyGuardAsync(c, provider);
            var chain = records[0].ChainHash;
            foreach (var r in records.Skip(1))
            {
                var forged = r with { Outcome = Outcome.NoData, Reason = "no-copy" };
                forged = forged with { ContentHash = ProvisionLog.ContentHash(forged) };
                chain = ProvisionLog.Chain(chain, forged.ContentHash);
                await c.ExecuteAsync("UPDATE provision_records SET outcome = @o, reason = @r, content_hash = @h, chain_hash = @c WHERE seq = @s", null,
                    ("o", forged.Outcome.ToString()), ("r", forged.Reason), ("h", forged.ContentHash), ("c", chain), ("s", r.Seq));
            }
        }
        var rewritten = await VerifyAsync();
        Assert.Equal((false, 3L), (rewritten.GetProperty("intact").GetBoolean(), rewritten.GetProperty("firstBrokenSeq").GetInt64()));
        Assert.Contains("rewritten", rewritten.GetProperty("reason").GetString());

        // Nor does the party lend its signature to the rewritten log: /head gives the head it signed at commit time, which
        // written back changes nothing, and it signs no tree head or proof over records that no longer reach that head.
        var head = (await auditor.GetFromJsonAsync<SignedHead>($"api/tenants/{K}/records/head", ServiceDefaults.Json))!;
        Assert.Equal((3L, records[2].ChainHash), (head.Count, head.ChainHash));
        await using (var c = await network.TenantDatabases[K].OpenAsync())
            await c.ExecuteAsync("UPDATE provision_heads SET chain_hash = @h, signed_at = @t, signature = @s", null,
                ("h", head.ChainHash), ("t", ProvisionLog.TimeText(head.SignedAt)), ("s", head.Signature));
        Assert.False((await VerifyAsync()).GetProperty("intact").GetBoolean());
        await ProblemAssert.IsProblemAsync(await auditor.GetAsync($"api/tenants/{K}/records/tree-head"), 409, "head-not-reached");
        await ProblemAssert.IsProblemAsync(await auditor.GetAsync($"api/tenants/{K}/records/{records[0].RecordId}/proof"), 409, "head-not-reached");
        await ProblemAssert.IsProblemAsync(await auditor.GetAsync($"api/tenants/{K}/records/consistency?from=1"), 409, "head-not-reached");

        // Removing the last record instead leaves a shorter chain that holds, and falls short of the signed head.
        await using (var c = await network.CoreDatabase.OpenAsync())
        {
            await LiftAppendOnlyGuardAsync(c, provider);
            await c.ExecuteAsync("DELETE FROM provision_records WHERE seq = 3");
        }
        var truncated = await LinkageNetwork.Ensure(await network.CoreClient("auditor-token").GetAsync("api/records/verify"));
        Assert.Equal((false, 3L), (truncated.GetProperty("intact").GetBoolean(), truncated.GetProperty("firstBrokenSeq").GetInt64()));
        Assert.Contains("records at its end were removed", truncated.GetProperty("reason").GetString());
        Assert.True((await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-auditor").GetAsync($"api/tenants/{B}/records/verify"))).GetProperty("intact").GetBoolean());
    }

    /// <summary>What an attacker with rights over the database does first: the triggers go, the hash chain stays.</summary>
    internal static async Task LiftAppendOnlyGuardAsync(System.Data.Common.DbConnection c, StorageProvider provider)
    {
        if (provider == StorageProvider.Postgres) await c.ExecuteAsync("ALTER TABLE provision_records DISABLE TRIGGER USER");
        else await c.ExecuteAsync("DROP TRIGGER provision_records_no_update; DROP TRIGGER provision_records_no_delete");
    }
}
