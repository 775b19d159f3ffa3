using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using Renkei.Cli.Registry;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry;
using Renkei.Registry.Seeding;

namespace Renkei.Cli.Bench;

/// <summary><c>renkei bench seed</c>: residents per second into a fresh register (a temporary SQLite file or a new PostgreSQL schema).</summary>
public static class SeedBench
{
    public static Command Create()
    {
        var residents = new Option<long>("--residents") { Description = "住民の数 / residents to seed", DefaultValueFactory = _ => 100_000 }.Between(1, 100_000_000);
        var batch = new Option<int>("--batch") { Description = "一度に書く人数（空の台帳への登録は全体で一つのトランザクション） / residents per write (into an empty register the whole load is one transaction)", DefaultValueFactory = _ => 10_000 }
            .Between(1, int.MaxValue);
        var storage = new RegistryStorage("実行後に消す一時ファイル", "a temporary file, removed after the run");
        var command = new Command("seed", "架空住民の登録速度 / residents per second seeded into a fresh register") { residents, batch };
        storage.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var postgres = storage.IsPostgres(parse);
            var plan = new SeedPlan(20260401, 14, parse.GetValue(residents)) { BatchSize = parse.GetValue(batch) };
            // Stopped by Ctrl+C, the bench still removes its register (a PostgreSQL schema of the caller's database).
            using var interrupt = new Interruption(ct);
            await using var fresh = postgres ? await FreshRegister.PostgresAsync(parse.GetValue(storage.Connection)!) : FreshRegister.Sqlite();
            await RegistryApp.MigrateAsync(fresh.Database);
            using var deriver = new IndividualNumberDeriver(RandomNumberGenerator.GetBytes(32));
            SeedResult result;
            try { result = await SeedRunner.RunAsync(fresh.Database, deriver, plan, "登録中 / seeding", interrupt.Token); }
            catch (Exception) when (interrupt.Requested)
            {
                Console.Error.WriteLine("中断しました。計測用の台帳は削除します / interrupted: the benchmark's register is removed");
                return Interruption.ExitCode;
            }
            var name = postgres ? "postgres" : "sqlite";
            Console.Out.WriteLine($"{name}: {result.Residents:N0} 人 / residents in {result.Elapsed.TotalSeconds:F2} s = {result.ResidentsPerSecond:N0}/s");
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                bench = "seed", storage = name, residents = result.Residents, households = result.Households,
                seconds = Math.Round(result.Elapsed.TotalSeconds, 3), residentsPerSecond = Math.Round(result.ResidentsPerSecond),
            }));
            return 0;
        });
        return command;
    }

    /// <summary>A register that exists only for the benchmark and is removed after it.</summary>
    private sealed class FreshRegister(Database database, Func<Task> remove) : IAsyncDisposable
    {
        public Database Database { get; } = database;

        public static FreshRegister Sqlite()
        {
            var folder = Path.Combine(Path.GetTempPath(), "renkei-bench-" + Guid.NewGuid().ToString("N")[..12]);
            return new FreshRegister(Database.Sqlite(Path.Combine(folder, "registry.db")), () =>
            {
                SqliteConnection.ClearAllPools();
                try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
                return Task.CompletedTask;
            });
        }

        public static async Task<FreshRegister> PostgresAsync(string connectionString)
        {
            var schema = "renkei_bench_" + Guid.NewGuid().ToString("N")[..12];
            await using (var c = new NpgsqlConnection(connectionString))
            {
                await c.OpenAsync();
                await c.ExecuteAsync($"CREATE SCHEMA {schema}");
            }
            var scoped = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema }.ToString();
            return new FreshRegister(new Database(StorageProvider.Postgres, scoped), async () =>
            {
                await using var c = new NpgsqlConnection(connectionString);
                await c.OpenAsync();
                await c.ExecuteAsync($"DROP SCHEMA {schema} CASCADE");
            });
        }

        public async ValueTask DisposeAsync() => await remove();
    }
}
