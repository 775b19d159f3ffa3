using System.Security.Cryptography;

namespace Renkei.Registry.Numbering;

/// <summary>
/// The numbering authority's FF1 key: 32 bytes kept as 64 hex characters in a key file named by
/// configuration. The sandbox makes one on first start; it never lives in source.
/// </summary>
public static class NumberingKey
{
    public static byte[] LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var key = RandomNumberGenerator.GetBytes(32);
            using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
            using (var writer = new StreamWriter(stream)) writer.Write(Convert.ToHexStringLower(key));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            return key;
        }
        return Numbers.IndividualNumberDeriver.ReadKeyFile(path);
    }
}
