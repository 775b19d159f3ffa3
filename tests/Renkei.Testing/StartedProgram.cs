using System.ComponentModel;
using System.Diagnostics;

namespace Renkei.Testing;

/// <summary>
/// A program a test started (<see cref="DotnetApp.Start"/>). Disposed, it ends with its children if it still runs, and its own
/// local data goes: Process.Dispose alone ends nothing, so a test that failed before its command stopped left a million-resident
/// seed or a whole network running for the rest of the run.
/// </summary>
public sealed class StartedProgram : Process
{
    private bool _disposed;

    internal StartedProgram(ProcessStartInfo start, string name)
    {
        StartInfo = start;
        Name = name;
    }

    /// <summary>The launcher's words, the dll and its arguments, for the test's messages.</summary>
    public string Name { get; }

    /// <summary>
    /// Waits for it to exit. One still running after <paramref name="limit"/> is ended and the test fails with what it
    /// <paramref name="printed"/> (the test's reads of its streams, which the end closes), where a bare wait said only
    /// "The operation has timed out".
    /// </summary>
    public async Task ExitsWithinAsync(TimeSpan limit, params Task<string>[] printed)
    {
        using var cts = new CancellationTokenSource(limit);
        try { await WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            Kill(entireProcessTree: true);
            await WaitForExitAsync();
            var said = await Task.WhenAll(printed).WaitAsync(TimeSpan.FromSeconds(30));
            throw new TimeoutException($"{Name} did not finish in {limit}; it printed: {string.Concat(said)}");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            try
            {
                if (!HasExited)
                {
                    Kill(entireProcessTree: true);
                    WaitForExit(TimeSpan.FromSeconds(30));
                }
            }
            catch (Exception e) when (e is InvalidOperationException or Win32Exception) { } // never started, or gone meanwhile
            LocalData.Remove(StartInfo.Environment["XDG_DATA_HOME"]);
        }
        base.Dispose(disposing);
    }
}
