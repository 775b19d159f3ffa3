using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>People known to Bunkyo (B-1 …) and, for some, to Kashiwa with last year's income there.</summary>
public sealed class BatchPeople
{
    public const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;
    public required LinkageNetwork Network { get; init; }
    public required List<string> IndividualNumbers { get; init; }

    /// <summary><paramref name="count"/> people with codes at Bunkyo; the first <paramref name="atKashiwa"/> also at Kashiwa, the first <paramref name="withCopy"/> with a copy there.</summary>
    public static async Task<BatchPeople> ArrangeAsync(LinkageNetwork network, int count, int atKashiwa, int withCopy)
    {
        var numbers = new List<string>();
        for (var i = 1; i <= count; i++) numbers.Add((await network.BirthAsync(K, "一括", $"花子{i}", "1985-05-05")).IndividualNumber);
        await network.AddresseeSystemOf(B).IssueCodesAsync([.. numbers.Select((n, i) => ($"B-{i + 1}", n))]);
        if (atKashiwa > 0) await network.AddresseeSystemOf(K).IssueCodesAsync([.. numbers.Take(atKashiwa).Select((n, i) => ($"K-{i + 1}", n))]);
        for (var i = 1; i <= withCopy; i++)
            await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{K}/copies/K-{i}/local-tax", Copies.CopyTests.Tax(1_000_000 + i)));
        return new BatchPeople { Network = network, IndividualNumbers = numbers };
    }

    /// <summary>Submits a batch, under <paramref name="idempotencyKey"/> (the Idempotency-Key header) when one is given.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string caller, IEnumerable<string> addressees, string affair = "child-allowance", string item = "local-tax",
        DateTimeOffset? notBefore = null, string tenant = B, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/tenants/{tenant}/inquiry-batches")
        {
            Content = JsonContent.Create(new { affair, provider = K, item, notBefore, addresseeNumbers = addressees }, options: ServiceDefaults.Json),
        };
        // Without validation: the tests send keys the node must refuse (a space, 101 characters).
        if (idempotencyKey is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        return await Network.NodeClient(caller).SendAsync(request);
    }

    public async Task<string> SubmittedAsync(IEnumerable<string> addressees, string caller = "bunkyo-child-clerk", DateTimeOffset? notBefore = null)
    {
        var response = await SubmitAsync(caller, addressees, notBefore: notBefore);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await LinkageNetwork.Ensure(response)).GetProperty("batchId").GetString()!;
        Assert.Equal($"/api/tenants/{B}/inquiry-batches/{id}", response.Headers.Location?.ToString());
        return id;
    }

    public async Task<JsonElement> ReadAsync(string id, int after = 0, int limit = 1000, string caller = "bunkyo-child-clerk", string tenant = B) =>
        await LinkageNetwork.Ensure(await Network.NodeClient(caller).GetAsync($"api/tenants/{tenant}/inquiry-batches/{id}?after={after}&limit={limit}"));

    /// <summary>Polls the batch until <paramref name="done"/> holds; no fixed sleeps.</summary>
    public Task<JsonElement> WaitAsync(string id, Func<JsonElement, bool> done, string what, string caller = "bunkyo-child-clerk", string tenant = B) =>
        Eventually.ResultAsync(() => ReadAsync(id, caller: caller, tenant: tenant), done, what, TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(50));

    /// <summary>
    /// Submits B-1 … B-<paramref name="count"/> with the relay gate letting three messages through, and waits
    /// until three are answered and the worker's others are held at the gate (the network sends one inquiry per message).
    /// </summary>
    public async Task<(string Id, JsonElement Status)> SubmittedWithThreeAnsweredAsync(int count)
    {
        Network.RelayGate.Close(letThrough: 3);
        var id = await SubmittedAsync(Enumerable.Range(1, count).Select(i => $"B-{i}"));
        var concurrency = Network.NodeOptions.BatchConcurrency;
        return (id, await WaitAsync(id, s => s.GetProperty("answered").GetInt32() == 3 && Network.RelayGate.Held == concurrency, "three answered, the rest held"));
    }

    public Task<JsonElement> DoneAsync(string id, string caller = "bunkyo-child-clerk") =>
        WaitAsync(id, s => s.GetProperty("status").GetString() == "done", "the batch did not finish", caller);

    public async Task<List<JsonElement>> RecordsAsync(string tenant, string addressee) =>
        [.. (await LinkageNetwork.Ensure(await Network.NodeClient(tenant == K ? "kashiwa-auditor" : "bunkyo-auditor")
            .GetAsync($"api/tenants/{tenant}/records?addresseeNumber={addressee}"))).EnumerateArray()];

    /// <summary>
    /// A batch of one at Bunkyo with its claim, as a hard stop between the claim and its record leaves them: in one transaction,
    /// so that the worker never sees the batch without its person.
    /// </summary>
    public async Task LeftClaimAsync(string batch, string messageId, DateTimeOffset askedAt, string addressee, string? code,
        string affair = "child-allowance", string provider = K, string caller = "bunkyo-child-clerk")
    {
        await using var c = await Network.NodeTenants.Find(B)!.Database.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await c.ExecuteAsync("""
            INSERT INTO inquiry_batches (batch_id, affair, provider, item, not_before, submitted_by, submitted_at, item_count)
            VALUES (@b, @a, @p, 'local-tax', NULL, @s, @t, 1)
            """, tx, ("b", batch), ("a", affair), ("p", provider), ("s", caller), ("t", Node.Linkage.InquiryBatchesApi.Text(askedAt)));
        await c.ExecuteAsync("""
            INSERT INTO inquiry_batch_items (batch_id, position, addressee_number, message_id, asked_at, asked_code)
            VALUES (@b, 1, @n, @m, @t, @c)
            """, tx, ("b", batch), ("n", addressee), ("m", messageId), ("t", Node.Linkage.InquiryBatchesApi.Text(askedAt)), ("c", code));
        await tx.CommitAsync();
    }
}

