using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Corporations;

/// <summary>The public search in the NTA Web-API v4 shape, over HTTP, on both storages.</summary>
public sealed class CorporateNumberSearchTests
{
    private const string Nta = "7000012050002";

    internal static DateOnly TodayInJapan() => JapanTime.Today(TimeProvider.System);

    /// <summary>The days in Japan from <paramref name="from"/>, read before a request, to now: a JST midnight can fall between.</summary>
    internal static string[] DaysFrom(DateOnly from) => [from.ToString("yyyy-MM-dd"), TodayInJapan().ToString("yyyy-MM-dd")];

    /// <summary>A window around today that holds only what a test registered (the seed is older).</summary>
    internal static string AroundToday() => $"from={TodayInJapan().AddDays(-1):yyyy-MM-dd}&to={TodayInJapan().AddDays(1):yyyy-MM-dd}";

    internal static async Task<string> RegisterAsync(HttpClient admin, object request)
    {
        using var response = await admin.PostAsJsonAsync("/api/corporations", request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("latest").GetProperty("corporateNumber").GetString()!;
    }

    internal static async Task ChangeAsync(HttpClient admin, string number, object change)
    {
        using var response = await admin.PostAsJsonAsync($"/api/corporations/{number}/changes", change);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    internal static object Company(string name, string furigana, string city = "131059", string kind = "301", string? enName = null) => new
    {
        name, furigana, kind, enName,
        address = new { localGovernmentCode = city, streetNumber = "春日１丁目１６番２１号", postCode = "112-0003" },
    };

    [Theory, StorageData]
    public async Task The_National_Tax_Agency_reads_the_same_in_every_format(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var client = host.Client();
        var expected = new Dictionary<string, string>
        {
            ["sequenceNumber"] = "1", ["corporateNumber"] = Nta, ["process"] = "01", ["correct"] = "1", ["updateDate"] = "2018-04-02",
            ["changeDate"] = "2015-10-05", ["name"] = "国税庁", ["nameImageId"] = "", ["kind"] = "101", ["prefectureName"] = "東京都",
            ["cityName"] = "千代田区", ["streetNumber"] = "霞が関３丁目１－１", ["addressImageId"] = "", ["prefectureCode"] = "13",
            ["cityCode"] = "101", ["postCode"] = "1000013", ["addressOutside"] = "", ["addressOutsideImageId"] = "", ["closeDate"] = "",
            ["closeCause"] = "", ["successorCorporateNumber"] = "", ["changeCause"] = "", ["assignmentDate"] = "2015-10-05", ["latest"] = "1",
            ["enName"] = "National Tax Agency", ["enPrefectureName"] = "", ["enCityName"] = "", ["enAddressOutside"] = "",
            ["furigana"] = "コクゼイチョウ", ["hihyoji"] = "0",
        };
        foreach (var type in new[] { "01", "02", "12", "22" })
        {
            var answer = await Publication.GetAsync(client, $"/4/num?id=sandbox&number={Nta}&type={type}");
            Assert.Equal(1, answer.Count);
            Assert.Equal((1, 1), (answer.DivideNumber, answer.DivideSize));
            Assert.Equal(expected, Assert.Single(answer.Records));
            Assert.True(string.CompareOrdinal(answer.LastUpdateDate, "2018-04-02") >= 0);
        }

        var xml = Encoding.UTF8.GetString(await client.GetByteArrayAsync($"/4/num?id=sandbox&number={Nta}&type=12"));
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?><corporations><lastUpdateDate>", xml);
        Assert.Contains("<count>1</count><divideNumber>1</divideNumber><divideSize>1</divideSize><corporation><sequenceNumber>1</sequenceNumber>", xml);

        // The Shift_JIS answer is really Shift_JIS: 国税庁 is 8D 91 90 C5 92 A1 there.
        var bytes = await client.GetByteArrayAsync($"/4/num?id=sandbox&number={Nta}&type=01");
        Assert.Contains("\"国税庁\"", Publication.ShiftJis.GetString(bytes));
        Assert.True(bytes.AsSpan().IndexOf(new byte[] { 0x8D, 0x91, 0x90, 0xC5, 0x92, 0xA1 }) > 0);
        Assert.Equal(-1, Encoding.UTF8.GetString(bytes).IndexOf("国税庁", StringComparison.Ordinal));
    }

    [Theory, StorageData]
    public async Task Num_takes_up_to_ten_numbers_in_the_order_asked_and_refuses_the_eleventh(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        var numbers = new List<string>();
        for (var i = 0; i < 10; i++) numbers.Add(await RegisterAsync(admin, Company($"株式会社番号試験{i}", "バンゴウシケン")));
        numbers.Reverse();
        var client = host.Client();

        var answer = await Publication.GetAsync(client, $"/4/num?id=sandbox&type=12&number={string.Join(",", numbers)}");
        Assert.Equal(10, answer.Count);
        Assert.Equal(numbers, answer.Records.Select(r => r["corporateNumber"]));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i.ToString()), answer.Records.Select(r => r["sequenceNumber"]));

        var eleven = string.Join(",", numbers.Append(Nta));
        var (status, code, message) = await Publication.RefusalAsync(client, $"/4/num?id=sandbox&type=02&number={eleven}");
        Assert.Equal((HttpStatusCode.BadRequest, "043"), (status, code));
        Assert.Contains("11", message);

        // An unknown but valid number is simply not there.
        var unknown = CorporateNumber.FromBase(123456789012).Digits;
        var none = await Publication.GetAsync(client, $"/4/num?id=sandbox&type=02&number={unknown}");
        Assert.Equal(0, none.Count);
        Assert.Empty(none.Records);
    }

