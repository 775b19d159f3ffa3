using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>Provision records past their retention lose the person's code, and nothing else of the log changes.</summary>
public class ErasureTests
{
    private static readonly DateTimeOffset NineYearsAgo = DateTimeOffset.UtcNow.AddYears(-9);

    /// <summary>
    /// A network whose node does not erase on its own: these tests keep a log of their own in the pension service's
    /// database, and the node's pass at start would erase its records too (they share the table) at a moment of its own.
    /// </summary>
    private static Task<LinkageNetwork> StartAsync(StorageProvider provider) =>
        LinkageNetwork.StartAsync(provider, configureNode: b => b.Configuration["Node:ErasureHours"] = "0");

    /// <summary>A log of the tests' own, party "p", in the pension service's database.</summary>
    private static ProvisionLog OwnLog(LinkageNetwork network, PartyKeys keys) =>
        new(network.TenantDatabases[LinkageNetwork.PensionService], "p", keys.Signing, 7, TimeProvider.System);

    private static ProvisionEntry Entry(string code, DateTimeOffset requestedAt) =>
        new(Envelope.NewId(), requestedAt, requestedAt, "131059", "122173", "child-allowance", "local-tax", code, Outcome.Provided, null, false);

    [Theory, StorageData]
    public async Task Records_past_their_retention_lose_their_codes_and_keep_their_place_in_the_chain_and_the_tree(StorageProvider provider)
    {
        await using var network = await StartAsync(provider);
        using var keys = PartyKeys.Generate();
        var log = OwnLog(network, keys);
        // Three records past seven years, one of today, and one past seven years again behind it (a batch answered late).
        var records = await log.AppendAllAsync([Entry("c1", NineYearsAgo), Entry("c2", NineYearsAgo), Entry("c3", NineYearsAgo),
            Entry("c4", DateTimeOffset.UtcNow), Entry("c5", NineYearsAgo)]);
        var before = await log.TreeHeadAsync();
        Assert.Null(await log.ErasureAsync());

        Assert.Equal(3, await log.EraseExpiredAsync());

        foreach (var code in new[] { "c1", "c2", "c3" }) Assert.Empty(await log.ListByCodeAsync(code));
        Assert.Single(await log.ListByCodeAsync("c4"));
        Assert.Single(await log.ListByCodeAsync("c5")); // behind a record still kept: it waits for it
        var erasure = (await log.ErasureAsync())!;
        Assert.Equal(3, erasure.Through);
        Assert.True(erasure.HasValidSignature(keys.Signing));
        var erased = (await log.ProveAsync(records[0].RecordId))!;
        Assert.NotNull(erased.Record.ErasedAt);
        Assert.Null(erased.Record.Code);
        // Everything but the code is as it was: the record still says who asked whom for what, and how it ended.
        Assert.Equal(records[0] with { Code = null }, erased.Record with { ErasedAt = null });
        Assert.False(erased.Verify(keys.Signing)); // what it said is no longer there to prove
        Assert.True((await log.ProveAsync(records[3].RecordId))!.Verify(keys.Signing));

        // The chain, the tree and every head kept before still hold.
        Assert.Equal(new LogCheck(true, null), await log.CheckAsync());
        var after = await log.TreeHeadAsync();
        Assert.Equal((before.Size, before.RootHash), (after.Size, after.RootHash));
        Assert.True((await log.ProveConsistencyAsync(before.Size))!.Verify(before, keys.Signing));

        // Nothing more is due; a log appended to afterwards goes on as before.
        Assert.Equal(0, await log.EraseExpiredAsync());
        await log.AppendAsync(Entry("c6", DateTimeOffset.UtcNow));
        Assert.Equal(new LogCheck(true, null), await log.CheckAsync());
    }

