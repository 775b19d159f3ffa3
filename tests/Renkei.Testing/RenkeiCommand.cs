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

    public static async Task<CliResult> RunAsync(string[] args, string? stdin, TimeSpan timeout, string? workingDirectory = null)
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
        using var process = Process.Start(start)!;
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
}
