using System.Security.Cryptography;

namespace Renkei.Hosting;

/// <summary>
/// Secret keys kept as 64 hex characters in files named by configuration, never in source; the sandbox
/// makes each on first start, readable by its owner only.
/// </summary>
public static class KeyFiles
{
    /// <summary>Reads a key of <paramref name="bytes"/> bytes, or makes one on first start.</summary>
    public static byte[] LoadOrCreate(string path, int bytes = 32)
    {
        if (!File.Exists(path))
        {
            // Made under another name and moved in whole: a process killed while writing leaves no empty key behind, and
            // of two first starts the second keeps the key the first moved in.
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var temporary = $"{path}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.new";
            try
            {
                WriteSecret(temporary, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes)));
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path)) { }
            finally { File.Delete(temporary); }
        }
        return Read(path, bytes);
    }

    /// <summary>
    /// Writes or replaces a secret file: owner-only from the first byte, swapped in whole. The temporary file's
    /// name is unique to this write, so that two writers (threads or processes) never take each other's.
    /// </summary>
    public static void ReplaceSecret(string file, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var temporary = $"{file}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.new";
        try
        {
            WriteSecret(temporary, text);
            File.Move(temporary, file, overwrite: true);
        }
        finally { File.Delete(temporary); }
    }

    /// <summary>Creates a file readable by its owner only (from the first byte) and writes a secret to it.</summary>
    public static void WriteSecret(string file, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(file, options);
        using (var writer = new StreamWriter(stream, leaveOpen: true)) writer.Write(text);
        stream.Flush(flushToDisk: true); // on disk before it is moved in: a crash then leaves the old file or the whole new one
    }

    /// <summary>Reads a key of <paramref name="bytes"/> bytes; says what is wrong with a malformed file.</summary>
    public static byte[] Read(string path, int bytes = 32)
    {
        var text = File.ReadAllText(path).Trim();
        if (text.Length != bytes * 2)
            throw new FormatException($"鍵ファイル {path} は16進{bytes * 2}文字です（{text.Length}文字あります） / the key file {path} must hold {bytes * 2} hex characters, it holds {text.Length}");
        if (!text.All(Uri.IsHexDigit))
            throw new FormatException($"鍵ファイル {path} に16進以外の文字があります / the key file {path} must hold only hex characters (0-9, a-f)");
        return Convert.FromHexString(text);
    }
}
