using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Renkei.Hosting;
using Renkei.Hosting.Storage;

namespace Renkei.Protocol.Records;

/// <summary>
/// 情報提供等記録 (番号法 art. 23): who asked whom, for which affair and item, when, and how it
/// ended, with this party's own code for the person and whether the item is withheld from the
/// person (不開示). Past its retention the record is erased (<see cref="ErasedAt"/>): it keeps its place and hashes
/// but no longer holds the person's code.
/// </summary>
public sealed record ProvisionRecord(
    long Seq, string RecordId, string MessageId, DateTimeOffset RequestedAt, DateTimeOffset? ProvidedAt, string Requester, string Provider,
    string Affair, string Item, string? Code, Outcome Outcome, string? Reason, bool Withheld, DateTimeOffset RetainUntil,
    string ContentHash, string ChainHash, DateTimeOffset? ErasedAt = null);

/// <summary>Records of one person in log order; <see cref="Next"/> is the position to read on from when more follow, else null.</summary>
public sealed record RecordPage(List<ProvisionRecord> Records, long? Next);

/// <summary>What a party records; the log adds sequence, hashes and retention.</summary>
public sealed record ProvisionEntry(string MessageId, DateTimeOffset RequestedAt, DateTimeOffset? ProvidedAt, string Requester, string Provider,
    string Affair, string Item, string? Code, Outcome Outcome, string? Reason, bool Withheld);

/// <summary>The head of a party's log, signed by the party: count and chain hash at a moment.</summary>
public sealed record SignedHead(string Party, long Count, string ChainHash, DateTimeOffset SignedAt, string Signature)
{
    public byte[] SignedBytes() => Encoding.UTF8.GetBytes($"renkei-head-v1|{Party}|{Count}|{ChainHash}|{SignedAt.UtcTicks}");

    public bool HasValidSignature(ECDsa key) => Verifies(key, SignedBytes(), Signature);

    /// <summary>Whether <paramref name="signature"/> (base64, IEEE P1363) is the party's ECDSA P-256 signature of <paramref name="data"/>.</summary>
    public static bool Verifies(ECDsa key, byte[] data, string signature)
    {
        var bytes = new byte[signature.Length];
        return Convert.TryFromBase64String(signature, bytes, out var length) && key.VerifyData(data, bytes.AsSpan(0, length), HashAlgorithmName.SHA256);
    }
}

/// <summary>
/// The party's word that the records of its log up to <see cref="Through"/> were past their retention and are erased:
/// the check accepts an erased record only under it, so an erasure is as hard to fake as a record.
/// </summary>
public sealed record SignedErasure(string Party, long Through, DateTimeOffset ErasedAt, string Signature)
{
    public byte[] SignedBytes() => Encoding.UTF8.GetBytes($"renkei-erasure-v1|{Party}|{Through}|{ErasedAt.UtcTicks}");

    public bool HasValidSignature(ECDsa key) => SignedHead.Verifies(key, SignedBytes(), Signature);
}

/// <summary>Whether a log's hashes all hold and it still reaches its latest signed head; if not, where it breaks and why.</summary>
public sealed record LogCheck(bool Intact, long? FirstBrokenSeq, string? Reason = null);

/// <summary>
/// The log does not end at the head its party signed (a head that does not verify, none, or records rewritten up to it):
/// the party signs no tree head or proof over it, since that would vouch for records it never signed.
/// </summary>
public sealed class HeadNotReachedException(string party, string reason)
    : InvalidOperationException($"情報提供等記録（{party}）が署名済みの先頭に届きません / the provision log of {party} does not reach its signed head: {reason}");

/// <summary>
/// A record, its place in the log (leaf index, sequence number less one) and the RFC 9162 audit path from it to
/// the root of the first <see cref="SignedTreeHead.Size"/> records, which the party signed.
/// </summary>
public sealed record InclusionProof(ProvisionRecord Record, long LeafIndex, List<string> AuditPath, SignedTreeHead Head)
{
    /// <summary>
    /// Checks the head's signature, the record against its content hash, and the path from the record to the signed root.
    /// An erased record fails: what it said is no longer there to check.
    /// </summary>
    public bool Verify(ECDsa partyKey)
    {
        if (Record.ErasedAt is not null || !Head.HasValidSignature(partyKey) || ProvisionLog.ContentHash(Record) != Record.ContentHash || LeafIndex != Record.Seq - 1) return false;
        try
        {
            return RecordTree.VerifyInclusion(LeafIndex, Head.Size, RecordTree.Leaf(Record.ContentHash),
                AuditPath.Select(Convert.FromHexString).ToList(), Convert.FromHexString(Head.RootHash));
        }
        catch (FormatException) { return false; }
    }
}

/// <summary>
/// That a party's log of <see cref="Head"/>.Size records begins with the <see cref="FromSize"/> records an earlier
/// signed tree head covered, unchanged (RFC 9162 consistency path): records were only ever added after them.
/// </summary>
public sealed record ConsistencyProof(long FromSize, List<string> Path, SignedTreeHead Head)
{
    /// <summary>The kind of the message in which a node hands the core a tenant's proof to witness.</summary>
    public const string MessageKind = "tree-head";

