using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Events;
using Renkei.Registry.Residents;
using Renkei.Registry.Seeding;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Seeding;

public class ResidentSeederTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    private static async Task<Database> FreshRegisterAsync(StorageProvider provider)
    {
        var database = TestDatabases.CreateDatabase(provider);
        await RegistryApp.MigrateAsync(database);
        return database;
    }

    private static async Task<long> CountAsync(Database database, string table)
    {
        await using var c = await database.OpenAsync();
        return await c.ScalarAsync<long>($"SELECT COUNT(*) FROM {table}");
    }

    [Fact]
    public async Task The_seeders_large_SQLite_page_cache_does_not_stay_on_the_pooled_connection_it_returns()
    {
        var database = await FreshRegisterAsync(StorageProvider.Sqlite);
        using var deriver = new IndividualNumberDeriver(Key);
        await ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(5, 1, 20));
        // The pool hands out the connection the seeder used; the Registry's work there gets SQLite's defaults.
        await using var c = await database.OpenAsync();
        Assert.Equal((-2000L, 0L), (await c.ScalarAsync<long>("PRAGMA cache_size"), await c.ScalarAsync<long>("PRAGMA temp_store")));
    }

    private sealed record Row(string ResidentId, string Code, string? Number, string Municipality, string? Household, string Relationship,
        string Family, string Given, string FamilyKana, string GivenKana, string Born, string Sex, string Address);

    private static async Task<List<Row>> RowsAsync(Database database)
    {
        await using var c = await database.OpenAsync();
        return await c.QueryAsync(
            "SELECT r.resident_id, r.resident_record_code, n.number, r.municipality_code, r.household_id, r.relationship, r.family_name, r.given_name, " +
            "r.family_name_kana, r.given_name_kana, r.date_of_birth, r.sex, r.address FROM residents r " +
            "LEFT JOIN individual_numbers n ON n.resident_id = r.resident_id AND n.superseded_at IS NULL ORDER BY r.last_position",
            r => new Row(r.GetString(0), r.GetString(1), r.GetNullableString(2), r.GetString(3), r.GetNullableString(4), r.GetString(5), r.GetString(6),
                r.GetString(7), r.GetString(8), r.GetString(9), r.GetString(10), r.GetString(11), r.GetString(12)));
    }

    [Theory, StorageData]
    public async Task Every_seeded_person_has_a_valid_unique_number_derived_from_their_own_code(StorageProvider provider)
    {
        var database = await FreshRegisterAsync(provider);
        using var deriver = new IndividualNumberDeriver(Key);
        var plan = new SeedPlan(5, 2, 700) { BatchSize = 128 };
        var reports = new List<long>();
        var result = await ResidentSeeder.SeedAsync(database, deriver, plan, new Progress(reports));

        Assert.Equal(700, result.Residents);
        var rows = await RowsAsync(database);
        Assert.Equal(700, rows.Count);
        Assert.Equal(700, rows.Select(r => r.Number).Distinct().Count());
        Assert.Equal(700, rows.Select(r => r.Code).Distinct().Count());
        foreach (var row in rows)
        {
            Assert.True(IndividualNumber.TryParse(row.Number, out var number, out _));
            Assert.True(ResidentRecordCode.TryParse(row.Code, out var code, out _));
            Assert.Equal(deriver.Derive(code), number);
        }
        Assert.Equal(700, await CountAsync(database, "resident_record_codes"));
        Assert.Equal(700, await CountAsync(database, "individual_numbers"));
        Assert.Equal(result.Households, await CountAsync(database, "households"));
        Assert.Equal(700L, reports[^1]);
        Assert.True(reports.Count >= 700 / 128, "progress is reported after each batch");
    }

    [Theory, StorageData]
    public async Task Seeded_records_are_exactly_what_their_Registered_events_project_to(StorageProvider provider)
    {
        var database = await FreshRegisterAsync(provider);
        using var deriver = new IndividualNumberDeriver(Key);
        await ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(8, 3, 300) { BatchSize = 50 });

        await using var c = await database.OpenAsync();
        foreach (var row in await RowsAsync(database))
        {
            var events = await ResidentStore.EventsOfAsync(c, row.ResidentId);
            var registered = Assert.Single(events);
            Assert.Equal(ResidentEventKind.Registered, registered.Kind);
            var stored = await ResidentStore.FindAsync(c, row.ResidentId);
            Assert.Equal(ResidentProjection.Apply(null, registered), stored);
            // The identity server finds them by number, as anyone registered through the API.
            var byNumber = await ResidentStore.FindByNumberAsync(c, IndividualNumber.Parse(row.Number!));
            Assert.Equal(stored, byNumber);
            Assert.Contains(stored, await ResidentStore.FindByNameAndBirthAsync(c, row.Family, row.Given, DateOnly.Parse(row.Born)));
        }
    }

    [Theory, StorageData]
    public async Task The_event_feed_lists_every_seeded_person_once_in_increasing_positions(StorageProvider provider)
    {
        var database = await FreshRegisterAsync(provider);
        using var deriver = new IndividualNumberDeriver(Key);
        await ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(9, 2, 250) { BatchSize = 40 });
        await ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(10, 1, 60) { BatchSize = 40 });

        var feed = await EventFeedApi.ReadAsync(database, 0, 1000);
        Assert.Equal(310, feed.Count);
        Assert.All(feed, e => Assert.Equal(ResidentEventKind.Registered, e.Kind));
        Assert.Equal(feed.Select(e => e.Position).Order(), feed.Select(e => e.Position));
        Assert.Equal(310, feed.Select(e => e.Position).Distinct().Count());
        Assert.Equal(310, feed.Select(e => e.ResidentId).Distinct().Count());
        var rows = await RowsAsync(database);
        Assert.Equal(rows.Select(r => r.ResidentId), feed.Select(e => e.ResidentId));
        Assert.All(feed, e => Assert.Contains("number", e.ChangedItems));
    }

    [Theory, StorageData]
    public async Task Households_on_the_register_are_whole_and_share_name_and_address(StorageProvider provider)
    {
        var database = await FreshRegisterAsync(provider);
        using var deriver = new IndividualNumberDeriver(Key);
        var plan = new SeedPlan(12, 2, 400) { BatchSize = 64 };
        await ResidentSeeder.SeedAsync(database, deriver, plan);

        var expected = new SyntheticResidents(plan).Households().ToDictionary(h => h.HouseholdId);
        await using var c = await database.OpenAsync();
        var households = await c.QueryAsync("SELECT household_id, municipality_code, address FROM households", r => (r.GetString(0), r.GetString(1), r.GetString(2)));
        Assert.Equal(expected.Count, households.Count);
        var rows = (await RowsAsync(database)).ToLookup(r => r.Household);
        foreach (var (id, municipality, address) in households)
        {
            var h = expected[id];
            Assert.Equal(h.Municipality.Code.Digits, municipality);
            Assert.Equal(h.Address, address);
            var members = rows[id].ToList();
            Assert.Equal(h.Members.Select(m => m.ResidentId), members.Select(m => m.ResidentId));
            Assert.Single(members, m => m.Relationship == "世帯主");
            Assert.All(members, m => { Assert.Equal(address, m.Address); Assert.Equal(members[0].Family, m.Family); Assert.Equal(municipality, m.Municipality); });
        }
    }

    [Theory, StorageData]
    public async Task The_same_seed_on_two_registers_gives_the_same_people_and_codes(StorageProvider provider)
    {
        var one = await FreshRegisterAsync(provider);
        var two = await FreshRegisterAsync(provider);
        using var deriver = new IndividualNumberDeriver(Key);
        using var otherKey = new IndividualNumberDeriver(RandomNumberGenerator.GetBytes(32));
        await ResidentSeeder.SeedAsync(one, deriver, new SeedPlan(77, 2, 300) { BatchSize = 100 });
        await ResidentSeeder.SeedAsync(two, otherKey, new SeedPlan(77, 2, 300) { BatchSize = 30 });

        var left = await RowsAsync(one);
        var right = await RowsAsync(two);
        // Only the number depends on the numbering key; the batch size changes nothing either.
        Assert.Equal(left.Select(r => r with { Number = null }), right.Select(r => r with { Number = null }));
        Assert.NotEqual(left.Select(r => r.Number), right.Select(r => r.Number));
    }

    [Theory, StorageData]
    public async Task Seeding_skips_codes_already_used_and_numbers_ever_issued(StorageProvider provider)
    {
        var database = await FreshRegisterAsync(provider);
        using var deriver = new IndividualNumberDeriver(Key);
        var plan = new SeedPlan(21, 1, 20);
        var stream = new SyntheticResidents(plan).CodesOf(0);
        var firstCode = stream.Next();
        var secondCode = stream.Next();
        var retiredNumber = deriver.Derive(secondCode);

        // Someone already holds the first code, and the second code's number was issued once and retired.
        await using (var c = await database.OpenAsync())
        {
            await using var tx = await c.BeginTransactionAsync();
            var now = DateTime.UtcNow;
            await ResidentStore.SaveAsync(c, tx, new ResidentRecord("r_existing", firstCode, Registry.Municipalities.DemoMunicipalities.All[0].Code, null, "世帯主",
                ResidentStatus.Resident, null, new BasicFour("試験", "太郎", "シケン", "タロウ", new DateOnly(1980, 1, 1), Sex.Male, "千葉県千葉市中央区中央1丁目1番1号"), 0, now));
            await c.ExecuteAsync("INSERT INTO resident_record_codes (code, resident_id, assigned_at) VALUES (@c, 'r_existing', 'x')", tx, ("c", firstCode.Digits));
            await c.ExecuteAsync("INSERT INTO individual_numbers (number, resident_id, reissue_count, designated_at, superseded_at) VALUES (@n, 'r_existing', 0, 'x', 'y')",
                tx, ("n", retiredNumber.Digits));
            await tx.CommitAsync();
        }

        await ResidentSeeder.SeedAsync(database, deriver, plan);
        var rows = (await RowsAsync(database)).Where(r => r.ResidentId != "r_existing").ToList();
        Assert.Equal(20, rows.Count);
        Assert.DoesNotContain(rows, r => r.Code == firstCode.Digits || r.Code == secondCode.Digits);
        Assert.DoesNotContain(rows, r => r.Number == retiredNumber.Digits);
        Assert.All(rows, r => Assert.Equal(deriver.Derive(ResidentRecordCode.Parse(r.Code)).Digits, r.Number));
    }

    [Theory, StorageData]
    public async Task Seeding_a_seed_twice_is_refused_and_writes_nothing(StorageProvider provider)
    {
        var database = await FreshRegisterAsync(provider);
        using var deriver = new IndividualNumberDeriver(Key);
        await ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(31, 1, 100));

        await Assert.ThrowsAsync<SeedRefusedException>(() => ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(31, 2, 500)));
        Assert.Equal(100, await CountAsync(database, "residents"));
        Assert.Equal(100, await CountAsync(database, "resident_events"));
    }

    [Theory, StorageData]
    public async Task A_cancelled_run_on_a_register_with_residents_leaves_only_whole_batches_of_complete_people(StorageProvider provider)
    {
        var database = await FreshRegisterAsync(provider);
        using var deriver = new IndividualNumberDeriver(Key);
        await ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(40, 1, 10));
        using var cancel = new CancellationTokenSource();
        var plan = new SeedPlan(41, 1, 5_000) { BatchSize = 100 };
        var progress = new Progress(null, _ => cancel.Cancel());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ResidentSeeder.SeedAsync(database, deriver, plan, progress, cancel.Token));

        var residents = await CountAsync(database, "residents") - 10;
        Assert.InRange(residents, 100, 4_999);
        Assert.Equal(residents + 10, await CountAsync(database, "resident_events"));
        Assert.Equal(residents + 10, await CountAsync(database, "resident_record_codes"));
        Assert.Equal(residents + 10, await CountAsync(database, "individual_numbers"));
        // Every household written has all its members.
        var expected = new SyntheticResidents(plan).Households().ToDictionary(h => h.HouseholdId, h => h.Members.Count);
        await using var c = await database.OpenAsync();
        var sizes = await c.QueryAsync("SELECT h.household_id, (SELECT COUNT(*) FROM residents r WHERE r.household_id = h.household_id) FROM households h",
            r => (r.GetString(0), Convert.ToInt32(r.GetValue(1))));
        sizes = sizes.Where(s => expected.ContainsKey(s.Item1)).ToList();
        Assert.All(sizes, s => Assert.Equal(expected[s.Item1], s.Item2));
        Assert.Equal(residents, sizes.Sum(s => s.Item2));
    }

    [Theory, StorageData]
    public async Task A_cancelled_or_failed_first_seed_into_an_empty_register_leaves_it_empty_with_every_index(StorageProvider provider)
    {
        var database = await FreshRegisterAsync(provider);
        var schema = await SchemaAsync(database);
        using var deriver = new IndividualNumberDeriver(Key);
        using var cancel = new CancellationTokenSource();
        var progress = new Progress(null, _ => cancel.Cancel());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(42, 2, 30_000) { BatchSize = 1_000 }, progress, cancel.Token));

        foreach (var table in new[] { "households", "residents", "resident_events", "resident_record_codes", "individual_numbers" })
            Assert.Equal(0, await CountAsync(database, table));
        Assert.Equal(schema, await SchemaAsync(database));
        // The register takes a seed again afterwards.
        await ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(42, 2, 300));
        Assert.Equal(300, await CountAsync(database, "residents"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_seed_that_fills_the_disk_fails_with_SQLites_disk_full_error_not_the_cleanups_own(bool bulk)
    {
        // Audit W1: SQLite rolls the bulk transaction back by itself on SQLITE_FULL; the writer's cleanup then threw
        // "This SqliteTransaction has completed", which hid the cause.
        var database = await FreshRegisterAsync(StorageProvider.Sqlite);
        var schema = await SchemaAsync(database);
        using var deriver = new IndividualNumberDeriver(Key);
        if (!bulk) await ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(60, 1, 10));
        // A disk with room for a few more pages: the limit stays on the pooled connection the seeder is handed next.
        await SqliteDisk.LimitAsync(database, growBy: 40, connections: 1);

        var full = await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() =>
            ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(61, 2, 30_000) { BatchSize = 1_000 }));
        Assert.Equal(13, full.SqliteErrorCode);
        Assert.True(Database.IsFull(full));

        // The limit goes with the pooled connections that hold it.
        await using (var c = await database.OpenAsync()) Microsoft.Data.Sqlite.SqliteConnection.ClearPool((Microsoft.Data.Sqlite.SqliteConnection)c);
        // Into an empty register nothing stays; into one with residents, whole batches only (40 pages hold none of 1,000 people).
        Assert.Equal(bulk ? 0 : 10, await CountAsync(database, "residents"));
        Assert.Equal(bulk ? 0 : 10, await CountAsync(database, "resident_events"));
        Assert.Equal(schema, await SchemaAsync(database));
        await ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(61, 2, 300));
    }

    [Theory, StorageData]
    public async Task A_bulk_seed_into_an_empty_register_writes_exactly_what_batch_by_batch_writes(StorageProvider provider)
    {
        var bulk = await FreshRegisterAsync(provider);
        var batched = await FreshRegisterAsync(provider);
        var schema = await SchemaAsync(bulk);
        using var deriver = new IndividualNumberDeriver(Key);
        var plan = new SeedPlan(51, 3, 9_000) { BatchSize = 700 };
        await ResidentSeeder.SeedAsync(bulk, deriver, plan);
        await ResidentSeeder.SeedAsync(batched, deriver, plan with { Bulk = false });

        Assert.Equal(await RowsAsync(batched), await RowsAsync(bulk));
        var left = await EventRowsAsync(bulk);
        var right = await EventRowsAsync(batched);
        Assert.Equal(9_000, left.Count);
        Assert.Equal(right.Select(e => e.Event with { RecordedAt = default }), left.Select(e => e.Event with { RecordedAt = default }));
        Assert.Equal(right.Select(e => e.Position), left.Select(e => e.Position));
        foreach (var (position, data, e) in left.Concat(right))
        {
            // The log holds each event exactly as ResidentStore.AppendAsync records one.
            Assert.Equal(ResidentStore.DataOf(e), data);
            Assert.Equal(position, e.Position);
        }
        // Every index and constraint is back, and enforced.
        Assert.Equal(schema, await SchemaAsync(bulk));
        await using var c = await bulk.OpenAsync();
        var number = (await RowsAsync(bulk))[0].Number;
        await Assert.ThrowsAnyAsync<DbException>(() => c.ExecuteAsync(
            "INSERT INTO individual_numbers (number, resident_id, reissue_count, designated_at) VALUES (@n, 'r_x', 0, 'x')", null, ("n", number)));
        await Assert.ThrowsAnyAsync<DbException>(() => c.ExecuteAsync(
            "INSERT INTO residents (resident_id, resident_record_code, municipality_code, household_id, relationship, status, family_name, given_name, " +
            "family_name_kana, given_name_kana, date_of_birth, sex, address, last_position, updated_at) " +
            "VALUES ('r_y', '00000000000', '999999', NULL, '世帯主', 'Resident', 'a', 'b', 'c', 'd', '2000-01-01', 'Male', 'x', 0, 'x')"));
    }

    private static async Task<List<(long Position, string Data, ResidentEvent Event)>> EventRowsAsync(Database database)
    {
        await using var c = await database.OpenAsync();
        return await c.QueryAsync($"SELECT {ResidentStore.EventColumns} FROM resident_events ORDER BY position",
            r => (r.GetInt64(0), r.GetString(7), ResidentStore.ReadEvent(r)));
    }

    /// <summary>The definitions of every index and constraint of the register's tables.</summary>
    private static async Task<List<string>> SchemaAsync(Database database)
    {
        await using var c = await database.OpenAsync();
        var rows = database.Provider == StorageProvider.Postgres
            ? await c.QueryAsync(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() UNION ALL " +
                "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint " +
                "WHERE connamespace = current_schema()::regnamespace", r => r.GetString(0))
            : await c.QueryAsync("SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master WHERE type IN ('index', 'table', 'trigger')", r => r.GetString(0));
        return rows.Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task Arguments_out_of_range_are_refused_before_anything_is_written()
    {
        var database = await FreshRegisterAsync(StorageProvider.Sqlite);
        using var deriver = new IndividualNumberDeriver(Key);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(1, 0, 10)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(1, 15, 10)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ResidentSeeder.SeedAsync(database, deriver, new SeedPlan(1, 1, 0)));
        Assert.Equal(0, await CountAsync(database, "residents"));
    }

    /// <summary>Synchronous progress (System.Progress posts to the thread pool, which would race the assertions).</summary>
    private sealed class Progress(List<long>? reports, Action<long>? then = null) : IProgress<long>
    {
        public void Report(long value)
        {
            lock (this) reports?.Add(value);
            then?.Invoke(value);
        }
    }
}
