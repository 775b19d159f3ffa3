using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Node.Linkage;
using Renkei.Protocol;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit 21e F1 and F2: the core and the provider record an inquiry once it is relayed, the requester last. An immediate
/// inquiry left nothing at the requester until its record, so a hard stop or a full disk after the relay lost the requester's
/// record for good; and the batch's recovery took the provider's record of a self-inquiry for the requester's own.
/// </summary>
public class PendingInquiryTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    [Fact]
    public async Task An_immediate_inquiry_answered_while_the_requesters_disk_is_full_is_refused_and_recorded_at_the_requester_once_there_is_room()
    {
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite);
        var people = await BatchPeople.ArrangeAsync(network, count: 1, atKashiwa: 1, withCopy: 1);
        var bunkyo = network.NodeTenants.Find(B)!;

        network.RelayGate.Close();
        var asking = Ask(network, "B-1");
        await Eventually.HoldsAsync(() => network.RelayGate.Held == 1, "the inquiry at the gate");
        await SqliteDisk.LimitAsync(bunkyo.Database, growBy: 0);
        await BatchStorageFullTests.FillRecordsAsync(bunkyo.Records);
        network.RelayGate.Open();
        // Kashiwa provided and the core recorded it; the caller is told the node could not keep its record, as before.
        using var refused = await asking;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        var atKashiwa = Assert.Single(await people.RecordsAsync(K, "K-1"));
        Assert.Equal("provided", atKashiwa.GetProperty("outcome").GetString());
        var id = atKashiwa.GetProperty("messageId").GetString()!;
        Assert.Empty(await RecordsOfAsync(bunkyo.Database, id));

        // Room again: the pending inquiry is recorded at Bunkyo once, dated when it was asked, and its row goes.
        await SqliteDisk.LimitAsync(bunkyo.Database, growBy: null);
        var pending = network.NodeServices.GetRequiredService<PendingInquiries>();
        var askedAt = Assert.Single(await RowsAsync(bunkyo.Database)).AskedAt;
        Assert.Equal(1, await pending.ReconcileAsync(bunkyo, DateTimeOffset.UtcNow.AddSeconds(1)));
        Assert.Equal(0, await pending.ReconcileAsync(bunkyo, DateTimeOffset.UtcNow.AddSeconds(1)));
        Assert.Equal([$"{B}|{K}|Error|{InquiryBatchWorker.AnswerNotSaved}|{askedAt}|code"], await RecordsOfAsync(bunkyo.Database, id));
        Assert.Empty(await RowsAsync(bunkyo.Database));
        Assert.Single(await people.RecordsAsync(B, "B-1"));
    }

    [Theory, StorageData]
    public async Task An_inquiry_a_hard_stop_left_unrecorded_is_recorded_by_the_restarted_node(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        await BatchPeople.ArrangeAsync(network, count: 1, atKashiwa: 1, withCopy: 1);
        var bunkyo = network.NodeTenants.Find(B)!;
        var code = (await bunkyo.AgencyCodeOfAsync("B-1"))!;
        // What the relay wrote just before the message left, ten minutes ago; then the node stopped hard, before the record.
        var (id, askedAt) = (Envelope.NewId(), ProvisionLog.TimeText(DateTimeOffset.UtcNow.AddMinutes(-10)));
        await using (var c = await bunkyo.Database.OpenAsync())
            await c.ExecuteAsync("INSERT INTO pending_inquiries (message_id, asked_at, code, affair, provider, item) VALUES (@m, @t, @c, 'child-allowance', @p, 'local-tax')",
                null, ("m", id), ("t", askedAt), ("c", code), ("p", K));

        await network.RestartNodeAsync();
        bunkyo = network.NodeTenants.Find(B)!;
        var database = bunkyo.Database;
        await Eventually.HoldsAsync(async () => (await RecordsOfAsync(database, id)).Count > 0, "the record of the inquiry left pending");
        Assert.Equal([$"{B}|{K}|Error|{InquiryBatchWorker.AnswerNotSaved}|{askedAt}|code"], await RecordsOfAsync(database, id));
        await Eventually.HoldsAsync(async () => (await RowsAsync(database)).Count == 0, "the pending row removed");
        // A later pass writes no second record.
        Assert.Equal(0, await network.NodeServices.GetRequiredService<PendingInquiries>().ReconcileAsync(bunkyo, DateTimeOffset.UtcNow.AddSeconds(1)));
        Assert.Single(await RecordsOfAsync(database, id));
    }

    [Theory, StorageData]
    public async Task Rows_of_recorded_inquiries_go_at_the_next_pass_without_a_second_record_one_still_in_flight_is_left_and_a_batch_writes_none(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 2, atKashiwa: 2, withCopy: 2);
        var bunkyo = network.NodeTenants.Find(B)!;
        var pending = network.NodeServices.GetRequiredService<PendingInquiries>();

        // Answered and recorded: the next pass removes its row, young as it is (it stayed Node:CoreWaitSeconds plus a minute).
        var first = await LinkageNetwork.Ensure(await Ask(network, "B-1"));
        var firstId = first.GetProperty("messageId").GetString()!;
        Assert.Equal(0, await pending.ReconcileAsync(bunkyo, DateTimeOffset.UtcNow - PendingInquiries.Margin));
        Assert.Empty(await RowsAsync(bunkyo.Database));
        Assert.Single(await RecordsOfAsync(bunkyo.Database, firstId));

        // Another is on its way: however old a pass takes it to be, it is this node's own and not yet recorded, so it is left.
        network.RelayGate.Close();
        var asking = Ask(network, "B-2");
        await Eventually.HoldsAsync(() => network.RelayGate.Held == 1, "the inquiry at the gate");
        Assert.Equal(0, await pending.ReconcileAsync(bunkyo, DateTimeOffset.UtcNow.AddMinutes(10)));
        var inFlight = Assert.Single(await RowsAsync(bunkyo.Database));
        Assert.NotEqual(firstId, inFlight.MessageId);

        network.RelayGate.Open();
        var second = await LinkageNetwork.Ensure(await asking);
        Assert.Equal(inFlight.MessageId, second.GetProperty("messageId").GetString());
        Assert.Equal(0, await pending.ReconcileAsync(bunkyo, DateTimeOffset.UtcNow - PendingInquiries.Margin));
        Assert.Empty(await RowsAsync(bunkyo.Database));
        // Its row was written ahead, and its record is dated with the row's time.
        Assert.Equal([$"{B}|{K}|Provided||{inFlight.AskedAt}|code"], await RecordsOfAsync(bunkyo.Database, inFlight.MessageId));

        // A batch's inquiries have their claims: no row.
        var batch = await people.SubmittedAsync(["B-1"]);
        Assert.Equal("provided", (await people.DoneAsync(batch)).GetProperty("results")[0].GetProperty("outcome").GetString());
        Assert.Empty(await RowsAsync(bunkyo.Database));
    }

    [Theory, StorageData]
    public async Task A_lost_claim_of_a_self_inquiry_is_recorded_at_the_requester_although_its_provider_record_is_in_the_same_log(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 1, atKashiwa: 0, withCopy: 0);
        var bunkyo = network.NodeTenants.Find(B)!;
        var code = (await bunkyo.AgencyCodeOfAsync("B-1"))!;
        const string affair = "bunkyo-child-medical-subsidy";
        var batch = Envelope.NewId();
        var (id, askedAt) = (Envelope.NewId(), DateTimeOffset.UtcNow.AddMinutes(-10));

        // Bunkyo asked itself (ORD-bunkyo-child-medical): its provider side recorded the answer, with the core's later time and
        // the same code (a translation into the same agency), then the node stopped hard before the requester's record.
        await bunkyo.Records.AppendAsync(new ProvisionEntry(id, askedAt.AddSeconds(1), askedAt.AddSeconds(1), B, B, affair, "local-tax", code,
            Outcome.Provided, null, false));
        await people.LeftClaimAsync(batch, id, askedAt, "B-1", code, affair, provider: B, caller: "bunkyo-medical-clerk");
        network.NodeBatchWorker.Wake(B);

        var result = (await people.WaitAsync(batch, s => s.GetProperty("status").GetString() == "done", "the batch done", caller: "bunkyo-medical-clerk"))
            .GetProperty("results")[0];
        Assert.Equal(("error", InquiryBatchWorker.AnswerNotSaved, id),
            (result.GetProperty("outcome").GetString(), result.GetProperty("reason").GetString(), result.GetProperty("messageId").GetString()));
        // The provider's record, and now the requester's, dated with the claim's time.
        Assert.Equal([$"{B}|{B}|Provided||{ProvisionLog.TimeText(askedAt.AddSeconds(1))}|code",
            $"{B}|{B}|Error|{InquiryBatchWorker.AnswerNotSaved}|{ProvisionLog.TimeText(askedAt)}|code"], await RecordsOfAsync(bunkyo.Database, id));
    }

    private static Task<HttpResponseMessage> Ask(LinkageNetwork network, string addressee) =>
        network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{B}/inquiries",
            new { addresseeNumber = addressee, affair = "child-allowance", provider = K, item = "local-tax" }, ServiceDefaults.Json);

    /// <summary>The tenant's records under a message id, in log order: requester, provider, outcome, reason, requested_at, and whether a code is named.</summary>
    private static async Task<List<string>> RecordsOfAsync(Database database, string messageId)
    {
        await using var c = await database.OpenAsync();
        return await c.QueryAsync("SELECT requester, provider, outcome, reason, requested_at, code FROM provision_records WHERE message_id = @m ORDER BY seq",
            r => $"{r.GetString(0)}|{r.GetString(1)}|{r.GetString(2)}|{r.GetNullableString(3)}|{r.GetString(4)}|{(r.IsDBNull(5) ? "" : "code")}", null, ("m", messageId));
    }

    private static async Task<List<(string MessageId, string AskedAt)>> RowsAsync(Database database)
    {
        await using var c = await database.OpenAsync();
        return await c.QueryAsync("SELECT message_id, asked_at FROM pending_inquiries ORDER BY asked_at", r => (r.GetString(0), r.GetString(1)));
    }
}
