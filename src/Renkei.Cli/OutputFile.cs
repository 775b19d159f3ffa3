namespace Renkei.Cli;

/// <summary>Whether a command's output file can be written, found out before the work that fills it is done.</summary>
public static class OutputFile
{
    /// <summary>Null when <paramref name="path"/> can be written; otherwise why not, Japanese first. A file already there is left as it was.</summary>
    public static string? Problem(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) return $"{path} はフォルダです / {path} is a folder, not a file";
        if (!Directory.Exists(Path.GetDirectoryName(full))) return $"{path} のフォルダがありません / the folder of {path} does not exist";
        var existed = File.Exists(full);
        try
        {
            using (new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite)) { }
            if (!existed) File.Delete(full);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{path} に書き込めません / cannot write {path}: {e.Message}";
        }
    }
}

/// <summary>
/// An output file that holds personal data (<c>registry export --out</c>, <c>node inquire-batch --out</c>): written to a
/// temporary file beside it, readable by its owner only from the first byte whatever the umask, and put in place whole by
/// <see cref="Commit"/>. Disposed without it (an interruption, a failure), it leaves nothing behind, and a file already at
/// the path stays as it was.
/// </summary>
public sealed class PrivateOutputFile : IDisposable
{
    private readonly string path, temporary;
    private bool committed;

    private PrivateOutputFile(string path, string temporary, FileStream stream)
    {
        this.path = path;
        this.temporary = temporary;
        Stream = stream;
    }

    public FileStream Stream { get; }

    public static PrivateOutputFile Create(string path)
    {
        var full = Path.GetFullPath(path);
        var temporary = $"{full}.{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8))}.new";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 0 };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new PrivateOutputFile(full, temporary, new FileStream(temporary, options));
    }

    /// <summary>Puts the whole file in place, over any file at the path (whose mode it does not take).</summary>
    public void Commit()
    {
        Stream.Flush(flushToDisk: true);
        Stream.Dispose();
        File.Move(temporary, path, overwrite: true);
        committed = true;
    }

    public void Dispose()
    {
        Stream.Dispose();
        if (!committed) File.Delete(temporary);
    }
}
