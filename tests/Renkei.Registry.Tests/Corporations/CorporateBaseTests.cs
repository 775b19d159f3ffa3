using System.Net;
using System.Net.Http.Json;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using static Renkei.Registry.Tests.Corporations.CorporateNumberSearchTests;

namespace Renkei.Registry.Tests.Corporations;

/// <summary>
/// An assigned number's base is in its kind's series, as the NTA numbers them (法人番号の構成): national bodies 000011 (the
/// Diet), 000012 (the executive) and 000013 (the courts); local governments 000020 + their code; registered companies their
/// company legal number; bodies with none 7…. The check comes before storage, so SQLite alone runs it; AssignedNumberTests
/// registers on both.
/// </summary>
public sealed class CorporateBaseTests
{
    private static readonly Dictionary<string, string?> RealRegister = new() { ["Registry:DemoData"] = "false" };

    private static object Body(string kind, string corporateNumber, string name = "基礎番号試験", string? companyLegalNumber = null) => new
    {
        name, furigana = "キソバンゴウシケン", kind, corporateNumber, companyLegalNumber, assignmentDate = "2015-10-05",
        address = new { localGovernmentCode = "131016", cityName = "千代田区", streetNumber = "永田町１丁目１０－１" },
    };

    private static string Base(long baseNumber) => CorporateNumber.FromBase(baseNumber).Digits;

    /// <summary>The request is refused naming <paramref name="field"/> alone, Japanese first; the message.</summary>
    private static async Task<string> RefusedAsync(HttpClient admin, object request, string field = "corporateNumber")
    {
        var (status, type, problem) = await Publication.PostForProblemAsync(admin, "/api/corporations", request);
        Assert.Equal((HttpStatusCode.BadRequest, "urn:renkei:problem:invalid-corporation"), (status, type));
        var error = Assert.Single(problem.GetProperty("errors").EnumerateObject());
        Assert.Equal(field, error.Name);
        var message = error.Value[0].GetString()!;
        Assert.True(message.Contains(" / ") && message[..message.IndexOf(" / ")].Any(c => c > '\u3000'), message);
        return message;
    }

    [Fact]
    public async Task A_national_bodys_base_is_the_Diets_the_executives_or_the_courts()
    {
        // Audit 20b #1: only 000012 counted, and the National Diet Library, 1000011000005 wherever the NTA publishes it, was refused.
        await using var host = await RegistryHost.StartAsync(StorageProvider.Sqlite, RealRegister);
        var admin = host.Client("corporations");

        Assert.Equal("1000011000005", await RegisterAsync(admin, Body("101", "1000011000005", "国立国会図書館")));
        Assert.Equal("7000012050002", await RegisterAsync(admin, Body("101", "7000012050002", "国税庁")));
        Assert.Equal(Base(13_000_101), await RegisterAsync(admin, Body("101", Base(13_000_101), "連携地方裁判所")));

        // No branch past the courts; and the three series are national bodies' only.
        Assert.StartsWith("国の機関（種別101）の基礎番号は000011（国会）", await RefusedAsync(admin, Body("101", Base(14_000_001))));
        Assert.StartsWith("000011（国会）・000012（行政機関）・000013（裁判所）で始まる基礎番号は国の機関", await RefusedAsync(admin, Body("499", Base(11_000_013))));
        Assert.Contains("登記所コード", await RefusedAsync(admin, Body("301", Base(13_000_102))));
    }

    [Fact]
    public async Task A_local_governments_base_is_000020_and_its_code()
    {
        await using var host = await RegistryHost.StartAsync(StorageProvider.Sqlite, RealRegister);
        var admin = host.Client("corporations");

        Assert.Equal(Base(20_131_016), await RegisterAsync(admin, new
        {
            name = "千代田区", furigana = "チヨダク", kind = "201", localGovernmentCode = "131016", corporateNumber = Base(20_131_016),
            assignmentDate = "2015-10-05", address = new { localGovernmentCode = "131016", cityName = "千代田区", streetNumber = "九段南１丁目２番１号" },
        }));
        Assert.Contains("000020", await RefusedAsync(admin, Body("101", Base(20_131_024))));
        Assert.Contains("000020", await RefusedAsync(admin, Body("499", Base(20_131_024))));
    }

