using System.CommandLine;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Renkei.Hosting.Tls;

namespace Renkei.Cli.Linkage;

/// <summary>
/// A token a node command reads from the environment, never from its command line (where <c>ps</c> and the shell's
/// history would show it): the variable, and whose token it is, for messages.
/// </summary>
public sealed record TokenVariable(string Name, string Japanese, string English)
{
    public static readonly TokenVariable NodeAddressee = new("RENKEI_NODE_ADDRESSEE_TOKEN",
        "中間サーバーでの宛名システムのトークン、権限 addressee-system", "the addressee system's token at the node, with addressee-system");
    public static readonly TokenVariable Core = new("RENKEI_CORE_TOKEN",
        "情報提供ネットワークシステムでの宛名システムのトークン、権限 code-requests:機関ID", "the addressee system's token at the core, with code-requests:AGENCY");
    public static readonly TokenVariable Registry = new("RENKEI_REGISTRY_TOKEN",
        "住民基本台帳ネットワークのトークン、権限 link-keys", "the token at the Registry, with link-keys");
    public static readonly TokenVariable NodeCopies = new("RENKEI_NODE_COPIES_TOKEN",
        "中間サーバーで副本を登録する業務システムのトークン、権限 copies", "the business system's token at the node, with copies");
    public static readonly TokenVariable NodeStaff = new("RENKEI_NODE_STAFF_TOKEN",
        "中間サーバーで事務を割り当てられた職員またはシステムのトークン、権限 affair:事務", "the token at the node of the staff member or system assigned the affair, with affair:AFFAIR");
}

/// <summary>
/// <c>--node</c>, <c>--core</c>, <c>--registry</c> and <c>--ca</c> of the node commands: services that <c>renkei up</c> did not
/// start (docs/operating.md), reached by URL and trusted through exactly the network CA in <c>--ca</c>. With <c>--node</c> a
/// command uses those services only, never a network in <c>--data</c>.
/// </summary>
public sealed class RemoteOptions
{
    public Option<Uri?> Node { get; }
    public Option<Uri?>? Core { get; }
    public Option<Uri?>? Registry { get; }
    public Option<FileInfo?> Ca { get; } = new("--ca")
    {
        Description = "ネットワークCAの証明書（PEM）。https のサービスの TLS 証明書はこれにつながること（http はこのマシンのサービスだけ）/ "
            + "the network CA's certificate (PEM) that the services' TLS certificates chain to; needed for https (http is for services on this machine only)",
    };

    private readonly TokenVariable[] tokens;

    /// <param name="codes">issue-codes: the Core and the Registry too.</param>
    public RemoteOptions(bool codes, params TokenVariable[] tokens) : this(core: codes, registry: codes, tokens) { }

    /// <param name="core">--core too (records audit-heads: the core without the Registry).</param>
    /// <param name="registry">--registry too.</param>
    public RemoteOptions(bool core, bool registry, params TokenVariable[] tokens)
    {
        this.tokens = tokens;
        var variables = string.Join(", ", tokens.Select(t => t.Name));
        Node = Url("--node", $"中間サーバーのURL。--data のネットワークでなくこのサービスを使う（トークンは環境変数 {variables}）/ "
            + $"the node's URL: use these services, not a network in --data (tokens from {variables})");
        if (core) Core = Url("--core", "情報提供ネットワークシステムのURL（--node と共に）/ the core's URL (with --node)");
        if (registry) Registry = Url("--registry", "住民基本台帳ネットワークのURL（--node と共に）/ the Registry's URL (with --node)");
    }

