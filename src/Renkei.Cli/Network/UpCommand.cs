using System.CommandLine;
using System.Net;
using System.Net.Sockets;

namespace Renkei.Cli.Network;

/// <summary><c>renkei up</c>: runs the whole network until Ctrl+C.</summary>
public static class UpCommand
{
    public static Option<string> DataOption()
    {
        var data = new Option<string>("--data")
        {
            Description = "データフォルダ（サービスごとのフォルダと network.json）/ the data folder (one folder per service, network.json)",
            DefaultValueFactory = _ => "data",
        };
        RefuseFiles(data);
        return data;
    }

    /// <summary>
    /// A data folder that is a file, or lies under one, is a usage error: every command would otherwise fail
    /// deep inside making its first folder.
    /// </summary>
    public static void RefuseFiles(Option option)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is not { } path) return;
            if (string.IsNullOrWhiteSpace(path)) { result.AddError($"{option.Name} が空です / {option.Name} is empty"); return; }
            for (var p = Path.GetFullPath(path); p is not null && !Directory.Exists(p); p = Path.GetDirectoryName(p))
            {
                if (!File.Exists(p)) continue;
                result.AddError(p == Path.GetFullPath(path)
                    ? $"{option.Name} はフォルダです。{path} はファイルです / {option.Name} must be a folder; {path} is a file"
                    : $"{option.Name} のフォルダを作れません。{p} はファイルです / {option.Name} cannot be a folder under {p}, which is a file");
                return;
            }
        });
    }

    public static Command Create()
    {
        var data = DataOption();
        var port = new Option<int>("--port")
        {
            Description = "先頭ポート（0で空きポート。省略時はこのデータフォルダの先頭ポート（最初に決まったもの）、なければ7100か、それが使用中か別のフォルダのものなら7110, 7120, …）/ "
                + "base port; services listen on the next ports (0 picks free ports; left out, this data folder's base port, the first one it was given, "
                + "else 7100, or 7110, 7120, … while it is in use or another folder's)",
            DefaultValueFactory = _ => FolderPort.Default,
        }.Between(0, IPEndPoint.MaxPort - 5); // the services take the next five
        var keepPort = new Option<bool>("--keep-port")
        {
            Description = "--port の先頭ポートをこのデータフォルダの先頭ポートにする（それまでの証明書は前のポートを記載したまま）/ make --port this data folder's "
                + "base port from now on (the certificates issued before keep naming the old one)",
        };
        keepPort.Validators.Add(result =>
        {
            // Free ports (0) are passing, and a start without --port already serves the kept one.
            if (result.GetValueOrDefault<bool>() && (result.Parent?.GetResult(port) is not { Implicit: false } given || given.GetValueOrDefault<int>() == 0))
                result.AddError("--keep-port には --port で先頭ポート（0以外）を指定してください / --keep-port needs a base port other than 0 in --port");
        });
        var command = new Command("up", "ネットワーク全体を起動する / run the whole network on loopback until Ctrl+C") { data, port, keepPort };
        command.SetAction(async (parse, ct) =>
        {
            var folder = Path.GetFullPath(parse.GetValue(data)!);
            if (await NetworkFile.FindRunningAsync(folder) is { } running)
            {
                Console.Error.WriteLine($"既に起動しています / a network already runs for {folder} (process {running.ProcessId})");
                return 1;
            }
            // The folder's certificates name its PKI at the base port kept there: left out, --port is that one.
            var kept = FolderPort.Kept(folder);
            // A new folder takes a base port as a command's own network would: not one another folder keeps, nor one in use.
            var given = parse.GetResult(port) is { Implicit: false };
            var (basePort, newPortNote) = given ? (parse.GetValue(port), null) : FolderPort.KeptOrFree(folder, kept);
            if (newPortNote is not null) Console.Error.WriteLine(newPortNote);
            var moving = parse.GetValue(keepPort);
            // A port chosen for the folder (new, or moved) that another folder keeps: said, as both folders' certificates name it.
            if (given && (kept is null || moving) && basePort != kept
                && FolderPort.ClaimedNote(folder, basePort) is { } claimed)
                Console.Error.WriteLine(claimed);
            // Said first, also before a taken port is refused, and on every such start: the folder's own port is the one to choose.
            if (kept is { } named && named != basePort) Console.Error.WriteLine(OtherPortNote(named, basePort, moving));
            // Every port is tried before any service starts: a taken one found late left the others running and ended in a stack trace.
            if (basePort is > 0 and < 1024 && !Environment.IsPrivilegedProcess)
            {
                Console.Error.WriteLine($"1024 未満のポートは管理者しか使えません。--port で 1024 以上を指定してください / ports below 1024 need administrator rights; choose a base port of 1024 or more with --port");
                return 1;
            }
            if (basePort != 0 && TakenPorts(basePort) is { Count: > 0 } taken)
            {
                var list = string.Join(", ", taken);
                Console.Error.WriteLine($"ポート {list} は使用中です。使っているものを止めるか、--port で別の先頭ポートを指定してください / "
                    + $"port{(taken.Count > 1 ? "s" : "")} {list} {(taken.Count > 1 ? "are" : "is")} already in use; stop what uses {(taken.Count > 1 ? "them" : "it")} or choose another base port with --port");
                return 1;
            }
            // Ctrl+C and SIGTERM (a service manager's stop) both shut the network down cleanly.
            using var stop = new Interruption(ct);
            var before = KeptData.Look(folder);
            SandboxNetwork network;
            try { network = await SandboxNetwork.StartAsync(folder, basePort); }
            catch (Exception e) when (e is IOException or InvalidOperationException or System.Data.Common.DbException or FormatException)
            {
                // A port taken between the check and the start, one not ours to listen on, a data folder that cannot be written
                // (a read-only database too), another network starting on the same folder, network CA files that cannot be
                // used (a damaged revocation list says how to restore it), or a damaged key file (it names itself).
                Console.Error.WriteLine(NetworkAccess.StartFailure(e));
                return 1;
            }
            await using var _ = network;
            // Kept (the first time) or moved only once the network runs on it: a start refused or failed leaves the folder's port as it was.
            // Here, not in SandboxNetwork: a test's or bench pki --data's network on a passing port has no port to keep.
            if (moving) FolderPort.Keep(folder, basePort);
            else FolderPort.KeepFirst(folder, basePort);
            await network.Describe().WriteAsync(folder);
            if (before.Reused(folder) is { } reused) Console.WriteLine(reused);
            try
            {
                // The first start's demo data stops at Ctrl+C too: the residents are one transaction, and the agencies' codes
                // and copies are made again on the next start until the last step (文京区's codes) has been done.
                await Renkei.Cli.Registry.DemoResidents.EnsureAsync(network.DataFolder, stop.Token);
                stop.Token.ThrowIfCancellationRequested();
                await Renkei.Cli.Linkage.DemoAgencies.EnsureAsync(network.Linkage!, network.DataFolder, stop.Token);
                PrintWhatToTry(network);
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException) when (stop.Requested) { }
            File.Delete(NetworkFile.PathIn(folder));
            Console.WriteLine("停止しました / stopped");
            // It runs until stopped, so a stop is its normal end; still 130, as every renkei command stopped by Ctrl+C or SIGTERM (README).
            return Interruption.ExitCode;
        });
        return command;
    }

    /// <summary>
    /// What a start on <paramref name="basePort"/> says on a folder that keeps <paramref name="kept"/>: the folder's certificates name
    /// the kept port's PKI, and it stays the folder's port unless <paramref name="moving"/>.
    /// </summary>
    private static string OtherPortNote(int kept, int basePort, bool moving)
    {
        var pki = FolderPort.PkiPublicUrl(kept);
        if (moving)
            return $"注意: このフォルダの先頭ポートを {kept} から {basePort} に変えます。これまでに発行した電子証明書（CAのものを含む）は失効確認先として {pki} を記載したままで、"
                + $"その失効は確認できなくなります / note: this folder's base port moves from {kept} to {basePort}; the certificates issued here before (its CAs' included) "
                + $"keep naming {pki} for revocation checks, and can no longer be checked";
        var (now, nowEnglish) = basePort == 0 ? ("この起動のポート", "this start's port") : (FolderPort.PkiPublicUrl(basePort).ToString(), FolderPort.PkiPublicUrl(basePort).ToString());
        return $"注意: このフォルダの電子証明書は失効確認先として {pki}（先頭ポート {kept}）を記載しています。別のポートで動かす間はそれらの失効を確認できず、"
            + $"その間に発行する証明書は {now} を記載します。このフォルダの先頭ポートは {kept} のままです（変えるには --keep-port）/ "
            + $"note: the certificates issued in this folder name {pki} (base port {kept}) for revocation checks; while the network runs on another port "
            + $"they cannot be checked, and those issued meanwhile name {nowEnglish}; the folder's base port stays {kept} (--keep-port moves it)";
    }

    /// <summary>The services' ports (base + 1 to base + 5) that something on loopback already listens on.</summary>
    public static List<int> TakenPorts(int basePort)
    {
        var taken = new List<int>();
        for (var p = basePort + 1; p <= basePort + 5; p++)
        {
            var listener = new TcpListener(IPAddress.Loopback, p);
            try { listener.Start(); }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied) { taken.Add(p); }
            finally { listener.Stop(); }
        }
        return taken;
    }

    private static void PrintWhatToTry(SandboxNetwork network)
    {
        var registry = network.RegistryUrl;
        var folder = network.DataFolder;
        var clerk = SandboxCallers.TokenOf(folder, "clerk-121002");
        var linkage = network.Linkage!;
        var childClerk = Renkei.Cli.Linkage.LinkageSandbox.Token(linkage.NodeCallers, $"{Renkei.Cli.Linkage.LinkageSandbox.Bunkyo}-child-allowance");
        // Quoted where the shell would split or expand them, so that each line can be pasted as it is.
        var ca = Quoted(Path.Combine(folder, "network", "ca.pem"));
        var data = Quoted(folder);
        var inquiry = $$"""{"addresseeNumber":"{{Renkei.Cli.Linkage.DemoAgencies.FirstBunkyoAddressee}}","affair":"child-allowance","provider":"{{Renkei.Cli.Linkage.LinkageSandbox.Kashiwa}}","item":"local-tax"}""";
        Console.WriteLine($"""
            Renkei ネットワークを起動しました / the Renkei network is running
              Registry (住基・番号)        {registry}
              PKI (公的個人認証)          {network.PkiUrl}   OCSP・CRL {network.PkiEntry.Url} (HTTP)
              Core (情報提供NWS)          {network.Linkage?.CoreUrl}
              Node (中間サーバー)          {network.Linkage?.NodeUrl}
              ネットワークCA / network CA  {ca}  (Registry・PKI API・Core・Node は HTTPS、Core と Node は相互TLS / Registry, the PKI's API, Core and Node on HTTPS, mutual TLS between Core and Node)
              OpenAPI                    <service>/openapi/v1.json
              データ / data               {folder}  (network.json: URLs and CA chains)
              トークン / tokens           {Path.Combine(folder, "registry", "callers.json")}, {Path.Combine(folder, "core", "callers.json")}, {Path.Combine(folder, "node", "callers.json")}

            試してみる / try:
              curl --cacert {ca} {registry}api/municipalities
              curl --cacert {ca} -H 'Authorization: Bearer {clerk}' '{registry}api/municipalities/121002/residents?limit=3'
              curl --cacert {ca} '{registry}4/num?id=sandbox&number=7000012050002&type=12'
              curl --cacert {ca} {network.Linkage?.CoreUrl}api/agencies
              curl --cacert {ca} -H 'Authorization: Bearer {childClerk}' -H 'Content-Type: application/json' -d '{inquiry}' {linkage.NodeUrl}api/tenants/{Renkei.Cli.Linkage.LinkageSandbox.Bunkyo}/inquiries
              renkei number check 1234-5678-9018
              renkei demo moving-family --data {data}
              renkei pki chain --data {data}

            Ctrl+C で停止 / Ctrl+C stops the network
            """);
    }

    internal static string Quoted(string path) =>
        path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or ':' or '\\') ? path : "'" + path.Replace("'", "'\\''") + "'";
}

