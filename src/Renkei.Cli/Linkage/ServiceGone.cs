using System.Globalization;
using System.Net.Sockets;
using Renkei.Cli.Network;

namespace Renkei.Cli.Linkage;

/// <summary>
/// Why a service gave no answer, Japanese first (the runtime says it in English only, "An error occurred while sending the
/// request"): one wording for every command, whether its services run in the data folder or are reached with --node.
/// </summary>
public static class ServiceGone
{
    /// <summary>"日本語 / English" for <see cref="Why"/>.</summary>
    public static string Text(Exception e)
    {
        var (japanese, english) = Why(e);
        return $"{japanese} / {english}";
    }

    /// <summary>What a failed request says: a refusal the command made into an exception (no inner exception) as it is, else why the service went away.</summary>
    public static string Said(HttpRequestException e) => IsGone(e) ? Text(e) : e.Message;

    /// <summary>
    /// Whether a failed request means the service went away (no answer, cut short, TLS) rather than a refusal the command made
    /// into an exception itself: those carry no inner exception and no request error.
    /// </summary>
    public static bool IsGone(HttpRequestException e) => e.HttpRequestError != HttpRequestError.Unknown || e.InnerException is not null;

    /// <summary>
    /// No answer within the client's wait (<paramref name="wait"/>, for a client that does not wait <see cref="NetworkAccess.AnswerWait"/>),
    /// a refused connection, an unknown host, or a connection lost on the way.
    /// </summary>
    public static (string Japanese, string English) Why(Exception e, TimeSpan? wait = null)
    {
        // HttpClient's timeout is a cancellation holding a TimeoutException, however the command wrapped it.
        if (Innermost<TimeoutException>(e) is not null)
        {
            var seconds = (wait ?? NetworkAccess.AnswerWait).TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
            return ($"{seconds} 秒以内に応答がありません", $"no answer within {seconds} s");
        }
        if (Innermost<HttpRequestException>(e) is { HttpRequestError: HttpRequestError.SecureConnectionError })
            return Tls(e);
        return Innermost<SocketException>(e) switch
        {
            { SocketErrorCode: SocketError.ConnectionRefused } => ("接続を拒否されました（URLのポートと、サービスが動いているかを確かめてください）", "connection refused: check the URL's port and that the service runs"),
            { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData } => ("ホスト名が見つかりません", "host not found"),
            { } socket when e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => ("接続できません", $"cannot connect: {socket.Message}"),
            null when e is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => ("ホスト名が見つかりません", "host not found"),
            null when e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => ("接続できません", $"cannot connect: {Innermost<Exception>(e)!.Message.TrimEnd('.')}"),
            _ => ("接続が切れました", $"the connection was lost ({Innermost<Exception>(e)!.Message.TrimEnd('.')})"),
        };
    }

    /// <summary>
    /// A TLS handshake that failed is no connection lost: a certificate refused (the runtime names the policy errors in its
    /// message), else most often a plain-http port answering a TLS hello. <see cref="RemoteServices"/> adds which --ca it used.
    /// </summary>
    private static (string Japanese, string English) Tls(Exception e)
    {
        var said = Innermost<Exception>(e)!.Message.TrimEnd('.');
        if (Innermost<System.Security.Authentication.AuthenticationException>(e) is not null && said.Contains("certificate", StringComparison.OrdinalIgnoreCase))
            return said.Contains("RemoteCertificateNameMismatch", StringComparison.Ordinal) && !said.Contains("RemoteCertificateChainErrors", StringComparison.Ordinal)
                ? ("証明書にURLのホスト名がありません", "the certificate does not name the URL's host")
                : ("証明書を信頼できません", $"the certificate is not trusted ({said})");
        return ("TLSで接続できません（http のポートではありませんか）", $"TLS failed ({said}): is this a plain-http port?");
    }

    /// <summary>The innermost <typeparamref name="T"/> in <paramref name="e"/>'s chain of inner exceptions, itself included.</summary>
    public static T? Innermost<T>(Exception? e) where T : Exception
    {
        T? found = null;
        for (; e is not null; e = e.InnerException) if (e is T t) found = t;
        return found;
    }
}