    [Theory, StorageData]
    public async Task An_invalid_check_digit_is_refused_with_the_reason_in_each_error_format(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var client = host.Client();

        var (status, code, message) = await Publication.RefusalAsync(client, "/4/num?id=sandbox&type=12&number=8000012050002");
        Assert.Equal((HttpStatusCode.BadRequest, "042"), (status, code));
        Assert.Contains("期待値 7", message);
        Assert.Contains("expected 7, found 8", message);

        // The Shift_JIS type answers its error in Shift_JIS too.
        (status, code, message) = await Publication.RefusalAsync(client, $"/4/num?id=sandbox&type=01&number={Nta},12345");
        Assert.Equal((HttpStatusCode.BadRequest, "041"), (status, code));
        Assert.Contains("2件目", message);

        using var json = await client.GetAsync("/4/num?id=sandbox&type=22&number=8000012050002");
        var (jsonStatus, problem) = await Publication.ProblemAsync(json);
        Assert.Equal(HttpStatusCode.BadRequest, jsonStatus);
        Assert.Equal("urn:renkei:problem:invalid-search", problem.GetProperty("type").GetString());
        Assert.Contains("expected 7", problem.GetProperty("errors").GetProperty("number")[0].GetString());

        (status, code, _) = await Publication.RefusalAsync(client, "/4/num?id=sandbox&type=02");
        Assert.Equal((HttpStatusCode.BadRequest, "040"), (status, code));
        (status, code, _) = await Publication.RefusalAsync(client, $"/4/num?id=sandbox&number={Nta}");
        Assert.Equal((HttpStatusCode.BadRequest, "070"), (status, code));
        (status, code, _) = await Publication.RefusalAsync(client, $"/4/num?id=sandbox&type=03&number={Nta}");
        Assert.Equal((HttpStatusCode.BadRequest, "071"), (status, code));
        (status, code, _) = await Publication.RefusalAsync(client, $"/4/num?id=sandbox&type=02&number={Nta}&history=2");
        Assert.Equal((HttpStatusCode.BadRequest, "050"), (status, code));
    }

