using System.Runtime.InteropServices;

namespace Renkei.Cli;

/// <summary>
/// Ctrl+C and SIGTERM (a service manager's stop) as a cancellation, so that a long command stops, cleans up and says
/// so instead of being ended by the runtime mid-write. A command registers it itself: System.CommandLine registers its
/// own handler only once the action first yields, which synchronous SQLite work may never do.
/// </summary>
public sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource source;
    private readonly PosixSignalRegistration onInt, onTerm;

    public Interruption(CancellationToken ct)
    {
        source = CancellationTokenSource.CreateLinkedTokenSource(ct);
        onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; source.Cancel(); });
        onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; source.Cancel(); });
    }

    public CancellationToken Token => source.Token;

    public bool Requested => source.IsCancellationRequested;

    /// <summary>The exit code of a command stopped this way (128 + SIGINT, as shells report it).</summary>
    public const int ExitCode = 130;

    public void Dispose()
    {
        onInt.Dispose();
        onTerm.Dispose();
        source.Dispose();
    }
}
