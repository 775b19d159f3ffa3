using Renkei.Core.Agencies;
using Renkei.Core.Codes;
using Renkei.Core.Permissions;
using Renkei.Core.Records;
using Renkei.Core.Relay;
using Renkei.Hosting;
using Renkei.Hosting.Linkage;
using Renkei.Hosting.Storage;
using Renkei.Hosting.Tls;
using Renkei.Protocol;
using Renkei.Protocol.Records;

namespace Renkei.Core;

/// <summary>The Core's settings: the <c>Core</c> configuration section.</summary>
public sealed class CoreOptions
{
    /// <summary>Where the SQLite file and the key files live unless configured otherwise.</summary>
    public string DataFolder { get; set; } = Path.Combine("data", "core");

    /// <summary>The code key (機関別符号の鍵): 64 random bytes in hex, made on first start if missing.</summary>
    public string? CodeKeyFile { get; set; }

    /// <summary>The core's signing and encryption keys (PEM), made on first start if missing.</summary>
    public string? KeyFile { get; set; }

    /// <summary>The key the Registry seals link keys with (32 bytes in hex, shared with the Registry's <c>LinkSealKeyFile</c>).</summary>
    public string? LinkSealKeyFile { get; set; }

    /// <summary>How far a message's time may be from the core's clock before it is refused as stale.</summary>
    public int StalenessSeconds { get; set; } = 120;

    /// <summary>How long provision records are kept (番号法施行令: 7 years).</summary>
    public int RetentionYears { get; set; } = 7;

    /// <summary>Hours between erasures of the provision records past their retention (0: never); the first is at start.</summary>
    public int ErasureHours { get; set; } = 24;

    /// <summary>
    /// A permission table (別表第二 and ordinance rows) to enforce instead of the one built in, in the same JSON
    /// format (GET /api/permission-table shows it); read once at start-up.
    /// </summary>
    public string? PermissionTableFile { get; set; }

    /// <summary>
    /// Seconds the relay waits for a provider's node before its inquiries are answered <c>provider-unreachable</c>; shorter
    /// than the nodes' wait for the core (45 s), so that the other providers' answers in a message still arrive.
    /// </summary>
    public int ProviderWaitSeconds { get; set; } = 15;

    public string CodeKeyPath => CodeKeyFile ?? Path.Combine(DataFolder, "agency-code.key");

    public string LinkSealKeyPath => LinkSealKeyFile ?? Path.Combine(DataFolder, "link-seal.key");

    public string KeyPath => KeyFile ?? Path.Combine(DataFolder, "core-keys.pem");
}

/// <summary>The core as a party on the network: its id in envelopes and its keys.</summary>
public sealed class CoreIdentity(PartyKeys keys)
{
    public const string PartyId = "core";

    public PartyKeys Keys { get; } = keys;
}

/// <summary>
/// Builds the Core (情報提供ネットワークシステム): the agency register, agency codes, the permission
/// table, the relay and the core-side provision records. It holds no personal information.
/// </summary>
public static class CoreApp
{
    /// <summary>The HTTP client of relayed inquiries to providers' nodes (limited per provider by <c>Core:ProviderWaitSeconds</c>).</summary>
    public const string RelayClient = "relay";

