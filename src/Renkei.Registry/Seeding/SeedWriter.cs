using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Renkei.Hosting.Storage;
using Renkei.Registry.Residents;

namespace Renkei.Registry.Seeding;

/// <summary>
/// Writes batches of seeded residents as the register would have written them one by one: each
/// batch in one transaction under <see cref="ResidentRegister.EventLogLock"/>, with event positions
/// taken in a block so that they stay increasing and become visible in order.
/// </summary>
internal abstract class SeedWriter(Database database, DbConnection connection) : IAsyncDisposable
{
    protected Database Database { get; } = database;
    protected DbConnection Connection { get; } = connection;

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
        await Connection.ScalarAsync<long>("SELECT COUNT(*) FROM households WHERE household_id = @h", null, ("h", householdId)) > 0;

    /// <summary>Every code ever used and every number ever designated: seeding draws again rather than reuse one.</summary>
    public async Task<(HashSet<long> Codes, HashSet<long> Numbers)> UsedNumbersAsync(CancellationToken ct)
    {
        var codes = (await Connection.QueryAsync("SELECT code FROM resident_record_codes", r => long.Parse(r.GetString(0)))).ToHashSet();
        var numbers = (await Connection.QueryAsync("SELECT number FROM individual_numbers", r => long.Parse(r.GetString(0)))).ToHashSet();
        return (codes, numbers);
    }

    public abstract Task WriteAsync(SeedBatch batch, CancellationToken ct);

    public virtual ValueTask DisposeAsync() => Connection.DisposeAsync();
}

/// <summary>SQLite: prepared statements reused across rows, one IMMEDIATE transaction per batch.</summary>
internal sealed class SqliteSeedWriter : SeedWriter
{
    private readonly SqliteCommand households, residents, codes, numbers, events, lastPosition;

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
            "VALUES (@p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14, @p15, @p16)", 16);
        codes = Prepare(connection, "INSERT INTO resident_record_codes (code, resident_id, assigned_at) VALUES (@p1, @p2, @p3)", 3);
        numbers = Prepare(connection, "INSERT INTO individual_numbers (number, resident_id, reissue_count, designated_at, reason) VALUES (@p1, @p2, 0, @p3, NULL)", 3);
        events = Prepare(connection,
            "INSERT INTO resident_events (position, event_id, resident_id, kind, municipality_code, occurred_on, recorded_at, changed_items, data) " +
            "VALUES (@p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9)", 9);
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

    public override async Task WriteAsync(SeedBatch batch, CancellationToken ct)
    {
        await using var tx = (SqliteTransaction)await Database.BeginSerializedAsync(Connection, ResidentRegister.EventLogLock, ct);
        foreach (var command in new[] { households, residents, codes, numbers, events, lastPosition }) command.Transaction = tx;
        var position = Convert.ToInt64(lastPosition.ExecuteScalar());
        var at = RegisterText.ToText(batch.RecordedAt);
        foreach (var h in batch.Households) Run(households, h.HouseholdId, h.Municipality.Code.Digits, h.Address, at);
        var i = 0;
        foreach (var s in batch.Residents)
        {
            if ((++i & 1023) == 0) ct.ThrowIfCancellationRequested();
            var e = s.Event with { Position = ++position };
            var r = ResidentProjection.Apply(null, e);
            Run(residents, r.ResidentId, r.ResidentRecordCode.Digits, r.MunicipalityCode.Digits, r.HouseholdId, r.Relationship, r.Status.ToString(),
                r.MovingTo?.Digits, r.Person.FamilyName, r.Person.GivenName, r.Person.FamilyNameKana, r.Person.GivenNameKana,
                RegisterText.ToText(r.Person.DateOfBirth), r.Person.Sex.ToString(), r.Person.Address, r.LastPosition, RegisterText.ToText(r.UpdatedAt));
            Run(codes, s.Code.Digits, r.ResidentId, at);
            Run(numbers, s.Number.Digits, r.ResidentId, at);
            Run(events, e.Position, e.EventId, e.ResidentId, e.Kind.ToString(), e.MunicipalityCode.Digits, RegisterText.ToText(e.OccurredOn),
                at, ChangedItems, s.EventJson);
        }
        await tx.CommitAsync(ct);
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var command in new[] { households, residents, codes, numbers, events, lastPosition }) await command.DisposeAsync();
        await base.DisposeAsync();
    }
}

/// <summary>
/// PostgreSQL: binary COPY into each table, one transaction per batch under the advisory lock; the
/// batch's positions are reserved from the BIGSERIAL sequence in one step (nextval, then setval).
/// </summary>
internal sealed class PostgresSeedWriter(Database database, NpgsqlConnection connection) : SeedWriter(database, connection)
{
    private string? sequence;

