using System.Net.Http.Json;
using Renkei.Hosting.Storage;
using Renkei.Registry.Municipalities;
using Renkei.Registry.Residents;
using Renkei.Registry.Seeding;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Residents;

/// <summary>
/// An Individual Number typed into a name or an address would go into the person's signing certificate, which cannot be
/// recalled: no name or address holds 11 digits in a row, whatever their script.
/// </summary>
public class NumberInTextTests
{
    private const string Street = "千葉県千葉市中央区中央1丁目1番1号";

    [Theory, StorageData]
    public async Task A_number_in_a_name_address_or_relationship_is_refused_naming_the_field_and_nothing_is_written(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var other = await registry.RegisterBirthAsync();
        var born = await registry.RegisterBirthAsync(person: RegistryHost.Person("佐藤", "花子", "サトウ", "ハナコ", "2026-01-15", "female"));
        var live = other.IndividualNumber!; // another resident's live number, as the audit typed it
        var refused = new (ResidentEventRequest Request, string[] Fields)[]
        {
            (new("address-change", ResidentId: born.ResidentId, Address: "千葉県千葉市 " + live), ["address"]),
            (new("birth", Person: RegistryHost.Person("ＡＢＣ", "１２３４５６７８９０１２", dateOfBirth: "2026-01-15"), Address: Street), ["person.givenName"]),
            (new("move-in", From: "abroad", Person: RegistryHost.Person("Smith \u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661", "Anna",
                "スミス", "アンナ", "1985-06-07", "female"), Address: Street), ["person.familyName"]),
            (new("name-change", ResidentId: born.ResidentId, FamilyName: "鈴木12345678901", FamilyNameKana: "スズキ"), ["familyName"]),
            // In a name grouped too, as no name holds digit groups (an address's postal code and room numbers are why addresses count runs only).
            (new("name-change", ResidentId: born.ResidentId, GivenName: live[..4] + "-" + live[4..8] + "-" + live[8..], GivenNameKana: "ハナコ"), ["givenName"]),
            (new("name-change", ResidentId: born.ResidentId, GivenName: "花子 " + live[..4] + " " + live[4..8] + " " + live[8..], GivenNameKana: "ハナコ"), ["givenName"]),
            (new("address-change", ResidentId: born.ResidentId, Address: "千葉県千葉市美浜区打瀬2丁目3番4号", Relationship: "子" + live), ["relationship"]),
            // Circled and parenthesised digits (⑴ is (1) once folded), two-digit circles folded into digits, a 13th digit, marks on the digits.
            (new("address-change", ResidentId: born.ResidentId, Address: "千葉市①②③④⑤⑥⑦⑧⑨⓪①"), ["address"]),
            (new("address-change", ResidentId: born.ResidentId, Address: "千葉市⑴⑵⑶⑷⑸⑹⑺⑻⑼⑴⑵"), ["address"]),
            (new("address-change", ResidentId: born.ResidentId, Address: "千葉市⑩⑪⑫⑬⑭⑮"), ["address"]),
            (new("address-change", ResidentId: born.ResidentId, Address: "千葉市" + live + "1"), ["address"]),
            (new("address-change", ResidentId: born.ResidentId, Address: "千葉市" + string.Join("\u0301", live.ToCharArray())), ["address"]),
        };
        foreach (var (request, fields) in refused)
        {
            var errors = (await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, request), 400, "invalid-event")).GetProperty("errors");
            Assert.Equal(fields, errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            foreach (var field in fields) Assert.Contains("11桁以上", errors.GetProperty(field)[0].GetString());
        }