public class InquiryBatchTests
{
    [Theory, StorageData]
    public async Task Results_of_a_batch_completed_longer_ago_than_its_retention_are_removed_and_newer_ones_kept(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 2, atKashiwa: 2, withCopy: 2);
        var old = await people.SubmittedAsync(["B-1"]);
        var recent = await people.SubmittedAsync(["B-2"]);
        await people.DoneAsync(old);
        await people.DoneAsync(recent);
        var bunkyo = network.TenantDatabases[BatchPeople.B];
        async Task<int> Completed()
        {
            await using var c = await bunkyo.OpenAsync();
            return (int)await c.ScalarAsync<long>("SELECT COUNT(*) FROM inquiry_batches WHERE completed_at IS NOT NULL");
        }
        await Eventually.HoldsAsync(async () => await Completed() >= 2, "the worker did not mark both batches completed", every: TimeSpan.FromMilliseconds(50));
        // One batch finished eight days ago (the default keeps results seven days), the other just now.
        await using (var c = await bunkyo.OpenAsync())
            await c.ExecuteAsync("UPDATE inquiry_batches SET completed_at = @t WHERE batch_id = @b", null,
                ("t", Node.Linkage.InquiryBatchesApi.Text(DateTimeOffset.UtcNow.AddDays(-8))), ("b", old));

