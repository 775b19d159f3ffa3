using System.Data.Common;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Residents;

namespace Renkei.Registry.Seeding;

/// <summary>
/// Writes batches of seeded residents as the register would have written them one by one, with event
/// positions taken in a block so that they stay increasing and become visible in order. Into a
/// register that holds residents, each batch is one transaction under <see cref="ResidentRegister.EventLogLock"/>.
/// Into an empty one (bulk), the whole run is one transaction holding that lock and the tables: the
/// secondary indexes (and, on PostgreSQL, the keys and foreign keys) are dropped first and built again,
/// from their own stored definitions, before the commit, which checks them over every row at once.
/// </summary>
internal abstract class SeedWriter(Database database, DbConnection connection) : IAsyncDisposable
{
    /// <summary>The tables a seed writes; a register is empty when all of them are.</summary>
    protected static readonly string[] Tables = ["households", "residents", "resident_record_codes", "individual_numbers", "resident_events"];

    protected Database Database { get; } = database;
    protected DbConnection Connection { get; } = connection;

    /// <summary>The transaction of the whole run when loading into an empty register; null otherwise.</summary>
    protected DbTransaction? Bulk { get; set; }

    public bool IsBulk => Bulk is not null;

    /// <summary>The changed_items column of a Registered event (the same for every one).</summary>
    protected static readonly string ChangedItems = string.Join(',', new ResidentEvent
    {
        EventId = "", Kind = ResidentEventKind.Registered, ResidentId = "", MunicipalityCode = default, OccurredOn = default,
    }.ChangedItems);

    public static async Task<SeedWriter> OpenAsync(Database database, CancellationToken ct)
    {
        var connection = await database.OpenAsync(ct);
        return database.Provider == StorageProvider.Postgres
            ? new PostgresSeedWriter(database, (NpgsqlConnection)connection)
            : new SqliteSeedWriter(database, (SqliteConnection)connection);
    }

    public async Task<bool> HouseholdExistsAsync(string householdId, CancellationToken ct) =>
        await Connection.ScalarAsync<long>("SELECT COUNT(*) FROM households WHERE household_id = @h", Bulk, ("h", householdId)) > 0;

    /// <summary>Every code ever used and every number ever designated: seeding draws again rather than reuse one.</summary>
    public async Task<(HashSet<long> Codes, HashSet<long> Numbers)> UsedNumbersAsync(CancellationToken ct)
    {
        var codes = (await Connection.QueryAsync("SELECT code FROM resident_record_codes", r => long.Parse(r.GetString(0)), Bulk)).ToHashSet();
        var numbers = (await Connection.QueryAsync("SELECT number FROM individual_numbers", r => long.Parse(r.GetString(0)), Bulk)).ToHashSet();
        return (codes, numbers);
    }

    /// <summary>When <paramref name="allowBulk"/> and the register is empty, starts the one transaction of a bulk load.</summary>
    public abstract Task BeginAsync(bool allowBulk, CancellationToken ct);

    /// <summary>Work on a batch that needs no connection (encoding rows), spread over cores; called before <see cref="WriteAsync"/>.</summary>
    public abstract void Prepare(SeedBatch batch, ParallelOptions parallel);

    public abstract Task WriteAsync(SeedBatch batch, CancellationToken ct);

    /// <summary>After the last batch: a bulk load builds its indexes and constraints again and commits.</summary>
    public abstract Task CompleteAsync(CancellationToken ct);

    protected async Task<bool> EmptyAsync(DbTransaction tx) =>
        await Connection.ScalarAsync<long>("SELECT " + string.Join(" + ", Tables.Select(t => $"(SELECT COUNT(*) FROM (SELECT 1 FROM {t} LIMIT 1) x)")), tx) == 0;

