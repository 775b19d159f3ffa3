using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Node;
using Renkei.Node.Tenants;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Core.Tests;

/// <summary>Settings the Core and the Node check at start-up: a bad one stops the service with the reason.</summary>
public class SettingsTests
{
    /// <summary>The reason a retention under 7 years is refused, which the operator reads.</summary>
    private static readonly (string, string) RetentionWhy = ("情報提供等記録の保存期間は 7 年", "provision records are kept 7 years");

    [Theory, StorageData]
    public async Task A_core_keeping_provision_records_under_seven_years_does_not_start(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var refused = Assert.Throws<InvalidOperationException>(() => StartCore(provider, folder, ("Core:RetentionYears", "3")));
        SettingAssert.SaysBelow(refused.Message, "Core:RetentionYears", 7, 3, RetentionWhy);
        Assert.Throws<InvalidOperationException>(() => StartCore(provider, folder, ("Core:RetentionYears", "-1")));

        await RunAsync(StartCore(provider, folder, ("Core:RetentionYears", "10")),
            core => Assert.Equal(10, core.Services.GetRequiredService<ProvisionLog>().RetentionYears));
    }

    [Theory, StorageData]
    public async Task A_node_keeping_provision_records_under_seven_years_does_not_start(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var refused = Assert.Throws<InvalidOperationException>(() => StartNode(provider, folder, "3"));
        SettingAssert.SaysBelow(refused.Message, "Node:RetentionYears", 7, 3, RetentionWhy);
        Assert.Throws<InvalidOperationException>(() => StartNode(provider, folder, "0"));

        await RunAsync(StartNode(provider, folder, "7"),
            node => Assert.Equal(7, node.Services.GetRequiredService<TenantDirectory>().All.Single().Records.RetentionYears));
    }

    [Theory, StorageData]
    public async Task A_core_erases_its_expired_records_at_start_and_takes_an_erasure_interval_of_a_month_at_most(StorageProvider provider)
    {
        using var folder = new TempFolder();
        SettingAssert.RefusesOutsideRange("Core:ErasureHours", 0, 720, hours => StartCore(provider, folder, ("Core:ErasureHours", hours)));

        var storage = TestDatabases.Create(provider, folder.Path);
        var nineYearsAgo = DateTimeOffset.UtcNow.AddYears(-9);
        ProvisionRecord? old = null;
        await RunAsync(StartCore(storage, folder), async core => old = await core.Services.GetRequiredService<ProvisionLog>().AppendAsync(
            new(Protocol.Envelope.NewId(), nineYearsAgo, nineYearsAgo, "131059", "122173", "child-allowance", "local-tax", "a-code", Protocol.Outcome.Provided, null, false)));
        // Started again, the core erases it at once (then every Core:ErasureHours, 24 by default).
        await RunAsync(StartCore(storage, folder), async core =>
        {
            var log = core.Services.GetRequiredService<ProvisionLog>();
            var erasure = await RenkeiCommand.WaitForAsync(log.ErasureAsync, TimeSpan.FromSeconds(30), "the core's erasure at start");
            Assert.Equal(old!.Seq, erasure.Through);
            Assert.Empty(await log.ListByCodeAsync("a-code"));
            Assert.Equal(new LogCheck(true, null), await log.CheckAsync());
        });
    }

    [Fact]
    public async Task A_core_refuses_a_staleness_window_under_ten_seconds_or_over_ten_minutes()
    {
        // 0 or less made every message stale, and the core started anyway.
        using var folder = new TempFolder();
        SettingAssert.RefusesOutsideRange("Core:StalenessSeconds", 10, 600,
            seconds => StartCore(StorageProvider.Sqlite, folder, ("Core:StalenessSeconds", seconds)), "9", "601", "0", "-120");
        await RunAsync(StartCore(StorageProvider.Sqlite, folder, ("Core:StalenessSeconds", "600")),
            core => Assert.Equal(TimeSpan.FromMinutes(10), core.Services.GetRequiredService<Protocol.EnvelopeVerifier>().Window));
    }

