using Microsoft.Extensions.DependencyInjection.Extensions;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Corporations;
using Renkei.Registry.Events;
using Renkei.Registry.Identity;
using Renkei.Registry.Linkage;
using Renkei.Registry.Municipalities;
using Renkei.Registry.Numbering;
using Renkei.Registry.Residents;

namespace Renkei.Registry;

/// <summary>The Registry's settings: the <c>Registry</c> configuration section.</summary>
public sealed class RegistryOptions
{
    /// <summary>Where the SQLite file and the numbering key live unless configured otherwise.</summary>
    public string DataFolder { get; set; } = Path.Combine("data", "registry");

    /// <summary>The numbering authority's FF1 key file (64 hex characters); made on first start if missing.</summary>
    public string? NumberingKeyFile { get; set; }

    public string KeyFile => NumberingKeyFile ?? Path.Combine(DataFolder, "numbering.key");

    /// <summary>The secret from which people's link keys derive (the Registry's alone).</summary>
    public string? LinkSecretFile { get; set; }

    /// <summary>The key that seals link keys for the Core; the Core is configured with the same file.</summary>
    public string? LinkSealKeyFile { get; set; }

    public string LinkSecret => LinkSecretFile ?? Path.Combine(DataFolder, "link-secret.key");

    public string LinkSealKey => LinkSealKeyFile ?? Path.Combine(DataFolder, "link-seal.key");

    /// <summary>
    /// Seeds the 14 demo municipalities and the demo corporate register (the NTA's record, the municipalities as local
    /// governments, synthetic corporations) on start. True for the sandbox (renkei up, the tests, renkei registry seed);
    /// false on a real register, which is filled by its operators, and so by default in the Registry's own process
    /// (Program.cs). Turning it off removes nothing already stored.
    /// </summary>
    public bool DemoData { get; set; } = true;
}

/// <summary>
/// Builds the Registry service: the municipalities' resident registers, the national identity
/// server and the numbering authority. <c>renkei up</c> and the tests host it in-process.
/// </summary>
public static class RegistryApp
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = ServiceDefaults.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.AddRenkeiDefaults("Renkei.Registry");
        var options = builder.Configuration.GetSection("Registry").Get<RegistryOptions>() ?? new RegistryOptions();
        var database = builder.Configuration.CreateDatabase(Path.Combine(options.DataFolder, "registry.db"));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(database);
        builder.Services.TryAddSingleton(TimeProvider.System); // a test's clock, when it brings one
        OpenAsync(database, options).GetAwaiter().GetResult();
        builder.Services.AddSingleton(new NumberingAuthority(new IndividualNumberDeriver(NumberingKey.LoadOrCreate(options.KeyFile))));
        builder.Services.AddSingleton(new LinkKeys(KeyFiles.LoadOrCreate(options.LinkSecret), KeyFiles.LoadOrCreate(options.LinkSealKey)));
        builder.Services.AddSingleton<EventSignal>();
        builder.Services.AddSingleton<ResidentRegister>();

        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(database.Dispose);
        app.UseRenkeiDefaults("registry");
        app.MapMunicipalities();
        app.MapResidents();
        app.MapIdentity();
        app.MapEventFeed();
        app.MapLinkKeys();
        app.MapCorporations();
        return app;
    }

    /// <summary>
    /// What every user of the register's database does first (the service, <c>renkei registry seed</c>): runs the migrations,
    /// binds the keys to the database (made on a first start only), then adds whatever of the demo data is missing when
    /// <see cref="RegistryOptions.DemoData"/> is on. The residents' numbers were made with the numbering key, their link keys
    /// (and so every agency's codes for them) with the link secret, and the Core opens what is sealed with the seal key: none
    /// is made anew beside residents, and none is made before the migrator has accepted the database.
    /// </summary>
    public static async Task OpenAsync(Database database, RegistryOptions options)
    {
        await KeyFiles.BindAsync(database, () => database.MigrateAsync(typeof(RegistryApp).Assembly), ["residents"],
        [
            KeptKey.Secret("numbering.key", options.KeyFile),
            KeptKey.Secret("link-secret.key", options.LinkSecret),
            KeptKey.Secret("link-seal.key", options.LinkSealKey),
        ]);
        await SeedAsync(database, options.DemoData);
    }

    /// <summary>Runs the migrations, then, with <paramref name="demoData"/>, adds whatever of the demo data is missing.</summary>
    public static async Task MigrateAsync(Database database, bool demoData = true)
    {
        await database.MigrateAsync(typeof(RegistryApp).Assembly);
        await SeedAsync(database, demoData);
    }

    private static async Task SeedAsync(Database database, bool demoData)
    {
        if (demoData) await MunicipalityStore.EnsureAsync(database, DemoMunicipalities.All);
        await CorporationSeed.EnsureAsync(database, demoData);
    }
}
