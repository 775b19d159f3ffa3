using System.Text.Json;
using Npgsql;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

public class BenchLinkageTests
{
    [Theory, StorageData]
    public async Task Bench_linkage_runs_the_round_trips_and_prints_its_figures_last_as_one_line_of_JSON(StorageProvider provider)
    {
        string[] args = ["bench", "linkage", "--seconds", "1", "--warmup", "0", "--concurrency", "4", "--codes", "1000"];
        var result = await RenkeiCommand.RunAsync(provider == StorageProvider.Postgres ? [.. args, "--postgres", TestDatabases.PostgresConnectionString] : args);
        Assert.True(result.ExitCode == 0, result.Error);
        var json = JsonDocument.Parse(result.Lines[^1]).RootElement;
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
