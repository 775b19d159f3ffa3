namespace Renkei.Hosting;

/// <summary>Exclusive OS locks on files, between threads and processes alike.</summary>
public static class FileLock
{
    /// <summary>
    /// Takes an exclusive lock on <paramref name="path"/> (made if missing, readable by its owner only), held until the
    /// stream is disposed; waits up to <paramref name="wait"/> while another holder has it, then throws its IOException.
    /// The file stays afterwards: deleting it would let two takers lock two different files.
    /// </summary>
    public static FileStream Take(string path, TimeSpan wait)
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try { return new FileStream(path, options); }
            // Held by another: wait for it. A missing folder or a refusal is not worth waiting for.
            catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException) && waited.Elapsed < wait)
            {
                Thread.Sleep(5);
            }
        }
    }
}