    /// <summary>Adds the options, and refuses as usage errors the combinations that mix a network in --data with services by URL.</summary>
    public void AddTo(Command command, Option<string> data, params Option[] dataOnly)
    {
        command.Options.Add(Node);
        if (Core is not null) command.Options.Add(Core);
        if (Registry is not null) command.Options.Add(Registry);
        command.Options.Add(Ca);
        command.Validators.Add(result =>
        {
            bool Given(Option option) => result.GetResult(option) is { Implicit: false };
            Option[] byUrl = [.. new[] { Core, Registry }.OfType<Option>(), Ca];
            if (!Given(Node))
            {
                foreach (var option in byUrl.Where(Given))
                    result.AddError($"{option.Name} は --node と一緒に使います / {option.Name} goes with --node");
                return;
            }
            if (Given(data))
                result.AddError("--node と --data は一緒に使えません（--node はそのサービスを使い、--data のネットワークは使いません）/ "
                    + "--node and --data cannot be used together: --node uses the services named, not a network in --data");
            foreach (var option in dataOnly.Where(Given))
                result.AddError($"{option.Name} は --data のネットワークでだけ使えます / {option.Name} applies only to a network in --data, not with --node");
            foreach (var option in new[] { Core, Registry }.OfType<Option<Uri?>>().Where(o => !Given(o)))
                result.AddError($"--node には {option.Name} も必要です / --node needs {option.Name} too");
            // Exactly the network CA is trusted, never the machine's store: an https service needs it named. (Tokens, not values: a
            // validator that reads a value its parser refused throws.)
            var https = new[] { Node, Core, Registry }.OfType<Option<Uri?>>()
                .Any(o => result.GetResult(o)?.Tokens is [.., var url] && url.Value.StartsWith("https:", StringComparison.OrdinalIgnoreCase));
            if (https && !Given(Ca))
                result.AddError("https のサービスには --ca（ネットワークCAの証明書）が必要です / an https service needs --ca, the network CA's certificate");
        });
    }

    public bool Chosen(ParseResult parse) => parse.GetValue(Node) is not null;

    /// <summary>
    /// The services named, with the network CA read and every token this command needs read from the environment; null, with one
    /// line said, when the CA file cannot be read or a variable is unset.
    /// </summary>
    public RemoteServices? Open(ParseResult parse)
    {
        var found = new Dictionary<TokenVariable, string>();
        foreach (var token in tokens)
        {
            if (Environment.GetEnvironmentVariable(token.Name) is not { Length: > 0 } value || string.IsNullOrWhiteSpace(value))
            {
                Console.Error.WriteLine($"環境変数 {token.Name} がありません（{token.Japanese}）/ the environment variable {token.Name} is not set ({token.English})");
                return null;
            }
            found[token] = value.Trim();
        }
        SocketsHttpHandler handler;
        if (parse.GetValue(Ca) is { } ca)
        {
            if (!ca.Exists)
            {
                Console.Error.WriteLine($"--ca: ファイルがありません / no such file: {ca.FullName}");
                return null;
            }
            try { handler = LinkageSandbox.TrustingHandler(File.ReadAllText(ca.FullName)); }
            catch (CryptographicException)
            {
                Console.Error.WriteLine($"--ca: PEM の証明書として読めません（-----BEGIN CERTIFICATE----- の形）/ not a PEM certificate (-----BEGIN CERTIFICATE-----): {ca.FullName}");
                return null;
            }
        }
        else handler = NetworkTls.PlainHandler(); // every service on plain http, all of them on this machine (the URL parser's check)
        return new RemoteServices(parse.GetValue(Node)!, Core is null ? null : parse.GetValue(Core), Registry is null ? null : parse.GetValue(Registry),
            parse.GetValue(Ca)?.FullName, handler, found);
    }

