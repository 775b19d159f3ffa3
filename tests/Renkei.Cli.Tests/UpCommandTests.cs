using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Renkei.Cli.Network;
using Renkei.Hosting.Tls;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

public class UpCommandTests
{
    [Fact]
    public async Task Up_runs_the_registry_writes_network_json_and_stops_cleanly_on_sigterm()
    {
        using var folder = new TempFolder();
        var data = folder.File("data"); // renkei up makes it, as ./data on a first start
        using var process = RenkeiCommand.Start(["up", "--data", data, "--port", "0"]);
        var output = process.StandardOutput.ReadToEndAsync();
        var networkFile = Path.Combine(data, "network.json");
        using var http = new HttpClient();
        HttpClient? trusting = null;
        var registryUrl = await RenkeiCommand.WaitForAsync(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException("renkei up exited: " + await process.StandardError.ReadToEndAsync());
            if (!File.Exists(networkFile)) return null;
            var file = JsonDocument.Parse(await File.ReadAllTextAsync(networkFile)).RootElement;
            trusting ??= new HttpClient(NetworkTls.Handler(X509Certificate2.CreateFromPem(file.GetProperty("networkCa").GetString())));
            var url = file.GetProperty("services").GetProperty("registry").GetProperty("url").GetString();
            try { return (await trusting.GetAsync(new Uri(new Uri(url!), "health"))).IsSuccessStatusCode ? url : null; }
            catch (HttpRequestException) { return null; }
        }, TimeSpan.FromMinutes(2), "the registry answering");
        using var trusted = trusting!;

        var municipalities = await trusted.GetFromJsonAsync<JsonElement>(new Uri(new Uri(registryUrl), "api/municipalities"));
        Assert.Contains(municipalities.EnumerateArray(), m => m.GetProperty("name").GetString() == "千葉市" && m.GetProperty("code").GetString() == "121002");
        Assert.Equal(200, (int)(await trusted.GetAsync(new Uri(new Uri(registryUrl), "openapi/v1.json"))).StatusCode);

