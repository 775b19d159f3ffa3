using System.Net.Http.Json;
using System.Text;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Residents;

public class ResidentEventTests
{
    [Theory, StorageData]
    public async Task Birth_designates_a_valid_code_and_number_and_the_record_follows_from_the_events(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var receipt = await registry.RegisterBirthAsync(person: RegistryHost.Person("佐藤", "陽菜", "サトウ", "ヒナ", "2026-02-03", "female"));

        Assert.True(ResidentRecordCode.TryParse(receipt.ResidentRecordCode, out var code, out _));
        Assert.True(IndividualNumber.TryParse(receipt.IndividualNumber, out var number, out _));
        using var deriver = registry.Deriver();
        Assert.Equal(deriver.Derive(code), number);

        var view = await registry.Client("chiba-clerk").GetFromJsonAsync<ResidentView>(
            $"api/municipalities/{RegistryHost.Chiba}/residents/{receipt.ResidentId}", ServiceDefaults.Json);
        Assert.Equal("佐藤", view!.Resident.FamilyName);
        Assert.Equal("ヒナ", view.Resident.GivenNameKana);
        Assert.Equal("2026-02-03", view.Resident.DateOfBirth);
        Assert.Equal(Sex.Female, view.Resident.Sex);
        Assert.Equal(receipt.HouseholdId, view.HouseholdId);

        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("address-change", ResidentId: receipt.ResidentId, Address: "千葉県千葉市美浜区打瀬2丁目3番4号"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("name-change", ResidentId: receipt.ResidentId, FamilyName: "鈴木", FamilyNameKana: "スズキ"));

        await using var c = await registry.Database.OpenAsync();
        var events = await ResidentStore.EventsOfAsync(c, receipt.ResidentId);
        Assert.Equal([ResidentEventKind.Birth, ResidentEventKind.AddressChange, ResidentEventKind.NameChange], events.Select(e => e.Kind));
        var derived = events.Aggregate((ResidentRecord?)null, ResidentProjection.Apply)!;
        var stored = (await ResidentStore.FindAsync(c, receipt.ResidentId))!;
        Assert.Equal(stored with { UpdatedAt = default }, derived with { UpdatedAt = default });
        Assert.Equal("鈴木", stored.Person.FamilyName);
        Assert.Equal("陽菜", stored.Person.GivenName);
        Assert.Equal("千葉県千葉市美浜区打瀬2丁目3番4号", stored.Person.Address);
    }

