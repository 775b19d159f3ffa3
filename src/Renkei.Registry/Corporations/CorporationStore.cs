using System.Data.Common;
using System.Globalization;
using System.Text;
using Renkei.Hosting.Storage;
using Renkei.Registry.Residents;

namespace Renkei.Registry.Corporations;

/// <summary>What the name search (/4/name) asks for, already validated.</summary>
public sealed record NameQuery(
    string Name, bool Prefix, int Target, string? PrefectureCode, string? CityCode, IReadOnlyList<string> KindGroups,
    bool IncludeFormerNames, bool IncludeClosed, DateOnly? AssignedFrom, DateOnly? AssignedTo);

/// <summary>The SQL of corporation records (the same for SQLite and PostgreSQL).</summary>
public static class CorporationStore
{
    /// <summary>Corporations' writers take this lock so that numbers and the latest flag stay consistent.</summary>
    public const long WriteLock = 0x436F7270; // "Corp"

    private const string Columns =
        "record_id, version, corporate_number, process, correct, update_date, change_date, name, name_image_id, kind, " +
        "prefecture_name, city_name, street_number, address_image_id, prefecture_code, city_code, post_code, address_outside, " +
        "address_outside_image_id, close_date, close_cause, successor_corporate_number, change_cause, assignment_date, latest, " +
        "en_name, en_prefecture_name, en_city_name, en_address_outside, furigana, hihyoji";

    private static string Prefixed(string alias) => string.Join(", ", Columns.Split(", ").Select(c => $"{alias}.{c}"));

    private static CorporationRecord Read(DbDataReader r) => new()
    {
        RecordId = Convert.ToInt64(r.GetValue(0), CultureInfo.InvariantCulture),
        Version = Convert.ToInt32(r.GetValue(1), CultureInfo.InvariantCulture),
        CorporateNumber = r.GetString(2), Process = r.GetString(3), Correct = r.GetString(4), UpdateDate = r.GetString(5),
        ChangeDate = r.GetString(6), Name = r.GetString(7), NameImageId = r.GetString(8), Kind = r.GetString(9),
        PrefectureName = r.GetString(10), CityName = r.GetString(11), StreetNumber = r.GetString(12), AddressImageId = r.GetString(13),
        PrefectureCode = r.GetString(14), CityCode = r.GetString(15), PostCode = r.GetString(16), AddressOutside = r.GetString(17),
        AddressOutsideImageId = r.GetString(18), CloseDate = r.GetString(19), CloseCause = r.GetString(20),
        SuccessorCorporateNumber = r.GetString(21), ChangeCause = r.GetString(22), AssignmentDate = r.GetString(23),
        Latest = Convert.ToInt32(r.GetValue(24), CultureInfo.InvariantCulture) == 1, EnName = r.GetString(25),
        EnPrefectureName = r.GetString(26), EnCityName = r.GetString(27), EnAddressOutside = r.GetString(28),
        Furigana = r.GetString(29), Hihyoji = Convert.ToInt32(r.GetValue(30), CultureInfo.InvariantCulture) == 1,
    };

    public static async Task<CorporationRecord?> LatestAsync(DbConnection c, string corporateNumber, DbTransaction? tx = null) =>
        (await c.QueryAsync($"SELECT {Columns} FROM corporation_records WHERE corporate_number = @n AND latest = 1", Read, tx,
            ("n", corporateNumber))).FirstOrDefault();

    public static Task<List<CorporationRecord>> HistoryAsync(DbConnection c, string corporateNumber, DbTransaction? tx = null) =>
        c.QueryAsync($"SELECT {Columns} FROM corporation_records WHERE corporate_number = @n ORDER BY version", Read, tx,
            ("n", corporateNumber));

    public static async Task<bool> ExistsAsync(DbConnection c, string corporateNumber, DbTransaction? tx = null) =>
        await c.ScalarAsync<long>("SELECT COUNT(*) FROM corporation_records WHERE corporate_number = @n", tx, ("n", corporateNumber)) > 0;

    /// <summary>The next serial under a six-digit base prefix (1, 2, …), never given twice.</summary>
    public static async Task<long> NextSerialAsync(DbConnection c, DbTransaction tx, string prefix) =>
        await c.ScalarAsync<long>(
            "INSERT INTO corporate_number_series (prefix, last_serial) VALUES (@p, 1) " +
            "ON CONFLICT (prefix) DO UPDATE SET last_serial = corporate_number_series.last_serial + 1 RETURNING last_serial",
            tx, ("p", prefix));