        // Registry, the PKI's API, Core and Node serve HTTPS under the network CA that network.json carries; without it a client does not trust them.
        var described = JsonDocument.Parse(await File.ReadAllTextAsync(networkFile)).RootElement;
        using var ca = X509Certificate2.CreateFromPem(described.GetProperty("networkCa").GetString());
        foreach (var service in new[] { "registry", "pki", "core", "node" })
        {
            var url = new Uri(described.GetProperty("services").GetProperty(service).GetProperty("url").GetString()!);
            Assert.Equal("https", url.Scheme);
            Assert.Equal(200, (int)(await trusted.GetAsync(new Uri(url, "health"))).StatusCode);
            Assert.Equal(200, (int)(await trusted.GetAsync(new Uri(url, "openapi/v1.json"))).StatusCode);
            await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri(url, "health")));
        }
        // The PKI's public side (OCSP, CRLs) stays on plain HTTP for relying parties.
        var pkiPublic = new Uri(described.GetProperty("pki").GetProperty("url").GetString()!);
        Assert.Equal("http", pkiPublic.Scheme);
        Assert.Equal(200, (int)(await http.GetAsync(new Uri(pkiPublic, "crl/authentication.crl"))).StatusCode);
        Assert.Equal(ca.Thumbprint, X509CertificateLoader.LoadCertificateFromFile(Path.Combine(data, "network", "ca.pem")).Thumbprint);
        // What the network stores is its user's alone: the Registry's database holds every Individual Number.
        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if (!OperatingSystem.IsWindows())
            foreach (var path in new[] { data, Path.Combine(data, "registry", "registry.db"), Path.Combine(data, "registry", "registry.db-wal"),
                         Path.Combine(data, "core", "core.db"), Path.Combine(data, "logs", "registry.log") })
                Assert.True((File.GetUnixFileMode(path) & others) == 0, $"{path}: {File.GetUnixFileMode(path)}");

        // The demo agencies have people with codes and copies: 文京区's child-allowance clerk obtains a
        // demo person's local tax from 柏市 through the core.
        var node = new Uri(described.GetProperty("services").GetProperty("node").GetProperty("url").GetString()!);
        var nodeCallers = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(data, "node", "callers.json"))).RootElement;
        var clerk = nodeCallers.EnumerateArray().First(c => c.GetProperty("name").GetString() == "131059-child-allowance").GetProperty("token").GetString();
        var answer = await RenkeiCommand.WaitForAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(node, "api/tenants/131059/inquiries"))
            {
                Content = JsonContent.Create(new { addresseeNumber = "B-000001", affair = "child-allowance", provider = "122173", item = "local-tax" }),
            };
            request.Headers.Authorization = new("Bearer", clerk);
            using var response = await trusted.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            return response.IsSuccessStatusCode ? body : null;
        }, TimeSpan.FromMinutes(2), "a demo inquiry answered");
        var answered = JsonDocument.Parse(answer).RootElement;
        Assert.Equal("provided", answered.GetProperty("outcome").GetString());
        // 柏市's copy of the demo's local tax for that person, figures and all.
        var tax = answered.GetProperty("content");
        var taxable = Math.Max(0, tax.GetProperty("totalIncome").GetInt32() - 1_500_000);
        Assert.Equal(taxable, tax.GetProperty("taxableIncome").GetInt32());
        Assert.Equal(taxable * 6 / 100, tax.GetProperty("municipalTax").GetInt32());

        // The numbers this run issued, read as an operator would: the logs are searched for each below by the test's own reckoning,
        // not by the masker's detector, which would pass whatever form it failed to recognise.
        var export = await RenkeiCommand.RunAsync("registry", "export", "--data", data);
        Assert.True(export.ExitCode == 0, export.Error);
        var column = Array.IndexOf(export.Lines[0].Split(','), "individual_number");
        var numbers = export.Lines.Skip(1).Select(l => l.Split(',')[column]).ToList();
        Assert.NotEmpty(numbers);
        Assert.All(numbers, n => Assert.Matches("^[0-9]{12}$", n));
        // A number sent where none belongs, in each form, to the node (as an inquiry's addressee and as its affair, a value the node
        // logs once past its checks) and to the core (in a path): refused, and nothing of it may reach a log unmasked.
        var core = new Uri(described.GetProperty("services").GetProperty("core").GetProperty("url").GetString()!);
        foreach (var form in NumberLeaks.Forms(numbers[0]))
        {
            foreach (var (addressee, affair) in new[] { (form, "child-allowance"), ("B-000001", form) })
            {
                using var misplaced = new HttpRequestMessage(HttpMethod.Post, new Uri(node, "api/tenants/131059/inquiries"))
                {
                    Content = JsonContent.Create(new { addresseeNumber = addressee, affair, provider = "122173", item = "local-tax" }),
                };
                misplaced.Headers.Authorization = new("Bearer", clerk);
                using var refused = await trusted.SendAsync(misplaced);
                Assert.True((int)refused.StatusCode is >= 400 and < 500, $"{form}: {refused.StatusCode}");
            }
            using var unknown = await trusted.GetAsync(new Uri(core, "api/codes/" + Uri.EscapeDataString(form)));
            Assert.True((int)unknown.StatusCode is >= 400 and < 500, $"{form}: {unknown.StatusCode}");
        }

        // A command given the running network's folder plays on it rather than starting another.
        var demo = await RenkeiCommand.RunAsync("demo", "moving-family", "--data", data);
        Assert.True(demo.ExitCode == 0, demo.Output + demo.Error);
        Assert.DoesNotContain("no network is running", demo.Error);

        // A second 'up' on the same folder refuses to start a second network.
        var second = await RenkeiCommand.RunAsync("up", "--data", data, "--port", "0");
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("既に起動しています", second.Error);

        RenkeiCommand.Terminate(process);
        await process.ExitsWithinAsync(TimeSpan.FromSeconds(30), output);
        Assert.Equal(130, process.ExitCode); // as README says of every command stopped by Ctrl+C or SIGTERM; it used to exit 0
        var printed = await output;
        Assert.Contains("停止しました", printed);
        Assert.Contains("https://127.0.0.1:", printed);
        Assert.False(File.Exists(networkFile));
        Assert.True(File.Exists(Path.Combine(data, "registry", "numbering.key")));
        // Each service kept its log under DIR/logs, without any of the run's Individual Numbers in it, in any form.
        Assert.NotEmpty(NumberLeaks.In($"node: addresseeNumber {NumberLeaks.Forms(numbers[^1]).Last()}", numbers)); // the search finds one where one is
        foreach (var service in new[] { "registry", "pki", "core", "node" })
        {
            var log = await File.ReadAllTextAsync(Path.Combine(data, "logs", service + ".log"));
            Assert.Contains("Now listening on: http", log);
            Assert.Empty(NumberLeaks.In(log, numbers));
        }
    }

    [Fact]
    public async Task Up_stopped_during_its_first_start_stops_at_once_and_the_next_start_finishes_the_demo_data()
    {
        using var folder = new TempFolder();
        var networkFile = Path.Combine(folder.Path, "network.json");
        using (var first = RenkeiCommand.Start(["up", "--data", folder.Path, "--port", "0"]))
        {
            var output = first.StandardOutput.ReadToEndAsync();
            // network.json is written once the services listen, before the demo people, codes and copies are made.
            await Eventually.HoldsAsync(() => File.Exists(networkFile), "network.json was not written within 2 minutes", TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(100));
            RenkeiCommand.Terminate(first);
            // It used to finish making the demo data first (half a minute and more) and only then stop.
            await first.ExitsWithinAsync(TimeSpan.FromSeconds(20), output);
            Assert.Equal(130, first.ExitCode);
            var printed = await output;
            Assert.Contains("停止しました", printed);
            Assert.DoesNotContain("試してみる", printed);
            Assert.DoesNotContain("reusing", printed);
            Assert.False(File.Exists(networkFile));
        }
        // The node's certificate revoked in between: the next start issues it a new one, and says so.
        Assert.Equal(0, (await RenkeiCommand.RunAsync("network", "revoke", "node", "--data", folder.Path)).ExitCode);
        using var second = RenkeiCommand.Start(["up", "--data", folder.Path, "--port", "0"]);
        var error = second.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        var read = Task.Run(async () => { while (await second.StandardOutput.ReadLineAsync() is { } line) lock (lines) lines.Add(line); });
        await Eventually.HoldsAsync(() => { lock (lines) return lines.Any(l => l.Contains("試してみる")); },
            "the second start's demo data was not made within 3 minutes", TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(100));
        lock (lines) Assert.Contains(lines, l => l.Contains("デモ機関に宛名"));
        // It used to say exactly what a first start says.
        lock (lines) Assert.Contains($"{folder.Path} の既存のデータ（住民、鍵、証明書、トークン）を使います。TLS証明書を発行し直しました: node / "
            + $"reusing the existing data in {folder.Path} (residents, keys, certificates, tokens); issued new TLS certificates to: node (revoked, expiring or not of this CA)", lines);
        RenkeiCommand.Terminate(second);
        await second.ExitsWithinAsync(TimeSpan.FromSeconds(30), error);
        Assert.Equal(130, second.ExitCode);
    }

    [Fact]
    public async Task Up_names_a_taken_port_before_starting_anything()
    {
        using var folder = new TempFolder();
        // The taken port is the third service's (the Node's): the Registry's and the Core's ports come before it. The others of the
        // range are free and stay so (LoopbackPorts), so the one named is the one held here.
        var basePort = LoopbackPorts.FreeRange();
        var taken = basePort + 3;
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, taken);
        holder.Start();
        var result = await RenkeiCommand.RunAsync("up", "--data", folder.Path, "--port", basePort.ToString());
        Assert.Equal(1, result.ExitCode);
        Assert.Matches($@"ポート [0-9, ]*\b{taken}\b[0-9, ]* は使用中です", result.Error);
        Assert.Contains("already in use", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path)); // nothing started, nothing made

        // The services take the five ports after the base, so 65,530 is the highest base.
        var outOfRange = await RenkeiCommand.RunAsync("up", "--data", folder.Path, "--port", "65531");
        Assert.Equal(1, outOfRange.ExitCode);
        Assert.Contains("--port は0から65,530の整数です", outOfRange.Error);
        Assert.DoesNotContain("   at ", outOfRange.Error);
    }

    [Fact]
    public async Task Up_on_another_port_than_the_folders_says_that_its_certificates_name_the_folders_pki()
    {
        using var folder = new TempFolder();
        FolderPort.Keep(folder.Path, 7300);
        var basePort = LoopbackPorts.FreeRange();
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, basePort + 1);
        holder.Start();
        var result = await RenkeiCommand.RunAsync("up", "--data", folder.Path, "--port", basePort.ToString());
        Assert.Equal(1, result.ExitCode); // refused for the taken port, after the note
        Assert.Contains("note: the certificates issued in this folder name http://127.0.0.1:7304/ (base port 7300) for revocation checks", result.Error);
        Assert.Equal(7300, FolderPort.Kept(folder.Path)); // nothing started, so nothing else kept
    }

    [Fact]
    public async Task A_start_on_another_port_does_not_move_the_folders_port()
    {
        // Audit R4: the second start kept its port for good, so the next up without --port served there, silently, and every
        // certificate issued under the first could never be checked again.
        using var folder = new TempFolder();
        var first = LoopbackPorts.FreeRange();
        await using (await SandboxNetwork.StartAsync(folder.Path, first)) { }
        // A network started as such (a test's, bench pki --data's) keeps nothing: renkei up and a command's own network keep their first.
        Assert.False(File.Exists(FolderPort.PathIn(folder.Path)));
        FolderPort.KeepFirst(folder.Path, first);
        var other = LoopbackPorts.FreeRange();
        Assert.NotEqual(first, other);
        FolderPort.KeepFirst(folder.Path, other);
        Assert.Equal(first, FolderPort.Kept(folder.Path));

        // up without --port serves the first: the port it finds taken is the first's Registry port, and it has nothing to note.
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, first + 1);
        holder.Start();
        var again = await RenkeiCommand.RunAsync("up", "--data", folder.Path);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"port {first + 1} is already in use", again.Error);
        Assert.DoesNotContain("note:", again.Error);
        // Every start on another port says so, naming the folder's port, however often it was used.
        var elsewhere = await RenkeiCommand.RunAsync("up", "--data", folder.Path, "--port", (first - 1).ToString());
        Assert.Equal(1, elsewhere.ExitCode); // first + 1 is its Core's port, taken
        Assert.Contains($"note: the certificates issued in this folder name http://127.0.0.1:{first + 4}/ (base port {first}) for revocation checks; "
            + $"while the network runs on another port they cannot be checked, and those issued meanwhile name http://127.0.0.1:{first + 3}/; "
            + $"the folder's base port stays {first} (--keep-port moves it)", elsewhere.Error);
        Assert.Equal(first, FolderPort.Kept(folder.Path));
    }

    [Fact]
    public async Task The_first_up_on_a_base_port_keeps_it_for_the_folder()
    {
        using var folder = new TempFolder();
        var basePort = LoopbackPorts.FreeRange();
        using var up = RenkeiCommand.Start(["up", "--data", folder.Path, "--port", basePort.ToString()]);
        var error = up.StandardError.ReadToEndAsync();
        await RenkeiCommand.WaitForAsync(async () =>
        {
            if (up.HasExited) throw new InvalidOperationException("renkei up exited: " + await error);
            return File.Exists(Path.Combine(folder.Path, "network.json")) ? "" : null;
        }, TimeSpan.FromMinutes(2), "network.json written");
        Assert.Equal(basePort, FolderPort.Kept(folder.Path));
        RenkeiCommand.Terminate(up);
        await up.ExitsWithinAsync(TimeSpan.FromSeconds(30), error);
    }

    [Fact]
    public async Task Keep_port_moves_the_folders_port_only_once_a_network_runs_there_and_says_what_still_names_the_old_one()
    {
        using var folder = new TempFolder();
        FolderPort.Keep(folder.Path, 7300);
        foreach (var args in new[] { new[] { "--keep-port" }, ["--port", "0", "--keep-port"] })
        {
            var refused = await RenkeiCommand.RunAsync(["up", "--data", folder.Path, .. args]);
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("--keep-port needs a base port other than 0 in --port", refused.Error);
        }
        var busy = LoopbackPorts.FreeRange();
        using (var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, busy + 1))
        {
            holder.Start();
            var failed = await RenkeiCommand.RunAsync("up", "--data", folder.Path, "--port", busy.ToString(), "--keep-port");
            Assert.Equal(1, failed.ExitCode);
            Assert.Contains("already in use", failed.Error);
        }
        Assert.Equal(7300, FolderPort.Kept(folder.Path)); // nothing ran on the new port

        var moved = LoopbackPorts.FreeRange();
        using var up = RenkeiCommand.Start(["up", "--data", folder.Path, "--port", moved.ToString(), "--keep-port"]);
        var error = up.StandardError.ReadToEndAsync();
        await RenkeiCommand.WaitForAsync(async () =>
        {
            if (up.HasExited) throw new InvalidOperationException("renkei up exited: " + await error);
            return File.Exists(Path.Combine(folder.Path, "network.json")) ? "" : null;
        }, TimeSpan.FromMinutes(2), "network.json written");
        Assert.Equal(moved, FolderPort.Kept(folder.Path));
        RenkeiCommand.Terminate(up);
        await up.ExitsWithinAsync(TimeSpan.FromSeconds(30), error);
        Assert.Contains($"note: this folder's base port moves from 7300 to {moved}; the certificates issued here before (its CAs' included) "
            + "keep naming http://127.0.0.1:7304/ for revocation checks, and can no longer be checked", await error);
    }

    [Fact]
    public async Task A_commands_network_on_a_new_folder_names_a_base_port_no_running_network_holds()
    {
        // Audit R4: every new folder took 7100, so a folder used only through commands wrote into its CAs' certificates the PKI of
        // whichever renkei up served 7100. The PKI port of 7100 is held here (or already taken by something else).
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, FolderPort.Default + 4);
        try { holder.Start(); } catch (System.Net.Sockets.SocketException) { }
        using var folder = new TempFolder();
        var chain = await RenkeiCommand.RunAsync("pki", "chain", "--data", folder.Path);
        Assert.True(chain.ExitCode == 0, chain.Error);
        var kept = FolderPort.Kept(folder.Path);
        Assert.NotNull(kept);
        Assert.NotEqual(FolderPort.Default, kept);
        Assert.Contains($"this folder's base port is {kept} (renkei up serves there)", chain.Error);
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPem(chain.Output);
        var pointers = certificates.Select(c => c.Extensions["2.5.29.31"]).OfType<X509Extension>().Select(e => System.Text.Encoding.ASCII.GetString(e.RawData)).ToList();
        Assert.NotEmpty(pointers);
        Assert.All(pointers, p => Assert.Contains($"http://127.0.0.1:{kept + 4}/", p));
    }

    [Fact]
    public async Task A_second_network_on_a_folder_where_one_is_still_starting_is_refused()
    {
        // A network started in this process has written no network.json yet, as one still starting has not.
        using var folder = new TempFolder();
        await using (var first = await SandboxNetwork.StartAsync(folder.Path))
        {
            var second = await RenkeiCommand.RunAsync("up", "--data", folder.Path, "--port", "0");
            Assert.Equal(1, second.ExitCode);
            Assert.Contains("別のネットワークが起動中か動いています", second.Error);
            Assert.DoesNotContain("   at ", second.Error);
        }
        // Once the first has stopped, the folder is free again.
        await using var again = await SandboxNetwork.StartAsync(folder.Path);
    }

    [Fact]
    public async Task An_empty_key_file_is_named_in_one_line_and_a_new_key_is_made_whole()
    {
        using var folder = new TempFolder();
        var key = Path.Combine(folder.Path, "registry", "numbering.key");
        Directory.CreateDirectory(Path.GetDirectoryName(key)!);
        File.WriteAllText(key, ""); // what a start killed while writing it used to leave
        var result = await RenkeiCommand.RunAsync("up", "--data", folder.Path, "--port", "0");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"サービスを起動できません / cannot start the services: 鍵ファイル {key} は16進64文字です（0文字あります）", result.Error);
        Assert.DoesNotContain("   at ", result.Error);

        // Keys are made under another name and moved in, in turns on FILE.lock: many first reads at once agree on one key and
        // leave no other file but the lock.
        var fresh = Path.Combine(folder.Path, "keys", "fresh.key");
        var keys = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Convert.ToHexString(Renkei.Hosting.KeyFiles.LoadOrCreate(fresh)))));
        Assert.Single(keys.Distinct());
        Assert.Equal([fresh, fresh + ".lock"], Directory.GetFiles(Path.GetDirectoryName(fresh)!).Order());
    }

    [Fact]
    public async Task A_data_folder_that_cannot_be_made_is_explained_in_both_languages_alike()
    {
        var result = await RenkeiCommand.RunAsync("up", "--data", "/proc/renkei-data", "--port", "0");
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // The reason was the runtime's English ("Could not find file '/proc/renkei-data'.") after both halves.
        Assert.DoesNotContain("Could not find", line);
        Assert.Equal("サービスを起動できません（/proc/renkei-data: その場所がないか、そこには作れません）/ "
            + "cannot start the services (/proc/renkei-data: it does not exist, or nothing can be made there)", line);
    }

    [Theory]
    [InlineData("/srv/renkei/data", "/srv/renkei/data")]
    [InlineData("/tmp/データ フォルダ/柏 市", "'/tmp/データ フォルダ/柏 市'")]
    [InlineData("/tmp/it's", "'/tmp/it'\\''s'")]
    public void The_paths_up_prints_to_try_can_be_pasted_into_a_shell(string path, string printed) =>
        Assert.Equal(printed, UpCommand.Quoted(path));

    [Fact]
    public async Task Help_explains_every_command()
    {
        var root = await RenkeiCommand.RunAsync("--help");
        Assert.Equal(0, root.ExitCode);
        Assert.Contains("up", root.Output);
        Assert.Contains("number", root.Output);
        var up = await RenkeiCommand.RunAsync("up", "--help");
        Assert.Contains("--data", up.Output);
        Assert.Contains("データフォルダ", up.Output);
    }
}