    /// <summary>A statement of the bulk load's last step: building an index over millions of rows takes longer than a command's usual timeout.</summary>
    protected async Task RunUntimedAsync(string sql, CancellationToken ct)
    {
        await using var command = Connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = Bulk;
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The Registered event of a member, as <see cref="ResidentStore.AppendAsync"/> would record it (before its position).</summary>
    protected static ResidentEvent EventOf(SeedMember m, DateTime recordedAt, DateOnly occurredOn) => new()
    {
        EventId = m.Person.EventId, Kind = ResidentEventKind.Registered, ResidentId = m.Person.ResidentId,
        MunicipalityCode = m.Household.Municipality.Code, OccurredOn = occurredOn, RecordedAt = recordedAt,
        Person = m.Person.Person, HouseholdId = m.Household.HouseholdId, Relationship = m.Person.Relationship,
        ResidentRecordCode = ResidentRecordCode.FromPayload(m.Code / 10),
    };

    /// <summary>Contiguous ranges of whole households of about <paramref name="size"/> members, for encoding on several cores.</summary>
    protected static List<(int FirstHousehold, int Households, int FirstMember, int Members)> Segments(SeedBatch batch, int size)
    {
        var segments = new List<(int, int, int, int)>();
        int h0 = 0, m0 = 0, members = 0;
        for (var h = 0; h < batch.Households.Count; h++)
        {
            members += batch.Households[h].Members.Count;
            if (members < size && h < batch.Households.Count - 1) continue;
            segments.Add((h0, h + 1 - h0, m0, members));
            h0 = h + 1;
            m0 += members;
            members = 0;
        }
        return segments;
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (Bulk is not null) await Bulk.DisposeAsync();
        await Connection.DisposeAsync();
    }
}

/// <summary>SQLite: prepared statements reused across rows; JSON of the events made on every core beforehand.</summary>
internal sealed class SqliteSeedWriter : SeedWriter
{
    private readonly SqliteCommand households, residents, codes, numbers, events, lastPosition;
    private readonly List<string> dropped = [];

