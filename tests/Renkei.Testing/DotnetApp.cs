using System.Diagnostics;

namespace Renkei.Testing;

/// <summary>
/// Runs one of our programs (a dll beside the tests) as its own process, as an operator or a person at a shell would:
/// the <c>renkei</c> command, or a service on its own as docs/operating.md runs it.
/// </summary>
public static class DotnetApp
{
    /// <summary>
    /// Starts the program. A <paramref name="launcher"/> runs it instead of the test, with <c>dotnet</c>, the dll and
    /// <paramref name="args"/> after its own words, for what a shell would set up first: <c>sh -c 'exec "$0" "$@" &gt; /dev/full'</c>
    /// (a redirection, a limit), <c>env --default-signal=INT</c> (Ctrl+C at its default). It should exec the program, so that the
    /// process id is the program's. Disposed, the program ends with the test (<see cref="StartedProgram"/>).
    /// </summary>
    public static StartedProgram Start(string dll, IEnumerable<string> args, string workingDirectory,
        IEnumerable<KeyValuePair<string, string>>? environment = null, IReadOnlyList<string>? launcher = null)
    {
        var path = Path.Combine(AppContext.BaseDirectory, dll);
        if (!File.Exists(path)) throw new InvalidOperationException($"{dll} is not beside the tests: reference its project from the test project");
        string[] line = [.. launcher ?? [], "dotnet", path, .. args];
        var start = new ProcessStartInfo(line[0])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in line[1..]) start.ArgumentList.Add(a);
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["XDG_DATA_HOME"] = LocalData.ForOneCommand();
        foreach (var (name, value) in environment ?? []) start.Environment[name] = value;
        var program = new StartedProgram(start, string.Join(' ', [.. launcher ?? [], dll, .. args]));
        try { program.Start(); }
        catch { program.Dispose(); throw; }
        return program;
    }

    /// <summary>
    /// Runs the program to its end (through <paramref name="launcher"/>, as <see cref="Start"/> says); one that is still running
    /// after <paramref name="timeout"/> is killed and the test fails with what it printed.
    /// </summary>
    public static async Task<CliResult> RunAsync(string dll, IEnumerable<string> args, string workingDirectory,
        IEnumerable<KeyValuePair<string, string>>? environment = null, string? stdin = null, TimeSpan? timeout = null,
        IReadOnlyList<string>? launcher = null)
    {
        // Its end, or its kill, also removes its own local data (its port claims); a folder the test gave is left alone.
        using var process = Start(dll, args, workingDirectory, environment, launcher);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null) await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        await process.ExitsWithinAsync(timeout ?? TimeSpan.FromMinutes(1), output, error);
        return new CliResult(process.ExitCode, await output, await error);
    }
}