    public static TheoryData<string?, string> BadTables => new()
    {
        { null, "Could not find file" },
        { "{ \"version\": \"x\", ", "cannot be loaded" },
        { """{"version":"x","source":"x","items":{"a":"a"},"affairs":{"f":"f"},"rows":[{"id":"r","requester":{"kinds":["municipality"]},"affair":"g","provider":{"kinds":["municipality"]},"items":["a"],"legalBasis":"x"}]}""",
            "row r names unknown affair g" },
        { """{"version":"x","source":"x","items":{"a":"a"},"affairs":{"f":"f"},"rows":[{"id":"r","requester":{"kinds":["municipality"]},"affair":"f","provider":{"kinds":["municipality"]},"items":["b"],"legalBasis":"x"}]}""",
            "row r names unknown item b" },
        { """{"version":"x","source":"x","items":{"a":"a"},"affairs":{"f":"f"},"rows":[{"id":"r","affair":"f","provider":{"kinds":["municipality"]},"items":["a"],"legalBasis":"x"}]}""",
            "row r lacks requester" },
        { """{"version":"x","source":"x","items":{"a":"a"},"affairs":{"f":"f"},"rows":[{"id":"r","requester":{"kinds":["mayor"]},"affair":"f","provider":{"kinds":["municipality"]},"items":["a"],"legalBasis":"x"}]}""",
            "kinds" },
        { """{"version":"x","source":"x","items":{"a":"a"},"affairs":{"f":"f","AFFAIR":"x"},"rows":[{"id":"r","requester":{"kinds":["municipality"]},"affair":"f","provider":{"kinds":["municipality"]},"items":["a"],"legalBasis":"x"}]}""".Replace("AFFAIR", new string('f', 65)),
            "at most 64 characters" },
        // A misspelt or missing party key loaded as a row that matches nobody (audit I, I8).
        { """{"version":"x","source":"x","items":{"a":"a"},"affairs":{"f":"f"},"rows":[{"id":"r","requester":{"kind":["municipality"]},"affair":"f","provider":{"kinds":["municipality"]},"items":["a"],"legalBasis":"x"}]}""",
            "row r: requester has an unknown key 'kind' (a party takes kinds, agencies and sameAsRequester)" },
        { """{"version":"x","source":"x","items":{"a":"a"},"affairs":{"f":"f"},"rows":[{"id":"r","requester":{"agencies":["131059"]},"affair":"f","provider":{"sameAsRequestor":true},"items":["a"],"legalBasis":"x"}]}""",
            "row r: provider has an unknown key 'sameAsRequestor'" },
        { """{"version":"x","source":"x","items":{"a":"a"},"affairs":{"f":"f"},"rows":[{"id":"r","requester":{},"affair":"f","provider":{"kinds":["municipality"]},"items":["a"],"legalBasis":"x"}]}""",
            "row r: requester names no kind, no agency and not the requester" },
        { """{"version":"x","source":"x","items":{"a":"a"},"affairs":{"f":"f"},"rows":[{"id":"r","requester":{"kinds":["municipality"]},"affair":"f","provider":{"kinds":[],"agencies":[]},"items":["a"],"legalBasis":"x"}]}""",
            "row r: provider names no kind" },
    };