    public SqliteSeedWriter(Database database, SqliteConnection connection) : base(database, connection)
    {
        // Random keys spread inserts over every index page: a large page cache saves most of the reads.
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;";
            pragma.ExecuteNonQuery();
        }
        households = Prepare(connection, "INSERT INTO households (household_id, municipality_code, address, created_at) VALUES (@p1, @p2, @p3, @p4)", 4);
        residents = Prepare(connection,
            "INSERT INTO residents (resident_id, resident_record_code, municipality_code, household_id, relationship, status, moving_to, family_name, " +
            "given_name, family_name_kana, given_name_kana, date_of_birth, sex, address, last_position, updated_at) " +
            "VALUES (@p1, @p2, @p3, @p4, @p5, 'Resident', NULL, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14)", 14);
        codes = Prepare(connection, "INSERT INTO resident_record_codes (code, resident_id, assigned_at) VALUES (@p1, @p2, @p3)", 3);
        numbers = Prepare(connection, "INSERT INTO individual_numbers (number, resident_id, reissue_count, designated_at, reason) VALUES (@p1, @p2, 0, @p3, NULL)", 3);
        events = Prepare(connection,
            "INSERT INTO resident_events (position, event_id, resident_id, kind, municipality_code, occurred_on, recorded_at, changed_items, data) " +
            $"VALUES (@p1, @p2, @p3, 'Registered', @p4, @p5, @p6, '{ChangedItems}', @p7)", 7);
        // AUTOINCREMENT never reuses a position, even of a rolled-back insert: continue from its counter.
        lastPosition = Prepare(connection,
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'resident_events'), 0), COALESCE((SELECT MAX(position) FROM resident_events), 0))", 0);
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, int parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 1; i <= parameters; i++) command.Parameters.Add(new SqliteParameter("@p" + i, null));
        return command;
    }

    private static void Run(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i] ?? DBNull.Value;
        command.ExecuteNonQuery();
    }

    public override async Task BeginAsync(bool allowBulk, CancellationToken ct)
    {
        if (!allowBulk) return;
        var tx = await Database.BeginSerializedAsync(Connection, ResidentRegister.EventLogLock, ct);
        if (!await EmptyAsync(tx))
        {
            await tx.DisposeAsync();
            return;
        }
        Bulk = tx;
        // The secondary indexes are built again after the load from their own definitions; keys (autoindexes) stay.
        var indexes = await Connection.QueryAsync(
            $"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({string.Join(", ", Tables.Select(t => $"'{t}'"))})",
            r => (Name: r.GetString(0), Sql: r.GetString(1)), tx);
        // As on PostgreSQL, municipality codes arrive one municipality after another: that index only appends.
        foreach (var (name, sql) in indexes.Where(i => i.Name != "residents_by_municipality"))
        {
            await Connection.ExecuteAsync($"DROP INDEX \"{name}\"", tx);
            dropped.Add(sql);
        }
    }

    private sealed record Prepared(string[] Json, string[] Codes, string[] Numbers, string[] Born);

    public override void Prepare(SeedBatch batch, ParallelOptions parallel)
    {
        var n = batch.Members.Count;
        var prepared = new Prepared(new string[n], new string[n], new string[n], new string[n]);
        Parallel.ForEach(Segments(batch, 1024), parallel, s =>
        {
            for (var i = s.FirstMember; i < s.FirstMember + s.Members; i++)
            {
                var m = batch.Members[i];
                prepared.Json[i] = ResidentStore.DataOf(EventOf(m, batch.RecordedAt, batch.OccurredOn));
                prepared.Codes[i] = m.Code.ToString("D11");
                prepared.Numbers[i] = m.Number.ToString("D12");
                prepared.Born[i] = RegisterText.ToText(m.Person.Person.DateOfBirth);
            }
        });
        batch.Prepared = prepared;
    }

    public override async Task WriteAsync(SeedBatch batch, CancellationToken ct)
    {
        var prepared = (Prepared)batch.Prepared!;
        var own = Bulk is null ? (SqliteTransaction)await Database.BeginSerializedAsync(Connection, ResidentRegister.EventLogLock, ct) : null;
        try
        {
            var tx = (SqliteTransaction)(Bulk ?? own)!;
            foreach (var command in new[] { households, residents, codes, numbers, events, lastPosition }) command.Transaction = tx;
            var position = Convert.ToInt64(lastPosition.ExecuteScalar());
            var at = RegisterText.ToText(batch.RecordedAt);
            foreach (var h in batch.Households) Run(households, h.HouseholdId, h.Municipality.Code.Digits, h.Address, at);
            string? municipality = null;
            SeedHousehold? household = null;
            for (var i = 0; i < batch.Members.Count; i++)
            {
                if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
                var m = batch.Members[i];
                if (!ReferenceEquals(m.Household, household)) (household, municipality) = (m.Household, m.Household.Municipality.Code.Digits);
                var p = m.Person.Person;
                // The current record is what ResidentProjection.Apply makes of a Registered event: status Resident, no destination.
                Run(residents, m.Person.ResidentId, prepared.Codes[i], municipality, household.HouseholdId, m.Person.Relationship,
                    p.FamilyName, p.GivenName, p.FamilyNameKana, p.GivenNameKana, prepared.Born[i], p.Sex == Sex.Male ? "Male" : "Female", p.Address, ++position, at);
                Run(codes, prepared.Codes[i], m.Person.ResidentId, at);
                Run(numbers, prepared.Numbers[i], m.Person.ResidentId, at);
                Run(events, position, m.Person.EventId, m.Person.ResidentId, municipality, RegisterText.ToText(batch.OccurredOn), at, prepared.Json[i]);
            }
            if (own is not null) await own.CommitAsync(ct);
        }
        finally
        {
            if (own is not null) await own.DisposeAsync();
        }
    }

    public override async Task CompleteAsync(CancellationToken ct)
    {
        if (Bulk is null) return;
        foreach (var sql in dropped) await RunUntimedAsync(sql, ct);
        await Bulk.CommitAsync(ct);
        await Bulk.DisposeAsync();
        Bulk = null;
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var command in new[] { households, residents, codes, numbers, events, lastPosition }) await command.DisposeAsync();
        // A failed bulk load ends first: SQLite may have rolled it back by itself (SQLITE_FULL, an I/O error), and any
        // statement on the connection then throws "transaction has completed", which would replace the failure being reported.
        if (Bulk is not null)
        {
            try { await Bulk.DisposeAsync(); }
            catch (Exception e) when (e is SqliteException or InvalidOperationException) { }
            Bulk = null;
        }
        // The connection goes back to the pool: the Registry's own work there gets SQLite's defaults again. A connection
        // that cannot take the reset (after a failure of its own) leaves the pool rather than hide that failure.
        try
        {
            await using var reset = Connection.CreateCommand();
            reset.CommandText = "PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT;";
            await reset.ExecuteNonQueryAsync();
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException)
        {
            SqliteConnection.ClearPool((SqliteConnection)Connection);
        }
        await base.DisposeAsync();
    }
}