        // A returning person's move-in by number is checked as well.
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: born.ResidentId, Destination: RegistryHost.Kashiwa));
        var moveIn = await registry.PostEventAsync(RegistryHost.Kashiwa, new ResidentEventRequest("move-in", IndividualNumber: born.IndividualNumber,
            Address: "千葉県柏市柏 " + live));
        Assert.Equal(["address"], (await ProblemAssert.IsProblemAsync(moveIn, 400, "invalid-event")).GetProperty("errors").EnumerateObject().Select(p => p.Name));

        await using var c = await registry.Database.OpenAsync();
        Assert.Equal(3L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events"));
        var digits = string.Concat(live.Where(char.IsAsciiDigit));
        Assert.Equal(0L, await c.ScalarAsync<long>(
            $"SELECT COUNT(*) FROM residents WHERE address LIKE '%{digits}%' OR given_name LIKE '%12345678901%' OR family_name LIKE '%12345678901%'"));
    }

    [Theory, StorageData]
    public async Task Addresses_with_block_building_and_room_numbers_and_names_with_kanji_numerals_are_kept(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync(person: RegistryHost.Person("九十九", "一二三", "ツクモ", "ヒフミ", "2026-01-15"));
        // Groups apart are no run, however many digits they add up to; ten digits in a row are one short of a number.
        var addresses = new[]
        {
            "〒261-0013 千葉県千葉市美浜区打瀬2-3-4-1203",
            "千葉県千葉市中央区中央2丁目3番4号 中央パークタワー12階1203号室",
            "千葉県千葉市中央区中央１－２－３　１２０３",
            "千葉県千葉市中央区中央1234567890番地",
        };
        foreach (var address in addresses)
            await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("address-change", ResidentId: born.ResidentId, Address: address));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("name-change", ResidentId: born.ResidentId, GivenName: "七五三", GivenNameKana: "シメ"));
    }

    [Fact]
    public void Every_address_and_name_the_seed_makes_passes()
    {
        // The seeder writes without asking the register: what it makes must be what a clerk may record, in every demo municipality.
        var today = new DateOnly(2026, 12, 7);
        var households = new SyntheticResidents(new SeedPlan(7, DemoMunicipalities.All.Count, 60_000)).Households().ToList();
        Assert.Equal(DemoMunicipalities.All.Count, households.Select(h => h.Municipality.Code).Distinct().Count());
        foreach (var address in households.Select(h => h.Address).Distinct())
        {
            var (valid, errors) = ResidentEventValidation.Validate(new ResidentEventRequest("address-change", ResidentId: "r_x", Address: address), today);
            Assert.True(valid is not null, $"{address}: {string.Join("; ", errors.SelectMany(e => e.Value))}");
        }
        foreach (var person in households.SelectMany(h => h.Members).Select(m => m.Person).DistinctBy(p => (p.FamilyName, p.GivenName)))
        {
            var (valid, errors) = ResidentEventValidation.Validate(new ResidentEventRequest("birth", Person: new PersonInput(person.FamilyName, person.GivenName,
                person.FamilyNameKana, person.GivenNameKana, "2000-01-01", "male"), Address: Street), today);
            Assert.True(valid is not null, $"{person.FamilyName} {person.GivenName}: {string.Join("; ", errors.SelectMany(e => e.Value))}");
        }
    }

    [Theory, StorageData]
    public async Task A_reissue_reason_holding_an_Individual_Number_is_refused_naming_reason_and_nothing_is_written(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var old = born.IndividualNumber!;
        var path = $"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}/number-reissue";
        var clerk = registry.Client("chiba-clerk");
        var kanji = string.Concat(old.Select(d => "〇一二三四五六七八九"[d - '0']));
        var wide = string.Concat(old.Select(d => (char)('０' + (d - '0'))));
        foreach (var reason in new[] { $"番号 {old} が漏えい", $"番号{old[..4]}-{old[4..8]}-{old[8..]}の漏えい", $"{kanji}が漏えい", $"{wide} 漏えい", $"番号{old[..11]}…の漏えい" })
        {
            var problem = await ProblemAssert.IsProblemAsync(await clerk.PostAsJsonAsync(path, new { reason, requestedBy = "person" }), 400, "invalid-request");
            var errors = problem.GetProperty("errors");
            Assert.Equal(["reason"], errors.EnumerateObject().Select(p => p.Name));
            Assert.Contains("個人番号と読める数字", errors.GetProperty("reason")[0].GetString());
            Assert.DoesNotContain(old, problem.ToString());
        }
        await using (var c = await registry.Database.OpenAsync())
        {
            Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM individual_numbers"));
            Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events WHERE kind = 'NumberReissued'"));
        }

        // A reason with a date, a time and a telephone number is a reason.
        const string told = "2026/12/07 10:00 に本人から漏えいの申出（電話 043-123-4567）";
        var reissued = await clerk.PostAsJsonAsync(path, new { reason = told, requestedBy = "person" });
        Assert.True(reissued.IsSuccessStatusCode, await reissued.Content.ReadAsStringAsync());
        await using var after = await registry.Database.OpenAsync();
        Assert.Equal("person: " + RegisterText.Normalize(told), await after.ScalarAsync<string>("SELECT reason FROM individual_numbers WHERE reason IS NOT NULL"));
    }
}
