using Microsoft.Win32.SafeHandles;

namespace Renkei.Cli;

/// <summary>
/// Standard output for a command whose output may be long (<c>registry export</c>), as a stream that reports a reader gone.
/// .NET's console stream drops a write to a closed pipe (EPIPE) without a word, so <c>export | head -1</c> read the whole
/// register into nowhere and exited 0.
/// </summary>
public static class StandardOutput
{
    /// <summary>The exit code when the reader closed the pipe: 128 + SIGPIPE, as a shell reports a process that signal ended.</summary>
    public const int ClosedPipeExitCode = 141;

    /// <summary>
    /// Standard output as a stream of its own over descriptor 1 when that is a pipe or a terminal, where EPIPE surfaces as an
    /// <see cref="IOException"/> (<see cref="IoText.IsBrokenPipe"/>); the console's stream when it is a regular file, whose
    /// offset standard error may share (<c>&gt; out 2&gt;&amp;1</c>) and a stream's own position would write over.
    /// </summary>
    public static Stream Open()
    {
        if (OperatingSystem.IsWindows()) return Console.OpenStandardOutput();
        FileStream stream;
        try { stream = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0); }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException) { return Console.OpenStandardOutput(); }
        if (!stream.CanSeek) return stream;
        stream.Dispose();
        return Console.OpenStandardOutput();
    }

    /// <summary>
    /// Whether standard output is a regular file (<c>&gt; residents.csv</c>), which the shell made with the user's umask,
    /// often readable by every local user; not a pipe, a terminal or a device such as /dev/null. Linux only (it reads
    /// /proc/self/fd/1); elsewhere false.
    /// </summary>
    public static bool IsRegularFile()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            // A pipe or socket reads "pipe:[…]" or "socket:[…]"; a terminal or device is under /dev.
            return new FileInfo("/proc/self/fd/1").LinkTarget is { } target && target.StartsWith('/') && !target.StartsWith("/dev/", StringComparison.Ordinal)
                && File.Exists(target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
