using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Renkei.Pki.Certificates;

namespace Renkei.Pki.Tests;

/// <summary>A CA that is not ours, issuing a look-alike certificate with our CA's names and policies.</summary>
public sealed class ForeignCa : IDisposable
{
    private ForeignCa(X509Certificate2 ca, X509Certificate2 leaf, RSA leafKey)
    {
        Ca = ca;
        Leaf = leaf;
        LeafKey = leafKey;
    }

    public X509Certificate2 Ca { get; }
    public X509Certificate2 Leaf { get; }
    public RSA LeafKey { get; }

    /// <summary>Same issuer names as ours (so only the signature tells them apart) when <paramref name="mimic"/> is given.</summary>
    public static ForeignCa Create(X509Certificate2? mimic = null, string policy = CertificateProfile.AuthenticationPolicy)
    {
        using var caKey = RSA.Create(2048);
        var now = DateTimeOffset.UtcNow;
        var caRequest = new CertificateRequest(mimic?.SubjectName ?? new X500DistinguishedName("CN=Not Renkei CA"), caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        var leafKey = RSA.Create(2048);
        var leafRequest = new CertificateRequest("CN=look-alike", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence()) using (writer.PushSequence()) writer.WriteObjectIdentifier(policy);
        leafRequest.CertificateExtensions.Add(new X509Extension("2.5.29.32", writer.Encode(), false));
        var leaf = leafRequest.Create(ca, now.AddHours(-1), now.AddMonths(6), [0x42, 0x01, 0x02, 0x03]);
        return new ForeignCa(ca, leaf, leafKey);
    }

    public void Dispose()
    {
        LeafKey.Dispose();
        Ca.Dispose();
        Leaf.Dispose();
    }
}
