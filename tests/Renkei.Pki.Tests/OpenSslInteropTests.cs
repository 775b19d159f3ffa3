using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

/// <summary>OpenSSL, an independent implementation, must accept what we produce: chains, CRLs, OCSP and CMS.</summary>
public sealed class OpenSslInteropTests
{
    private static async Task<(int Code, string Output)> OpenSslAsync(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    [Theory, StorageData]
    public async Task OpenSsl_verifies_chains_crls_ocsp_answers_and_cms_signatures(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var cas = sandbox.Pki.Services.GetRequiredService<CertificationAuthorities>();
        var dir = sandbox.Folder;
        void Write(string name, string text) => File.WriteAllText(Path.Combine(dir, name), text);
        Write("root.pem", cas.Root.Pem);
        Write("signing-ca.pem", cas.Signing.Pem);
        Write("authentication-ca.pem", cas.Authentication.Pem);
        Write("chain.pem", cas.AllPem);
        Write("signing.pem", card.SigningCertificate.ExportCertificatePem() + "\n");
        Write("authentication.pem", card.AuthenticationCertificate.ExportCertificatePem() + "\n");

        // openssl verify: both chains, strictly; the wrong intermediate does not do.
        var verify = await OpenSslAsync(dir, "verify", "-x509_strict", "-CAfile", "root.pem", "-untrusted", "signing-ca.pem", "signing.pem");
        Assert.True(verify.Code == 0, verify.Output);
        Assert.Contains("signing.pem: OK", verify.Output);
        verify = await OpenSslAsync(dir, "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "root.pem", "-untrusted", "authentication-ca.pem", "authentication.pem");
        Assert.True(verify.Code == 0, verify.Output);
        var crossed = await OpenSslAsync(dir, "verify", "-CAfile", "root.pem", "-untrusted", "authentication-ca.pem", "signing.pem");
        Assert.NotEqual(0, crossed.Code);

        // RFC 5280 policy processing with an explicit JPKI policy: each issuing CA names the policy of what it issues.
        async Task<(int Code, string Output)> VerifyPolicyAsync(string policy, string ca, string certificate) =>
            await OpenSslAsync(dir, "verify", "-x509_strict", "-policy_check", "-explicit_policy", "-policy", policy, "-CAfile", "root.pem", "-untrusted", ca, certificate);
        var policy = await VerifyPolicyAsync(Renkei.Pki.Certificates.CertificateProfile.SigningPolicy, "signing-ca.pem", "signing.pem");
        Assert.True(policy.Code == 0, policy.Output);
        policy = await VerifyPolicyAsync(Renkei.Pki.Certificates.CertificateProfile.AuthenticationPolicy, "authentication-ca.pem", "authentication.pem");
        Assert.True(policy.Code == 0, policy.Output);
        Assert.NotEqual(0, (await VerifyPolicyAsync(Renkei.Pki.Certificates.CertificateProfile.AuthenticationPolicy, "signing-ca.pem", "signing.pem")).Code);

        // The whole chain's CRLs: the root publishes one for the issuing CAs (served like the others), which verifies under the root.
        foreach (var name in new[] { "root", "signing", "authentication" })
        {
            await File.WriteAllBytesAsync(Path.Combine(dir, $"{name}-now.crl"), await sandbox.Anonymous.GetByteArrayAsync($"crl/{name}.crl"));
            Assert.Equal(0, (await OpenSslAsync(dir, "crl", "-inform", "DER", "-in", $"{name}-now.crl", "-out", $"{name}-now-crl.pem")).Code);
        }
        var rootCrl = await OpenSslAsync(dir, "crl", "-in", "root-now-crl.pem", "-CAfile", "root.pem", "-noout", "-text");
        Assert.Contains("verify OK", rootCrl.Output);
        Assert.Contains("No Revoked Certificates", rootCrl.Output);
        foreach (var (kind, certificate) in new[] { ("signing", "signing.pem"), ("authentication", "authentication.pem") })
        {
            var all = await OpenSslAsync(dir, "verify", "-crl_check_all", "-CRLfile", "root-now-crl.pem", "-CRLfile", $"{kind}-now-crl.pem",
                "-CAfile", "root.pem", "-untrusted", $"{kind}-ca.pem", certificate);
            Assert.True(all.Code == 0, all.Output);
        }
        Assert.Equal(cas.Root.Certificate.RawData, await sandbox.Anonymous.GetByteArrayAsync("ca/root.cer"));

        // openssl cms -verify on a detached signature; a changed document fails.
        var document = Encoding.UTF8.GetBytes("電子申請書 / e-application\n");
        await File.WriteAllBytesAsync(Path.Combine(dir, "doc.txt"), document);
        await File.WriteAllBytesAsync(Path.Combine(dir, "doc.txt.p7s"), card.Sign("ABC123", document).Cms!);
        var cms = await OpenSslAsync(dir, "cms", "-verify", "-binary", "-inform", "DER", "-in", "doc.txt.p7s", "-content", "doc.txt",
            "-CAfile", "chain.pem", "-out", "verified.txt");
        Assert.True(cms.Code == 0, cms.Output);
        Assert.Contains("Verification successful", cms.Output);
        await File.WriteAllBytesAsync(Path.Combine(dir, "doc.txt"), [.. document, (byte)'!']);
        var changed = await OpenSslAsync(dir, "cms", "-verify", "-binary", "-inform", "DER", "-in", "doc.txt.p7s", "-content", "doc.txt",
            "-CAfile", "chain.pem", "-out", "verified.txt");
        Assert.NotEqual(0, changed.Code);

        // openssl ocsp against the responder: good, then revoked after an address change; authentication stays good.
        // OpenSSL sends a nonce by default and checks the echo: it must not warn that none came back.
        var url = new Uri(sandbox.Pki.BaseAddress(), "ocsp").ToString();
        async Task<string> Ocsp(string issuer, string certificate, bool nonce = true, bool sha256 = false)
        {
            string[] args = ["ocsp", "-issuer", issuer, "-cert", certificate, "-url", url, "-CAfile", "chain.pem", "-resp_text"];
            if (!nonce) args = [.. args, "-no_nonce"];
            // -sha256 must come before -cert: it sets the hash of the CertIDs that follow.
            if (sha256) args = ["ocsp", "-sha256", .. args[1..]];
            var (code, output) = await OpenSslAsync(dir, args);
            Assert.True(code == 0, output);
            Assert.Contains("Response verify OK", output);
            Assert.DoesNotContain("no nonce in response", output);
            Assert.DoesNotContain("Nonce Verify error", output);
            Assert.Equal(nonce, output.Contains("OCSP Nonce", StringComparison.Ordinal));
            return output;
        }
        Assert.Contains("signing.pem: good", await Ocsp("signing-ca.pem", "signing.pem"));
        // Without a nonce (RFC 5019 style) the pre-produced response answers.
        Assert.Contains("signing.pem: good", await Ocsp("signing-ca.pem", "signing.pem", nonce: false));
        // A SHA-256 CertID is answered with a SHA-256 CertID, and SHA-1 after it still with SHA-1, each from its own cached response.
        Assert.Contains("signing.pem: good", await Ocsp("signing-ca.pem", "signing.pem", nonce: false, sha256: true));
        Assert.Contains("signing.pem: good", await Ocsp("signing-ca.pem", "signing.pem", nonce: false));
        Assert.Contains("authentication.pem: good", await Ocsp("authentication-ca.pem", "authentication.pem", nonce: false, sha256: true));
        await sandbox.RecordAsync(new { kind = "address-change", residentId = resident.ResidentId, address = "千葉県千葉市若葉区桜木1-1-1" });
        await PkiSandbox.EventuallyAsync(async () => (await Ocsp("signing-ca.pem", "signing.pem")).Contains("signing.pem: revoked"), "openssl ocsp says revoked");
        Assert.Contains("authentication.pem: good", await Ocsp("authentication-ca.pem", "authentication.pem"));
        Assert.Contains("signing.pem: revoked", await Ocsp("signing-ca.pem", "signing.pem", nonce: false));

        // openssl crl: both CRLs parse and verify against their CA; the signing CRL lists the certificate.
        foreach (var kind in new[] { "signing", "authentication" })
            await File.WriteAllBytesAsync(Path.Combine(dir, $"{kind}.crl"), await sandbox.Anonymous.GetByteArrayAsync($"crl/{kind}.crl"));
        var crl = await OpenSslAsync(dir, "crl", "-inform", "DER", "-in", "signing.crl", "-CAfile", "chain.pem", "-noout", "-text");
        Assert.True(crl.Code == 0, crl.Output);
        Assert.Contains("verify OK", crl.Output);
        Assert.Contains(card.SigningCertificate.SerialNumber, crl.Output.Replace(":", "").ToUpperInvariant());
        Assert.Contains("Affiliation Changed", crl.Output);
        var authCrl = await OpenSslAsync(dir, "crl", "-inform", "DER", "-in", "authentication.crl", "-CAfile", "chain.pem", "-noout", "-text");
        Assert.Contains("verify OK", authCrl.Output);
        Assert.Contains("No Revoked Certificates", authCrl.Output);

        // With the CRL, openssl verify refuses the revoked certificate.
        var pemCrl = await OpenSslAsync(dir, "crl", "-inform", "DER", "-in", "signing.crl", "-out", "signing-crl.pem");
        Assert.Equal(0, pemCrl.Code);
        var revoked = await OpenSslAsync(dir, "verify", "-crl_check", "-CRLfile", "signing-crl.pem", "-CAfile", "root.pem", "-untrusted", "signing-ca.pem", "signing.pem");
        Assert.NotEqual(0, revoked.Code);
        Assert.Contains("revoked", revoked.Output);
    }
}
