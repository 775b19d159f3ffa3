using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Cli.Linkage;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Registry.Identity;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Invariants 1 and 2 for the node and the core: neither ever holds, logs or passes on an Individual Number or the basic
/// four items, and the core holds no copy's content. The numbers are those of the run, in every form a person writes them,
/// including those sent by mistake where an addressee number goes; the scan reads storage row by row and as raw files,
/// trace-level logs, and every message between the services and from the addressee systems.
/// </summary>
public class PrivacyTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    /// <summary>An income no other value of the run holds: the content of a copy, which the core must never see.</summary>
    private const int Income = 918_273_645;

    /// <summary>A synthetic resident's basic four items.</summary>
    private sealed record Person(string FamilyName, string GivenName, string FamilyKana, string GivenKana, DateOnly DateOfBirth, string Address)
    {
        public string Sex => "female";

        /// <summary>Each item as a log line, a row or a message could hold it: names apart and together, the date in the ways it is written, the sex.</summary>
        public IEnumerable<string> Forms()
        {
            var d = DateOfBirth;
            var era = new System.Globalization.JapaneseCalendar();
            var inEra = $"{(d.Year >= 1989 ? "平成" : "昭和")}{era.GetYear(d.ToDateTime(TimeOnly.MinValue))}年{d.Month}月{d.Day}日";
            return
            [
                FamilyName + " " + GivenName, FamilyName + "　" + GivenName, FamilyName + GivenName, GivenName,
                FamilyKana + " " + GivenKana, FamilyKana + GivenKana, FamilyKana,
                d.ToString("yyyy-MM-dd"), d.ToString("yyyyMMdd"), d.ToString("yyyy/MM/dd"), d.ToString("yyyy.MM.dd"), d.ToString("MM/dd/yyyy"),
                $"{d.Year}年{d.Month}月{d.Day}日", inEra,
                Address, Address[3..], // with and without the prefecture
                Sex, "女性",
            ];
        }

        public BasicFourQuery Query => new(FamilyName, GivenName, DateOfBirth.ToString("yyyy-MM-dd"), Sex, Address);
    }

    [Theory, StorageData]
    public async Task No_number_basic_four_item_or_copy_content_reaches_node_or_core_storage_logs_or_messages(StorageProvider provider)
    {
        // Everything the node and the core log, at every level and category.
        KeyValuePair<string, string?>[] trace =
        [
            new("Logging:LogLevel:Default", "Trace"), new("Logging:LogLevel:Microsoft", "Trace"), new("Logging:LogLevel:Microsoft.AspNetCore", "Trace"),
            new("Logging:LogLevel:System.Net.Http", "Trace"), new("Logging:LogLevel:System.Net.Http.HttpClient", "Trace"),
        ];
        await using var network = await LinkageNetwork.StartAsync(provider, coreSettings: trace, configureNode: b => b.Configuration.AddInMemoryCollection(trace));

        var family = await MovedFamily.ArrangeAsync(network);
        var people = new List<Person> { new("移転", "花子", "テスト", "テスト", new(1988, 7, 7), "千葉県柏市柏1丁目1番1号") };
        var numbers = new List<string> { family.IndividualNumber };
        // The copy that Bunkyo's clerks are given: its content travels sealed, and the core must never hold it.
        await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{K}/copies/K-0001/local-tax", Copies.CopyTests.Tax(Income)));
        var residents = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var person = new Person("秘匿", $"太郎{"甲乙丙丁戊己"[i]}", "ヒトクダイ", $"タロウ{"アイウエオカ"[i]}", new(1951 + 7 * i, 1 + i, 11 + i), $"千葉県柏市若白毛{i + 2}丁目{i + 3}番{i + 4}号");
            var (residentId, number) = await BirthAsync(network, person);
            people.Add(person);
            numbers.Add(number);
            residents.Add(residentId);
            if (i < 5) await network.AddresseeSystemOf(K).IssueCodesAsync([($"K-P{i}", number)]);
        }
        Assert.Equal(Income, (await family.AnswerAsync("bunkyo-child-clerk")).GetProperty("content").GetProperty("totalIncome").GetInt32());
        await family.AnswerAsync("bunkyo-pet-clerk", affair: "pet-registration");
        await family.AskAsync("bunkyo-vaccination-clerk");
        // A batch inquiry: its stored items and results are scanned with the rest of the tenant's tables.
        var batch = new BatchPeople { Network = network, IndividualNumbers = numbers };
        var batchId = await batch.SubmittedAsync(["B-0001", "B-0404"]);
        await batch.DoneAsync(batchId);
        // Both ways of witnessing, so that the heads each side keeps are scanned too.
        var witness = network.NodeServices.GetRequiredService<global::Renkei.Node.Linkage.TreeHeadWitness>();
        foreach (var agency in network.TenantDatabases.Keys)
        {
            var tenant = network.NodeTenants.Find(agency)!;
            await witness.WitnessAsync(tenant);
            Assert.NotNull(await witness.KeepCoreHeadAsync(tenant));
        }

        // Where a number is most likely to slip through: issuance by the basic four items, a re-issued and a superseded
        // number, one nobody holds and one with a wrong check digit, and numbers put where an addressee number goes.
        var system = network.AddresseeSystemOf(K);
        var byItems = await system.IssueCodesAsync([new AddresseeSystem.Person("K-P5", null, people[6].Query),
            new AddresseeSystem.Person("K-NONE", null, new BasicFourQuery("該当", "なし", "1901-01-01"))]);
        Assert.Equal((1, 1), (byItems.Delivered, byItems.Unknown));
        var reissued = await LinkageNetwork.Ensure(await LinkageNetwork.Client(network.Registry, "kashiwa-clerk").PostAsJsonAsync(
            $"api/municipalities/{K}/residents/{residents[0]}/number-reissue", new { reason = "番号漏えい", requestedBy = "person" }));
        numbers.Add(reissued.GetProperty("individualNumber").GetString()!);
        const string Nobody = "123456789018";
        var wrongCheckDigit = numbers[2][..11] + (char)('0' + (numbers[2][11] - '0' + 1) % 10);
        numbers.AddRange([Nobody, wrongCheckDigit]);
        var odd = await system.IssueCodesAsync([("K-P0", numbers[^3]), ("K-OLD", numbers[1]), ("K-NOBODY", Nobody), ("K-WRONG", wrongCheckDigit)]);
        Assert.Equal((1, 3), (odd.Delivered, odd.Unknown));
        await MisplacedNumbersAreRefusedAsync(network, numbers[3]);

        var secrets = numbers.SelectMany(NumberLeaks.Forms).Select(f => ("an Individual Number", f))
            .Concat(people.SelectMany(p => p.Forms()).Select(f => ("a basic four item", f))).ToList();
        var content = secrets.Concat([("a copy's content", Income.ToString()), ("a copy's content", "totalIncome")]).ToList();

        // The scan finds a secret where one is, so an empty result means something.
        Assert.NotEmpty(Leaks($"{{\"addresseeNumber\":\"{numbers[1][..4]} {numbers[1][4..8]} {numbers[1][8..]}\"}}", secrets));
        Assert.NotEmpty(Leaks(NumberLeaks.FullWidth(numbers[2]), secrets));
        // So does NumberLeaks (the Cli tests' scan): 11 digits alone, full-width joined by －, and it quotes where, past 200 characters too.
        Assert.Single(NumberLeaks.In("番号 " + numbers[1][..11], numbers));
        Assert.Contains(" K-9 ", Assert.Single(NumberLeaks.In(new string('x', 300) + " K-9 " + NumberLeaks.Grouped(NumberLeaks.FullWidth(numbers[1]), "－"), numbers)));
        Assert.NotEmpty(Leaks("生年月日 " + people[3].DateOfBirth.ToString("yyyy/MM/dd"), secrets));
        Assert.NotEmpty(Leaks(people[2].FamilyKana + people[2].GivenKana, secrets));
        Assert.NotEmpty(Leaks(Shown(Encoding.UTF8.GetBytes("x" + numbers[4])), secrets));
        Assert.NotEmpty(Leaks("dob=" + people[4].DateOfBirth.ToString("yyyyMMdd") + ";", secrets));
        Assert.NotEmpty(Leaks($"{{\"totalIncome\":{Income},", content.Where(c => c.Item1 == "a copy's content" && c.Item2 != "totalIncome")));

        // 1. Storage: every row of every table, binary columns as Latin-1. The core holds no copy's content either.
        var core = await LinkageNetwork.DumpAsync(network.CoreDatabase);
        Assert.Contains("provision_records", core);   // the dump did read the core's records
        Assert.Empty(Leaks(core, content));
        foreach (var (agency, database) in network.TenantDatabases)
            Assert.Empty(Leaks(await LinkageNetwork.DumpAsync(database), secrets).Select(l => $"tenant {agency}: {l}"));
        var kashiwa = await LinkageNetwork.DumpAsync(network.TenantDatabases[K]);
        Assert.Contains(Income.ToString(), kashiwa);   // the tenant dump did read the copies
        Assert.Contains("inquiry_batch_items: " + batchId, await LinkageNetwork.DumpAsync(network.TenantDatabases[B]));

        // ... and the files themselves, with what deleted rows left in free pages and the WAL: the node's folder (its tenants'
        // databases on SQLite), the core's folder and, on SQLite, the core's database beside it.
        var nodeFiles = Readable(Directory.GetFiles(Path.Combine(network.DataFolder, "node"), "*", SearchOption.AllDirectories));
        foreach (var file in nodeFiles)
        {
            var bytes = await ReadSharedAsync(file);
            Assert.Empty(Leaks(Shown(bytes), secrets).Concat(Leaks(Convert.ToHexString(bytes), numbers.Select(n => ("an Individual Number", n)))));
        }
        var coreFiles = Readable(Directory.GetFiles(Path.Combine(network.DataFolder, "core"), "*", SearchOption.AllDirectories));
        if (provider == StorageProvider.Sqlite)
        {
            var file = new SqliteConnectionStringBuilder(network.CoreDatabase.ConnectionString).DataSource;
            Assert.True(File.Exists(file), file);
            coreFiles.AddRange(Readable(new[] { file, file + "-wal", file + "-journal", file + ".instance" }.Where(File.Exists)));
            Assert.Contains(nodeFiles, f => Shown(File.ReadAllBytes(f)).Contains(Income.ToString())); // the raw read finds what a file holds
        }
        foreach (var file in coreFiles) Assert.Empty(Leaks(Shown(await ReadSharedAsync(file)), content));

        // 2. Logs, at trace level: the node and the core logged their requests.
        Assert.Contains(network.Logs.Lines, l => l.StartsWith("Trace Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.Contains(network.Logs.Lines, l => l.StartsWith("Trace System.Net.Http", StringComparison.Ordinal));
        // ASP.NET Core's own lines repeat a request's path, and so the number sent where an addressee number goes: every sink
        // of the services (the console, the log file) masks them as LogText.Safe does. Every other line holds no secret at all.
        var pathLines = network.Logs.Lines.Where(l => l.Contains("Microsoft.AspNetCore.", StringComparison.Ordinal) && l.Contains($"/addressees/{numbers[3]}")).ToList();
        Assert.NotEmpty(pathLines); // the request lines were logged, at trace level
        Assert.Empty(network.Logs.Lines.SelectMany(l => Leaks(IsFrameworkLine(l) ? LogText.Safe(l) : l, content)));

        // 3. Messages: between the core and the node, and from the addressee systems to them (to the Registry they carry numbers).
        Assert.Contains(network.Messages, m => m.Contains("/api/relay/inquiries -> ", StringComparison.Ordinal));
        Assert.Contains(network.Messages, m => m.Contains("/provisions <- ", StringComparison.Ordinal));
        var fromAddresseeSystems = network.AddresseeSystemMessages.Where(m => m.StartsWith(network.Node.ToString()) || m.StartsWith(network.Core.ToString())).ToList();
        Assert.Contains(fromAddresseeSystems, m => m.Contains("/acquisitions -> ", StringComparison.Ordinal));
        Assert.Contains(fromAddresseeSystems, m => m.Contains("/api/codes/issue -> ", StringComparison.Ordinal) && m.Contains("sealedLinkKey"));
        Assert.Contains(network.AddresseeSystemMessages, m => m.StartsWith(network.Registry.ToString()) && m.Contains(numbers[1])); // the capture works
        Assert.Empty(network.Messages.Concat(fromAddresseeSystems).SelectMany(m => Leaks(m, content)));
    }

    /// <summary>
    /// An Individual Number where an addressee number goes, in each form, in a body, a path and an import line: each is
    /// refused (the refusal repeats no digit of it) and nothing of it is kept.
    /// </summary>
    private static async Task MisplacedNumbersAreRefusedAsync(LinkageNetwork network, string number)
    {
        const string Slug = "addressee-number-looks-like-individual-number";
        var (spaced, hyphenated, wide) = (NumberLeaks.Grouped(number, " "), NumberLeaks.Grouped(number, "-"), NumberLeaks.FullWidth(number));
        async Task RefusedAsync(HttpResponseMessage response)
        {
            var problem = await ProblemAssert.IsProblemAsync(response, 400, Slug);
            Assert.DoesNotContain(number[8..], ProblemAssert.WithoutTraceId(problem));
        }
        await RefusedAsync(await network.NodeClient("kashiwa-addressee").PostAsJsonAsync($"api/tenants/{K}/acquisitions", new { addresseeNumbers = new[] { "K-Q1", number } }));
        await RefusedAsync(await network.NodeClient("kashiwa-addressee").PostAsJsonAsync($"api/tenants/{K}/acquisitions", new { addresseeNumbers = new[] { spaced } }));
        await RefusedAsync(await network.NodeClient("kashiwa-addressee").GetAsync($"api/tenants/{K}/addressees/{number}"));
        await RefusedAsync(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{K}/copies/{hyphenated}/local-tax", Copies.CopyTests.Tax()));
        await RefusedAsync(await network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{B}/inquiries",
            new { addresseeNumber = wide, affair = "child-allowance", provider = K, item = "local-tax" }));
        await RefusedAsync(await network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{B}/inquiry-batches",
            new { affair = "child-allowance", provider = K, item = "local-tax", addresseeNumbers = new[] { "B-0001", hyphenated } }));
        var line = JsonSerializer.Serialize(new { addresseeNumber = number, item = "local-tax", schemaVersion = 1,
            content = new { fiscalYear = 2025, totalIncome = 1, taxableIncome = 0, municipalTax = 0, prefecturalTax = 0 } }, ServiceDefaults.Json);
        var report = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PostAsync($"api/tenants/{K}/copies/import",
            new StringContent(line, Encoding.UTF8, "application/x-ndjson")));
        Assert.Equal(0, report.GetProperty("imported").GetInt32());
        Assert.Single(report.GetProperty("errors").EnumerateArray());
    }

    /// <summary>Registers a birth at Kashiwa with these basic four items: (residentId, individualNumber).</summary>
    private static async Task<(string, string)> BirthAsync(LinkageNetwork network, Person p)
    {
        var born = await LinkageNetwork.Ensure(await LinkageNetwork.Client(network.Registry, "kashiwa-clerk").PostAsJsonAsync($"api/municipalities/{K}/events", new
        {
            kind = "birth",
            person = new { familyName = p.FamilyName, givenName = p.GivenName, familyNameKana = p.FamilyKana, givenNameKana = p.GivenKana,
                dateOfBirth = p.DateOfBirth.ToString("yyyy-MM-dd"), sex = p.Sex },
            address = p.Address,
        }, ServiceDefaults.Json));
        return (born.GetProperty("residentId").GetString()!, born.GetProperty("individualNumber").GetString()!);
    }

    /// <summary>A line of ASP.NET Core's (as <see cref="CapturedLogs"/> writes it, with the level first, or a scope).</summary>
    private static bool IsFrameworkLine(string line) =>
        line.Split(' ', 3) is [var first, var second, _] && (first.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal) && second == "scope:"
            || second.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal));

    /// <summary>
    /// Which secrets a text holds, each named by its kind and a few of its last characters. A short run of digits (a date
    /// written 19510111, an income) counts only standing alone: inside the longer runs of trace logs and hashes it turns up by chance.
    /// </summary>
    private static IEnumerable<string> Leaks(string text, IEnumerable<(string Kind, string Value)> secrets) =>
        secrets.Select(s => (s, At: At(text, s.Value))).Where(x => x.At >= 0).Select(x =>
            $"{x.s.Kind} (…{x.s.Value[^Math.Min(2, x.s.Value.Length)..]}) in: {text[Math.Max(0, x.At - 150)..Math.Min(text.Length, x.At + 50)]}");

    private static int At(string text, string secret)
    {
        if (secret.Length >= 11 || !secret.All(char.IsAsciiDigit)) return text.IndexOf(secret, StringComparison.Ordinal);
        var alone = System.Text.RegularExpressions.Regex.Match(text, $"(?<![0-9]){secret}(?![0-9])");
        return alone.Success ? alone.Index : -1;
    }

    /// <summary>
    /// The files but the parties' instance locks (InstanceLock), which are held exclusively and so cannot be opened here: each
    /// must be empty, as FileLock leaves it.
    /// </summary>
    private static List<string> Readable(IEnumerable<string> files)
    {
        var split = files.ToLookup(f => f.EndsWith(".instance", StringComparison.Ordinal));
        Assert.All(split[true], f => Assert.Equal(0, new FileInfo(f).Length));
        return [.. split[false]];
    }

    /// <summary>A file's bytes as both Latin-1 (digits inside binary data show) and UTF-8 (names and addresses show).</summary>
    private static string Shown(byte[] bytes) => Encoding.Latin1.GetString(bytes) + "\n" + Encoding.UTF8.GetString(bytes);

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
