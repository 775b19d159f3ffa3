using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
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

    [Theory, StorageData]
    public async Task A_ca_key_given_without_its_certificate_gets_one_for_that_key_at_the_first_start_not_a_new_key(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var pki = folder.File("pki");
        Directory.CreateDirectory(pki);
        // The operator's own root and signing CA keys (or keys restored from a backup without their certificates); PKCS#1 as OpenSSL writes it too.
        using var rootKey = RSA.Create(2048);
        using var signingKey = RSA.Create(2048);
        var given = new Dictionary<string, string>
        {
            ["root-ca.key"] = rootKey.ExportRSAPrivateKeyPem() + "\n",
            ["signing-ca.key"] = signingKey.ExportPkcs8PrivateKeyPem() + "\n",
        };
        foreach (var (name, pem) in given) await File.WriteAllTextAsync(Path.Combine(pki, name), pem);
        var storage = TestDatabases.Create(provider, folder.Path);
        WebApplication Start() => PkiApp.Create([], b =>
        {
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Pki:DataFolder"] = pki, ["Storage:Provider"] = storage.Provider.ToString(), ["Storage:ConnectionString"] = storage.ConnectionString,
                ["Logging:LogLevel:Default"] = "Error",
            });
        });

        CertificationAuthorities cas;
        await using (var app = Start()) cas = app.Services.GetRequiredService<CertificationAuthorities>();

        // The key files are as given (the root's used to be replaced by a new key), and the certificates are for them.
        foreach (var (name, pem) in given) Assert.Equal(pem, await File.ReadAllTextAsync(Path.Combine(pki, name)));
        Assert.Equal(rootKey.ExportSubjectPublicKeyInfo(), cas.Root.Certificate.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(signingKey.ExportSubjectPublicKeyInfo(), cas.Signing.Certificate.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(cas.Root.Certificate.Subject, cas.Signing.Certificate.Issuer);
        using (var chain = new X509Chain())
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(cas.Root.Certificate);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            Assert.True(chain.Build(cas.Signing.Certificate), string.Join("; ", chain.ChainStatus.Select(c => c.StatusInformation)));
        }
        // What the database recorded is the given keys, and the next start takes the same certificates.
        var recorded = await KeptKeyFiles.FingerprintsAsync(new Database(storage));
        Assert.Equal(KeyFiles.PublicKeyFingerprint(rootKey.ExportSubjectPublicKeyInfo()), recorded["root-ca.key"]);
        Assert.Equal(KeyFiles.PublicKeyFingerprint(signingKey.ExportSubjectPublicKeyInfo()), recorded["signing-ca.crt"]);
        await using (var again = Start())
        {
            Assert.Equal(cas.Root.Certificate.Thumbprint, again.Services.GetRequiredService<CertificationAuthorities>().Root.Certificate.Thumbprint);
            Assert.Equal(cas.Signing.Certificate.Thumbprint, again.Services.GetRequiredService<CertificationAuthorities>().Signing.Certificate.Thumbprint);
        }
    }

    [Fact]
    public void A_ca_certificate_without_its_key_and_a_key_file_holding_no_key_are_refused_in_one_line_and_nothing_is_written()
    {
        using var folder = new TempFolder();
        var options = new PkiOptions { DataFolder = folder.Path, CaKeySize = 1024 };
        CertificationAuthorities.LoadOrCreate(options, TimeProvider.System);

        // The signing CA's certificate restored without its key: a new key would leave it naming a key no one has.
        File.Delete(options.SigningCaKeyPath);
        var before = KeptKeyFiles.Snapshot(folder.Path);
        var refused = Assert.Throws<InvalidOperationException>(() => CertificationAuthorities.LoadOrCreate(options, TimeProvider.System));
        Assert.Contains($"the CA certificate {Path.ChangeExtension(options.SigningCaKeyPath, ".crt")} is there but its key {options.SigningCaKeyPath} is not", refused.Message);
        Assert.StartsWith("認証局の証明書", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
        Assert.Equal(before, KeptKeyFiles.Snapshot(folder.Path));

        // A root key file that holds no RSA key (an encrypted one, say) and no certificate: refused, and left as it is.
        foreach (var f in Directory.GetFiles(folder.Path)) File.Delete(f);
        File.WriteAllText(options.RootKeyPath, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        before = KeptKeyFiles.Snapshot(folder.Path);
        refused = Assert.Throws<InvalidOperationException>(() => CertificationAuthorities.LoadOrCreate(options, TimeProvider.System));
        Assert.Contains($"the CA key file {options.RootKeyPath} cannot be read", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
        Assert.Equal(before, KeptKeyFiles.Snapshot(folder.Path));

        // A root key weaker than the PKI would make (Pki:CaKeySize): refused rather than certified.
        using (var weak = RSA.Create(1024)) File.WriteAllText(options.RootKeyPath, weak.ExportPkcs8PrivateKeyPem() + "\n");
        before = KeptKeyFiles.Snapshot(folder.Path);
        refused = Assert.Throws<InvalidOperationException>(() => CertificationAuthorities.LoadOrCreate(new PkiOptions { DataFolder = folder.Path, CaKeySize = 2048 }, TimeProvider.System));
        Assert.Contains($"the CA key file {options.RootKeyPath} holds an RSA key of 1024 bits: a CA key needs at least 2048 (Pki:CaKeySize)", refused.Message);
        Assert.Equal(before, KeptKeyFiles.Snapshot(folder.Path));
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

    [Fact]
    public void An_issuing_ca_made_in_the_roots_last_ten_years_ends_with_the_root()
    {
        using var folder = new TempFolder();
        var options = new PkiOptions { DataFolder = folder.Path, CaKeySize = 2048 };
        var made = CertificationAuthorities.LoadOrCreate(options, TimeProvider.System);
        File.Delete(options.SigningCaKeyPath);
        File.Delete(Path.ChangeExtension(options.SigningCaKeyPath, ".crt"));

        var late = CertificationAuthorities.LoadOrCreate(options, new TestClock { Fixed = made.Root.NotAfter.AddYears(-5) });

        Assert.Equal(made.Root.Certificate.Thumbprint, late.Root.Certificate.Thumbprint);
        Assert.Equal(made.Root.NotAfter, late.Signing.NotAfter);
    }

    [Theory, StorageData]
    public async Task Card_certificates_end_with_their_ca_and_a_ca_past_its_end_issues_nothing_and_says_so(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var cas = sandbox.Pki.Services.GetRequiredService<CertificationAuthorities>();
        var resident = await sandbox.RegisterResidentAsync("1990-01-02");

        // Six years into the issuing CAs' ten: a certificate to the holder's fifth birthday would outlive them.
        sandbox.Clock.Fixed = cas.Signing.NotAfter.AddYears(-4);
        await sandbox.StartPkiAsync();
        Assert.Contains(sandbox.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("Renkei JPKI Signing CA is valid until") && l.Contains("plan the roll-over"));
        var card = await sandbox.IssueCardAsync(resident);
        Assert.Equal(cas.Signing.NotAfter, new DateTimeOffset(card.SigningCertificate.NotAfter.ToUniversalTime()));
        Assert.Equal(cas.Authentication.NotAfter, new DateTimeOffset(card.AuthenticationCertificate.NotAfter.ToUniversalTime()));
        // The card itself keeps its own end (the tenth birthday after issue): only its certificates end with the CA.
        Assert.Equal(CertificateProfile.Validity(new DateOnly(1990, 1, 2), sandbox.Clock.Fixed.Value).CardExpiresOn.ToString("yyyy-MM-dd"), card.Face.ExpiresOn);

        // A day past the CAs' end: said at start, and an issuance is refused before anything is stored or superseded.
        sandbox.Clock.Fixed = cas.Signing.NotAfter.AddDays(1);
        await sandbox.StartPkiAsync();
        Assert.Contains(sandbox.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("Renkei JPKI Signing CA is not valid now") && l.Contains("card issuance is refused"));
        var response = await sandbox.RequestCardAsync(resident);
        var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("urn:renkei:problem:ca-expired", problem.GetProperty("type").GetString());
        Assert.Contains("no card can be issued until the PKI rolls over to a new CA", problem.GetProperty("detail").GetString());
        var stored = System.Text.Json.JsonDocument.Parse(await sandbox.PkiAdmin.GetStringAsync($"api/cards/{card.CardId}")).RootElement;
        Assert.Equal("active", stored.GetProperty("status").GetString());
    }
}
