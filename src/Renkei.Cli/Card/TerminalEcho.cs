using System.Runtime.InteropServices;

namespace Renkei.Cli.Card;

/// <summary>
/// Turns the terminal's echo off on standard input (termios ECHO), and back on when disposed, also when the process is
/// interrupted meanwhile: a shell left without echo is the person's next surprise. Does nothing where there is no termios.
/// </summary>
public sealed class TerminalEcho : IDisposable
{
    private const int Echo = 0x8; // ECHO, on Linux and macOS alike
    private readonly byte[]? saved;
    private readonly PosixSignalRegistration[] signals = [];

    private TerminalEcho()
    {
        var termios = new byte[256]; // larger than struct termios on any Unix
        if (tcgetattr(0, termios) != 0) return;
        saved = (byte[])termios.Clone();
        var at = LocalFlagsOffset;
        var flags = BitConverter.ToInt32(termios, at);
        BitConverter.GetBytes(flags & ~Echo).CopyTo(termios, at);
        if (tcsetattr(0, 0, termios) != 0)
        {
            saved = null;
            return;
        }
        signals = [PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => Restore()), PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Restore())];
    }

    public static TerminalEcho Off() => new();

    // c_lflag follows c_iflag, c_oflag and c_cflag: 4 bytes each on Linux, 8 (unsigned long) on macOS.
    private static int LocalFlagsOffset => OperatingSystem.IsMacOS() ? 24 : 12;

    private void Restore()
    {
        if (saved is not null) tcsetattr(0, 0, saved);
    }

    public void Dispose()
    {
        foreach (var signal in signals) signal.Dispose();
        Restore();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int tcgetattr(int fd, byte[] termios);

    [DllImport("libc", SetLastError = true)]
    private static extern int tcsetattr(int fd, int optionalActions, byte[] termios);
}