/// <summary>
/// What a data folder held before <c>renkei up</c> started on it, so that a second start says it reused that data and which
/// TLS certificates it issued anew (one revoked with <c>renkei network revoke</c>, expiring, or missing); the first said the same
/// as a fresh start.
/// </summary>
internal sealed record KeptData(bool Existed, Dictionary<string, string?> Certificates)
{
    private static readonly string[] Parties = ["registry", "pki", "core", "node"];

    public static KeptData Look(string folder) => new(
        File.Exists(Path.Combine(folder, "network", "ca.pem")) || File.Exists(Path.Combine(folder, "registry", "registry.db")),
        Parties.ToDictionary(p => p, p => Read(folder, p)));

    /// <summary>The line to say once the network runs, or null on a first start.</summary>
    public string? Reused(string folder)
    {
        if (!Existed) return null;
        var renewed = Parties.Where(p => Certificates[p] is not null && Certificates[p] != Read(folder, p)).ToList();
        var (japanese, english) = renewed.Count == 0 ? ("", "")
            : ($"。TLS証明書を発行し直しました: {string.Join("、", renewed)}", $"; issued new TLS certificates to: {string.Join(", ", renewed)} (revoked, expiring or not of this CA)");
        return $"{folder} の既存のデータ（住民、鍵、証明書、トークン）を使います{japanese} / reusing the existing data in {folder} (residents, keys, certificates, tokens){english}";
    }

    private static string? Read(string folder, string party)
    {
        var file = Path.Combine(folder, "network", party + ".pem");
        try { return File.Exists(file) ? File.ReadAllText(file) : null; }
        catch (IOException) { return null; }
    }
}
