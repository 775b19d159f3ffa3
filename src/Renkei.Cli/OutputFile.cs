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
