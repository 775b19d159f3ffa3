using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Renkei.Cli.Linkage;
using Renkei.Core.Codes;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Hosting.Tls;
using Renkei.Registry;

namespace Renkei.Cli.Bench;

/// <summary>
/// <c>renkei bench linkage</c>: immediate inquiry round trips (caller → requester node → core →
/// provider node → back, with signatures, sealing and three durable records) against a bare HTTP
/// chain over the same three hops, and bulk code issuance. The last line is JSON.
/// </summary>
public static class LinkageBench
{
    public static Command Create()
    {
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL接続文字列（省略時はSQLite）/ a PostgreSQL connection string (default: SQLite files)" };
        var seconds = new Option<int>("--seconds") { Description = "計測秒数 / seconds to measure inquiries", DefaultValueFactory = _ => 10 }.Between(1, 3600);
        var concurrency = new Option<int>("--concurrency") { Description = "同時照会数 / concurrent callers", DefaultValueFactory = _ => 16 }.Between(1, 4096);
        var warmup = new Option<int>("--warmup")
        {
            Description = "計測前の慣らし秒数（JITの段階的最適化が落ち着くまで）/ seconds of load before measuring, until tiered JIT settles",
            DefaultValueFactory = _ => 10,
        }.Between(0, 3600);
        var codes = new Option<int>("--codes") { Description = "符号生成の件数 / codes to issue in the bulk test", DefaultValueFactory = _ => 2_000_000 }.Between(1, int.MaxValue);
        var command = new Command("linkage", "情報照会の往復と符号生成を測る / inquiry round trips and bulk code issuance") { postgres, seconds, warmup, concurrency, codes };
        command.SetAction(async (parse, ct) =>
        {
            // Read before anything is made: the run's own parse of it threw the parser's words, a piece of the string, with a stack trace.
            if (parse.GetValue(postgres) is { } given && Renkei.Cli.Registry.RegistryStorage.Unreadable(given, "--postgres") is { } unreadable) return CommandTree.Fail(unreadable);
            // Registered before the run's folder and schemas are made: ended by the runtime, the finally blocks that remove
            // them never ran, leaving keys, tokens and databases in TMPDIR (and schemas in the caller's database).
            using var interrupt = new Interruption(ct);
            Result result;
            try
            {
                result = await RunAsync(parse.GetValue(postgres), parse.GetValue(seconds), parse.GetValue(concurrency), parse.GetValue(codes),
                    parse.GetValue(warmup), interrupt.Token);
            }
            catch (Exception) when (interrupt.Requested)
            {
                Console.Error.WriteLine("中断しました。計測用のネットワークは削除します / interrupted: the benchmark's network is removed");
                return Interruption.ExitCode;
            }
            Console.WriteLine(JsonSerializer.Serialize(result, ServiceDefaults.Json));
            return 0;
        });
        return command;
    }

    /// <summary>The figures; <see cref="Bench"/> comes first and names the benchmark, as every bench's last line does.</summary>
    public sealed record Result(string Bench, string Storage, int Concurrency, double Seconds, long Inquiries, double InquiriesPerSecond, double P50Ms, double P99Ms,
        double BareP50Ms, double BareP99Ms, double BarePerSecond, double RatioP50, long Codes, double CodesPerSecond, int Cores,
        double CpuMsPerInquiry, double BareCpuMsPerCall, double LoadAverage, double InquiriesPerMessage);