    [Theory, StorageData]
    public async Task The_database_allows_only_the_erasure_of_an_expired_records_code_and_the_check_wants_the_partys_signed_erasure(StorageProvider provider)
    {
        await using var network = await StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        using var stranger = PartyKeys.Generate();
        var log = OwnLog(network, keys);
        await log.AppendAllAsync([Entry("c1", NineYearsAgo), Entry("c2", DateTimeOffset.UtcNow), Entry("c3", NineYearsAgo)]);
        Assert.Equal(1, await log.EraseExpiredAsync());

        const string Now = "2099-01-01T00:00:00.0000000Z";
        await using var c = await database.OpenAsync();
        var attempts = new List<string>
        {
            $"UPDATE provision_records SET code = NULL, erased_at = '{Now}' WHERE seq = 2", // still within its retention
            $"UPDATE provision_records SET code = 'x', erased_at = '{Now}' WHERE seq = 3", // a code kept, or changed
            "UPDATE provision_records SET code = NULL WHERE seq = 3", // erased without saying when
            "UPDATE provision_records SET code = NULL, erased_at = 'soon' WHERE seq = 3", // at no readable time
            "UPDATE provision_records SET erased_at = NULL, code = 'c1' WHERE seq = 1", // an erasure taken back
            $"UPDATE provision_records SET erased_at = '{Now}' WHERE seq = 1", // an erased record erased again
            "DELETE FROM provision_records WHERE seq = 1",
        };
        // Erasing the code of an expired record while changing anything else of it, column by column.
        foreach (var change in new[]
        {
            "seq = seq + 100", "record_id = 'x'", "message_id = 'x'", "requested_at = 'x'", "provided_at = NULL", "requester = 'x'", "provider = 'x'",
            "affair = 'x'", "item = 'x'", "outcome = 'NoData'", "reason = 'x'", "withheld = 1 - withheld", "retain_until = 'x'", "content_hash = 'x'",
            "chain_hash = 'x'",
        })
            attempts.Add($"UPDATE provision_records SET code = NULL, erased_at = '{Now}', {change} WHERE seq = 3");
        foreach (var sql in attempts)
            Assert.Contains("append-only", (await Assert.ThrowsAnyAsync<DbException>(() => c.ExecuteAsync(sql))).Message);
        // The signed erasure only moves forward, and not past the end of the log (where it would stop every later erasure).
        foreach (var sql in new[] { "UPDATE provision_erasures SET erased_through = 0", "DELETE FROM provision_erasures", "UPDATE provision_erasures SET erased_through = 4",
            "INSERT INTO provision_erasures (party, erased_through, erased_at, signature) VALUES ('q', 9000000000000000000, 'x', 'x')" })
            Assert.Contains("only moves forward", (await Assert.ThrowsAnyAsync<DbException>(() => c.ExecuteAsync(sql))).Message);
        if (provider == StorageProvider.Postgres)
            Assert.Contains("only moves forward", (await Assert.ThrowsAnyAsync<DbException>(() => c.ExecuteAsync("TRUNCATE provision_erasures"))).Message);
        Assert.Equal(new LogCheck(true, null), await log.CheckAsync());

        // The database lets anyone with write rights erase an expired code, but only the party's signature makes it an erasure.
        await c.ExecuteAsync($"UPDATE provision_records SET code = NULL, erased_at = '{Now}' WHERE seq = 3");
        var unsigned = await log.CheckAsync();
        Assert.Equal((false, 3L), (unsigned.Intact, unsigned.FirstBrokenSeq));
        Assert.Contains("outside the party's signed erasure", unsigned.Reason);

        // A statement reaching that far, signed by another key, counts for nothing: then record 1's erasure is unsigned too.
        var forged = new SignedErasure("p", 3, DateTimeOffset.UtcNow, "");
        forged = forged with { Signature = Convert.ToBase64String(stranger.Signing.SignData(forged.SignedBytes(), System.Security.Cryptography.HashAlgorithmName.SHA256)) };
        await c.ExecuteAsync("UPDATE provision_erasures SET erased_through = 3, erased_at = @at, signature = @s WHERE party = 'p'", null,
            ("at", ProvisionLog.TimeText(forged.ErasedAt)), ("s", forged.Signature));
        var check = await log.CheckAsync();
        Assert.Equal((false, 1L), (check.Intact, check.FirstBrokenSeq));
        // Signed by the party itself, the statement covers record 1; record 3 stays out of place all the same, erased
        // behind record 2, which is kept: an erasure never leaves a kept record behind it.
        var genuine = forged with { Signature = Convert.ToBase64String(keys.Signing.SignData(forged.SignedBytes(), System.Security.Cryptography.HashAlgorithmName.SHA256)) };
        await c.ExecuteAsync("UPDATE provision_erasures SET signature = @s WHERE party = 'p'", null, ("s", genuine.Signature));
        var behindKept = await log.CheckAsync();
        Assert.Equal((false, 3L), (behindKept.Intact, behindKept.FirstBrokenSeq));
        Assert.Contains("outside the party's signed erasure", behindKept.Reason);
    }