        // The worker's own purge, once a minute, may have come first since the UPDATE: what is gone and what is kept is the
        // point, not which of the two removed it.
        await network.NodeBatchWorker.PurgeAsync(network.NodeTenants.Find(BatchPeople.B)!);
        await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-child-clerk").GetAsync($"api/tenants/{BatchPeople.B}/inquiry-batches/{old}"), 404, "unknown-batch");
        Assert.Equal("provided", (await people.ReadAsync(recent)).GetProperty("results")[0].GetProperty("outcome").GetString());
        await using (var c = await bunkyo.OpenAsync())
            Assert.Equal(0, await c.ScalarAsync<long>("SELECT COUNT(*) FROM inquiry_batch_items WHERE batch_id = @b", null, ("b", old)));
        // The provision records of the inquiries stay: they are kept for years, the fetched copies are not.
        Assert.Single(await people.RecordsAsync(BatchPeople.B, "B-1"));
        Assert.Equal(0, await network.NodeBatchWorker.PurgeAsync(network.NodeTenants.Find(BatchPeople.B)!));
    }

    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    private static (string Outcome, string? Reason) OutcomeOf(JsonElement r) =>
        (r.GetProperty("outcome").GetString()!, r.TryGetProperty("reason", out var why) ? why.GetString() : null);

    [Theory, StorageData]
    public async Task A_batch_gives_each_person_their_own_outcome_and_every_inquiry_is_recorded_as_an_immediate_one_is(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        // B-1, B-2: copies at Kashiwa; B-3: known to Kashiwa without a copy; B-4: unknown to Kashiwa; B-99: no code at Bunkyo.
        var people = await BatchPeople.ArrangeAsync(network, count: 4, atKashiwa: 3, withCopy: 2);
        var response = await people.SubmitAsync("bunkyo-child-clerk", ["B-1", "B-2", "B-3", "B-4", "B-99"]);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var submitted = await LinkageNetwork.Ensure(response);
        Assert.Equal(5, submitted.GetProperty("total").GetInt32());
        Assert.Contains(submitted.GetProperty("status").GetString(), new[] { "pending", "running", "done" });
        var id = submitted.GetProperty("batchId").GetString()!;

        var done = await people.DoneAsync(id);
        Assert.Equal((5, "child-allowance", K, "local-tax"), (done.GetProperty("answered").GetInt32(), done.GetProperty("affair").GetString(),
            done.GetProperty("provider").GetString(), done.GetProperty("item").GetString()));
        var results = done.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3, 4, 5], results.Select(r => r.GetProperty("position").GetInt32()));
        Assert.Equal(["B-1", "B-2", "B-3", "B-4", "B-99"], results.Select(r => r.GetProperty("addresseeNumber").GetString()));
        Assert.Equal([("provided", null), ("provided", null), ("no-data", "no-copy"), ("no-data", "no-copy"), ("error", "no-agency-code")],
            results.Select(OutcomeOf));
        Assert.Equal([1_000_001, 1_000_002], results.Take(2).Select(r => r.GetProperty("content").GetProperty("totalIncome").GetInt32()));
        Assert.All(results.Skip(2), r => Assert.False(r.TryGetProperty("content", out _)));
        var counts = done.GetProperty("counts");
        Assert.Equal((2, 2, 1), (counts.GetProperty("provided").GetInt32(), counts.GetProperty("no-data").GetInt32(), counts.GetProperty("error").GetInt32()));
        Assert.Equal(5, done.GetProperty("next").GetInt32());

        // The copy crossed the network sealed, as for an immediate inquiry.
        Assert.DoesNotContain(network.Messages, m => m.Contains("1000001") || m.Contains("totalIncome"));
        // Each asked person has one record at Bunkyo, under the result's message id, and the provider and core recorded the same inquiry.
        for (var i = 1; i <= 4; i++)
        {
            var record = Assert.Single(await people.RecordsAsync(B, $"B-{i}"));
            Assert.Equal(results[i - 1].GetProperty("messageId").GetString(), record.GetProperty("messageId").GetString());
            Assert.Equal(results[i - 1].GetProperty("outcome").GetString(), record.GetProperty("outcome").GetString());
            Assert.Equal(("child-allowance", B, K), (record.GetProperty("affair").GetString(), record.GetProperty("requester").GetString(), record.GetProperty("provider").GetString()));
        }
        for (var i = 1; i <= 3; i++)
            Assert.Equal(results[i - 1].GetProperty("messageId").GetString(), Assert.Single(await people.RecordsAsync(K, $"K-{i}")).GetProperty("messageId").GetString());
        // B-99 has no code: as an immediate inquiry, nothing was sent, so the core saw four inquiries; Bunkyo recorded the attempt, with no code.
        var unasked = results[4].GetProperty("messageId").GetString()!;
        await using var c = await network.CoreDatabase.OpenAsync();
        Assert.Equal(4L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records"));
        await using (var b = await network.TenantDatabases[B].OpenAsync())
            Assert.Equal(["Error|no-agency-code|"], await b.QueryAsync("SELECT outcome, reason, code FROM provision_records WHERE message_id = @m",
                r => $"{r.GetString(0)}|{r.GetString(1)}|{(r.IsDBNull(2) ? "" : "code")}", null, ("m", unasked)));

        // A copy older than asked and a table refusal are answers per person too.
        var later = await people.SubmittedAsync(["B-1", "B-2"], notBefore: DateTimeOffset.UtcNow.AddDays(1));
        Assert.All((await people.DoneAsync(later)).GetProperty("results").EnumerateArray(), r => Assert.Equal("copy-older-than-asked", OutcomeOf(r).Outcome));
        var pets = await people.SubmitAsync("bunkyo-pet-clerk", ["B-1", "B-2"], affair: "pet-registration");
        var petsId = (await LinkageNetwork.Ensure(pets)).GetProperty("batchId").GetString()!;
        Assert.All((await people.DoneAsync(petsId, "bunkyo-pet-clerk")).GetProperty("results").EnumerateArray(),
            r => Assert.Equal(("not-permitted", "affair-not-in-table"), OutcomeOf(r)));
    }

    [Theory, StorageData]
    public async Task The_cursor_gives_each_result_once_in_submission_order_as_results_arrive_and_resumes_where_it_stopped(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider, oneInquiryPerMessage: true);
        var people = await BatchPeople.ArrangeAsync(network, count: 12, atKashiwa: 12, withCopy: 6);
        var (id, partial) = await people.SubmittedWithThreeAnsweredAsync(12);
        Assert.Equal("running", partial.GetProperty("status").GetString());

        // While some are pending, the cursor stops before the first of them: it never skips one.
        var seen = new List<int>();
        var page = await people.ReadAsync(id, after: 0, limit: 2);
        var first = page.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("position").GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(1, first.Count), first);
        Assert.True(first.Count <= 2);
        seen.AddRange(first);
        var cursor = page.GetProperty("next").GetInt32();
        Assert.Equal(first.Count == 0 ? 0 : first[^1], cursor);

        network.RelayGate.Open();
        await people.DoneAsync(id);
        while (true)
        {
            page = await people.ReadAsync(id, after: cursor, limit: 5);
            var positions = page.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("position").GetInt32()).ToList();
            Assert.True(positions.Count <= 5);
            if (positions.Count == 0) { Assert.Equal(cursor, page.GetProperty("next").GetInt32()); break; }
            seen.AddRange(positions);
            cursor = page.GetProperty("next").GetInt32();
        }
        Assert.Equal(Enumerable.Range(1, 12), seen);
        var all = (await people.ReadAsync(id)).GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(6, all.Count(r => OutcomeOf(r).Outcome == "provided"));
        Assert.Equal(6, all.Count(r => OutcomeOf(r) == ("no-data", "no-copy")));

        var clerk = network.NodeClient("bunkyo-child-clerk");
        foreach (var query in new[] { "after=-1", "after=x", "limit=0", "limit=1001", "limit=ten" })
            await ProblemAssert.IsProblemAsync(await clerk.GetAsync($"api/tenants/{B}/inquiry-batches/{id}?{query}"), 400, "invalid-request");
    }

    [Theory, StorageData]
    public async Task A_batch_for_an_affair_the_caller_lacks_is_refused_at_once_and_recorded_for_each_person(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 2, atKashiwa: 2, withCopy: 2);
        var refused = await people.SubmitAsync("bunkyo-vaccination-clerk", ["B-1", "B-2", "B-77"]);
        await ProblemAssert.IsProblemAsync(refused, 403, "affair-not-assigned");
        foreach (var addressee in new[] { "B-1", "B-2" })
            Assert.Equal(("not-permitted", "affair-not-assigned"), OutcomeOf(Assert.Single(await people.RecordsAsync(B, addressee))));
        // Nothing was stored to ask later, and nothing reached the core.
        await using (var b = await network.TenantDatabases[B].OpenAsync())
            Assert.Equal(0L, await b.ScalarAsync<long>("SELECT COUNT(*) FROM inquiry_batches"));
        await using var c = await network.CoreDatabase.OpenAsync();
        Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records"));
    }

    [Theory, StorageData]
    public async Task Only_the_submitting_tenants_callers_with_the_affair_read_a_batch_and_bad_requests_are_problems(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 2, atKashiwa: 2, withCopy: 1);
        var id = await people.SubmittedAsync(["B-1", "B-2"]);
        await people.DoneAsync(id);
        // Another caller of the same tenant and affair reads it; a caller of another affair or tenant does not learn it exists.
        Assert.Equal(2, (await people.ReadAsync(id, caller: "bunkyo-child-system")).GetProperty("results").GetArrayLength());
        await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-vaccination-clerk").GetAsync($"api/tenants/{B}/inquiry-batches/{id}"), 404, "unknown-batch");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-child-clerk").GetAsync($"api/tenants/{K}/inquiry-batches/{id}"), 404, "unknown-batch");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-child-clerk").GetAsync($"api/tenants/{B}/inquiry-batches/{id}"), 403, "another-tenant");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-child-clerk").GetAsync($"api/tenants/{B}/inquiry-batches/{new string('a', 32)}"), 404, "unknown-batch");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-child-clerk").GetAsync($"api/tenants/{B}/inquiry-batches/not-an-id"), 400, "malformed-batch-id");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-child-clerk").GetAsync($"api/tenants/{B}/inquiry-batches/{id.ToUpperInvariant()}"), 400, "malformed-batch-id");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-child-clerk").GetAsync($"api/tenants/999999/inquiry-batches/{id}"), 404, "unknown-tenant");

        await ProblemAssert.IsProblemAsync(await people.SubmitAsync("bunkyo-child-clerk", []), 400, "invalid-request");
        var missing = await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{B}/inquiry-batches",
            new { addresseeNumbers = new[] { "B-1" } }), 400, "invalid-request");
        Assert.Contains("affair", missing.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        var invalid = await ProblemAssert.IsProblemAsync(await people.SubmitAsync("bunkyo-child-clerk", ["B-1", "bad number!", "B-2", ""]), 400, "invalid-addressee-numbers");
        Assert.Equal(["addresseeNumbers[2]", "addresseeNumbers[4]"], invalid.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        var duplicate = await ProblemAssert.IsProblemAsync(await people.SubmitAsync("bunkyo-child-clerk", ["B-1", "B-2", "B-1"]), 400, "duplicate-addressee-numbers");
        Assert.Equal("同じ宛名番号の位置：1, 3番目 / positions 1, 3", duplicate.GetProperty("detail").GetString());
        var tooMany = Enumerable.Range(1, network.NodeOptions.BatchMaxItems + 1).Select(i => $"B-{i}");
        var over = await ProblemAssert.IsProblemAsync(await people.SubmitAsync("bunkyo-child-clerk", tooMany), 400, "too-many-items");
        Assert.Contains("一覧を複数の一括照会に分けてください / ", over.GetProperty("detail").GetString());
        Assert.EndsWith("split the list into several batches.", over.GetProperty("detail").GetString());
        var body = new StringContent("{\"affair\":", System.Text.Encoding.UTF8, "application/json");
        var unreadable = await network.NodeClient("bunkyo-child-clerk").PostAsync($"api/tenants/{B}/inquiry-batches", body);
        Assert.Equal(HttpStatusCode.BadRequest, unreadable.StatusCode);
        Assert.Equal("application/problem+json", unreadable.Content.Headers.ContentType?.MediaType);
        await ProblemAssert.IsProblemAsync(await people.SubmitAsync("kashiwa-child-clerk", ["B-1"]), 403, "another-tenant");
        // None of the refused submissions left a batch behind.
        await using (var b = await network.TenantDatabases[B].OpenAsync())
            Assert.Equal(1L, await b.ScalarAsync<long>("SELECT COUNT(*) FROM inquiry_batches"));

        // Deleting removes the batch and its results; only the owner's callers may.
        await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-vaccination-clerk").DeleteAsync($"api/tenants/{B}/inquiry-batches/{id}"), 404, "unknown-batch");
        Assert.Equal(HttpStatusCode.NoContent, (await network.NodeClient("bunkyo-child-clerk").DeleteAsync($"api/tenants/{B}/inquiry-batches/{id}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-child-clerk").GetAsync($"api/tenants/{B}/inquiry-batches/{id}"), 404, "unknown-batch");
        await using (var b = await network.TenantDatabases[B].OpenAsync())
            Assert.Equal(0L, await b.ScalarAsync<long>("SELECT COUNT(*) FROM inquiry_batch_items"));
    }

    [Theory, StorageData]
    public async Task A_tenant_whose_database_fails_does_not_stop_another_tenants_batch(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 2, atKashiwa: 2, withCopy: 2);
        // Kashiwa loses its batch tables; it still answers as a provider.
        await using (var c = await network.TenantDatabases[BatchPeople.K].OpenAsync())
        {
            await c.ExecuteAsync("DROP TABLE inquiry_batch_items");
            await c.ExecuteAsync("DROP TABLE inquiry_batches");
        }
        // Its worker looks again (as it does when idle) and fails.
        network.NodeBatchWorker.Wake(BatchPeople.K);
        await Eventually.HoldsAsync(() => network.Logs.Lines.Any(l => l.StartsWith("Error") && l.Contains("AgencyId=" + BatchPeople.K)), "Kashiwa's worker logged no error");
        var id = await people.SubmittedAsync(["B-1", "B-2"]);
        var done = await people.DoneAsync(id);
        Assert.Equal(2, done.GetProperty("counts").GetProperty("provided").GetInt32());
    }

    [Theory, StorageData]
    public async Task A_tenants_batch_waiting_on_a_stalled_provider_holds_up_no_other_tenants_batch(StorageProvider provider)
    {
        // The core waits an hour for the stalled provider, not 15 s, and the node two hours for the core, not 45 s: held requests
        // stay held while Bunkyo's batch runs, however slow the machine.
        await using var network = await LinkageNetwork.StartAsync(provider, coreSettings: [new("Core:ProviderWaitSeconds", "3600")],
            configureNode: b => b.Configuration.AddInMemoryCollection([new("Node:CoreWaitSeconds", $"{NodeOptions.MaxCoreWaitSeconds}")]));
        var people = await BatchPeople.ArrangeAsync(network, count: 20, atKashiwa: 20, withCopy: 20);
        // Bunkyo's node stops answering as a provider: Kashiwa's batch asking it waits on the core, which waits on Bunkyo.
        var stalled = network.ProviderGate(B);
        stalled.Close();
        try
        {
            var kashiwa = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-child-clerk").PostAsJsonAsync($"api/tenants/{K}/inquiry-batches",
                new { affair = "child-allowance", provider = B, item = "local-tax", addresseeNumbers = Enumerable.Range(1, 20).Select(i => $"K-{i}") },
                ServiceDefaults.Json));
            await Eventually.HoldsAsync(() => stalled.Held > 0, "Kashiwa's batch did not reach Bunkyo");

            // Meanwhile Bunkyo's own batch, asking Kashiwa, is answered whole. It used to wait behind each page of Kashiwa's
            // until the core gave up on Bunkyo, which answers that page: so when Bunkyo's is done, Kashiwa's requests must
            // still be held and none of its people answered.
            var id = await people.SubmittedAsync(Enumerable.Range(1, 20).Select(i => $"B-{i}"));
            var done = await people.DoneAsync(id);
            Assert.Equal(20, done.GetProperty("counts").GetProperty("provided").GetInt32());
            Assert.True(stalled.Held > 0, "Kashiwa's requests to Bunkyo were no longer held");
            var kashiwaId = kashiwa.GetProperty("batchId").GetString()!;
            var waiting = await people.ReadAsync(kashiwaId, caller: "kashiwa-child-clerk", tenant: K);
            Assert.Equal((0, "pending"), (waiting.GetProperty("answered").GetInt32(), waiting.GetProperty("status").GetString()));

            stalled.Open();
            await people.WaitAsync(kashiwaId, s => s.GetProperty("status").GetString() == "done", "Kashiwa's batch did not finish", "kashiwa-child-clerk", tenant: K);
        }
        finally { stalled.Open(); }
    }

    [Theory, StorageData]
    public async Task A_deleted_batch_asks_nobody_more_not_even_the_rest_of_the_page_under_way(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider, oneInquiryPerMessage: true);
        var people = await BatchPeople.ArrangeAsync(network, count: 40, atKashiwa: 40, withCopy: 0);
        var concurrency = network.NodeOptions.BatchConcurrency;
        Task<long> AskedOfTheCore() => LinkageNetwork.CountAsync(network.CoreDatabase);
        // A batch submitted later is worked after the one before it: once it is done, the one before has finished its page.
        async Task AfterThePageAsync() => await people.DoneAsync(await people.SubmittedAsync(["B-1"]));

        // One page of twelve: three answered, some on their way to the core, the rest not yet asked.
        var (id, _) = await people.SubmittedWithThreeAnsweredAsync(12);
        Assert.Equal(HttpStatusCode.NoContent, (await network.NodeClient("bunkyo-child-clerk").DeleteAsync($"api/tenants/{B}/inquiry-batches/{id}")).StatusCode);
        network.RelayGate.Open();
        await AfterThePageAsync();
        // Only those already on their way were asked after the 204; the rest of the page used to be asked (and recorded) too.
        Assert.Equal(3 + concurrency + 1, await AskedOfTheCore());

        // Deleted by another node process (straight from the database here): this process does not learn of it, but stops at the next page.
        var before = await AskedOfTheCore();
        network.RelayGate.Close(letThrough: 3);
        var other = await people.SubmittedAsync(Enumerable.Range(1, 40).Select(i => $"B-{i}"));
        await people.WaitAsync(other, s => s.GetProperty("answered").GetInt32() == 3 && network.RelayGate.Held == concurrency, "three answered, the rest held");
        await using (var b = await network.TenantDatabases[B].OpenAsync())
        {
            await b.ExecuteAsync("DELETE FROM inquiry_batch_items WHERE batch_id = @b", null, ("b", other));
            await b.ExecuteAsync("DELETE FROM inquiry_batches WHERE batch_id = @b", null, ("b", other));
        }
        network.RelayGate.Open();
        await AfterThePageAsync();
        Assert.InRange(await AskedOfTheCore() - before, 3 + concurrency + 1, concurrency * 4 + 1);
    }

    [Theory, StorageData]
    public async Task A_batch_survives_a_node_restart_mid_way_and_no_answered_person_is_asked_again(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider, oneInquiryPerMessage: true);
        var people = await BatchPeople.ArrangeAsync(network, count: 10, atKashiwa: 10, withCopy: 4);
        var (id, _) = await people.SubmittedWithThreeAnsweredAsync(10);
        var concurrency = network.NodeOptions.BatchConcurrency;
        var before = await AnsweredAsync(network);
        Assert.Equal(3, before.Count);

        // The node stops with people in flight and others not yet started; the held ones never reached the core.
        await network.RestartNodeAsync();
        network.RelayGate.Open();
        var done = await people.DoneAsync(id);
        Assert.Equal(10, done.GetProperty("answered").GetInt32());
        Assert.Equal(4, done.GetProperty("counts").GetProperty("provided").GetInt32());
        var after = await AnsweredAsync(network);
        Assert.Equal(10, after.Count);
        foreach (var (position, messageId) in before) Assert.Equal(messageId, after[position]);

        // Each person was asked of the core exactly once; Bunkyo also recorded the stopped attempts as interrupted.
        await using (var c = await network.CoreDatabase.OpenAsync())
            Assert.Equal(10L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records"));
        var atBunkyo = new List<JsonElement>();
        for (var i = 1; i <= 10; i++) atBunkyo.AddRange(await people.RecordsAsync(B, $"B-{i}"));
        Assert.Equal(10 + concurrency, atBunkyo.Count);
        Assert.Equal(concurrency, atBunkyo.Count(r => OutcomeOf(r) == ("error", "interrupted")));
        Assert.Equal(after.Values.Order(), atBunkyo.Where(r => OutcomeOf(r) != ("error", "interrupted")).Select(r => r.GetProperty("messageId").GetString()!).Order());
        var verify = await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-auditor").GetAsync($"api/tenants/{B}/records/verify"));
        Assert.True(verify.GetProperty("intact").GetBoolean());
    }

    [Theory, StorageData]
    public async Task A_batch_stops_when_its_submitter_no_longer_holds_the_affair(StorageProvider provider)
    {
        // The audit's (I3): a clerk moved off child allowance after submitting; the node restarted with callers.json changed, and
        // asked the core for everyone still pending in Bunkyo's name.
        await using var network = await LinkageNetwork.StartAsync(provider, oneInquiryPerMessage: true);
        var people = await BatchPeople.ArrangeAsync(network, count: 10, atKashiwa: 10, withCopy: 4);
        var (id, _) = await people.SubmittedWithThreeAnsweredAsync(10);
        Assert.Contains(network.Logs.Lines, l => l.Contains($"Batch {id} of tenant {B} submitted by bunkyo-child-clerk"));
        var before = await AnsweredAsync(network);
        Assert.Equal(3, before.Count);

        var moved = new Dictionary<string, string[]>(LinkageNetwork.NodeCallers) { ["bunkyo-child-clerk"] = [$"tenant:{B}", "affair:vaccination"] };
        await network.RestartNodeAsync(moved);
        network.RelayGate.Open();
        var done = await people.DoneAsync(id, caller: "bunkyo-child-system");
        Assert.Equal(10, done.GetProperty("answered").GetInt32());
        Assert.Equal(7, done.GetProperty("counts").GetProperty("not-permitted").GetInt32());
        var results = done.GetProperty("results").EnumerateArray().ToList();
        var stopped = Enumerable.Range(1, 10).Where(p => !before.ContainsKey(p)).ToList();
        Assert.All(results.Where(r => before.ContainsKey(r.GetProperty("position").GetInt32())), r => Assert.NotEqual("not-permitted", OutcomeOf(r).Outcome));
        Assert.All(stopped.Select(p => results[p - 1]), r =>
        {
            Assert.Equal(("not-permitted", "affair-not-assigned"), (r.GetProperty("outcome").GetString(), r.GetProperty("reason").GetString()));
            Assert.False(r.TryGetProperty("content", out var content) && content.ValueKind != JsonValueKind.Null);
        });

        // Only the three answered before the restart reached the core; each of the others is recorded at Bunkyo as refused.
        await using (var c = await network.CoreDatabase.OpenAsync())
            Assert.Equal(3L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records"));
        foreach (var i in stopped)
        {
            var records = await people.RecordsAsync(B, $"B-{i}");
            var refused = Assert.Single(records, r => OutcomeOf(r) == ("not-permitted", "affair-not-assigned"));
            Assert.Equal(results[i - 1].GetProperty("messageId").GetString(), refused.GetProperty("messageId").GetString());
            Assert.DoesNotContain(records, r => OutcomeOf(r).Item1 == "provided");
        }
        Assert.Contains(network.Logs.Lines, l => l.Contains($"Batch {id} of tenant {B} stopped: its submitter bunkyo-child-clerk no longer holds affair child-allowance"));
    }

    private static async Task<Dictionary<int, string>> AnsweredAsync(LinkageNetwork network)
    {
        await using var c = await network.TenantDatabases[B].OpenAsync();
        return (await c.QueryAsync("SELECT position, message_id FROM inquiry_batch_items WHERE outcome IS NOT NULL",
            r => (Convert.ToInt32(r.GetValue(0)), r.GetString(1)))).ToDictionary(x => x.Item1, x => x.Item2);
    }
}
