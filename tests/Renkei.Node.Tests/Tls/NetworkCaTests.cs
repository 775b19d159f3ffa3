using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Renkei.Cli.Linkage;
using Renkei.Hosting.Tls;
using Renkei.Testing;

namespace Renkei.Node.Tests.Tls;

public class NetworkCaTests
{
    private static readonly string[] Certificates = ["ca.pem", "core.pem", "node.pem"];

    [Fact]
    public async Task The_sandbox_reuses_its_network_ca_and_certificates_on_restart_and_keeps_their_keys_owner_only()
    {
        using var folder = new TempFolder();
        var network = Path.Combine(folder.Path, "network");
        var registry = new Uri("http://127.0.0.1:9/"); // Core and Node start without calling the Registry.
        // The seal key the Registry makes at its first start, and the sandbox's core is given: a named key file the core never makes.
        Renkei.Hosting.KeyFiles.LoadOrCreate(Path.Combine(folder.Path, "registry", "link-seal.key"));
        Dictionary<string, string> first;
        await using (var sandbox = await LinkageSandbox.StartAsync(folder.Path, 0, registry, "unused"))
        {
            Assert.Equal(("https", "https"), (sandbox.CoreUrl.Scheme, sandbox.NodeUrl.Scheme));
            first = Certificates.ToDictionary(f => f, f => File.ReadAllText(Path.Combine(network, f)));
            using var core = sandbox.CoreClient("operator");
            var agencies = await core.GetFromJsonAsync<JsonElement>("api/agencies");
            Assert.Equal(LinkageSandbox.Agencies.Length, agencies.GetArrayLength());
            Assert.All(agencies.EnumerateArray(), a => Assert.Equal(LinkageSandbox.NodeId, a.GetProperty("nodeId").GetString()));
        }
        await using (var again = await LinkageSandbox.StartAsync(folder.Path, 0, registry, "unused"))
        {
            foreach (var file in Certificates) Assert.Equal(first[file], File.ReadAllText(Path.Combine(network, file)));
            Assert.Equal(first["ca.pem"].Trim(), again.NetworkCaPem.Trim());
            using var core = again.CoreClient("operator");
            Assert.True((await core.GetAsync("health")).IsSuccessStatusCode);
        }
        if (!OperatingSystem.IsWindows())
            foreach (var key in new[] { "ca.key", "core.key", "node.key" })
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(network, key)));
    }

    [Fact]
    public async Task Revocations_made_at_the_same_time_are_all_kept()
    {
        using var folder = new TempFolder();
        var parties = Enumerable.Range(0, 12).Select(i => $"party{i}").ToArray();
        using (var ca = NetworkCa.LoadOrCreate(folder.Path))
            foreach (var party in parties) ca.Issue(party, NetworkIdentity.Core, "Renkei " + party);

        // Each as `renkei network revoke` does it, with the CA loaded on its own (as another process would).
        await Task.WhenAll(parties.Select(party => Task.Run(() =>
        {
            using var ca = NetworkCa.LoadOrCreate(folder.Path);
            var (certificate, _, already) = ca.Revoke(party, X509RevocationReason.KeyCompromise);
            using (certificate) Assert.False(already);
        })));

        using var loaded = NetworkCa.LoadOrCreate(folder.Path);
        var list = loaded.ReadCrl();
        foreach (var party in parties)
        {
            using var certificate = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(folder.Path, party + ".pem"));
            Assert.True(list.RevokedAt(certificate) is not null, $"{party} was dropped from the list");
        }
    }

    [Fact]
    public void Certificates_name_their_party_for_loopback_and_are_issued_again_near_expiry_or_under_a_new_ca()
    {
        using var folder = new TempFolder();
        var now = DateTimeOffset.UtcNow;
        string Thumbprint(string file)
        {
            using var c = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(folder.Path, file));
            return c.Thumbprint;
        }
        void Start(DateTimeOffset at)
        {
            using var ca = NetworkCa.LoadOrCreate(folder.Path, new ManualTime(at));
            ca.Issue("core", NetworkIdentity.Core, "Renkei core");
        }

        using (var ca = NetworkCa.LoadOrCreate(folder.Path, new ManualTime(now)))
        {
            using var core = ca.Issue("core", NetworkIdentity.Core, "Renkei core").Load();
            Assert.Equal("CN=Renkei core, O=Renkei", core.Subject);
            Assert.Equal(ca.Certificate.Subject, core.Issuer);
            var names = core.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
            Assert.Contains(IPAddress.Loopback, names.EnumerateIPAddresses());
            Assert.Contains("localhost", names.EnumerateDnsNames());
            var usages = core.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value).ToList();
            Assert.Equal([NetworkTls.ServerAuthentication, NetworkTls.ClientAuthentication], usages);
            Assert.False(core.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
            Assert.True(ca.Certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
            Assert.Equal(NetworkIdentity.Core, NetworkIdentity.Of(core));
        }
        var (ca0, core0) = (Thumbprint("ca.pem"), Thumbprint("core.pem"));

        Start(now.AddDays(1));
        Assert.Equal((ca0, core0), (Thumbprint("ca.pem"), Thumbprint("core.pem")));

        // Within 30 days of the certificate's expiry: a new one from the same CA.
        Start(now.AddDays(340));
        var core1 = Thumbprint("core.pem");
        Assert.Equal(ca0, Thumbprint("ca.pem"));
        Assert.NotEqual(core0, core1);

        // A new CA (its files lost): the certificate, though unexpired, is issued again under it.
        File.Delete(Path.Combine(folder.Path, "ca.pem"));
        File.Delete(Path.Combine(folder.Path, "ca.key"));
        Start(now.AddDays(341));
        var ca1 = Thumbprint("ca.pem");
        Assert.NotEqual(ca0, ca1);
        Assert.NotEqual(core1, Thumbprint("core.pem"));

        // The CA itself is replaced near its own expiry.
        Start(now.AddDays(3980));
        Assert.NotEqual(ca1, Thumbprint("ca.pem"));
    }

    [Fact]
    public void A_tls_section_that_is_incomplete_or_from_another_ca_stops_the_service_with_the_reason()
    {
        using var folder = new TempFolder();
        using var ca = NetworkCa.LoadOrCreate(Path.Combine(folder.Path, "a"));
        using var other = NetworkCa.LoadOrCreate(Path.Combine(folder.Path, "b"));
        var core = ca.Issue("core", NetworkIdentity.Core, "Renkei core");
        var missing = Assert.Throws<InvalidOperationException>(() => NetworkTls.Load(new TlsOptions { CertificateFile = core.CertificateFile, CaFile = ca.CertificateFile }));
        Assert.Contains("Tls:KeyFile", missing.Message);
        var foreign = Assert.Throws<InvalidOperationException>(() => NetworkTls.Load(new TlsOptions
        {
            CertificateFile = core.CertificateFile, KeyFile = core.KeyFile, CaFile = other.CertificateFile,
        }));
        Assert.Contains("does not chain", foreign.Message);
        var loaded = NetworkTls.Load(new TlsOptions { CertificateFile = core.CertificateFile, KeyFile = core.KeyFile, CaFile = ca.CertificateFile });
        Assert.Equal(NetworkIdentity.Core, loaded.Identity);
    }
}
