using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Renkei.Pki.Authorities;

namespace Renkei.Pki;

/// <summary>The addresses certificates name: the CRL distribution points and the OCSP responder.</summary>
public sealed class PkiUrls(PkiOptions options, IServer server)
{
    private Uri? baseUrl;

    /// <summary>
    /// The configured public URL, or the address the service listens on (known once started): its plain-HTTP one when
    /// it also serves HTTPS, since relying parties fetch CRLs and OCSP over HTTP and would not trust the network CA.
    /// </summary>
    public Uri Base => baseUrl ??= options.PublicUrl is { Length: > 0 } url
        ? new Uri(url.TrimEnd('/') + "/")
        : new Uri(Listening().Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1").TrimEnd('/') + "/");

    private string Listening()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()!.Addresses;
        return addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? addresses.First();
    }

    public Uri Crl(CertificateKind kind) => new(Base, $"crl/{(kind == CertificateKind.Signing ? "signing" : "authentication")}.crl");

    public Uri Ocsp => new(Base, "ocsp");

    /// <summary>The root's CRL (of the issuing CA certificates), which the issuing CA certificates name.</summary>
    public static Uri RootCrl(Uri baseUrl) => new(baseUrl, "crl/root.crl");

    /// <summary>The root certificate as DER, which the issuing CA certificates name as their caIssuers.</summary>
    public static Uri RootCertificate(Uri baseUrl) => new(baseUrl, "ca/root.cer");

    /// <summary>
    /// The public URL as far as it is known before the service listens: <c>Pki:PublicUrl</c>, else the first plain-HTTP address it is
    /// told to listen on when that names a port (as <see cref="Base"/> would choose it once listening); null when neither says.
    /// </summary>
    public static Uri? Configured(PkiOptions options, IConfiguration configuration)
    {
        if (options.PublicUrl is { Length: > 0 } url) return new Uri(url.TrimEnd('/') + "/");
        var addresses = (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var chosen = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? addresses.FirstOrDefault();
        if (chosen is null || !Uri.TryCreate(chosen.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://+", "://127.0.0.1"),
                UriKind.Absolute, out var address) || address.Port == 0)
            return null;
        return new Uri(address.GetLeftPart(UriPartial.Authority) + "/");
    }
}
