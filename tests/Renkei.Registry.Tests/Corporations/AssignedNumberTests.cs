using System.Net;
using System.Text.Json;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Testing;
using static Renkei.Registry.Tests.Corporations.CorporateNumberSearchTests;

namespace Renkei.Registry.Tests.Corporations;

/// <summary>
/// A real register carries the numbers the NTA has assigned since 2015: an administrator registers a corporation under its
/// number, whatever its kind, and the register's own series go round them.
/// </summary>
public sealed class AssignedNumberTests
{
    private static readonly Dictionary<string, string?> RealRegister = new() { ["Registry:DemoData"] = "false" };

    private static object Nta(string? corporateNumber = "7000012050002", string? assignmentDate = "2015-10-05", string kind = "101") => new
    {
        name = "国税庁", furigana = "コクゼイチョウ", kind, corporateNumber, assignmentDate, enName = "National Tax Agency",
        address = new { localGovernmentCode = "131016", cityName = "千代田区", streetNumber = "霞が関３丁目１－１", postCode = "1000013" },
    };

    [Theory, StorageData]
    public async Task A_national_body_is_registered_under_its_assigned_number(StorageProvider provider)
    {
        await using var host = await RegistryHost.StartAsync(provider, RealRegister);
        var admin = host.Client("corporations");

        Assert.Equal("7000012050002", await RegisterAsync(admin, Nta()));
        var record = Assert.Single((await Publication.GetAsync(host.Client(), "/4/num?id=sandbox&type=22&number=7000012050002")).Records);
        Assert.Equal(("国税庁", "101", "2015-10-05", "2015-10-05", "東京都"),
            (record["name"], record["kind"], record["assignmentDate"], record["changeDate"], record["prefectureName"]));

        // Once on the register, the number is not assigned again, to anyone.
        var (status, type, _) = await Publication.PostForProblemAsync(admin, "/api/corporations", Nta());
        Assert.Equal((HttpStatusCode.Conflict, "urn:renkei:problem:corporation-exists"), (status, type));

        // Any kind: a foreign company and another body keep the numbers the NTA gave them.
        var foreign = CorporateNumber.FromBase(0100_03_012345).Digits;
        Assert.Equal(foreign, await RegisterAsync(admin, new
        {
            name = "レンケイ・インク", furigana = "レンケイインク", kind = "401", corporateNumber = foreign, assignmentDate = "2016-04-01",
            address = new { addressOutside = "アメリカ合衆国デラウェア州" },
        }));
        (status, type, _) = await Publication.PostForProblemAsync(admin, "/api/corporations", new
        {
            name = "レンケイ株式会社", furigana = "レンケイ", kind = "301", corporateNumber = foreign, assignmentDate = "2016-04-01",
            address = new { localGovernmentCode = "131016", cityName = "千代田区", streetNumber = "丸の内１丁目" },
        });
        Assert.Equal((HttpStatusCode.Conflict, "urn:renkei:problem:corporation-exists"), (status, type));
        var association = CorporateNumber.FromBase(7000_05_000123).Digits;
        Assert.Equal(association, await RegisterAsync(admin, new
        {
            name = "連携町内会", furigana = "レンケイチョウナイカイ", kind = "499", corporateNumber = association, assignmentDate = "2020-02-03",
            address = new { localGovernmentCode = "12100", streetNumber = "中央1-1" },
        }));
        Assert.Equal(3, (await Publication.GetAsync(host.Client(), $"/4/diff?id=sandbox&type=22&{AroundToday()}")).Count);
    }

    [Theory, StorageData]
    public async Task An_assigned_number_is_checked_and_agrees_with_the_numbers_it_derives_from(StorageProvider provider)
    {
        await using var host = await RegistryHost.StartAsync(provider, RealRegister);
        var admin = host.Client("corporations");
        async Task<string> Refused(object request, string field)
        {
            var (status, type, problem) = await Publication.PostForProblemAsync(admin, "/api/corporations", request);
            Assert.Equal((HttpStatusCode.BadRequest, "urn:renkei:problem:invalid-corporation"), (status, type));
            var error = Assert.Single(problem.GetProperty("errors").EnumerateObject());
            Assert.Equal(field, error.Name);
            return error.Value[0].GetString()!;
        }

        Assert.Contains("expected 7", await Refused(Nta("8000012050002"), "corporateNumber"));
        Assert.Contains("13", await Refused(Nta("700001205000"), "corporateNumber"));
        // Assigned years ago: the day it was is part of the record, and today would publish it as new.
        Assert.Contains("assignmentDate", await Refused(Nta(assignmentDate: null), "assignmentDate"));
        // A company's base number is its company legal number, a local government's 000020 + its code.
        Assert.Contains("companyLegalNumber", await Refused(new
        {
            name = "甲株式会社", kind = "301", companyLegalNumber = "0100-01-123456", corporateNumber = CorporateNumber.FromBase(0100_01_654321).Digits,
            assignmentDate = "2015-10-05", address = new { localGovernmentCode = "131016", cityName = "千代田区", streetNumber = "丸の内１丁目" },
        }, "corporateNumber"));
        Assert.Contains("localGovernmentCode", await Refused(new
        {
            name = "千代田区", kind = "201", localGovernmentCode = "131016", corporateNumber = CorporateNumber.FromBase(20_131_024).Digits,
            assignmentDate = "2015-10-05", address = new { localGovernmentCode = "131016", cityName = "千代田区", streetNumber = "九段南１丁目２番１号" },
        }, "corporateNumber"));
        // 000020 + a code is a local government's: a national body given one would take 千代田区's number.
        Assert.Contains("000020", await Refused(Nta(CorporateNumber.FromBase(20_131_016).Digits), "corporateNumber"));
        Assert.Equal(0, (await Publication.GetAsync(host.Client(), $"/4/diff?id=sandbox&type=22&{AroundToday()}")).Count);

        // Given with what it derives from, it is the same number.
        var chiyoda = CorporateNumber.FromBase(20_131_016).Digits;
        Assert.Equal(chiyoda, await RegisterAsync(admin, new
        {
            name = "千代田区", furigana = "チヨダク", kind = "201", localGovernmentCode = "131016", corporateNumber = chiyoda, assignmentDate = "2015-10-05",
            address = new { localGovernmentCode = "131016", cityName = "千代田区", streetNumber = "九段南１丁目２番１号" },
        }));
        var company = CorporateNumber.FromBase(0100_01_123456).Digits;
        Assert.Equal(company, await RegisterAsync(admin, new
        {
            name = "甲株式会社", furigana = "コウ", kind = "301", companyLegalNumber = "0100-01-123456", corporateNumber = company, assignmentDate = "2015-10-05",
            address = new { localGovernmentCode = "131016", cityName = "千代田区", streetNumber = "丸の内１丁目" },
        }));
    }

