using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Seeding;
using Spectre.Console;

namespace Renkei.Cli.Registry;

/// <summary>Runs a seeding with a progress bar on a terminal, or a plain line every tenth when output is redirected.</summary>
public static class SeedRunner
{
    public static async Task<SeedResult> RunAsync(Database database, IndividualNumberDeriver deriver, SeedPlan plan, string label, CancellationToken ct)
    {
        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            SeedResult? result = null;
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask(label, maxValue: plan.Residents);
                    result = await ResidentSeeder.SeedAsync(database, deriver, plan, new Reporter(v => task.Value = v), ct);
                });
            return result!;
        }
        var step = Math.Max(1, plan.Residents / 10);
        var next = step;
        return await ResidentSeeder.SeedAsync(database, deriver, plan, new Reporter(done =>
        {
            if (done < next && done < plan.Residents) return;
            Console.Out.WriteLine($"{label}: {done:N0} / {plan.Residents:N0} ({done * 100 / plan.Residents}%)");
            next = (done / step + 1) * step;
        }), ct);
    }

    /// <summary>Reports on the seeding's own thread, in order (System.Progress would post them out of order).</summary>
    private sealed class Reporter(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
