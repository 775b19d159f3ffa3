using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Renkei.Cli.Network;
using Renkei.Hosting;
using Renkei.Pki.Verifiers;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

/// <summary>The <c>renkei card</c> and <c>renkei pki</c> commands, run as a person would, against a running sandbox network.</summary>
public sealed class CliTests
{
    [Fact]
    public async Task Card_issue_show_sign_auth_export_and_pki_chain_and_crl_work_end_to_end()
    {
        using var folder = new TempFolder();
        var data = folder.File("data");
        await using var network = await SandboxNetwork.StartAsync(data);
        await network.Describe().WriteAsync(data);
        var network2 = NetworkFile.Read(data)!;
        Assert.Equal(network.PkiUrl.ToString(), network2.Pki!.Url);
        Assert.EndsWith("/ocsp", network2.Pki.OcspUrl);
        Assert.Contains("BEGIN CERTIFICATE", network2.Pki.SigningChain);

        var clerk = PkiSandbox.Client(network.RegistryUrl, SandboxCallers.TokenOf(data, "clerk-121002"));
        var moved = await clerk.PostAsJsonAsync("api/municipalities/121002/events", new
        {
            kind = "move-in", from = "abroad", address = "千葉県千葉市中央区中央1-1-1",
            person = new { familyName = "番号", givenName = "花子", familyNameKana = "バンゴウ", givenNameKana = "ハナコ", dateOfBirth = "1985-04-01", sex = "female" },
        }, ServiceDefaults.Json);
        var number = JsonDocument.Parse(await moved.Content.ReadAsStringAsync()).RootElement.GetProperty("individualNumber").GetString()!;
        var card = folder.File("hanako.card");

        var refused = await RenkeiCommand.RunAsync("card", "issue", "--data", data, "--number", number, "--pin", "12", "--signing-password", "HANAKO1", "--out", card);
        Assert.Equal(1, refused.ExitCode);
        Assert.False(File.Exists(card));
        var issued = await RenkeiCommand.RunAsync("card", "issue", "--data", data, "--number", number, "--pin", "2468", "--signing-password", "HANAKO1", "--out", card);
        Assert.True(issued.ExitCode == 0, issued.Error);
        Assert.DoesNotContain(number, issued.Output);

        var shown = await RenkeiCommand.RunAsync("card", "show", "--card", card, "--pin", "2468");
        Assert.True(shown.ExitCode == 0, shown.Error);
        Assert.Contains("番号 花子", shown.Output);
        Assert.Contains(number[8..], shown.Output);
        Assert.DoesNotContain(number, shown.Output);
        var wrong = await RenkeiCommand.RunAsync("card", "show", "--card", card, "--pin", "0000");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("残り2回", wrong.Error);

        var document = folder.File("申請書.txt");
        await File.WriteAllTextAsync(document, "電子申請 / e-application");
        var signed = await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "HANAKO1", document);
        Assert.True(signed.ExitCode == 0, signed.Error);
        var cms = new SignedCms(new ContentInfo(await File.ReadAllBytesAsync(document)), detached: true);
        cms.Decode(await File.ReadAllBytesAsync(document + ".p7s"));
        cms.CheckSignature(verifySignatureOnly: true);

        var exported = await RenkeiCommand.RunAsync("card", "export", "--card", card, "--out", folder.File("certs"));
        Assert.True(exported.ExitCode == 0, exported.Error);
        var signing = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(folder.File("certs/signing.pem")));
        Assert.Equal(cms.SignerInfos[0].Certificate!.Thumbprint, signing.Thumbprint);
        Assert.True(File.Exists(folder.File("certs/authentication.pem")));
        Assert.DoesNotContain("PRIVATE", string.Concat(Directory.GetFiles(folder.File("certs")).Select(File.ReadAllText)));

        // The authentication answer is what the verification API takes.
        var challenge = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var answer = await RenkeiCommand.RunAsync("card", "auth", "--card", card, "--pin", "2468", challenge);
        Assert.True(answer.ExitCode == 0, answer.Error);
        var request = JsonSerializer.Deserialize<AuthenticationRequest>(answer.Output, ServiceDefaults.Json)!;
        var admin = PkiSandbox.Client(network.PkiUrl, SandboxCallers.TokenOf(data, "admin"));
        var verifier = (await (await admin.PostAsJsonAsync("api/verifiers", new RegisterVerifierRequest("ポータル", "government"), ServiceDefaults.Json))
            .Content.ReadFromJsonAsync<VerifierRegistered>(ServiceDefaults.Json))!;
        var verification = await PkiSandbox.Client(network.PkiUrl, verifier.Token).PostAsJsonAsync("api/verify/authentication", request, ServiceDefaults.Json);
        var result = (await verification.Content.ReadFromJsonAsync<AuthenticationVerification>(ServiceDefaults.Json))!;
        Assert.True(result.Valid, result.Reason);

        var chain = await RenkeiCommand.RunAsync("pki", "chain", "--data", data);
        Assert.True(chain.ExitCode == 0, chain.Error);
        Assert.Equal(3, chain.Output.Split("BEGIN CERTIFICATE").Length - 1);
        var crl = await RenkeiCommand.RunAsync("pki", "crl", "--data", data, "--kind", "signing");
        Assert.True(crl.ExitCode == 0, crl.Error);
        Assert.Contains("-----BEGIN X509 CRL-----", crl.Output);
        Assert.NotEqual(0, (await RenkeiCommand.RunAsync("pki", "crl", "--data", data, "--kind", "other")).ExitCode);
    }
}