    public override async Task WriteAsync(SeedBatch batch, CancellationToken ct)
    {
        sequence ??= await Connection.ScalarAsync<string>("SELECT pg_get_serial_sequence('resident_events', 'position')")
            ?? throw new InvalidOperationException("resident_events has no position sequence");
        await using var tx = await Database.BeginSerializedAsync(Connection, ResidentRegister.EventLogLock, ct);
        var n = batch.Residents.Count;
        var last = await Connection.ScalarAsync<long>("SELECT setval(@s::regclass, nextval(@s::regclass) + @n - 1)", tx, ("s", sequence), ("n", (long)n));
        var position = last - n;
        var at = RegisterText.ToText(batch.RecordedAt);

        await using (var w = await connection.BeginBinaryImportAsync(
            "COPY households (household_id, municipality_code, address, created_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var h in batch.Households)
            {
                w.StartRow();
                w.Write(h.HouseholdId, NpgsqlDbType.Text);
                w.Write(h.Municipality.Code.Digits, NpgsqlDbType.Text);
                w.Write(h.Address, NpgsqlDbType.Text);
                w.Write(at, NpgsqlDbType.Text);
            }
            await w.CompleteAsync(ct);
        }

        var records = new ResidentRecord[n];
        await using (var w = await connection.BeginBinaryImportAsync(
            "COPY residents (resident_id, resident_record_code, municipality_code, household_id, relationship, status, moving_to, family_name, " +
            "given_name, family_name_kana, given_name_kana, date_of_birth, sex, address, last_position, updated_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < n; i++)
            {
                if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
                var r = records[i] = ResidentProjection.Apply(null, batch.Residents[i].Event with { Position = position + i + 1 });
                w.StartRow();
                w.Write(r.ResidentId, NpgsqlDbType.Text);
                w.Write(r.ResidentRecordCode.Digits, NpgsqlDbType.Text);
                w.Write(r.MunicipalityCode.Digits, NpgsqlDbType.Text);
                WriteNullable(w, r.HouseholdId);
                w.Write(r.Relationship, NpgsqlDbType.Text);
                w.Write(r.Status.ToString(), NpgsqlDbType.Text);
                WriteNullable(w, r.MovingTo?.Digits);
                w.Write(r.Person.FamilyName, NpgsqlDbType.Text);
                w.Write(r.Person.GivenName, NpgsqlDbType.Text);
                w.Write(r.Person.FamilyNameKana, NpgsqlDbType.Text);
                w.Write(r.Person.GivenNameKana, NpgsqlDbType.Text);
                w.Write(RegisterText.ToText(r.Person.DateOfBirth), NpgsqlDbType.Text);
                w.Write(r.Person.Sex.ToString(), NpgsqlDbType.Text);
                w.Write(r.Person.Address, NpgsqlDbType.Text);
                w.Write(r.LastPosition, NpgsqlDbType.Bigint);
                w.Write(RegisterText.ToText(r.UpdatedAt), NpgsqlDbType.Text);
            }
            await w.CompleteAsync(ct);
        }

        await using (var w = await connection.BeginBinaryImportAsync("COPY resident_record_codes (code, resident_id, assigned_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var s in batch.Residents)
            {
                w.StartRow();
                w.Write(s.Code.Digits, NpgsqlDbType.Text);
                w.Write(s.Person.ResidentId, NpgsqlDbType.Text);
                w.Write(at, NpgsqlDbType.Text);
            }
            await w.CompleteAsync(ct);
        }

        await using (var w = await connection.BeginBinaryImportAsync(
            "COPY individual_numbers (number, resident_id, reissue_count, designated_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var s in batch.Residents)
            {
                w.StartRow();
                w.Write(s.Number.Digits, NpgsqlDbType.Text);
                w.Write(s.Person.ResidentId, NpgsqlDbType.Text);
                w.Write(0, NpgsqlDbType.Integer);
                w.Write(at, NpgsqlDbType.Text);
            }
            await w.CompleteAsync(ct);
        }

        await using (var w = await connection.BeginBinaryImportAsync(
            "COPY resident_events (position, event_id, resident_id, kind, municipality_code, occurred_on, recorded_at, changed_items, data) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < n; i++)
            {
                var s = batch.Residents[i];
                var e = s.Event;
                w.StartRow();
                w.Write(records[i].LastPosition, NpgsqlDbType.Bigint);
                w.Write(e.EventId, NpgsqlDbType.Text);
                w.Write(e.ResidentId, NpgsqlDbType.Text);
                w.Write(e.Kind.ToString(), NpgsqlDbType.Text);
                w.Write(e.MunicipalityCode.Digits, NpgsqlDbType.Text);
                w.Write(RegisterText.ToText(e.OccurredOn), NpgsqlDbType.Text);
                w.Write(at, NpgsqlDbType.Text);
                w.Write(ChangedItems, NpgsqlDbType.Text);
                w.Write(s.EventJson, NpgsqlDbType.Text);
            }
            await w.CompleteAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    private static void WriteNullable(NpgsqlBinaryImporter w, string? value)
    {
        if (value is null) w.WriteNull();
        else w.Write(value, NpgsqlDbType.Text);
    }
}
