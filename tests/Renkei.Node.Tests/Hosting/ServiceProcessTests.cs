using Renkei.Testing;

namespace Renkei.Node.Tests.Hosting;

public class ServiceProcessTests
{
    [Fact]
    public async Task A_service_process_with_a_missing_certificate_file_says_so_in_one_line_naming_the_full_path()
    {
        using var folder = new TempFolder();
        var (exit, _, error) = await RunAsync(folder, ["--urls", "https://127.0.0.1:0"], ("Node__DataFolder", folder.File("node")),
            ("Tls__CertificateFile", "node.pem"), // relative, as a first try often is
            ("Tls__KeyFile", "node.key"), ("Tls__CaFile", "network-ca.pem"));

        Assert.Equal(1, exit);
        var said = error.TrimEnd();
        Assert.Equal($"起動できません / cannot start: Tls:CertificateFile のファイルがありません / the file named by Tls:CertificateFile does not exist: {folder.File("node.pem")}", said);
    }

    [Fact]
    public async Task A_core_address_that_is_not_a_url_is_one_line_naming_the_setting_and_nothing_is_made()
    {
        using var folder = new TempFolder();
        var (exit, output, error) = await RunAsync(folder, ["--urls", "http://127.0.0.1:0"],
            ("Node__DataFolder", folder.File("node")), ("Node__CoreAddress", "not-a-url"),
            ("Node__Tenants__0__AgencyId", "122173"), ("Node__Tenants__0__Name", "柏市"));

        Assert.Equal(1, exit);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.StartsWith("起動できません / cannot start: Node:CoreAddress", error);
        Assert.DoesNotContain("   at ", output + error);
        Assert.False(Directory.Exists(folder.File("node")), "nothing of the node is made");
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_without_a_stack_trace()
    {
        using var folder = new TempFolder();
        var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            var (exit, output, error) = await RunAsync(folder, ["--urls", $"http://127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}"],
                ("Node__DataFolder", folder.File("node")), ("Node__CoreAddress", "https://core.example/"));
            Assert.Equal(1, exit);
            Assert.Single(error.TrimEnd().Split('\n'));
            Assert.StartsWith("起動できません / cannot start: ", error);
            Assert.DoesNotContain("   at ", output + error);
        }
        finally { taken.Stop(); }
    }

    [Fact]
    public async Task Help_says_what_the_service_is_and_where_its_settings_come_from_and_makes_nothing()
    {
        using var folder = new TempFolder();
        foreach (var flag in new[] { "--help", "-h" })
        {
            var (exit, output, error) = await RunAsync(folder, [flag]);
            Assert.Equal(0, exit);
            Assert.Equal("", error);
            Assert.Contains("中間サーバー", output);
            Assert.Contains("appsettings.json", output);
            Assert.Contains("Node__CoreAddress", output);
            Assert.Contains("Storage__ConnectionString", output);
        }
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(TempFolder folder, string[] args, params (string Name, string Value)[] environment)
    {
        var (exit, output, error) = await DotnetApp.RunAsync("Renkei.Node.dll", args, folder.Path, environment.Select(e => KeyValuePair.Create(e.Name, e.Value)));
        return (exit, output, error);
    }
}
