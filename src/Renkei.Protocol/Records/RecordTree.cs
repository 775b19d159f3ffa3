using System.Collections.Concurrent;
using System.Data.Common;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Renkei.Hosting.Storage;

namespace Renkei.Protocol.Records;

/// <summary>
/// The Merkle tree of RFC 9162 (section 2.1) over a log's content hashes in sequence order, for inclusion
/// proofs of logarithmic size: a record among a billion is proved by 30 hashes, where the chain alone
/// needs every content hash after it. Leaf i is SHA-256(0x00 ‖ content hash of record i + 1); a node is
/// SHA-256(0x01 ‖ left ‖ right); a range of n leaves splits at the largest power of two below n.
/// </summary>
public static class RecordTree
{
    public static byte[] Leaf(string contentHash)
    {
        Span<byte> input = stackalloc byte[33];
        input[0] = 0;
        if (contentHash.Length != 64 || Convert.FromHexString(contentHash, input[1..], out _, out _) != System.Buffers.OperationStatus.Done)
            throw new FormatException("a content hash is 64 hexadecimal digits");
        return SHA256.HashData(input);
    }

    public static byte[] Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> input = stackalloc byte[65];
        input[0] = 1;
        left.CopyTo(input[1..]);
        right.CopyTo(input[33..]);
        return SHA256.HashData(input);
    }

    /// <summary>The largest power of two smaller than <paramref name="n"/> (n at least 2): where RFC 9162 splits a range.</summary>
    public static long Split(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    /// <summary>The root of leaves held in memory.</summary>
    public static byte[] Root(ReadOnlySpan<byte[]> leaves)
    {
        if (leaves.Length == 0) return SHA256.HashData([]);
        if (leaves.Length == 1) return leaves[0];
        var k = (int)Split(leaves.Length);
        return Node(Root(leaves[..k]), Root(leaves[k..]));
    }

    /// <summary>RFC 9162 section 2.1.3.2: whether <paramref name="path"/> leads from leaf <paramref name="index"/> of a tree of <paramref name="size"/> to <paramref name="root"/>.</summary>
    public static bool VerifyInclusion(long index, long size, byte[] leaf, IReadOnlyList<byte[]> path, byte[] root)
    {
        if (index < 0 || index >= size) return false;
        var (fn, sn, r) = (index, size - 1, leaf);
        foreach (var p in path)
        {
            if (sn == 0 || p.Length != 32) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = Node(p, r);
                if ((fn & 1) == 0)
                    while ((fn & 1) == 0 && fn != 0) (fn, sn) = (fn >> 1, sn >> 1);
            }
            else r = Node(r, p);
            (fn, sn) = (fn >> 1, sn >> 1);
        }
        return sn == 0 && r.AsSpan().SequenceEqual(root);
    }

    /// <summary>
    /// RFC 9162 section 2.1.4.2: whether <paramref name="path"/> shows the tree of <paramref name="second"/> leaves with root
    /// <paramref name="secondRoot"/> to extend the tree of <paramref name="first"/> leaves with root <paramref name="firstRoot"/>:
    /// the log only grew in between, nothing in the first <paramref name="first"/> records changed.
    /// </summary>
    public static bool VerifyConsistency(long first, long second, byte[] firstRoot, byte[] secondRoot, IReadOnlyList<byte[]> path)
    {
        if (first < 1 || second < first || path.Any(p => p.Length != 32)) return false;
        if (first == second) return path.Count == 0 && firstRoot.AsSpan().SequenceEqual(secondRoot);
        if (path.Count == 0) return false;
        // A first tree that is a whole subtree is its own root; the path leaves it out.
        var hashes = BitOperations.IsPow2(first) ? path.Prepend(firstRoot).ToList() : path.ToList();
        var (fn, sn) = (first - 1, second - 1);
        while ((fn & 1) == 1) (fn, sn) = (fn >> 1, sn >> 1);
        var (fr, sr) = (hashes[0], hashes[0]);
        foreach (var c in hashes.Skip(1))
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                (fr, sr) = (Node(c, fr), Node(c, sr));
                if ((fn & 1) == 0)
                    while ((fn & 1) == 0 && fn != 0) (fn, sn) = (fn >> 1, sn >> 1);
            }
            else sr = Node(sr, c);
            (fn, sn) = (fn >> 1, sn >> 1);
        }
        return sn == 0 && fr.AsSpan().SequenceEqual(firstRoot) && sr.AsSpan().SequenceEqual(secondRoot);
    }

    /// <summary>Levels below this are computed from the leaves when needed; whole subtrees from here up are kept once computed.</summary>
    public const int KeptFromLevel = 10;

    /// <summary>The leaves of a whole subtree at <see cref="KeptFromLevel"/>: what a proof reads of the database at most.</summary>
    public const long BlockSize = 1L << KeptFromLevel;

    /// <summary>
    /// The chain hashes the party computed itself, from the content hashes, on its way to its signed head of <paramref name="Size"/>
    /// records: after every record whose seq is a multiple of <see cref="BlockSize"/> (<paramref name="AtBlocks"/>) and after the
    /// last (<paramref name="AtSize"/>). A block of leaves chained from the mark before it must end at the mark after it.
    /// </summary>
    internal sealed record ChainMarks(string Party, IReadOnlyDictionary<long, string> AtBlocks, long Size, string AtSize)
    {
        public string At(long seq) => seq == Size ? AtSize
            : AtBlocks.TryGetValue(seq, out var chain) ? chain
            : throw new InvalidOperationException($"no chain hash was kept at record {seq} of {Party}");

        /// <summary>Refuses the content hashes of records <paramref name="first"/> to <paramref name="last"/>: they do not chain as the walk saw them.</summary>
        public HeadNotReachedException Rewritten(long first, long last)
        {
            var records = first == last ? $"{first}" : $"{first}–{last}";
            return new(Party, $"記録 {records} の内容ハッシュが署名済みの連鎖と一致しません（書き換えられています）/ " +
                $"the content hashes of records {records} do not chain as the party signed them: rewritten");
        }
    }

    /// <summary>
    /// Computes hashes over the records stored in one database. Whole subtrees of 2^<see cref="KeptFromLevel"/> leaves
    /// or more never change in an append-only log, so their hashes are kept in <paramref name="kept"/> (in memory, per
    /// log: a few megabytes for a hundred million records) and the next proof reads at most one block of leaves.
    /// Every leaf it reads is held to the chain through <paramref name="marks"/> before it is hashed into anything signed.
    /// </summary>
    internal sealed class Reader(DbConnection connection, ConcurrentDictionary<(int Level, long Position), byte[]> kept, ChainMarks marks, CancellationToken ct)
    {
        private long windowStart;
        private byte[][] window = [];

        /// <summary>
        /// RFC 9162 section 2.1.3.1: the audit path of leaf <paramref name="index"/> in the tree of the signed head, leaf end
        /// first, for the record read with <paramref name="contentHash"/>.
        /// </summary>
        public async Task<List<byte[]>> PathAsync(long index, string contentHash)
        {
            // The record's own block holds the lower part of its path: read it once. The record was read before it, so one
            // rewritten in between is not the leaf the block was held to the chain with.
            await LoadAsync(index);
            if (!window[index - windowStart].AsSpan().SequenceEqual(Leaf(contentHash))) throw marks.Rewritten(index + 1, index + 1);
            var path = new List<byte[]>();
            await PathAsync(index, 0, marks.Size, path);
            return path;
        }

        /// <summary>RFC 9162 section 2.1.4.1: the consistency path from the first <paramref name="first"/> leaves to the first <paramref name="second"/>.</summary>
        public async Task<List<byte[]>> ConsistencyAsync(long first, long second)
        {
            var path = new List<byte[]>();
            if (first < second) await SubproofAsync(first, 0, second, true, path);
            return path;
        }

        private async Task SubproofAsync(long first, long start, long count, bool whole, List<byte[]> path)
        {
            if (first == count)
            {
                if (!whole) path.Add(await HashAsync(start, count));
                return;
            }
            var k = Split(count);
            if (first <= k)
            {
                await SubproofAsync(first, start, k, whole, path);
                path.Add(await HashAsync(start + k, count - k));
            }
            else
            {
                await SubproofAsync(first - k, start + k, count - k, false, path);
                path.Add(await HashAsync(start, k));
            }
        }

        private async Task PathAsync(long index, long start, long count, List<byte[]> path)
        {
            if (count <= 1) return;
            var k = Split(count);
            if (index < k)
            {
                await PathAsync(index, start, k, path);
                path.Add(await HashAsync(start + k, count - k));
            }
            else
            {
                await PathAsync(index - k, start + k, count - k, path);
                path.Add(await HashAsync(start, k));
            }
        }

        /// <summary>The root of leaves [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>).</summary>
        public async Task<byte[]> HashAsync(long start, long count)
        {
            if (count == 0) return SHA256.HashData([]);
            var level = BitOperations.IsPow2(count) ? BitOperations.Log2((ulong)count) : -1;
            if (level >= KeptFromLevel && start % count == 0)
            {
                var at = (level, start >> level);
                if (kept.TryGetValue(at, out var known)) return known;
                byte[] hash;
                if (level == KeptFromLevel && InWindow(start, count)) hash = Root(window.AsSpan((int)(start - windowStart), (int)count));
                else if (kept.TryGetValue((level - 1, 2 * at.Item2), out var left) && kept.TryGetValue((level - 1, 2 * at.Item2 + 1), out var right))
                    hash = Node(left, right);
                else hash = await WholeSubtreeAsync(level, start);
                kept[at] = hash;
                return hash;
            }
            if (count > BlockSize)
            {
                var k = Split(count);
                var left = await HashAsync(start, k);
                var right = await HashAsync(start + k, count - k);
                return Node(left, right);
            }
            // A range of a block or less lies in one block: RFC 9162 splits at powers of two.
            if (!InWindow(start, count)) await LoadAsync(start);
            if (!InWindow(start, count)) throw new InvalidOperationException($"leaves {start + 1}–{start + count} lie across two blocks");
            return Root(window.AsSpan((int)(start - windowStart), (int)count));
        }

        /// <summary>
        /// A whole subtree not yet kept: one pass over its leaves, keeping every whole subtree inside it on the way. Each leaf
        /// is held to its place, so a block is kept only when its leaves are the records it stands for: over a gap the later
        /// leaves would shift into it, and its wrong hash outlive the records' restore.
        /// </summary>
        private async Task<byte[]> WholeSubtreeAsync(int level, long start)
        {
            var block = BlockSize;
            var roots = new List<byte[]>();
            var leaves = new List<byte[]>((int)block);
            var expected = start + 1;
            var chain = marks.At(start);
            await foreach (var (seq, content) in connection.StreamAsync(LeavesSql, r => (Convert.ToInt64(r.GetValue(0)), r.GetString(1)), ct,
                ("a", start), ("b", start + (1L << level))))
            {
                if (seq != expected++) throw new MissingRecordsException(start + 1, start + (1L << level));
                chain = ProvisionLog.Chain(chain, content);
                leaves.Add(Leaf(content));
                if (leaves.Count < block) continue;
                if (chain != marks.At(seq)) throw marks.Rewritten(seq - block + 1, seq);
                var blockRoot = Root(CollectionsMarshal.AsSpan(leaves));
                kept[(KeptFromLevel, start / block + roots.Count)] = blockRoot;
                roots.Add(blockRoot);
                leaves.Clear();
            }
            if (roots.Count != 1L << (level - KeptFromLevel))
                throw new MissingRecordsException(start + 1, start + (1L << level));
            for (var l = KeptFromLevel + 1; l <= level; l++)
            {
                var above = new List<byte[]>(roots.Count / 2);
                for (var i = 0; i < roots.Count; i += 2)
                {
                    var node = Node(roots[i], roots[i + 1]);
                    kept[(l, (start >> l) + above.Count)] = node;
                    above.Add(node);
                }
                roots = above;
            }
            return roots[0];
        }

        private bool InWindow(long start, long count) => start >= windowStart && start + count <= windowStart + window.Length;

        private const string LeavesSql = "SELECT seq, content_hash FROM provision_records WHERE seq > @a AND seq <= @b ORDER BY seq";

        /// <summary>
        /// Reads the block of leaf <paramref name="index"/> (to the signed head in the last block) and holds it to the chain:
        /// chained from the mark before it, its content hashes must reach the mark after it.
        /// </summary>
        private async Task LoadAsync(long index)
        {
            var start = index / BlockSize * BlockSize;
            var end = Math.Min(start + BlockSize, marks.Size);
            // As many leaves as places, each seq unique and in the range: every place is filled by its own record.
            var contents = await connection.QueryAsync(LeavesSql, r => r.GetString(1), null, ("a", start), ("b", end));
            if (contents.Count != end - start) throw new MissingRecordsException(start + 1, end);
            var chain = marks.At(start);
            foreach (var content in contents) chain = ProvisionLog.Chain(chain, content);
            if (chain != marks.At(end)) throw marks.Rewritten(start + 1, end);
            (windowStart, window) = (start, [.. contents.Select(Leaf)]);
        }
    }
}

/// <summary>The root of a party's record tree at a size, signed by the party (the tree's counterpart of <see cref="SignedHead"/>).</summary>
public sealed record SignedTreeHead(string Party, long Size, string RootHash, DateTimeOffset SignedAt, string Signature)
{
    public byte[] SignedBytes() => Encoding.UTF8.GetBytes($"renkei-tree-head-v1|{Party}|{Size}|{RootHash}|{SignedAt.UtcTicks}");

    public bool HasValidSignature(ECDsa key) => SignedHead.Verifies(key, SignedBytes(), Signature);
}

/// <summary>Records of a log are missing in the middle (deleted past its triggers): no tree can be built over them.</summary>
public sealed class MissingRecordsException(long first, long last)
    : InvalidOperationException($"記録 {first}–{last} の一部が欠けています / provision records {first}–{last} are not all there");
