using System.Net.Http.Json;
using System.Security.Cryptography;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

public class RecordTreeTests
{
    // The Certificate Transparency reference data (RFC 6962, kept by RFC 9162): eight leaves, the root at every size
    // and two published audit paths, so our tree agrees with every other implementation of the standard.
    private static readonly byte[][] ReferenceLeaves =
        [.. new[] { "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f" }.Select(d => LeafOf(Convert.FromHexString(d)))];

    private static readonly string[] ReferenceRoots =
    [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    private static byte[] LeafOf(byte[] data) => SHA256.HashData([0, .. data]);

    private static List<byte[]> Hex(params string[] hashes) => [.. hashes.Select(Convert.FromHexString)];

    [Fact]
    public void The_root_at_every_size_is_the_reference_root()
    {
        for (var n = 0; n <= ReferenceLeaves.Length; n++)
            Assert.Equal(ReferenceRoots[n], Convert.ToHexStringLower(RecordTree.Root(ReferenceLeaves.AsSpan(0, n))));
    }

    [Fact]
    public void Published_audit_paths_verify_and_changed_ones_do_not()
    {
        var root = Convert.FromHexString(ReferenceRoots[8]);
        var first = Hex("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
        var sixth = Hex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
        Assert.True(RecordTree.VerifyInclusion(0, 8, ReferenceLeaves[0], first, root));
        Assert.True(RecordTree.VerifyInclusion(5, 8, ReferenceLeaves[5], sixth, root));

        Assert.False(RecordTree.VerifyInclusion(1, 8, ReferenceLeaves[0], first, root)); // another place
        Assert.False(RecordTree.VerifyInclusion(5, 6, ReferenceLeaves[5], sixth, root)); // another size (the signed head binds the size to its root)
        Assert.False(RecordTree.VerifyInclusion(0, 8, ReferenceLeaves[1], first, root)); // another leaf
        Assert.False(RecordTree.VerifyInclusion(0, 8, ReferenceLeaves[0], first[..2], root)); // a hash left out
        Assert.False(RecordTree.VerifyInclusion(0, 8, ReferenceLeaves[0], [.. first, first[0]], root)); // one too many
        Assert.False(RecordTree.VerifyInclusion(8, 8, ReferenceLeaves[0], first, root)); // past the end
        var changed = first.Select(h => h.ToArray()).ToList();
        changed[1][0] ^= 1;
        Assert.False(RecordTree.VerifyInclusion(0, 8, ReferenceLeaves[0], changed, root));
    }

    [Theory, StorageData]
    public async Task Any_record_is_proved_by_a_path_of_logarithmic_length_to_the_root_of_the_whole_log(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        using var stranger = PartyKeys.Generate();
        var log = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        ProvisionEntry Entry(int i) => new(Envelope.NewId(), DateTimeOffset.UtcNow, null, "131059", "122173", "child-allowance", "local-tax", $"code-{i}", Outcome.NoData, "no-copy", false);
        // Past two whole blocks of 1,024 leaves, so proofs use kept subtrees, blocks read from the database and the ragged end;
        // a signed tree head kept at each step, at whole subtrees (1, 1,024, 2,048) and between them.
        var records = new List<ProvisionRecord>();
        var kept = new List<SignedTreeHead>();
        foreach (var batch in new[] { 1, 500, 500, 23, 500, 500, 24, 500, 52 })
        {
            records.AddRange(await log.AppendAllAsync([.. Enumerable.Range(records.Count, batch).Select(Entry)]));
            kept.Add(await log.TreeHeadAsync());
        }
        Assert.Equal([1L, 501, 1001, 1024, 1524, 2024, 2048, 2548, 2600], kept.Select(h => h.Size));
        var expectedRoot = Convert.ToHexStringLower(ReferenceRoot(records.Select(r => LeafOf(Convert.FromHexString(r.ContentHash))).ToList()));

        foreach (var seq in new[] { 1, 2, 1024, 1025, 2048, 2049, 2599, 2600 })
        {
            var proof = (await log.ProveAsync(records[seq - 1].RecordId))!;
            Assert.Equal((2600L, expectedRoot), (proof.Head.Size, proof.Head.RootHash));
            Assert.InRange(proof.AuditPath.Count, 1, 12); // ⌈log₂ 2600⌉
            Assert.True(proof.Verify(keys.Signing), $"record {seq}");
            Assert.False(proof.Verify(stranger.Signing));
            Assert.False((proof with { Record = proof.Record with { Outcome = Outcome.Provided } }).Verify(keys.Signing));
            Assert.False((proof with { LeafIndex = proof.LeafIndex + 1 }).Verify(keys.Signing));
            Assert.False((proof with { AuditPath = [.. proof.AuditPath.Skip(1).Prepend(proof.AuditPath[^1])] }).Verify(keys.Signing));
        }

        // A log that grows: the kept subtrees still hold, and a log that kept none (another process) proves the same.
        records.AddRange(await log.AppendAllAsync([.. Enumerable.Range(2600, 7).Select(Entry)]));
        var again = (await log.ProveAsync(records[0].RecordId))!;
        var cold = (await new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System).ProveAsync(records[0].RecordId))!;
        Assert.True(again.Verify(keys.Signing));
        Assert.Equal((2607L, again.Head.RootHash), (cold.Head.Size, cold.Head.RootHash));
        Assert.Equal(again.AuditPath, cold.AuditPath);
        Assert.Equal(Convert.ToHexStringLower(ReferenceRoot(records.Select(r => LeafOf(Convert.FromHexString(r.ContentHash))).ToList())), again.Head.RootHash);
        Assert.Null(await log.ProveAsync("no-such-record"));

        // Every kept head is extended by the log as it stands, by a path of logarithmic length.
        foreach (var earlier in kept)
        {
            var consistency = (await log.ProveConsistencyAsync(earlier.Size))!;
            Assert.True(consistency.Verify(earlier, keys.Signing), $"from {earlier.Size}");
            Assert.InRange(consistency.Path.Count, 1, 2 * 12);
            Assert.False(consistency.Verify(earlier with { Size = earlier.Size + 1 }, keys.Signing)); // a head it was not asked for
            Assert.False(consistency.Verify(earlier, stranger.Signing));
        }
        Assert.Null(await log.ProveConsistencyAsync(2608));

        // Someone with rights over the database rewrites record 700 and its content hash: the party, started again, no longer
        // signs a tree head over content hashes that do not chain to its signed head (it signed one over them before).
        await using (var c = await database.OpenAsync())
        {
            await InquiryTests.LiftAppendOnlyGuardAsync(c, provider);
            var forged = records[699] with { Outcome = Outcome.Provided };
            await c.ExecuteAsync("UPDATE provision_records SET outcome = 'Provided', content_hash = @h WHERE seq = 700", null, ("h", ProvisionLog.ContentHash(forged)));
        }
        var afterRewrite = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        Assert.Contains("does not reach its signed head", (await Assert.ThrowsAsync<HeadNotReachedException>(() => afterRewrite.ProveConsistencyAsync(kept[2].Size))).Message);
        await Assert.ThrowsAsync<HeadNotReachedException>(() => afterRewrite.ProveConsistencyAsync(kept[0].Size)); // record 1 is untouched, the log is not
        await Assert.ThrowsAsync<HeadNotReachedException>(() => afterRewrite.TreeHeadAsync());
        // The party still running (audit J, J3) proves nothing that reads record 700's block either; its tree head, from
        // subtrees kept before the rewrite, is still the root of the records as it signed them.
        Assert.Contains("rewritten", (await Assert.ThrowsAsync<HeadNotReachedException>(() => log.ProveAsync(records[699].RecordId))).Message);
        await Assert.ThrowsAsync<HeadNotReachedException>(() => log.ProveAsync(records[0].RecordId));
        await Assert.ThrowsAsync<HeadNotReachedException>(() => log.ProveConsistencyAsync(kept[2].Size));
        Assert.Equal(again.Head.RootHash, (await log.TreeHeadAsync()).RootHash);
        Assert.True((await log.ProveAsync(records[2599].RecordId))!.Verify(keys.Signing)); // another block
    }

    [Theory, StorageData]
    public async Task A_running_log_signs_nothing_over_a_record_rewritten_since_it_last_reached_its_head(StorageProvider provider)
    {
        // Audit J, J3: the walk to the signed head went on from the size seen last while the chain hash stored there was
        // unchanged, and the tree read the content hashes as stored: a record whose content hash was rewritten, its chain
        // hashes left alone, was signed over in fresh tree heads and proved to anyone who asked.
        await using var network = await LinkageNetwork.StartAsync(provider, configureNode: b => b.Configuration["Node:ErasureHours"] = "0");
        var database = network.TenantDatabases[LinkageNetwork.PensionService];
        using var keys = PartyKeys.Generate();
        var log = new ProvisionLog(database, "p", keys.Signing, 7, TimeProvider.System);
        ProvisionEntry Entry(int i) => new(Envelope.NewId(), DateTimeOffset.UtcNow, null, "131059", "122173", "child-allowance", "local-tax", $"code-{i}", Outcome.NoData, "no-copy", false);
        var records = await log.AppendAllAsync([.. Enumerable.Range(0, 3).Select(Entry)]);
        var before = await log.TreeHeadAsync();
        Assert.True((await log.ProveAsync(records[1].RecordId))!.Verify(keys.Signing));

        await using (var c = await database.OpenAsync())
        {
            await InquiryTests.LiftAppendOnlyGuardAsync(c, provider);
            await c.ExecuteAsync("UPDATE provision_records SET outcome = 'Provided', reason = NULL, content_hash = @h WHERE seq = 2", null,
                ("h", ProvisionLog.ContentHash(records[1] with { Outcome = Outcome.Provided, Reason = null })));
        }

        Assert.Contains("rewritten", (await Assert.ThrowsAsync<HeadNotReachedException>(() => log.ProveAsync(records[1].RecordId))).Message);
        await Assert.ThrowsAsync<HeadNotReachedException>(() => log.ProveAsync(records[0].RecordId));
        await Assert.ThrowsAsync<HeadNotReachedException>(() => log.TreeHeadAsync());
        await Assert.ThrowsAsync<HeadNotReachedException>(() => log.ProveConsistencyAsync(before.Size));
        // Appending on (the stored head and the last chain hash are as signed) does not lend the rewrite a new head either.
        await log.AppendAsync(Entry(3));
        await Assert.ThrowsAsync<HeadNotReachedException>(() => log.TreeHeadAsync());
        Assert.Equal((false, 2L), ((await log.CheckAsync()).Intact, (await log.CheckAsync()).FirstBrokenSeq));
    }

    [Fact]
    public void Published_consistency_paths_verify_and_changed_ones_do_not()
    {
        byte[] Root(int n) => Convert.FromHexString(ReferenceRoots[n]);
        var oneToEight = Hex("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
        var sixToEight = Hex("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
        var twoToFive = Hex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
        Assert.True(RecordTree.VerifyConsistency(1, 1, Root(1), Root(1), []));
        Assert.True(RecordTree.VerifyConsistency(1, 8, Root(1), Root(8), oneToEight));
        Assert.True(RecordTree.VerifyConsistency(6, 8, Root(6), Root(8), sixToEight));
        Assert.True(RecordTree.VerifyConsistency(2, 5, Root(2), Root(5), twoToFive));

        Assert.False(RecordTree.VerifyConsistency(5, 8, Root(6), Root(8), sixToEight)); // another earlier size
        Assert.False(RecordTree.VerifyConsistency(6, 8, Root(5), Root(8), sixToEight)); // another earlier root
        Assert.False(RecordTree.VerifyConsistency(6, 8, Root(6), Root(7), sixToEight)); // another later root
        Assert.False(RecordTree.VerifyConsistency(6, 8, Root(6), Root(8), sixToEight[..2])); // a hash left out
        Assert.False(RecordTree.VerifyConsistency(2, 5, Root(2), Root(5), [])); // no path
        Assert.False(RecordTree.VerifyConsistency(1, 1, Root(1), Root(2), [])); // one size, two roots
        Assert.False(RecordTree.VerifyConsistency(8, 6, Root(8), Root(6), sixToEight)); // shrinking
        var changed = sixToEight.Select(h => h.ToArray()).ToList();
        changed[0][31] ^= 1;
        Assert.False(RecordTree.VerifyConsistency(6, 8, Root(6), Root(8), changed));
    }

    [Theory, StorageData]
    public async Task A_tenant_auditor_keeps_a_tree_head_and_later_gets_the_log_proved_to_extend_it(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        const string K = LinkageNetwork.Kashiwa;
        await family.AnswerAsync("bunkyo-child-clerk");
        var auditor = network.NodeClient("kashiwa-auditor");
        var earlier = (await auditor.GetFromJsonAsync<SignedTreeHead>($"api/tenants/{K}/records/tree-head", ServiceDefaults.Json))!;
        Assert.Equal(1, earlier.Size);
        await family.AnswerAsync("bunkyo-child-clerk");
        await family.AnswerAsync("bunkyo-child-clerk", item: "resident");

        var proof = (await auditor.GetFromJsonAsync<ConsistencyProof>($"api/tenants/{K}/records/consistency?from=1", ServiceDefaults.Json))!;
        var key = (await network.NodeClient().GetFromJsonAsync<PublicKeys>($"api/tenants/{K}/keys", ServiceDefaults.Json))!.OpenSigningKey();
        Assert.Equal(3, proof.Head.Size);
        Assert.True(proof.Verify(earlier, key));

        foreach (var bad in new[] { "", "?from=0", "?from=-1", "?from=4", "?from=x" })
            await ProblemAssert.IsProblemAsync(await auditor.GetAsync($"api/tenants/{K}/records/consistency{bad}"), 400, bad == "?from=x" ? "malformed-request" : "invalid-size");
        // The core answers the same way for its own log.
        var core = network.CoreClient("auditor-token");
        var coreHead = (await core.GetFromJsonAsync<SignedTreeHead>("api/records/tree-head", ServiceDefaults.Json))!;
        Assert.Equal(3, coreHead.Size);
        Assert.Equal(coreHead.RootHash, (await core.GetFromJsonAsync<ConsistencyProof>("api/records/consistency?from=3", ServiceDefaults.Json))!.Head.RootHash);
        await ProblemAssert.IsProblemAsync(await core.GetAsync("api/records/consistency?from=9"), 400, "invalid-size");
        // Hashes and sizes only: the core's are public, for every node and auditor to witness.
        Assert.Equal(coreHead.RootHash, (await network.CoreClient().GetFromJsonAsync<SignedTreeHead>("api/records/tree-head", ServiceDefaults.Json))!.RootHash);
        Assert.Equal(3, (await network.CoreClient().GetFromJsonAsync<ConsistencyProof>("api/records/consistency?from=1", ServiceDefaults.Json))!.Head.Size);
        await ProblemAssert.IsProblemAsync(await network.CoreClient("operator-token").GetAsync("api/records/verify"), 403, "forbidden");
    }

    // The definition in RFC 9162 section 2.1.1, written out again here rather than taken from the code under test.
    private static byte[] ReferenceRoot(List<byte[]> leaves)
    {
        if (leaves.Count == 1) return leaves[0];
        var k = 1;
        while (k * 2 < leaves.Count) k *= 2;
        return SHA256.HashData([1, .. ReferenceRoot(leaves[..k]), .. ReferenceRoot(leaves[k..])]);
    }
}