    [Theory, StorageData]
    public async Task A_retain_until_rewritten_early_stops_the_erasure_as_tampering_and_nothing_of_the_chunk_is_erased(StorageProvider provider)
    {
        // Audit F, finding 4: the pass chose its run by the stored retain_until and never checked the records, so a rewritten
        // retain_until had the party erase and sign records years early, and the erasure took away what could show it.
        await using var network = await StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        var log = OwnLog(network, keys);
        await log.AppendAllAsync([Entry("c1", DateTimeOffset.UtcNow), Entry("c2", DateTimeOffset.UtcNow), Entry("c3", DateTimeOffset.UtcNow)]);
        await using var c = await database.OpenAsync();
        await RetainUntilRewrittenEarlyAsync(c, provider);

        var tampered = await Assert.ThrowsAsync<TamperedRecordsException>(() => log.EraseExpiredAsync());
        Assert.Equal(1, tampered.Seq);
        Assert.StartsWith("情報提供等記録（p）の記録 1 がハッシュと一致しません", tampered.Message); // Japanese first
        Assert.Equal(["c1", "c2", "c3"], (await log.ListByCodesAsync(["c1", "c2", "c3"])).Select(r => r.Code));
        Assert.Null(await log.ErasureAsync());
        Assert.Equal((false, 1L), ((await log.CheckAsync()).Intact, (await log.CheckAsync()).FirstBrokenSeq));

        // Nor does the pass sign records someone else erased: the database allows that of a record past its (rewritten) retain_until.
        await c.ExecuteAsync($"UPDATE provision_records SET code = NULL, erased_at = '{ProvisionLog.TimeText(DateTimeOffset.UtcNow)}' WHERE seq <= 2");
        Assert.Equal(1, (await Assert.ThrowsAsync<TamperedRecordsException>(() => log.EraseExpiredAsync())).Seq);
        Assert.Null(await log.ErasureAsync());
        Assert.Equal((false, 1L), ((await log.CheckAsync()).Intact, (await log.CheckAsync()).FirstBrokenSeq));
    }

