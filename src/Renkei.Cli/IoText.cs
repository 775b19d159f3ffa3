using System.Text.RegularExpressions;

namespace Renkei.Cli;

/// <summary>
/// Why the file system refused, in both languages: the runtime's own messages are English only ("Could not find file …"),
/// and one after a Japanese half left that half without the reason.
/// </summary>
public static partial class IoText
{
    /// <summary>errno values the runtime puts in an IOException's HResult on Linux and macOS.</summary>
    public const int NoSpace = 28, ReadOnly = 30, BrokenPipe = 32, NotADirectory = 20, NameTooLong = 36;

    /// <summary>The reason, Japanese and English; the path is the caller's to add.</summary>
    public static (string Japanese, string English) Reason(Exception e) => e switch
    {
        _ when IsFileTooLarge(e) => ("ファイルの大きさの上限を超えます", "the file would grow past the largest the file system or the process allows"),
        FileNotFoundException or DirectoryNotFoundException => ("その場所がないか、そこには作れません", "it does not exist, or nothing can be made there"),
        UnauthorizedAccessException => ("権限がありません", "permission denied"),
        PathTooLongException => ("パスが長すぎます", "the path is too long"),
        IOException { HResult: NoSpace } => ("空き容量がありません", "no space left on the device"),
        IOException { HResult: ReadOnly } => ("読み取り専用です", "the file system is read-only"),
        IOException { HResult: NotADirectory } => ("途中にファイルがあります", "a part of the path is a file"),
        IOException { HResult: NameTooLong } => ("名前が長すぎます", "a name is too long"),
        IOException { HResult: BrokenPipe } => ("読み手が閉じました", "the reader has gone"),
        _ => ("入出力エラーです", e.Message),
    };

    /// <summary>The path an exception of the file system names, when it names one.</summary>
    public static string? PathOf(Exception e) => e switch
    {
        FileNotFoundException { FileName: { Length: > 0 } name } => name,
        _ when Quoted().Match(e.Message) is { Success: true } match => match.Groups[1].Value,
        _ => null,
    };

    /// <summary>
    /// A write the machine refused: a full disk (ENOSPC), a reader gone (EPIPE) and the like, or a file past the largest the file
    /// system or the process's limit allows (<see cref="IsFileTooLarge"/>).
    /// </summary>
    public static bool IsWriteFailure(Exception e) => e is IOException || IsFileTooLarge(e);

    /// <summary>
    /// EFBIG, which the runtime throws as an argument out of range (parameter "value", "Specified file length was too large for the
    /// file system."), not an IOException; told by both, so that an argument out of range of ours still shows its trace.
    /// </summary>
    public static bool IsFileTooLarge(Exception e) =>
        e is ArgumentOutOfRangeException { ParamName: "value" } && e.Message.Contains("file length", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether writing failed because the reading end of a pipe was closed (EPIPE: `… | head -1`).</summary>
    public static bool IsBrokenPipe(Exception e) => e is IOException { HResult: BrokenPipe };

    [GeneratedRegex("'(/[^']*)'")]
    private static partial Regex Quoted();
}