    /// <summary>Writes a record as the corporation's newest: the previous newest loses its flag.</summary>
    public static async Task<CorporationRecord> AppendAsync(DbConnection c, DbTransaction tx, CorporationRecord record, DateTime now)
    {
        await c.ExecuteAsync("UPDATE corporation_records SET latest = 0 WHERE corporate_number = @n AND latest = 1", tx,
            ("n", record.CorporateNumber));
        var nameKey = CorporationText.Fold(record.Name);
        var furiganaKey = CorporationText.Fold(record.Furigana);
        var enKey = CorporationText.FoldEnglish(record.EnName);
        var id = await c.ScalarAsync<long>(
            $"INSERT INTO corporation_records ({Columns[(Columns.IndexOf(',') + 2)..]}, name_key, furigana_key, en_key, recorded_at) VALUES " +
            "(@version, @n, @process, @correct, @upd, @chg, @name, @nimg, @kind, @pref, @city, @street, @aimg, @pc, @cc, @post, @out, @oimg, " +
            "@close, @cause, @succ, @ccause, @assigned, 1, @en, @enpref, @encity, @enout, @furi, @hihyoji, @nk, @fk, @ek, @at) RETURNING record_id",
            tx, ("version", record.Version), ("n", record.CorporateNumber), ("process", record.Process), ("correct", record.Correct),
            ("upd", record.UpdateDate), ("chg", record.ChangeDate), ("name", record.Name), ("nimg", record.NameImageId), ("kind", record.Kind),
            ("pref", record.PrefectureName), ("city", record.CityName), ("street", record.StreetNumber), ("aimg", record.AddressImageId),
            ("pc", record.PrefectureCode), ("cc", record.CityCode), ("post", record.PostCode), ("out", record.AddressOutside),
            ("oimg", record.AddressOutsideImageId), ("close", record.CloseDate), ("cause", record.CloseCause),
            ("succ", record.SuccessorCorporateNumber), ("ccause", record.ChangeCause), ("assigned", record.AssignmentDate),
            ("en", record.EnName), ("enpref", record.EnPrefectureName), ("encity", record.EnCityName), ("enout", record.EnAddressOutside),
            ("furi", record.Furigana), ("hihyoji", record.Hihyoji ? 1 : 0), ("nk", nameKey), ("fk", furiganaKey), ("ek", enKey),
            ("at", RegisterText.ToText(now)));
        // One statement per record: the grams are distinct already.
        var grams = CorporationText.Grams(nameKey, furiganaKey, enKey, record.Name).ToList();
        if (grams.Count > 0)
            await c.ExecuteAsync("INSERT INTO corporation_name_grams (gram, record_id) VALUES " +
                string.Join(", ", grams.Select((_, i) => $"(@g{i}, @r)")), tx,
                [("r", id), .. grams.Select((g, i) => ($"g{i}", (object?)g))]);
        return record with { RecordId = id, Latest = true };
    }

    /// <summary>The date of the newest record: the data's last update (lastUpdateDate).</summary>
    public static async Task<string> LastUpdateDateAsync(DbConnection c) =>
        await c.ScalarAsync<string>("SELECT MAX(update_date) FROM corporation_records") ?? "";

    /// <summary>/4/num: the records of the given numbers, in the order asked, newest only or every record.</summary>
    public static async Task<List<CorporationRecord>> ByNumbersAsync(DbConnection c, IReadOnlyList<string> numbers, bool history)
    {
        var parameters = numbers.Select((n, i) => ($"n{i}", (object?)n)).ToArray();
        var rows = await c.QueryAsync(
            $"SELECT {Columns} FROM corporation_records WHERE corporate_number IN ({string.Join(", ", parameters.Select(p => "@" + p.Item1))})" +
            (history ? "" : " AND latest = 1") + " ORDER BY version", Read, null, parameters);
        return numbers.SelectMany(n => rows.Where(r => r.CorporateNumber == n)).ToList();
    }

    /// <summary>/4/diff: every record published (updateDate) in the window, oldest first.</summary>
    public static async Task<(long Count, List<CorporationRecord> Page)> ByUpdateDateAsync(
        DbConnection c, DateOnly from, DateOnly to, string? prefectureCode, string? cityCode, IReadOnlyList<string> kindGroups, int offset, int limit)
    {
        var where = new StringBuilder("r.update_date >= @from AND r.update_date <= @to");
        var parameters = new List<(string, object?)> { ("from", CorporationText.ToText(from)), ("to", CorporationText.ToText(to)) };
        AddPlaceAndKind(where, parameters, prefectureCode, cityCode, kindGroups);
        var count = await c.ScalarAsync<long>($"SELECT COUNT(*) FROM corporation_records r WHERE {where}", null, [.. parameters]);
        parameters.Add(("limit", limit));
        parameters.Add(("offset", offset));
        var page = await c.QueryAsync($"SELECT {Prefixed("r")} FROM corporation_records r WHERE {where} ORDER BY r.update_date, r.record_id " +
            "LIMIT @limit OFFSET @offset", Read, null, [.. parameters]);
        return (count, page);
    }

