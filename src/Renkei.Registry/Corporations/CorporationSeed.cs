using System.Data.Common;
using System.Globalization;
using System.Text;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Municipalities;

namespace Renkei.Registry.Corporations;

/// <summary>
/// The register's starting content: the National Tax Agency's own record as it publishes it, the
/// demo municipalities as local governments, and about 190 synthetic corporations (the same on
/// every start: a fixed random seed) with name and address changes, closures, a merger and one
/// record excluded from search. Synthetic companies are numbered under registry-office codes
/// starting 99, which no real office has.
/// </summary>
public static class CorporationSeed
{
    public const string NationalTaxAgency = "7000012050002";

    public const int SyntheticCount = 186;

    /// <summary>
    /// Writes the seed once, all or nothing; does nothing when the NTA's record is there. Without <paramref name="demoData"/>
    /// (a real register) it writes no record, only where new national bodies' numbers start.
    /// </summary>
    public static async Task EnsureAsync(Database database, bool demoData = true)
    {
        await using var c = await database.OpenAsync();
        if (await CorporationStore.ExistsAsync(c, NationalTaxAgency)) return;
        await using var tx = await database.BeginSerializedAsync(c, CorporationStore.WriteLock);
        // New national bodies are numbered well above the real ones, which a real register holds too.
        await c.ExecuteAsync("INSERT INTO corporate_number_series (prefix, last_serial) VALUES ('000012', 900000) ON CONFLICT (prefix) DO NOTHING", tx);
        if (!demoData || await CorporationStore.ExistsAsync(c, NationalTaxAgency, tx))
        {
            await tx.CommitAsync();
            return;
        }
        var now = DateTime.UtcNow;
        await CorporationStore.AppendAsync(c, tx, new CorporationRecord
        {
            CorporateNumber = NationalTaxAgency, Process = ProcessCodes.New, Correct = "1", UpdateDate = "2018-04-02", ChangeDate = "2015-10-05",
            Name = "国税庁", Kind = "101", PrefectureName = "東京都", CityName = "千代田区", StreetNumber = "霞が関３丁目１－１",
            PrefectureCode = "13", CityCode = "101", PostCode = "1000013", AssignmentDate = "2015-10-05", EnName = "National Tax Agency",
            Furigana = "コクゼイチョウ",
        }, now);
        foreach (var m in DemoMunicipalities.All)
        {
            // A register that ran without demo data may have had a demo municipality's local government registered by hand.
            var number = CorporateNumber.FromBase(20_000_000 + long.Parse(m.Code.Digits, CultureInfo.InvariantCulture)).Digits;
            if (await CorporationStore.ExistsAsync(c, number, tx)) continue;
            await CorporationStore.AppendAsync(c, tx, new CorporationRecord
            {
                CorporateNumber = number,
                Process = ProcessCodes.New, UpdateDate = "2015-10-05", ChangeDate = "2015-10-05", Name = m.Name, Kind = "201",
                PrefectureName = m.Prefecture, CityName = m.Name, StreetNumber = m.Towns[0], PrefectureCode = m.Code.Digits[..2],
                CityCode = m.Code.Digits[2..5], AssignmentDate = "2015-10-05", Furigana = m.NameKana,
            }, now);
        }
        foreach (var history in await SyntheticAsync(c, tx))
            foreach (var record in history) await CorporationStore.AppendAsync(c, tx, record, now);
        await tx.CommitAsync();
    }

    private static readonly (string Kanji, string Kana, string Romaji)[] Heads =
    [
        ("青葉", "アオバ", "Aoba"), ("桜", "サクラ", "Sakura"), ("富士", "フジ", "Fuji"), ("大和", "ヤマト", "Yamato"),
        ("北斗", "ホクト", "Hokuto"), ("光", "ヒカリ", "Hikari"), ("港", "ミナト", "Minato"), ("朝日", "アサヒ", "Asahi"),
        ("若葉", "ワカバ", "Wakaba"), ("松風", "マツカゼ", "Matsukaze"), ("白鷺", "シラサギ", "Shirasagi"), ("翠", "ミドリ", "Midori"),
        ("菊水", "キクスイ", "Kikusui"), ("千歳", "チトセ", "Chitose"), ("双葉", "フタバ", "Futaba"), ("日向", "ヒナタ", "Hinata"),
        ("浜風", "ハマカゼ", "Hamakaze"), ("山吹", "ヤマブキ", "Yamabuki"), ("東雲", "シノノメ", "Shinonome"), ("銀河", "ギンガ", "Ginga"),
    ];

    private static readonly (string Kanji, string Kana, string Romaji)[] Trades =
    [
        ("商事", "ショウジ", "Shoji"), ("建設", "ケンセツ", "Kensetsu"), ("物産", "ブッサン", "Bussan"), ("食品", "ショクヒン", "Foods"),
        ("電機", "デンキ", "Denki"), ("運輸", "ウンユ", "Transport"), ("製作所", "セイサクショ", "Works"), ("不動産", "フドウサン", "Real Estate"),
        ("工業", "コウギョウ", "Industries"), ("薬局", "ヤッキョク", "Pharmacy"), ("農園", "ノウエン", "Farm"), ("印刷", "インサツ", "Printing"),
        ("技研", "ギケン", "Giken"), ("観光", "カンコウ", "Tourism"), ("酒造", "シュゾウ", "Brewery"),
    ];

    private static readonly DateOnly LastSeedDay = new(2025, 12, 26);

