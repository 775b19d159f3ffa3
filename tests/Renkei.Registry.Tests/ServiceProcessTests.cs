using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Renkei.Testing;

namespace Renkei.Registry.Tests;

/// <summary>The Registry run as its own process, as docs/operating.md runs it.</summary>
public class ServiceProcessTests
{
    [Fact]
    public async Task On_its_own_the_registry_starts_with_no_demo_data_unless_Registry_DemoData_is_true()
    {
        using var folder = new TempFolder();
        // operating.md's operator, who never heard of DemoData, got the 14 demo municipalities and 190 synthetic corporations.
        Assert.Empty(await MunicipalitiesAsync(folder, "real"));
        Assert.Equal(14, (await MunicipalitiesAsync(folder, "demo", ("Registry__DemoData", "true"))).Count);
    }

    [Fact]
    public async Task Run_from_a_folder_without_appsettings_it_does_not_log_every_request()
    {
        using var folder = new TempFolder();
        // operating.md's recipe: published to one folder, run from another, whose appsettings.json (if any) is the one read.
        using var process = Start(folder, ["--urls", "http://127.0.0.1:0"], [("Registry__DataFolder", folder.File("registry"))]);
        string rest;
        try
        {
            var listening = await ListeningAsync(process).WaitAsync(TimeSpan.FromMinutes(1));
            using var http = new HttpClient();
            for (var i = 0; i < 3; i++) Assert.Equal("[]", await http.GetStringAsync(new Uri(listening, "api/municipalities")));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            rest = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
        }
        // It used to log about six ASP.NET Core lines a request (Request starting, Executing endpoint, …).
        Assert.DoesNotContain("Microsoft.AspNetCore", rest);
    }

    [Fact]
    public async Task A_setting_of_a_value_it_cannot_take_is_one_line_naming_the_setting_and_what_it_takes()
    {
        using var folder = new TempFolder();
        var (exit, _, error) = await RunAsync(folder, ["--urls", "http://127.0.0.1:0"], ("Registry__DataFolder", folder.File("registry")), ("Storage__Provider", "Postgre"));
        Assert.Equal(1, exit);
        Assert.Equal("起動できません / cannot start: 設定 Storage:Provider（環境変数 Storage__Provider）は Sqlite, Postgres のどれかです（「Postgre」）"
            + "/ the setting Storage:Provider (Storage__Provider) must be one of Sqlite, Postgres, not 'Postgre'", Assert.Single(error.TrimEnd().Split('\n')));
    }

    [Fact]
    public async Task A_connection_string_it_cannot_read_is_named_without_repeating_any_of_it()
    {
        using var folder = new TempFolder();
        // A password with an unquoted ';': the parser's words quoted what followed it, a piece of the password.
        var (exit, output, error) = await RunAsync(folder, ["--urls", "http://127.0.0.1:0"], ("Registry__DataFolder", folder.File("registry")),
            ("Storage__Provider", "Postgres"), ("Storage__ConnectionString", "Host=127.0.0.1;Username=renkei;Password=kiwi;SecretHalf=melon"));
        Assert.Equal(1, exit);
        Assert.Equal("起動できません / cannot start: 設定 Storage:ConnectionString を読めません。「;」や「=」を含む値は引用符で囲んでください（Password='a;b'）/ "
            + "the setting Storage:ConnectionString cannot be read: quote a value that holds ';' or '=' (Password='a;b')", Assert.Single(error.TrimEnd().Split('\n')));
        Assert.DoesNotContain("secrethalf", (output + error).ToLowerInvariant());
    }

