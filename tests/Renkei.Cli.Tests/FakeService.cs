using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Renkei.Hosting;

namespace Renkei.Cli.Tests;

/// <summary>
/// What may answer at a URL the CLI is given, on real HTTP: a stand-in for a service, a proxy's login page, another application on
/// the host. It answers each request with <c>answer</c> and keeps what it was asked: the method, the path with its query, and
/// whether a bearer token came with it.
/// </summary>
public sealed class FakeService : IAsyncDisposable
{
    private readonly WebApplication app;

    private FakeService(WebApplication app) => this.app = app;

    public ConcurrentQueue<string> Asked { get; } = new();

    /// <summary>The address it listens on, with 127.0.0.1 for an address of every interface.</summary>
    public Uri Url => app.BaseAddress();

    public int Port => Url.Port;

    public static async Task<FakeService> StartAsync(Func<HttpContext, Task> answer, string listen = "http://127.0.0.1:0")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(listen);
        builder.Logging.ClearProviders();
        var fake = new FakeService(builder.Build());
        fake.app.Run(async context =>
        {
            var token = context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal) ? " with a token" : "";
            fake.Asked.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}{token}");
            await answer(context);
        });
        await fake.app.StartAsync();
        return fake;
    }

    /// <summary>Answers 200 with a login page, as a proxy in front of a service does to anything.</summary>
    public static Task LoginPage(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync("<!DOCTYPE html>\n<html><body><form action=\"/login\">proxy login</form></body></html>\n");
    }

    /// <summary>Answers <c>/health</c> as a Renkei service does, naming itself (<c>node</c>, <c>core</c>, <c>registry</c>, <c>pki</c>).</summary>
    public static Task Health(HttpContext context, string service) => Json(context, $$"""{"status":"ok","service":"{{service}}"}""");

    /// <summary>Answers with <paramref name="json"/> and the status.</summary>
    public static Task Json(HttpContext context, string json, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