    public static async Task<Result> RunAsync(string? postgres, int seconds, int concurrency, int codeCount, int warmupSeconds = 10, CancellationToken ct = default)
    {
        var folder = Path.Combine(Path.GetTempPath(), "renkei-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var schemaSuffix = Guid.NewGuid().ToString("N")[..6];
        try
        {
            var registry = RegistryApp.Create([], b =>
            {
                b.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
                b.WebHost.UseUrls("http://127.0.0.1:0");
                var settings = new Dictionary<string, string?>
                {
                    ["Registry:DataFolder"] = Path.Combine(folder, "registry"), ["Logging:LogLevel:Default"] = "Warning",
                    ["Callers:0:Name"] = "link-keys", ["Callers:0:Token"] = "bench-link-keys", ["Callers:0:Permissions:0"] = "link-keys",
                    ["Callers:1:Name"] = "clerk", ["Callers:1:Token"] = "bench-clerk", ["Callers:1:Permissions:0"] = "municipality:" + LinkageSandbox.Kashiwa,
                };
                if (postgres is not null) { settings["Storage:Provider"] = "Postgres"; settings["Storage:ConnectionString"] = LinkageSandbox.Schema(postgres, "bench_registry_" + schemaSuffix); }
                b.Configuration.AddInMemoryCollection(settings);
            });
            // Started inside the try that stops it: a linkage that failed to start left it running while its folder and schema went.
            try
            {
                await registry.StartAsync();
                await using var linkage = await LinkageSandbox.StartAsync(folder, 0, registry.BaseAddress(), "bench-link-keys",
                    postgres, schemaPrefix: $"bench_{schemaSuffix}_");
                ct.ThrowIfCancellationRequested();
                Console.WriteLine("準備中 / arranging people, codes and copies…");
                var people = await ArrangeAsync(registry.BaseAddress(), linkage, 64, ct);
                var load = LoadAverage();
                var relay = linkage.NodeServices!.GetRequiredService<Renkei.Node.Linkage.InquiryRelay>();
                var before = default((long Messages, long Inquiries));
                var (count, elapsed, latencies, inquiryCpu) = await MeasureAsync(concurrency, seconds, warmupSeconds, linkage.NodeUrl,
                    LinkageSandbox.Token(linkage.NodeCallers, $"{LinkageSandbox.Bunkyo}-child-allowance"), people, linkage.Handler, () => before = relay.Sent, ct);
                var after = relay.Sent;
                var perMessage = Math.Round((after.Inquiries - before.Inquiries) / (double)Math.Max(1, after.Messages - before.Messages), 1);
                var (bareCount, bareElapsed, bareLatencies, bareCpu) = await MeasureBareAsync(concurrency, Math.Max(2, seconds / 2), ct);
                var (codes, codeSeconds) = IssueCodes(codeCount, ct);
                var result = new Result("linkage", postgres is null ? "sqlite" : "postgres", concurrency, Math.Round(elapsed, 2), count, Math.Round(count / elapsed),
                    Percentile(latencies, 0.50), Percentile(latencies, 0.99), Percentile(bareLatencies, 0.50), Percentile(bareLatencies, 0.99),
                    Math.Round(bareCount / bareElapsed), Math.Round(Percentile(latencies, 0.50) / Percentile(bareLatencies, 0.50), 1),
                    codes, Math.Round(codes / codeSeconds), Environment.ProcessorCount,
                    Math.Round(inquiryCpu / count, 3), Math.Round(bareCpu / bareCount, 3), load, perMessage);
                Console.WriteLine($"照会 / inquiries: {result.InquiriesPerSecond:N0}/s p50 {result.P50Ms} ms p99 {result.P99Ms} ms ({result.Storage}, {concurrency} callers, {perMessage} per message to the core)");
                Console.WriteLine($"素のHTTP3ホップ / bare 3-hop HTTP: {result.BarePerSecond:N0}/s p50 {result.BareP50Ms} ms p99 {result.BareP99Ms} ms; ratio p50 {result.RatioP50}");
                Console.WriteLine($"符号生成 / code issuance: {result.CodesPerSecond:N0}/s");
                Console.WriteLine($"CPU/照会 / CPU per inquiry: {result.CpuMsPerInquiry} ms (bare {result.BareCpuMsPerCall} ms); load average {result.LoadAverage}");
                return result;
            }
            finally
            {
                await registry.StopAsync();
                await registry.DisposeAsync();
            }
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
            if (postgres is not null) await DropSchemasAsync(postgres, schemaSuffix);
        }
    }

    /// <summary>Removes the run's schemas, so that repeated runs leave nothing in the database they were given.</summary>
    private static async Task DropSchemasAsync(string postgres, string suffix)
    {
        await using var c = new Npgsql.NpgsqlConnection(postgres);
        await c.OpenAsync();
        var schemas = await c.QueryAsync("SELECT nspname FROM pg_namespace WHERE nspname LIKE @run OR nspname = @registry",
            r => r.GetString(0), null, ("run", $"bench\\_{suffix}%"), ("registry", $"bench_registry_{suffix}"));
        foreach (var schema in schemas) await c.ExecuteAsync($"DROP SCHEMA \"{schema}\" CASCADE");
    }

    private static async Task<List<string>> ArrangeAsync(Uri registry, LinkageSandbox linkage, int count, CancellationToken ct)
    {
        using var clerk = LinkageSandbox.Client(registry, "bench-clerk");
        var people = new List<(string A, string B, string Number)>();
        var run = Guid.NewGuid().ToString("N")[..6];
        for (var i = 0; i < count; i++)
        {
            var response = await clerk.PostAsJsonAsync($"api/municipalities/{LinkageSandbox.Kashiwa}/events", new
            {
                kind = "birth", person = new { familyName = "性能", givenName = $"試験{i}", familyNameKana = "セイノウ", givenNameKana = "シケン", dateOfBirth = "2020-01-01", sex = "male" },
                address = "千葉県柏市柏1丁目1番1号",
            }, ServiceDefaults.Json, ct);
            var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
            people.Add(($"A-{run}-{i}", $"B-{run}-{i}", json.GetProperty("individualNumber").GetString()!));
        }
        await linkage.AddresseeSystemOf(LinkageSandbox.Kashiwa).IssueCodesAsync(people.Select(p => (p.A, p.Number)).ToList());
        ct.ThrowIfCancellationRequested();
        await linkage.AddresseeSystemOf(LinkageSandbox.Bunkyo).IssueCodesAsync(people.Select(p => (p.B, p.Number)).ToList());
        ct.ThrowIfCancellationRequested();
        using var tax = linkage.NodeClient($"{LinkageSandbox.Kashiwa}-copies");
        foreach (var p in people)
            (await tax.PutAsJsonAsync($"api/tenants/{LinkageSandbox.Kashiwa}/copies/{p.A}/local-tax", new
            {
                schemaVersion = 1, content = new { fiscalYear = 2025, totalIncome = 3_000_000, taxableIncome = 2_000_000, municipalTax = 120_000, prefecturalTax = 80_000 },
            }, ServiceDefaults.Json, ct)).EnsureSuccessStatusCode();
        return people.Select(p => p.B).ToList();
    }

    private static async Task<(long Count, double Seconds, List<double> Latencies, double CpuMs)> MeasureAsync(int concurrency, int seconds, int warmupSeconds,
        Uri node, string token, List<string> people, HttpMessageHandler handler, Action measuring, CancellationToken ct)
    {
        using var client = LinkageSandbox.Client(node, token, handler);
        async Task<bool> One(string addressee)
        {
            using var response = await client.PostAsJsonAsync($"api/tenants/{LinkageSandbox.Bunkyo}/inquiries",
                new { addresseeNumber = addressee, affair = "child-allowance", provider = LinkageSandbox.Kashiwa, item = "local-tax" }, ServiceDefaults.Json, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            return response.IsSuccessStatusCode && body.Contains("\"provided\"");
        }
        for (var i = 0; i < 100; i++)
            if (!await One(people[i % people.Count])) throw new InvalidOperationException("a warm-up inquiry was not provided");
        // The same load, unmeasured: the runtime re-compiles hot code for a while (tiered PGO), and a
        // steady-state figure should not carry that.
        if (warmupSeconds > 0)
        {
            Console.WriteLine($"慣らし運転 / warming up for {warmupSeconds} s…");
            await LoadAsync(concurrency, warmupSeconds, Provided, ct);
        }
        measuring();
        var pause = GC.GetTotalPauseDuration();
        var (g0, g1, g2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var measured = await LoadAsync(concurrency, seconds, Provided, ct);
        Console.WriteLine($"GC: pause {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:0} ms in {measured.Seconds:0.#} s; gen0 {GC.CollectionCount(0) - g0}, gen1 {GC.CollectionCount(1) - g1}, gen2 {GC.CollectionCount(2) - g2}");
        return measured;

        async Task Provided(int i)
        {
            if (!await One(people[i % people.Count])) throw new InvalidOperationException("an inquiry was not provided");
        }
    }

    private static async Task<(long Count, double Seconds, List<double> Latencies, double CpuMs)> LoadAsync(int concurrency, int seconds, Func<int, Task> call, CancellationToken ct)
    {
        var latencies = new List<double>[concurrency];
        long count = 0;
        // CPU time of this process (callers and services alike, not a PostgreSQL server's): less sensitive to other work on the machine than wall time.
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var stop = Stopwatch.StartNew();
        var until = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async w =>
        {
            var mine = latencies[w] = new List<double>(100_000);
            var i = w;
            while (stop.Elapsed < until)
            {
                ct.ThrowIfCancellationRequested();
                var start = Stopwatch.GetTimestamp();
                await call(i);
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                i += concurrency;
                Interlocked.Increment(ref count);
            }
        }));
        var elapsed = stop.Elapsed.TotalSeconds;
        return (count, elapsed, latencies.SelectMany(l => l).ToList(), (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds);
    }

    /// <summary>Three minimal HTTP services forwarding a body of the same size: the floor any three-hop design pays.</summary>
    private static async Task<(long Count, double Seconds, List<double> Latencies, double CpuMs)> MeasureBareAsync(int concurrency, int seconds, CancellationToken ct)
    {
        var apps = new List<WebApplication>();
        Uri? next = null;
        for (var hop = 0; hop < 3; hop++)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
            var app = builder.Build();
            var forwardTo = next;
            var client = forwardTo is null ? null : new HttpClient(NetworkTls.PlainHandler()) { BaseAddress = forwardTo };
            app.MapPost("/hop", async (HttpRequest request) =>
            {
                var body = await new StreamReader(request.Body).ReadToEndAsync();
                if (client is null) return Results.Text(body, "application/json");
                using var response = await client.PostAsync("hop", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
                return Results.Text(await response.Content.ReadAsStringAsync(), "application/json");
            });
            await app.StartAsync();
            apps.Add(app);
            next = app.BaseAddress();
        }
        try
        {
            using var caller = new HttpClient(NetworkTls.PlainHandler()) { BaseAddress = next };
            var payload = new string('x', 1200);
            return await LoadAsync(concurrency, seconds, async _ =>
            {
                using var response = await caller.PostAsync("hop", new StringContent($"{{\"p\":\"{payload}\"}}", System.Text.Encoding.UTF8, "application/json"), ct);
                response.EnsureSuccessStatusCode();
            }, ct);
        }
        finally
        {
            foreach (var app in apps) { await app.StopAsync(); await app.DisposeAsync(); }
        }
    }

    /// <summary>Bulk issuance as the core does it: one code per (agency, link key), on every core.</summary>
    private static (long Codes, double Seconds) IssueCodes(int count, CancellationToken ct)
    {
        var codes = new AgencyCodes(RandomNumberGenerator.GetBytes(64));
        var linkKeys = RandomNumberGenerator.GetBytes(32 * 4096);
        codes.Issue(LinkageSandbox.Kashiwa, linkKeys.AsSpan(0, 32));
        var stop = Stopwatch.StartNew();
        Parallel.For(0, Environment.ProcessorCount, worker =>
        {
            for (var i = worker; i < count; i += Environment.ProcessorCount)
            {
                // Checked every 4,096 codes: cheap beside the HMACs, and a stop within milliseconds.
                if (i % 4096 < Environment.ProcessorCount) ct.ThrowIfCancellationRequested();
                codes.Issue(LinkageSandbox.Kashiwa, linkKeys.AsSpan(i % 4096 * 32, 32));
            }
        });
        return (count, stop.Elapsed.TotalSeconds);
    }

    /// <summary>The one-minute load average where the system reports it (Linux), else -1: other work on the machine skews wall-clock figures.</summary>
    private static double LoadAverage()
    {
        try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return -1; }
    }

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0) return 0;
        values.Sort();
        return Math.Round(values[Math.Min(values.Count - 1, (int)(p * values.Count))], 2);
    }
}
