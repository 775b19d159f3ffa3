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

    public static async Task<CliResult> RunAsync(string[] args, string? stdin, TimeSpan timeout, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = Start(args, workingDirectory, environment);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null) await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"renkei {string.Join(' ', args)} did not finish in {timeout}: {await error}");
        }
        return new CliResult(process.ExitCode, await output, await error);
    }

    /// <summary>Starts <c>renkei</c> with redirected streams, for long-running commands such as <c>up</c>.</summary>
    public static Process Start(string[] args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "renkei.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException("renkei.dll is not beside the tests: reference Renkei.Cli from the test project");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return Process.Start(start)!;
    }

    /// <summary>Asks a process to stop as a service manager would (SIGTERM).</summary>
    public static void Terminate(Process process)
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]);
        kill.WaitForExit();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T?>> condition, TimeSpan timeout, string what) where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition() is { } value) return value;
            await Task.Delay(100);
        }
        throw new TimeoutException($"{what} did not happen within {timeout}");
    }
}