    /// <summary>
    /// An absolute https URL, or an http one of this machine, kept as a base address (ending in '/'); anything else is a usage
    /// error naming the option, found before anything is sent.
    /// </summary>
    private static Option<Uri?> Url(string name, string description)
    {
        var option = new Option<Uri?>(name) { Description = description, HelpName = "URL" };
        option.CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
                || url.Host.Length == 0 || url.Query.Length > 0 || url.Fragment.Length > 0)
                result.AddError($"{name} は http:// か https:// で始まるURLです / {name} must be a URL starting with http:// or https:// (got '{text}')");
            // The tokens, and for issue-codes the Individual Numbers, would cross the network readable by anyone on the way: plain
            // http is for a developer's services on this machine only.
            else if (url.Scheme == Uri.UriSchemeHttp && !IsLoopback(url))
                result.AddError($"{name} の http:// はこのマシン（localhost, 127.0.0.1, ::1）にだけ使えます。ほかのホストには https:// と --ca を使ってください"
                    + $"（トークンと個人番号が暗号化されずに流れます）/ {name}: plain http:// is for this machine only (localhost, 127.0.0.1, ::1): "
                    + $"use https:// and --ca for '{url.Host}', or tokens and Individual Numbers cross the network unencrypted");
            else return url.AbsolutePath.EndsWith('/') ? url : new Uri(url + "/");
            return null;
        };
        return option;
    }

    /// <summary>localhost, or a loopback address (127.0.0.0/8, ::1): a name that resolves elsewhere, or could, is not.</summary>
    internal static bool IsLoopback(Uri url) => url.HostNameType switch
    {
        UriHostNameType.IPv4 or UriHostNameType.IPv6 => IPAddress.TryParse(url.DnsSafeHost, out var address) && IPAddress.IsLoopback(address),
        _ => url.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase),
    };
}

/// <summary>Services reached by URL: their addresses, one handler trusting the network CA, and the tokens from the environment.</summary>
public sealed class RemoteServices : IAsyncDisposable
{
    private readonly string? caFile;
    private readonly IReadOnlyDictionary<TokenVariable, string> tokens;
    private int rejected = NoneRejected;
    private const int NoneRejected = -1;
    // Every service answered HTTP to its health check: a response cut short later is a service gone, not a wrong scheme.
    private bool reached;

    public RemoteServices(Uri node, Uri? core, Uri? registry, string? caFile, SocketsHttpHandler handler, IReadOnlyDictionary<TokenVariable, string> tokens)
    {
        (Node, Core, Registry, this.caFile, this.tokens, Handler) = (node, core, registry, caFile, tokens, handler);
        // The network CA's check, unchanged; what it refused is kept, so that a failed handshake can say why.
        if (handler.SslOptions.RemoteCertificateValidationCallback is { } check)
            handler.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
            {
                var accepted = check(sender, certificate, chain, errors);
                if (!accepted) rejected = (int)errors;
                return accepted;
            };
    }

    public Uri Node { get; }
    public Uri? Core { get; }
    public Uri? Registry { get; }
    public HttpMessageHandler Handler { get; }

    public string Token(TokenVariable variable) => tokens[variable];

    public HttpClient Client(Uri service, TokenVariable token) => LinkageSandbox.Client(service, Token(token), Handler);

