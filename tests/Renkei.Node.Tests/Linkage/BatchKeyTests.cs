using System.Net;
using System.Net.Http.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit 21c §1: a submission whose answer was lost (Ctrl+C, a timeout, a connection cut) is sent again under its
/// Idempotency-Key and gets the batch it made: without the key a second batch asked every person twice, each a provision
/// record the person sees.
/// </summary>
public class BatchKeyTests
{
    private const string B = BatchPeople.B, Clerk = "bunkyo-child-clerk";

    [Theory, StorageData]
    public async Task The_same_key_and_request_again_answer_the_same_batch_and_ask_nobody_twice(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 2, atKashiwa: 2, withCopy: 2);

        var first = await people.SubmitAsync(Clerk, ["B-1", "B-2"], idempotencyKey: "k-1");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var id = (await LinkageNetwork.Ensure(first)).GetProperty("batchId").GetString()!;
        await people.DoneAsync(id);
        var again = await people.SubmitAsync(Clerk, ["B-1", "B-2"], idempotencyKey: "k-1");

        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        var status = await LinkageNetwork.Ensure(again);
        Assert.Equal((id, "done", 2), (status.GetProperty("batchId").GetString(), status.GetProperty("status").GetString(), status.GetProperty("answered").GetInt32()));
        Assert.Equal($"/api/tenants/{B}/inquiry-batches/{id}", again.Headers.Location?.ToString());
        await using (var c = await network.TenantDatabases[B].OpenAsync())
            Assert.Equal(1, await c.ScalarAsync<long>("SELECT COUNT(*) FROM inquiry_batches"));
        // Each person asked once: one record at the requester.
        Assert.Single(await people.RecordsAsync(B, "B-1"));
        Assert.Single(await people.RecordsAsync(B, "B-2"));

        // Another key is another batch.
        var other = await people.SubmitAsync(Clerk, ["B-1", "B-2"], idempotencyKey: "k-2");
        Assert.NotEqual(id, (await LinkageNetwork.Ensure(other)).GetProperty("batchId").GetString());
    }

    [Theory, StorageData]
    public async Task A_used_key_with_another_request_or_from_another_caller_is_refused_and_stores_nothing(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 2, atKashiwa: 2, withCopy: 0);
        Assert.Equal(HttpStatusCode.Accepted, (await people.SubmitAsync(Clerk, ["B-1"], idempotencyKey: "k-1")).StatusCode);

        var otherList = await ProblemAssert.IsProblemAsync(await people.SubmitAsync(Clerk, ["B-1", "B-2"], idempotencyKey: "k-1"), 422, "idempotency-key-reused");
        Assert.StartsWith("冪等キーが別の要求に使われています / ", otherList.GetProperty("title").GetString());
        await ProblemAssert.IsProblemAsync(await people.SubmitAsync("bunkyo-child-system", ["B-1"], idempotencyKey: "k-1"), 422, "idempotency-key-reused");
        await ProblemAssert.IsProblemAsync(await people.SubmitAsync(Clerk, ["B-1"], idempotencyKey: "k 1"), 400, "invalid-idempotency-key");
        await ProblemAssert.IsProblemAsync(await people.SubmitAsync(Clerk, ["B-1"], idempotencyKey: new string('k', 101)), 400, "invalid-idempotency-key");

        await using var c = await network.TenantDatabases[B].OpenAsync();
        Assert.Equal(1, await c.ScalarAsync<long>("SELECT COUNT(*) FROM inquiry_batches"));
        Assert.Equal(1, await c.ScalarAsync<long>("SELECT COUNT(*) FROM inquiry_batch_items"));
    }

    [Fact]
    public async Task The_openapi_document_gives_the_submissions_Idempotency_Key_and_what_it_does()
    {
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite);
        var node = await network.NodeClient().GetFromJsonAsync<System.Text.Json.JsonElement>("openapi/v1.json");
        var post = node.GetProperty("paths").GetProperty("/api/tenants/{agencyId}/inquiry-batches").GetProperty("post");
        Assert.Contains(post.GetProperty("parameters").EnumerateArray(),
            p => p.GetProperty("name").GetString() == "Idempotency-Key" && p.GetProperty("in").GetString() == "header");
        Assert.Contains("idempotency-key-reused", post.GetProperty("description").GetString());
    }
}
