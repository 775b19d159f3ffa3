using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Testing;
using static Renkei.Registry.Tests.Corporations.CorporateNumberSearchTests;

namespace Renkei.Registry.Tests.Corporations;

/// <summary>The register's administration API: validation, numbering, changes and permissions.</summary>
public sealed class CorporationAdminTests
{
    private static async Task<long> CountAsync(HttpClient client) =>
        (await Publication.GetAsync(client, $"/4/diff?id=sandbox&type=22&{AroundToday()}")).Count;

    [Theory, StorageData]
    public async Task Only_callers_holding_corporations_may_administer(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var request = Company("権限試験株式会社", "ケンゲンシケン");

        using (var anonymous = await host.Client().PostAsJsonAsync("/api/corporations", request))
            Assert.Equal("urn:renkei:problem:unauthenticated", (await Publication.ProblemAsync(anonymous)).Problem.GetProperty("type").GetString());
        using (var unknown = await host.Client("not-a-known-token").PostAsJsonAsync("/api/corporations", request))
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        using (var events = await host.Client("events").PostAsJsonAsync("/api/corporations", request))
        {
            var (status, problem) = await Publication.ProblemAsync(events);
            Assert.Equal((HttpStatusCode.Forbidden, "urn:renkei:problem:forbidden"), (status, problem.GetProperty("type").GetString()));
        }
        using (var read = await host.Client("identity").GetAsync($"/api/corporations/7000012050002"))
            Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
        using (var change = await host.Client("chiba").PostAsJsonAsync("/api/corporations/7000012050002/changes", new { process = "11", name = "x" }))
            Assert.Equal(HttpStatusCode.Forbidden, change.StatusCode);
        Assert.Equal(0, await CountAsync(host.Client()));

        await RegisterAsync(host.Client("corporations"), request);
        await RegisterAsync(host.Client("admin"), Company("権限試験二株式会社", "ケンゲンシケンニ"));
        Assert.Equal(2, await CountAsync(host.Client()));
    }

