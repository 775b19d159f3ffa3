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
    /// The port is reserved for the folder in the same step, under the claims' lock: the folder keeps it only once its network has
    /// started (seconds on a new folder), and two new folders picking meanwhile both took 7100.
    /// </summary>
    /// <param name="claims">Where the folders' claims are kept (tests give their own); <see cref="ClaimsFolder"/> by default.</param>
    public static int FreeBase(string dataFolder, string? claims = null)
    {
        claims ??= ClaimsFolder;
        using var _ = LockClaims(claims);
        for (var basePort = Default; basePort < Default + 1000; basePort += 10)
            if (UpCommand.TakenPorts(basePort).Count == 0 && ClaimedByOther(claims, basePort, dataFolder) is null)
            {
                Write(claims, basePort, dataFolder, reserving: true);
                return basePort;
            }
        return Default;
    }

    /// <summary>
    /// The base port a folder's network takes when none is given: the one it keeps, or for a new folder <see cref="FreeBase"/>, with
    /// the <see cref="NotDefaultNote"/> to say when that is not 7100 (null otherwise).
    /// </summary>
    public static (int BasePort, string? NewPortNote) KeptOrFree(string dataFolder, int? kept, string? claims = null)
    {
        if (kept is { } port) return (port, null);
        var free = FreeBase(dataFolder, claims);
        return (free, free != Default ? NotDefaultNote(free) : null);
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
    /// a folder deleted (a test's, a demo's) or moved with --keep-port frees it without anyone tidying up. A reservation made by
    /// <see cref="FreeBase"/> holds while the process that made it runs and its folder keeps no port yet (its network starting):
    /// a start that failed, or was stopped, leaves the port to the next folder. A claim that names no folder (a file left half
    /// written by a crash) has lapsed too.
    /// </summary>
    public static string? ClaimedByOther(string? claims, int basePort, string dataFolder)
    {
        if (claims is null) return null;
        try { return ReadClaim(claims, basePort) is { } claim && HeldByOther(claim, basePort, dataFolder) ? claim.Owner : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Whether a claim read holds against <paramref name="dataFolder"/>, as <see cref="ClaimedByOther"/> says.</summary>
    private static bool HeldByOther((string Owner, (int Id, long Started)? Maker) claim, int basePort, string dataFolder)
    {
        if (SameFolder(claim.Owner, dataFolder)) return false;
        var kept = Kept(claim.Owner);
        return kept == basePort || (kept is null && claim.Maker is { } process && Running(process));
    }

    /// <summary>The claim on <paramref name="basePort"/>: its folder, and for a reservation the process that made it (its id and start); null when there is none or it names no folder.</summary>
    private static (string Owner, (int Id, long Started)? Maker)? ReadClaim(string claims, int basePort)
    {
        var path = Path.Combine(claims, basePort.ToString(CultureInfo.InvariantCulture));
        if (!File.Exists(path)) return null;
        var text = File.ReadAllText(path);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // Path.GetFullPath throws on a NUL, which is what a claim's blocks hold when the machine lost power before they were written.
        if (lines.Length == 0 || !Path.IsPathFullyQualified(lines[0]) || lines[0].Contains('\0')) return null;
        var maker = lines.Length > 1 && lines[1].Split(' ') is [var id, var started]
            && int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && long.TryParse(started, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? (pid, ticks) : ((int, long)?)null;
        return (lines[0], maker);
    }

    /// <summary>The process is still the one that made the reservation: its id given again to another process does not hold it.</summary>
    private static bool Running((int Id, long Started) maker)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(maker.Id);
            return !process.HasExited && Math.Abs(process.StartTime.ToUniversalTime().Ticks - maker.Started) < 5 * TimeSpan.TicksPerSecond;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return false;
        }
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
            using var _ = LockClaims(claims);
            if (ReadClaim(claims, basePort) is { } claim && (SameFolder(claim.Owner, dataFolder) || HeldByOther(claim, basePort, dataFolder))) return;
            Write(claims, basePort, dataFolder, reserving: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Held while a claim is read and written, between processes: a check and a write apart let two folders take one port. Null
    /// (nothing held) where the lock cannot be had, a folder that cannot be made or a holder that hangs past ten seconds: the claim
    /// is then read and written without it, as <see cref="Claim"/> is best effort.
    /// </summary>
    private static FileStream? LockClaims(string? claims)
    {
        if (claims is null) return null;
        try
        {
            Directory.CreateDirectory(claims);
            // Held for a probe of at most a hundred ranges: milliseconds, so a wait this long means a holder that hangs.
            return Renkei.Hosting.FileLock.Take(Path.Combine(claims, ".lock"), TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The folder's full path, and for a reservation this process (id and start), so that it lapses when the process ends.</summary>
    private static void Write(string? claims, int basePort, string dataFolder, bool reserving)
    {
        if (claims is null) return;
        try
        {
            var text = Path.GetFullPath(dataFolder) + "\n";
            if (reserving)
            {
                using var self = System.Diagnostics.Process.GetCurrentProcess();
                text += FormattableString.Invariant($"{Environment.ProcessId} {self.StartTime.ToUniversalTime().Ticks}\n");
            }
            // Whole or not at all: a claim cut short by a crash reads as lapsed, but the folder it named would lose its reservation.
            var path = Path.Combine(claims, basePort.ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(path + ".new", text);
            File.Move(path + ".new", path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>The PKI's plain-HTTP address (OCSP, CRLs, CA certificates) on the network of <paramref name="basePort"/>.</summary>
    public static Uri PkiPublicUrl(int basePort) => new($"http://127.0.0.1:{basePort + 4}/");
}
