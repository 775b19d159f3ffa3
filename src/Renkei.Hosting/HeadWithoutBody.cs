using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Renkei.Hosting;

/// <summary>
/// A HEAD request is answered with the status and headers alone, whoever writes to the response. Few endpoints take HEAD (the
/// PKI's CRLs, CA certificates and OCSP over GET), so most get a problem detail (405, 404, 403); Kestrel drops its body over HTTP/1.1, but over HTTP/2 it sends what was
/// written through the body's pipe before the response started (the JSON writer's way) as DATA frames, which a client must
/// treat as a protocol error (RFC 9113 §8.1.1): <c>curl -I --http2</c> failed on every path. Put first, before any middleware
/// of a service, so that none of them can write one.
/// </summary>
internal sealed class HeadWithoutBody : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextStep) =>
        {
            if (HttpMethods.IsHead(context.Request.Method)) context.Response.Body = Stream.Null;
            return nextStep(context);
        });
        next(app);
    };
}