    [Theory]
    [InlineData("--urls")]
    [InlineData("ASPNETCORE_URLS")]
    public async Task Https_without_Tls_settings_is_one_Japanese_first_line_naming_them_and_nothing_is_made(string how)
    {
        using var folder = new TempFolder();
        var url = "https://127.0.0.1:0";
        var (exit, output, error) = how == "--urls"
            ? await RunAsync(folder, ["--urls", url], ("Registry__DataFolder", folder.File("registry")))
            : await RunAsync(folder, [], ("Registry__DataFolder", folder.File("registry")), ("ASPNETCORE_URLS", url));
        Assert.Equal(1, exit);
        var said = Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Equal($"起動できません / cannot start: {url} で HTTPS を使うには Tls__CertificateFile、Tls__KeyFile、Tls__CaFile の設定が必要です（docs/operating.md）。"
            + $"何も作っていません / {url} needs Tls__CertificateFile, Tls__KeyFile and Tls__CaFile (docs/operating.md); nothing was made", said);
        Assert.DoesNotContain("dev-certs", output + error);
        // The database, the three key files and the demo data used to be made before Kestrel found no certificate.
        Assert.False(Directory.Exists(folder.File("registry")), "nothing of the registry is made");
    }

    [Fact]
    public async Task A_port_in_use_is_one_Japanese_first_line_naming_the_address()
    {
        using var folder = new TempFolder();
        var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            var url = $"http://127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}";
            var (exit, output, error) = await RunAsync(folder, ["--urls", url], ("Registry__DataFolder", folder.File("registry")));
            Assert.Equal(1, exit);
            var said = Assert.Single(error.TrimEnd().Split('\n'));
            Assert.Equal($"起動できません / cannot start: {url} は使用中です。使っているものを止めるか、--urls で別のポートを指定してください / "
                + $"{url} is already in use: stop what uses it, or choose another port with --urls", said);
            Assert.DoesNotContain("   at ", output + error);
        }
        finally { taken.Stop(); }
    }

    [Fact]
    public async Task Help_lists_Registry_DemoData_and_the_readiness_probe_timeout_with_their_defaults()
    {
        using var folder = new TempFolder();
        var (exit, output, _) = await RunAsync(folder, ["--help"]);
        Assert.Equal(0, exit);
        Assert.Contains("Registry__DemoData                    false by default here", output);
        Assert.Contains("Storage__ProbeTimeoutSeconds          2 by default (more than 0, at most 600): /health/ready's wait per database", output);
    }

    /// <summary>Starts the Registry on a free port in <paramref name="folder"/>/<paramref name="name"/>, lists its municipalities and stops it.</summary>
    private static async Task<List<JsonElement>> MunicipalitiesAsync(TempFolder folder, string name, params (string Name, string Value)[] environment)
    {
        using var process = Start(folder, ["--urls", "http://127.0.0.1:0"], [("Registry__DataFolder", folder.File(name)), .. environment]);
        try
        {
            var listening = await ListeningAsync(process).WaitAsync(TimeSpan.FromMinutes(1));
            using var http = new HttpClient();
            return [.. JsonDocument.Parse(await http.GetStringAsync(new Uri(listening, "api/municipalities"))).RootElement.EnumerateArray()];
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static async Task<Uri> ListeningAsync(Process process)
    {
        while (await process.StandardOutput.ReadLineAsync() is { } line)
            if (Regex.Match(line, @"Now listening on: (http://\S+)") is { Success: true } m) return new Uri(m.Groups[1].Value + "/");
        throw new InvalidOperationException($"the registry stopped without listening: {await process.StandardError.ReadToEndAsync()}");
    }

    private static Process Start(TempFolder folder, string[] args, (string Name, string Value)[] environment) =>
        DotnetApp.Start("Renkei.Registry.dll", args, folder.Path, environment.Select(e => KeyValuePair.Create(e.Name, e.Value)));

    private static async Task<(int Exit, string Output, string Error)> RunAsync(TempFolder folder, string[] args, params (string Name, string Value)[] environment)
    {
        var (exit, output, error) = await DotnetApp.RunAsync("Renkei.Registry.dll", args, folder.Path, environment.Select(e => KeyValuePair.Create(e.Name, e.Value)));
        return (exit, output, error);
    }
}