    [Theory, StorageData]
    public async Task The_log_keeps_each_fact_once_and_still_reads_events_written_whole(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: born.ResidentId, Destination: RegistryHost.Kashiwa));
        await using var c = await registry.Database.OpenAsync();
        var events = await ResidentStore.EventsOfAsync(c, born.ResidentId);
        Assert.Equal([ResidentEventKind.Birth, ResidentEventKind.MoveOut], events.Select(e => e.Kind));
        Assert.Equal(RegistryHost.Kashiwa, events[1].Destination?.Digits);

        // What the columns hold (id, kind, resident, municipality, dates, position) is not in data again.
        var data = await c.QueryAsync("SELECT data FROM resident_events WHERE resident_id = @r ORDER BY position", r => r.GetString(0), null, ("r", born.ResidentId));
        foreach (var column in new[] { "eventId", "kind", "residentId", "municipalityCode", "occurredOn", "recordedAt", "position", "abroad" })
            Assert.All(data, d => Assert.DoesNotContain($"\"{column}\"", d));
        Assert.Contains("\"person\"", data[0]);
        Assert.Contains("\"destination\"", data[1]);

        // A row whose data is a whole event's JSON (the earlier format) reads as the same event.
        foreach (var e in events)
        {
            var copy = e with { EventId = e.EventId + "x" };
            await c.ExecuteAsync(
                "INSERT INTO resident_events (event_id, resident_id, kind, municipality_code, occurred_on, recorded_at, changed_items, data) " +
                "VALUES (@id, @r, @k, @m, @o, @at, @items, @data)", null, ("id", copy.EventId), ("r", "r_whole"), ("k", copy.Kind.ToString()),
                ("m", copy.MunicipalityCode.Digits), ("o", RegisterText.ToText(copy.OccurredOn)), ("at", RegisterText.ToText(copy.RecordedAt)),
                ("items", string.Join(',', copy.ChangedItems)), ("data", System.Text.Json.JsonSerializer.Serialize(copy with { Position = 0 }, ServiceDefaults.Json)));
        }
        var whole = await ResidentStore.EventsOfAsync(c, "r_whole");
        Assert.Equal(events.Select(e => e with { EventId = e.EventId + "x", ResidentId = "r_whole", Position = 0 }),
            whole.Select(e => e with { Position = 0 }));
    }

    [Theory, StorageData]
    public async Task A_bad_event_gets_every_field_error_and_writes_nothing(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var response = await registry.PostEventAsync(RegistryHost.Chiba, new
        {
            kind = "birth",
            person = new { familyName = "", givenName = "一郎", familyNameKana = "たなか", givenNameKana = "イチロウ", dateOfBirth = "2026-02-30", sex = "x" },
            address = "千葉県千葉市中央区中央1-1",
        });
        var problem = await ProblemAssert.IsProblemAsync(response, 400, "invalid-event");
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("person.familyName", out _));
        Assert.Contains("カタカナ", errors.GetProperty("person.familyNameKana")[0].GetString());
        Assert.True(errors.TryGetProperty("person.dateOfBirth", out _));
        Assert.True(errors.TryGetProperty("person.sex", out _));
        await AssertNothingWrittenAsync(registry);
    }

    [Theory, StorageData]
    public async Task Unknown_kind_future_date_and_malformed_json_are_refused(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, new { kind = "marriage" }), 400, "invalid-event");
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba,
            new { kind = "birth", occurredOn = "2999-01-01", person = RegistryHost.Person(), address = "千葉市" }), 400, "invalid-event");
        var malformed = await registry.Client("chiba-clerk").PostAsync($"api/municipalities/{RegistryHost.Chiba}/events",
            new StringContent("{\"kind\": \"birth\", ", Encoding.UTF8, "application/json"));
        await ProblemAssert.IsProblemAsync(malformed, 400, "malformed-request");
        await AssertNothingWrittenAsync(registry);
    }

    [Theory, StorageData]
    public async Task Municipality_codes_and_callers_are_checked(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var birth = new ResidentEventRequest("birth", Person: RegistryHost.Person(dateOfBirth: "2026-01-01"), Address: "千葉市中央区中央1");
        var badCode = await registry.PostEventAsync("121003", birth, "admin-token");
        var problem = await ProblemAssert.IsProblemAsync(badCode, 400, "invalid-local-government-code");
        Assert.Contains("期待値 2", problem.GetProperty("detail").GetString());
        var unknown = await ProblemAssert.IsProblemAsync(await registry.PostEventAsync("011002", birth, "admin-token"), 404, "unknown-municipality");
        Assert.Equal("市区町村 011002 は登録されていません / No municipality 011002 is registered.", unknown.GetProperty("detail").GetString());
        var forbidden = await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, birth, "kashiwa-clerk"), 403, "forbidden");
        Assert.Equal($"権限 municipality:{RegistryHost.Chiba} がありません / The caller does not hold municipality:{RegistryHost.Chiba}.",
            forbidden.GetProperty("detail").GetString());
        var unauthenticated = await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, birth, "wrong-token"), 401, "unauthenticated");
        Assert.StartsWith("このサービスが知っているトークンを", unauthenticated.GetProperty("detail").GetString());
        Assert.Contains(" / Send 'Authorization: Bearer <token>'", unauthenticated.GetProperty("detail").GetString());
        var anonymous = await registry.Client().PostAsJsonAsync($"api/municipalities/{RegistryHost.Chiba}/events", birth);
        await ProblemAssert.IsProblemAsync(anonymous, 401, "unauthenticated");
        await AssertNothingWrittenAsync(registry);
    }

    [Theory, StorageData]
    public async Task Moving_out_then_in_moves_the_record_and_other_municipalities_cannot_touch_it(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var id = born.ResidentId;

        // Kashiwa cannot record events for Chiba's resident, nor read it.
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa,
            new ResidentEventRequest("address-change", ResidentId: id, Address: "柏市柏1")), 404, "unknown-resident");
        await ProblemAssert.IsProblemAsync(await registry.Client("kashiwa-clerk").GetAsync($"api/municipalities/{RegistryHost.Kashiwa}/residents/{id}"), 404, "unknown-resident");
        // A move-in needs a move-out first; a clerk who may read identities is told so, another only that no one can move in.
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa,
            new ResidentEventRequest("move-in", ResidentId: id, Address: "千葉県柏市柏1丁目1番1号"), "kashiwa-registrar"), 409, "event-not-allowed");
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa,
            new ResidentEventRequest("move-in", ResidentId: id, Address: "千葉県柏市柏1丁目1番1号")), 404, "no-move-in");

        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: id, Destination: RegistryHost.Kashiwa));
        // Moving in somewhere else than the move-out named is refused.
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Bunkyo,
            new ResidentEventRequest("move-in", ResidentId: id, Address: "東京都文京区春日1丁目16番21号"), "bunkyo-registrar"), 409, "move-in-elsewhere");
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Bunkyo,
            new ResidentEventRequest("move-in", ResidentId: id, Address: "東京都文京区春日1丁目16番21号")), 404, "no-move-in");
        var movedIn = await registry.RecordAsync(RegistryHost.Kashiwa,
            new ResidentEventRequest("move-in", IndividualNumber: born.IndividualNumber, Address: "千葉県柏市柏1丁目1番1号"));
        Assert.Equal(id, movedIn.ResidentId);

        var view = await registry.Client("kashiwa-clerk").GetFromJsonAsync<ResidentView>($"api/municipalities/{RegistryHost.Kashiwa}/residents/{id}", ServiceDefaults.Json);
        Assert.Equal(RegistryHost.Kashiwa, view!.Resident.MunicipalityCode);
        Assert.Equal(ResidentStatus.Resident, view.Resident.Status);
        Assert.Equal("千葉県柏市柏1丁目1番1号", view.Resident.Address);
        Assert.Equal(born.IndividualNumber, view.Resident.IndividualNumber);
        await ProblemAssert.IsProblemAsync(await registry.Client("chiba-clerk").GetAsync($"api/municipalities/{RegistryHost.Chiba}/residents/{id}"), 404, "unknown-resident");
    }

    [Theory, StorageData]
    public async Task Moving_abroad_and_back_keeps_the_number_and_death_ends_the_record(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: born.ResidentId, Destination: "abroad"));
        var back = await registry.RecordAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", From: "abroad", ResidentId: born.ResidentId, Address: "東京都文京区本郷7丁目3番1号"));
        Assert.Equal(born.IndividualNumber, back.IndividualNumber);
        await registry.RecordAsync(RegistryHost.Bunkyo, new ResidentEventRequest("death", ResidentId: born.ResidentId));
        var after = await registry.PostEventAsync(RegistryHost.Bunkyo, new ResidentEventRequest("address-change", ResidentId: born.ResidentId, Address: "文京区"));
        await ProblemAssert.IsProblemAsync(after, 409, "event-not-allowed");
        var twice = await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Bunkyo, new ResidentEventRequest("death", ResidentId: born.ResidentId)), 409, "event-not-allowed");
        Assert.Equal("状態が「死亡」の住民には死亡の届出はできません / A Death event cannot follow status Deceased.", twice.GetProperty("detail").GetString());
    }

    [Theory, StorageData]
    public async Task A_newcomer_from_abroad_gets_a_number_and_a_household_can_be_joined(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var parent = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-in", From: "abroad",
            Person: RegistryHost.Person("Smith", "Anna", "スミス", "アンナ", "1985-06-07", "female"), Address: "千葉県千葉市中央区富士見2丁目1番1号"));
        Assert.NotNull(parent.IndividualNumber);
        var child = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth",
            Person: RegistryHost.Person("Smith", "Ken", "スミス", "ケン", "2026-03-01", "male"), HouseholdId: parent.HouseholdId, Relationship: "子"));
        Assert.Equal(parent.HouseholdId, child.HouseholdId);
        var view = await registry.Client("chiba-clerk").GetFromJsonAsync<ResidentView>($"api/municipalities/{RegistryHost.Chiba}/residents/{child.ResidentId}", ServiceDefaults.Json);
        Assert.Equal("千葉県千葉市中央区富士見2丁目1番1号", view!.Resident.Address);
        Assert.Equal("子", view.Relationship);
        // Another municipality's household cannot be joined.
        var elsewhere = await registry.PostEventAsync(RegistryHost.Kashiwa, new ResidentEventRequest("birth",
            Person: RegistryHost.Person(dateOfBirth: "2026-03-01"), HouseholdId: parent.HouseholdId, Relationship: "子"));
        await ProblemAssert.IsProblemAsync(elsewhere, 404, "unknown-household");
    }

    [Theory, StorageData]
    public async Task Recorded_events_cannot_be_changed_or_deleted(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        await registry.RegisterBirthAsync();
        await using var c = await registry.Database.OpenAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => c.ExecuteAsync("UPDATE resident_events SET kind = 'Death'"));
        await Assert.ThrowsAnyAsync<Exception>(() => c.ExecuteAsync("DELETE FROM resident_events"));
        Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events WHERE kind = 'Birth'"));
    }

    [Theory, StorageData]
    public async Task An_event_that_carries_a_new_person_cannot_name_an_existing_resident(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var person = RegistryHost.Person("佐藤", "花子", "サトウ", "ハナコ", "2026-01-15", "female");

        var byId = await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("birth", ResidentId: born.ResidentId, Person: person, Address: "千葉市中央区中央1"));
        Assert.True((await ProblemAssert.IsProblemAsync(byId, 400, "invalid-event")).GetProperty("errors").TryGetProperty("residentId", out _));
        var byNumber = await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("birth", IndividualNumber: born.IndividualNumber, Person: person, Address: "千葉市中央区中央1"));
        Assert.True((await ProblemAssert.IsProblemAsync(byNumber, 400, "invalid-event")).GetProperty("errors").TryGetProperty("individualNumber", out _));
        var moveIn = await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("move-in", From: "abroad", ResidentId: born.ResidentId, Person: person, Address: "千葉市中央区中央1"));
        Assert.True((await ProblemAssert.IsProblemAsync(moveIn, 400, "invalid-event")).GetProperty("errors").TryGetProperty("residentId", out _));

        await using var c = await registry.Database.OpenAsync();
        Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events"));
        Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM individual_numbers"));
        Assert.Equal("山田", (await ResidentStore.FindAsync(c, born.ResidentId))!.Person.FamilyName);
    }

    [Theory, StorageData]
    public async Task A_move_out_names_a_registered_municipality_other_than_its_own(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();

        // 011002 is a well-formed code of no registered municipality.
        var unknown = await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: born.ResidentId, Destination: "011002"));
        Assert.Contains("011002", (await ProblemAssert.IsProblemAsync(unknown, 400, "unknown-destination")).GetProperty("detail").GetString());
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba,
            new ResidentEventRequest("move-out", ResidentId: born.ResidentId, Destination: RegistryHost.Chiba)), 400, "destination-is-current");

        await using var c = await registry.Database.OpenAsync();
        Assert.Equal([ResidentEventKind.Birth], (await ResidentStore.EventsOfAsync(c, born.ResidentId)).Select(e => e.Kind));
        Assert.Equal(ResidentStatus.Resident, (await ResidentStore.FindAsync(c, born.ResidentId))!.Status);
    }

    [Theory, StorageData]
    public async Task A_wrong_move_out_is_corrected_by_a_new_one_and_the_move_in_then_follows(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var id = born.ResidentId;
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: id, Destination: RegistryHost.Kashiwa));
        var elsewhere = await registry.PostEventAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", ResidentId: id, Address: "東京都文京区春日1丁目16番21号"),
            "bunkyo-registrar");
        await ProblemAssert.IsProblemAsync(elsewhere, 409, "move-in-elsewhere");

        // Only the municipality moved out of corrects its move-out.
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa,
            new ResidentEventRequest("move-out", ResidentId: id, Destination: RegistryHost.Bunkyo)), 404, "unknown-resident");
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: id, Destination: RegistryHost.Bunkyo));
        await registry.RecordAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", ResidentId: id, Address: "東京都文京区春日1丁目16番21号"));

        await using var c = await registry.Database.OpenAsync();
        var events = await ResidentStore.EventsOfAsync(c, id);
        Assert.Equal([ResidentEventKind.Birth, ResidentEventKind.MoveOut, ResidentEventKind.MoveOut, ResidentEventKind.MoveIn], events.Select(e => e.Kind));
        // The wrong move-out stays as it was recorded; the correction is an event of its own.
        Assert.Equal([RegistryHost.Kashiwa, RegistryHost.Bunkyo], events.Where(e => e.Kind == ResidentEventKind.MoveOut).Select(e => e.Destination?.Digits));
        var stored = (await ResidentStore.FindAsync(c, id))!;
        Assert.Equal(RegistryHost.Bunkyo, stored.MunicipalityCode.Digits);
        Assert.Equal(ResidentStatus.Resident, stored.Status);
        Assert.Equal(stored with { UpdatedAt = default }, events.Aggregate((ResidentRecord?)null, ResidentProjection.Apply)! with { UpdatedAt = default });
    }

    [Theory, StorageData]
    public async Task A_name_change_reading_must_be_katakana(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var response = await registry.PostEventAsync(RegistryHost.Chiba,
            new ResidentEventRequest("name-change", ResidentId: born.ResidentId, FamilyName: "鈴木", FamilyNameKana: "すずき", GivenNameKana: "Taro"));
        var errors = (await ProblemAssert.IsProblemAsync(response, 400, "invalid-event")).GetProperty("errors");
        Assert.Contains("カタカナ", errors.GetProperty("familyNameKana")[0].GetString());
        Assert.Contains("givenNameKana must be katakana", errors.GetProperty("givenNameKana")[0].GetString());

        await using var c = await registry.Database.OpenAsync();
        var stored = (await ResidentStore.FindAsync(c, born.ResidentId))!;
        Assert.Equal(("山田", "ヤマダ"), (stored.Person.FamilyName, stored.Person.FamilyNameKana));
        Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events"));
        // Full-width katakana after normalisation is accepted as before.
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("name-change", ResidentId: born.ResidentId, FamilyName: "鈴木", FamilyNameKana: "ｽｽﾞｷ"));
        Assert.Equal("スズキ", (await ResidentStore.FindAsync(c, born.ResidentId))!.Person.FamilyNameKana);
    }

    [Theory, StorageData]
    public async Task An_event_cannot_precede_the_birth_or_the_latest_event(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var today = JapanTime.Today(TimeProvider.System);
        string Day(int daysAgo) => RegisterText.ToText(today.AddDays(-daysAgo));
        var born = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth", OccurredOn: Day(90),
            Person: RegistryHost.Person(dateOfBirth: Day(100)), Address: "千葉県千葉市中央区中央1丁目1番1号"));
        var id = born.ResidentId;

        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba,
            new ResidentEventRequest("address-change", OccurredOn: Day(101), ResidentId: id, Address: "千葉県千葉市美浜区打瀬1丁目1番1号")), 400, "occurred-before-birth");
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba,
            new ResidentEventRequest("address-change", OccurredOn: Day(95), ResidentId: id, Address: "千葉県千葉市美浜区打瀬1丁目1番1号")), 409, "occurred-before-latest-event");
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("address-change", OccurredOn: Day(50), ResidentId: id, Address: "千葉県千葉市美浜区打瀬1丁目1番1号"));
        var early = await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", OccurredOn: Day(60), ResidentId: id, Destination: RegistryHost.Kashiwa));
        Assert.Contains(Day(50), (await ProblemAssert.IsProblemAsync(early, 409, "occurred-before-latest-event")).GetProperty("detail").GetString());
        // The same day as the latest event is in order.
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", OccurredOn: Day(50), ResidentId: id, Destination: RegistryHost.Kashiwa));
        // A newcomer cannot move in before being born.
        var unborn = await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("move-in", From: "abroad", OccurredOn: Day(10),
            Person: RegistryHost.Person(dateOfBirth: Day(5)), Address: "千葉県千葉市中央区中央2丁目1番1号"));
        Assert.True((await ProblemAssert.IsProblemAsync(unborn, 400, "invalid-event")).GetProperty("errors").TryGetProperty("person.dateOfBirth", out _));

        await using var c = await registry.Database.OpenAsync();
        Assert.Equal([ResidentEventKind.Birth, ResidentEventKind.AddressChange, ResidentEventKind.MoveOut],
            (await ResidentStore.EventsOfAsync(c, id)).Select(e => e.Kind));
        Assert.Equal(3L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events"));
    }

    [Theory, StorageData]
    public async Task A_re_issue_recorded_today_does_not_stop_an_earlier_death_from_being_recorded_on_its_day(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var today = JapanTime.Today(TimeProvider.System);
        string Day(int daysAgo) => RegisterText.ToText(today.AddDays(-daysAgo));
        var born = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth", OccurredOn: Day(90),
            Person: RegistryHost.Person(dateOfBirth: Day(90)), Address: "千葉県千葉市中央区中央1丁目1番1号"));
        var reissue = await registry.Client("chiba-clerk").PostAsJsonAsync(
            $"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}/number-reissue", new ReissueRequest("番号が漏えいした", "person"));
        Assert.True(reissue.IsSuccessStatusCode);
        // The death happened last week and is reported now: the re-issue (an administrative act dated today) is no event of the person's life.
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("death", OccurredOn: Day(7), ResidentId: born.ResidentId));
        // The events of the person's life still keep their order.
        var other = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth", OccurredOn: Day(20),
            Person: RegistryHost.Person(given: "花子", dateOfBirth: Day(20), sex: "female"), Address: "千葉県千葉市中央区中央1丁目1番1号"));
        await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba,
            new ResidentEventRequest("death", OccurredOn: Day(21), ResidentId: other.ResidentId)), 400, "occurred-before-birth");
        // Another municipality learns nothing of the dead person: the answer is the one for a person it does not have.
        var elsewhere = await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa,
            new ResidentEventRequest("address-change", ResidentId: born.ResidentId, Address: "千葉県柏市柏1丁目1番1号")), 404, "unknown-resident");
        Assert.DoesNotContain("死亡", elsewhere.GetRawText());
    }

    [Theory, StorageData]
    public async Task A_resident_named_both_by_id_and_by_number_is_refused_whoever_they_name(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var parent = await registry.RegisterBirthAsync(person: RegistryHost.Person("田中", "一郎", "タナカ", "イチロウ", "1980-05-05"));
        var child = await registry.RegisterBirthAsync(person: RegistryHost.Person("田中", "次郎", "タナカ", "ジロウ", "2010-05-05"));
        foreach (var r in new[] { parent, child })
            await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: r.ResidentId, Destination: RegistryHost.Kashiwa));
        var before = await CountEventsAsync(registry);

        // The ids swapped: the parent's number used to be ignored, and the child moved in as the parent.
        foreach (var (id, number) in new[] { (child.ResidentId, parent.IndividualNumber), (parent.ResidentId, parent.IndividualNumber) })
        {
            var errors = (await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Kashiwa, new ResidentEventRequest("move-in",
                ResidentId: id, IndividualNumber: number, Address: "千葉県柏市柏1丁目1番1号")), 400, "invalid-event")).GetProperty("errors");
            Assert.Equal(["individualNumber"], errors.EnumerateObject().Select(p => p.Name));
            Assert.Contains("どちらか一方", errors.GetProperty("individualNumber")[0].GetString());
        }
        // A death takes no number beside the id at all: it used to bury whoever residentId named.
        var death = (await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("death",
            ResidentId: child.ResidentId, IndividualNumber: parent.IndividualNumber)), 400, "invalid-event")).GetProperty("errors");
        Assert.Equal(["individualNumber"], death.EnumerateObject().Select(p => p.Name));
        Assert.Equal(before, await CountEventsAsync(registry));
    }

    [Theory, StorageData]
    public async Task Fields_a_kind_does_not_take_are_refused_by_name_not_dropped_or_looked_up(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var id = born.ResidentId;
        var before = await CountEventsAsync(registry);
        var refused = new (ResidentEventRequest Request, string[] Fields)[]
        {
            // Each used to be looked up (404 unknown-household, 409 household-address-mismatch) or kept in the death's facts.
            (new("death", ResidentId: id, HouseholdId: "h_unknown"), ["householdId"]),
            (new("death", ResidentId: id, HouseholdId: born.HouseholdId, Address: "x", Relationship: "世帯主"), ["address", "householdId", "relationship"]),
            (new("name-change", ResidentId: id, FamilyName: "高橋", FamilyNameKana: "タカハシ", Address: "千葉県千葉市中央区中央9丁目9番9号"), ["address"]),
            (new("move-out", ResidentId: id, Destination: RegistryHost.Kashiwa, HouseholdId: born.HouseholdId), ["householdId"]),
            (new("address-change", ResidentId: id, Address: "千葉県千葉市中央区中央9丁目9番9号", FamilyName: "高橋", Destination: RegistryHost.Kashiwa), ["destination", "familyName"]),
            (new("birth", Person: RegistryHost.Person(), Address: "千葉県千葉市中央区中央1丁目1番1号", From: "abroad"), ["from"]),
        };
        foreach (var (request, fields) in refused)
        {
            var errors = (await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, request), 400, "invalid-event")).GetProperty("errors");
            Assert.Equal(fields, errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            Assert.All(fields, f => Assert.Contains("指定できません", errors.GetProperty(f)[0].GetString()));
        }
        Assert.Equal(before, await CountEventsAsync(registry));
        Assert.Equal(ResidentStatus.Resident, (await registry.Client("chiba-clerk").GetFromJsonAsync<ResidentView>(
            $"api/municipalities/{RegistryHost.Chiba}/residents/{id}", ServiceDefaults.Json))!.Resident.Status);
    }

    [Theory, StorageData]
    public async Task A_blank_household_or_resident_id_is_one_not_given_never_looked_up(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var other = await registry.RegisterBirthAsync(person: RegistryHost.Person("伊藤", "結衣", "イトウ", "ユイ", "2026-01-20", "female"));
        var clerk = registry.Client("chiba-clerk");
        async Task<ResidentView> ViewAsync(string id) =>
            (await clerk.GetFromJsonAsync<ResidentView>($"api/municipalities/{RegistryHost.Chiba}/residents/{id}", ServiceDefaults.Json))!;

        // Blank, as a form sends a field left empty: no id, as a blank address is no address. They were looked up (404 unknown-household, unknown-resident).
        foreach (var (request, field) in new (ResidentEventRequest, string)[]
        {
            (new("death", ResidentId: "", HouseholdId: ""), "residentId"),
            (new("address-change", ResidentId: " ", Address: "千葉県千葉市中央区中央9丁目9番9号"), "residentId"),
            (new("address-change", ResidentId: born.ResidentId, HouseholdId: ""), "address"),
            (new("head-change", ResidentId: born.ResidentId, HouseholdId: " "), "householdId"),
        })
        {
            var errors = (await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, request), 400, "invalid-event")).GetProperty("errors");
            Assert.Equal([field], errors.EnumerateObject().Select(p => p.Name));
        }

        // Given what else it needs, the event is recorded as if the blank field were left out: a new household at the address, a death.
        var moved = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("address-change", ResidentId: born.ResidentId,
            Address: "千葉県千葉市中央区中央9丁目9番9号", HouseholdId: "", Relationship: ""));
        Assert.NotEqual(born.HouseholdId, moved.HouseholdId);
        var view = await ViewAsync(born.ResidentId);
        Assert.Equal((moved.HouseholdId, "千葉県千葉市中央区中央9丁目9番9号", "世帯主"), (view.HouseholdId, view.Resident.Address, view.Relationship));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("death", ResidentId: other.ResidentId, HouseholdId: ""));
        Assert.Equal(ResidentStatus.Deceased, (await ViewAsync(other.ResidentId)).Resident.Status);
    }

    private static async Task<long> CountEventsAsync(RegistryHost registry)
    {
        await using var c = await registry.Database.OpenAsync();
        return await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events");
    }

    private static async Task AssertNothingWrittenAsync(RegistryHost registry)
    {
        await using var c = await registry.Database.OpenAsync();
        foreach (var table in new[] { "resident_events", "residents", "households", "individual_numbers", "resident_record_codes" })
            Assert.Equal(0L, await c.ScalarAsync<long>($"SELECT COUNT(*) FROM {table}"));
    }
}
