using System.Security.Cryptography.X509Certificates;
using Renkei.Hosting.Tls;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary><c>renkei network revoke</c> and <c>renkei network crl</c>, on the files of a network CA as <c>renkei up</c> leaves them.</summary>
public class NetworkCommandTests
{
    [Fact]
    public async Task Revoke_lists_a_certificate_once_and_crl_prints_the_signed_list()
    {
        using var data = new TempFolder();
        X509Certificate2 node;
        using (var ca = NetworkCa.LoadOrCreate(Path.Combine(data.Path, "network")))
            node = ca.Issue("node", NetworkIdentity.Node("node-1")!, "Renkei node node-1").Load();
        using (node)
        {
            var revoked = await RenkeiCommand.RunAsync("network", "revoke", "node", "--data", data.Path, "--reason", "superseded");
            Assert.True(revoked.ExitCode == 0, revoked.Error);
            Assert.StartsWith("失効させました / revoked at", revoked.Output);
            Assert.Contains(node.SerialNumber, revoked.Output);
            Assert.Contains("urn:renkei:node:node-1", revoked.Output);
            var again = await RenkeiCommand.RunAsync("network", "revoke", "node", "--data", data.Path);
            Assert.Equal(0, again.ExitCode);
            Assert.StartsWith("既に失効しています / already revoked", again.Output);

            var crl = await RenkeiCommand.RunAsync("network", "crl", "--data", data.Path);
            Assert.True(crl.ExitCode == 0, crl.Error);
            Assert.StartsWith("-----BEGIN X509 CRL-----", crl.Output);
            Assert.Contains("1 revoked", crl.Error);
            using var ca = NetworkCa.LoadOrCreate(Path.Combine(data.Path, "network"));
            Assert.True(NetworkCrl.Read(System.Text.Encoding.ASCII.GetBytes(crl.Output), ca.Certificate).IsRevoked(node));
        }
    }

    [Fact]
    public async Task Revoke_refuses_the_ca_a_path_an_unknown_name_an_unknown_reason_and_a_folder_without_a_ca()
    {
        using var data = new TempFolder();
        var none = await RenkeiCommand.RunAsync("network", "revoke", "node", "--data", data.Path);
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("renkei up", none.Error);
        Assert.False(File.Exists(Path.Combine(data.Path, "network", "ca.pem")), "the command must not make a CA");
        Assert.Equal(1, (await RenkeiCommand.RunAsync("network", "crl", "--data", data.Path)).ExitCode);

        using (NetworkCa.LoadOrCreate(Path.Combine(data.Path, "network"))) { }
        foreach (var (args, says) in new (string[], string)[]
        {
            (["ca"], "the CA itself cannot be revoked"),
            (["../network/ca"], "lower-case letters, digits and hyphens"),
            (["nothing"], "no certificate named nothing"),
            (["node", "--reason", "bored"], "--reason は"),
        })
        {
            var result = await RenkeiCommand.RunAsync(["network", "revoke", .. args, "--data", data.Path]);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains(says, result.Error);
        }
        // Refusing the CA is a decision, not a mistyped command: the reason alone, without the usage a parse error prints.
        var ca = await RenkeiCommand.RunAsync("network", "revoke", "ca", "--data", data.Path);
        Assert.Equal(1, ca.ExitCode);
        Assert.Equal("CA自身は失効できません。ca.pem と ca.key を消すと次の起動で作り直します / the CA itself cannot be revoked; "
            + "delete ca.pem and ca.key and the next start makes a new one", ca.Error.Trim());
        Assert.Equal("", ca.Output);
    }

    [Fact]
    public async Task A_damaged_revocation_list_stops_up_and_the_network_commands_with_how_to_restore_it_not_a_stack_trace()
    {
        using var data = new TempFolder();
        string crlFile;
        using (var ca = NetworkCa.LoadOrCreate(Path.Combine(data.Path, "network")))
        {
            ca.Issue("node", NetworkIdentity.Node("node-1")!, "Renkei node node-1");
            crlFile = ca.CrlFile;
        }
        var damaged = File.ReadAllText(crlFile).Replace("-----BEGIN X509 CRL-----\n", "-----BEGIN X509 CRL-----\nAAAA");
        File.WriteAllText(crlFile, damaged);
        foreach (var args in new[] { new[] { "network", "crl" }, ["network", "revoke", "node"], ["up", "--port", "0"] })
        {
            var result = await RenkeiCommand.RunAsync([.. args, "--data", data.Path]);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("restore", result.Error);
            Assert.DoesNotContain("   at ", result.Error);
        }
        Assert.Equal(damaged, File.ReadAllText(crlFile));
        Assert.False(File.Exists(Path.Combine(data.Path, "network.json")), "up wrote no network.json for a network it did not start");
    }
}
