using Renkei.Pki.Authorities;
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
}
