using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Renkei.Hosting.Tls;

/// <summary>
/// The <c>Tls</c> configuration section: this service's certificate and key (PEM), the network CA it trusts and,
/// optionally, the CA's revocation list (re-read when the file changes).
/// </summary>
public sealed class TlsOptions
{
    public string? CertificateFile { get; set; }

    public string? KeyFile { get; set; }

    public string? CaFile { get; set; }

    public string? CrlFile { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(CertificateFile) || !string.IsNullOrWhiteSpace(KeyFile) || !string.IsNullOrWhiteSpace(CaFile)
        || !string.IsNullOrWhiteSpace(CrlFile);
}

/// <summary>
/// Mutual TLS on the linkage network. With a <c>Tls</c> section a service serves HTTPS with its
/// certificate, asks callers for a client certificate (optional: staff and operators use bearer
/// tokens), and its calls to other parties present that certificate and trust only the network CA.
/// Endpoints that only another party may call check its certificate with <see cref="RefuseUnlessFrom"/>.
/// With a revocation list, a peer whose certificate is on it is refused both ways: as a caller, and as
/// the server this service calls.
/// </summary>
public sealed class NetworkTls
{
    public const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    // Verified client certificates by SHA-256 of the certificate: a chain is built once per certificate, not per call.
    private readonly ConcurrentDictionary<string, string?> verified = new();

    private readonly NetworkCrlFile? revocations;

    private NetworkTls(X509Certificate2 certificate, X509Certificate2 ca, string identity, NetworkCrlFile? revocations)
    {
        Certificate = certificate;
        Ca = ca;
        Identity = identity;
        this.revocations = revocations;
    }

    /// <summary>Where this service reports a revocation list it could not use; the last good one stays in force meanwhile.</summary>
    public ILogger? Log
    {
        get => revocations?.Log;
        set { if (revocations is not null) revocations.Log = value; }
    }

    /// <summary>This service's certificate, with its key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The network CA: the only root this service trusts for its peers.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>Which party this service is (<see cref="NetworkIdentity"/>).</summary>
    public string Identity { get; }

    /// <summary>Loads the configured files and checks that the certificate chains to the CA and names a party; says what is wrong otherwise.</summary>
    public static NetworkTls Load(TlsOptions options)
    {
        string Required(string? file, string key)
        {
            if (string.IsNullOrWhiteSpace(file)) throw new InvalidOperationException($"Tls:{key} が未設定です / Tls:{key} is not set (Tls needs CertificateFile, KeyFile and CaFile)");
            if (!File.Exists(file)) throw new InvalidOperationException($"Tls:{key} のファイルがありません / the file named by Tls:{key} does not exist: {Path.GetFullPath(file)}"); // the full path: `dotnet run` starts in the project's folder
            return file;
        }
        var certificate = LoadCertificate(Required(options.CertificateFile, "CertificateFile"), Required(options.KeyFile, "KeyFile"));
        var ca = X509CertificateLoader.LoadCertificateFromFile(Required(options.CaFile, "CaFile"));
        using var chain = new X509Chain { ChainPolicy = Policy(ca, ServerAuthentication) };
        if (!chain.Build(certificate))
            throw new InvalidOperationException("Tls:CertificateFile はネットワークCAに連なりません / the TLS certificate does not chain to Tls:CaFile (or has expired, or lacks server authentication): "
                + string.Join(", ", chain.ChainStatus.Select(s => s.Status)));
        var identity = NetworkIdentity.Of(certificate)
            ?? throw new InvalidOperationException("TLS証明書に参加者の識別子がありません / the TLS certificate names no network party (a URI SAN urn:renkei:core, urn:renkei:node:{id}, urn:renkei:registry or urn:renkei:pki)");
        NetworkCrlFile? revocations = null;
        if (!string.IsNullOrWhiteSpace(options.CrlFile))
        {
            revocations = NetworkCrlFile.Open(Required(options.CrlFile, "CrlFile"), ca);
            if (revocations.IsRevoked(certificate))
                throw new InvalidOperationException("Tls:CertificateFile の証明書は失効しています / the TLS certificate is on the network CA's revocation list: issue a new one");
        }
        return new NetworkTls(certificate, ca, identity, revocations);
    }

    /// <summary>Whether the network CA has revoked <paramref name="certificate"/> (false when this service reads no revocation list).</summary>
    public bool IsRevoked(X509Certificate2 certificate) => revocations?.IsRevoked(certificate) == true;

