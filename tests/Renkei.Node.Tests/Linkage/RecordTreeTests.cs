using System.Security.Cryptography;
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
        // Past two whole blocks of 1,024 leaves, so proofs use kept subtrees, blocks read from the database and the ragged end.
        var records = new List<ProvisionRecord>();
        for (var i = 0; i < 2600; i += 500) records.AddRange(await log.AppendAllAsync([.. Enumerable.Range(i, Math.Min(500, 2600 - i)).Select(Entry)]));
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