    [Fact]
    public async Task A_registered_companys_base_is_its_company_legal_number()
    {
        await using var host = await RegistryHost.StartAsync(StorageProvider.Sqlite, RealRegister);
        var admin = host.Client("corporations");

        Assert.Equal(Base(0100_01_123456), await RegisterAsync(admin, Body("301", Base(0100_01_123456), "甲株式会社", "0100-01-123456")));
        Assert.Equal(Base(0100_04_000077), await RegisterAsync(admin, Body("399", Base(0100_04_000077), "一般社団法人乙")));

        // 7… is the NTA's series for bodies with no company legal number: a company's number is never there.
        Assert.Contains("7で始まる", await RefusedAsync(admin, Body("305", Base(7001_50_000123))));
        Assert.Contains("7で始まる", await RefusedAsync(admin, new
        {
            name = "丙株式会社", furigana = "ヘイ", kind = "301", companyLegalNumber = "7001-50-000124",
            address = new { localGovernmentCode = "131016", cityName = "千代田区", streetNumber = "丸の内１丁目" },
        }, "companyLegalNumber"));
        Assert.Contains("登記所コード", await RefusedAsync(admin, Body("399", Base(12_050_002))));
    }

    [Fact]
    public async Task A_body_with_no_company_legal_number_is_numbered_under_7()
    {
        await using var host = await RegistryHost.StartAsync(StorageProvider.Sqlite, RealRegister);
        var admin = host.Client("corporations");

        Assert.Equal(Base(7001_50_000123), await RegisterAsync(admin, Body("499", Base(7001_50_000123), "連携健康保険組合")));
        Assert.Equal(Base(7001_50_000124), await RegisterAsync(admin, Body("401", Base(7001_50_000124), "レンケイ・インク")));
        // A foreign company registered here has a company legal number all the same: carried over by its number, or numbered from
        // its company legal number as a registered company is (audit 21b #5: refused as "kind 3xx only").
        Assert.Equal(Base(0100_03_012345), await RegisterAsync(admin, Body("401", Base(0100_03_012345), "レンケイ・リミテッド")));
        Assert.Equal(Base(0100_03_012346), await RegisterAsync(admin, Body("401", null!, "レンケイ・ピーエルシー", "0100-03-012346")));
        Assert.Equal(Base(0100_03_012347), await RegisterAsync(admin, Body("401", Base(0100_03_012347), "レンケイ・エスエー", "0100-03-012347")));
        Assert.StartsWith("法人番号の基礎番号（後ろ12桁）は会社法人等番号です",
            await RefusedAsync(admin, Body("401", Base(0100_03_012349), "レンケイ・ゲーエムベーハー", "0100-03-012348")));
        // No other body of 4xx has one.
        Assert.StartsWith("会社法人等番号は設立登記法人（種別3xx）と日本で登記した外国会社（種別401）だけ",
            await RefusedAsync(admin, Body("499", null!, "連携互助会", "0100-05-012350"), "companyLegalNumber"));

        Assert.StartsWith("国の機関（種別101）の基礎番号は000011（国会）", await RefusedAsync(admin, Body("101", Base(7001_50_000125))));
        Assert.StartsWith("0000で始まる基礎番号は国の機関（000011から000013まで）", await RefusedAsync(admin, Body("499", Base(99_000_001))));
    }

    [Fact]
    public async Task A_refused_kind_or_local_government_code_is_not_answered_with_the_0000_series()
    {
        // Review: kind 201 with a refused code, or a refused kind, fell through to "0000で始まる…", which the base did not.
        await using var host = await RegistryHost.StartAsync(StorageProvider.Sqlite, RealRegister);
        var admin = host.Client("corporations");

        foreach (var number in new[] { Base(0100_01_123456), Base(7001_50_000123), Base(12_050_002) })
        {
            var errors = await ErrorsAsync(admin, new
            {
                name = "千代田区", furigana = "チヨダク", kind = "201", localGovernmentCode = "131017", corporateNumber = number,
                assignmentDate = "2015-10-05", address = new { localGovernmentCode = "131016", cityName = "千代田区", streetNumber = "九段南１丁目２番１号" },
            });
            Assert.Equal(["corporateNumber", "localGovernmentCode"], errors.Keys.Order());
            Assert.StartsWith("地方公共団体（種別201）の基礎番号は000020で始まり", errors["corporateNumber"]);
        }
        // A refused kind is named alone: the base has no kind to be held to.
        foreach (var kind in new[] { "999", "" })
            Assert.Equal(["kind"], (await ErrorsAsync(admin, Body(kind, Base(7001_50_000123)))).Keys);
    }

    /// <summary>The request is refused as an invalid corporation; each field named with its message.</summary>
    private static async Task<Dictionary<string, string>> ErrorsAsync(HttpClient admin, object request)
    {
        var (status, type, problem) = await Publication.PostForProblemAsync(admin, "/api/corporations", request);
        Assert.Equal((HttpStatusCode.BadRequest, "urn:renkei:problem:invalid-corporation"), (status, type));
        return problem.GetProperty("errors").EnumerateObject().ToDictionary(e => e.Name, e => e.Value[0].GetString()!);
    }
}