    /// <summary>A certificate and its PEM key, usable by TLS on every platform.</summary>
    public static X509Certificate2 LoadCertificate(string certificateFile, string keyFile)
    {
        var certificate = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        if (!OperatingSystem.IsWindows()) return certificate;
        // SChannel cannot use an ephemeral key; a PKCS#12 round trip gives it a persisted one.
        using (certificate) return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Trust exactly <paramref name="ca"/> for certificates used for <paramref name="usage"/>; no revocation list exists for the network CA.</summary>
    public static X509ChainPolicy Policy(X509Certificate2 ca, string usage)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.Add(ca);
        policy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(usage));
        return policy;
    }

    /// <summary>A handler for calls to network services over plain http (a developer's, on loopback): never through a proxy, as below.</summary>
    public static SocketsHttpHandler PlainHandler() => new() { UseProxy = false };

    /// <summary>
    /// A handler for calls to network services: trusts only <paramref name="ca"/> (and the host name
    /// must match), presents <paramref name="clientCertificate"/> if given, and accepts only servers
    /// whose identity <paramref name="acceptsServer"/> allows and that <paramref name="revoked"/> does not
    /// say are revoked, if given. Keep one per process: it pools TLS connections.
    /// </summary>
    public static SocketsHttpHandler Handler(X509Certificate2 ca, X509Certificate2? clientCertificate = null, Func<string, bool>? acceptsServer = null,
        Func<X509Certificate2, bool>? revoked = null) => new()
    {
        // Parties are named by URL and reached directly. The environment's proxy (HTTP_PROXY, https_proxy) is never used: .NET
        // does not bypass it for loopback, so plain http to a service on this machine would hand its tokens, and numbers, to the
        // proxy host in clear; and over https a proxy sees no content but still learns which parties talk, and when.
        UseProxy = false,
        // A pooled connection outlives a revocation of its server's certificate only this long.
        PooledConnectionLifetime = revoked is null ? Timeout.InfiniteTimeSpan : TimeSpan.FromMinutes(5),
        SslOptions = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateChainPolicy = Policy(ca, ServerAuthentication),
            LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
            // Stricter than the default, never looser: the chain and name must be valid and the server must be the expected party.
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None && (acceptsServer is null
                    || (certificate is X509Certificate2 c && NetworkIdentity.Of(c) is { } identity && acceptsServer(identity)))
                && (revoked is null || (certificate is X509Certificate2 r && !revoked(r))),
        },
    };

    /// <summary>This service's handler for calls to other parties.</summary>
    public SocketsHttpHandler Handler(Func<string, bool> acceptsServer) => Handler(Ca, Certificate, acceptsServer, revocations is null ? null : revocations.IsRevoked);

    /// <summary>The network identity of a client certificate that chains to the network CA, or null.</summary>
    public string? Verify(X509Certificate2 certificate)
    {
        if (certificate.NotAfter.ToUniversalTime() <= DateTime.UtcNow || certificate.NotBefore.ToUniversalTime() > DateTime.UtcNow) return null;
        return verified.GetOrAdd(certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256), _ =>
        {
            if (verified.Count > 10_000) verified.Clear();
            using var chain = new X509Chain { ChainPolicy = Policy(Ca, ClientAuthentication) };
            return chain.Build(certificate) ? NetworkIdentity.Of(certificate) : null;
        });
    }
}

