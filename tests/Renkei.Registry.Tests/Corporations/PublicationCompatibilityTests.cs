using System.Net;
using Renkei.Hosting.Storage;
using Renkei.Testing;
using static Renkei.Registry.Tests.Corporations.CorporateNumberSearchTests;

namespace Renkei.Registry.Tests.Corporations;

/// <summary>Where an NTA client, written to the Web-API v4 specification, must not notice it talks to Renkei.</summary>
public sealed class PublicationCompatibilityTests
{
    [Theory, StorageData]
    public async Task Type_01_keeps_to_jis_levels_1_and_2_so_any_shift_jis_decoder_reads_it(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        // 〜 − ‖ are JIS X 0208 (row 1); 髙 (IBM) and ① (NEC) are code page 932's own; 𠮷 is beyond both.
        var number = await RegisterAsync(host.Client("corporations"), Company("株式会社〜−‖髙①𠮷", "カブシキガイシャテスト"));
        var bytes = await host.Client().GetByteArrayAsync($"/4/num?id=sandbox&type=01&number={number}");

        // No byte of 932's extensions (lead bytes 87, ED–EE, FA–FC) or user-defined area (F0–F9): walk the double-byte codes.
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            if (b < 0x80 || b is >= 0xA1 and <= 0xDF) continue;
            Assert.True(b is (>= 0x81 and <= 0x84) or (>= 0x88 and <= 0x9F) or (>= 0xE0 and <= 0xEA), $"lead byte {b:X2} at {i}");
            i++;
        }
        // The JIS X 0208 codes of 〜 (81 60), − (81 7C) and ‖ (81 61), then 〓 (81 AC) for each of the three others.
        Assert.True(bytes.AsSpan().IndexOf(new byte[] { 0x81, 0x60, 0x81, 0x7C, 0x81, 0x61, 0x81, 0xAC, 0x81, 0xAC, 0x81, 0xAC }) > 0);
        Assert.Contains("株式会社～－∥〓〓〓", Publication.ShiftJis.GetString(bytes)); // as a Windows (932) reader shows it

        // The same in an error body of type 01.
        var (status, code, message) = await Publication.RefusalAsync(host.Client(), "/4/diff?id=sandbox&type=01&from=2018-04-20&to=2018-04-01");
        Assert.Equal((HttpStatusCode.BadRequest, "063"), (status, code));
        Assert.Contains("終了日", message);
    }

    [Theory, StorageData]
    public async Task Address_99_selects_the_corporations_located_abroad(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var admin = host.Client("corporations");
        var abroad = await RegisterAsync(admin, new
        {
            name = "レンケイ・インク", furigana = "レンケイインク", kind = "401", enName = "Renkei Inc.",
            address = new { addressOutside = "アメリカ合衆国デラウェア州", enAddressOutside = "Delaware, United States" },
        });
        var home = await RegisterAsync(admin, Company("レンケイ商事株式会社", "レンケイショウジ"));
        var client = host.Client();

        var byName = await Publication.GetAsync(client, "/4/name?id=sandbox&type=02&address=99&name=" + Uri.EscapeDataString("レンケイ"));
        Assert.Equal([abroad], byName.Records.Select(r => r["corporateNumber"]));
        Assert.Equal("アメリカ合衆国デラウェア州", byName.Records[0]["addressOutside"]);
        var byDate = await Publication.GetAsync(client, $"/4/diff?id=sandbox&type=12&address=99&{AroundToday()}");
        Assert.Equal([abroad], byDate.Records.Select(r => r["corporateNumber"]));
        var inTokyo = await Publication.GetAsync(client, "/4/name?id=sandbox&type=02&address=13&name=" + Uri.EscapeDataString("レンケイ"));
        Assert.Equal([home], inTokyo.Records.Select(r => r["corporateNumber"]));

        foreach (var wrong in new[] { "00", "48", "98", "99105" })
        {
            var (status, code, _) = await Publication.RefusalAsync(client, "/4/name?id=sandbox&type=02&name=a&address=" + wrong);
            Assert.Equal((HttpStatusCode.BadRequest, "080"), (status, code));
        }
    }

    [Theory, StorageData]
    public async Task A_name_is_counted_in_characters_and_an_exact_partial_search_keeps_case_on_both_storages(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var number = await RegisterAsync(host.Client("corporations"), Company("株式会社Ａ＆Ｂ Xyz", "エーアンドビー"));
        var client = host.Client();

        // 100 characters beyond the BMP (two UTF-16 units each) are 100, not 200, of the 150 allowed.
        var wide = await Publication.GetAsync(client, "/4/name?id=sandbox&type=02&name=" + Uri.EscapeDataString(string.Concat(Enumerable.Repeat("𠮷", 100))));
        Assert.Equal(0, wide.Count);
        var (status, code, _) = await Publication.RefusalAsync(client, "/4/name?id=sandbox&type=02&name=" + Uri.EscapeDataString(string.Concat(Enumerable.Repeat("𠮷", 151))));
        Assert.Equal((HttpStatusCode.BadRequest, "101"), (status, code));

        // target=2 matches the name as written: "x" is not "X", a one-character query as much as a longer one.
        string Exact(string name) => "/4/name?id=sandbox&type=02&mode=2&target=2&name=" + Uri.EscapeDataString(name);
        Assert.Equal([number], (await Publication.GetAsync(client, Exact("X"))).Records.Select(r => r["corporateNumber"]));
        Assert.Equal([number], (await Publication.GetAsync(client, Exact("Xyz"))).Records.Select(r => r["corporateNumber"]));
        Assert.Equal(0, (await Publication.GetAsync(client, Exact("x"))).Count);
        Assert.Equal(0, (await Publication.GetAsync(client, Exact("xyz"))).Count);
        // Fuzzy search (target=1) still folds case.
        Assert.Contains(number, (await Publication.GetAsync(client, "/4/name?id=sandbox&type=02&mode=2&name=xyz")).Records.Select(r => r["corporateNumber"]));
    }

    [Theory, StorageData]
    public async Task Control_characters_anywhere_in_the_query_are_refused_and_errors_never_repeat_an_individual_number(StorageProvider provider)
    {
        using var host = RegistryHost.Start(provider);
        var client = host.Client();
        const string Nta = "7000012050002";

        foreach (var query in new[] { "id=%00", "id=x%01", "id=x&foo=%00", "id=x&from=%0D%0A000,OK" })
        {
            var (status, code, message) = await Publication.RefusalAsync(client, $"/4/num?type=02&number={Nta}&{query}");
            Assert.Equal((HttpStatusCode.BadRequest, "002"), (status, code));
            Assert.Contains("制御文字", message);
            Assert.DoesNotContain("\n", message);
        }

        // A 12-digit number typed where a Corporate Number goes: masked in the text body and in the JSON problem's every field.
        var (_, _, text) = await Publication.RefusalAsync(client, "/4/num?id=x&type=02&number=123456789018");
        Assert.DoesNotContain("123456789018", text);
        Assert.Contains("************", text);
        using var json = await client.GetAsync("/4/num?id=x&type=22&number=123456789018&address=123456789018");
        var body = await json.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        Assert.DoesNotContain("123456789018", body);
    }
}
