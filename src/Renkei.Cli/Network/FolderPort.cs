using System.Globalization;

namespace Renkei.Cli.Network;

/// <summary>
/// The base port a data folder's network is served on, kept in DIR/network/port. The PKI writes its public address (base + 4) into
/// every certificate it signs, so the address has to outlive the command: a network started for one command names the folder's
/// address rather than its own passing port, and <c>renkei up</c> without --port serves there again.
/// </summary>
public static class FolderPort
{
    /// <summary>What <c>renkei up</c> listens after when no start on the folder chose another base port.</summary>
    public const int Default = 7100;

    public static string PathIn(string dataFolder) => Path.Combine(dataFolder, "network", "port");

    /// <summary>The base port kept in <paramref name="dataFolder"/>, or null when none was (or the file is unreadable).</summary>
    public static int? Kept(string dataFolder)
    {
        try
        {
            return File.Exists(PathIn(dataFolder))
                && int.TryParse(File.ReadAllText(PathIn(dataFolder)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                && port is > 0 and <= System.Net.IPEndPoint.MaxPort - 5 ? port : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The folder's base port: the one kept, else <see cref="Default"/>.</summary>
    public static int Of(string dataFolder) => Kept(dataFolder) ?? Default;

    public static void Keep(string dataFolder, int basePort)
    {
        if (basePort == 0 || Kept(dataFolder) == basePort) return;
        Directory.CreateDirectory(Path.GetDirectoryName(PathIn(dataFolder))!);
        File.WriteAllText(PathIn(dataFolder), basePort.ToString(CultureInfo.InvariantCulture) + "\n");
    }

    /// <summary>The PKI's plain-HTTP address (OCSP, CRLs, CA certificates) on the network of <paramref name="basePort"/>.</summary>
    public static Uri PkiPublicUrl(int basePort) => new($"http://127.0.0.1:{basePort + 4}/");
}