    [Theory, StorageData]
    public async Task An_erasure_statement_the_party_cannot_verify_has_it_adopt_no_early_erasure_and_erase_nothing(StorageProvider provider)
    {
        // Audit J, J2: the pass took a statement it could not verify as one "under an earlier key" and signed again, from the
        // start, every record the log showed erased: a retain_until rewritten early, an erasure by UPDATE and one INSERT of a
        // statement had the party vouch for records erased years early, and /verify read the log as intact.
        await using var network = await StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        var log = OwnLog(network, keys);
        await log.AppendAllAsync([Entry("c1", DateTimeOffset.UtcNow), Entry("c2", DateTimeOffset.UtcNow), Entry("c3", DateTimeOffset.UtcNow)]);
        await using var c = await database.OpenAsync();
        await RetainUntilRewrittenEarlyAsync(c, provider);
        await c.ExecuteAsync($"UPDATE provision_records SET code = NULL, erased_at = '{ProvisionLog.TimeText(DateTimeOffset.UtcNow)}' WHERE seq <= 2");
        await c.ExecuteAsync($"INSERT INTO provision_erasures (party, erased_through, erased_at, signature) VALUES ('p', 2, '{ProvisionLog.TimeText(DateTimeOffset.UtcNow)}', 'x')");

        var refused = await Assert.ThrowsAsync<TamperedRecordsException>(() => log.EraseExpiredAsync());
        Assert.Equal(1, refused.Seq);
        Assert.StartsWith("情報提供等記録（p）の消去の署名（記録 2 まで）がこの機関の鍵で検証できません", refused.Message); // Japanese first
        Assert.Contains("nothing is erased until it is restored", refused.Message);
        Assert.Equal((2L, "x"), ((await log.ErasureAsync())!.Through, (await log.ErasureAsync())!.Signature)); // nothing signed
        var check = await log.CheckAsync();
        Assert.Equal((false, 1L), (check.Intact, check.FirstBrokenSeq));
        Assert.Contains("outside the party's signed erasure", check.Reason);

        // A statement signed by another key is no better; and the pass refuses on every run, erasing nothing due behind it.
        using var stranger = PartyKeys.Generate();
        var other = new SignedErasure("p", 2, DateTimeOffset.UtcNow, "");
        other = other with { Signature = Convert.ToBase64String(stranger.Signing.SignData(other.SignedBytes(), System.Security.Cryptography.HashAlgorithmName.SHA256)) };
        await c.ExecuteAsync("UPDATE provision_erasures SET erased_at = @at, signature = @s WHERE party = 'p'", null,
            ("at", ProvisionLog.TimeText(other.ErasedAt)), ("s", other.Signature));
        await log.AppendAsync(Entry("c4", NineYearsAgo));
        Assert.Equal(1, (await Assert.ThrowsAsync<TamperedRecordsException>(() => log.EraseExpiredAsync())).Seq);
        Assert.Equal(other.Signature, (await log.ErasureAsync())!.Signature);
        Assert.Equal(["c3", "c4"], (await log.ListByCodesAsync(["c1", "c2", "c3", "c4"])).Select(r => r.Code));
    }

