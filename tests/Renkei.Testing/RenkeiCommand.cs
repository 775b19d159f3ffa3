using System.Diagnostics;

namespace Renkei.Testing;

/// <summary>What a run of the <c>renkei</c> command printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}

/// <summary>
/// Runs the real <c>renkei</c> command as a separate process, as a person would from a shell
/// (the test project references Renkei.Cli, so renkei.dll sits beside the tests).
/// </summary>
public static class RenkeiCommand
{
    public static async Task<CliResult> RunAsync(params string[] args) => await RunAsync(args, stdin: null, TimeSpan.FromMinutes(5));

    /// <summary>Runs <c>renkei</c> to its end, through <paramref name="launcher"/> when one is given (see <see cref="DotnetApp.Start"/>).</summary>
    public static Task<CliResult> RunAsync(string[] args, string? stdin, TimeSpan timeout, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? launcher = null) =>
        DotnetApp.RunAsync("renkei.dll", args, workingDirectory ?? AppContext.BaseDirectory, environment, stdin ?? "", timeout, launcher);

    /// <summary>Starts <c>renkei</c> with redirected streams, for long-running commands such as <c>up</c>; disposed, it ends.</summary>
    public static StartedProgram Start(string[] args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<string>? launcher = null) =>
        DotnetApp.Start("renkei.dll", args, workingDirectory ?? AppContext.BaseDirectory, environment, launcher);

    /// <summary>
    /// Ctrl+C at its default, as a shell in the foreground starts a command: a runner started in the background ignores SIGINT
    /// and its children inherit that. GNU env resets the signal and executes dotnet in its own place.
    /// </summary>
    public static readonly IReadOnlyList<string> Interruptible = ["env", "--default-signal=INT"];

    /// <summary>sh as the launcher, for what a shell sets up: <paramref name="before"/> (a limit, a trap), then the command executed with <paramref name="after"/> (a redirection).</summary>
    public static IReadOnlyList<string> Shell(string before = "", string after = "") => ["sh", "-c", $"{before}exec \"$0\" \"$@\" {after}"];

    /// <summary>Asks a process to stop as a service manager would (SIGTERM).</summary>
    public static void Terminate(Process process)
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]);
        kill.WaitForExit();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T?>> condition, TimeSpan timeout, string what) where T : class =>
        (await Eventually.ResultAsync(condition, value => value is not null, $"{what} did not happen within {timeout}", timeout, TimeSpan.FromMilliseconds(100)))!;
}
