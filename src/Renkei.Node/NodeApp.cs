using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Hosting.Tls;
using Renkei.Node.Codes;
using Renkei.Node.Copies;
using Renkei.Node.Linkage;
using Renkei.Node.Tenants;
using Renkei.Protocol;
using Renkei.Protocol.Records;

namespace Renkei.Node;

/// <summary>The Node's settings: the <c>Node</c> configuration section.</summary>
public sealed class NodeOptions
{
    /// <summary>Where tenant folders (SQLite files, key files) live.</summary>
    public string DataFolder { get; set; } = Path.Combine("data", "node");

    /// <summary>The core's base address.</summary>
    public string CoreAddress { get; set; } = "http://127.0.0.1:5100/";

    /// <summary>How far a message's time may be from this node's clock before it is refused as stale.</summary>
    public int StalenessSeconds { get; set; } = 120;

    /// <summary>On PostgreSQL, each tenant's schema is this prefix and its agency id.</summary>
    public string SchemaPrefix { get; set; } = "tenant_";

    /// <summary>How long provision records are kept (番号法施行令: 7 years).</summary>
    public int RetentionYears { get; set; } = 7;

    /// <summary>How many inquiries of batches each tenant has in flight at once (tenants are worked apart).</summary>
    public int BatchConcurrency { get; set; } = 4;

    /// <summary>The most people one batch inquiry may name.</summary>
    public int BatchMaxItems { get; set; } = 10_000;

    /// <summary>How often an idle batch worker looks for pending work it was not told about.</summary>
    public int BatchIdleSeconds { get; set; } = 30;

    /// <summary>
    /// Days a completed batch's results (copies of other agencies' data) are kept for the business system to fetch;
    /// then the batch is removed, as if the system had deleted it.
    /// </summary>
    public int BatchResultDays { get; set; } = 7;

    /// <summary>Hours between erasures of each tenant's provision records past their retention (0: never); the first is at start.</summary>
    public int ErasureHours { get; set; } = 24;

    /// <summary>Seconds between sending each tenant's signed tree head to the core to witness (0: never).</summary>
    public int WitnessSeconds { get; set; } = 60;

    /// <summary>The most inquiries of one tenant that share a message to the core (1: each travels alone).</summary>
    public int RelayMaxPerMessage { get; set; } = RelayKinds.MaxPerMessage;

    /// <summary>How many messages of one tenant to one provider may be on their way to the core at once; later inquiries wait and leave together.</summary>
    public int RelayInFlight { get; set; } = 2;

    /// <summary>
    /// Seconds a request waits for the core's agency list (read at start, and again for an id it does not name) before it
    /// goes on as if the core were down: a batch is refused with 503, a record names the provider <c>unknown</c>.
    /// </summary>
    public int AgencyListWaitSeconds { get; set; } = 3;

    /// <summary>
    /// Seconds a call to the core may take, a relayed message included, before it is given up: keep it above the core's
    /// <c>Core:ProviderWaitSeconds</c>, so that a stalled provider costs its own inquiries only.
    /// </summary>
    public int CoreWaitSeconds { get; set; } = 45;

    /// <summary>The longest <see cref="CoreWaitSeconds"/>: above the core's longest wait for a provider (3600 s).</summary>
    public const int MaxCoreWaitSeconds = 7200;

    public List<TenantOptions> Tenants { get; set; } = [];
}

