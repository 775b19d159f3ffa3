using System.Diagnostics;
using System.Globalization;
using Renkei.Hosting;

namespace Renkei.Cli.Network;

/// <summary>
/// The network a command uses: the one running in its data folder, one still starting there (waited for), or, when none
/// runs, one started in this process for the command's duration. Every command that needs services comes through here, so
/// that all of them wait for a starting network alike and say alike when they cannot have one.
/// </summary>
public static class NetworkAccess
{
    /// <summary>The variable that sets how long a command waits for a network starting in its data folder, in seconds.</summary>
    public const string WaitVariable = "RENKEI_NETWORK_WAIT_SECONDS";

    /// <summary>Two minutes, or what <see cref="WaitVariable"/> says: a first start on a slow machine takes one.</summary>
    public static TimeSpan StartWait =>
        int.TryParse(Environment.GetEnvironmentVariable(WaitVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(2);

    /// <summary>The variable that sets how long a command waits for a service's answer to one request, in seconds.</summary>
    public const string AnswerWaitVariable = "RENKEI_ANSWER_WAIT_SECONDS";

    /// <summary>The longest <see cref="AnswerWait"/>, about 24 days: HttpClient refuses a timeout of more than int.MaxValue milliseconds.</summary>
    public const int MostAnswerWaitSeconds = int.MaxValue / 1000;

    /// <summary>
    /// 100 seconds (HttpClient's own default), or what <see cref="AnswerWaitVariable"/> says: a slow link or a large chunk may want more.
    /// More than <see cref="MostAnswerWaitSeconds"/> waits that long, rather than fail every command that asks a service.
    /// </summary>
    public static TimeSpan AnswerWait => AnswerWaitOf(Environment.GetEnvironmentVariable(AnswerWaitVariable));

    /// <summary>
    /// <see cref="AnswerWait"/> for the variable's text: a number past int.MaxValue is a long wait too, not the default, and so is
    /// one of digits only past long's range (a row of nines meant as "forever").
    /// </summary>
    public static TimeSpan AnswerWaitOf(string? text)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            return seconds > 0 ? TimeSpan.FromSeconds(Math.Min(seconds, MostAnswerWaitSeconds)) : TimeSpan.FromSeconds(100);
        return text is { Length: > 0 } && text.All(char.IsAsciiDigit) ? TimeSpan.FromSeconds(MostAnswerWaitSeconds) : TimeSpan.FromSeconds(100);
    }

    /// <summary>
    /// The running network in <paramref name="folder"/> that <paramref name="fits"/> accepts, or a network started for the
    /// command (<c>Own</c>, disposed by the caller). Throws <see cref="NetworkUnavailableException"/>, in one line for a person,
    /// when the folder's network stays held by another process past <see cref="StartWait"/> or none can be started.
    /// </summary>
    public static async Task<(NetworkFile? Running, SandboxNetwork? Own)> UseAsync(string folder, Func<NetworkFile, bool> fits, CancellationToken ct)
    {
        folder = Path.GetFullPath(folder);
        if (await FindAsync(folder, fits) is { } running) return (running, null);
        // A network starting in the folder (its lock held, its network.json not yet written) is waited for, not raced; so is a
        // command's own network there, which holds the lock until the command ends.
        if (Held(folder))
        {
            Console.Error.WriteLine($"{folder} のネットワークが起動中です。待っています / the network in {folder} is starting: waiting for it");
            var wait = StartWait;
            var waited = Stopwatch.StartNew();
            while (Held(folder))
            {
                if (waited.Elapsed >= wait) throw NotComing(folder, wait);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(500, Math.Max(1, (wait - waited.Elapsed).TotalMilliseconds))), ct);
                if (await FindAsync(folder, fits) is { } started) return (started, null);
            }
            // Let go: the other process stopped, or wrote network.json just before.
            if (await FindAsync(folder, fits) is { } late) return (late, null);
        }
        Console.Error.WriteLine(StartNotice(folder));
        // On free ports, but the PKI names the folder's own address (the one renkei up serves) in what it signs: the passing port
        // died with the command, and a card's OCSP and CRL addresses with it.
        try
        {
            var (basePort, newPortNote) = FolderPort.KeptOrFree(folder, FolderPort.Kept(folder));
            var own = await SandboxNetwork.StartAsync(folder, 0, FolderPort.PkiPublicUrl(basePort));
            FolderPort.KeepFirst(folder, basePort);
            if (newPortNote is not null) Console.Error.WriteLine(newPortNote);
            return (null, own);
        }
        catch (NetworkUnavailableException) { throw; }
        catch (Exception e) when (e is IOException or InvalidOperationException or System.Data.Common.DbException or FormatException)
        {
            // The same failures renkei up names in one line: a data folder that cannot be written, damaged key or CA files.
            throw new NetworkUnavailableException(StartFailure(e), e);
        }
    }

    /// <summary>
    /// The one line every command says on standard error (which its own output, JSON Lines, CSV or PEM, does not share) before it
    /// starts a network of its own: a mistyped --data, or the default ./data in the wrong directory, otherwise answered from a
    /// network just made there, with exit 0. A folder that does not exist, or holds no network yet, is said to be made.
    /// </summary>
    public static string StartNotice(string folder)
    {
        var (japanese, english) = !Directory.Exists(folder) ? ("フォルダがないので作成し、新しいネットワークを作ります", "the folder does not exist: it will be created, with a new network in it")
            : !File.Exists(Path.Combine(folder, "network", "ca.pem")) ? ("ネットワークのデータがないので新しく作ります", "it holds no network yet: a new one will be made in it")
            : ((string?)null, (string?)null);
        return $"{folder} で動いているネットワークがないため、このコマンドのために起動します（終われば止めます{(japanese is null ? "" : "。" + japanese)}）/ " +
            $"no network is running in {folder}: starting one for this command, until it ends{(english is null ? "" : $" ({english})")}";
    }

    /// <summary>"サービスを起動できません / cannot start the services" with why: a file system refusal in both languages, else the message (ours are bilingual).</summary>
    public static string StartFailure(Exception e) =>
        e is IOException and not NetworkUnavailableException && IoText.Reason(e) is var (japanese, english) && IoText.PathOf(e) is var path
            ? (path is null
                ? $"サービスを起動できません（{japanese}）/ cannot start the services ({english})"
                : $"サービスを起動できません（{path}: {japanese}）/ cannot start the services ({path}: {english})")
            : $"サービスを起動できません / cannot start the services: {e.Message}";

    private static async Task<NetworkFile?> FindAsync(string folder, Func<NetworkFile, bool> fits) =>
        await NetworkFile.FindRunningAsync(folder) is { } running && fits(running) ? running : null;

    private static NetworkUnavailableException NotComing(string folder, TimeSpan wait)
    {
        var seconds = wait.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
        return new NetworkUnavailableException(
            $"{folder} のネットワークは {seconds} 秒待っても使えるようになりませんでした。別のプロセス（起動中の renkei up か、自分のネットワークを動かしている renkei のコマンド）が"
            + $"データフォルダを使っています。それが終わるのを待つか、別の --data を指定してください / the network in {folder} did not come up within {seconds} s: "
            + "another process (renkei up still starting, or a renkei command running its own network) holds the data folder; wait for it to end or choose another --data");
    }

    /// <summary>Another process holds the folder's network lock: a network is starting (or running) there.</summary>
    public static bool Held(string folder)
    {
        var path = SandboxNetwork.LockPath(folder);
        if (!File.Exists(path)) return false;
        try
        {
            using var free = FileLock.Take(path, TimeSpan.Zero);
            return false;
        }
        catch (IOException) { return true; }
    }
}

/// <summary>
/// The data folder's network cannot be had: held by another process past the wait, or not startable. Its message is one line,
/// Japanese then English, which the command tree prints as it is.
/// </summary>
public sealed class NetworkUnavailableException(string message, Exception? inner = null) : IOException(message, inner);