    /// <summary>
    /// Whether every service answers its health check over TLS that the network CA vouches for, and is the service meant (its
    /// <c>/health</c> names it), asked before anything is sent; each one that does not is said in one line (its name, its URL, why).
    /// </summary>
    public async Task<bool> ReachAsync(CancellationToken ct)
    {
        var all = true;
        using var http = new HttpClient(Handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(15) };
        foreach (var (url, service) in new[] { (Node, "node"), (Registry, "registry"), (Core, "core") })
        {
            if (url is null) continue;
            var (japanese, english) = Services[service];
            (string Japanese, string English)? problem;
            try
            {
                using var response = await http.GetAsync(new Uri(url, "health"), ct);
                problem = !response.IsSuccessStatusCode
                    ? ($"/health が {(int)response.StatusCode} を返しました。この{japanese}のURLは正しいですか", $"/health answered {(int)response.StatusCode}: is this the {english}'s URL?")
                    : ServiceOf(await response.Content.ReadAsByteArrayAsync(ct)) is not { } found
                    ? ($"Renkei の{japanese}ではありません（/health がサービス名を答えません）", $"not a Renkei {english}: /health does not name a service")
                    : found == service ? null
                    : Services.TryGetValue(found, out var other)
                    ? ($"このURLは{other.Japanese}です。{japanese}のURLを指定してください", $"this URL is the {other.English}'s, not the {english}'s")
                    : ($"Renkei の{japanese}ではありません", $"not a Renkei {english}");
            }
            catch (HttpRequestException e) { problem = Why(e); }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested) { problem = ("15秒待っても応答がありません", "no answer within 15 s"); }
            if (problem is not { } why) continue;
            Console.Error.WriteLine($"{japanese} {url}: {why.Japanese} / the {english} at {url}: {why.English}");
            all = false;
        }
        reached = all;
        return all;
    }

    /// <summary>The services by the name their <c>/health</c> gives, as messages name them.</summary>
    private static readonly Dictionary<string, (string Japanese, string English)> Services = new()
    {
        ["node"] = ("中間サーバー", "node"),
        ["registry"] = ("住民基本台帳ネットワーク", "Registry"),
        ["core"] = ("情報提供ネットワークシステム", "core"),
        ["pki"] = ("公的個人認証サービス", "PKI"),
    };

    /// <summary>The <c>service</c> a <c>/health</c> answer names; null for anything else (a page, "ok", JSON without it).</summary>
    private static string? ServiceOf(byte[] body)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(body);
            return json.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && json.RootElement.TryGetProperty("service", out var service)
                && service.ValueKind == System.Text.Json.JsonValueKind.String ? service.GetString() : null;
        }
        catch (System.Text.Json.JsonException) { return null; }
    }

    /// <summary>What a failed request says, as "日本語 / English": why it got no answer, or a refusal the command made into an exception, as it is.</summary>
    public string Text(HttpRequestException e)
    {
        if (!ServiceGone.IsGone(e)) return e.Message;
        var (japanese, english) = Why(e);
        return $"{japanese} / {english}";
    }

    /// <summary>What a failed request says, with --node (<paramref name="services"/>) or of the data folder's own services alike.</summary>
    public static string Said(RemoteServices? services, HttpRequestException e) => services?.Text(e) ?? ServiceGone.Said(e);

    /// <summary>Why a request never got an answer: a certificate the network CA does not vouch for, a URL of the wrong scheme, else <see cref="ServiceGone.Why"/>.</summary>
    public (string Japanese, string English) Why(HttpRequestException e)
    {
        if (e.HttpRequestError == HttpRequestError.SecureConnectionError)
        {
            var errors = Interlocked.Exchange(ref rejected, NoneRejected);
            if (errors != NoneRejected && ((SslPolicyErrors)errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors)) == SslPolicyErrors.RemoteCertificateNameMismatch)
                return ("証明書にURLのホスト名がありません", "the certificate does not name the URL's host");
            if (errors != NoneRejected)
                return ($"証明書がCAにつながりません（--ca {caFile}）", $"certificate does not chain to the given CA (--ca {caFile})");
            // No certificate came to be checked: ServiceGone says what else a failed handshake is.
        }
        // Nothing, or no HTTP, came back to a plain request: an https port closes on one (Kestrel), or answers TLS bytes. Over
        // https, or once each service has answered, the hint would be wrong: the connection was lost.
        if (e.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse && !reached
            && new[] { Node, Core, Registry }.Any(u => u?.Scheme == Uri.UriSchemeHttp))
            return ("HTTPの応答がありません（https のポートではありませんか。https:// と --ca を使ってください）",
                "no HTTP answer: is this an https port? Use https:// and --ca");
        return ServiceGone.Why(e);
    }

    /// <summary>What a 401 or 403 means for the token the command read, appended to the service's own problem text; empty otherwise.</summary>
    public static string Hint(HttpStatusCode? status, TokenVariable token) => status switch
    {
        HttpStatusCode.Unauthorized => $" （{token.Name} のトークンをこのサービスは知りません / the service does not know the token in {token.Name}）",
        HttpStatusCode.Forbidden => $" （{token.Name} のトークンにはこの権限がありません / the token in {token.Name} lacks this permission）",
        _ => "",
    };

    public ValueTask DisposeAsync()
    {
        Handler.Dispose();
        return ValueTask.CompletedTask;
    }
}
