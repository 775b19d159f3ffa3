using System.Data.Common;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;

namespace Renkei.Registry.Residents;

/// <summary>The SQL of residents, households and the event log (the same for SQLite and PostgreSQL).</summary>
public static class ResidentStore
{
    private const string ResidentColumns =
        "resident_id, resident_record_code, municipality_code, household_id, relationship, status, moving_to, family_name, given_name, " +
        "family_name_kana, given_name_kana, date_of_birth, sex, address, last_position, updated_at";

    public static async Task<ResidentRecord?> FindAsync(DbConnection c, string residentId, DbTransaction? tx = null) =>
        (await c.QueryAsync($"SELECT {ResidentColumns} FROM residents WHERE resident_id = @id", ReadResident, tx, ("id", residentId))).FirstOrDefault();

    public static async Task<ResidentRecord?> FindByNumberAsync(DbConnection c, IndividualNumber number, DbTransaction? tx = null) =>
        (await c.QueryAsync($"SELECT {Prefixed("r")} FROM residents r JOIN individual_numbers n ON n.resident_id = r.resident_id " +
            "WHERE n.number = @n AND n.superseded_at IS NULL", ReadResident, tx, ("n", number.Digits))).FirstOrDefault();

    /// <summary>Residents of this name and birth, the name written with or without compatibility ideographs (<see cref="RegisterText.Spellings"/>).</summary>
    public static Task<List<ResidentRecord>> FindByNameAndBirthAsync(DbConnection c, string familyName, string givenName, DateOnly dateOfBirth)
    {
        var family = RegisterText.Spellings(familyName).Select((s, i) => ($"f{i}", (object?)s)).ToArray();
        var given = RegisterText.Spellings(givenName).Select((s, i) => ($"g{i}", (object?)s)).ToArray();
        return c.QueryAsync($"SELECT {ResidentColumns} FROM residents WHERE family_name IN ({string.Join(", ", family.Select(p => "@" + p.Item1))}) " +
            $"AND given_name IN ({string.Join(", ", given.Select(p => "@" + p.Item1))}) AND date_of_birth = @d ORDER BY resident_id",
            ReadResident, null, [.. family, .. given, ("d", RegisterText.ToText(dateOfBirth))]);
    }

    public static Task<List<ResidentRecord>> ListAsync(DbConnection c, LocalGovernmentCode municipality, string? after, int limit) =>
        c.QueryAsync($"SELECT {ResidentColumns} FROM residents WHERE municipality_code = @m AND resident_id > @a ORDER BY resident_id LIMIT @l",
            ReadResident, null, ("m", municipality.Digits), ("a", after ?? ""), ("l", limit));

    private static string Prefixed(string alias) => string.Join(", ", ResidentColumns.Split(", ").Select(c => $"{alias}.{c}"));

