using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Renkei.Hosting.Tls;

namespace Renkei.Hosting;

/// <summary>
/// Checks of a request that hold for every endpoint, made before any of them runs, so that what the
/// framework or the database would fail on with a 500 is refused as the client's fault.
/// </summary>
internal static class RequestChecks
{
    public static async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<OwnErrorFormat>() is not null)
        {
            await next(context);
            return;
        }
        // A caller that is not the network party the endpoint is for is refused first: what is wrong with its request is not its business.
        if (context.GetEndpoint()?.Metadata.GetMetadata<NetworkPartyOnly>() is { } party
            && context.RefuseUnlessFrom(party.Accepts, party.ExpectedJapanese, party.Expected) is { } refused)
        {
            await refused.ExecuteAsync(context);
            return;
        }
        var request = context.Request;
        // The framework's JSON reader throws (a 500) on a charset it has no encoding for; the raw-body endpoints would guess.
        // Parsed only when it names a charset other than the usual last "charset=utf-8" (what HttpClient's JSON sends, on the
        // inquiry path too): every other request is passed by as it is.
        if (request.ContentType is { } contentType && contentType.Contains("charset", StringComparison.OrdinalIgnoreCase)
            && !contentType.EndsWith("charset=utf-8", StringComparison.OrdinalIgnoreCase)
            && MediaTypeHeaderValue.TryParse(contentType, out var media)
            && media.Charset is { HasValue: true } given)
        {
            var charset = HeaderUtilities.RemoveQuotes(given).Value!;
            if (!IsKnownCharset(charset))
            {
                var shown = Problems.Shown(charset);
                await Problems.Result(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", Problems.UnsupportedMediaTypeTitle,
                    $"文字コード「{shown}」は扱えません。UTF-8で送ってください / the charset '{shown}' is not known: send the body as UTF-8 " +
                    "(Content-Type: application/json; charset=utf-8).").ExecuteAsync(context);
                return;
            }
            // RFC 9110 lets the value be quoted (charset="utf-8"); the framework's reader would take the quotes as part of the name.
            if (charset.Length != given.Length)
            {
                media.Charset = charset;
                request.ContentType = media.ToString();
            }
        }
        foreach (var (key, values) in request.Query)
        {
            // A NUL in a query value would reach the database, where PostgreSQL's text cannot hold it (Kestrel refuses one in the path).
            if (key.Contains('\0') || values.Any(v => v?.Contains('\0') == true))
            {
                await Problems.BadRequest("malformed-request", Problems.MalformedTitle,
                    "クエリにNUL文字（%00）は使えません / the query must not contain a NUL character (%00).").ExecuteAsync(context);
                return;
            }
            // No endpoint takes a list this way: the framework would join the values with commas and read "3,4" as one value.
            if (values.Count > 1)
            {
                var shown = Problems.Shown(key);
                await Problems.BadRequest("malformed-request", Problems.MalformedTitle,
                    $"クエリ「{shown}」が複数指定されています。一つにしてください / the query parameter '{shown}' is given more than once: give it once.").ExecuteAsync(context);
                return;
            }
        }
        await next(context);
    }

    /// <summary>A charset the framework can read a body in (the same test as its JSON reader's).</summary>
    private static bool IsKnownCharset(string charset)
    {
        if (charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)) return true;
        try { return Encoding.GetEncoding(charset) is not null; }
        catch (Exception e) when (e is ArgumentException or NotSupportedException) { return false; }
    }

    /// <summary>What a body over the size limit is told: the limit this request had, when the server says.</summary>
    public static string TooLargeDetail(HttpContext context) =>
        context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit
            ? $"本文は{limit:N0}バイトまでです。分けて送ってください / the body may be at most {limit:N0} bytes: send it in parts."
            : "本文が上限を超えています。分けて送ってください / the body is over the limit: send it in parts.";
}

/// <summary>
/// Marks an endpoint that answers its errors in a format of its own (the NTA-compatible corporate number
/// search) and checks its requests itself: the shared checks leave them to it.
/// </summary>
public sealed class OwnErrorFormat;

/// <summary>
/// Writes problem details whatever the client accepts: the framework's own writer writes only for a
/// client that accepts JSON, and leaves any other (a browser's <c>Accept: text/html</c>) with a bare
/// status or plain text. Registered after the framework's writer, it writes only what that one declines.
/// </summary>
internal sealed class AnyAcceptProblemWriter(IOptions<ProblemDetailsOptions> problems, IOptions<JsonOptions> json) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var problem = context.ProblemDetails;
        // What the framework's writer adds before its customisation: the status, its reason and the trace id.
        problem.Status ??= http.Response.StatusCode;
        problem.Title ??= ReasonPhrases.GetReasonPhrase(problem.Status.Value);
        problem.Extensions.TryAdd("traceId", Activity.Current?.Id ?? http.TraceIdentifier);
        problems.Value.CustomizeProblemDetails?.Invoke(context);
        return new ValueTask(http.Response.WriteAsJsonAsync(problem, problem.GetType(), json.Value.SerializerOptions, "application/problem+json"));
    }
}
