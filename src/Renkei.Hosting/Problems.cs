using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Renkei.Hosting;

/// <summary>
/// RFC 9457 problem details with a stable <c>type</c> per failure, so that clients branch on the
/// type and people read the title and detail (Japanese first, English second).
/// </summary>
public static class Problems
{
    /// <summary>The type URI of a failure named <paramref name="slug"/>.</summary>
    public static string Type(string slug) => Prefix + slug;

    /// <summary>The slug of a problem type of ours (the reverse of <see cref="Type"/>); other types stay as they are.</summary>
    public static string SlugOf(string type) => type.StartsWith(Prefix, StringComparison.Ordinal) ? type[Prefix.Length..] : type;

    /// <summary>
    /// The slug and detail of a problem body as another service sent it; a body that is empty or not JSON has neither (see
    /// <see cref="OfBody(JsonElement)"/>), so that callers fall back to the status alone.
    /// </summary>
    public static (string? Slug, string? Detail) OfBody(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return OfBody(json.RootElement);
        }
        catch (JsonException) { return (null, null); }
    }

    /// <summary>The slug and detail of a problem body already read as JSON: none without an object with a string <c>type</c>, no detail unless a string.</summary>
    public static (string? Slug, string? Detail) OfBody(JsonElement problem)
    {
        if (problem.ValueKind != JsonValueKind.Object) return (null, null);
        string? Text(string name) => problem.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return Text("type") is { } type ? (SlugOf(type), Text("detail")) : (null, null);
    }

    private const string Prefix = "urn:renkei:problem:";

    /// <summary>The title of <c>malformed-request</c>: a body or query the service cannot read.</summary>
    public const string MalformedTitle = "リクエストを読み取れません / The request could not be read";

    /// <summary>The title of <c>unsupported-media-type</c>: a body not in JSON, or in a charset the service cannot read.</summary>
    public const string UnsupportedMediaTypeTitle = "この形式の本文は受け付けられません / Unsupported media type";

    /// <summary>The title of <c>request-too-large</c>: a body over the size limit.</summary>
    public const string TooLargeTitle = "リクエストが大きすぎます / The request is too large";

    /// <summary>
    /// A value from the request as a problem detail quotes it: at most 40 characters, so that a long value does not make a
    /// long answer; masked before it is cut, since a number cut short at the edge would no longer be seen as one.
    /// </summary>
    public static string Shown(string value)
    {
        var masked = NumberShape.Mask(value)!;
        return masked.Length > 40 ? masked[..40] + "…" : masked;
    }

    /// <summary>
    /// Values the service allows, as a problem lists them (<c>"101", "201", "301"</c>): quoted one by one, so that the masking
    /// of the detail, meant for what the client sent, does not read ten short codes in a row as an Individual Number and hide
    /// the server's own list ("kind must be one of ***, ***, …"). A client's input goes through <see cref="Shown"/> instead.
    /// </summary>
    public static string Listed(IEnumerable<string> values) => string.Join(", ", values.Select(v => $"\"{v}\""));

    /// <summary>A problem of ours; what its title and detail repeat of the client's input never shows an Individual Number.</summary>
    public static ProblemHttpResult Result(int status, string slug, string title, string? detail = null, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: NumberShape.Mask(detail), statusCode: status, title: NumberShape.Mask(title), type: Type(slug), extensions: extensions);

    public static ProblemHttpResult BadRequest(string slug, string title, string? detail = null, IDictionary<string, object?>? extensions = null) =>
        Result(StatusCodes.Status400BadRequest, slug, title, detail, extensions);

    public static ProblemHttpResult NotFound(string slug, string title, string? detail = null) =>
        Result(StatusCodes.Status404NotFound, slug, title, detail);

    public static ProblemHttpResult Conflict(string slug, string title, string? detail = null) =>
        Result(StatusCodes.Status409Conflict, slug, title, detail);

    /// <summary>
    /// A request whose fields are wrong: one message per field, in <c>errors</c>; a 400 unless the field is wrong only against what
    /// is stored (a 409), with the refusal's own title and detail if it has them.
    /// </summary>
    public static ProblemHttpResult Invalid(IDictionary<string, string[]> errors, string slug = "invalid-request",
        int status = StatusCodes.Status400BadRequest, string? title = null, string? detail = null)
    {
        // A field's name can repeat the client's input (a path into its JSON), so names and messages are masked as the detail is.
        var shown = new Dictionary<string, string[]>();
        foreach (var (field, messages) in errors)
        {
            var key = NumberShape.Mask(field)!;
            shown[key] = [.. shown.GetValueOrDefault(key, []), .. messages.Select(m => NumberShape.Mask(m)!)];
        }
        return Result(status, slug, title ?? "入力内容に誤りがあります / The request has invalid fields",
            detail ?? string.Join("; ", shown.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")),
            new Dictionary<string, object?> { ["errors"] = shown });
    }
}