    [Theory, StorageData]
    public async Task An_error_body_stays_one_line_and_repeats_no_value_raw(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var client = host.Client();

        async Task<(HttpStatusCode Status, string Body)> RawAsync(string path)
        {
            using var response = await client.GetAsync(path);
            return (response.StatusCode, Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()));
        }
        void OneLine(string body, string code)
        {
            Assert.StartsWith(code + ",", body);
            Assert.EndsWith("\r\n", body);
            Assert.Equal(body.Length - 2, body.IndexOfAny(['\r', '\n']));
            Assert.DoesNotContain('\0', body);
        }

        // A control character is refused (002) before any value is read, in whatever parameter, and the value is not repeated.
        foreach (var path in new[]
        {
            $"/4/num?id=sandbox&type=0%0D%0AX-Injected:%201&number={Nta}", "/4/num?id=sandbox&type=12%00&number=" + Nta,
            $"/4/num?id=sandbox%0D%0AX-Injected:%201&type=02&number={Nta}", "/4/diff?id=sandbox&type=02&from=2018-04-01%0AX&to=2018-04-02",
            $"/4/num?id=sandbox&type=02&number={Nta}&x%0Dy=1", $"/4/num?id=sandbox&type=02&number={Nta}&unknown=%1B[2J",
        })
        {
            var (status, body) = await RawAsync(path);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            OneLine(body, "002");
            Assert.DoesNotContain("X-Injected", body);
            Assert.DoesNotContain('\u001b', body);
        }
        // The JSON type names the parameter too.
        using (var json = await client.GetAsync($"/4/num?id=sandbox&type=22&number={Nta}%0A"))
        {
            var (status, problem) = await Publication.ProblemAsync(json);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.StartsWith("002:", problem.GetProperty("errors").GetProperty("number")[0].GetString());
        }