    /// <summary>The synthetic corporations, each as its records oldest first.</summary>
    private static async Task<List<List<CorporationRecord>>> SyntheticAsync(DbConnection c, DbTransaction tx)
    {
        var random = new Random(20151005);
        var combos = Heads.SelectMany(h => Trades.Select(t => (h, t))).OrderBy(_ => random.Next()).Take(SyntheticCount).ToList();
        var all = new List<List<CorporationRecord>>(combos.Count);
        for (var i = 0; i < combos.Count; i++)
        {
            var (head, trade) = combos[i];
            var m = DemoMunicipalities.All[i % DemoMunicipalities.All.Count];
            var roll = random.Next(100);
            var kind = roll switch { < 55 => "301", < 65 => "302", < 80 => "305", < 84 => "303", < 88 => "304", < 96 => "399", _ => "499" };
            var body = head.Kanji + trade.Kanji;
            var (name, enName) = kind switch
            {
                "301" when i % 2 == 0 => ("株式会社" + body, $"{head.Romaji} {trade.Romaji} Co., Ltd."),
                "301" => (body + "株式会社", ""),
                "302" => ("有限会社" + body, ""),
                "303" => ("合名会社" + body, ""),
                "304" => ("合資会社" + body, ""),
                "305" => (body + "合同会社", $"{head.Romaji} {trade.Romaji} LLC"),
                "399" => ("一般社団法人" + body + "協会", ""),
                _ => (body + "振興会", ""),
            };
            var furigana = head.Kana + trade.Kana + (kind == "399" ? "キョウカイ" : kind == "499" ? "シンコウカイ" : "");
            // Corporation 11 (the one excluded from search) is among the first day's, so tests know where to look.
            var assigned = i == 11 || random.Next(100) < 60 ? new DateOnly(2015, 10, 5) : new DateOnly(2015, 10, 6).AddDays(random.Next(3600));
            var org = kind switch { "301" => "01", "302" => "02", "399" => "04", "499" => "", _ => "03" };
            var prefix = org.Length == 0 ? "990000" : "99" + m.Code.Digits[..2] + org;
            var serial = await CorporationStore.NextSerialAsync(c, tx, prefix);
            var number = CorporateNumber.FromBase(long.Parse(prefix, CultureInfo.InvariantCulture) * 1_000_000 + serial).Digits;
            var first = new CorporationRecord
            {
                CorporateNumber = number, Process = ProcessCodes.New, UpdateDate = Text(Min(assigned.AddDays(random.Next(3)), LastSeedDay)),
                ChangeDate = Text(assigned), Name = name, Kind = kind, PrefectureName = m.Prefecture, CityName = m.Name,
                StreetNumber = Street(m, random), PrefectureCode = m.Code.Digits[..2], CityCode = m.Code.Digits[2..5],
                AssignmentDate = Text(assigned), EnName = enName, Furigana = furigana, Hihyoji = i == 11,
            };
            var records = new List<CorporationRecord> { first };
            var day = assigned;
            CorporationRecord Next(string process, Func<CorporationRecord, CorporationRecord> change)
            {
                day = Min(day.AddDays(30 + random.Next(700)), LastSeedDay);
                var last = records[^1];
                var next = change(last with { Version = last.Version + 1, Process = process, Correct = "0", ChangeDate = Text(day), UpdateDate = Text(Min(day.AddDays(2), LastSeedDay)), ChangeCause = "" });
                records.Add(next);
                return next;
            }
            if (i % 6 == 1)
                Next(ProcessCodes.NameChange, r => r with
                {
                    Name = r.Name.Replace(trade.Kanji, "ホールディングス"), Furigana = head.Kana + "ホールディングス",
                    EnName = r.EnName.Length > 0 ? r.EnName.Replace(trade.Romaji, "Holdings") : "",
                });
            if (i % 7 == 2)
            {
                var to = DemoMunicipalities.All[(i * 5 + 3) % DemoMunicipalities.All.Count];
                Next(ProcessCodes.DomesticAddressChange, r => r with
                {
                    PrefectureName = to.Prefecture, CityName = to.Name, StreetNumber = Street(to, random),
                    PrefectureCode = to.Code.Digits[..2], CityCode = to.Code.Digits[2..5],
                });
            }
            if (i % 15 == 3) Next(ProcessCodes.RegistryClosed, r => r with { CloseDate = Text(day), CloseCause = CloseCauses.LiquidationCompleted });
            if (i % 50 == 7)
            {
                Next(ProcessCodes.RegistryClosed, r => r with { CloseDate = Text(day), CloseCause = CloseCauses.ClosedByRegistrar });
                Next(ProcessCodes.RegistryRestored, r => r with { CloseDate = "", CloseCause = "" });
            }
            if (i % 40 == 5 && all.Count > 0)
            {
                var successor = all[0][^1].CorporateNumber;
                Next(ProcessCodes.AbsorbedByMerger, r => r with { CloseDate = Text(day), CloseCause = CloseCauses.DissolvedByMerger, SuccessorCorporateNumber = successor });
            }
            if (i == 44) Next(ProcessCodes.Deleted, r => r with { CloseDate = r.CloseDate.Length > 0 ? r.CloseDate : Text(day) });
            for (var v = 0; v < records.Count; v++) records[v] = records[v] with { Version = v + 1, Latest = v == records.Count - 1 };
            all.Add(records);
        }
        return all;
    }

    private static string Street(Municipality m, Random random) =>
        FullWidth($"{m.Towns[random.Next(m.Towns.Count)]}{random.Next(1, 6)}丁目{random.Next(1, 30)}番{random.Next(1, 20)}号");

    /// <summary>Addresses as the NTA publishes them: full-width digits.</summary>
    private static string FullWidth(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var ch in text) sb.Append(ch is >= '0' and <= '9' ? (char)(ch - '0' + '０') : ch);
        return sb.ToString();
    }

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;

    private static string Text(DateOnly d) => CorporationText.ToText(d);
}