/// <summary>
/// PostgreSQL: rows encoded in COPY's binary format on every core beforehand, then sent by raw binary
/// COPY into each table; the batch's positions are reserved from the BIGSERIAL sequence in one step
/// (nextval, then setval) and written into the encoded rows just before they are sent.
/// </summary>
internal sealed class PostgresSeedWriter(Database database, NpgsqlConnection connection) : SeedWriter(database, connection)
{
    private string? sequence;
    private readonly List<string> rebuild = [];

    public override async Task BeginAsync(bool allowBulk, CancellationToken ct)
    {
        if (!allowBulk) return;
        var tx = await Database.BeginSerializedAsync(Connection, ResidentRegister.EventLogLock, ct);
        // Readers and writers of the register wait for the load; the emptiness checked now stays true until the commit.
        await Connection.ExecuteAsync($"LOCK TABLE {string.Join(", ", Tables)} IN ACCESS EXCLUSIVE MODE", tx);
        if (!await EmptyAsync(tx))
        {
            await tx.RollbackAsync(ct);
            await tx.DisposeAsync();
            return;
        }
        Bulk = tx;
        var tables = $"ARRAY[{string.Join(", ", Tables.Select(t => $"'{t}'"))}]::regclass[]";
        // Foreign keys to or from the tables, their keys and unique constraints, and every other index on them.
        var constraints = await Connection.QueryAsync(
            "SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid), c.contype::text FROM pg_constraint c " +
            $"WHERE (c.contype IN ('p', 'u') AND c.conrelid = ANY({tables})) OR (c.contype = 'f' AND (c.conrelid = ANY({tables}) OR c.confrelid = ANY({tables})))",
            r => (Table: r.GetString(0), Name: r.GetString(1), Definition: r.GetString(2), Kind: r.GetString(3)), tx);
        var indexes = await Connection.QueryAsync(
            $"SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = ANY({tables}) " +
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))",
            r => (Name: r.GetString(0), Definition: r.GetString(1)), tx);
        // Keys that arrive in increasing order (positions; municipalities one after another) only append at the right
        // edge of their index: cheaper to keep than to build again from another scan of a large table.
        constraints.RemoveAll(c => c.Kind == "p" && c.Table == "resident_events");
        indexes.RemoveAll(i => i.Name == "residents_by_municipality");
        var foreign = constraints.Where(c => c.Kind == "f").ToList();
        var keys = constraints.Where(c => c.Kind != "f").ToList();
        foreach (var c in foreign.Concat(keys)) await Connection.ExecuteAsync($"ALTER TABLE {c.Table} DROP CONSTRAINT {c.Name}", tx);
        foreach (var i in indexes) await Connection.ExecuteAsync($"DROP INDEX {i.Name}", tx);
        // The tables are empty, so truncating loses nothing and gives them new files in this transaction: COPY may then
        // write rows already frozen (no second write of every page later), and a server run with wal_level = minimal
        // writes neither these rows nor the rebuilt indexes to its WAL, only syncs the files at commit.
        await Connection.ExecuteAsync($"TRUNCATE {string.Join(", ", Tables)}", tx);
        // Keys first (foreign keys need them), then the other indexes, then foreign keys, each checked over all rows.
        rebuild.AddRange(keys.Select(c => $"ALTER TABLE {c.Table} ADD CONSTRAINT {c.Name} {c.Definition}"));
        rebuild.AddRange(indexes.Select(i => i.Definition));
        rebuild.AddRange(foreign.Select(c => $"ALTER TABLE {c.Table} ADD CONSTRAINT {c.Name} {c.Definition}"));
    }

    private sealed class Segment
    {
        public readonly CopyBuffer Households = new(1 << 16), Residents = new(1 << 19), Codes = new(1 << 16), Numbers = new(1 << 16), Events = new(1 << 20);
        public int[] ResidentPositions = [], EventPositions = [];
        public int Members;

        public Segment Reset(int members)
        {
            foreach (var b in new[] { Households, Residents, Codes, Numbers, Events }) b.Clear();
            Members = members;
            if (ResidentPositions.Length < members) (ResidentPositions, EventPositions) = (new int[members], new int[members]);
            return this;
        }
    }

    // Segments are used again once written: a megabyte and a half each, allocated fresh they keep the collector busy.
    private readonly System.Collections.Concurrent.ConcurrentBag<Segment> spare = [];

    [ThreadStatic] private static Utf8JsonWriter? json;

    public override void Prepare(SeedBatch batch, ParallelOptions parallel)
    {
        var at = RegisterText.ToText(batch.RecordedAt);
        var occurredOn = RegisterText.ToText(batch.OccurredOn);
        var ranges = Segments(batch, 1024);
        var segments = new Segment[ranges.Count];
        Parallel.For(0, ranges.Count, parallel, k =>
        {
            var (h0, hn, m0, mn) = ranges[k];
            var s = segments[k] = (spare.TryTake(out var reused) ? reused : new Segment()).Reset(mn);
            json ??= new Utf8JsonWriter(s.Events, new JsonWriterOptions { Encoder = ServiceDefaults.Json.Encoder, SkipValidation = true });
            for (var h = h0; h < h0 + hn; h++)
            {
                var household = batch.Households[h];
                s.Households.Row(4);
                s.Households.Text(household.HouseholdId);
                s.Households.Text(household.Municipality.Code.Digits);
                s.Households.Text(household.Address);
                s.Households.Text(at);
            }
            string? municipality = null;
            SeedHousehold? current = null;
            for (var j = 0; j < mn; j++)
            {
                var m = batch.Members[m0 + j];
                if (!ReferenceEquals(m.Household, current)) (current, municipality) = (m.Household, m.Household.Municipality.Code.Digits);
                var p = m.Person.Person;
                var r = s.Residents;
                // The current record is what ResidentProjection.Apply makes of a Registered event: status Resident, no destination.
                r.Row(16);
                r.Text(m.Person.ResidentId);
                r.Digits(m.Code, 11);
                r.Text(municipality!);
                r.Text(current.HouseholdId);
                r.Text(m.Person.Relationship);
                r.Text("Resident");
                r.Null();
                r.Text(p.FamilyName);
                r.Text(p.GivenName);
                r.Text(p.FamilyNameKana);
                r.Text(p.GivenNameKana);
                r.Date(p.DateOfBirth);
                r.Text(p.Sex == Sex.Male ? "Male" : "Female");
                r.Text(p.Address);
                s.ResidentPositions[j] = r.Int64(0);
                r.Text(at);

                s.Codes.Row(3);
                s.Codes.Digits(m.Code, 11);
                s.Codes.Text(m.Person.ResidentId);
                s.Codes.Text(at);

                s.Numbers.Row(4);
                s.Numbers.Digits(m.Number, 12);
                s.Numbers.Text(m.Person.ResidentId);
                s.Numbers.Int32(0);
                s.Numbers.Text(at);

                var e = s.Events;
                e.Row(9);
                s.EventPositions[j] = e.Int64(0);
                e.Text(m.Person.EventId);
                e.Text(m.Person.ResidentId);
                e.Text("Registered");
                e.Text(municipality!);
                e.Text(occurredOn);
                e.Text(at);
                e.Text(ChangedItems);
                var field = e.BeginField();
                json.Reset(e);
                ResidentStore.WriteData(json, EventOf(m, batch.RecordedAt, batch.OccurredOn));
                json.Flush();
                e.EndField(field);
            }
        });
        batch.Prepared = segments;
    }

    public override async Task WriteAsync(SeedBatch batch, CancellationToken ct)
    {
        var segments = (Segment[])batch.Prepared!;
        sequence ??= await Connection.ScalarAsync<string>("SELECT pg_get_serial_sequence('resident_events', 'position')", Bulk)
            ?? throw new InvalidOperationException("resident_events has no position sequence");
        var own = Bulk is null ? await Database.BeginSerializedAsync(Connection, ResidentRegister.EventLogLock, ct) : null;
        try
        {
            var tx = Bulk ?? own;
            var n = (long)batch.Members.Count;
            var last = await Connection.ScalarAsync<long>("SELECT setval(@s::regclass, nextval(@s::regclass) + @n - 1)", tx, ("s", sequence), ("n", n));
            var position = last - n;
            foreach (var s in segments)
                for (var j = 0; j < s.Members; j++)
                {
                    s.Residents.Patch(s.ResidentPositions[j], ++position);
                    s.Events.Patch(s.EventPositions[j], position);
                }
            await CopyAsync("households (household_id, municipality_code, address, created_at)", segments.Select(s => s.Households), ct);
            await CopyAsync("residents (resident_id, resident_record_code, municipality_code, household_id, relationship, status, moving_to, family_name, " +
                "given_name, family_name_kana, given_name_kana, date_of_birth, sex, address, last_position, updated_at)", segments.Select(s => s.Residents), ct);
            await CopyAsync("resident_record_codes (code, resident_id, assigned_at)", segments.Select(s => s.Codes), ct);
            await CopyAsync("individual_numbers (number, resident_id, reissue_count, designated_at)", segments.Select(s => s.Numbers), ct);
            await CopyAsync("resident_events (position, event_id, resident_id, kind, municipality_code, occurred_on, recorded_at, changed_items, data)",
                segments.Select(s => s.Events), ct);
            if (own is not null) await own.CommitAsync(ct);
            foreach (var segment in segments) spare.Add(segment);
        }
        finally
        {
            if (own is not null) await own.DisposeAsync();
        }
    }

    private async Task CopyAsync(string target, IEnumerable<CopyBuffer> rows, CancellationToken ct)
    {
        var freeze = Bulk is null ? "" : ", FREEZE";
        await using var copy = await connection.BeginRawBinaryCopyAsync($"COPY {target} FROM STDIN (FORMAT BINARY{freeze})", ct);
        await copy.WriteAsync(CopyBuffer.Header, ct);
        foreach (var buffer in rows) await copy.WriteAsync(buffer.Written, ct);
        await copy.WriteAsync(CopyBuffer.Trailer, ct);
    }

    public override async Task CompleteAsync(CancellationToken ct)
    {
        if (Bulk is null) return;
        // Sorting a million keys wants more than the default 64 MB to stay in memory; only for this transaction.
        await Connection.ExecuteAsync("SET LOCAL maintenance_work_mem = '512MB'", Bulk);
        foreach (var sql in rebuild) await RunUntimedAsync(sql, ct);
        await Bulk.CommitAsync(ct);
        await Bulk.DisposeAsync();
        Bulk = null;
    }
}