    [Theory, MemberData(nameof(BadTables))]
    public void A_core_given_a_permission_table_file_it_cannot_use_does_not_start_and_says_why(string? json, string reason)
    {
        using var folder = new TempFolder();
        var file = folder.File("permission-table.json");
        if (json is not null) File.WriteAllText(file, json);
        var refused = Assert.Throws<InvalidOperationException>(() => StartCore(StorageProvider.Sqlite, folder, ("Core:PermissionTableFile", file)));
        Assert.StartsWith("Core:PermissionTableFile「", refused.Message);
        Assert.Contains(" / The permission table file", refused.Message);
        Assert.Contains(reason, refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
        Assert.False(Directory.Exists(folder.File("core")), "a start refused for its permission table made key files");
    }

    [Fact]
    public async Task A_core_enforces_its_permission_table_file_and_the_built_in_table_without_one()
    {
        using var folder = new TempFolder();
        var table = Permissions.PermissionTable.LoadEmbedded();
        table.Rows.RemoveAll(r => r.Id != "T2-1");
        File.WriteAllText(folder.File("table.json"), System.Text.Json.JsonSerializer.Serialize(table, ServiceDefaults.Json));
        await RunAsync(StartCore(StorageProvider.Sqlite, folder, ("Core:PermissionTableFile", folder.File("table.json"))),
            core => Assert.Equal(["T2-1"], core.Services.GetRequiredService<Permissions.PermissionTable>().Rows.Select(r => r.Id)));
        await RunAsync(StartCore(StorageProvider.Sqlite, folder),
            core => Assert.Equal(Permissions.PermissionTable.LoadEmbedded().Rows.Count, core.Services.GetRequiredService<Permissions.PermissionTable>().Rows.Count));
    }

    [Fact]
    public void The_core_refuses_two_callers_of_one_name_or_one_without_a_name()
    {
        // Audit O, O7: the agency history keeps the caller's name as who changed a registration; a shared or empty one names nobody.
        foreach (var (name, callers) in new (string, string[])[] { ("operator", ["operator", " operator "]), ("", [""]) })
        {
            using var folder = new TempFolder();
            var settings = callers.SelectMany((caller, i) => new[]
            {
                ($"Callers:{i}:Name", caller), ($"Callers:{i}:Token", $"token-{i}"), ($"Callers:{i}:Permissions:0", "agencies"),
            }).ToArray();
            var refused = Assert.Throws<InvalidOperationException>(() => StartCore(StorageProvider.Sqlite, folder, settings));
            Assert.StartsWith("呼出元にはそれぞれ別の名前が必要です", refused.Message);
            Assert.Contains($"'{name}' is empty or given twice", refused.Message);
            Assert.False(Directory.Exists(folder.File("core")), "a start refused for its callers made key files");
        }
    }

    [Fact]
    public async Task A_core_without_a_tls_section_warns_that_it_serves_plain_http()
    {
        using var folder = new TempFolder();
        var logs = new CapturedLogs();
        var storage = TestDatabases.Create(StorageProvider.Sqlite, folder.Path);
        var core = CoreApp.Create([], b =>
        {
            Configure(b, [("Storage:Provider", "Sqlite"), ("Storage:ConnectionString", storage.ConnectionString), ("Core:DataFolder", folder.File("core"))]);
            b.Logging.AddProvider(logs);
        });
        await RunAsync(core, _ => Assert.Contains(logs.Lines, l => l.Contains("Core: Tls の設定がないため") && l.Contains("plain HTTP without mutual TLS")));
    }

    internal static WebApplication StartCore(StorageProvider provider, TempFolder folder, params (string Key, string Value)[] settings) =>
        StartCore(TestDatabases.Create(provider, folder.Path), folder, settings);

    internal static WebApplication StartCore(StorageOptions storage, TempFolder folder, params (string Key, string Value)[] settings) =>
        StartCore(storage, folder.File("core"), settings);

    internal static WebApplication StartCore(StorageOptions storage, string dataFolder, params (string Key, string Value)[] settings) =>
        CoreApp.Create([], b => Configure(b, settings.Append(("Storage:Provider", storage.Provider.ToString()))
            .Append(("Storage:ConnectionString", storage.ConnectionString)).Append(("Core:DataFolder", dataFolder))));

    private static WebApplication StartNode(StorageProvider provider, TempFolder folder, string retentionYears) =>
        StartNode(provider, folder.File("node"), "t" + Guid.NewGuid().ToString("N")[..10] + "_", ("Node:RetentionYears", retentionYears));

    /// <summary>A node of tenant 122173 (柏市) and any tenants <paramref name="settings"/> add.</summary>
    internal static WebApplication StartNode(StorageProvider provider, string dataFolder, string schemaPrefix, params (string Key, string Value)[] settings) =>
        NodeApp.Create([], b => Configure(b,
        [
            ("Storage:Provider", provider.ToString()),
            ("Storage:ConnectionString", provider == StorageProvider.Postgres ? TestDatabases.PostgresConnectionString : ""),
            ("Node:DataFolder", dataFolder),
            ("Node:SchemaPrefix", schemaPrefix),
            ("Node:Tenants:0:AgencyId", "122173"),
            ("Node:Tenants:0:Name", "柏市"),
            .. settings,
        ]));

    private static void Configure(WebApplicationBuilder b, IEnumerable<(string Key, string Value)> settings)
    {
        b.WebHost.UseUrls("http://127.0.0.1:0");
        b.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        b.Logging.ClearProviders();
    }

    /// <summary>Starts the service, checks it answers, runs <paramref name="test"/> on it and stops it.</summary>
    internal static async Task RunAsync(WebApplication app, Func<WebApplication, Task> test)
    {
        try
        {
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = app.BaseAddress() };
            (await client.GetAsync("health")).EnsureSuccessStatusCode();
            await test(app);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    internal static Task RunAsync(WebApplication app, Action<WebApplication> test) => RunAsync(app, a => { test(a); return Task.CompletedTask; });
}