    private static ResidentRecord ReadResident(DbDataReader r) => new(
        r.GetString(0),
        ResidentRecordCode.Parse(r.GetString(1)),
        LocalGovernmentCode.Parse(r.GetString(2)),
        r.GetNullableString(3),
        r.GetString(4),
        Enum.Parse<ResidentStatus>(r.GetString(5)),
        r.GetNullableString(6) is { } to ? LocalGovernmentCode.Parse(to) : null,
        new BasicFour(r.GetString(7), r.GetString(8), r.GetString(9), r.GetString(10), DateOnly.ParseExact(r.GetString(11), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            Enum.Parse<Sex>(r.GetString(12)), r.GetString(13)),
        r.GetInt64(14),
        RegisterText.ParseUtc(r.GetString(15)));

    /// <summary>
    /// The living members who head a household (one, unless the register was loaded with more). Members who die or move away
    /// leave it, so that a household whose head did so has none until a head-change.
    /// </summary>
    public static Task<List<ResidentRecord>> HeadsOfAsync(DbConnection c, DbTransaction tx, string householdId) =>
        c.QueryAsync($"SELECT {ResidentColumns} FROM residents WHERE household_id = @h AND relationship = '{ResidentProjection.Head}' AND status = @s ORDER BY resident_id",
            ReadResident, tx, ("h", householdId), ("s", nameof(ResidentStatus.Resident)));

    /// <summary>
    /// Whether a resident abroad has these basic four items (name, reading, date of birth, sex; the address is the new one), the names
    /// compared by <see cref="RegisterText.ComparisonKey"/>: a return typed with the other form of a compatibility ideograph would
    /// otherwise be a newcomer, given a second number. Every spelling is compared, not some (<see cref="RegisterText.Spellings"/> stops at a limit).
    /// </summary>
    public static async Task<bool> AnyAbroadAsync(DbConnection c, DbTransaction tx, BasicFour person)
    {
        var names = await c.QueryAsync($"SELECT family_name, given_name FROM residents WHERE status = '{nameof(ResidentStatus.Abroad)}' " +
            "AND date_of_birth = @d AND family_name_kana = @fk AND given_name_kana = @gk AND sex = @sex",
            r => (Family: r.GetString(0), Given: r.GetString(1)), tx, ("d", RegisterText.ToText(person.DateOfBirth)), ("fk", person.FamilyNameKana),
            ("gk", person.GivenNameKana), ("sex", person.Sex.ToString()));
        var (family, given) = (RegisterText.ComparisonKey(person.FamilyName), RegisterText.ComparisonKey(person.GivenName));
        return names.Any(n => RegisterText.ComparisonKey(n.Family) == family && RegisterText.ComparisonKey(n.Given) == given);
    }

    public static async Task<bool> MunicipalityExistsAsync(DbConnection c, DbTransaction? tx, LocalGovernmentCode code) =>
        await c.ScalarAsync<long>("SELECT COUNT(*) FROM municipalities WHERE code = @m", tx, ("m", code.Digits)) > 0;

    /// <summary>Writes the current record (insert or replace) after applying an event.</summary>
    public static Task SaveAsync(DbConnection c, DbTransaction tx, ResidentRecord r) => c.ExecuteAsync(
        $"INSERT INTO residents ({ResidentColumns}) VALUES (@id, @rrc, @m, @h, @rel, @s, @to, @f, @g, @fk, @gk, @dob, @sex, @addr, @pos, @at) " +
        "ON CONFLICT (resident_id) DO UPDATE SET resident_record_code = excluded.resident_record_code, municipality_code = excluded.municipality_code, " +
        "household_id = excluded.household_id, relationship = excluded.relationship, status = excluded.status, moving_to = excluded.moving_to, " +
        "family_name = excluded.family_name, given_name = excluded.given_name, family_name_kana = excluded.family_name_kana, " +
        "given_name_kana = excluded.given_name_kana, date_of_birth = excluded.date_of_birth, sex = excluded.sex, address = excluded.address, " +
        "last_position = excluded.last_position, updated_at = excluded.updated_at",
        tx, ("id", r.ResidentId), ("rrc", r.ResidentRecordCode.Digits), ("m", r.MunicipalityCode.Digits), ("h", r.HouseholdId),
        ("rel", r.Relationship), ("s", r.Status.ToString()), ("to", r.MovingTo?.Digits), ("f", r.Person.FamilyName), ("g", r.Person.GivenName),
        ("fk", r.Person.FamilyNameKana), ("gk", r.Person.GivenNameKana), ("dob", RegisterText.ToText(r.Person.DateOfBirth)),
        ("sex", r.Person.Sex.ToString()), ("addr", r.Person.Address), ("pos", r.LastPosition), ("at", RegisterText.ToText(r.UpdatedAt)));

    /// <summary>Appends an event to the log and returns it with its position.</summary>
    public static async Task<ResidentEvent> AppendAsync(DbConnection c, DbTransaction tx, ResidentEvent e)
    {
        var position = await c.ScalarAsync<long>(
            "INSERT INTO resident_events (event_id, resident_id, kind, municipality_code, occurred_on, recorded_at, changed_items, data) " +
            "VALUES (@id, @r, @k, @m, @o, @at, @items, @data) RETURNING position",
            tx, ("id", e.EventId), ("r", e.ResidentId), ("k", e.Kind.ToString()), ("m", e.MunicipalityCode.Digits),
            ("o", RegisterText.ToText(e.OccurredOn)), ("at", RegisterText.ToText(e.RecordedAt)), ("items", string.Join(',', e.ChangedItems)),
            ("data", DataOf(e)));
        return e with { Position = position };
    }

    /// <summary>The columns of the log that, with <c>data</c>, make an event again (see <see cref="ReadEvent"/>).</summary>
    public const string EventColumns = "position, event_id, kind, resident_id, municipality_code, occurred_on, recorded_at, data";

    /// <summary>The events of one resident, oldest first, as recorded.</summary>
    public static Task<List<ResidentEvent>> EventsOfAsync(DbConnection c, string residentId) =>
        c.QueryAsync($"SELECT {EventColumns} FROM resident_events WHERE resident_id = @r ORDER BY position", ReadEvent, null, ("r", residentId));

    /// <summary>The day the resident's latest event occurred, or null when the log has none.</summary>
    /// <summary>
    /// The day of the person's latest life event. Loading a register, re-issuing a number and changing a code are acts
    /// of the office dated the day they are done: a death reported a week late must still be recorded on its own day.
    /// </summary>
    public static async Task<DateOnly?> LatestOccurredOnAsync(DbConnection c, DbTransaction tx, string residentId) =>
        (await c.QueryAsync("SELECT occurred_on FROM resident_events WHERE resident_id = @r " +
            "AND kind NOT IN ('Registered', 'NumberReissued', 'ResidentRecordCodeChanged') ORDER BY position DESC LIMIT 1",
            r => DateOnly.ParseExact(r.GetString(0), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), tx, ("r", residentId)))
        is [var last] ? last : null;

    /// <summary>When the resident's number was last re-issued (UTC), wherever they lived then, or null when it never was.</summary>
    public static async Task<DateTime?> LastReissuedAtAsync(DbConnection c, DbTransaction tx, string residentId) =>
        (await c.QueryAsync($"SELECT recorded_at FROM resident_events WHERE resident_id = @r AND kind = '{nameof(ResidentEventKind.NumberReissued)}' " +
            "ORDER BY position DESC LIMIT 1", r => RegisterText.ParseUtc(r.GetString(0)), tx, ("r", residentId)))
        is [var last] ? last : null;

    /// <summary>
    /// The <c>data</c> column: the facts of an event that the log's other columns do not hold already. (A whole
    /// event's JSON, as written before, still reads: the columns win and its other fields are ignored.)
    /// </summary>
    public static string DataOf(ResidentEvent e) => JsonSerializer.Serialize(EventFacts.Of(e), ServiceDefaults.Json);

    /// <summary>The same, written straight into a buffer (the seeder's COPY rows).</summary>
    public static void WriteData(Utf8JsonWriter writer, ResidentEvent e) => JsonSerializer.Serialize(writer, EventFacts.Of(e), ServiceDefaults.Json);

    /// <summary>An event from a row of <see cref="EventColumns"/>.</summary>
    public static ResidentEvent ReadEvent(DbDataReader r)
    {
        var facts = JsonSerializer.Deserialize<EventFacts>(r.GetString(7), ServiceDefaults.Json)!;
        return new ResidentEvent
        {
            Position = r.GetInt64(0), EventId = r.GetString(1), Kind = Enum.Parse<ResidentEventKind>(r.GetString(2)), ResidentId = r.GetString(3),
            MunicipalityCode = LocalGovernmentCode.Parse(r.GetString(4)), OccurredOn = DateOnly.ParseExact(r.GetString(5), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            RecordedAt = RegisterText.ParseUtc(r.GetString(6)),
            Person = facts.Person, HouseholdId = facts.HouseholdId, Relationship = facts.Relationship, ResidentRecordCode = facts.ResidentRecordCode,
            Destination = facts.Destination, Abroad = facts.Abroad ?? false, Reason = facts.Reason,
        };
    }

    /// <summary>What <c>data</c> holds; <see cref="Abroad"/> is written only when true.</summary>
    private sealed record EventFacts(BasicFour? Person, string? HouseholdId, string? Relationship, ResidentRecordCode? ResidentRecordCode,
        LocalGovernmentCode? Destination, bool? Abroad, string? Reason)
    {
        public static EventFacts Of(ResidentEvent e) =>
            new(e.Person, e.HouseholdId, e.Relationship, e.ResidentRecordCode, e.Destination, e.Abroad ? true : null, e.Reason);
    }

    public static async Task<(string Id, LocalGovernmentCode Municipality, string Address)?> FindHouseholdAsync(DbConnection c, DbTransaction tx, string householdId)
    {
        var rows = await c.QueryAsync("SELECT household_id, municipality_code, address FROM households WHERE household_id = @h",
            r => (r.GetString(0), LocalGovernmentCode.Parse(r.GetString(1)), r.GetString(2)), tx, ("h", householdId));
        return rows.Count == 0 ? null : rows[0];
    }

    public static async Task<string> CreateHouseholdAsync(DbConnection c, DbTransaction tx, LocalGovernmentCode municipality, string address, DateTime now)
    {
        var id = Ids.New("h");
        await c.ExecuteAsync("INSERT INTO households (household_id, municipality_code, address, created_at) VALUES (@h, @m, @a, @t)",
            tx, ("h", id), ("m", municipality.Digits), ("a", address), ("t", RegisterText.ToText(now)));
        return id;
    }
}

/// <summary>Opaque random identifiers: they say nothing of the person, the place or the order.</summary>
public static class Ids
{
    public static string New(string prefix) => $"{prefix}_{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12))}";

    public static string New(string prefix, Random random)
    {
        Span<byte> bytes = stackalloc byte[12];
        random.NextBytes(bytes);
        return $"{prefix}_{Convert.ToHexStringLower(bytes)}";
    }
}
