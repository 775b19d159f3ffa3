using System.Globalization;
using System.ComponentModel.DataAnnotations;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.OpenApi;
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
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        UseInvariantFormats();
        KeepNewFilesPrivate();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false", .. args] });
        // The framework's own Debug and EventSource providers write every line unmasked to an attached debugger or tracing
        // session, where a number in a mistyped URL would reach it: only our masking console (and a test's or the sandbox's file) log.
        builder.Logging.ClearProviders();
        // The log levels of the services' appsettings.json, under every other source: a published service run from a folder of
        // its own (docs/operating.md) does not read the file beside it, and logged every request at ASP.NET Core's Information.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData =
            [
                new("Logging:LogLevel:Default", "Information"),
                new("Logging:LogLevel:Microsoft.AspNetCore", "Warning"),
                new("Logging:LogLevel:System.Net.Http.HttpClient", "Warning"),
            ],
        });
        return builder;
    }

    /// <summary>
    /// Dates and numbers are read and written the same whatever the host's locale: under a Thai one, a date of
    /// birth of 1976 read from storage became the Buddhist year 1976, 1433 in our calendar, and was written back.
    /// The text shown to people is fixed Japanese and English, so the user interface culture stays as it is.
    /// </summary>
    public static void UseInvariantFormats() =>
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

    /// <summary>
    /// Files the process creates from now on (databases with their journals, logs, a command's output) are its user's
    /// alone: the Registry's database holds every Individual Number, and with the usual umask any local user could read it.
    /// </summary>
    public static void KeepNewFilesPrivate()
    {
        if (!OperatingSystem.IsWindows()) _ = SetUmask(0b000_111_111);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "umask")]
    private static extern uint SetUmask(uint mask);

    /// <summary>
    /// A data folder made now, or one holding only what Renkei puts there (<paramref name="ours"/>: made by an earlier
    /// version), is closed to other users (what is in it may not be). Any other folder that already exists keeps its mode:
    /// <c>--data .</c>, a group's shared folder or <c>/tmp</c> is someone else's, and a chmod locked the group out or took
    /// /tmp's sticky bit. What Renkei makes inside it is its user's alone anyway (<see cref="KeepNewFilesPrivate"/>).
    /// </summary>
    public static void MakePrivateFolder(string folder, IReadOnlyCollection<string> ours)
    {
        var made = !Directory.Exists(folder);
        Directory.CreateDirectory(folder);
        if (OperatingSystem.IsWindows()) return;
        var entries = Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).ToList();
        if (made || entries.Count > 0 && entries.All(e => ours.Contains(e!)))
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public static WebApplicationBuilder AddRenkeiDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        // ASP.NET Core 10 reads JSON bodies through the request's PipeReader; over HTTP/2 a body of unknown length that
        // passes the size limit then fails as "PipeReader has already advanced" (a 500) instead of the 413 it is. The
        // Stream-based reader of earlier versions reports the 413.
        AppContext.SetSwitch("Microsoft.AspNetCore.UseStreamBasedJsonParsing", true);
        builder.Services.ConfigureHttpJsonOptions(o => ConfigureRequests(o.SerializerOptions));
        // The answers do not say which web server made them.
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        builder.Logging.AddConsoleFormatter<LogText.ConsoleLine, Microsoft.Extensions.Logging.Console.ConsoleFormatterOptions>();
        builder.Logging.AddConsole(o => o.FormatterName = LogText.ConsoleLine.FormatterName);
        builder.Services.AddTransient<Microsoft.AspNetCore.Hosting.IStartupFilter, HeadWithoutBody>();
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = Describe);
        builder.Services.AddSingleton<IProblemDetailsWriter, AnyAcceptProblemWriter>();
        // Unreadable bodies and parameters reach the exception handler, which describes them (400, never 500).
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddRenkeiOpenApi(serviceName);
        CallerOptions.CheckNames(builder.Configuration.Get<CallerOptions>()?.Callers ?? []);
        builder.Services.Configure<CallerOptions>(builder.Configuration);
        builder.Services.AddCallers();
        builder.Services.Configure<StorageOptions>(builder.Configuration.GetSection("Storage"));
        builder.AddRenkeiTls();
        RefuseHttpsWithoutTls(builder.Configuration);
        return builder;
    }

    /// <summary>
    /// An https:// address with no <c>Tls</c> section is refused here, before the service makes its database or key files,
    /// in one line naming the settings. Kestrel found it only at bind, after they were made, and said so in English with
    /// advice (<c>dotnet dev-certs</c>, the developer certificate) that does not apply to a service.
    /// </summary>
    public static void RefuseHttpsWithoutTls(IConfiguration configuration)
    {
        if ((configuration.GetSection("Tls").Get<TlsOptions>() ?? new TlsOptions()).IsConfigured) return;
        if (configuration.GetSection("Kestrel:Certificates:Default").Exists()) return; // Kestrel's own certificate settings, if someone uses them
        var urls = (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Where(e => !e.GetSection("Certificate").Exists()).Select(e => e["Url"] ?? ""));
        var https = urls.FirstOrDefault(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            ?? (configuration["https_ports"] is { Length: > 0 } ports ? $"https_ports={ports}" : null);
        if (https is null) return;
        throw new InvalidOperationException($"{https} で HTTPS を使うには Tls__CertificateFile、Tls__KeyFile、Tls__CaFile の設定が必要です（docs/operating.md）。何も作っていません / "
            + $"{https} needs Tls__CertificateFile, Tls__KeyFile and Tls__CaFile (docs/operating.md); nothing was made");
    }

    /// <summary>
    /// Problems the framework writes itself get a stable type of ours too: an unreadable body or query
    /// (with the reason), a body over the size limit, and no route, a wrong method or a wrong content type
    /// (through the status code pages).
    /// </summary>
    private static void Describe(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (context.Exception is BadHttpRequestException bad)
        {
            if (bad.StatusCode == StatusCodes.Status415UnsupportedMediaType) UnsupportedMediaType(problem);
            else if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge) TooLarge(problem, context.HttpContext);
            else
            {
                problem.Type = Problems.Type("malformed-request");
                problem.Title = Problems.MalformedTitle;
                problem.Detail = bad.InnerException is JsonException json ? DescribeJson(json) : DescribeBinding(bad.Message);
            }
            return;
        }
        if (problem.Type is { } type && Problems.SlugOf(type) != type) return;
        switch (problem.Status)
        {
            case StatusCodes.Status404NotFound:
                // The path is not echoed: it may hold a number.
                problem.Type = Problems.Type("not-found");
                problem.Title = "見つかりません / Not found";
                problem.Detail = "このアドレスには何もありません / Nothing is served at this address.";
                break;
            case StatusCodes.Status405MethodNotAllowed:
                problem.Type = Problems.Type("method-not-allowed");
                problem.Title = "このメソッドは使えません / Method not allowed";
                // A method is any token, digits too: it is quoted as any value from the request is.
                var method = Problems.Shown(context.HttpContext.Request.Method);
                problem.Detail = $"{method} は使えません / {method} is not allowed here; allowed: {context.HttpContext.Response.Headers.Allow}.";
                break;
            case StatusCodes.Status415UnsupportedMediaType:
                UnsupportedMediaType(problem);
                break;
            // Kestrel answers a body over the limit with the status alone (the endpoint then reads nothing).
            case StatusCodes.Status413PayloadTooLarge:
                TooLarge(problem, context.HttpContext);
                break;
            // The database could not take it now (locked, out of connections, restarting): worth sending again.
            case StatusCodes.Status503ServiceUnavailable when Database.IsBusy(context.Exception):
                problem.Type = Problems.Type("service-busy");
                problem.Title = "混み合っています / The service is busy";
                problem.Detail = "要求は完了していません。少し待ってからもう一度送ってください / The request was not completed: send it again in a moment.";
                context.HttpContext.Response.Headers.RetryAfter = "1";
                LogText.LogBusy(context.HttpContext, context.Exception);
                break;
            // The database's disk is full: not a fault of the request nor of the service's code, and not over in a second.
            case StatusCodes.Status503ServiceUnavailable when Database.IsFull(context.Exception):
                problem.Type = Problems.Type("storage-full");
                problem.Title = "保存できません / The service cannot store data";
                // What failed was rolled back, but not what the request had already done elsewhere: an inquiry's provider and the
                // core have recorded it before the requester's own record fails. Resent blindly, it would be provided twice.
                problem.Detail = "データベースのディスクに空きがないため、要求は完了しませんでした。失敗した書き込みは保存されていませんが、ほかのサービスが既に処理した場合があります。" +
                    "運用者が空きを作ってから、結果を確かめて送り直してください / The request was not completed: the disk of the service's database is full. " +
                    "The failed write was not stored, but other services may have acted on the request already: once the operator has freed space, check before sending it again.";
                context.HttpContext.Response.Headers.RetryAfter = Database.FullRetrySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                LogText.LogFull(context.HttpContext, context.Exception);
                break;
            // A fault of the service: the log has the exception; the answer says nothing of it (it may name data).
            case >= StatusCodes.Status500InternalServerError when context.Exception is not null:
                problem.Type = Problems.Type("internal-error");
                problem.Title = "サービス内部のエラーです / Internal error of the service";
                problem.Detail = "要求は完了していません。記録されたので、traceId を添えて運用者に連絡してください / " +
                    "The request was not completed. The error was logged: quote the traceId to the service's operator.";
                break;
        }
    }

    private static void UnsupportedMediaType(Microsoft.AspNetCore.Mvc.ProblemDetails problem)
    {
        problem.Type = Problems.Type("unsupported-media-type");
        problem.Title = Problems.UnsupportedMediaTypeTitle;
        problem.Detail = "本文はJSON（Content-Type: application/json）で送ってください / send the body as JSON (Content-Type: application/json).";
    }

    private static void TooLarge(Microsoft.AspNetCore.Mvc.ProblemDetails problem, HttpContext context)
    {
        problem.Type = Problems.Type("request-too-large");
        problem.Title = Problems.TooLargeTitle;
        problem.Detail = RequestChecks.TooLargeDetail(context);
    }

    /// <summary>
    /// The framework's reasons for a parameter it could not bind, said in our words: they name .NET types and offer
    /// developer hints, and a value given is not echoed (it may hold a number).
    /// </summary>
    public static string DescribeBinding(string message)
    {
        if (BindingFailure.Match(message) is { Success: true } failed)
            return $"「{failed.Groups["name"].Value}」の値を読めません / the value of '{failed.Groups["name"].Value}' cannot be read: give a {Kind(failed.Groups["type"].Value)}.";
        if (MissingFromQuery.Match(message) is { Success: true } query)
            return $"クエリ「{query.Groups["name"].Value}」が必要です / the query parameter '{query.Groups["name"].Value}' is required.";
        if (message.StartsWith("Implicit body inferred", StringComparison.Ordinal) || MissingFromBody.IsMatch(message))
            return "本文（JSON）が必要です / a JSON body is required, and null is not one.";
        return "要求を読み取れません / the request cannot be read: " + message;

        static string Kind(string type) => type.Replace("Nullable<", "").TrimEnd('>') switch
        {
            "int" or "long" or "short" or "Int32" or "Int64" => "whole number",
            "bool" or "Boolean" => "true or false",
            "DateOnly" => "date (yyyy-MM-dd)",
            "DateTimeOffset" or "DateTime" => "time (ISO 8601)",
            _ => "value of the expected form",
        };
    }

    private static readonly System.Text.RegularExpressions.Regex BindingFailure =
        new("^Failed to bind parameter \"(?<type>\\S+) (?<name>[^\"]+)\" from", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static readonly System.Text.RegularExpressions.Regex MissingFromQuery =
        new("^Required parameter \"\\S+ (?<name>[^\"]+)\" was not provided from query", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static readonly System.Text.RegularExpressions.Regex MissingFromBody =
        new("^Required parameter \"[^\"]+\" was not provided from body", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// Which field of the body is wrong and why, in the client's terms: the field's path, never the
    /// .NET type it maps to (the framework's own message names that). What it quotes of the body (a path, a property's
    /// name) is masked and cut as every problem's quotes are: a property's name may be a number, or megabytes long.
    /// </summary>
    public static string DescribeJson(JsonException json)
    {
        var at = json.LineNumber is { } line ? $" (line {line + 1}, byte {json.BytePositionInLine + 1})" : "";
        var field = json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : json.Path is { Length: > 1 } p ? p : "body";
        field = Problems.Shown(field);
        var message = (json.InnerException as JsonException ?? json).Message;
        // Which of the two a reader took would be up to the reader; the name itself is not repeated (the import says the same).
        if (message.StartsWith("Duplicate property", StringComparison.Ordinal))
            return $"{field}: 同じ名前のプロパティが2回以上あります / a property is given more than once{at}";
        if (UnmappedMember.Match(message) is { Success: true } unknown)
        {
            // Named by its path, which ends with the name: a misspelt person.famlyName was told as 'famlyName' alone.
            var name = json.Path is { Length: > 2 } ? field : Problems.Shown(unknown.Groups["name"].Value);
            return $"「{name}」はこの要求にない項目です / '{name}' is not a field of this request{at}";
        }
        // The reader's own error (the text is not JSON) comes wrapped; it names a position, not a type.
        if (json.InnerException is JsonException syntax)
            return $"JSONとして読み取れません / Invalid JSON{at}: {Quoted(WithoutPosition(syntax.Message))}";
        // A converter of ours explains itself (a number's problem, say); the framework's default names a .NET type.
        return json.Message.Contains("could not be converted", StringComparison.Ordinal)
            ? $"{field} の値の型または値が正しくありません / {field} has a value of the wrong type or one that is not accepted{at}"
            : $"{field}: {Quoted(WithoutPosition(json.Message))}";
    }

    /// <summary>A framework message with each value it quotes ('…') masked and cut.</summary>
    private static string Quoted(string message) =>
        NumberShape.Mask(QuotedValue.Replace(message, m => $"'{Problems.Shown(m.Groups["value"].Value)}'"))!;

    private static readonly System.Text.RegularExpressions.Regex QuotedValue =
        new("'(?<value>[^']*)'", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static readonly System.Text.RegularExpressions.Regex UnmappedMember =
        new("^The JSON property '(?<name>.*)' could not be mapped to any \\.NET member", System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.Singleline);

    private static string WithoutPosition(string message) =>
        message.IndexOf(" Path: ", StringComparison.Ordinal) is var i and >= 0 ? message[..i] : message.IndexOf(" LineNumber: ", StringComparison.Ordinal) is var j and >= 0 ? message[..j] : message;

    /// <summary>
    /// The JSON settings of every API: camelCase, enums as their names only, no NUL in strings, Japanese unescaped.
    /// </summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Encoder = JavaScriptEncoder.Create(UnicodeRanges.All);
        // The web defaults read "1" as 1; a number given as a string is a value of the wrong type, refused as such.
        options.NumberHandling = JsonNumberHandling.Strict;
        // A property given twice ("addresseeNumber" twice, or "Sender" beside "sender") is refused: which one a reader took
        // would be up to the reader, and a check could pass on one while the other is acted on.
        options.AllowDuplicateProperties = false;
        if (!options.Converters.OfType<NamedEnumConverter>().Any())
        {
            options.Converters.Add(new NamedEnumConverter());
            options.Converters.Add(new NoNulStringConverter());
        }
        return options;
    }

    /// <summary>
    /// The settings a service reads requests with: those of <see cref="Configure"/>, and a property the request does not
    /// have is refused, not dropped: a misspelled <c>"witheld": true</c> was stored as not withheld (the CSV import refuses
    /// an unknown column alike). A signed envelope is a request too, and an unsigned property beside its fields is refused:
    /// what a newer party adds to a message goes in its body, which is read leniently, as answers from other parties are.
    /// </summary>
    public static JsonSerializerOptions ConfigureRequests(JsonSerializerOptions options)
    {
        Configure(options).UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        return options;
    }

    /// <summary>JSON settings for a request body a service reads itself (a line of an import), matching the framework's.</summary>
    public static JsonSerializerOptions RequestJson { get; } = ConfigureRequests(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>JSON settings for clients and tools, matching the services'.</summary>
    public static JsonSerializerOptions Json { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <param name="service">What <c>/health</c> says this service is (<c>registry</c>, <c>core</c>, <c>node</c>, <c>pki</c>), so that a client
    /// given a URL can tell it reached the service it meant before it sends a token or data there.</param>
    public static WebApplication UseRenkeiDefaults(this WebApplication app, string service)
    {
        // A malformed body or query is the client's fault: 400 with a problem, never a 500.
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => e is BadHttpRequestException b ? b.StatusCode
                : Database.IsBusy(e) || Database.IsFull(e) ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError,
            // A busy database is retryable, and a full one the operator's to free, not a fault: Describe logs each as one line instead.
            SuppressDiagnosticsCallback = c => c.Exception is BadHttpRequestException || Database.IsBusy(c.Exception) || Database.IsFull(c.Exception),
        });
        app.UseStatusCodePages();
        // Answers of the APIs hold people's data (numbers, the basic four, copies): no cache along the way keeps them.
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/api")) context.Response.Headers.CacheControl = "no-store";
            return next(context);
        });
        app.Use(RequestChecks.InvokeAsync);
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi();
        // Liveness: the process serves (it looks at nothing else, so an outage of the database does not get it restarted).
        app.MapGet("/health", () => TypedResults.Ok(new { status = "ok", service })).ExcludeFromDescription();
        app.MapReadiness();
        return app;
    }

    /// <summary>The address a started app listens on (useful with port 0); its first of <paramref name="scheme"/> if given.</summary>
    public static Uri BaseAddress(this WebApplication app, string? scheme = null)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var address = addresses.First(a => scheme is null || a.StartsWith(scheme + "://", StringComparison.OrdinalIgnoreCase));
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
