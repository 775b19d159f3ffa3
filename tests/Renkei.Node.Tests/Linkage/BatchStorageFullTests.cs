using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting.Storage;
using Renkei.Node.Linkage;
using Renkei.Protocol;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit Y1: while the requester's disk was full, the batch worker asked the same people again at every look, each time
/// provided and recorded at the provider and the core, and never recorded at the requester.
/// </summary>
public class BatchStorageFullTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    [Fact]
    public async Task An_answer_the_full_requester_could_not_record_is_kept_not_asked_again_and_recorded_once_there_is_room()
    {
        var clock = new HurriedClock();
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite, oneInquiryPerMessage: true,
            configureNode: b => { IdleASecond(b); clock.Use(b); });
        var people = await BatchPeople.ArrangeAsync(network, count: 2, atKashiwa: 2, withCopy: 2);
        var bunkyo = network.NodeTenants.Find(B)!;

        // Both people are claimed and on their way when Bunkyo's disk fills up.
        network.RelayGate.Close();
        var id = await people.SubmittedAsync(["B-1", "B-2"]);
        await Eventually.HoldsAsync(() => network.RelayGate.Held == 2, "both inquiries at the gate");
        // A long batch behind it, with nobody known (each would be no-agency-code): its rows leave the page of the first
        // batch's rows full, so that their answers cannot be saved either.
        await people.SubmittedAsync(Enumerable.Range(1, 300).Select(i => $"X-{i}"));
        await SqliteDisk.LimitAsync(bunkyo.Database, growBy: 0);
        await FillRecordsAsync(bunkyo.Records);
        network.RelayGate.Open();
        // The worker pauses (or, as it did, gives up on both people with no record of what Kashiwa provided).
        await Eventually.HoldsAsync(() => Paused(network) >= 1 || network.Logs.Lines.Count(l => l.Contains("Batch inquiry failed at the node")) >= 2,
            "the worker's pause on a full disk");
        var paused = Paused(network);
        Assert.Equal(1, paused);
        // A submission during the pause does not cut it short (it did: each brought a look that failed as well).
        network.NodeBatchWorker.Wake(B);
        await StaysPausedAsync(network, paused);

        // Two more looks, each when its minute is over: each time the owed records still cannot be written.
        for (var look = 0; look < 2; look++)
        {
            await clock.HurryAsync();
            paused = await PausesAsync(network, paused + 1);
        }
        // Kashiwa provided each person once, and the core recorded each once; Bunkyo shows them pending, not failed.
        foreach (var code in new[] { "K-1", "K-2" }) Assert.Equal("provided", Assert.Single(await people.RecordsAsync(K, code)).GetProperty("outcome").GetString());
        Assert.Equal(2, await LinkageNetwork.CountAsync(network.CoreDatabase));
        var waiting = await people.ReadAsync(id);
        Assert.Equal((0, "pending"), (waiting.GetProperty("answered").GetInt32(), waiting.GetProperty("status").GetString()));
        Assert.Empty(await people.RecordsAsync(B, "B-1"));

        // Room again: the kept answers are recorded and saved, nobody is asked again.
        await SqliteDisk.LimitAsync(bunkyo.Database, growBy: null);
        await clock.HurryAsync();
        var done = await people.DoneAsync(id);
        var results = done.GetProperty("results").EnumerateArray().ToList();
        Assert.All(results, r => Assert.Equal("provided", r.GetProperty("outcome").GetString()));
        Assert.Equal([1_000_001, 1_000_002], results.Select(r => r.GetProperty("content").GetProperty("totalIncome").GetInt32()));
        for (var i = 1; i <= 2; i++)
        {
            var atKashiwa = Assert.Single(await people.RecordsAsync(K, $"K-{i}")).GetProperty("messageId").GetString();
            var atBunkyo = Assert.Single(await people.RecordsAsync(B, $"B-{i}"));
            Assert.Equal((atKashiwa, "provided"), (atBunkyo.GetProperty("messageId").GetString(), atBunkyo.GetProperty("outcome").GetString()));
            Assert.Equal(atKashiwa, results[i - 1].GetProperty("messageId").GetString());
        }
        Assert.Equal(2, await LinkageNetwork.CountAsync(network.CoreDatabase));
    }

    [Fact]
    public async Task While_the_requesters_disk_is_full_nobody_more_is_asked_and_claims_a_stopped_node_left_are_recorded_as_answer_not_saved()
    {
        var clock = new HurriedClock();
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite, oneInquiryPerMessage: true, configureNode: clock.Use);
        var people = await BatchPeople.ArrangeAsync(network, count: 4, atKashiwa: 4, withCopy: 4);
        var bunkyo = network.NodeTenants.Find(B)!;

        // The first batch's three are claimed and on their way; the second batch waits behind it, unclaimed.
        network.RelayGate.Close();
        var first = await people.SubmittedAsync(["B-1", "B-2", "B-3"]);
        await Eventually.HoldsAsync(() => network.RelayGate.Held == 3, "the inquiries at the gate");
        var second = await people.SubmittedAsync(["B-4"]);
        string claimed;
        await using (var c = await bunkyo.Database.OpenAsync())
            claimed = (await c.ScalarAsync<string>("SELECT message_id FROM inquiry_batch_items WHERE batch_id = @b AND position = 1", null, ("b", first)))!;
        Assert.Matches("^[0-9a-f]{32}$", claimed);

        // The disk fills up, the answers come and cannot be recorded, and the node restarts before there is room: they are lost.
        await SqliteDisk.LimitAsync(bunkyo.Database, growBy: 0);
        await FillRecordsAsync(bunkyo.Records);
        network.RelayGate.Open();
        var paused = await PausesAsync(network, 1);
        await network.RestartNodeAsync();
        bunkyo = network.NodeTenants.Find(B)!;
        await PausesAsync(network, paused + 1);
        Assert.Empty(await people.RecordsAsync(K, "K-4"));

        // Room again: the claims are an earlier run's, so their people are not asked again, and are recorded at Bunkyo under the
        // claimed ids, which Kashiwa's records carry too. The second batch is asked as usual.
        await SqliteDisk.LimitAsync(bunkyo.Database, growBy: null);
        await clock.HurryAsync();
        var results = (await people.DoneAsync(first)).GetProperty("results").EnumerateArray().ToList();
        Assert.All(results, r => Assert.Equal(("error", InquiryBatchWorker.AnswerNotSaved),
            (r.GetProperty("outcome").GetString(), r.GetProperty("reason").GetString())));
        Assert.Equal(claimed, results[0].GetProperty("messageId").GetString());
        for (var i = 1; i <= 3; i++)
        {
            var atKashiwa = Assert.Single(await people.RecordsAsync(K, $"K-{i}")).GetProperty("messageId").GetString();
            var atBunkyo = Assert.Single(await people.RecordsAsync(B, $"B-{i}"));
            Assert.Equal((atKashiwa, "error", InquiryBatchWorker.AnswerNotSaved),
                (atBunkyo.GetProperty("messageId").GetString(), atBunkyo.GetProperty("outcome").GetString(), atBunkyo.GetProperty("reason").GetString()));
            Assert.Equal(atKashiwa, results[i - 1].GetProperty("messageId").GetString());
        }
        Assert.Equal("provided", (await people.DoneAsync(second)).GetProperty("results")[0].GetProperty("outcome").GetString());
        Assert.Single(await people.RecordsAsync(K, "K-4"));
        Assert.Equal(4, await LinkageNetwork.CountAsync(network.CoreDatabase));
    }

    [Fact]
    public async Task After_a_restart_with_a_full_disk_only_the_people_in_flight_are_answer_not_saved_and_the_rest_of_the_page_is_asked()
    {
        var clock = new HurriedClock();
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite, oneInquiryPerMessage: true, configureNode: clock.Use);
        var people = await BatchPeople.ArrangeAsync(network, count: 16, atKashiwa: 16, withCopy: 16);
        var bunkyo = network.NodeTenants.Find(B)!;
        var inFlight = network.NodeOptions.BatchConcurrency;
        Assert.True(16 > inFlight, "a page of 16 holds people not yet asked");

        // As many inquiries as may be at once are on their way when the disk fills up; the node restarts before there is room.
        network.RelayGate.Close();
        var id = await people.SubmittedAsync(Enumerable.Range(1, 16).Select(i => $"B-{i}"));
        await Eventually.HoldsAsync(() => network.RelayGate.Held == inFlight, "the inquiries at the gate");
        await SqliteDisk.LimitAsync(bunkyo.Database, growBy: 0);
        await FillRecordsAsync(bunkyo.Records);
        network.RelayGate.Open();
        await PausesAsync(network, 1);
        await network.RestartNodeAsync();
        await PausesAsync(network, 2);
        await SqliteDisk.LimitAsync(network.NodeTenants.Find(B)!.Database, growBy: null);
        await clock.HurryAsync();

        // Only those in flight may have been asked: they are answer-not-saved. The others were never asked, and are now.
        var results = (await people.DoneAsync(id)).GetProperty("results").EnumerateArray().ToList();
        for (var i = 1; i <= 16; i++)
        {
            (string, string?) expected = i <= inFlight ? ("error", InquiryBatchWorker.AnswerNotSaved) : ("provided", null);
            var result = results[i - 1];
            Assert.Equal(expected, (result.GetProperty("outcome").GetString(), result.TryGetProperty("reason", out var why) ? why.GetString() : null));
            var atKashiwa = Assert.Single(await people.RecordsAsync(K, $"K-{i}")).GetProperty("messageId").GetString();
            var atBunkyo = Assert.Single(await people.RecordsAsync(B, $"B-{i}"));
            Assert.Equal((atKashiwa, expected.Item1), (atBunkyo.GetProperty("messageId").GetString(), atBunkyo.GetProperty("outcome").GetString()));
        }
        Assert.Equal(16, await LinkageNetwork.CountAsync(network.CoreDatabase));
    }

    [Fact]
    public async Task A_lost_claims_record_names_the_code_it_was_asked_with_although_the_code_was_released_before_the_restart()
    {
        var clock = new HurriedClock();
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite, oneInquiryPerMessage: true, configureNode: clock.Use);
        var people = await BatchPeople.ArrangeAsync(network, count: 1, atKashiwa: 1, withCopy: 1);
        var bunkyo = network.NodeTenants.Find(B)!;
        string code;
        await using (var c = await bunkyo.Database.OpenAsync()) code = (await global::Renkei.Node.Tenants.Tenant.AgencyCodeOfAsync(c, "B-1"))!;

        network.RelayGate.Close();
        var id = await people.SubmittedAsync(["B-1"]);
        await Eventually.HoldsAsync(() => network.RelayGate.Held == 1, "the inquiry at the gate");
        await SqliteDisk.LimitAsync(bunkyo.Database, growBy: 0);
        await FillRecordsAsync(bunkyo.Records);
        network.RelayGate.Open();
        await PausesAsync(network, 1);
        // Meanwhile B-1's code is released (it was put on the wrong addressee), on a connection of its own that the full disk's
        // limit is not on; the restart forgets the code the node kept.
        await using (var c = new SqliteConnection(new SqliteConnectionStringBuilder(bunkyo.Database.ConnectionString) { Pooling = false }.ToString()))
        {
            await c.OpenAsync();
            Assert.Equal(1, await c.ExecuteAsync("UPDATE addressees SET agency_code = NULL, code_issued_at = NULL WHERE addressee_number = 'B-1'"));
        }
        await network.RestartNodeAsync();
        bunkyo = network.NodeTenants.Find(B)!;
        await PausesAsync(network, 2);
        await SqliteDisk.LimitAsync(bunkyo.Database, growBy: null);
        await clock.HurryAsync();

        var result = (await people.DoneAsync(id)).GetProperty("results")[0];
        Assert.Equal(InquiryBatchWorker.AnswerNotSaved, result.GetProperty("reason").GetString());
        var asked = result.GetProperty("messageId").GetString();
        Assert.Equal(asked, Assert.Single(await people.RecordsAsync(K, "K-1")).GetProperty("messageId").GetString());
        // Recorded at Bunkyo once, naming the person the core and Kashiwa recorded the inquiry for.
        await using (var c = await bunkyo.Database.OpenAsync())
            Assert.Equal(code, Assert.Single(await c.QueryAsync("SELECT code FROM provision_records WHERE message_id = @m", r => r.GetNullableString(0), null, ("m", asked))));
    }

    [Theory, StorageData]
    public async Task A_claim_whose_answer_was_recorded_but_whose_result_was_lost_keeps_its_one_record(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 1, atKashiwa: 1, withCopy: 1);
        var batch = await people.SubmittedAsync(["B-1"]);
        var asked = (await people.DoneAsync(batch)).GetProperty("results")[0].GetProperty("messageId").GetString();

        // The record was written, then saving the result failed (a full disk) and the node restarted: the claim is left unanswered.
        await using (var c = await network.NodeTenants.Find(B)!.Database.OpenAsync())
        {
            await c.ExecuteAsync("UPDATE inquiry_batch_items SET outcome = NULL WHERE batch_id = @b", null, ("b", batch));
            await c.ExecuteAsync("UPDATE inquiry_batches SET completed_at = NULL WHERE batch_id = @b", null, ("b", batch));
            // Before the restart B-1's code is released (it was put on the wrong addressee): the record is found all the same.
            await c.ExecuteAsync("UPDATE addressees SET agency_code = NULL, code_issued_at = NULL WHERE addressee_number = 'B-1'");
        }
        await network.RestartNodeAsync();
        network.NodeBatchWorker.Wake(B);
        var result = (await people.DoneAsync(batch)).GetProperty("results")[0];
        Assert.Equal(("error", InquiryBatchWorker.AnswerNotSaved, asked),
            (result.GetProperty("outcome").GetString(), result.GetProperty("reason").GetString(), result.GetProperty("messageId").GetString()));
        // The requester's record is still the one of what was answered, not a second under the same id.
        await using (var c = await network.NodeTenants.Find(B)!.Database.OpenAsync())
            Assert.Equal("Provided", Assert.Single(await c.QueryAsync("SELECT outcome FROM provision_records WHERE message_id = @m",
                r => r.GetString(0), null, ("m", asked))));
    }

    [Theory, StorageData]
    public async Task A_claim_left_for_a_person_without_a_code_is_answered_no_agency_code_not_answer_not_saved(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 1, atKashiwa: 1, withCopy: 1);
        var batch = await people.SubmittedAsync(["B-99"]); // no code at Bunkyo: nothing is sent
        var tried = (await people.DoneAsync(batch)).GetProperty("results")[0].GetProperty("messageId").GetString();

        // Its result was lost (a hard stop after the attempt was recorded): the claim is left, with no code.
        await using (var c = await network.NodeTenants.Find(B)!.Database.OpenAsync())
        {
            await c.ExecuteAsync("UPDATE inquiry_batch_items SET outcome = NULL WHERE batch_id = @b", null, ("b", batch));
            await c.ExecuteAsync("UPDATE inquiry_batches SET completed_at = NULL WHERE batch_id = @b", null, ("b", batch));
        }
        await network.RestartNodeAsync();
        network.NodeBatchWorker.Wake(B);
        var result = (await people.DoneAsync(batch)).GetProperty("results")[0];
        Assert.Equal(("error", "no-agency-code", tried),
            (result.GetProperty("outcome").GetString(), result.GetProperty("reason").GetString(), result.GetProperty("messageId").GetString()));
        await using (var c = await network.NodeTenants.Find(B)!.Database.OpenAsync())
            Assert.Equal("Error|no-agency-code|", Assert.Single(await c.QueryAsync("SELECT outcome, reason, code FROM provision_records WHERE message_id = @m",
                r => $"{r.GetString(0)}|{r.GetString(1)}|{(r.IsDBNull(2) ? "" : "code")}", null, ("m", tried))));
        Assert.Equal(0, await LinkageNetwork.CountAsync(network.CoreDatabase));
    }

    /// <summary>Waits until the worker has said <paramref name="count"/> times that Bunkyo's disk is full; returns the count.</summary>
    private static async Task<int> PausesAsync(LinkageNetwork network, int count)
    {
        await Eventually.HoldsAsync(() => Paused(network) >= count, $"the worker's pause #{count} on a full disk");
        return Paused(network);
    }

    /// <summary>The worker's pauses on Bunkyo's full disk: recognised as storage-full, not any failure of a look.</summary>
    private static int Paused(LinkageNetwork network) =>
        network.Logs.Lines.Count(l => l.StartsWith("Error") && l.Contains("paused") && l.Contains("(storage-full)") && l.Contains("AgencyId=" + B));

    /// <summary>Every worker looks again after a second when idle, so that a pause longer than that shows.</summary>
    private static void IdleASecond(Microsoft.AspNetCore.Builder.WebApplicationBuilder b) => b.Configuration["Node:BatchIdleSeconds"] = "1";

    /// <summary>
    /// Bunkyo's worker, paused on its full disk, looks by itself neither in the next few seconds nor while Kashiwa's worker,
    /// idling the same one second, takes up batches put in its database without a wake: Bunkyo's would have had the same
    /// time to look again had its pause been only the idle second. Not a fixed wait: Kashiwa's looks show that time passed for the workers.
    /// </summary>
    private static async Task StaysPausedAsync(LinkageNetwork network, int paused)
    {
        var since = System.Diagnostics.Stopwatch.StartNew();
        var probes = 0;
        while (since.Elapsed < TimeSpan.FromSeconds(3)) await KashiwaLooksAsync(network, ++probes);
        await KashiwaLooksAsync(network, ++probes); // one put there only after the seconds passed
        Assert.Equal(paused, Paused(network));
    }

    /// <summary>Puts an empty batch in Kashiwa's database, with no wake, and waits until Kashiwa's worker has looked and completed it.</summary>
    private static async Task KashiwaLooksAsync(LinkageNetwork network, int probe)
    {
        var kashiwa = network.NodeTenants.Find(K)!.Database;
        var id = $"probe-{probe}";
        await using (var c = await kashiwa.OpenAsync())
            await c.ExecuteAsync("""
                INSERT INTO inquiry_batches (batch_id, affair, provider, item, not_before, submitted_by, submitted_at, item_count)
                VALUES (@b, 'child-allowance', @p, 'local-tax', NULL, 'kashiwa-child-clerk', @t, 0)
                """, null, ("b", id), ("p", B), ("t", InquiryBatchesApi.Text(DateTimeOffset.UtcNow)));
        await Eventually.HoldsAsync(async () =>
        {
            await using var c = await kashiwa.OpenAsync();
            return await c.ScalarAsync<string>("SELECT completed_at FROM inquiry_batches WHERE batch_id = @b", null, ("b", id)) is not null;
        }, "Kashiwa's worker's look without a wake");
    }

    /// <summary>
    /// Appends records until the log has no room for another (three refused in a row): the requester's next record fails as
    /// on a full disk. They name no person (no code), as a record of an attempt without a code does.
    /// </summary>
    internal static async Task FillRecordsAsync(ProvisionLog records)
    {
        for (int refused = 0, written = 0; refused < 3; )
        {
            try
            {
                await records.AppendAsync(new ProvisionEntry(Envelope.NewId(), DateTimeOffset.UtcNow, null, B, K, "child-allowance", "local-tax", null,
                    Outcome.Error, "no-agency-code", false));
                refused = 0;
                Assert.True(++written < 5000, "the disk never filled");
            }
            catch (SqliteException e) when (Database.IsFull(e)) { refused++; }
        }
    }

    /// <summary>
    /// The system's clock, whose one-off waits of a full-disk pause or longer the test can end at once, as if the time had passed:
    /// the worker's pause is not cut short by anything the node does.
    /// </summary>
    private sealed class HurriedClock : TimeProvider
    {
        private readonly ConcurrentDictionary<Wait, byte> waits = new();

        public void Use(Microsoft.AspNetCore.Builder.WebApplicationBuilder b) => b.Services.AddSingleton<TimeProvider>(this);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime < InquiryBatchWorker.FullPause || period != Timeout.InfiniteTimeSpan) return base.CreateTimer(callback, state, dueTime, period);
            var wait = new Wait(this, callback, state);
            waits[wait] = 0;
            wait.Timer = base.CreateTimer(_ => wait.Fire(), null, dueTime, period);
            return wait;
        }

        /// <summary>Waits until a pause has begun, then ends every one.</summary>
        public async Task HurryAsync()
        {
            await Eventually.HoldsAsync(() => !waits.IsEmpty, "a pause of the worker");
            foreach (var wait in waits.Keys) wait.Fire();
        }

        private sealed class Wait(HurriedClock clock, TimerCallback callback, object? state) : ITimer
        {
            public ITimer Timer = null!;
            private int fired;

            public void Fire()
            {
                clock.waits.TryRemove(this, out _);
                if (Interlocked.Exchange(ref fired, 1) == 0) callback(state);
            }

            public bool Change(TimeSpan dueTime, TimeSpan period) => Timer.Change(dueTime, period);
            public void Dispose() { clock.waits.TryRemove(this, out _); Timer.Dispose(); }
            public ValueTask DisposeAsync() { Dispose(); return ValueTask.CompletedTask; }
        }
    }
}