    [Theory, StorageData]
    public async Task A_registration_names_every_wrong_field_and_writes_nothing(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");

        using var response = await admin.PostAsJsonAsync("/api/corporations", new
        {
            name = " ", furigana = "かな", kind = "306", enName = "日本語", companyLegalNumber = "0100-01-12",
            assignmentDate = "2015-10-04", address = new { localGovernmentCode = "131058", streetNumber = "", postCode = "12" },
        });
        var (status, problem) = await Publication.ProblemAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("urn:renkei:problem:invalid-corporation", problem.GetProperty("type").GetString());
        var fields = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order().ToArray();
        Assert.Equal(["address.localGovernmentCode", "address.postCode", "address.streetNumber", "assignmentDate", "companyLegalNumber",
            "enName", "furigana", "kind", "name"], fields);
        Assert.Contains("検査用数字", problem.GetProperty("errors").GetProperty("address.localGovernmentCode")[0].GetString());

        using (var noAddress = await admin.PostAsJsonAsync("/api/corporations", new { name = "所在地無株式会社", kind = "301" }))
            Assert.Equal("address", (await Publication.ProblemAsync(noAddress)).Problem.GetProperty("errors").EnumerateObject().Single().Name);
        using (var control = await admin.PostAsJsonAsync("/api/corporations", new
        {
            name = "制御\u0001文字株式会社", kind = "301", address = new { localGovernmentCode = "131059", streetNumber = "本郷\u0007１丁目" },
        }))
        {
            var errors = (await Publication.ProblemAsync(control)).Problem.GetProperty("errors");
            Assert.Equal(["address.streetNumber", "name"], errors.EnumerateObject().Select(p => p.Name).Order());
        }
        // An invisible character (a zero-width space, a bidi override) would make a name that no search for it finds.
        using (var invisible = await admin.PostAsJsonAsync("/api/corporations", new
        {
            name = "見えない\u200b文字株式会社", furigana = "ミエナイ\u202eモジ", kind = "301", address = new { localGovernmentCode = "131059", streetNumber = "本郷１丁目" },
        }))
        {
            var errors = (await Publication.ProblemAsync(invisible)).Problem.GetProperty("errors");
            Assert.Equal(["furigana", "name"], errors.EnumerateObject().Select(p => p.Name).Order());
        }
        // A NUL is refused for every service where the body is read, before any field's own check (PostgreSQL's text cannot hold one).
        using (var nul = await admin.PostAsJsonAsync("/api/corporations", new
        {
            name = "制御\u0000文字株式会社", kind = "301", address = new { localGovernmentCode = "131059", streetNumber = "本郷１丁目" },
        }))
        {
            var (nulStatus, nulProblem) = await Publication.ProblemAsync(nul);
            Assert.Equal((HttpStatusCode.BadRequest, "urn:renkei:problem:malformed-request"), (nulStatus, nulProblem.GetProperty("type").GetString()));
            Assert.StartsWith("name:", nulProblem.GetProperty("detail").GetString());
        }
        using (var surrogate = await admin.PostAsync("/api/corporations", new StringContent(
            "{\"name\":\"\\ud800株式会社\",\"kind\":\"301\",\"address\":{\"localGovernmentCode\":\"131059\",\"streetNumber\":\"本郷\"}}",
            System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.BadRequest, surrogate.StatusCode);
        var (searchStatus, searchCode, _) = await Publication.RefusalAsync(host.Client(), "/4/name?id=sandbox&type=02&name=%E5%88%B6%00");
        Assert.Equal((HttpStatusCode.BadRequest, "002"), (searchStatus, searchCode)); // a control character, in any parameter
        using (var malformed = await admin.PostAsync("/api/corporations", new StringContent("{\"name\": ", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        // A batch with one bad item writes none of the good ones.
        var batch = new object[]
        {
            Company("一括正常一株式会社", "イッカツセイジョウイチ"), Company("一括正常二株式会社", "イッカツセイジョウニ"),
            new { name = "一括異常株式会社", kind = "301", address = new { localGovernmentCode = "99999", streetNumber = "x" } },
        };
        using (var bad = await admin.PostAsJsonAsync("/api/corporations/batch", new { corporations = batch }))
        {
            var (batchStatus, batchProblem) = await Publication.ProblemAsync(bad);
            Assert.Equal(HttpStatusCode.BadRequest, batchStatus);
            var error = batchProblem.GetProperty("errors").EnumerateObject().Single();
            Assert.Equal("corporations[2].address.localGovernmentCode", error.Name);
            // Five digits are read by the numbers library's own rule: 99 is no prefecture.
            Assert.StartsWith("先頭2桁の都道府県コードは01から47ですが、99です", error.Value[0].GetString());
        }
        using (var empty = await admin.PostAsJsonAsync("/api/corporations/batch", new { corporations = Array.Empty<object>() }))
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(0, await CountAsync(host.Client()));
    }

    [Theory, StorageData]
    public async Task Corporate_free_text_carrying_an_individual_number_is_refused_as_it_would_be_published_for_good(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        async Task<(HttpStatusCode Status, JsonElement Problem, string Body)> Post(string path, object request)
        {
            using var response = await admin.PostAsJsonAsync(path, request);
            var body = await response.Content.ReadAsStringAsync();
            var (status, problem) = await Publication.ProblemAsync(response);
            return (status, problem, body);
        }
        void Refused((HttpStatusCode Status, JsonElement Problem, string Body) answer, string type, params string[] fields)
        {
            Assert.Equal((HttpStatusCode.BadRequest, "urn:renkei:problem:" + type), (answer.Status, answer.Problem.GetProperty("type").GetString()));
            var errors = answer.Problem.GetProperty("errors");
            Assert.Equal(fields.Order(), errors.EnumerateObject().Select(p => p.Name).Order());
            Assert.All(fields, f => Assert.Contains("個人番号", errors.GetProperty(f)[0].GetString()));
            Assert.DoesNotContain("9018", ProblemAssert.WithoutTraceId(answer.Body)); // the refusal does not repeat the number
        }

        // Every published text item, each with the number written another way.
        Refused(await Post("/api/corporations", new
        {
            name = "123456789018商店", kind = "401", enName = "Shop 1234 5678 9018",
            address = new
            {
                localGovernmentCode = "131016", prefectureName = "東京都", cityName = "千代田区1234-5678-9018", streetNumber = "丸の内１２３４５６７８９０１８",
                addressOutside = "代表者　一二三四五六七八九〇一八", enCityName = "1234.5678.9018", enAddressOutside = "No. 1234_5678_9018",
            },
        }), "invalid-corporation", "name", "enName", "address.cityName", "address.streetNumber", "address.addressOutside",
            "address.enCityName", "address.enAddressOutside");
        Refused(await Post("/api/corporations/batch", new { corporations = new[] { Company("一括123456789018株式会社", "イッカツ") } }),
            "invalid-corporation", "corporations[0].name");
        Assert.Equal(0, await CountAsync(host.Client()));

        var number = await RegisterAsync(admin, Company("番号記載試験株式会社", "バンゴウキサイシケン"));
        Refused(await Post($"/api/corporations/{number}/changes", new
        {
            process = "12", changeCause = "代表者 山田太郎（個人番号 1234 5678 9018）の申出による所在地の変更",
            address = new { localGovernmentCode = "131059", streetNumber = "本郷１丁目" },
        }), "invalid-change", "changeCause");
        Refused(await Post($"/api/corporations/{number}/changes", new { process = "11", name = "新123456789018株式会社", furigana = "シン" }),
            "invalid-change", "name");
        Refused(await Post($"/api/corporations/{number}/changes", new { process = "13", address = new { addressOutside = "米国 1234:5678:9018" } }),
            "invalid-change", "address.addressOutside");

        // A corporate number (13 digits in a row) and a date and time are what a change's cause names; they stay.
        await ChangeAsync(admin, number, new
        {
            process = "12", changeCause = "2025/04/01 10:00 法人番号 7000012050002 の庁舎へ移転（電話 03-1234-5678）",
            address = new { localGovernmentCode = "131059", streetNumber = "本郷１丁目" },
        });
        var history = await Publication.GetAsync(host.Client(), $"/4/num?id=sandbox&type=22&number={number}&history=1");
        Assert.Equal(["01", "12"], history.Records.Select(r => r["process"]));
        Assert.Contains("7000012050002", history.Records[^1]["changeCause"]);
    }

    [Theory, StorageData]
    public async Task A_seat_is_in_the_prefecture_and_municipality_its_code_names(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        async Task<string> Refused(string path, object request, string type, string field)
        {
            using var response = await admin.PostAsJsonAsync(path, request);
            var (status, problem) = await Publication.ProblemAsync(response);
            Assert.Equal((HttpStatusCode.BadRequest, "urn:renkei:problem:" + type), (status, problem.GetProperty("type").GetString()));
            var error = Assert.Single(problem.GetProperty("errors").EnumerateObject());
            Assert.Equal(field, error.Name);
            return error.Value[0].GetString()!;
        }
        object Seat(string code, string? prefectureName = null, string? cityName = null) =>
            new { name = "所在地試験株式会社", furigana = "ショザイチシケン", kind = "301", address = new { localGovernmentCode = code, prefectureName, cityName, streetNumber = "梅田1-1" } };

        // 大阪府 beside 13101 was published with prefectureCode 13, and found under neither prefecture as written.
        Assert.Contains("東京都", await Refused("/api/corporations", Seat("131016", "大阪府", "北区"), "invalid-corporation", "address.prefectureName"));
        // A prefecture's own code is no seat: cityCode 000 was published beside whatever city was typed.
        foreach (var code in new[] { "130001", "13000" })
            Assert.Contains("都道府県", await Refused("/api/corporations", Seat(code, "東京都", "千代田区"), "invalid-corporation", "address.localGovernmentCode"));
        // A municipality the register knows has its name.
        Assert.Contains("文京区", await Refused("/api/corporations", Seat("131059", "東京都", "北区"), "invalid-corporation", "address.cityName"));
        Assert.Equal(0, await CountAsync(host.Client()));

        // The prefecture's name comes from the code when none is given; a known municipality's name too.
        var number = await RegisterAsync(admin, Seat("131016", cityName: "千代田区"));
        var record = Assert.Single((await Publication.GetAsync(host.Client(), $"/4/num?id=sandbox&type=22&number={number}")).Records);
        Assert.Equal(("東京都", "千代田区", "13", "101"), (record["prefectureName"], record["cityName"], record["prefectureCode"], record["cityCode"]));
        await RegisterAsync(admin, Seat("131059", "東京都", "文京区"));

        // The same holds for an address change.
        var path = $"/api/corporations/{number}/changes";
        Assert.Contains("東京都", await Refused(path, new { process = "12", address = new { localGovernmentCode = "131016", prefectureName = "大阪府", cityName = "北区", streetNumber = "梅田1-1" } },
            "invalid-change", "address.prefectureName"));
        await Refused(path, new { process = "12", address = new { localGovernmentCode = "27000", prefectureName = "大阪府", cityName = "大阪府", streetNumber = "梅田1-1" } },
            "invalid-change", "address.localGovernmentCode");
        await Refused(path, new { process = "12", address = new { localGovernmentCode = "12100", cityName = "柏市", streetNumber = "中央1-1" } },
            "invalid-change", "address.cityName");
        await ChangeAsync(admin, number, new { process = "12", address = new { localGovernmentCode = "12100", streetNumber = "中央1-1" } });
        var moved = Assert.Single((await Publication.GetAsync(host.Client(), $"/4/num?id=sandbox&type=22&number={number}")).Records);
        Assert.Equal(("千葉県", "千葉市", "12", "100"), (moved["prefectureName"], moved["cityName"], moved["prefectureCode"], moved["cityCode"]));

        // A prefecture is a local government whose own code numbers it; its seat is in a municipality.
        var tokyo = await RegisterAsync(admin, new
        {
            name = "東京都", furigana = "トウキョウト", kind = "201", localGovernmentCode = "130001",
            address = new { localGovernmentCode = "13104", cityName = "新宿区", streetNumber = "西新宿２丁目８番１号" },
        });
        Assert.Equal(CorporateNumber.FromBase(20_130_001).Digits, tokyo);
    }

    [Theory, StorageData]
    public async Task Registered_companies_keep_their_company_legal_number_as_base_and_others_are_numbered(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");

        var withLegal = await RegisterAsync(admin, new
        {
            name = "登記番号試験株式会社", furigana = "トウキバンゴウシケン", kind = "301", companyLegalNumber = "９９１３－０１－７７７７７７",
            address = new { localGovernmentCode = "13116", streetNumber = "南池袋１丁目" },
        });
        Assert.Equal(CorporateNumber.FromBase(991301777777).Digits, withLegal);
        using (var again = await admin.PostAsJsonAsync("/api/corporations", new
        {
            name = "重複株式会社", kind = "301", companyLegalNumber = "991301777777", address = new { localGovernmentCode = "13116", streetNumber = "目白１丁目" },
        }))
        {
            var (status, problem) = await Publication.ProblemAsync(again);
            Assert.Equal((HttpStatusCode.Conflict, "urn:renkei:problem:corporation-exists"), (status, problem.GetProperty("type").GetString()));
        }

        var numbered = await RegisterAsync(admin, Company("採番試験株式会社", "サイバンシケン"));
        var n = CorporateNumber.Parse(numbered);
        Assert.StartsWith("991301", n.Digits[1..]);
        Assert.NotEqual(withLegal, numbered);

        var government = await RegisterAsync(admin, new
        {
            name = "試験県", furigana = "シケンケン", kind = "201", localGovernmentCode = "470007",
            address = new { localGovernmentCode = "47201", prefectureName = "沖縄県", cityName = "那覇市", streetNumber = "泉崎１丁目２番２号" },
        });
        Assert.Equal(CorporateNumber.FromBase(20_470_007).Digits, government);

        using var view = await admin.GetAsync($"/api/corporations/{numbered}");
        var body = await view.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("採番試験株式会社", body.GetProperty("latest").GetProperty("name").GetString());
        using var badNumber = await admin.GetAsync("/api/corporations/8000012050002");
        Assert.Contains("expected 7", (await Publication.ProblemAsync(badNumber)).Problem.GetProperty("detail").GetString());
        using var unknown = await admin.GetAsync($"/api/corporations/{CorporateNumber.FromBase(123456789012).Digits}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Theory, StorageData]
    public async Task A_company_legal_number_of_no_registry_office_is_refused_so_that_governments_keep_their_numbers(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");

        // 000020 + a local government code and 000012… are the numbers the register gives local governments and national bodies:
        // a company given one took 千代田区's number, and 千代田区 could then not be registered (409 corporation-exists).
        foreach (var legal in new[] { "000020131016", "0000-12-999999", "０００００１１２３４５６" })
        {
            using var response = await admin.PostAsJsonAsync("/api/corporations", new
            {
                name = "丙株式会社", furigana = "ヘイ", kind = "301", companyLegalNumber = legal,
                address = new { localGovernmentCode = "131016", prefectureName = "東京都", cityName = "千代田区", streetNumber = "丸の内１丁目" },
            });
            var (status, problem) = await Publication.ProblemAsync(response);
            Assert.Equal((HttpStatusCode.BadRequest, "urn:renkei:problem:invalid-corporation"), (status, problem.GetProperty("type").GetString()));
            var message = Assert.Single(problem.GetProperty("errors").GetProperty("companyLegalNumber").EnumerateArray()).GetString()!;
            Assert.StartsWith("会社法人等番号の先頭4桁", message);
            Assert.Contains(" / companyLegalNumber", message);
        }
        Assert.Equal(0, await CountAsync(host.Client()));

        var chiyoda = await RegisterAsync(admin, new
        {
            name = "千代田区", furigana = "チヨダク", kind = "201", localGovernmentCode = "131016",
            address = new { localGovernmentCode = "131016", prefectureName = "東京都", cityName = "千代田区", streetNumber = "九段南１丁目２番１号" },
        });
        Assert.Equal(CorporateNumber.FromBase(20_131_016).Digits, chiyoda);
        // A real registry office's number is the company's base number, whatever its kind digits say (a 有限会社 that became a 株式会社 keeps it).
        var company = await RegisterAsync(admin, new
        {
            name = "丙株式会社", furigana = "ヘイ", kind = "301", companyLegalNumber = "0100-02-123456",
            address = new { localGovernmentCode = "131016", prefectureName = "東京都", cityName = "千代田区", streetNumber = "丸の内１丁目" },
        });
        Assert.Equal(CorporateNumber.FromBase(0100_02_123456).Digits, company);
    }

    [Theory, StorageData]
    public async Task Lengths_count_characters_as_a_person_does(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        static string Yoshi(int n) => string.Concat(Enumerable.Repeat("𠮷", n)); // one character, two UTF-16 code units

        // At every limit, 𠮷 is one character: a name of 150, a city of 30, a street of 300, an overseas address of 600.
        var number = await RegisterAsync(admin, new
        {
            name = Yoshi(146) + "株式会社", furigana = "ヨシ", kind = "301",
            address = new { localGovernmentCode = "131016", prefectureName = "東京都", cityName = Yoshi(29) + "区", streetNumber = Yoshi(300) },
        });
        await RegisterAsync(admin, new { name = "𠮷インク", furigana = "ヨシインク", kind = "401", address = new { addressOutside = Yoshi(600) } });
        await ChangeAsync(admin, number, new { process = "11", name = Yoshi(145) + "合同会社", furigana = "ヨシゴウドウ" });
        var record = Assert.Single((await Publication.GetAsync(host.Client(), $"/4/num?id=sandbox&type=02&number={number}")).Records);
        Assert.Equal(Yoshi(145) + "合同会社", record["name"]);

        // One more is one too many, and each field is named.
        using (var over = await admin.PostAsJsonAsync("/api/corporations", new
        {
            name = Yoshi(147) + "株式会社", furigana = "ヨシ", kind = "401",
            address = new { localGovernmentCode = "131016", prefectureName = Yoshi(11), cityName = Yoshi(31), streetNumber = Yoshi(301), addressOutside = Yoshi(601) },
        }))
        {
            var errors = (await Publication.ProblemAsync(over)).Problem.GetProperty("errors");
            Assert.Equal(["address.addressOutside", "address.cityName", "address.prefectureName", "address.streetNumber", "name"],
                errors.EnumerateObject().Select(p => p.Name).Order());
        }
        using (var renamed = await admin.PostAsJsonAsync($"/api/corporations/{number}/changes", new { process = "11", name = Yoshi(151), furigana = "ヨシ" }))
            Assert.Contains("150", (await Publication.ProblemAsync(renamed)).Problem.GetProperty("errors").GetProperty("name")[0].GetString());
        // An English item of 𠮷 is not ASCII, whatever its length in code units.
        using (var english = await admin.PostAsJsonAsync("/api/corporations", new
        {
            name = "英語表記株式会社", furigana = "エイゴ", kind = "301", enName = Yoshi(200),
            address = new { localGovernmentCode = "131016", streetNumber = "丸の内１丁目" },
        }))
            Assert.Contains("ASCII", (await Publication.ProblemAsync(english)).Problem.GetProperty("errors").GetProperty("enName")[0].GetString());
    }

    [Theory, StorageData]
    public async Task A_new_name_needs_its_new_reading_and_the_same_name_is_no_name_change(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        var number = await RegisterAsync(admin, Company("旧名試験株式会社", "キュウメイシケン", enName: "Kyumei Shiken Co., Ltd."));
        Task<(HttpStatusCode Status, string Type, JsonElement Problem)> Post(object change) =>
            Publication.PostForProblemAsync(admin, $"/api/corporations/{number}/changes", change);
        async Task<List<Dictionary<string, string>>> History() =>
            (await Publication.GetAsync(host.Client(), $"/4/num?id=sandbox&type=22&number={number}&history=1")).Records;

        // Without its reading, a new name was published beside the reading of none (it became "").
        var (status, _, problem) = await Post(new { process = "11", name = "新名試験株式会社" });
        Assert.Equal((HttpStatusCode.BadRequest, "urn:renkei:problem:invalid-change"), (status, problem.GetProperty("type").GetString()));
        Assert.StartsWith("商号又は名称を変えるときは新しいフリガナ", problem.GetProperty("errors").GetProperty("furigana")[0].GetString());
        // The name it has already is no change: published, it would say the name changed.
        foreach (var same in new object[]
        {
            new { process = "11", name = "旧名試験株式会社" }, new { process = "11", name = " 旧名試験株式会社 ", furigana = "キュウメイシケン" },
            new { process = "11", name = "旧名試験株式会社", furigana = "キュウメイ" }, new { process = "11", name = "旧名試験株式会社", correction = true },
        })
        {
            (status, _, problem) = await Post(same);
            Assert.Equal((HttpStatusCode.Conflict, "urn:renkei:problem:name-unchanged"), (status, problem.GetProperty("type").GetString()));
        }
        Assert.Equal(["01"], (await History()).Select(r => r["process"]));

        // A correction of the current name's reading keeps the name and its English name.
        await ChangeAsync(admin, number, new { process = "11", name = "旧名試験株式会社", furigana = "キュウメイシケンカブシキガイシャ", correction = true });
        await ChangeAsync(admin, number, new { process = "11", name = "新名試験株式会社", furigana = "シンメイシケン" });
        var history = await History();
        Assert.Equal([("01", "0"), ("11", "1"), ("11", "0")], history.Select(r => (r["process"], r["correct"])));
        Assert.Equal(["キュウメイシケン", "キュウメイシケンカブシキガイシャ", "シンメイシケン"], history.Select(r => r["furigana"]));
        Assert.All(history, r => Assert.Equal("Kyumei Shiken Co., Ltd.", r["enName"]));

        // A corporation published without a reading may change its name without one.
        var unread = await RegisterAsync(admin, new { name = "読無試験株式会社", kind = "301", address = new { localGovernmentCode = "131059", streetNumber = "春日１丁目" } });
        await ChangeAsync(admin, unread, new { process = "11", name = "読無新名株式会社" });
    }

    [Theory, StorageData]
    public async Task A_merger_needs_an_open_successor_that_can_absorb_the_corporation(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        var absorbed = await RegisterAsync(admin, Company("消滅試験株式会社", "ショウメツシケン"));
        var closed = await RegisterAsync(admin, Company("清算済試験株式会社", "セイサンズミシケン"));
        await ChangeAsync(admin, closed, new { process = "21", closeCause = "01" });
        var deleted = await RegisterAsync(admin, Company("削除済試験株式会社", "サクジョズミシケン"));
        await ChangeAsync(admin, deleted, new { process = "99" });
        var chibaCity = CorporateNumber.FromBase(20_121_002).Digits;

        foreach (var (successor, expected) in new[]
        {
            (closed, "承継先の法人は閉鎖されています"), (deleted, "承継先の法人は削除されています"), (absorbed, "承継先に自らは指定できません"),
            (chibaCity, "会社（種別3xx）を合併で承継できるのは会社だけです"), ("7000012050002", "会社（種別3xx）を合併で承継できるのは会社だけです"),
        })
            foreach (var change in new object[]
            {
                new { process = "71", successorCorporateNumber = successor },
                new { process = "21", closeCause = "11", successorCorporateNumber = successor },
            })
            {
                using var response = await admin.PostAsJsonAsync($"/api/corporations/{absorbed}/changes", change);
                var (status, problem) = await Publication.ProblemAsync(response);
                Assert.Equal((HttpStatusCode.BadRequest, "urn:renkei:problem:invalid-change"), (status, problem.GetProperty("type").GetString()));
                Assert.StartsWith(expected, problem.GetProperty("errors").GetProperty("successorCorporateNumber")[0].GetString());
            }
        var record = Assert.Single((await Publication.GetAsync(host.Client(), $"/4/num?id=sandbox&type=02&number={absorbed}&history=1")).Records);
        Assert.Equal("01", record["process"]);

        // A municipality merged into another (編入合併) is succeeded by a local government; a company by a company.
        var townCode = LocalGovernmentCode.FromFiveDigits(12321).Digits;
        var town = await RegisterAsync(admin, new
        {
            name = "試験町", furigana = "シケンマチ", kind = "201", localGovernmentCode = townCode,
            address = new { localGovernmentCode = townCode, prefectureName = "千葉県", cityName = "試験町", streetNumber = "役場１番" },
        });
        await ChangeAsync(admin, town, new { process = "71", successorCorporateNumber = chibaCity });
        var survivor = await RegisterAsync(admin, Company("存続会社試験株式会社", "ソンゾクガイシャシケン"));
        await ChangeAsync(admin, absorbed, new { process = "71", successorCorporateNumber = survivor });
    }

    [Theory, StorageData]
    public async Task Changes_are_validated_against_the_process_and_the_corporations_state(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        var absorbed = await RegisterAsync(admin, Company("被合併試験株式会社", "ヒガッペイシケン"));
        var survivor = await RegisterAsync(admin, Company("存続試験株式会社", "ソンゾクシケン"));

        Task<(HttpStatusCode Status, string Type, JsonElement Problem)> Post(string number, object change) =>
            Publication.PostForProblemAsync(admin, $"/api/corporations/{number}/changes", change);

        var (status, _, problem) = await Post(absorbed, new { process = "21" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty("closeCause", out _));
        (status, _, problem) = await Post(absorbed, new { process = "71", successorCorporateNumber = CorporateNumber.FromBase(123456789012).Digits });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty("successorCorporateNumber", out _));
        (status, _, problem) = await Post(absorbed, new { process = "71", successorCorporateNumber = absorbed });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _, problem) = await Post(absorbed, new { process = "42" });
        Assert.True(problem.GetProperty("errors").TryGetProperty("process", out _));
        (status, _, problem) = await Post(absorbed, new { process = "11", changeDate = "2015-01-01", name = "改名" , furigana = "カイメイ" });
        Assert.True(problem.GetProperty("errors").TryGetProperty("changeDate", out _));
        (status, _, _) = await Post(absorbed, new { process = "22" });
        Assert.Equal(HttpStatusCode.Conflict, status);
        (status, _, _) = await Post(CorporateNumber.FromBase(123456789012).Digits, new { process = "11", name = "何か", furigana = "ナニカ" });
        Assert.Equal(HttpStatusCode.NotFound, status);

        await ChangeAsync(admin, absorbed, new { process = "71", successorCorporateNumber = survivor, changeCause = "存続試験株式会社に吸収合併" });
        (status, _, problem) = await Post(absorbed, new { process = "11", name = "閉鎖後改名株式会社", furigana = "ヘイサゴカイメイ" });
        Assert.Equal((HttpStatusCode.Conflict, "urn:renkei:problem:change-not-allowed"), (status, problem.GetProperty("type").GetString()));
        (status, _, _) = await Post(absorbed, new { process = "22" });
        Assert.Equal(HttpStatusCode.Conflict, status);

        var client = host.Client();
        var closed = Assert.Single((await Publication.GetAsync(client, $"/4/num?id=sandbox&type=12&number={absorbed}")).Records);
        Assert.Equal(("71", "11", survivor, "存続試験株式会社に吸収合併"),
            (closed["process"], closed["closeCause"], closed["successorCorporateNumber"], closed["changeCause"]));

        await ChangeAsync(admin, absorbed, new { process = "72", correction = true });
        var annulled = Assert.Single((await Publication.GetAsync(client, $"/4/num?id=sandbox&type=12&number={absorbed}")).Records);
        Assert.Equal(("72", "1", "", "", ""), (annulled["process"], annulled["correct"], annulled["closeDate"], annulled["closeCause"], annulled["successorCorporateNumber"]));

        await ChangeAsync(admin, absorbed, new { process = "99" });
        (status, _, problem) = await Post(absorbed, new { process = "22" });
        Assert.Equal((HttpStatusCode.Conflict, "urn:renkei:problem:corporation-deleted"), (status, problem.GetProperty("type").GetString()));
        var history = await Publication.GetAsync(client, $"/4/num?id=sandbox&type=02&number={absorbed}&history=1");
        Assert.Equal(["01", "71", "72", "99"], history.Records.Select(r => r["process"]));
    }

    [Theory, StorageData]
    public async Task A_closed_corporation_takes_what_undoes_its_closing_and_a_deletion_only(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        var survivor = await RegisterAsync(admin, Company("閉鎖表存続株式会社", "ヘイサヒョウソンゾク"));
        var changes = new Dictionary<string, object>
        {
            ["11"] = new { process = "11", name = "閉鎖後改名株式会社", furigana = "ヘイサゴカイメイ" },
            ["12"] = new { process = "12", address = new { localGovernmentCode = "12217", streetNumber = "柏の葉５丁目１番" } },
            ["13"] = new { process = "13", address = new { addressOutside = "カナダ国オンタリオ州" } },
            ["21"] = new { process = "21", closeCause = "01" },
            ["22"] = new { process = "22" },
            ["71"] = new { process = "71", successorCorporateNumber = survivor },
            ["72"] = new { process = "72" },
            ["81"] = new { process = "81" },
            ["99"] = new { process = "99" },
        };
        // Closed by 21, 71 or 81: only the process that undoes that closing (22, 72, 22), or a deletion (99, which withdraws a
        // record published in error, in any state), is taken; anything else is 409 change-not-allowed.
        foreach (var (closing, undoing) in new[] { ("21", "22"), ("71", "72"), ("81", "22") })
            foreach (var (process, change) in changes)
            {
                var number = await RegisterAsync(admin, Company($"閉鎖表{closing}{process}株式会社", "ヘイサヒョウ"));
                await ChangeAsync(admin, number, changes[closing]);
                using var response = await admin.PostAsJsonAsync($"/api/corporations/{number}/changes", change);
                if (process == undoing || process == "99")
                    Assert.True(response.StatusCode == HttpStatusCode.Created, $"{closing} then {process}: {await response.Content.ReadAsStringAsync()}");
                else
                {
                    var (status, problem) = await Publication.ProblemAsync(response);
                    Assert.True((status, problem.GetProperty("type").GetString()) == (HttpStatusCode.Conflict, "urn:renkei:problem:change-not-allowed"),
                        $"{closing} then {process}: {problem}");
                }
            }
        // A deleted corporation takes nothing, a deletion included.
        var deleted = await RegisterAsync(admin, Company("閉鎖表削除株式会社", "ヘイサヒョウサクジョ"));
        await ChangeAsync(admin, deleted, changes["99"]);
        foreach (var change in changes.Values)
        {
            using var response = await admin.PostAsJsonAsync($"/api/corporations/{deleted}/changes", change);
            Assert.Equal("urn:renkei:problem:corporation-deleted", (await Publication.ProblemAsync(response)).Problem.GetProperty("type").GetString());
        }
    }

    [Theory, StorageData]
    public async Task Foreign_companies_move_abroad_and_struck_trade_names_can_be_restored(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        var foreign = await RegisterAsync(admin, new
        {
            name = "レンケイ・インク", furigana = "レンケイインク", kind = "401", enName = "Renkei Inc.",
            address = new { addressOutside = "アメリカ合衆国デラウェア州", enAddressOutside = "Delaware, United States" },
        });
        await ChangeAsync(admin, foreign, new { process = "13", address = new { addressOutside = "カナダ国オンタリオ州", enAddressOutside = "Ontario, Canada" } });
        using (var noOutside = await admin.PostAsJsonAsync($"/api/corporations/{foreign}/changes", new { process = "13", address = new { } }))
            Assert.True((await Publication.ProblemAsync(noOutside)).Problem.GetProperty("errors").TryGetProperty("address.addressOutside", out _));
        var client = host.Client();
        var record = Assert.Single((await Publication.GetAsync(client, $"/4/num?id=sandbox&type=02&number={foreign}")).Records);
        Assert.Equal(("13", "カナダ国オンタリオ州", "Ontario, Canada", "", "401"),
            (record["process"], record["addressOutside"], record["enAddressOutside"], record["prefectureCode"], record["kind"]));
        Assert.Equal([foreign], (await Publication.GetAsync(client, "/4/name?id=sandbox&type=22&kind=04&name=" + Uri.EscapeDataString("れんけい"))).Records
            .Select(r => r["corporateNumber"]));

        var company = await RegisterAsync(admin, Company("抹消試験株式会社", "マッショウシケン"));
        var struckFrom = TodayInJapan();
        await ChangeAsync(admin, company, new { process = "81" });
        var struck = Assert.Single((await Publication.GetAsync(client, $"/4/num?id=sandbox&type=02&number={company}")).Records);
        Assert.Equal("81", struck["process"]);
        Assert.Contains(struck["closeDate"], DaysFrom(struckFrom));
        await ChangeAsync(admin, company, new { process = "22", changeCause = "登記の回復" });
        var restored = Assert.Single((await Publication.GetAsync(client, $"/4/num?id=sandbox&type=02&number={company}")).Records);
        Assert.Equal(("22", "", "登記の回復"), (restored["process"], restored["closeDate"], restored["changeCause"]));
    }

    [Theory, StorageData]
    public async Task The_openapi_document_lists_the_search_and_the_administration(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var document = await host.Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/4/num", paths);
        Assert.Contains("/4/diff", paths);
        Assert.Contains("/4/name", paths);
        Assert.Contains("/api/corporations/{number}/changes", paths);

        // The search reads its query itself (for the NTA's error codes); the document still names every parameter and format.
        var parameters = (string path) => document.GetProperty("paths").GetProperty(path).GetProperty("get").GetProperty("parameters").EnumerateArray()
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.TryGetProperty("required", out var r) && r.GetBoolean());
        Assert.Equal(new Dictionary<string, bool> { ["id"] = true, ["type"] = true, ["number"] = true, ["history"] = false }, parameters("/4/num"));
        Assert.True(parameters("/4/diff") is { } diff && diff["from"] && diff["to"] && !diff["divide"] && diff.ContainsKey("address") && diff.ContainsKey("kind"));
        Assert.True(parameters("/4/name") is { } name && name["name"] && !name["mode"] && !name["target"] && !name["close"] && !name["change"]);
        var formats = document.GetProperty("paths").GetProperty("/4/name").GetProperty("get").GetProperty("responses").GetProperty("200")
            .GetProperty("content").EnumerateObject().Select(c => c.Name).ToList();
        Assert.Equal(["text/csv", "application/xml", "application/json"], formats);

        // Type 22's page is an object, as the body is; an error is a problem for 22 and a line of text for the NTA's types.
        foreach (var path in new[] { "/4/num", "/4/diff", "/4/name" })
        {
            var responses = document.GetProperty("paths").GetProperty(path).GetProperty("get").GetProperty("responses");
            var page = responses.GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema");
            Assert.Equal("object", page.GetProperty("type").GetString());
            var corporation = page.GetProperty("properties").GetProperty("corporations").GetProperty("items").GetProperty("properties");
            Assert.Equal(Renkei.Registry.Corporations.CorporationRecord.ItemNames, corporation.EnumerateObject().Select(p => p.Name));
            foreach (var status in new[] { "400", "404" })
            {
                var content = responses.GetProperty(status).GetProperty("content");
                Assert.Equal("string", content.GetProperty("text/plain").GetProperty("schema").GetProperty("type").GetString());
                Assert.True(content.TryGetProperty("application/problem+json", out _), $"{path} {status}");
                Assert.False(content.TryGetProperty("text/csv", out _), $"{path} {status}");
            }
        }
        // And the body answers as documented: the page's members are the schema's.
        var body = await host.Client().GetFromJsonAsync<JsonElement>("/4/num?id=sandbox&type=22&number=7000012050002");
        Assert.Equal(["lastUpdateDate", "count", "divideNumber", "divideSize", "corporations"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(Renkei.Registry.Corporations.CorporationRecord.ItemNames, body.GetProperty("corporations")[0].EnumerateObject().Select(p => p.Name));
    }
}