    /// <summary>Checks both heads' signatures by the party and the path from the earlier head, which the caller kept, to the new one.</summary>
    public bool Verify(SignedTreeHead earlier, ECDsa partyKey)
    {
        if (earlier.Party != Head.Party || earlier.Size != FromSize || !earlier.HasValidSignature(partyKey) || !Head.HasValidSignature(partyKey)) return false;
        try
        {
            return RecordTree.VerifyConsistency(earlier.Size, Head.Size, Convert.FromHexString(earlier.RootHash), Convert.FromHexString(Head.RootHash),
                Path.Select(Convert.FromHexString).ToList());
        }
        catch (FormatException) { return false; }
    }
}

/// <summary>
/// An append-only, tamper-evident log of provision records in a party's own database: each record's
/// content hash is chained (chain_n = SHA-256(chain_{n-1} ‖ content_n)), and the party signs the
/// head, so a changed, removed or reordered record breaks every later chain hash and the signed head.
/// One writer per log appends in batches (group commit), each batch one INSERT and the new signed head
/// in one transaction; writers of other processes are kept in line by the primary key on the sequence number.
/// The stored head lets verification catch records removed from the end or rewritten with recomputed hashes.
/// </summary>
public sealed class ProvisionLog(Database database, string party, ECDsa signingKey, int retentionYears, TimeProvider time)
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>The retention the cabinet order sets for provision records; a shorter setting would drop records early.</summary>
    public const int MinimumRetentionYears = 7;

    /// <summary>Refuses a retention setting under <see cref="MinimumRetentionYears"/>, naming the setting, so the service does not start with it.</summary>
    public static void CheckRetention(string setting, int years) =>
        SettingRange.CheckAtLeast(setting, years, MinimumRetentionYears,
            ($"情報提供等記録の保存期間は {MinimumRetentionYears} 年", $"provision records are kept {MinimumRetentionYears} years"));

    public string Party { get; } = party;

    public int RetentionYears { get; } = retentionYears;

    /// <summary>
    /// Appends a record and returns once it is committed. Appends arriving together are written by
    /// one writer in one transaction (group commit), so the chain stays a single sequence and the
    /// log pays one durable commit per batch rather than per record.
    /// </summary>
    public async Task<ProvisionRecord> AppendAsync(ProvisionEntry e) => (await AppendAllAsync([e]))[0];

    /// <summary>
    /// About the most records one group commit writes: one INSERT of 16 parameters a record, which stays under SQLite's
    /// 32,766 and PostgreSQL's 65,535 parameters even when a batch passes this by one group of its own size.
    /// </summary>
    public const int MaxBatch = 500;

    /// <summary>
    /// Appends the records of one message together (at most <see cref="MaxBatch"/>): they go into the same group
    /// commit, so either all of them are written or none is (records of one answer never stand half-written).
    /// </summary>
    public Task<List<ProvisionRecord>> AppendAllAsync(IReadOnlyList<ProvisionEntry> entries)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(entries.Count, MaxBatch);
        foreach (var e in entries) Check(e);
        var done = new TaskCompletionSource<List<ProvisionRecord>>(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.Writer.TryWrite((entries, done));
        if (writer is null) lock (queue) writer ??= Task.Run(WriteLoopAsync);
        return done.Task;
    }

    /// <summary>
    /// Refuses, before it joins a batch, an entry the writer could not draft: thrown there, it failed the group commit of every
    /// other message's records in the batch too. A request dated so late that its retention date is past DateTimeOffset's end
    /// (a provision request at 9999-12-31) has no date to keep it until, and a missing field has nothing to hash.
    /// </summary>
    private void Check(ProvisionEntry e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.MessageId is null || e.Requester is null || e.Provider is null || e.Affair is null || e.Item is null)
            throw new ArgumentException("A provision record needs its message id, requester, provider, affair and item", nameof(e));
        if (e.RequestedAt.UtcTicks > DateTime.MaxValue.AddYears(-RetentionYears).Ticks)
            throw new ArgumentOutOfRangeException(nameof(e), "A provision record's request time leaves no date to retain it until");
    }

    private readonly System.Threading.Channels.Channel<(IReadOnlyList<ProvisionEntry> Entries, TaskCompletionSource<List<ProvisionRecord>> Done)> queue =
        System.Threading.Channels.Channel.CreateUnbounded<(IReadOnlyList<ProvisionEntry>, TaskCompletionSource<List<ProvisionRecord>>)>(new() { SingleReader = true });
    private Task? writer;

    private async Task WriteLoopAsync()
    {
        var batch = new List<(IReadOnlyList<ProvisionEntry> Entries, TaskCompletionSource<List<ProvisionRecord>> Done)>();
        var entries = new List<ProvisionEntry>();
        while (await queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            entries.Clear();
            // Whole groups only, so a batch may pass MaxBatch by less than one group.
            while (entries.Count < MaxBatch && queue.Reader.TryRead(out var group))
            {
                batch.Add(group);
                entries.AddRange(group.Entries);
            }
            try
            {
                var written = await WriteAsync(entries);
                var at = 0;
                foreach (var (group, done) in batch)
                {
                    done.TrySetResult(written.GetRange(at, group.Count));
                    at += group.Count;
                }
            }
            catch (Exception error)
            {
                foreach (var b in batch) b.Done.TrySetException(error);
            }
        }
    }

    private async Task<List<ProvisionRecord>> WriteAsync(List<ProvisionEntry> entries)
    {
        // The head is kept in memory so that a batch is one INSERT (and the signed head): one durable commit.
        // Another writer of the same log (another process) takes the same sequence numbers first; the
        // primary key on seq then refuses the whole batch, and it is chained again on the head it left.
        for (var attempt = 1; ; attempt++)
        {
            await using var c = await database.OpenAsync();
            var (seq, previous) = head ??= await ReadAppendableHeadAsync(c);
            var written = new List<ProvisionRecord>(entries.Count);
            foreach (var e in entries)
            {
                var draft = new ProvisionRecord(++seq, Envelope.NewId(), e.MessageId, e.RequestedAt.ToUniversalTime(), e.ProvidedAt?.ToUniversalTime(),
                    e.Requester, e.Provider, e.Affair, e.Item, e.Code, e.Outcome, e.Reason, e.Withheld,
                    e.RequestedAt.ToUniversalTime().AddYears(RetentionYears), "", "");
                var content = ContentHash(draft);
                var record = draft with { ContentHash = content, ChainHash = Chain(previous, content) };
                previous = record.ChainHash;
                written.Add(record);
            }
            try
            {
                var signed = Sign(seq, previous);
                if (database.Provider == StorageProvider.Postgres)
                {
                    // One statement, so one round trip and one commit: the head's upsert runs after the records' insert in it.
                    await using var insert = InsertCommand(c, written);
                    insert.CommandText = $"WITH written AS ({insert.CommandText} RETURNING 1) {StoreHeadSql}";
                    AddHead(insert, signed);
                    await insert.ExecuteNonQueryAsync();
                }
                else
                {
                    await using var tx = await c.BeginTransactionAsync();
                    await using var insert = InsertCommand(c, written);
                    insert.Transaction = tx;
                    await insert.ExecuteNonQueryAsync();
                    await using var store = c.CreateCommand();
                    store.CommandText = StoreHeadSql;
                    store.Transaction = tx;
                    AddHead(store, signed);
                    await store.ExecuteNonQueryAsync();
                    await tx.CommitAsync();
                }
                head = (seq, previous);
                return written;
            }
            catch (DbException error) when (Database.IsUniqueViolation(error) && attempt < 10)
            {
                head = null;
            }
            catch
            {
                head = null;
                throw;
            }
        }
    }

    private (long Seq, string Hash)? head;

    /// <summary>
    /// The stored signed head and the last record, in one statement and so from one snapshot: a batch commits its records
    /// with its head, so another writer's batch is either wholly in it or not at all. Two reads would see a log's first batch
    /// commit between them, and a healthy log read as records without a head.
    /// </summary>
    private async Task<(SignedHead? Signed, (long Seq, string Hash) Last)> HeadAndLastAsync(DbConnection c) => (await c.QueryAsync(
        """
        SELECT h.record_count, h.chain_hash, h.signed_at, h.signature, r.seq, r.chain_hash
        FROM (SELECT 1 AS one) o
        LEFT JOIN provision_heads h ON h.party = @p
        LEFT JOIN (SELECT seq, chain_hash FROM provision_records ORDER BY seq DESC LIMIT 1) r ON 1 = 1
        """,
        r => (r.IsDBNull(0) ? null : new SignedHead(Party, Convert.ToInt64(r.GetValue(0)), r.GetString(1), ParseTime(r.GetString(2)), r.GetString(3)),
            r.IsDBNull(4) ? (Seq: 0L, Hash: Genesis) : (Seq: Convert.ToInt64(r.GetValue(4)), Hash: r.GetString(5))),
        null, ("p", Party))).Single();

    /// <summary>
    /// The last record, for the next one to chain on, once the log is seen to end at the head this party last signed. A log
    /// cut at its end (its head row taken away too, or not), one whose head no longer verifies, or one with records beyond
    /// its head (inserted past the triggers, which refuse only UPDATE and DELETE) would get a new signed head over the cut or
    /// the forgery and hide it; so nothing is appended to it until it is restored. Read when the writer starts or lost a race.
    /// </summary>
    private async Task<(long Seq, string Hash)> ReadAppendableHeadAsync(DbConnection c)
    {
        var (signed, last) = await HeadAndLastAsync(c);
        var reaches = signed is null
            ? last.Seq == 0
            : signed.HasValidSignature(signingKey) && signed.Count == last.Seq && signed.ChainHash == last.Hash;
        if (!reaches)
            throw new InvalidOperationException(
                $"情報提供等記録（{Party}）が署名済みの先頭で終わっていないため追記しません（末尾の削除か書き換え、先頭を越える追加、先頭の改ざん）。復元するまで記録できません / " +
                $"The provision log of {Party} no longer ends at its signed head (records at its end were removed or rewritten, records were added beyond it, " +
                "or the head was altered): nothing is appended to it until it is restored.");
        return last;
    }

    private static async Task<string?> ChainHashAtAsync(DbConnection c, long seq) =>
        (await c.QueryAsync("SELECT chain_hash FROM provision_records WHERE seq = @s", r => r.GetString(0), null, ("s", seq))).SingleOrDefault();

    private SignedHead Sign(long count, string chainHash)
    {
        var unsigned = new SignedHead(Party, count, chainHash, time.GetUtcNow(), "");
        return unsigned with { Signature = SignatureOf(unsigned.SignedBytes()) };
    }

    /// <summary>This party's ECDSA P-256 signature of <paramref name="data"/> (SHA-256, IEEE P1363, base64): heads, tree heads, erasures.</summary>
    private string SignatureOf(byte[] data) => Convert.ToBase64String(signingKey.SignData(data, HashAlgorithmName.SHA256));

    /// <summary>Keeps the head as this party's latest; one that is not ahead of the stored one (another writer's) leaves it.</summary>
    private const string StoreHeadSql =
        """
        INSERT INTO provision_heads (party, record_count, chain_hash, signed_at, signature) VALUES (@hp, @hn, @hh, @ht, @hs)
        ON CONFLICT (party) DO UPDATE SET record_count = excluded.record_count, chain_hash = excluded.chain_hash,
            signed_at = excluded.signed_at, signature = excluded.signature
        WHERE provision_heads.record_count < excluded.record_count
        """;

    private static void AddHead(DbCommand command, SignedHead h) =>
        command.Add("hp", h.Party).Add("hn", h.Count).Add("hh", h.ChainHash).Add("ht", TimeText(h.SignedAt)).Add("hs", h.Signature);

    private async Task<SignedHead?> StoredHeadAsync(DbConnection c) =>
        (await c.QueryAsync("SELECT record_count, chain_hash, signed_at, signature FROM provision_heads WHERE party = @p",
            r => new SignedHead(Party, Convert.ToInt64(r.GetValue(0)), r.GetString(1), ParseTime(r.GetString(2)), r.GetString(3)), null, ("p", Party))).SingleOrDefault();

    /// <summary>One multi-row INSERT of a batch.</summary>
    private static DbCommand InsertCommand(DbConnection c, List<ProvisionRecord> records)
    {
        var sql = new StringBuilder(
            """
            INSERT INTO provision_records (seq, record_id, message_id, requested_at, provided_at, requester, provider, affair, item, code,
                outcome, reason, withheld, retain_until, content_hash, chain_hash) VALUES
            """, 260 + records.Count * 120);
        var command = c.CreateCommand();
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            sql.Append(i == 0 ? "\n(" : ",\n(");
            object?[] values =
            [
                r.Seq, r.RecordId, r.MessageId, TimeText(r.RequestedAt), r.ProvidedAt is { } pv ? TimeText(pv) : null, r.Requester, r.Provider, r.Affair, r.Item,
                r.Code, r.Outcome.ToString(), r.Reason, r.Withheld ? 1 : 0, TimeText(r.RetainUntil), r.ContentHash, r.ChainHash,
            ];
            for (var j = 0; j < values.Length; j++)
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"@p{i}_{j}");
                sql.Append(j == 0 ? name : "," + name);
                command.Add(name, values[j]);
            }
            sql.Append(')');
        }
        command.CommandText = sql.ToString();
        return command;
    }

    public Task<List<ProvisionRecord>> ListByCodeAsync(string code) => ListByCodesAsync([code]);

    /// <summary>
    /// Every record holding any of <paramref name="codes"/> (one person under several agencies' codes), in log order. Reads them
    /// all, so the APIs page instead (<see cref="PageByCodesAsync"/>): a person asked about monthly has thousands in seven years.
    /// </summary>
    public async Task<List<ProvisionRecord>> ListByCodesAsync(IReadOnlyCollection<string> codes) => (await PageByCodesAsync(codes, 0, int.MaxValue - 1)).Records;

    /// <summary>
    /// At most <paramref name="limit"/> records holding any of <paramref name="codes"/> after log position <paramref name="after"/>,
    /// in log order; one more is read to tell whether more follow. The index on (code, seq) serves it.
    /// </summary>
    public async Task<RecordPage> PageByCodesAsync(IReadOnlyCollection<string> codes, long after, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(after);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (codes.Count == 0) return new RecordPage([], null);
        await using var c = await database.OpenAsync();
        var names = codes.Select((_, i) => "c" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        var found = await c.QueryAsync(
            $"SELECT {Columns} FROM provision_records WHERE code IN ({string.Join(", ", names.Select(n => "@" + n))}) AND seq > @after ORDER BY seq LIMIT @n",
            Read, null, [.. codes.Select((code, i) => (names[i], (object?)code)), ("after", after), ("n", (long)limit + 1)]);
        if (found.Count <= limit) return new RecordPage(found, null);
        found.RemoveAt(limit);
        return new RecordPage(found, found[^1].Seq);
    }

    /// <summary>
    /// The head this party signed when it committed its last batch, as stored: not the log as it stands signed afresh, which
    /// would lend the party's signature to a log rewritten past the triggers. An empty log that never had a head has the
    /// genesis head.
    /// </summary>
    public async Task<SignedHead> HeadAsync()
    {
        await using var c = await database.OpenAsync();
        var (signed, last) = await HeadAndLastAsync(c);
        // A log without a stored head is empty, as one is before its first batch; one with records lost its head.
        return signed ?? (last.Seq == 0 ? Sign(0, Genesis) : throw NoHead());
    }

    private HeadNotReachedException NoHead() => new(Party, "署名済みの先頭がありません / it has no signed head");

    // Whole subtrees of the record tree, kept once computed: they never change in an append-only log.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int Level, long Position), byte[]> kept = new();

    /// <summary>The size and chain hash at which the log was last seen to end at this party's signed head.</summary>
    private sealed record Reached(long Size, string ChainHash);

    private Reached? reached;

    /// <summary>
    /// The chain hash after every record whose seq is a multiple of <see cref="RecordTree.BlockSize"/>, as the walk to the signed
    /// head computed it from the content hashes: the tree holds each block of leaves it reads to the marks on either side, so
    /// it signs no content hash rewritten since the walk, even one whose chain hashes were left as they were. 64 hexadecimal
    /// digits a block, about 10 MB for a hundred million records.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, string> marks = new() { [0] = Genesis };

    /// <summary>
    /// The log up to its stored signed head, once the content hashes of the records up to it are seen to chain to it: a tree
    /// head or proof signs those content hashes, so they must be the ones the party signed at commit time. Walked on from the
    /// size seen last while the record there still holds the chain hash seen then (a rewrite with recomputed hashes changes
    /// it), so a witness pass reads what was appended since rather than the whole log; a record before it rewritten since is
    /// caught by the tree, which reads no leaf without holding its block to <see cref="marks"/>.
    /// </summary>
    private async Task<RecordTree.ChainMarks> ReachSignedHeadAsync(DbConnection c, CancellationToken ct)
    {
        var (signed, last) = await HeadAndLastAsync(c);
        if (signed is null) return last.Seq == 0 ? new RecordTree.ChainMarks(Party, marks, 0, Genesis) : throw NoHead();
        if (!signed.HasValidSignature(signingKey))
            throw new HeadNotReachedException(Party, "署名済みの先頭の署名が検証できません / its stored head's signature does not verify");
        var from = reached is { } seen && seen.Size <= signed.Count && await ChainHashAtAsync(c, seen.Size) == seen.ChainHash ? seen : new Reached(0, Genesis);
        var chain = from.ChainHash;
        var expected = from.Size + 1;
        var found = new List<(long Seq, string Chain)>();
        await foreach (var (seq, content) in c.StreamAsync("SELECT seq, content_hash FROM provision_records WHERE seq > @from AND seq <= @to ORDER BY seq",
            r => (Convert.ToInt64(r.GetValue(0)), r.GetString(1)), ct, ("from", from.Size), ("to", signed.Count)))
        {
            if (seq != expected) throw new MissingRecordsException(expected, seq - 1);
            chain = Chain(chain, content);
            if (seq % RecordTree.BlockSize == 0) found.Add((seq, chain));
            expected++;
        }
        if (expected <= signed.Count) throw new MissingRecordsException(expected, signed.Count);
        if (chain != signed.ChainHash)
            throw new HeadNotReachedException(Party, $"記録 {signed.Count} までの連鎖ハッシュが署名済みの先頭と一致しません / the chain hash at record {signed.Count} differs from its signed head");
        // Kept only once the walk reached the head, and before reached moves past them: a walk from reached finds its marks.
        foreach (var (seq, hash) in found) marks[seq] = hash;
        reached = new Reached(signed.Count, chain);
        return new RecordTree.ChainMarks(Party, marks, signed.Count, chain);
    }

    /// <summary>
    /// The record's inclusion in the tree of the log up to its signed head, with the root signed now; null for an unknown record
    /// or one beyond the signed head.
    /// </summary>
    public async Task<InclusionProof?> ProveAsync(string recordId, CancellationToken ct = default)
    {
        await using var c = await database.OpenAsync();
        var record = (await c.QueryAsync($"SELECT {Columns} FROM provision_records WHERE record_id = @id", Read, null, ("id", recordId))).SingleOrDefault();
        if (record is null) return null;
        var signed = await ReachSignedHeadAsync(c, ct);
        if (record.Seq > signed.Size) return null;
        var tree = new RecordTree.Reader(c, kept, signed, ct);
        var path = await tree.PathAsync(record.Seq - 1, record.ContentHash);
        return new InclusionProof(record, record.Seq - 1, Hex(path), SignTree(signed.Size, await tree.HashAsync(0, signed.Size)));
    }

    /// <summary>
    /// The root of the tree of the log up to its signed head, signed now: what an auditor keeps to ask later for a
    /// <see cref="ConsistencyProof"/>.
    /// </summary>
    public async Task<SignedTreeHead> TreeHeadAsync(CancellationToken ct = default)
    {
        await using var c = await database.OpenAsync();
        var signed = await ReachSignedHeadAsync(c, ct);
        return SignTree(signed.Size, await new RecordTree.Reader(c, kept, signed, ct).HashAsync(0, signed.Size));
    }

    /// <summary>That the log up to its signed head extends its first <paramref name="from"/> records unchanged; null when it holds fewer.</summary>
    public async Task<ConsistencyProof?> ProveConsistencyAsync(long from, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(from, 1);
        await using var c = await database.OpenAsync();
        var signed = await ReachSignedHeadAsync(c, ct);
        if (from > signed.Size) return null;
        var tree = new RecordTree.Reader(c, kept, signed, ct);
        var path = await tree.ConsistencyAsync(from, signed.Size);
        return new ConsistencyProof(from, Hex(path), SignTree(signed.Size, await tree.HashAsync(0, signed.Size)));
    }

    private SignedTreeHead SignTree(long size, byte[] root)
    {
        var unsigned = new SignedTreeHead(Party, size, Convert.ToHexStringLower(root), time.GetUtcNow(), "");
        return unsigned with { Signature = SignatureOf(unsigned.SignedBytes()) };
    }

    private static List<string> Hex(List<byte[]> hashes) => hashes.Select(Convert.ToHexStringLower).ToList();

    /// <summary>The most records one erasure transaction erases: on SQLite it holds the file's write lock, which appends wait for.</summary>
    public const int ErasureChunk = 10_000;

    /// <summary>
    /// How long past its retain_until a record waits to be erased: the database checks the time again by its own clock,
    /// to the second, and that clock may run a little behind this one.
    /// </summary>
    public static readonly TimeSpan ErasureMargin = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Erases the records past their retention (消去): the longest run from the start of the log whose retain_until has
    /// passed (by <see cref="ErasureMargin"/>) loses its codes, and the party signs how far the erasure reaches, in the same
    /// transaction, <see cref="ErasureChunk"/> records at a time. A record kept longer (a longer retention set later) stops
    /// the run, so an erasure never leaves a kept record behind it. Returns how many records it erased.
    /// </summary>
    public async Task<long> EraseExpiredAsync(CancellationToken ct = default)
    {
        long total = 0;
        while (await EraseChunkAsync(ct) is { } erased) total += erased;
        return total;
    }

    /// <summary>One transaction of <see cref="EraseExpiredAsync"/>; null when nothing is left to erase.</summary>
    private async Task<long?> EraseChunkAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var c = await database.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var stored = await StoredErasureAsync(c, tx);
        // Audit J, J2: a statement the party's key does not verify was altered (a key change is refused at start, KeyFiles),
        // not signed under an earlier key. The erasures it claims cannot be checked (the codes are gone), so none is adopted:
        // signing it again would vouch for records erased early behind the party's back. Nothing is erased until it is restored.
        if (stored is not null && !stored.HasValidSignature(signingKey))
            throw new TamperedRecordsException(1,
                $"情報提供等記録（{Party}）の消去の署名（記録 {stored.Through} まで）がこの機関の鍵で検証できません（改ざんの疑い）。消去を確かめられないため、復元するまで消去しません / " +
                $"The signed erasure of {Party} (through record {stored.Through}) does not verify under the party's key (tampered with?): " +
                "the erasures it claims cannot be checked, so nothing is erased until it is restored.");
        var from = stored?.Through ?? 0;
        // One statement, so the first record still kept and the end of the log come from one snapshot; from where the last
        // erasure stopped along the primary key, so a pass reads about as many rows as it erases. Times are stored as
        // fixed-width UTC text (TimeText), so they compare as text.
        var through = (await c.QueryAsync(
            """
            SELECT COALESCE((SELECT seq FROM provision_records WHERE seq > @from AND retain_until >= @cutoff ORDER BY seq LIMIT 1) - 1,
                (SELECT MAX(seq) FROM provision_records), 0)
            """, r => Convert.ToInt64(r.GetValue(0)), tx, ("from", from), ("cutoff", TimeText(now - ErasureMargin)))).Single();
        through = Math.Min(through, from + ErasureChunk);
        if (through <= from) return null;
        await CheckBeforeErasingAsync(c, tx, from, through, ct);
        var erased = await c.ExecuteAsync("UPDATE provision_records SET code = NULL, erased_at = @at WHERE seq > @after AND seq <= @through AND erased_at IS NULL",
            tx, ("at", TimeText(now)), ("after", from), ("through", through));
        var signature = SignatureOf(new SignedErasure(Party, through, now, "").SignedBytes());
        await c.ExecuteAsync(
            """
            INSERT INTO provision_erasures (party, erased_through, erased_at, signature) VALUES (@p, @through, @at, @s)
            ON CONFLICT (party) DO UPDATE SET erased_through = excluded.erased_through, erased_at = excluded.erased_at, signature = excluded.signature
            """, tx, ("p", Party), ("through", through), ("at", TimeText(now)), ("s", signature));
        await tx.CommitAsync(ct);
        return erased;
    }

    /// <summary>
    /// Holds the records after <paramref name="after"/> through <paramref name="through"/>, which this chunk erases, to their
    /// content hashes and chain before their codes go: retain_until is covered by the content hash only until then, so a
    /// retain_until rewritten to an early date would otherwise have the party erase and sign records years early, and leave
    /// nothing to show it. One read of the chunk. A record already erased there was erased by no pass of this party's (a
    /// pass erases and signs in one transaction), so it cannot be checked and is refused alike.
    /// </summary>
    private async Task CheckBeforeErasingAsync(DbConnection c, DbTransaction tx, long after, long through, CancellationToken ct)
    {
        if (through <= after) return;
        var records = await c.QueryAsync($"SELECT {Columns} FROM provision_records WHERE seq >= @a AND seq <= @t ORDER BY seq", Read, tx,
            ("a", after), ("t", through));
        ct.ThrowIfCancellationRequested();
        var chain = after == 0 ? Genesis : null; // what the chunk chains onto: the record before it, erased before
        var expected = after + 1;
        foreach (var r in records)
        {
            if (r.Seq == after)
            {
                chain = r.ChainHash;
                continue;
            }
            if (chain is null || r.Seq != expected || r.ErasedAt is not null
                || ContentHash(r) != r.ContentHash || Chain(chain, r.ContentHash) != r.ChainHash)
                throw new TamperedRecordsException(Party, r.Seq, after + 1, through);
            chain = r.ChainHash;
            expected++;
        }
        if (expected != through + 1) throw new TamperedRecordsException(Party, expected, after + 1, through);
    }

    /// <summary>How far this party has erased its log, as it signed it; null before the first erasure.</summary>
    public async Task<SignedErasure?> ErasureAsync()
    {
        await using var c = await database.OpenAsync();
        return await StoredErasureAsync(c);
    }

    private async Task<SignedErasure?> StoredErasureAsync(DbConnection c, DbTransaction? tx = null) =>
        (await c.QueryAsync("SELECT erased_through, erased_at, signature FROM provision_erasures WHERE party = @p",
            r => new SignedErasure(Party, Convert.ToInt64(r.GetValue(0)), ParseTime(r.GetString(1)), r.GetString(2)), tx, ("p", Party))).SingleOrDefault();

    /// <summary>
    /// Walks the whole log and says whether it is intact: every record matches its hashes, and the log ends at the latest
    /// head this party signed, whose signature verifies under the party's key (a key change is refused at start, so a head
    /// that does not verify was altered, not signed under an earlier key).
    /// </summary>
    public async Task<LogCheck> CheckAsync(CancellationToken ct = default)
    {
        await using var c = await database.OpenAsync();
        var chain = Genesis;
        long expected = 1;
        long erasedEnd = 0; // an erasure erases a run from the start of its log: records 1 to erasedEnd
        long? erasedOutside = null; // the first erased record after a kept one, or one that kept its code
        LogCheck? broken = null;
        SignedHead? stored;
        long? headBefore = null;
        while (true)
        {
            // Streamed: a log kept for seven years does not fit in memory, and a caller who gives up stops the walk.
            await foreach (var r in c.StreamAsync($"SELECT {Columns} FROM provision_records WHERE seq >= @from ORDER BY seq", Read, ct, ("from", expected)))
            {
                // An erased record is checked by its place in the chain only: its code, part of its content hash, is gone.
                if (r.ErasedAt is not null && r.Seq == erasedEnd + 1 && r.Code is null) erasedEnd = r.Seq;
                else if (r.ErasedAt is not null) erasedOutside ??= r.Seq;
                if (r.Seq != expected || (r.ErasedAt is null && ContentHash(r) != r.ContentHash) || Chain(chain, r.ContentHash) != r.ChainHash)
                {
                    broken = new LogCheck(false, r.Seq, $"記録 {r.Seq} がハッシュと一致しません / record {r.Seq} does not match its hashes");
                    break;
                }
                chain = r.ChainHash;
                expected++;
            }
            // The head after the walk: records commit with their head, so it covers every record the walk saw, and records
            // beyond it are no batch of the party's. A head ahead of the walk is another writer's batch committed meanwhile
            // (walked on while the head keeps moving), or records cut from the end.
            stored = await StoredHeadAsync(c);
            if (broken is not null || stored is null || stored.Count < expected || stored.Count == headBefore) break;
            headBefore = stored.Count;
        }
        // Read after the walk: an erasure commits its records with its statement and only moves forward, so the statement
        // now covers every record the walk saw erased. Whichever break comes first in the log is the one reported.
        var erasedThrough = await StoredErasureAsync(c) is { } e && e.HasValidSignature(signingKey) ? e.Through : 0;
        if (erasedEnd > erasedThrough) erasedOutside = erasedThrough + 1;
        if (erasedOutside is { } outside && (broken is null || outside < broken.FirstBrokenSeq))
            return new LogCheck(false, outside, $"記録 {outside} は署名された消去の範囲外で消去されています / record {outside} is erased outside the party's signed erasure");
        if (broken is not null) return broken;
        var count = expected - 1;
        // Every commit of records stores a head with them: records without one had it taken away.
        if (stored is null)
            return count == 0 ? new LogCheck(true, null) : new LogCheck(false, count,
                $"記録は {count} 件ありますが署名済みの先頭がありません（削除されています）/ the log holds {count} records but no signed head: it was removed");
        if (!stored.HasValidSignature(signingKey))
            return new LogCheck(false, Math.Max(1, Math.Min(stored.Count, count + 1)),
                $"署名済みの先頭（{stored.Count} 件）の署名がこの機関の鍵で検証できません（改ざんされています）/ the signature of the stored head ({stored.Count} records) does not verify under the party's key: the head was altered");
        if (count < stored.Count)
            return new LogCheck(false, count + 1,
                $"記録は {count} 件ですが署名済みの先頭は {stored.Count} 件です（末尾が削除されています）/ the log holds {count} records but its signed head {stored.Count}: records at its end were removed");
        if (count > stored.Count)
            return new LogCheck(false, stored.Count + 1,
                $"記録 {stored.Count + 1} 以降は署名済みの先頭（{stored.Count} 件）を越えています（署名なしに追加されています）/ records from {stored.Count + 1} on lie beyond the signed head of {stored.Count}: they were added without the party's signature");
        if (chain != stored.ChainHash)
            return new LogCheck(false, stored.Count,
                $"記録 {stored.Count} までの連鎖ハッシュが署名済みの先頭と一致しません（書き換えられています）/ the chain hash at record {stored.Count} differs from the signed head: records up to it were rewritten");
        return new LogCheck(true, null);
    }

    /// <summary>SHA-256 of the record's fields, each length-prefixed, in a fixed order.</summary>
    public static string ContentHash(ProvisionRecord r)
    {
        var fields = new[]
        {
            "renkei-record-v1", r.Seq.ToString(CultureInfo.InvariantCulture), r.RecordId, r.MessageId, TimeText(r.RequestedAt), r.ProvidedAt is { } p ? TimeText(p) : "",
            r.Requester, r.Provider, r.Affair, r.Item, r.Code ?? "", r.Outcome.ToString(), r.Reason ?? "", r.Withheld ? "1" : "0", TimeText(r.RetainUntil),
        };
        var text = string.Concat(fields.Select(f => f.Length.ToString(CultureInfo.InvariantCulture) + ":" + f));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    public static string Chain(string previous, string content) =>
        Convert.ToHexStringLower(SHA256.HashData(Convert.FromHexString(previous + content)));

    /// <summary>A time as records, heads and witnesses store and hash it: UTC, to the tick.</summary>
    public static string TimeText(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private const string Columns = "seq, record_id, message_id, requested_at, provided_at, requester, provider, affair, item, code, outcome, reason, withheld, retain_until, content_hash, chain_hash, erased_at";

    private static ProvisionRecord Read(DbDataReader r) => new(
        Convert.ToInt64(r.GetValue(0)), r.GetString(1), r.GetString(2), ParseTime(r.GetString(3)), r.IsDBNull(4) ? null : ParseTime(r.GetString(4)),
        r.GetString(5), r.GetString(6), r.GetString(7), r.GetString(8), r.GetNullableString(9), Enum.Parse<Outcome>(r.GetString(10)),
        r.GetNullableString(11), Convert.ToInt32(r.GetValue(12)) != 0, ParseTime(r.GetString(13)), r.GetString(14), r.GetString(15),
        r.IsDBNull(16) ? null : ParseTime(r.GetString(16)));

    public static DateTimeOffset ParseTime(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}

/// <summary>
/// An erasure pass found a record it was to erase not matching its hashes (the log was changed behind the party: a rewritten
/// retain_until, say), and erased nothing of the chunk; or found a signed erasure the party's key does not verify, and erased nothing.
/// </summary>
public sealed class TamperedRecordsException(long seq, string message) : InvalidOperationException(message)
{
    public TamperedRecordsException(string party, long seq, long first, long last) : this(seq,
        $"情報提供等記録（{party}）の記録 {seq} がハッシュと一致しません（改ざんの疑い）。記録 {first}–{last} は消去していません / " +
        $"Provision record {seq} of {party} does not match its hashes (tampered with?): records {first}–{last} were not erased") { }

    /// <summary>The first record the erasure could not go on past, or vouch for.</summary>
    public long Seq { get; } = seq;
}
