using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Seeding;

namespace Renkei.Cli.Registry;

/// <summary>Runs a seeding with its progress on standard error (<see cref="CommandProgress"/>).</summary>
public static class SeedRunner
{
    public static Task<SeedResult> RunAsync(Database database, IndividualNumberDeriver deriver, SeedPlan plan, string label, CancellationToken ct) =>
        CommandProgress.RunAsync(label, plan.Residents, report => ResidentSeeder.SeedAsync(database, deriver, plan, new Reporter(report), ct));

    /// <summary>Reports on the seeding's own thread, in order (System.Progress would post them out of order).</summary>
    private sealed class Reporter(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
