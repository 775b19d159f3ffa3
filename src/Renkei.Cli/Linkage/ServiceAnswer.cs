using System.Text.Json;
using Renkei.Hosting;

namespace Renkei.Cli.Linkage;

/// <summary>
/// A service's successful answer read as its API's JSON. A service reached by URL may be anything: a proxy's login page, or another
/// application at a wrong base URL, answers 200 too. What is not the JSON expected is <see cref="NotTheApi"/>, one line naming the
/// service rather than a stack trace.
/// </summary>
public static class ServiceAnswer
{
    public const string Node = "node", Registry = "registry", Core = "core";

    private static readonly Dictionary<string, (string Japanese, string English)> Names = new()
    {
        [Node] = ("中間サーバー", "node"), [Registry] = ("住民基本台帳ネットワーク", "Registry"), [Core] = ("情報提供ネットワークシステム", "core"),
    };

    /// <summary>The service's name in Japanese, as messages give it.</summary>
    public static string Japanese(string service) => Names[service].Japanese;

    // Strict about members: one the type needs that is missing or null makes the answer not the API's, rather than a null met later.
    private static readonly JsonSerializerOptions Strict = new(ServiceDefaults.Json)
    {
        RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true,
    };

    /// <summary>The answer's body, already read as <paramref name="text"/>, as a <typeparamref name="T"/>.</summary>
    public static T Parse<T>(HttpResponseMessage response, string text, string service)
    {
        try { return JsonSerializer.Deserialize<T>(text, Strict) ?? throw NotTheApi(response, service); }
        catch (JsonException) { throw NotTheApi(response, service); }
    }

    /// <summary>The answer's body as a <typeparamref name="T"/>, whatever charset it claims.</summary>
    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, string service, CancellationToken ct) =>
        Parse<T>(response, await AnswerText.ReadAsync(response.Content, ct), service);

    /// <summary>
    /// What the answer was and where it came from, never its body (what a proxy or another application says is not ours to repeat).
    /// No inner exception: <see cref="RemoteServices.Text"/> takes it for a refusal the command made, said as it is.
    /// </summary>
    public static HttpRequestException NotTheApi(HttpResponseMessage response, string service)
    {
        var (japanese, english) = Names[service];
        var url = response.RequestMessage?.RequestUri;
        var type = response.Content.Headers.ContentType?.MediaType;
        return new HttpRequestException($"{japanese}の {url} への応答がAPIのものではありません（{type ?? "形式の指定なし"}）。URLは正しいですか / "
            + $"the {english} answered {url} with something that is not its API ({type ?? "no content type"}): is the URL right?");
    }
}