public static class NetworkTlsExtensions
{
    /// <summary>Reads the <c>Tls</c> section; with it, Kestrel serves HTTPS with this service's certificate and asks for client certificates.</summary>
    public static WebApplicationBuilder AddRenkeiTls(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Tls").Get<TlsOptions>() ?? new TlsOptions();
        if (!options.IsConfigured) return builder;
        var tls = NetworkTls.Load(options);
        builder.Services.AddSingleton(tls);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
        {
            https.ServerCertificate = tls.Certificate;
            https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
            https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            // Staff, business systems and operators authenticate with tokens and may present any certificate or
            // none; the endpoints that only a network party may call verify the certificate against the network
            // CA themselves (RefuseUnlessFrom), so that a refusal is a problem detail, not a broken handshake.
            https.ClientCertificateValidation = (_, _, _) => true;
        }));
        return builder;
    }

    /// <summary>
    /// Gives TLS the service's log, where a revocation list it cannot use is reported. A linkage party (Core, Node:
    /// <paramref name="warnWithout"/>) without a <c>Tls</c> section serves plain HTTP and checks no client certificate:
    /// fine on a developer's loopback, never between real parties, so it says so there.
    /// </summary>
    public static void LogTls(this WebApplication app, string service, bool warnWithout = true)
    {
        if (app.Services.GetService<NetworkTls>() is { } tls)
        {
            tls.Log = app.Logger;
            return;
        }
        if (warnWithout) app.Logger.LogWarning("{Service}: Tls の設定がないため、相互TLSなしの HTTP で動作します（開発用）/ no Tls section: serving plain HTTP without mutual TLS, for development only", service);
    }

    /// <summary>The named client presents this service's certificate and trusts only the network CA (plain HTTP when no <c>Tls</c> section is configured).</summary>
    public static IHttpClientBuilder UseNetworkTls(this IHttpClientBuilder client, Func<string, bool> acceptsServer) =>
        client.ConfigurePrimaryHttpMessageHandler(services =>
            services.GetService<NetworkTls>() is { } tls ? tls.Handler(acceptsServer) : NetworkTls.PlainHandler());

    /// <summary>
    /// Only a network party that <paramref name="accepts"/> allows may call the endpoint (named <paramref name="expectedJapanese"/>,
    /// <paramref name="expected"/> in a refusal): its client certificate is checked before anything of the request is read, so a caller
    /// without one learns that it needs one (401) rather than what is wrong with its body, and the OpenAPI document declares it.
    /// The endpoint may check more of the party itself (which node an agency is registered on, say).
    /// </summary>
    public static TBuilder RequireNetworkParty<TBuilder>(this TBuilder builder, Func<string, bool> accepts, string expectedJapanese, string expected)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new NetworkPartyOnly(accepts, expectedJapanese, expected));

    /// <summary>
    /// Null when the call comes over TLS with a client certificate from the network CA naming a party that
    /// <paramref name="accepts"/> allows (or when the service runs without TLS); otherwise the refusal, naming the party expected in Japanese and English.
    /// </summary>
    public static ProblemHttpResult? RefuseUnlessFrom(this HttpContext context, Func<string, bool> accepts, string expectedJapanese, string expected)
    {
        if (context.RequestServices.GetService<NetworkTls>() is not { } tls) return null;
        if (context.Connection.ClientCertificate is not { } certificate)
            return Problems.Result(StatusCodes.Status401Unauthorized, "client-certificate-required",
                "クライアント証明書が必要です / A client certificate is required",
                $"このエンドポイントを呼べるのは{expectedJapanese}だけです。ネットワークCAが発行したTLS証明書で接続してください / " +
                $"Only {expected} may call this endpoint: connect with its TLS certificate from the network CA.");
        if (tls.Verify(certificate) is not { } identity)
            return Problems.Result(StatusCodes.Status401Unauthorized, "client-certificate-untrusted",
                "クライアント証明書を信頼できません / The client certificate is not trusted",
                "証明書がネットワークCAにつながらないか、有効期間外か、クライアント認証用でないか、ネットワークの参加者を示していません / " +
                "The certificate does not chain to the network CA, is outside its validity, is not for client authentication, or names no network party.");
        // Looked up on every call, after the chain (kept per certificate): a revocation applies to connections already open.
        if (tls.IsRevoked(certificate))
            return Problems.Result(StatusCodes.Status401Unauthorized, "client-certificate-revoked",
                "クライアント証明書は失効しています / The client certificate is revoked",
                "ネットワークCAがこの証明書を失効させました。CAから新しい証明書を受けてください / " +
                "The network CA has revoked this certificate; the party needs a new one from it.");
        if (!accepts(identity))
            return Problems.Result(StatusCodes.Status403Forbidden, "client-certificate-wrong-party",
                "証明書の主体が違います / The certificate belongs to another party",
                $"証明書の主体は「{identity}」です。このエンドポイントを呼べるのは{expectedJapanese}だけです / " +
                $"The certificate names {identity}; only {expected} may call this endpoint.");
        return null;
    }
}

/// <summary>Endpoint metadata of <see cref="NetworkTlsExtensions.RequireNetworkParty"/>: checked before the endpoint reads the request.</summary>
public sealed record NetworkPartyOnly(Func<string, bool> Accepts, string ExpectedJapanese, string Expected);
