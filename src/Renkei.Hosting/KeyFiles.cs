using System.Security.Cryptography;

namespace Renkei.Hosting;

/// <summary>
/// Secret keys kept as 64 hex characters in files named by configuration, never in source; the sandbox
/// makes each on first start, readable by its owner only.
/// </summary>
public static class KeyFiles
{
    public static byte[] LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
            using (var writer = new StreamWriter(stream)) writer.Write(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return Read(path);
    }

    /// <summary>Reads a 32-byte key; says what is wrong with a malformed file.</summary>
    public static byte[] Read(string path)
    {
        var text = File.ReadAllText(path).Trim();
        if (text.Length != 64) throw new FormatException($"鍵ファイルは16進64文字です / the key file must hold 64 hex characters, it holds {text.Length}");
        if (!text.All(Uri.IsHexDigit)) throw new FormatException("鍵ファイルに16進以外の文字があります / the key file must hold only hex characters (0-9, a-f)");
        return Convert.FromHexString(text);
    }
}
