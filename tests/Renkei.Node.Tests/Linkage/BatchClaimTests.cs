using Renkei.Hosting.Storage;
using Renkei.Node.Linkage;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit 21a: a batch person's claim left without an answer is a person whose inquiry may have been sent; a claim that is not
/// that (never asked, or made by the 0013 build and guessed at by the upgrade) must not be answered as one.
/// </summary>
public class BatchClaimTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    [Fact]
    public async Task A_claim_that_committed_although_its_statement_failed_is_given_back_and_its_person_asked_once()
    {
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite);
        var people = await BatchPeople.ArrangeAsync(network, count: 1, atKashiwa: 1, withCopy: 1);
        var bunkyo = network.NodeTenants.Find(B)!;
        // Each claim commits and its statement then fails, as when the connection drops after the commit: RAISE(FAIL) keeps
        // what the statement changed (the claim, and the note of it), and the autocommit commits it.
        await using (var c = await bunkyo.Database.OpenAsync())
        {
            await c.ExecuteAsync("CREATE TABLE lost_acks (message_id TEXT NOT NULL)");
            await c.ExecuteAsync("""
                CREATE TRIGGER ack_lost AFTER UPDATE OF asked_at ON inquiry_batch_items WHEN OLD.asked_at IS NULL AND NEW.asked_at IS NOT NULL
                BEGIN INSERT INTO lost_acks VALUES (NEW.message_id); SELECT RAISE(FAIL, 'ack lost'); END
                """);
        }

        var id = await people.SubmittedAsync(["B-1"]);
        await Eventually.HoldsAsync(() => network.Logs.Lines.Any(l => l.Contains("paused: SqliteException") && l.Contains("AgencyId=" + B)),
            "the worker's pause on the failed claim");
        List<string> lost;
        await using (var c = await bunkyo.Database.OpenAsync())
        {
            await c.ExecuteAsync("DROP TRIGGER ack_lost");
            lost = await c.QueryAsync("SELECT message_id FROM lost_acks", r => r.GetString(0));
        }
        Assert.NotEmpty(lost); // the claim did commit
        network.NodeBatchWorker.Wake(B);

        // Never asked under the lost claim, so asked now, once (it was answered answer-not-saved, and recorded so, never asked).
        var result = (await people.DoneAsync(id)).GetProperty("results")[0];
        Assert.Equal("provided", result.GetProperty("outcome").GetString());
        var asked = result.GetProperty("messageId").GetString()!;
        Assert.DoesNotContain(asked, lost);
        Assert.Equal(asked, Assert.Single(await people.RecordsAsync(K, "K-1")).GetProperty("messageId").GetString());
        var atBunkyo = Assert.Single(await people.RecordsAsync(B, "B-1"));
        Assert.Equal((asked, "provided"), (atBunkyo.GetProperty("messageId").GetString(), atBunkyo.GetProperty("outcome").GetString()));
        Assert.Equal(1, await LinkageNetwork.CountAsync(network.CoreDatabase));
    }

    [Theory, StorageData]
    public async Task A_claim_the_0013_build_left_is_answered_under_its_records_code_though_the_code_was_released_before_the_upgrade(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 1, atKashiwa: 1, withCopy: 1);
        var batch = await people.SubmittedAsync(["B-1"]);
        var asked = (await people.DoneAsync(batch)).GetProperty("results")[0].GetProperty("messageId").GetString();
        var bunkyo = network.NodeTenants.Find(B)!;
        string code;
        await using (var c = await bunkyo.Database.OpenAsync()) code = (await global::Renkei.Node.Tenants.Tenant.AgencyCodeOfAsync(c, "B-1"))!;

        // The database as the 0013 build left it: without 0014's column (0014 and this fix's 0017 are applied again at the
        // restart), B-1's claim without an outcome after its record was written (a hard stop), and B-1's code released since.
        await using (var c = await bunkyo.Database.OpenAsync())
        {
            await c.ExecuteAsync("ALTER TABLE inquiry_batch_items DROP COLUMN asked_code");
            await c.ExecuteAsync("DELETE FROM schema_migrations WHERE version IN (14, 17)");
            await c.ExecuteAsync("UPDATE inquiry_batch_items SET outcome = NULL WHERE batch_id = @b", null, ("b", batch));
            await c.ExecuteAsync("UPDATE inquiry_batches SET completed_at = NULL WHERE batch_id = @b", null, ("b", batch));
            await c.ExecuteAsync("UPDATE addressees SET agency_code = NULL, code_issued_at = NULL WHERE addressee_number = 'B-1'");
        }
        // Asked with a code (not "never sent"), and its record kept alone (0014 alone gave it no code, and a second record).
        Assert.Equal($"Provided|{code}", Assert.Single(await RestartedNotSavedAsync(network, people, batch, asked!)));
    }

    /// <summary>
    /// A requester's record is now dated with its claim's time, and a claim left by an earlier run counts as recorded only under
    /// that time; records written by the builds before took their own, a moment later: migration 0018 gives such a claim its
    /// record's time, or the first start after the upgrade recorded the inquiry a second time.
    /// </summary>
    [Theory, StorageData]
    public async Task A_claim_an_earlier_build_left_after_writing_its_record_is_not_recorded_again_after_the_upgrade(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 1, atKashiwa: 1, withCopy: 1);
        var batch = await people.SubmittedAsync(["B-1"]);
        var asked = (await people.DoneAsync(batch)).GetProperty("results")[0].GetProperty("messageId").GetString();

        // As an earlier build left it after a hard stop: the record written, a millisecond after the claim; no outcome yet.
        await using (var c = await network.NodeTenants.Find(B)!.Database.OpenAsync())
        {
            var recordedAt = InquiryBatchesApi.ParseTime((await c.ScalarAsync<string>(
                "SELECT requested_at FROM provision_records WHERE message_id = @m", null, ("m", asked)))!);
            await c.ExecuteAsync("DELETE FROM schema_migrations WHERE version = 18");
            await c.ExecuteAsync("UPDATE inquiry_batch_items SET outcome = NULL, asked_at = @t WHERE batch_id = @b", null,
                ("t", InquiryBatchesApi.Text(recordedAt.AddMilliseconds(-1))), ("b", batch));
            await c.ExecuteAsync("UPDATE inquiry_batches SET completed_at = NULL WHERE batch_id = @b", null, ("b", batch));
        }
        Assert.StartsWith("Provided|", Assert.Single(await RestartedNotSavedAsync(network, people, batch, asked!)));
    }

    /// <summary>
    /// Restarts the node and wakes Bunkyo's batch of one, which must answer its person answer-not-saved under <paramref name="asked"/>;
    /// returns Bunkyo's records under that id as "outcome|code".
    /// </summary>
    private static async Task<List<string>> RestartedNotSavedAsync(LinkageNetwork network, BatchPeople people, string batch, string asked)
    {
        await network.RestartNodeAsync();
        network.NodeBatchWorker.Wake(B);
        var result = (await people.DoneAsync(batch)).GetProperty("results")[0];
        Assert.Equal(("error", InquiryBatchWorker.AnswerNotSaved, asked),
            (result.GetProperty("outcome").GetString(), result.GetProperty("reason").GetString(), result.GetProperty("messageId").GetString()));
        await using var c = await network.NodeTenants.Find(B)!.Database.OpenAsync();
        return await c.QueryAsync("SELECT outcome, code FROM provision_records WHERE message_id = @m",
            r => $"{r.GetString(0)}|{r.GetNullableString(1)}", null, ("m", asked));
    }

    [Theory, StorageData]
    public async Task A_claim_left_for_a_person_without_a_code_whose_record_was_never_written_is_recorded_at_its_claim(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 1, atKashiwa: 1, withCopy: 1);
        var bunkyo = network.NodeTenants.Find(B)!;
        // A hard stop between the claim of B-99 (no code at Bunkyo) and its record.
        string batch = Protocol.Envelope.NewId(), claimed = Protocol.Envelope.NewId();
        var askedAt = DateTimeOffset.UtcNow.AddMinutes(-5);
        await people.LeftClaimAsync(batch, claimed, askedAt, "B-99", code: null);
        network.NodeBatchWorker.Wake(B);

        var result = (await people.DoneAsync(batch)).GetProperty("results")[0];
        Assert.Equal(("error", "no-agency-code", claimed),
            (result.GetProperty("outcome").GetString(), result.GetProperty("reason").GetString(), result.GetProperty("messageId").GetString()));
        // Recorded once, as the first try would have been: naming nobody, when it was claimed.
        await using (var c = await bunkyo.Database.OpenAsync())
        {
            var (outcome, code, requestedAt) = Assert.Single(await c.QueryAsync("SELECT outcome, reason, code, requested_at FROM provision_records WHERE message_id = @m",
                r => ($"{r.GetString(0)}|{r.GetString(1)}", r.GetNullableString(2), DateTimeOffset.Parse(r.GetString(3), System.Globalization.CultureInfo.InvariantCulture)),
                null, ("m", claimed)));
            Assert.Equal(("Error|no-agency-code", null), (outcome, code));
            Assert.Equal(InquiryBatchesApi.ParseTime(InquiryBatchesApi.Text(askedAt)), requestedAt);
        }
        Assert.Equal(0, await LinkageNetwork.CountAsync(network.CoreDatabase));
    }
}
