using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Numbering;
using Renkei.Registry.Seeding;

namespace Renkei.Cli.Registry;

/// <summary>What <c>renkei up</c> puts on an empty sandbox register: 500 synthetic residents in each of the first three municipalities.</summary>
public static class DemoResidents
{
    public const int Seed = 20260401;
    public const int Municipalities = 3;
    public const int PerMunicipality = 500;

    /// <summary>Seeds the demo residents when 千葉市 (121002) has none; returns how many were added.</summary>
    public static async Task<long> EnsureAsync(string dataFolder, CancellationToken ct)
    {
        var database = Database.Sqlite(RegistryStorage.SqliteFile(dataFolder));
        await using (var c = await database.OpenAsync(ct))
            if (await c.ScalarAsync<long>("SELECT COUNT(*) FROM residents WHERE municipality_code = '121002'") > 0) return 0;
        using var deriver = new IndividualNumberDeriver(NumberingKey.LoadOrCreate(RegistryCommands.KeyFile(dataFolder)));
        try
        {
            var result = await SeedRunner.RunAsync(database, deriver, new SeedPlan(Seed, Municipalities, (long)Municipalities * PerMunicipality),
                "デモ住民を登録中 / adding demo residents", ct);
            Console.Out.WriteLine($"デモ住民 {result.Residents:N0} 人を登録しました / added {result.Residents:N0} demo residents");
            return result.Residents;
        }
        catch (SeedRefusedException)
        {
            return 0; // the demo seed is already on the register (its people moved away since): leave it be
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }
}
