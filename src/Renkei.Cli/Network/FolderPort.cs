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
    /// A base port for a folder that keeps none: the first of 7100, 7110, … whose five service ports nothing listens on and that no
    /// other folder on this machine keeps (7100 when none of the first hundred is). Every such folder took 7100, so one used only
    /// through commands named in its certificates (its CAs' too) the PKI of another folder's <c>renkei up</c> running there, and
    /// could never serve that port itself; probing alone missed a folder whose command's network had already gone.
    /// </summary>
    /// <param name="claims">Where the folders' claims are kept (tests give their own); <see cref="ClaimsFolder"/> by default.</param>
    public static int FreeBase(string dataFolder, string? claims = null)
    {
        claims ??= ClaimsFolder;
        for (var basePort = Default; basePort < Default + 1000; basePort += 10)
            if (UpCommand.TakenPorts(basePort).Count == 0 && ClaimedByOther(claims, basePort, dataFolder) is null) return basePort;
        return Default;
    }

    /// <summary>
    /// One file per base port kept on this machine, naming the folder that keeps it, in the user's local application data: the
    /// reservation that lets <see cref="FreeBase"/> pass over a port whose folder runs nothing now. Null where there is no such place.
    /// </summary>
    public static string? ClaimsFolder =>
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify) is { Length: > 0 } local
            ? Path.Combine(local, "renkei", "ports") : null;

    /// <summary>
    /// The other folder that keeps <paramref name="basePort"/>, or null. A claim holds only while its folder still keeps that port:
    /// a folder deleted (a test's, a demo's) or moved with --keep-port frees it without anyone tidying up.
    /// </summary>
    public static string? ClaimedByOther(string? claims, int basePort, string dataFolder)
    {
        if (claims is null) return null;
        try
        {
            var path = Path.Combine(claims, basePort.ToString(CultureInfo.InvariantCulture));
            if (!File.Exists(path)) return null;
            var owner = File.ReadAllText(path).Trim();
            return owner.Length > 0 && !SameFolder(owner, dataFolder) && Kept(owner) == basePort ? owner : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static bool SameFolder(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)),
            OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>What is said when a new folder does not get 7100: which base port it keeps, and that renkei up serves there.</summary>
    public static string NotDefaultNote(int basePort) =>
        $"{Default} からのポートは使用中か別のデータフォルダのもののため、このフォルダの先頭ポートを {basePort} にしました（renkei up はそこで動きます）/ "
        + $"the ports from {Default} are in use or another data folder's, so this folder's base port is {basePort} (renkei up serves there)";

    /// <summary>
    /// What <c>renkei up --port N</c> says when it makes N the folder's port while another folder claims it: that folder's certificates
    /// name N too, so only one of the two can serve them at a time. A warning, not a refusal: the other folder may be given up.
    /// </summary>
    public static string? ClaimedNote(string dataFolder, int basePort, string? claims = null) =>
        ClaimedByOther(claims ?? ClaimsFolder, basePort, dataFolder) is { } other
            ? $"先頭ポート {basePort} は別のデータフォルダ {other} のものです。両方の証明書がこのポートを指すため、同時には動かせません / "
                + $"base port {basePort} is kept by another data folder, {other}; the certificates of both name it, so only one can run at a time"
            : null;

    /// <summary>
    /// Keeps <paramref name="basePort"/> when the folder keeps none yet: a start on another port does not move it. A folder that
    /// keeps one already (every folder from before claims) claims it here, so that new folders pass over it while it is stopped.
    /// </summary>
    public static void KeepFirst(string dataFolder, int basePort, string? claims = null)
    {
        if (Kept(dataFolder) is { } kept) Claim(claims ?? ClaimsFolder, kept, dataFolder);
        else Keep(dataFolder, basePort, claims);
    }

    /// <summary>Makes <paramref name="basePort"/> the folder's base port (0, free ports, keeps nothing), and claims it on this machine.</summary>
    public static void Keep(string dataFolder, int basePort, string? claims = null)
    {
        if (basePort == 0) return;
        if (Kept(dataFolder) != basePort)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(PathIn(dataFolder))!);
            File.WriteAllText(PathIn(dataFolder), basePort.ToString(CultureInfo.InvariantCulture) + "\n");
        }
        Claim(claims ?? ClaimsFolder, basePort, dataFolder);
    }

    /// <summary>
    /// Best effort: a home that cannot be written leaves the folder's port kept, only not reserved against other folders. A claim
    /// already naming the folder is left as it is (one read per start); another folder's live claim is not taken over, as that
    /// folder would lose its reservation while it still keeps the port.
    /// </summary>
    private static void Claim(string? claims, int basePort, string dataFolder)
    {
        if (claims is null) return;
        try
        {
            var path = Path.Combine(claims, basePort.ToString(CultureInfo.InvariantCulture));
            if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } owner
                && (SameFolder(owner, dataFolder) || ClaimedByOther(claims, basePort, dataFolder) is not null)) return;
            Directory.CreateDirectory(claims);
            File.WriteAllText(path, Path.GetFullPath(dataFolder) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>The PKI's plain-HTTP address (OCSP, CRLs, CA certificates) on the network of <paramref name="basePort"/>.</summary>
    public static Uri PkiPublicUrl(int basePort) => new($"http://127.0.0.1:{basePort + 4}/");
}
