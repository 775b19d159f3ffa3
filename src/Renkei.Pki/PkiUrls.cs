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
}
