using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Node.Tests.Linkage;
using Renkei.Testing;

namespace Renkei.Node.Tests.Copies;

/// <summary>
/// Audit Z, Z8: a copy's dates were any yyyy-MM-dd, so year 1, a checkup dated next year or coverage ending before it began was
/// stored and served to other agencies as specific personal information.
/// </summary>
public class CopyDateTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    private static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static object Doses(string date) => new { schemaVersion = 1, content = new { doses = new[] { new { vaccine = "MR", date, doseNumber = 1 } } } };

    [Theory, StorageData]
    public async Task A_copys_dates_are_held_to_their_range_when_it_is_stored_by_the_nodes_clock_in_Japan(StorageProvider provider)
    {
        // The node's clock runs two days ahead of the system's, at noon in Japan (no midnight passes while the test runs): its
        // today is the one that counts.
        var noon = new DateTimeOffset(JapanTime.Today(TimeProvider.System).AddDays(2).ToDateTime(new TimeOnly(12, 0)), JapanTime.Offset);
        var clock = new ShiftedClock { Ahead = noon - DateTimeOffset.UtcNow };
        await using var network = await LinkageNetwork.StartAsync(provider, configureNode: b => b.Services.AddSingleton<TimeProvider>(clock));
        var today = JapanTime.Today(clock);
        var system = network.NodeClient("kashiwa-tax-system");
        async Task<string> RefusedAsync(string item, object copy) =>
            (await ProblemAssert.IsProblemAsync(await system.PutAsJsonAsync($"api/tenants/{K}/copies/K-0001/{item}", copy), 400, "invalid-copy"))
                .GetProperty("errors").GetProperty("content").EnumerateArray().Single().GetString()!;
        async Task StoredAsync(string item, object copy) => await LinkageNetwork.Ensure(await system.PutAsJsonAsync($"api/tenants/{K}/copies/K-0001/{item}", copy));

        // A day something happened (a dose, a checkup, a move in) is today at the latest.
        await StoredAsync("vaccination", Doses(Day(today)));
        Assert.Equal($"$.doses[0].date: 未来の日付です（今日は日本時間で {Day(today)}）/ is in the future (today is {Day(today)} in Japan)",
            await RefusedAsync("vaccination", Doses(Day(today.AddDays(1)))));
        Assert.StartsWith("$.doses[0].date: 1900-01-01 以降の日付です / must be 1900-01-01 or later", await RefusedAsync("vaccination", Doses("0001-01-01")));
        Assert.StartsWith("$.examinedOn: 未来の日付です", await RefusedAsync("specific-health-checkup", new
        {
            schemaVersion = 2, content = new { examinedOn = Day(today.AddDays(1)), metabolicSyndrome = "borderline", guidanceLevel = "none" },
        }));
        // No specific health checkup was made before the scheme began, on 2008-04-01.
        Assert.StartsWith("$.examinedOn: 2008-04-01 以降の日付です", await RefusedAsync("specific-health-checkup", new
        {
            schemaVersion = 1, content = new { examinedOn = "2008-03-31", metabolicSyndrome = "borderline", guidanceLevel = "none" },
        }));
        Assert.StartsWith("$.moveInDate: 未来の日付です", await RefusedAsync("resident", new
        {
            schemaVersion = 1, content = new { householdRole = "head", householdSize = 1, moveInDate = Day(today.AddDays(1)) },
        }));

        // A period ends on its first day at the earliest, and may end in the future, though not past 2100.
        object Insured(string since, string until) => new { schemaVersion = 1, content = new { insuredSince = since, insuredUntil = until, insurerNumber = "123456" } };
        Assert.Equal("$.insuredUntil: insuredSince（2026-04-01）より前の日付です / is before insuredSince (2026-04-01)",
            await RefusedAsync("national-health-insurance", Insured("2026-04-01", "2020-03-31")));
        await StoredAsync("national-health-insurance", Insured("2026-04-01", "2026-04-01"));
        await StoredAsync("national-health-insurance", Insured("2026-04-01", Day(today.AddYears(5))));
        Assert.StartsWith("$.insuredUntil: 2100-12-31 以前の日付です", await RefusedAsync("national-health-insurance", Insured("2026-04-01", "9999-12-31")));
        Assert.StartsWith("$.benefits[0].periodTo: periodFrom（2025-08-01）より前の日付です", await RefusedAsync("medical-insurance-benefits", new
        {
            schemaVersion = 1,
            content = new
            {
                insurerNumber = "01130012", qualifiedSince = "2019-04-01", copaymentPercent = 30,
                benefits = new[] { new { kind = "sickness-injury-allowance", decidedOn = "2025-09-01", periodFrom = "2025-08-01", periodTo = "2025-07-31", amount = 87_430 } },
            },
        }));

        // An import holds its lines to the same, each line by itself.
        var lines = new StringBuilder();
        lines.AppendLine($$$"""{"addresseeNumber":"K-2","item":"vaccination","schemaVersion":1,"content":{"doses":[{"vaccine":"MR","date":"{{{Day(today)}}}","doseNumber":1}]}}""");
        lines.AppendLine($$$"""{"addresseeNumber":"K-3","item":"vaccination","schemaVersion":1,"content":{"doses":[{"vaccine":"MR","date":"{{{Day(today.AddDays(1))}}}","doseNumber":1}]}}""");
        lines.AppendLine("""{"addresseeNumber":"K-4","item":"public-assistance","schemaVersion":1,"content":{"status":"receiving","since":"1899-12-31"}}""");
        var report = await LinkageNetwork.Ensure(await system.PostAsync($"api/tenants/{K}/copies/import", new StringContent(lines.ToString(), Encoding.UTF8, "application/x-ndjson")));
        Assert.Equal(1, report.GetProperty("imported").GetInt32());
        var errors = report.GetProperty("errors").EnumerateArray().Select(e => (Line: e.GetProperty("line").GetInt32(), Reason: e.GetProperty("reason").GetString()!)).ToList();
        Assert.Equal([2, 3], errors.Select(e => e.Line));
        Assert.StartsWith("$.doses[0].date: 未来の日付です", errors[0].Reason);
        Assert.StartsWith("$.since: 1900-01-01 以降の日付です", errors[1].Reason);
    }

    [Theory, StorageData]
    public async Task A_copy_stored_before_its_dates_were_held_to_a_range_is_still_provided(StorageProvider provider)
    {
        // The range is an entry check: a copy stored when none was checked stays what its layout version allowed, and is served.
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{K}/copies/K-0001/vaccination", Doses("2022-04-01")));
        await using (var c = await network.TenantDatabases[K].OpenAsync())
            await c.ExecuteAsync("UPDATE copies SET content = @c WHERE addressee_number = 'K-0001' AND item = 'vaccination'", null,
                ("c", """{"doses":[{"vaccine":"MR","date":"0001-01-01","doseNumber":1},{"vaccine":"MR","date":"2099-01-01","doseNumber":2}]}"""));

        var answer = await family.AnswerAsync("bunkyo-vaccination-clerk", affair: "vaccination", item: "vaccination");
        Assert.Equal("provided", answer.GetProperty("outcome").GetString());
        Assert.Equal(["0001-01-01", "2099-01-01"], answer.GetProperty("content").GetProperty("doses").EnumerateArray().Select(d => d.GetProperty("date").GetString()));
    }
}
