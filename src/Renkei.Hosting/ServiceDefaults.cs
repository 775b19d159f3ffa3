using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Hosting.Tls;

namespace Renkei.Hosting;

/// <summary>What every Renkei service sets up the same way: JSON, problem details, OpenAPI, callers, TLS, health.</summary>
public static class ServiceDefaults
{
    /// <summary>
    /// A service's builder. Configuration files are read at start only: reloading them on change
    /// makes the host watch its content root and every folder below it, so that each database or
    /// log write under it (data/ sits there) wakes a watcher thread — a tenth of the CPU under load.
    /// A later <c>--hostBuilder:reloadConfigOnChange=true</c> argument still turns it on.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args) =>
        WebApplication.CreateBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false", .. args] });

    public static WebApplicationBuilder AddRenkeiDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        builder.Services.ConfigureHttpJsonOptions(o => Configure(o.SerializerOptions));
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = DescribeBadRequest);
        // Unreadable bodies and parameters reach the exception handler, which describes them (400, never 500).
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = serviceName;
            document.Info.Description = "Renkei: errors are RFC 9457 problem details whose `type` names the failure (urn:renkei:problem:…).";
            return Task.CompletedTask;
        }));
        builder.Services.Configure<CallerOptions>(builder.Configuration);
        builder.Services.AddCallers();
        builder.Services.Configure<StorageOptions>(builder.Configuration.GetSection("Storage"));
        builder.AddRenkeiTls();
        return builder;
    }

    /// <summary>A body or query the framework could not read gets a stable type and the reason.</summary>
    private static void DescribeBadRequest(ProblemDetailsContext context)
    {
        if (context.Exception is not BadHttpRequestException bad) return;
        context.ProblemDetails.Type = Problems.Type("malformed-request");
        context.ProblemDetails.Title = "リクエストを読み取れません / The request could not be read";
        context.ProblemDetails.Detail = bad.InnerException is System.Text.Json.JsonException json
            ? $"Invalid JSON: {json.Message}"
            : bad.Message;
    }

    /// <summary>The JSON settings of every API: camelCase, enums as strings, Japanese unescaped.</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Encoder = JavaScriptEncoder.Create(UnicodeRanges.All);
        if (!options.Converters.OfType<JsonStringEnumConverter>().Any())
            options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
        return options;
    }

    /// <summary>JSON settings for clients and tools, matching the services'.</summary>
    public static JsonSerializerOptions Json { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static WebApplication UseRenkeiDefaults(this WebApplication app)
    {
        // A malformed body or query is the client's fault: 400 with a problem, never a 500.
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => e is BadHttpRequestException b ? b.StatusCode : StatusCodes.Status500InternalServerError,
            SuppressDiagnosticsCallback = c => c.Exception is BadHttpRequestException,
        });
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi();
        app.MapGet("/health", () => TypedResults.Ok(new { status = "ok" })).ExcludeFromDescription();
        return app;
    }

    /// <summary>The address a started app listens on (useful with port 0).</summary>
    public static Uri BaseAddress(this WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1") + "/");
    }

    /// <summary>The storage a service is configured with.</summary>
    public static Database CreateDatabase(this IConfiguration configuration, string defaultSqliteFile)
    {
        var options = configuration.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
        return string.IsNullOrWhiteSpace(options.ConnectionString) && options.Provider == StorageProvider.Sqlite
            ? Database.Sqlite(defaultSqliteFile)
            : new Database(options);
    }
}