    [Theory, StorageData]
    public async Task A_signed_erasure_forged_past_the_erased_records_stops_the_erasure_clearly_until_it_is_restored(StorageProvider provider)
    {
        // Audit F, finding 7 had the pass erase on under such a statement and sign again once it reached it; audit J, J2 showed
        // that signing again vouches for whatever the log shows erased. One UPDATE the database allows now stops the erasure,
        // said as an error at every pass, with nothing erased or signed, until the statement is restored.
        await using var network = await StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        var log = OwnLog(network, keys);
        await log.AppendAllAsync([Entry("c1", NineYearsAgo), Entry("c2", NineYearsAgo), Entry("c3", NineYearsAgo)]);
        Assert.Equal(3, await log.EraseExpiredAsync());
        var genuine = (await log.ErasureAsync())!;
        await log.AppendAllAsync([Entry("c4", NineYearsAgo), Entry("c5", NineYearsAgo), Entry("c6", NineYearsAgo), Entry("c7", DateTimeOffset.UtcNow)]);
        await using var c = await database.OpenAsync();
        await c.ExecuteAsync("UPDATE provision_erasures SET erased_through = 6, signature = 'x' WHERE party = 'p'");
        Assert.Equal((false, 1L), ((await log.CheckAsync()).Intact, (await log.CheckAsync()).FirstBrokenSeq));

        var refused = await Assert.ThrowsAsync<TamperedRecordsException>(() => log.EraseExpiredAsync());
        Assert.StartsWith("情報提供等記録（p）の消去の署名（記録 6 まで）がこの機関の鍵で検証できません", refused.Message);
        Assert.Equal(["c4", "c5", "c6", "c7"], (await log.ListByCodesAsync(["c1", "c2", "c3", "c4", "c5", "c6", "c7"])).Select(r => r.Code));
        Assert.Equal((6L, "x"), ((await log.ErasureAsync())!.Through, (await log.ErasureAsync())!.Signature));

        // The pass logs it as an error, Japanese first, and the service goes on.
        var logs = new CapturedLogs();
        using (var factory = LoggerFactory.Create(b => b.AddProvider(logs)))
        {
            var pass = new RecordErasure(() => [log], TimeSpan.FromHours(1), TimeProvider.System, factory.CreateLogger<RecordErasure>());
            await pass.StartAsync(CancellationToken.None);
            await RenkeiCommand.WaitForAsync(() => Task.FromResult(logs.Lines.FirstOrDefault(l => l.StartsWith("Error"))), TimeSpan.FromSeconds(30), "the pass's error");
            await pass.StopAsync(CancellationToken.None);
        }
        Assert.Contains(logs.Lines, l => l.StartsWith("Error") && l.Contains("情報提供等記録（p）の消去の署名（記録 6 まで）"));

        // Restored (from a backup, or by someone who may lift the guard), the erasure goes on from the party's own statement.
        if (provider == StorageProvider.Postgres) await c.ExecuteAsync("ALTER TABLE provision_erasures DISABLE TRIGGER USER");
        else foreach (var trigger in await c.QueryAsync("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'provision_erasures'", r => r.GetString(0)))
            await c.ExecuteAsync($"DROP TRIGGER {trigger}");
        await c.ExecuteAsync("UPDATE provision_erasures SET erased_through = 3, erased_at = @at, signature = @s WHERE party = 'p'", null,
            ("at", ProvisionLog.TimeText(genuine.ErasedAt)), ("s", genuine.Signature));
        Assert.Equal(3, await log.EraseExpiredAsync());
        Assert.Equal(6, (await log.ErasureAsync())!.Through);
        Assert.Equal(new LogCheck(true, null), await log.CheckAsync());
    }

    [Theory, StorageData]
    public async Task The_node_erases_at_start_and_answers_gone_for_the_proof_of_an_erased_record(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider); // the node erases every Node:ErasureHours (24), first at start
        var old = await network.NodeTenants.Find(LinkageNetwork.Kashiwa)!.Records.AppendAsync(Entry("K-code", NineYearsAgo));
        var kept = await network.NodeTenants.Find(LinkageNetwork.Kashiwa)!.Records.AppendAsync(Entry("K-code", DateTimeOffset.UtcNow));

        await network.RestartNodeAsync();
        var tenant = network.NodeTenants.Find(LinkageNetwork.Kashiwa)!;
        var erasure = await RenkeiCommand.WaitForAsync(async () => await tenant.Records.ErasureAsync(), TimeSpan.FromSeconds(30), "the node's erasure at start");
        Assert.Equal(old.Seq, erasure.Through);

