using System.Net.Http.Json;
using System.Globalization;
using System.Text.Json;
using Renkei.Cli.Registry;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Node.Codes;
using Renkei.Pki.Certificates;

namespace Renkei.Cli.Linkage;

/// <summary>
/// What <c>renkei up</c> gives the demo agencies on a fresh node: 柏市's demo residents as addressees of
/// 柏市, the pension service and the health insurer (and the first few adults as addressees of 文京区,
/// as people about to move there), each with its agency code obtained along the law's path, and copies to ask for
/// (柏市's local tax, the pension service's benefits). Each agency's addressee system reads the
/// numbers it would hold from the sandbox register.
/// </summary>
public static class DemoAgencies
{
    /// <summary>
    /// 文京区's first demo addressee: an adult of 柏市 with a code at both and a local-tax copy at 柏市.
    /// 文京区's codes come last, so their presence means the set-up is complete (an interrupted one is redone).
    /// </summary>
    public const string FirstBunkyoAddressee = "B-000001";

    private const int BunkyoPeople = 20;

    /// <summary>Sets the demo agencies up unless already done; returns how many addressees got codes.</summary>
    public static async Task<int> EnsureAsync(LinkageSandbox linkage, string dataFolder, CancellationToken ct)
    {
        using (var node = linkage.NodeClient($"{LinkageSandbox.Bunkyo}-addressee"))
        using (var status = await node.GetAsync($"api/tenants/{LinkageSandbox.Bunkyo}/addressees/{FirstBunkyoAddressee}", ct))
            if (status.IsSuccessStatusCode && (await status.Content.ReadFromJsonAsync<AddresseeStatus>(ServiceDefaults.Json, ct))?.HasAgencyCode == true) return 0;

        var people = await KashiwaResidentsAsync(dataFolder, ct);
        if (people.Count == 0) return 0;
        // The day in Japan: by UTC's date a resident was still 19 for the first nine hours of their 20th birthday.
        var today = JapanTime.Today(TimeProvider.System);
        var adults = people.Where(p => Age(p.DateOfBirth, today) >= 20).ToList();
        var delivered = 0;
        async Task Issue(string agency, string prefix, IEnumerable<(int Index, string Number)> who) =>
            delivered += (await linkage.AddresseeSystemOf(agency).IssueCodesAsync(
                who.Select(p => ($"{prefix}-{p.Index:D6}", p.Number)).ToList(), ct: ct)).Delivered;
        await Issue(LinkageSandbox.Kashiwa, "K", people.Select(p => (p.Index, p.Number)));
        await Issue(LinkageSandbox.PensionService, "P", adults.Select(p => (p.Index, p.Number)));
        await Issue(LinkageSandbox.HealthInsurer, "H", adults.Select(p => (p.Index, p.Number)));

        // Copies: the same synthetic figures on every start from the same register.
        var random = new Random(DemoResidents.Seed);
        var localTax = new List<string>();
        foreach (var p in adults)
        {
            var income = random.Next(0, 80) * 100_000;
            var taxable = Math.Max(0, income - 1_500_000);
            localTax.Add(JsonSerializer.Serialize(new
            {
                addresseeNumber = $"K-{p.Index:D6}", item = "local-tax", schemaVersion = 1,
                content = new { fiscalYear = today.Year - 1, totalIncome = income, taxableIncome = taxable, municipalTax = taxable * 6 / 100, prefecturalTax = taxable * 4 / 100 },
            }, ServiceDefaults.Json));
        }
        var pensions = new List<string>();
        foreach (var p in adults.Where(p => Age(p.DateOfBirth, today) >= 65))
            pensions.Add(JsonSerializer.Serialize(new
            {
                addresseeNumber = $"P-{p.Index:D6}", item = "pension-benefits", schemaVersion = 1,
                content = new { pensionType = "basic-old-age", annualAmount = 600_000 + random.Next(0, 120) * 10_000, since = CertificateProfile.AgeReachedOn(p.DateOfBirth, 65).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) },
            }, ServiceDefaults.Json));
        await ImportAsync(linkage, LinkageSandbox.Kashiwa, localTax, ct);
        await ImportAsync(linkage, LinkageSandbox.PensionService, pensions, ct);
        // 文京区 knows the first few adults (who have a local-tax copy at 柏市), numbered from B-000001.
        await Issue(LinkageSandbox.Bunkyo, "B", adults.Take(BunkyoPeople).Select((p, i) => (i + 1, p.Number)));
        Console.Out.WriteLine($"デモ機関に宛名 {delivered:N0} 件の符号と副本を用意しました / gave the demo agencies {delivered:N0} addressees with codes, and copies");
        return delivered;
    }

    private static async Task ImportAsync(LinkageSandbox linkage, string agency, List<string> lines, CancellationToken ct)
    {
        if (lines.Count == 0) return;
        using var client = linkage.NodeClient($"{agency}-copies");
        var (_, bad, failure, _) = await CopyImportCommand.SendAsync(client, agency, [.. lines.Select((json, i) => (i + 1, json))], _ => { }, ct);
        ct.ThrowIfCancellationRequested(); // stopped between chunks: the next start imports them all again
        if (failure is not null || bad.Count > 0)
            throw new InvalidOperationException($"{agency} のデモ用副本を一部登録できませんでした / demo copies for {agency} were not all imported: " +
                (failure ?? string.Join("; ", bad.Select(b => $"{b.Line}: {b.Reason}"))));
    }

    private static async Task<List<(int Index, string Number, DateOnly DateOfBirth)>> KashiwaResidentsAsync(string dataFolder, CancellationToken ct)
    {
        var database = Database.Sqlite(RegistryStorage.SqliteFile(dataFolder));
        await using var c = await database.OpenAsync(ct);
        var rows = await c.QueryAsync(
            "SELECT n.number, r.date_of_birth FROM residents r JOIN individual_numbers n ON n.resident_id = r.resident_id AND n.superseded_at IS NULL " +
            "WHERE r.municipality_code = @m AND r.status = 'Resident' ORDER BY r.last_position, r.resident_id",
            r => (r.GetString(0), DateOnly.ParseExact(r.GetString(1), "yyyy-MM-dd", CultureInfo.InvariantCulture)), null, ("m", LinkageSandbox.Kashiwa));
        return rows.Select((p, i) => (i + 1, p.Item1, p.Item2)).ToList();
    }

    /// <summary>
    /// Age on <paramref name="today"/> as the PKI reckons it (<see cref="CertificateProfile.AgeReachedOn"/>): a 29 February birth is a
    /// year older on 1 March of a common year, not on 28 February, as <see cref="DateOnly.AddYears"/> would have it.
    /// </summary>
    internal static int Age(DateOnly born, DateOnly today)
    {
        var years = today.Year - born.Year;
        return CertificateProfile.AgeReachedOn(born, years) <= today ? years : years - 1;
    }
}
