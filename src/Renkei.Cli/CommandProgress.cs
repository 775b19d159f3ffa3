using Spectre.Console;

namespace Renkei.Cli;

/// <summary>
/// Progress of a long command on standard error, so that standard output stays for results: a bar
/// on a terminal, or a plain line every tenth when redirected.
/// </summary>
public static class CommandProgress
{
    public static async Task<T> RunAsync<T>(string label, long total, Func<Action<long>, Task<T>> work)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!Console.IsErrorRedirected && console.Profile.Capabilities.Interactive)
        {
            T result = default!;
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask(Markup.Escape(label), maxValue: Math.Max(1, total));
                    result = await work(done => task.Value = done);
                });
            return result;
        }
        var step = Math.Max(1, total / 10);
        var next = step;
        var finished = false;
        return await work(done =>
        {
            if (finished || (done < next && done < total)) return;
            Console.Error.WriteLine($"{label}: {done:N0} / {total:N0} ({(total == 0 ? 100 : done * 100 / total)}%)");
            next = (done / step + 1) * step;
            finished = done >= total;
        });
    }
}