        var auditor = network.NodeClient("kashiwa-auditor");
        var gone = await ProblemAssert.IsProblemAsync(await auditor.GetAsync($"api/tenants/{LinkageNetwork.Kashiwa}/records/{old.RecordId}/proof"), 410, "record-erased");
        Assert.Contains("保存期間", gone.GetProperty("title").GetString());
        Assert.StartsWith($"{ProvisionLog.TimeText(erasure.ErasedAt)} に消去されました", gone.GetProperty("detail").GetString()); // Japanese first
        Assert.True((await auditor.GetAsync($"api/tenants/{LinkageNetwork.Kashiwa}/records/{kept.RecordId}/proof")).IsSuccessStatusCode);
        var verify = await LinkageNetwork.Ensure(await auditor.GetAsync($"api/tenants/{LinkageNetwork.Kashiwa}/records/verify"));
        Assert.True(verify.GetProperty("intact").GetBoolean());
    }

    [Theory, StorageData]
    public async Task A_later_erasure_goes_on_from_where_the_last_stopped(StorageProvider provider)
    {
        await using var network = await StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        var log = OwnLog(network, keys);
        Assert.Equal(0, await log.EraseExpiredAsync()); // an empty log
        Assert.Null(await log.ErasureAsync());
        await log.AppendAllAsync([Entry("c1", NineYearsAgo), Entry("c2", NineYearsAgo)]);
        Assert.Equal(2, await log.EraseExpiredAsync());
        var records = await log.AppendAllAsync([Entry("c3", NineYearsAgo), Entry("c4", NineYearsAgo), Entry("c5", DateTimeOffset.UtcNow)]);
        Assert.Equal(2, await log.EraseExpiredAsync());
        Assert.Equal(4, (await log.ErasureAsync())!.Through);
        Assert.Equal(["c5"], (await log.ListByCodesAsync(["c1", "c2", "c3", "c4", "c5"])).Select(r => r.Code));
        Assert.Equal(records[2].RecordId, (await log.ListByCodeAsync("c5")).Single().RecordId);
        Assert.Equal(new LogCheck(true, null), await log.CheckAsync());

        // Under another key the statement does not verify: a key change is refused at start (KeyFiles), so it reads as altered
        // and is not signed again over erasures no pass of this key checked (audit J, J2).
        using var renewed = PartyKeys.Generate();
        var relogged = new ProvisionLog(database, "p", renewed.Signing, 7, TimeProvider.System);
        Assert.Equal((false, 1L), ((await relogged.CheckAsync()).Intact, (await relogged.CheckAsync()).FirstBrokenSeq));
        await Assert.ThrowsAsync<TamperedRecordsException>(() => relogged.EraseExpiredAsync());
        Assert.True((await relogged.ErasureAsync())!.HasValidSignature(keys.Signing));
    }

    [Theory, StorageData]
    public async Task A_long_due_erasure_goes_in_transactions_of_at_most_ten_thousand_records(StorageProvider provider)
    {
        await using var network = await StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        var log = OwnLog(network, keys);
        await AppendExpiredAsync(log, 10_007, "c");
        Assert.Equal(10_007, await log.EraseExpiredAsync());
        Assert.Equal(10_007, (await log.ErasureAsync())!.Through);
        await using var c = await database.OpenAsync();
        // Two transactions: the first 10,000 records were erased at one moment, the last seven at a later one.
        Assert.Equal(2L, await c.ScalarAsync<long>("SELECT COUNT(DISTINCT erased_at) FROM provision_records"));
        Assert.Equal(ProvisionLog.ErasureChunk, await c.ScalarAsync<long>(
            "SELECT COUNT(*) FROM provision_records WHERE erased_at = (SELECT MIN(erased_at) FROM provision_records)"));
        Assert.Equal(new LogCheck(true, null), await log.CheckAsync());
    }

    /// <summary>Appends <paramref name="count"/> records long past their retention, in groups of 500 as a busy party would.</summary>
    private static async Task AppendExpiredAsync(ProvisionLog log, int count, string codePrefix)
    {
        for (var done = 0; done < count; done += 500)
            await log.AppendAllAsync([.. Enumerable.Range(done, Math.Min(500, count - done)).Select(n => Entry($"{codePrefix}{n}", NineYearsAgo))]);
    }

    [Theory, StorageData]
    public async Task A_record_only_just_past_its_retention_waits_for_the_margin_and_does_not_fail_the_erasure(StorageProvider provider)
    {
        await using var network = await StartAsync(provider);
        using var keys = PartyKeys.Generate();
        var log = OwnLog(network, keys);
        var sevenYearsAgo = DateTimeOffset.UtcNow.AddYears(-7);
        await log.AppendAllAsync([Entry("c1", sevenYearsAgo - ProvisionLog.ErasureMargin - TimeSpan.FromMinutes(1)),
            Entry("c2", sevenYearsAgo - TimeSpan.FromSeconds(1)), Entry("c3", NineYearsAgo)]);
        Assert.Equal(1, await log.EraseExpiredAsync());
        Assert.Equal(1, (await log.ErasureAsync())!.Through);
        Assert.Single(await log.ListByCodeAsync("c2"));
    }

    [Theory, StorageData]
    public async Task A_log_that_cannot_be_erased_does_not_stop_the_pass_for_the_others(StorageProvider provider)
    {
        await using var network = await StartAsync(provider);
        using var keys = PartyKeys.Generate();
        // The pension service's table holds a statement no one can read (written by hand); the city's log is in order.
        var unreadable = new ProvisionLog(network.TenantDatabases[LinkageNetwork.PensionService], "p", keys.Signing, 7, TimeProvider.System);
        await unreadable.AppendAsync(Entry("c1", NineYearsAgo));
        await using (var c = await network.TenantDatabases[LinkageNetwork.PensionService].OpenAsync())
            await c.ExecuteAsync("INSERT INTO provision_erasures (party, erased_through, erased_at, signature) VALUES ('p', 0, 'not a time', 'x')");
        var fine = new ProvisionLog(network.TenantDatabases[LinkageNetwork.Kashiwa], "q", keys.Signing, 7, TimeProvider.System);
        await fine.AppendAsync(Entry("c2", NineYearsAgo));

        var pass = new RecordErasure(() => [unreadable, fine], TimeSpan.FromMilliseconds(50), TimeProvider.System, NullLogger<RecordErasure>.Instance);
        await pass.StartAsync(CancellationToken.None);
        try
        {
            await RenkeiCommand.WaitForAsync(async () => await fine.ErasureAsync(), TimeSpan.FromSeconds(30), "the erasure of the city's log");
            await Task.Delay(200); // a few more passes over the unreadable log
            Assert.False(pass.ExecuteTask!.IsCompleted); // still running
        }
        finally { await pass.StopAsync(CancellationToken.None); }
        await Assert.ThrowsAsync<FormatException>(() => unreadable.ErasureAsync());
    }

    [Theory, StorageData]
    public async Task An_erasure_pass_set_to_zero_erases_nothing(StorageProvider provider)
    {
        await using var network = await StartAsync(provider);
        using var keys = PartyKeys.Generate();
        var log = OwnLog(network, keys);
        await log.AppendAsync(Entry("c1", NineYearsAgo));
        var pass = new RecordErasure(() => [log], TimeSpan.Zero, TimeProvider.System, NullLogger<RecordErasure>.Instance);
        await pass.StartAsync(CancellationToken.None);
        // Zero is off: the pass ends by itself without being stopped (one that ran on, or waited for a first tick, would time out
        // here), and a pass that ran once before ending would have erased the record below.
        try { await pass.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30)); }
        finally { await pass.StopAsync(CancellationToken.None); }
        Assert.Null(await log.ErasureAsync());
        Assert.Single(await log.ListByCodeAsync("c1"));
    }

    /// <summary>The first two records' retain_until rewritten to 2000, past the append-only guard, which is then put back.</summary>
    private static async Task RetainUntilRewrittenEarlyAsync(System.Data.Common.DbConnection c, StorageProvider provider)
    {
        await InquiryTests.LiftAppendOnlyGuardAsync(c, provider);
        await c.ExecuteAsync("UPDATE provision_records SET retain_until = '2000-01-01T00:00:00.0000000Z' WHERE seq <= 2");
        if (provider == StorageProvider.Postgres) await c.ExecuteAsync("ALTER TABLE provision_records ENABLE TRIGGER USER");
    }
}
