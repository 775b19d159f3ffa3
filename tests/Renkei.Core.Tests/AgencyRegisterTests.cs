using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Renkei.Core.Agencies;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Testing;

namespace Renkei.Core.Tests;

/// <summary>
/// Audit I, I2: the permission table decides by an agency's kind, so a kind must fit the agency's id, and every change of
/// a registration is logged and kept with who made it; each permission table the core starts with is kept and logged.
/// </summary>
public class AgencyRegisterTests
{
    private static readonly string SigningKey = Convert.ToBase64String(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfo());
    private static readonly string EncryptionKey = Convert.ToBase64String(ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfo());
    private static readonly string Ministry = CorporateNumber.FromBase(12_070_001).Digits;         // a national organ: 000012…
    private static readonly string City = CorporateNumber.FromBase(20_122_173).Digits;             // a local government: 000020 + 柏市's code
    private static readonly string Company = CorporateNumber.FromBase(10_405_001_703).Digits;      // a registered corporation
    private static readonly string Diet = "1000011000005";                                          // 国立国会図書館: 000011…
    private static readonly string Court = CorporateNumber.FromBase(13_000_101).Digits;            // a court: 000013…

    private static AgencyRegistration Registration(AgencyKind kind, string id, string name = "機関") =>
        new(kind, name, "https://node.example/", SigningKey, EncryptionKey,
            LocalGovernmentCode: Agency.UsesLocalGovernmentCode(kind) ? id : null, CorporateNumber: Agency.UsesLocalGovernmentCode(kind) ? null : id);

    [Theory]
    [InlineData(AgencyKind.Prefecture, "122173")]      // 柏市 as a prefecture: it would ask under prefectures' rows
    [InlineData(AgencyKind.Municipality, "130001")]    // 東京都 as a municipality: it would provide a city's local tax
    [InlineData(AgencyKind.Minister, "company")]
    [InlineData(AgencyKind.TaxOffice, "city")]
    [InlineData(AgencyKind.PensionService, "ministry")]
    [InlineData(AgencyKind.PensionService, "city")]
    [InlineData(AgencyKind.HealthInsurer, "ministry")]
    [InlineData(AgencyKind.PensionService, "diet")]
    [InlineData(AgencyKind.HealthInsurer, "court")]
    [InlineData(AgencyKind.Minister, "diet")]
    [InlineData(AgencyKind.TaxOffice, "court")]
    public void A_kind_that_does_not_fit_the_agencys_id_is_refused_naming_the_kind(AgencyKind kind, string id)
    {
        id = Id(id);
        var errors = Registration(kind, id).Validate(id);
        Assert.Equal(["kind"], errors.Keys);
        Assert.Contains(" / ", errors["kind"].Single());
    }

    [Fact]
    public void A_minister_under_the_Diets_number_is_told_it_needs_an_executive_organs()
    {
        // Review: the text said "a national organ's (000012…)", and the Diet's 000011… is a national body's too.
        var errors = Registration(AgencyKind.Minister, Diet).Validate(Diet);
        Assert.Equal(
            "大臣・税務署長は行政機関の法人番号（基礎番号が000012で始まる）で登録します / a minister or a tax office is registered under an executive organ's corporate number (base number 000012…)",
            errors["kind"].Single());
    }

    [Theory]
    [InlineData(AgencyKind.Prefecture, "130001")]
    [InlineData(AgencyKind.Prefecture, "120006")]
    [InlineData(AgencyKind.Municipality, "122173")]
    [InlineData(AgencyKind.Municipality, "131016")]
    [InlineData(AgencyKind.Minister, "ministry")]
    [InlineData(AgencyKind.TaxOffice, "ministry")]
    [InlineData(AgencyKind.PensionService, "company")]
    [InlineData(AgencyKind.HealthInsurer, "company")]
    [InlineData(AgencyKind.HealthInsurer, "city")]         // a city's national health insurance, a wide-area union
    public void A_kind_that_fits_the_agencys_id_is_taken(AgencyKind kind, string id)
    {
        id = Id(id);
        Assert.Empty(Registration(kind, id).Validate(id));
    }

    private static string Id(string name) =>
        name switch { "ministry" => Ministry, "city" => City, "company" => Company, "diet" => Diet, "court" => Court, _ => name };

