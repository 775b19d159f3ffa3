using System.Data.Common;
using Renkei.Hosting.Storage;
using Renkei.Numbers;

namespace Renkei.Registry.Municipalities;

public sealed record Municipality(LocalGovernmentCode Code, string Prefecture, string Name, string NameKana, IReadOnlyList<string> Towns)
{
    public string FullName => Prefecture + Name;
}

/// <summary>The municipalities the seeds name, with their real codes (check digits computed) and a few real town names.</summary>
public static class DemoMunicipalities
{
    public static readonly IReadOnlyList<Municipality> All =
    [
        new(LocalGovernmentCode.FromFiveDigits(12100), "千葉県", "千葉市", "チバシ", ["中央区中央", "中央区富士見", "花見川区幕張町", "稲毛区穴川", "美浜区打瀬", "若葉区桜木"]),
        new(LocalGovernmentCode.FromFiveDigits(12217), "千葉県", "柏市", "カシワシ", ["柏", "旭町", "豊四季", "松葉町", "柏の葉"]),
        new(LocalGovernmentCode.FromFiveDigits(12203), "千葉県", "市川市", "イチカワシ", ["八幡", "市川", "行徳駅前", "南八幡", "国府台"]),
        new(LocalGovernmentCode.FromFiveDigits(10201), "群馬県", "前橋市", "マエバシシ", ["大手町", "本町", "千代田町", "南町", "天川大島町"]),
        new(LocalGovernmentCode.FromFiveDigits(4202), "宮城県", "石巻市", "イシノマキシ", ["穀町", "中央", "蛇田", "門脇町", "渡波"]),
        new(LocalGovernmentCode.FromFiveDigits(13105), "東京都", "文京区", "ブンキョウク", ["春日", "本郷", "小石川", "千駄木", "湯島"]),
        new(LocalGovernmentCode.FromFiveDigits(13116), "東京都", "豊島区", "トシマク", ["南池袋", "西池袋", "東池袋", "目白", "巣鴨"]),
        new(LocalGovernmentCode.FromFiveDigits(6204), "山形県", "酒田市", "サカタシ", ["本町", "中町", "東町", "若浜町", "亀ケ崎"]),
        new(LocalGovernmentCode.FromFiveDigits(44202), "大分県", "別府市", "ベップシ", ["上野口町", "北浜", "南立石", "石垣東", "鉄輪"]),
        new(LocalGovernmentCode.FromFiveDigits(20203), "長野県", "須坂市", "スザカシ", ["須坂", "墨坂", "旭ケ丘", "小山", "日滝"]),
        new(LocalGovernmentCode.FromFiveDigits(16210), "富山県", "南砺市", "ナントシ", ["苗島", "福光", "城端", "井波", "福野"]),
        new(LocalGovernmentCode.FromFiveDigits(24214), "三重県", "いなべ市", "イナベシ", ["北勢町阿下喜", "員弁町笠田新田", "大安町大井田", "藤原町市場"]),
        new(LocalGovernmentCode.FromFiveDigits(36388), "徳島県", "美波町", "ミナミチョウ", ["奥河内", "日和佐浦", "北河内", "由岐"]),
        new(LocalGovernmentCode.FromFiveDigits(31389), "鳥取県", "南部町", "ナンブチョウ", ["法勝寺", "天萬", "阿賀", "御内谷"]),
    ];

    public static Municipality? Find(LocalGovernmentCode code) => All.FirstOrDefault(m => m.Code == code);
}

/// <summary>The prefectures by their codes (JIS X 0401, the first two digits of a Local Government Code).</summary>
public static class Prefectures
{
    private static readonly string[] Names =
    [
        "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県",
        "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県",
        "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
        "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
    ];

    /// <summary>The name of prefecture 01–47 (a parsed code has no other).</summary>
    public static string NameOf(LocalGovernmentCode code) => Names[code.PrefectureCode - 1];
}

/// <summary>A municipality as the municipalities table keeps it.</summary>
public sealed record MunicipalityRow(string Code, string Prefecture, string Name, string NameKana, long Residents);

/// <summary>The municipalities table. Rows are added and renamed, never deleted: residents, households and events name them.</summary>
public static class MunicipalityStore
{
    /// <summary>The advisory-lock key that orders writers of the municipalities table.</summary>
    public const long WriteLock = 0x4D_55_4E_49; // "MUNI"

    private const string Select =
        "SELECT m.code, m.prefecture, m.name, m.name_kana, (SELECT COUNT(*) FROM residents r WHERE r.municipality_code = m.code AND r.status = 'Resident') " +
        "FROM municipalities m";

    public static async Task EnsureAsync(Database database, IEnumerable<Municipality> municipalities)
    {
        await using var c = await database.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        foreach (var m in municipalities)
            await c.ExecuteAsync("INSERT INTO municipalities (code, prefecture, name, name_kana) VALUES (@c, @p, @n, @k) ON CONFLICT (code) DO NOTHING",
                tx, ("c", m.Code.Digits), ("p", m.Prefecture), ("n", m.Name), ("k", m.NameKana));
        await tx.CommitAsync();
    }

    public static async Task<List<MunicipalityRow>> ListAsync(Database database)
    {
        await using var c = await database.OpenAsync();
        return await c.QueryAsync(Select + " ORDER BY m.code", Read);
    }

    public static async Task<MunicipalityRow?> FindAsync(Database database, LocalGovernmentCode code)
    {
        await using var c = await database.OpenAsync();
        return await FindAsync(c, null, code);
    }

    /// <summary>
    /// Adds the municipality, or gives an existing one these names (a renamed municipality); true when it was added.
    /// Names already as given are left as they are, so that sending the same registration again changes nothing.
    /// </summary>
    public static async Task<(MunicipalityRow Row, bool Created)> PutAsync(Database database, LocalGovernmentCode code, string prefecture, string name, string nameKana)
    {
        await using var c = await database.OpenAsync();
        await using var tx = await database.BeginSerializedAsync(c, WriteLock);
        var existing = await FindAsync(c, tx, code);
        if (existing is null)
            await c.ExecuteAsync("INSERT INTO municipalities (code, prefecture, name, name_kana) VALUES (@c, @p, @n, @k)",
                tx, ("c", code.Digits), ("p", prefecture), ("n", name), ("k", nameKana));
        else if ((existing.Prefecture, existing.Name, existing.NameKana) != (prefecture, name, nameKana))
            await c.ExecuteAsync("UPDATE municipalities SET prefecture = @p, name = @n, name_kana = @k WHERE code = @c",
                tx, ("c", code.Digits), ("p", prefecture), ("n", name), ("k", nameKana));
        await tx.CommitAsync();
        // What was written, without counting the residents again: a municipality just added has none (a resident is recorded only
        // in a municipality on the register).
        return (existing is null ? new MunicipalityRow(code.Digits, prefecture, name, nameKana, 0)
            : existing with { Prefecture = prefecture, Name = name, NameKana = nameKana }, existing is null);
    }

    private static async Task<MunicipalityRow?> FindAsync(DbConnection c, DbTransaction? tx, LocalGovernmentCode code) =>
        (await c.QueryAsync(Select + " WHERE m.code = @c", Read, tx, ("c", code.Digits))).SingleOrDefault();

    private static MunicipalityRow Read(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), Convert.ToInt64(r.GetValue(4), System.Globalization.CultureInfo.InvariantCulture));
}
