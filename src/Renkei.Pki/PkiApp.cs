using Microsoft.Extensions.DependencyInjection.Extensions;
using Renkei.Hosting;
using Renkei.Hosting.Tls;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Cards;
using Renkei.Pki.Registry;
using Renkei.Pki.Revocation;
using Renkei.Pki.Verifiers;

namespace Renkei.Pki;

/// <summary>
/// Builds the PKI service (公的個人認証): the CAs, card issuance, CRLs and OCSP, revocation driven
/// by the Registry's events, and the verifiers' APIs. <c>renkei up</c> and the tests host it in-process.
/// </summary>
public static class PkiApp
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = ServiceDefaults.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.AddRenkeiDefaults("Renkei.Pki");
        var options = builder.Configuration.GetSection("Pki").Get<PkiOptions>() ?? new PkiOptions();
        // Shorter than an issuance may take (two Registry waits of 90 s), the sweep would withdraw cards still being confirmed.
        SettingRange.CheckAtLeast("Pki:PendingCardMinutes", options.PendingCardMinutes, 4,
            ("発行がカードを確定するまでに 3 分かかることがあります", "an issuance may take 3 minutes to confirm its card"));
        var database = builder.Configuration.CreateDatabase(Path.Combine(options.DataFolder, "pki.db"));
        // Tests may bring their own clock (expired and not-yet-valid certificates).
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton(sp => CertificationAuthorities.LoadOrCreate(options, sp.GetRequiredService<TimeProvider>(),
            PkiUrls.Configured(options, builder.Configuration), sp.GetRequiredService<ILogger<CertificationAuthorities>>()));
        builder.Services.AddSingleton(_ => CardRecoveryKey.LoadOrCreate(options.CardRecoveryKeyPath));
        builder.Services.AddSingleton<PkiUrls>();
        builder.Services.AddSingleton<RevocationService>();
        builder.Services.AddSingleton<CertificateValidator>();
        builder.Services.AddSingleton<VerifierRegistry>();
        // With a Tls section the PKI calls the Registry over HTTPS under the network CA, presenting its own certificate,
        // and its API answers only over HTTPS (RefuseApiOverPlainHttp).
        builder.Services.AddHttpClient<RegistryClient>(http => RegistryClient.Configure(http, options))
            .UseNetworkTls(identity => identity == NetworkIdentity.Registry);
        builder.Services.AddTransient<CardIssuance>();
        builder.Services.AddSingleton<AbandonedCards>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AbandonedCards>());
        builder.Services.AddSingleton<RegistryEventRevocation>();
        if (options.FollowRegistryEvents && !string.IsNullOrWhiteSpace(options.RegistryUrl))
        {
            builder.Services.AddSingleton<RegistryEventFollower>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<RegistryEventFollower>());
        }
        // After the follower: hosted services stop in reverse order, so a running re-check is stopped (and lets the follower go) first.
        builder.Services.AddSingleton<RecheckJob>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RecheckJob>());

        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(database.Dispose);
        if (app.Services.GetService<NetworkTls>() is not null) app.Use(RefuseApiOverPlainHttp);
        app.UseRenkeiDefaults("pki");
        app.MapRevocation();
        app.MapCards();
        app.MapVerifiers();
        app.MapRegistryFeed();
        // Its calls to the Registry check the network CA's revocation list; a list it cannot use is logged.
        app.LogTls("PKI", warnWithout: false);
        if (string.IsNullOrWhiteSpace(options.RegistryUrl))
            app.Logger.LogWarning("Pki:RegistryUrl が設定されていないため、住民票の異動（死亡など）による失効を行いません / Pki:RegistryUrl is not set: the PKI follows no Registry events, so a death or a change revokes no certificate");
        // Migrations run and the CAs exist before the first request is served. The cards' certificates chain to the CAs, their
        // recovery blobs are wrapped to the recovery key and the verifiers' subjects derive from the pseudonym key: each is bound
        // to the database, none is made anew beside what it made, and none before the migrator has accepted the database.
        void MakeAuthorities() => app.Services.GetRequiredService<CertificationAuthorities>();
        KeyFiles.BindAsync(database, () => database.MigrateAsync(typeof(PkiApp).Assembly), ["certificates", "cards", "verifiers"],
        [
            .. CertificationAuthorities.Kept(options, MakeAuthorities),
            CardRecoveryKey.Kept(options.CardRecoveryKeyPath),
            KeptKey.Secret("pseudonym.key", options.PseudonymKeyPath),
        ]).GetAwaiter().GetResult();
        app.Services.GetRequiredService<CertificationAuthorities>();
        app.Services.GetRequiredService<CardRecoveryKey>();
        // Before the first issuance: a key of a card from before migration 0007 is on no second card either.
        OldCardKeys.KeepAsync(database, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OldCardKeys))).GetAwaiter().GetResult();
        return app;
    }

    /// <summary>
    /// The API carries tokens, Individual Numbers and a card's data keys, so with a Tls section it is refused on
    /// plain HTTP, before any token is looked at. OCSP, the CRLs and the CA certificates stay on plain HTTP as well:
    /// relying parties fetch them there (RFC 5280, RFC 6960) and their answers are signed. The API's OpenAPI document
    /// is not served there either: it named the plain-HTTP address as the server of the /api operations, so that a
    /// client made from it sent its token and Individual Numbers in the clear before this refusal.
    /// </summary>
    private static Task RefuseApiOverPlainHttp(HttpContext context, Func<Task> next) =>
        context.Request.IsHttps || !(context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/openapi"))
            ? next()
            : Problems.Result(403, "https-required", "このAPIはHTTPSでのみ利用できます / This API answers only over HTTPS",
                "PKIのHTTPSのアドレス（network.json の services.pki）を呼び、ネットワークCAを信頼してください / " +
                "Call the PKI's HTTPS address (network.json, services.pki) and trust the network CA.").ExecuteAsync(context);
}