/// <summary>
/// Builds the Node (中間サーバー・プラットフォーム): one process hosting many agencies, each in its
/// own tenant with its own database and keys. It never holds an Individual Number or the basic
/// four items: only addressee numbers, the agency's codes and copies.
/// </summary>
public static class NodeApp
{
    /// <summary>Staff and systems of a tenant: any known caller; each endpoint then checks the tenant and the affair.</summary>
    public const string StaffPolicy = "staff";

    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = ServiceDefaults.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.AddRenkeiDefaults("Renkei.Node");
        var options = builder.Configuration.GetSection("Node").Get<NodeOptions>() ?? new NodeOptions();
        var storage = builder.Configuration.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
        SettingRange.CheckAtLeast("Node:BatchConcurrency", options.BatchConcurrency, 1);
        SettingRange.CheckAtLeast("Node:BatchMaxItems", options.BatchMaxItems, 1);
        SettingRange.CheckAtLeast("Node:BatchIdleSeconds", options.BatchIdleSeconds, 1);
        SettingRange.CheckAtLeast("Node:BatchResultDays", options.BatchResultDays, 1);
        SettingRange.CheckAtLeast("Node:WitnessSeconds", options.WitnessSeconds, 0);
        SettingRange.Check("Node:ErasureHours", options.ErasureHours, 0, RecordErasure.MaxHours);
        SettingRange.Check("Node:RelayMaxPerMessage", options.RelayMaxPerMessage, 1, RelayKinds.MaxPerMessage);
        SettingRange.CheckAtLeast("Node:RelayInFlight", options.RelayInFlight, 1);
        var listLimit = (int)KnownAgencies.ReadLimit.TotalSeconds;
        SettingRange.Check("Node:AgencyListWaitSeconds", options.AgencyListWaitSeconds, 1, listLimit,
            ($"一覧の読み取りは {listLimit} 秒で打ち切ります", $"a read of the list gives up after {listLimit} s"));
        SettingRange.Check("Node:CoreWaitSeconds", options.CoreWaitSeconds, 1, NodeOptions.MaxCoreWaitSeconds);
        SettingRange.Check("Node:StalenessSeconds", options.StalenessSeconds, EnvelopeVerifier.MinWindowSeconds, EnvelopeVerifier.MaxWindowSeconds);
        ProvisionLog.CheckRetention("Node:RetentionYears", options.RetentionYears);
        // Checked before any tenant's schema or key is made: a start refused for a setting leaves nothing half-made.
        CoreLink.CheckAddress(options.CoreAddress);
        TenantDirectory.CheckCallers(builder.Configuration.Get<CallerOptions>()?.Callers ?? []);
        // The tenants' records are made before the services are built, so the clock a test gave is read from their list.
        // One registered by a factory or a type would be used by the services but not by the records: refused rather than two clocks.
        var time = builder.Services.LastOrDefault(d => d.ServiceType == typeof(TimeProvider)) is { } registered
            ? registered.ImplementationInstance as TimeProvider ?? throw new InvalidOperationException(
                "ノードはサービスを組み立てる前にTimeProviderを読みます。ファクトリや型ではなくインスタンスで登録してください（AddSingleton<TimeProvider>(clock)） / "
                + "the node reads its TimeProvider before services are built: register it as an instance (AddSingleton<TimeProvider>(clock)), not by a factory or a type")
            : TimeProvider.System;
        var tenants = new TenantDirectory(options, storage, time);
        builder.Services.AddSingleton(options);
        // Made by a factory, so disposed with the app (its tenants' instance locks given back) even if it never ran.
        builder.Services.AddSingleton(_ => tenants);
        // The node has no database of its own: it is ready when each tenant's answers, and names the tenant whose does not.
        foreach (var tenant in tenants.All) builder.Services.AddSingleton(new ReadinessStore("tenant " + tenant.AgencyId, tenant.Database));
        builder.Services.TryAddSingleton(time);
        builder.Services.AddSingleton(sp => new EnvelopeVerifier(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromSeconds(options.StalenessSeconds)));
        builder.Services.AddSingleton<CoreLink>();
        builder.Services.AddSingleton<InquiryRelay>();
        builder.Services.AddSingleton<KnownAgencies>();
        builder.Services.AddSingleton<DataStandardLayout>();
        // Calls to the core present this node's certificate and go only to a server holding the core's.
        // Node:CoreWaitSeconds (45), longer than the core's wait for a provider (15 s), so that a slow provider costs its own inquiries only.
        builder.Services.AddHttpClient("core", c => c.Timeout = TimeSpan.FromSeconds(options.CoreWaitSeconds)).UseNetworkTls(id => id == NetworkIdentity.Core);
        builder.Services.AddSingleton<InquiryBatchWorker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InquiryBatchWorker>());
        builder.Services.AddSingleton<PendingInquiries>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PendingInquiries>());
        builder.Services.AddSingleton<TreeHeadWitness>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TreeHeadWitness>());
        builder.Services.AddHostedService(sp => new RecordErasure(() => tenants.All.Select(t => t.Records), TimeSpan.FromHours(options.ErasureHours),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RecordErasure>>()));
        builder.Services.AddAuthorizationBuilder().AddPolicy(StaffPolicy, p =>
            p.AddAuthenticationSchemes(CallerAuthenticationHandler.SchemeName).RequireAuthenticatedUser());

        var app = builder.Build();
        app.Services.GetRequiredService<TenantDirectory>();
        app.Lifetime.ApplicationStopped.Register(() => { foreach (var tenant in tenants.All) tenant.Database.Dispose(); tenants.Dispose(); });
        app.UseRenkeiDefaults("node");
        app.MapGet("/api/tenants/{agencyId}/keys", Results<Ok<PublicKeys>, ProblemHttpResult> (string agencyId, TenantDirectory directory) =>
            directory.Find(agencyId) is { } t
                ? TypedResults.Ok(t.Keys.Public)
                : Problems.NotFound("unknown-tenant", "この中間サーバーに該当する機関はありません / No such tenant on this node"))
            .WithTags("Tenants").WithSummary("A tenant's public keys, for registering it with the core.");
        app.MapCodeManagement();
        app.MapCopies();
        app.MapInquiries();
        app.MapInquiryBatches();
        app.MapProvisions();
        app.MapTenantRecords();
        // Made now: it refuses messages sent before it existed, whose nonces it cannot have seen.
        app.Services.GetRequiredService<EnvelopeVerifier>();
        // Read once the node serves, in the background: the first batch or refused inquiry finds the list known.
        app.Lifetime.ApplicationStarted.Register(app.Services.GetRequiredService<KnownAgencies>().ReadAtStart);
        app.LogTls("Node");
        if (string.IsNullOrWhiteSpace(builder.Configuration["Node:CoreAddress"]))
            app.Logger.LogWarning("Node:CoreAddress が設定されていません。実際の運用では core の https のアドレスを設定してください / Node:CoreAddress is not set: "
                + "using {Address}, which a real deployment replaces with the core's https address", options.CoreAddress);
        return app;
    }
}