    /// <summary>
    /// /4/name: the newest record of each corporation whose name matches (or, with former names,
    /// whose name ever matched). Records marked hihyoji are never found by name.
    /// </summary>
    public static async Task<(long Count, List<CorporationRecord> Page)> ByNameAsync(DbConnection c, NameQuery q, int offset, int limit)
    {
        var parameters = new List<(string, object?)>();
        var match = NameMatch(q.IncludeFormerNames ? "h" : "r", q, parameters, c is Npgsql.NpgsqlConnection);
        var where = new StringBuilder("r.latest = 1 AND r.hihyoji = 0");
        where.Append(q.IncludeFormerNames
            ? $" AND EXISTS (SELECT 1 FROM corporation_records h WHERE h.corporate_number = r.corporate_number AND h.hihyoji = 0 AND {match})"
            : $" AND {match}");
        if (!q.IncludeClosed) where.Append(" AND r.close_date = ''");
        if (q.AssignedFrom is { } f) { where.Append(" AND r.assignment_date >= @af"); parameters.Add(("af", CorporationText.ToText(f))); }
        if (q.AssignedTo is { } t) { where.Append(" AND r.assignment_date <= @at"); parameters.Add(("at", CorporationText.ToText(t))); }
        AddPlaceAndKind(where, parameters, q.PrefectureCode, q.CityCode, q.KindGroups);
        var count = await c.ScalarAsync<long>($"SELECT COUNT(*) FROM corporation_records r WHERE {where}", null, [.. parameters]);
        parameters.Add(("limit", limit));
        parameters.Add(("offset", offset));
        var order = q.Target == 3 ? "r.en_key" : q.Target == 2 ? "r.name" : "r.furigana_key, r.name_key";
        var page = await c.QueryAsync($"SELECT {Prefixed("r")} FROM corporation_records r WHERE {where} ORDER BY {order}, r.corporate_number " +
            "LIMIT @limit OFFSET @offset", Read, null, [.. parameters]);
        return (count, page);
    }

    /// <summary>
    /// The name condition on alias <paramref name="a"/>. Prefix search is a range on an indexed key;
    /// partial search narrows by the two-character index, then checks the whole text.
    /// </summary>
    private static string NameMatch(string a, NameQuery q, List<(string, object?)> parameters, bool postgres)
    {
        var key = q.Target switch { 2 => CorporationText.Clean(q.Name), 3 => CorporationText.FoldEnglish(q.Name), _ => CorporationText.Fold(q.Name) };
        string[] columns = q.Target switch { 2 => ["name"], 3 => ["en_key"], _ => ["name_key", "furigana_key"] };
        parameters.Add(("q", key));
        if (q.Prefix)
        {
            parameters.Add(("qend", CorporationText.PrefixEnd(key)));
            return "(" + string.Join(" OR ", columns.Select(col => $"({a}.{col} >= @q AND {a}.{col} < @qend)")) + ")";
        }
        // Not LIKE: SQLite's folds ASCII case, and target 2 matches the name as written.
        var contains = "(" + string.Join(" OR ", columns.Select(col => postgres ? $"strpos({a}.{col}, @q) > 0" : $"instr({a}.{col}, @q) > 0")) + ")";
        // The gram index holds the folded keys and the name as written, so it narrows every target.
        var gram = CorporationText.FirstGram(key);
        if (gram is null) return contains;
        parameters.Add(("gram", gram));
        return $"({a}.record_id IN (SELECT g.record_id FROM corporation_name_grams g WHERE g.gram = @gram) AND {contains})";
    }

    /// <summary>The <c>address</c> the NTA gives corporations located abroad (国外): they have no prefecture code.</summary>
    public const string Abroad = "99";

    private static void AddPlaceAndKind(StringBuilder where, List<(string, object?)> parameters, string? prefectureCode, string? cityCode, IReadOnlyList<string> kindGroups)
    {
        if (prefectureCode == Abroad) where.Append(" AND r.prefecture_code = '' AND r.address_outside <> ''");
        else if (prefectureCode is not null) { where.Append(" AND r.prefecture_code = @pc"); parameters.Add(("pc", prefectureCode)); }
        if (cityCode is not null) { where.Append(" AND r.city_code = @cc"); parameters.Add(("cc", cityCode)); }
        if (kindGroups.Count > 0)
        {
            where.Append(" AND substr(r.kind, 1, 1) IN (").Append(string.Join(", ", kindGroups.Select((_, i) => $"@k{i}"))).Append(')');
            parameters.AddRange(kindGroups.Select((k, i) => ($"k{i}", (object?)k[1..])));
        }
    }
}