    [Theory, StorageData]
    public async Task Each_registration_and_change_of_an_agency_is_logged_with_the_caller_and_kept_for_an_overseer(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var storage = TestDatabases.Create(provider, folder.Path);
        var logs = new CapturedLogs();
        await SettingsTests.RunAsync(Start(storage, folder, logs), async core =>
        {
            using var operatorClient = Client(core, "operator-token");
            (await operatorClient.PutAsJsonAsync($"api/agencies/{Company}", Body("health-insurer", "全国健康保険協会"), ServiceDefaults.Json)).EnsureSuccessStatusCode();
            (await operatorClient.PutAsJsonAsync($"api/agencies/{Company}", Body("pension-service", "全国健康保険協会"), ServiceDefaults.Json)).EnsureSuccessStatusCode();
            // A refused change leaves nothing behind.
            Assert.Equal(HttpStatusCode.BadRequest, (await operatorClient.PutAsJsonAsync($"api/agencies/{Company}", Body("minister", "全国健康保険協会"), ServiceDefaults.Json)).StatusCode);

            Assert.Contains(logs.Lines, l => l.Contains($"Agency {Company} registered by operator: (none) → kind=health-insurer name=全国健康保険協会", StringComparison.Ordinal));
            Assert.Contains(logs.Lines, l => l.Contains($"Agency {Company} changed by operator: kind=health-insurer", StringComparison.Ordinal)
                && l.Contains("→ kind=pension-service", StringComparison.Ordinal));
            Assert.Equal(2, logs.Lines.Count(l => l.Contains($"Agency {Company} ", StringComparison.Ordinal)));

            // The history is the overseer's (records), not the operator's who changes the register, nor anyone's.
            using var anyone = Client(core, null);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anyone.GetAsync("api/agencies/history")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.GetAsync("api/agencies/history")).StatusCode);
            using var auditor = Client(core, "auditor-token");
            var history = await auditor.GetFromJsonAsync<List<AgencyChange>>($"api/agencies/history?agency={Company}", ServiceDefaults.Json);
            Assert.Equal(2, history!.Count);
            Assert.All(history, h => Assert.Equal(("operator", Company), (h.ChangedBy, h.AgencyId)));
            Assert.Null(history[0].Old);
            Assert.Equal(AgencyKind.HealthInsurer, history[0].New.Kind);
            Assert.Equal((AgencyKind.HealthInsurer, AgencyKind.PensionService), (history[1].Old!.Kind, history[1].New.Kind));
            Assert.True(history[0].ChangedAt <= history[1].ChangedAt);
            Assert.Equal(history, await auditor.GetFromJsonAsync<List<AgencyChange>>("api/agencies/history", ServiceDefaults.Json));
            Assert.Empty((await auditor.GetFromJsonAsync<List<AgencyChange>>($"api/agencies/history?agency={Ministry}", ServiceDefaults.Json))!);
        });

        // Append-only: the database refuses to rewrite what was kept.
        await using var c = await new Database(storage).OpenAsync();
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => c.ExecuteAsync("UPDATE agency_history SET new_value = '{}'"));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => c.ExecuteAsync("DELETE FROM agency_history"));
    }

    [Theory, StorageData]
    public async Task Each_permission_table_the_core_starts_with_is_logged_and_kept_with_its_version_and_hash(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var storage = TestDatabases.Create(provider, folder.Path);
        var logs = new CapturedLogs();
        var embedded = Permissions.PermissionTable.LoadEmbedded();
        using (var resource = typeof(CoreApp).Assembly.GetManifestResourceStream("permission-table.json")!)
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(resource)), embedded.Sha256);
        await SettingsTests.RunAsync(Start(storage, folder, logs), _ => { });

        var file = TableFile(folder, "ordinance-2027");
        var fileHash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
        await SettingsTests.RunAsync(Start(storage, folder, logs, ("Core:PermissionTableFile", file)), async core =>
        {
            using var anyone = Client(core, null);
            var loads = (await anyone.GetFromJsonAsync<List<Permissions.PermissionTableLoad>>("api/permission-table/loads", ServiceDefaults.Json))!;
            Assert.Equal([(embedded.Version, embedded.Sha256), ("ordinance-2027", fileHash)], loads.Select(l => (l.Version, l.Sha256)));
            Assert.True(loads[0].LoadedAt <= loads[1].LoadedAt);
            // An overseer reads the table of any load again, byte for byte, without the file or the database.
            var kept = await anyone.GetAsync($"api/permission-table/loads/{loads[1].Seq}");
            Assert.Equal("application/json", kept.Content.Headers.ContentType?.MediaType);
            Assert.Equal(fileHash, Convert.ToHexStringLower(SHA256.HashData(await kept.Content.ReadAsByteArrayAsync())));
            Assert.Equal(embedded.Sha256, Convert.ToHexStringLower(SHA256.HashData(await anyone.GetByteArrayAsync($"api/permission-table/loads/{loads[0].Seq}"))));
            var none = await ProblemAssert.IsProblemAsync(await anyone.GetAsync("api/permission-table/loads/999"), 404, "unknown-load");
            Assert.Contains("999", none.GetProperty("detail").GetString());
            // Not a number is no load either, and says so as -1 does (audit S6): the generic not-found read as a wrong address.
            foreach (var seq in new[] { "-1", "x", "abc", "99999999999999999999", "%E5%B1%B1%E7%94%B0" })
                await ProblemAssert.IsProblemAsync(await anyone.GetAsync($"api/permission-table/loads/{seq}"), 404, "unknown-load");
        });
        Assert.Contains(logs.Lines, l => l.Contains($"Permission table {embedded.Version} (sha256:{embedded.Sha256}, {embedded.Rows.Count} rows, built in) in force", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.Contains($"Permission table ordinance-2027 (sha256:{fileHash}, 1 rows, Core:PermissionTableFile) in force", StringComparison.Ordinal));

        // The file itself is kept, so the table can be read again whatever became of the file.
        await using var c = await new Database(storage).OpenAsync();
        Assert.Equal(File.ReadAllText(file), await c.ScalarAsync<string>("SELECT content FROM permission_table_loads WHERE sha256 = @h", null, ("h", fileHash)));
    }

    [Theory, StorageData]
    public async Task A_start_that_fails_records_no_load(StorageProvider provider)
    {
        // Audit O, O3: a start that never served (its port held, say by the core it was to replace) names no table as in force.
        using var folder = new TempFolder();
        var storage = TestDatabases.Create(provider, folder.Path);
        var logs = new CapturedLogs();
        var embedded = Permissions.PermissionTable.LoadEmbedded();
        await SettingsTests.RunAsync(Start(storage, folder, logs), _ => { });

        using var held = new TcpListener(IPAddress.Loopback, 0);
        held.Start();
        var failed = StartAt($"http://127.0.0.1:{((IPEndPoint)held.LocalEndpoint).Port}", storage, folder, logs, ("Core:PermissionTableFile", TableFile(folder, "ordinance-2027")));
        await Assert.ThrowsAnyAsync<IOException>(() => failed.StartAsync());
        await failed.DisposeAsync();
        held.Stop();

        await SettingsTests.RunAsync(Start(storage, folder, logs), async core =>
        {
            using var anyone = Client(core, null);
            var loads = (await anyone.GetFromJsonAsync<List<Permissions.PermissionTableLoad>>("api/permission-table/loads", ServiceDefaults.Json))!;
            Assert.Equal([embedded.Sha256, embedded.Sha256], loads.Select(l => l.Sha256));
        });
        Assert.DoesNotContain(logs.Lines, l => l.Contains("ordinance-2027", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_load_that_cannot_be_recorded_stops_the_start_saying_why()
    {
        using var folder = new TempFolder();
        var storage = TestDatabases.Create(StorageProvider.Sqlite, folder.Path);
        var core = Start(storage, folder, new CapturedLogs());
        await using (var c = await new Database(storage).OpenAsync())
            await c.ExecuteAsync("DROP TABLE permission_table_loads");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => core.StartAsync());
        await core.DisposeAsync();
        Assert.StartsWith("権限表 ", refused.Message);
        Assert.Contains(" / the load of permission table ", refused.Message);
        Assert.Contains("could not be recorded, so the core stops", refused.Message);
    }

    /// <summary>A one-row permission table file of the given version.</summary>
    private static string TableFile(TempFolder folder, string version)
    {
        var table = Permissions.PermissionTable.LoadEmbedded();
        table.Rows.RemoveAll(r => r.Id != "T2-1");
        var file = folder.File("table.json");
        File.WriteAllText(file, JsonSerializer.Serialize(table, ServiceDefaults.Json).Replace($"\"version\":\"{table.Version}\"", $"\"version\":\"{version}\""));
        return file;
    }

    private static object Body(string kind, string name) => new
    {
        kind, name, corporateNumber = Company, nodeAddress = "https://node.example/", nodeId = "node-1", signingKey = SigningKey, encryptionKey = EncryptionKey,
    };

    private static HttpClient Client(WebApplication core, string? token)
    {
        var client = new HttpClient { BaseAddress = core.BaseAddress() };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static WebApplication Start(StorageOptions storage, TempFolder folder, CapturedLogs logs, params (string Key, string Value)[] settings) =>
        StartAt("http://127.0.0.1:0", storage, folder, logs, settings);

    private static WebApplication StartAt(string url, StorageOptions storage, TempFolder folder, CapturedLogs logs, params (string Key, string Value)[] settings)
    {
        (string, string)[] all =
        [
            .. settings, ("Storage:Provider", storage.Provider.ToString()), ("Storage:ConnectionString", storage.ConnectionString), ("Core:DataFolder", folder.File("core")),
            ("Callers:0:Name", "operator"), ("Callers:0:Token", "operator-token"), ("Callers:0:Permissions:0", "agencies"),
            ("Callers:1:Name", "auditor"), ("Callers:1:Token", "auditor-token"), ("Callers:1:Permissions:0", "records"),
        ];
        return CoreApp.Create([], b =>
        {
            b.WebHost.UseUrls(url);
            b.Configuration.AddInMemoryCollection(all.Select(s => new KeyValuePair<string, string?>(s.Item1, s.Item2)));
            b.Logging.ClearProviders();
            b.Logging.AddProvider(logs);
        });
    }
}
