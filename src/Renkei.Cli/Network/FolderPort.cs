using System.Globalization;

namespace Renkei.Cli.Network;

/// <summary>
/// The base port a data folder's network is served on, kept in DIR/network/port. The PKI writes its public address (base + 4) into
/// every certificate it signs, so the address has to outlive the command: a network started for one command names the folder's
/// address rather than its own passing port, and <c>renkei up</c> without --port serves there again. The first start that
/// names one keeps it; only <c>renkei up --port N --keep-port</c> moves it, as the certificates issued before keep naming the old one.
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

    /// <summary>
    /// A base port for a folder that keeps none: the first of 7100, 7110, … whose five service ports nothing listens on (7100 when
    /// none of the first hundred is). Every such folder took 7100, so one used only through commands named in its certificates (its
    /// CAs' too) the PKI of another folder's <c>renkei up</c> running there, and could never serve that port itself.
    /// </summary>
    public static int FreeBase()
    {
        for (var basePort = Default; basePort < Default + 1000; basePort += 10)
            if (UpCommand.TakenPorts(basePort).Count == 0) return basePort;
        return Default;
    }

    /// <summary>Keeps <paramref name="basePort"/> when the folder keeps none yet: a start on another port does not move it.</summary>
    public static void KeepFirst(string dataFolder, int basePort)
    {
        if (Kept(dataFolder) is null) Keep(dataFolder, basePort);
    }

    /// <summary>Makes <paramref name="basePort"/> the folder's base port (0, free ports, keeps nothing).</summary>
    public static void Keep(string dataFolder, int basePort)
    {
        if (basePort == 0 || Kept(dataFolder) == basePort) return;
        Directory.CreateDirectory(Path.GetDirectoryName(PathIn(dataFolder))!);
        File.WriteAllText(PathIn(dataFolder), basePort.ToString(CultureInfo.InvariantCulture) + "\n");
    }

    /// <summary>The PKI's plain-HTTP address (OCSP, CRLs, CA certificates) on the network of <paramref name="basePort"/>.</summary>
    public static Uri PkiPublicUrl(int basePort) => new($"http://127.0.0.1:{basePort + 4}/");
}