    /// <summary>An hour: a longer wait for a provider only keeps the requester's message open after its node gave up.</summary>
    public const int MaxProviderWaitSeconds = 3600;

    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = ServiceDefaults.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.AddRenkeiDefaults("Renkei.Core");
        var options = builder.Configuration.GetSection("Core").Get<CoreOptions>() ?? new CoreOptions();
        ProvisionLog.CheckRetention("Core:RetentionYears", options.RetentionYears);
        SettingRange.Check("Core:ErasureHours", options.ErasureHours, 0, RecordErasure.MaxHours);
        SettingRange.Check("Core:ProviderWaitSeconds", options.ProviderWaitSeconds, 1, MaxProviderWaitSeconds);
        SettingRange.Check("Core:StalenessSeconds", options.StalenessSeconds, EnvelopeVerifier.MinWindowSeconds, EnvelopeVerifier.MaxWindowSeconds);
        var database = builder.Configuration.CreateDatabase(Path.Combine(options.DataFolder, "core.db"));
        // One core on its database, taken before anything is migrated or made: a second one's replay cache would not know the
        // first one's nonces and inquiry ids. A start refused later gives it back.
        var instance = InstanceLock.Take(database, CoreIdentity.PartyId);
        try
        {
            return Build(builder, options, database, instance);
        }
        catch
        {
            instance.Dispose();
            throw;
        }
    }

    private static WebApplication Build(WebApplicationBuilder builder, CoreOptions options, Database database, InstanceLock instance)
    {
        builder.Services.AddSingleton(_ => instance); // made by a factory, so disposed with the app even if it never ran
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton(TimeProvider.System);
        // Read before any key is made: a start refused for its table leaves no key behind.
        var permissionTable = options.PermissionTableFile is { Length: > 0 } tableFile ? PermissionTable.LoadFile(tableFile) : PermissionTable.LoadEmbedded();
        // The codes its agencies hold were made with the code key and their nodes verify the core's keys: each is bound to the
        // database, and none is made before the migrator has accepted it. The seal key is not: it is the Registry's, and the
        // core keeps nothing sealed with it (a seal lives minutes), so binding it only refused the Registry's key for good
        // after a first start without it. A seal key that is named must exist: the core never makes the Registry's key.
        if (options.LinkSealKeyFile is { Length: > 0 } sealFile && !File.Exists(sealFile))
            throw new InvalidOperationException($"Core:LinkSealKeyFile の鍵ファイル {Path.GetFullPath(sealFile)} がありません。Registry の link-seal.key の写しを置いてください / "
                + $"the key file {Path.GetFullPath(sealFile)} named by Core:LinkSealKeyFile is missing: put a copy of the Registry's link-seal.key there (the core never makes it)");
        KeyFiles.BindAsync(database, () => database.MigrateAsync(typeof(CoreApp).Assembly), ["agencies"],
        [
            KeptKey.Secret("agency-code.key", options.CodeKeyPath, AgencyCodes.KeyBytes),
            PartyKeys.Kept("core-keys.pem", options.KeyPath),
        ]).GetAwaiter().GetResult();
        builder.Services.AddSingleton(AgencyCodes.LoadOrCreate(options.CodeKeyPath));
        builder.Services.AddSingleton(new LinkKeySeal(KeyFiles.LoadOrCreate(options.LinkSealKeyPath)));
        var identity = new CoreIdentity(PartyKeys.LoadOrCreate(options.KeyPath));
        builder.Services.AddSingleton(identity);
        builder.Services.AddSingleton(sp => new ProvisionLog(database, CoreIdentity.PartyId, identity.Keys.Signing, options.RetentionYears, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(permissionTable);
        // Kept and logged at every start that serves, so that an overseer can tell which table allowed a past provision.
        builder.Services.AddHostedService(sp => new PermissionTableLoadRecorder(database, permissionTable,
            options.PermissionTableFile is { Length: > 0 } ? "Core:PermissionTableFile" : "built in", sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PermissionTableLoadRecorder>>()));
        builder.Services.AddSingleton<AgencyStore>();
        builder.Services.AddHostedService(sp => new RecordErasure(() => [sp.GetRequiredService<ProvisionLog>()], TimeSpan.FromHours(options.ErasureHours),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RecordErasure>>()));
        builder.Services.AddSingleton(sp => new EnvelopeVerifier(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromSeconds(options.StalenessSeconds)));
        // Calls to nodes present the core's certificate and go only to servers holding a node certificate.
        // A provider that does not answer in time becomes an error answer for its inquiries, well before the
        // requester's node gives up on the whole message (Node: 45 s), so the other providers' answers still arrive.
        // Relayed inquiries wait Core:ProviderWaitSeconds (15) for a provider; code deliveries (up to 100,000 codes in one call) keep the default.
        builder.Services.AddHttpClient(RelayClient, c => c.Timeout = TimeSpan.FromSeconds(options.ProviderWaitSeconds)).UseNetworkTls(NetworkIdentity.IsNode);
        builder.Services.AddHttpClient("nodes").UseNetworkTls(NetworkIdentity.IsNode);

        var app = builder.Build();
        app.Services.GetRequiredService<InstanceLock>();
        app.Lifetime.ApplicationStopped.Register(database.Dispose);
        app.Lifetime.ApplicationStopped.Register(instance.Dispose);
        app.UseRenkeiDefaults("core");
        app.MapGet("/api/core/keys", (CoreIdentity core) => TypedResults.Ok(core.Keys.Public)).WithTags("Core")
            .WithSummary("The core's public keys, for verifying what it signs.");
        app.MapAgencies();
        app.MapCodes();
        app.MapPermissionTable();
        app.MapRelay();
        app.MapRecords();
        app.MapWitness();
        // Made now: it refuses messages sent before it existed, whose nonces it cannot have seen.
        app.Services.GetRequiredService<EnvelopeVerifier>();
        app.LogTls("Core");
        if (string.IsNullOrWhiteSpace(options.LinkSealKeyFile))
            app.Logger.LogWarning("Core:LinkSealKeyFile が設定されていません。Registry の link-seal.key を指定しないと、Registry が封をした鍵を開けません / "
                + "Core:LinkSealKeyFile is not set: using {File}, which cannot open what the Registry seals; name a copy of the Registry's link-seal.key", Path.GetFullPath(options.LinkSealKeyPath));
        return app;
    }
}