    [Theory, StorageData]
    public async Task An_assigned_numbers_base_agrees_with_its_kind(StorageProvider provider)
    {
        // Audit Z #4: a company under a national body's base, a national body under a registry office's and a body under base
        // 000000000000 were all published, and the real holder of the number was then refused as a duplicate.
        await using var host = await RegistryHost.StartAsync(provider, RealRegister);
        var admin = host.Client("corporations");
        object Body(string kind, long baseNumber) => new
        {
            name = "基礎番号試験", furigana = "キソバンゴウシケン", kind, corporateNumber = CorporateNumber.FromBase(baseNumber).Digits,
            assignmentDate = "2016-04-01", address = new { localGovernmentCode = "131016", cityName = "千代田区", streetNumber = "霞が関１丁目" },
        };
        async Task<string> Refused(object request)
        {
            var (status, type, problem) = await Publication.PostForProblemAsync(admin, "/api/corporations", request);
            Assert.Equal((HttpStatusCode.BadRequest, "urn:renkei:problem:invalid-corporation"), (status, type));
            var error = Assert.Single(problem.GetProperty("errors").EnumerateObject());
            Assert.Equal("corporateNumber", error.Name);
            var message = error.Value[0].GetString()!;
            // Japanese first, then English.
            Assert.True(message.Contains(" / ") && message[..message.IndexOf(" / ")].Any(c => c > '\u3000'), message);
            return message;
        }

        // A registered company's base is its company legal number, whose registry office code is never 0000.
        Assert.Contains("登記所コード", await Refused(Body("301", 12_000_001)));
        Assert.Contains("登記所コード", await Refused(Body("399", 99_000_001)));
        // A national body's base starts 000012, and only a national body's does.
        Assert.Contains("000012", await Refused(Body("101", 0100_01_000001)));
        Assert.Contains("000012", await Refused(Body("499", 12_050_002)));
        // Another body's base is not under 0000, the series of national bodies and local governments.
        Assert.Contains("0000", await Refused(Body("499", 0)));
        Assert.Contains("0000", await Refused(Body("401", 99_000_001)));
        Assert.Equal(0, (await Publication.GetAsync(host.Client(), $"/4/diff?id=sandbox&type=22&{AroundToday()}")).Count);

        // Each kind in its own series is taken.
        Assert.Equal(CorporateNumber.FromBase(12_900_123).Digits, await RegisterAsync(admin, Body("101", 12_900_123)));
        Assert.Equal(CorporateNumber.FromBase(0100_01_000001).Digits, await RegisterAsync(admin, Body("301", 0100_01_000001)));
        Assert.Equal(CorporateNumber.FromBase(7000_05_000124).Digits, await RegisterAsync(admin, Body("499", 7000_05_000124)));
    }

    [Theory, StorageData]
    public async Task The_registers_own_series_go_round_numbers_registered_as_assigned(StorageProvider provider)
    {
        await using var host = await RegistryHost.StartAsync(provider, RealRegister);
        var admin = host.Client("corporations");

        // The next national body the register numbers would be 000012900001, and the next other body 990000000001.
        var national = CorporateNumber.FromBase(12_900_001).Digits;
        await RegisterAsync(admin, new
        {
            name = "連携庁", furigana = "レンケイチョウ", kind = "101", corporateNumber = national, assignmentDate = "2024-04-01",
            address = new { localGovernmentCode = "131016", cityName = "千代田区", streetNumber = "霞が関１丁目" },
        });
        var other = CorporateNumber.FromBase(990000_000001).Digits;
        await RegisterAsync(admin, new
        {
            name = "連携会", furigana = "レンケイカイ", kind = "499", corporateNumber = other, assignmentDate = "2024-04-01",
            address = new { localGovernmentCode = "12100", streetNumber = "中央1-1" },
        });

        Assert.Equal(CorporateNumber.FromBase(12_900_002).Digits, await RegisterAsync(admin, Company("試験庁", "シケンチョウ", kind: "101")));
        Assert.Equal(CorporateNumber.FromBase(990000_000002).Digits, await RegisterAsync(admin, Company("試験会", "シケンカイ", kind: "499")));

        // A batch that names one number twice writes neither.
        var twice = CorporateNumber.FromBase(12_050_010).Digits;
        var (status, type, _) = await Publication.PostForProblemAsync(admin, "/api/corporations/batch", new
        {
            corporations = new[] { Nta(twice), Nta(twice) },
        });
        Assert.Equal((HttpStatusCode.Conflict, "urn:renkei:problem:corporation-exists"), (status, type));
        Assert.Equal(4, (await Publication.GetAsync(host.Client(), $"/4/diff?id=sandbox&type=22&{AroundToday()}")).Count);
    }
}
