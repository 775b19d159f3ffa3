using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Renkei.Pki.Authorities;
using Renkei.Pki.Certificates;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

public class AuthoritiesTests
{
    [Fact]
    public void The_cas_are_reused_and_issuing_cas_of_another_root_are_refused_even_under_the_same_name()
    {
        using var folder = new TempFolder();
        var options = new PkiOptions { DataFolder = folder.Path, CaKeySize = 2048 };
        var first = CertificationAuthorities.LoadOrCreate(options, TimeProvider.System);
        var again = CertificationAuthorities.LoadOrCreate(options, TimeProvider.System);
        Assert.Equal(first.Signing.Certificate.Thumbprint, again.Signing.Certificate.Thumbprint);

        // A new root with the same name: the old issuing CAs' names still match, their signatures do not.
        File.Delete(options.RootKeyPath);
        File.Delete(Path.ChangeExtension(options.RootKeyPath, ".crt"));
        var refused = Assert.Throws<InvalidOperationException>(() => CertificationAuthorities.LoadOrCreate(options, TimeProvider.System));
        Assert.Contains("not issued by the configured root CA", refused.Message);
    }

    [Fact]
    public void An_issuing_ca_certificate_made_before_it_named_its_policy_is_issued_again_for_the_same_key_and_name()
    {
        using var folder = new TempFolder();
        var options = new PkiOptions { DataFolder = folder.Path, CaKeySize = 2048 };
        var made = CertificationAuthorities.LoadOrCreate(options, TimeProvider.System);
        // The signing CA as it was made before: no certificatePolicies; and a card certificate it issued then.
        var now = DateTimeOffset.UtcNow;
        var old = new CertificateRequest(made.Signing.Certificate.SubjectName, made.Signing.Key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        old.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        old.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        old.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(old.PublicKey, false));
        old.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(made.Root.Certificate, true, false));
        using var oldCa = old.Create(made.Root.WithKey, now.AddMinutes(-5), now.AddYears(10), CertificationAuthorities.RandomSerial());
        var certPath = Path.ChangeExtension(options.SigningCaKeyPath, ".crt");
        File.WriteAllText(certPath, oldCa.ExportCertificatePem() + "\n");
        using var cardKey = RSA.Create(2048);
        var leafRequest = new CertificateRequest("CN=card", cardKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(oldCa, true, false));
        leafRequest.CertificateExtensions.Add(CertificateProfile.Policies(CertificateProfile.SigningPolicy));
        using var leaf = leafRequest.Create(made.Signing.WithKey, now.AddMinutes(-1), now.AddYears(1), CertificationAuthorities.RandomSerial());

        var loaded = CertificationAuthorities.LoadOrCreate(options, TimeProvider.System);

        var renewed = loaded.Signing.Certificate;
        Assert.Contains(CertificateProfile.SigningPolicy, CertificateProfile.PoliciesOf(renewed));
        Assert.NotEqual(oldCa.Thumbprint, renewed.Thumbprint);
        Assert.Equal(oldCa.SubjectName.Name, renewed.SubjectName.Name);
        Assert.Equal(oldCa.PublicKey.EncodedKeyValue.RawData, renewed.PublicKey.EncodedKeyValue.RawData);
        Assert.Equal(oldCa.RawData, X509Certificate2.CreateFromPem(File.ReadAllText(Assert.Single(Directory.GetFiles(folder.Path, "signing-ca.crt.*.old")))).RawData);
        // What the old certificate signed verifies under the new one, and the old one stays valid beside it.
        foreach (var ca in new[] { renewed, oldCa })
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(loaded.Root.Certificate);
            chain.ChainPolicy.ExtraStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            Assert.True(chain.Build(leaf), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        }
        // The authentication CA named its policy already and is left as it was; a later start re-issues nothing.
        Assert.Equal(made.Authentication.Certificate.Thumbprint, loaded.Authentication.Certificate.Thumbprint);
        Assert.Equal(renewed.Thumbprint, CertificationAuthorities.LoadOrCreate(options, TimeProvider.System).Signing.Certificate.Thumbprint);
    }

    [Fact]
    public void Issuing_ca_certificates_name_their_policy_and_with_a_public_url_the_roots_crl_and_certificate()
    {
        using var folder = new TempFolder();
        var options = new PkiOptions { DataFolder = folder.Path, CaKeySize = 2048 };
        var cas = CertificationAuthorities.LoadOrCreate(options, TimeProvider.System, new Uri("http://pki.example:7104/"));
        foreach (var (ca, policy) in new[] { (cas.Signing, CertificateProfile.SigningPolicy), (cas.Authentication, CertificateProfile.AuthenticationPolicy) })
        {
            Assert.Equal([policy], CertificateProfile.PoliciesOf(ca.Certificate));
            Assert.Contains("http://pki.example:7104/crl/root.crl", ca.Certificate.Extensions["2.5.29.31"]!.Format(false));
            var aia = ca.Certificate.Extensions.OfType<X509AuthorityInformationAccessExtension>().Single();
            Assert.Equal(["http://pki.example:7104/ca/root.cer"], aia.EnumerateCAIssuersUris());
            Assert.Empty(aia.EnumerateOcspUris());
        }
        // The root, a trust anchor, names neither.
        Assert.Null(cas.Root.Certificate.Extensions["2.5.29.31"]);
        Assert.Empty(CertificateProfile.PoliciesOf(cas.Root.Certificate));
    }

    [Theory]
    [InlineData(null, "http://127.0.0.1:7104;https://127.0.0.1:7105", "http://127.0.0.1:7104/")]
    [InlineData(null, "https://127.0.0.1:7105;http://0.0.0.0:7104", "http://127.0.0.1:7104/")]
    [InlineData(null, "http://127.0.0.1:0", null)]
    [InlineData(null, null, null)]
    [InlineData("https://pki.example.jp/jpki", "http://127.0.0.1:7104", "https://pki.example.jp/jpki/")]
    public void The_public_url_known_before_listening_is_the_configured_one_or_a_fixed_http_address(string? publicUrl, string? urls, string? expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["urls"] = urls }).Build();
        Assert.Equal(expected, PkiUrls.Configured(new PkiOptions { PublicUrl = publicUrl }, configuration)?.ToString());
    }
}