        // A value without control characters is repeated escaped (a line or paragraph separator, a bidi override) and cut short.
        var (longStatus, longBody) = await RawAsync("/4/num?id=sandbox&number=" + Nta + "&type=" + new string('A', 5000));
        Assert.Equal(HttpStatusCode.BadRequest, longStatus);
        OneLine(longBody, "071");
        Assert.True(longBody.Length < 200, longBody);
        Assert.Contains("…", longBody);
        var (_, separator) = await RawAsync($"/4/num?id=sandbox&number={Nta}&type=1%E2%80%A8X%E2%80%AEY");
        OneLine(separator, "071");
        Assert.Contains("1\\u2028X\\u202EY", separator);
        var (_, number) = await RawAsync($"/4/num?id=sandbox&type=02&number={Nta},{new string('9', 3000)}");
        OneLine(number, "041");
        Assert.True(number.Length < 400, number);
    }

    [Theory, StorageData]
    public async Task A_name_with_an_invisible_character_is_refused_saying_so(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var client = host.Client();
        // A zero-width space is no control character: the message names what it is, as the register's own refusal does.
        foreach (var invisible in new[] { "%E2%80%8B", "%E2%80%AE", "%EF%BB%BF" })
        {
            var (status, code, message) = await Publication.RefusalAsync(client, $"/4/name?id=sandbox&type=02&name=%E8%A6%8B{invisible}%E6%96%87");
            Assert.Equal((HttpStatusCode.BadRequest, "101"), (status, code));
            Assert.Contains("ゼロ幅スペース", message);
            Assert.Contains("invisible format characters", message);
        }
    }

    [Theory, StorageData]
    public async Task Application_ids_from_configuration_are_required_and_unknown_ones_refused(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider, new Dictionary<string, string?>
        {
            ["Corporations:ApplicationIds:0"] = "KtestApp00001",
            ["Corporations:ApplicationIds:1"] = "KtestApp00002",
        });
        var client = host.Client();

        var ok = await Publication.GetAsync(client, $"/4/num?id=KtestApp00002&type=02&number={Nta}");
        Assert.Equal(1, ok.Count);

        var (status, code, _) = await Publication.RefusalAsync(client, $"/4/num?id=sandbox&type=02&number={Nta}");
        Assert.Equal((HttpStatusCode.NotFound, "011"), (status, code));
        (status, code, _) = await Publication.RefusalAsync(client, $"/4/num?type=02&number={Nta}");
        Assert.Equal((HttpStatusCode.BadRequest, "010"), (status, code));
        (status, code, _) = await Publication.RefusalAsync(client, $"/4/name?id=&type=12&name=国税");
        Assert.Equal((HttpStatusCode.BadRequest, "010"), (status, code));

        using var json = await client.GetAsync($"/4/diff?id=nobody&type=22&from=2018-04-01&to=2018-04-30");
        var (jsonStatus, problem) = await Publication.ProblemAsync(json);
        Assert.Equal(HttpStatusCode.NotFound, jsonStatus);
        Assert.Equal("urn:renkei:problem:unknown-application-id", problem.GetProperty("type").GetString());
    }

    [Theory, StorageData]
    public async Task History_returns_every_record_oldest_first_and_only_the_newest_is_latest(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        var number = await RegisterAsync(admin, Company("株式会社旧商号", "キュウショウゴウ"));
        await ChangeAsync(admin, number, new { process = "11", name = "株式会社新商号", furigana = "シンショウゴウ" });
        await ChangeAsync(admin, number, new
        {
            process = "12", address = new { localGovernmentCode = "12217", streetNumber = "柏の葉５丁目１番", postCode = "2770882" },
        });
        var client = host.Client();

        var latest = Assert.Single((await Publication.GetAsync(client, $"/4/num?id=sandbox&type=02&number={number}")).Records);
        Assert.Equal(("12", "株式会社新商号", "千葉県", "柏市", "12", "217", "1"),
            (latest["process"], latest["name"], latest["prefectureName"], latest["cityName"], latest["prefectureCode"], latest["cityCode"], latest["latest"]));

        var history = await Publication.GetAsync(client, $"/4/num?id=sandbox&type=12&number={number}&history=1");
        Assert.Equal(3, history.Count);
        Assert.Equal(["01", "11", "12"], history.Records.Select(r => r["process"]));
        Assert.Equal(["0", "0", "1"], history.Records.Select(r => r["latest"]));
        Assert.Equal(["株式会社旧商号", "株式会社新商号", "株式会社新商号"], history.Records.Select(r => r["name"]));
        Assert.Equal(["文京区", "文京区", "柏市"], history.Records.Select(r => r["cityName"]));
    }

    [Theory, StorageData]
    public async Task Diff_takes_at_most_fifty_days(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var client = host.Client();

        var fifty = await Publication.GetAsync(client, "/4/diff?id=sandbox&type=12&from=2018-03-01&to=2018-04-19");
        Assert.Contains(fifty.Records, r => r["corporateNumber"] == Nta);
        Assert.All(fifty.Records, r => Assert.InRange(string.CompareOrdinal(r["updateDate"], "2018-03-01"), 0, int.MaxValue));

        var (status, code, message) = await Publication.RefusalAsync(client, "/4/diff?id=sandbox&type=02&from=2018-03-01&to=2018-04-20");
        Assert.Equal((HttpStatusCode.BadRequest, "064"), (status, code));
        Assert.Contains("51", message);
        (status, code, _) = await Publication.RefusalAsync(client, "/4/diff?id=sandbox&type=02&from=2018-04-20&to=2018-04-01");
        Assert.Equal((HttpStatusCode.BadRequest, "063"), (status, code));
        (status, code, _) = await Publication.RefusalAsync(client, "/4/diff?id=sandbox&type=02&from=2018-04-01");
        Assert.Equal((HttpStatusCode.BadRequest, "061"), (status, code));
        (status, code, _) = await Publication.RefusalAsync(client, "/4/diff?id=sandbox&type=02&from=2018-4-1&to=2018-04-02");
        Assert.Equal((HttpStatusCode.BadRequest, "062"), (status, code));
        (status, code, _) = await Publication.RefusalAsync(client, "/4/diff?id=sandbox&type=02&from=2018-04-01&to=2018-04-02&address=131");
        Assert.Equal((HttpStatusCode.BadRequest, "080"), (status, code));
        (status, code, _) = await Publication.RefusalAsync(client, "/4/diff?id=sandbox&type=02&from=2018-04-01&to=2018-04-02&kind=01,05");
        Assert.Equal((HttpStatusCode.BadRequest, "090"), (status, code));
    }

    [Theory, StorageData]
    public async Task Diff_pages_by_two_thousand_with_sequence_numbers_running_on(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        var batch = Enumerable.Range(0, 2105).Select(i => Company($"頁送試験{i:D4}合同会社", "ページオクリシケン", i % 2 == 0 ? "131059" : "121002", "305")).ToList();
        using (var response = await admin.PostAsJsonAsync("/api/corporations/batch", new { corporations = batch }))
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var client = host.Client();
        var window = AroundToday();

        var first = await Publication.GetAsync(client, $"/4/diff?id=sandbox&type=02&{window}");
        Assert.Equal((2105L, 1, 2), (first.Count, first.DivideNumber, first.DivideSize));
        Assert.Equal(2000, first.Records.Count);
        Assert.Equal("1", first.Records[0]["sequenceNumber"]);
        var second = await Publication.GetAsync(client, $"/4/diff?id=sandbox&type=12&{window}&divide=2");
        Assert.Equal((2105L, 2, 2), (second.Count, second.DivideNumber, second.DivideSize));
        Assert.Equal(105, second.Records.Count);
        Assert.Equal("2001", second.Records[0]["sequenceNumber"]);
        Assert.Equal(2105, first.Records.Concat(second.Records).Select(r => r["corporateNumber"]).Distinct().Count());

        var (status, code, _) = await Publication.RefusalAsync(client, $"/4/diff?id=sandbox&type=02&{window}&divide=3");
        Assert.Equal((HttpStatusCode.BadRequest, "121"), (status, code));
        (status, code, _) = await Publication.RefusalAsync(client, $"/4/diff?id=sandbox&type=02&{window}&divide=0");
        Assert.Equal((HttpStatusCode.BadRequest, "120"), (status, code));

        // Filters narrow the count and the pages with it.
        var chiba = await Publication.GetAsync(client, $"/4/diff?id=sandbox&type=22&{window}&address=12");
        Assert.Equal((1052L, 1), (chiba.Count, chiba.DivideSize));
        Assert.All(chiba.Records, r => Assert.Equal("千葉県", r["prefectureName"]));
        var city = await Publication.GetAsync(client, $"/4/diff?id=sandbox&type=22&{window}&address=13105&kind=03");
        Assert.Equal(1053L, city.Count);
        var national = await Publication.GetAsync(client, $"/4/diff?id=sandbox&type=22&{window}&kind=01,02");
        Assert.Equal(0L, national.Count);
    }

    [Theory, StorageData]
    public async Task Name_search_by_prefix_partial_fuzzy_exact_and_english(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        var kasumi = await RegisterAsync(admin, Company("株式会社かすみ草ＡＢＣ", "カスミソウエービーシー", enName: "Kasumiso ABC Co., Ltd."));
        var tokyo = await RegisterAsync(admin, Company("霞ヶ浦物流合同会社", "カスミガウラブツリュウ", "121002", "305"));
        var client = host.Client();
        string[] Numbers(Publication p) => p.Records.Select(r => r["corporateNumber"]).ToArray();

        // target 1 folds hiragana to katakana and full-width to half-width, and reads the furigana too.
        var fuzzy = await Publication.GetAsync(client, "/4/name?id=sandbox&type=12&name=" + Uri.EscapeDataString("かすみ"));
        Assert.Equal(new[] { kasumi, tokyo }.Order(), Numbers(fuzzy).Order());
        var partial = await Publication.GetAsync(client, "/4/name?id=sandbox&type=12&mode=2&name=" + Uri.EscapeDataString("abc"));
        Assert.Equal([kasumi], Numbers(partial));
        var prefix = await Publication.GetAsync(client, "/4/name?id=sandbox&type=12&mode=1&name=" + Uri.EscapeDataString("abc"));
        Assert.Empty(prefix.Records);

        // target 2 matches the name as written.
        var exact = await Publication.GetAsync(client, "/4/name?id=sandbox&type=02&target=2&mode=2&name=" + Uri.EscapeDataString("かすみ草ＡＢＣ"));
        Assert.Equal([kasumi], Numbers(exact));
        var notExact = await Publication.GetAsync(client, "/4/name?id=sandbox&type=02&target=2&mode=2&name=" + Uri.EscapeDataString("カスミ草"));
        Assert.Empty(notExact.Records);

        // target 3 searches the English name.
        var english = await Publication.GetAsync(client, "/4/name?id=sandbox&type=22&target=3&name=kasumiso");
        Assert.Equal([kasumi], Numbers(english));

        // Place and kind filters.
        var inChiba = await Publication.GetAsync(client, "/4/name?id=sandbox&type=22&address=12100&name=" + Uri.EscapeDataString("カスミ"));
        Assert.Equal([tokyo], Numbers(inChiba));
        var companies = await Publication.GetAsync(client, "/4/name?id=sandbox&type=22&kind=01&name=" + Uri.EscapeDataString("国税"));
        Assert.Equal([Nta], Numbers(companies));
        var none = await Publication.GetAsync(client, "/4/name?id=sandbox&type=22&kind=03&name=" + Uri.EscapeDataString("国税"));
        Assert.Empty(none.Records);

        var (status, code, _) = await Publication.RefusalAsync(client, "/4/name?id=sandbox&type=02");
        Assert.Equal((HttpStatusCode.BadRequest, "100"), (status, code));
        (status, code, _) = await Publication.RefusalAsync(client, "/4/name?id=sandbox&type=02&name=a&mode=3");
        Assert.Equal((HttpStatusCode.BadRequest, "102"), (status, code));
        (status, code, _) = await Publication.RefusalAsync(client, "/4/name?id=sandbox&type=02&name=a&target=4");
        Assert.Equal((HttpStatusCode.BadRequest, "103"), (status, code));
        (status, code, _) = await Publication.RefusalAsync(client, "/4/name?id=sandbox&type=02&name=" + new string('a', 151));
        Assert.Equal((HttpStatusCode.BadRequest, "101"), (status, code));
    }

    [Theory, StorageData]
    public async Task Name_search_leaves_out_hihyoji_and_on_request_closed_corporations_and_finds_former_names(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        var hidden = await RegisterAsync(admin, new
        {
            name = "非表示試験株式会社", furigana = "ヒヒョウジシケン", kind = "301", hihyoji = true,
            address = new { localGovernmentCode = "131059", streetNumber = "本郷１丁目" },
        });
        var closed = await RegisterAsync(admin, Company("閉鎖試験株式会社", "ヘイサシケン"));
        var closedFrom = TodayInJapan();
        await ChangeAsync(admin, closed, new { process = "21", closeCause = "01" });
        var renamed = await RegisterAsync(admin, Company("改称前試験株式会社", "カイショウマエシケン"));
        await ChangeAsync(admin, renamed, new { process = "11", name = "改称後株式会社", furigana = "カイショウゴ" });
        var client = host.Client();

        Assert.Empty((await Publication.GetAsync(client, "/4/name?id=sandbox&type=02&name=" + Uri.EscapeDataString("非表示"))).Records);
        // … but the number still answers, marked hihyoji.
        var byNumber = Assert.Single((await Publication.GetAsync(client, $"/4/num?id=sandbox&type=02&number={hidden}")).Records);
        Assert.Equal("1", byNumber["hihyoji"]);
        // The seed has one such record too, and it is not found by its name either.
        var seeded = await Publication.GetAsync(client, "/4/diff?id=sandbox&type=02&from=2015-10-05&to=2015-11-23");
        Assert.Contains(seeded.Records, r => r["hihyoji"] == "1");
        foreach (var r in seeded.Records.Where(r => r["hihyoji"] == "1"))
            Assert.DoesNotContain((await Publication.GetAsync(client, "/4/name?id=sandbox&type=02&target=2&name=" + Uri.EscapeDataString(r["name"]))).Records,
                x => x["corporateNumber"] == r["corporateNumber"]);

        var withClosed = await Publication.GetAsync(client, "/4/name?id=sandbox&type=12&name=" + Uri.EscapeDataString("閉鎖試験"));
        var record = Assert.Single(withClosed.Records);
        Assert.Equal(("21", "01"), (record["process"], record["closeCause"]));
        Assert.Contains(record["closeDate"], DaysFrom(closedFrom));
        Assert.Empty((await Publication.GetAsync(client, "/4/name?id=sandbox&type=12&close=0&name=" + Uri.EscapeDataString("閉鎖試験"))).Records);

        Assert.Empty((await Publication.GetAsync(client, "/4/name?id=sandbox&type=12&name=" + Uri.EscapeDataString("改称前"))).Records);
        var former = Assert.Single((await Publication.GetAsync(client, "/4/name?id=sandbox&type=12&change=1&name=" + Uri.EscapeDataString("改称前"))).Records);
        Assert.Equal((renamed, "改称後株式会社"), (former["corporateNumber"], former["name"]));
    }

    [Theory, StorageData]
    public async Task Shift_JIS_answers_stand_in_for_characters_it_cannot_hold(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        var number = await RegisterAsync(admin, Company("株式会社𠮷野屋商店", "ヨシノヤショウテン"));
        var client = host.Client();

        var sjis = Assert.Single((await Publication.GetAsync(client, $"/4/num?id=sandbox&type=01&number={number}")).Records);
        Assert.Equal("株式会社〓野屋商店", sjis["name"]);
        var unicode = Assert.Single((await Publication.GetAsync(client, $"/4/num?id=sandbox&type=02&number={number}")).Records);
        Assert.Equal("株式会社𠮷野屋商店", unicode["name"]);
        var xml = Assert.Single((await Publication.GetAsync(client, $"/4/num?id=sandbox&type=12&number={number}")).Records);
        Assert.Equal("株式会社𠮷野屋商店", xml["name"]);
    }

    [Theory, StorageData]
    public async Task The_seed_is_there_once_with_closures_mergers_and_local_governments(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var client = host.Client();
        // Starting again over the same database adds nothing.
        var database = (Renkei.Hosting.Storage.Database)host.App.Services.GetService(typeof(Renkei.Hosting.Storage.Database))!;
        await RegistryApp.MigrateAsync(database);
        await RegistryApp.MigrateAsync(database);
        // Local governments are numbered 000020 + their code: Chiba City.
        var chibaCity = CorporateNumber.FromBase(20_121_002).Digits;
        var city = Assert.Single((await Publication.GetAsync(client, $"/4/num?id=sandbox&type=02&number={chibaCity}")).Records);
        Assert.Equal(("千葉市", "201", "12", "100"), (city["name"], city["kind"], city["prefectureCode"], city["cityCode"]));

        var all = new List<Dictionary<string, string>>();
        var day = new DateOnly(2015, 10, 5);
        while (day <= new DateOnly(2025, 12, 31))
        {
            var to = day.AddDays(49);
            all.AddRange((await Publication.GetAsync(client, $"/4/diff?id=sandbox&type=02&from={day:yyyy-MM-dd}&to={to:yyyy-MM-dd}")).Records);
            day = to.AddDays(1);
        }
        var latest = all.Where(r => r["latest"] == "1").ToList();
        Assert.InRange(latest.Count, 200, 210);
        Assert.Equal(latest.Count, latest.Select(r => r["corporateNumber"]).Distinct().Count());
        Assert.Contains(latest, r => r["process"] == "21" && r["closeCause"] == "01");
        Assert.Contains(latest, r => r["process"] == "71" && r["closeCause"] == "11" && r["successorCorporateNumber"].Length == 13);
        Assert.Contains(all, r => r["process"] == "11");
        Assert.Contains(all, r => r["process"] == "12");
        Assert.Single(latest, r => r["hihyoji"] == "1");
        Assert.All(latest, r => Assert.True(CorporateNumber.TryParse(r["corporateNumber"], out _, out _)));
    }
}
