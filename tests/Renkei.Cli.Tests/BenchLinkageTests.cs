using System.Text.Json;
using Npgsql;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

public class BenchLinkageTests
{
    [Fact]
    public async Task Bench_pki_refuses_a_folder_that_holds_a_network_before_adding_anything_to_its_register()
    {
        // With --data on a sandbox's folder it registered its residents, cards and a verifier there for good, and said nothing.
        using var folder = new TempFolder();
        await using (await Renkei.Cli.Network.SandboxNetwork.StartAsync(folder.Path)) { }
        var register = await File.ReadAllBytesAsync(Path.Combine(folder.Path, "registry", "registry.db"));
        var result = await RenkeiCommand.RunAsync("bench", "pki", "--data", folder.Path, "--cards", "1", "--seconds", "1");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"{folder.Path} holds a network: the benchmark would add its test residents, cards and a verifier to that register for good", result.Error);
        Assert.Equal(register, await File.ReadAllBytesAsync(Path.Combine(folder.Path, "registry", "registry.db")));
        Assert.False(File.Exists(Path.Combine(folder.Path, "network.json")));
    }

    [Theory, StorageData]
    public async Task Bench_linkage_runs_the_round_trips_and_prints_its_figures_last_as_one_line_of_JSON(StorageProvider provider)
    {
        string[] args = ["bench", "linkage", "--seconds", "1", "--warmup", "0", "--concurrency", "4", "--codes", "1000"];
        var result = await RenkeiCommand.RunAsync(provider == StorageProvider.Postgres ? [.. args, "--postgres", TestDatabases.PostgresConnectionString] : args);
        Assert.True(result.ExitCode == 0, result.Error);
        var json = JsonDocument.Parse(result.Lines[^1]).RootElement;
        Assert.Equal("linkage", json.GetProperty("bench").GetString());
        Assert.Equal(provider == StorageProvider.Postgres ? "postgres" : "sqlite", json.GetProperty("storage").GetString());
        foreach (var field in new[] { "inquiries", "inquiriesPerSecond", "p50Ms", "p99Ms", "barePerSecond", "codesPerSecond", "cpuMsPerInquiry" })
            Assert.True(json.GetProperty(field).GetDouble() > 0, field);
        // Every inquiry went in a message to the core, a message carrying one or more.
        Assert.True(json.GetProperty("inquiriesPerMessage").GetDouble() >= 1);
        Assert.Equal(1000, json.GetProperty("codes").GetInt64());
        if (provider != StorageProvider.Postgres) return;
        // The run leaves no schema behind in the database it was given.
        await using var c = new NpgsqlConnection(TestDatabases.PostgresConnectionString);
        await c.OpenAsync();
        Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM pg_namespace WHERE nspname LIKE 'bench%'"));
    }

    [Theory]
    [InlineData("numbers", "--count", "20000")]
    [InlineData("seed", "--residents", "200")]
    [InlineData("pki", "--cards", "4", "--seconds", "1", "--concurrency", "2")]
    public async Task Every_bench_names_itself_under_the_same_key_first_in_its_last_line(string bench, params string[] options)
    {
        // It was "bench":"pki", "benchmark":"seed", and nothing at all for numbers and linkage.
        var result = await RenkeiCommand.RunAsync(["bench", bench, .. options]);
        Assert.True(result.ExitCode == 0, result.Error);
        var json = JsonDocument.Parse(result.Lines[^1]).RootElement;
        var first = json.EnumerateObject().First();
        Assert.Equal(("bench", bench), (first.Name, first.Value.GetString()));
        Assert.False(json.TryGetProperty("benchmark", out _));
    }

    [Theory]
    [InlineData("pki", "住民を登録中", "--cards", "100000")]
    [InlineData("linkage", "準備中", "--seconds", "600", "--warmup", "0", "--codes", "1000")]
    public async Task A_bench_stopped_by_SIGTERM_removes_its_temporary_network_says_so_and_exits_130(string bench, string under, params string[] options)
    {
        using var temp = new TempFolder();
        using var process = RenkeiCommand.Start(["bench", bench, .. options], null, new Dictionary<string, string> { ["TMPDIR"] = temp.Path });
        try
        {
            var error = process.StandardError.ReadToEndAsync();
            // Its network is up (CA keys, tokens and databases in a folder of its own under TMPDIR) and the work under way.
            while (await process.StandardOutput.ReadLineAsync() is { } line && !line.Contains(under)) { }
            Assert.False(process.HasExited);
            Assert.Single(Directory.GetDirectories(temp.Path, "renkei-bench-*"));
            RenkeiCommand.Terminate(process);
            var output = process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

            // The runtime used to end it at once (exit 143), its finally never ran, and the folder stayed.
            Assert.Equal(130, process.ExitCode);
            var said = await error;
            Assert.Contains("中断しました。計測用のネットワークは削除します / interrupted: the benchmark's network is removed", said);
            Assert.DoesNotContain("   at ", said);
            Assert.DoesNotContain("{", await output);
            Assert.Empty(Directory.GetDirectories(temp.Path, "renkei-bench-*"));
        }
        finally { if (!process.HasExited) process.Kill(entireProcessTree: true); }
    }

    [Theory]
    [InlineData("linkage", "--concurrency", "0")]
    [InlineData("linkage", "--seconds", "-5")]
    [InlineData("linkage", "--codes", "0")]
    [InlineData("linkage", "--warmup", "x")]
    [InlineData("pki", "--cards", "0")]
    [InlineData("pki", "--concurrency", "-1")]
    public async Task A_bench_refuses_an_option_out_of_its_range_before_starting_anything(string bench, string option, string value)
    {
        // Quietly raised to 1 before, so a typo measured something other than what was asked.
        var result = await RenkeiCommand.RunAsync("bench", bench, option, value);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(option, result.Error);
        Assert.Contains(value, result.Error);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.DoesNotContain(result.Lines, l => l.StartsWith('{'));
    }
}
