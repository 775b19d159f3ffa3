using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Renkei.Hosting;

/// <summary>
/// Checks of a request that hold for every endpoint, made before any of them runs, so that what the
/// framework or the database would fail on with a 500 is refused as the client's fault.
/// </summary>
internal static class RequestChecks
{
    /// <summary>What a body over the size limit is told: the limit this request had, when the server says.</summary>
    public static string TooLargeDetail(HttpContext context) =>
        context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit
            ? $"本文は{limit:N0}バイトまでです。分けて送ってください / the body may be at most {limit:N0} bytes: send it in parts."
            : "本文が上限を超えています。分けて送ってください / the body is over the limit: send it in parts.";
}
