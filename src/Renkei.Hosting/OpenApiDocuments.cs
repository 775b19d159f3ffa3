using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Renkei.Hosting.Tls;

namespace Renkei.Hosting;

/// <summary>
/// What every service's OpenAPI document (<c>/openapi/v1.json</c>) says beyond what the generator sees: the types our converters
/// write, problem details for every failure, and how each operation is authenticated (a caller's token, a token of the endpoint's
/// own, a network party's client certificate) with the refusals that go with it.
/// </summary>
internal static class OpenApiDocuments
{
    /// <summary>The OpenAPI security scheme of a caller's bearer token.</summary>
    private const string BearerScheme = "bearer";

    /// <summary>The OpenAPI security scheme of a network party's client certificate (OpenAPI 3.1).</summary>
    private const string MutualTlsScheme = "mutualTLS";

    /// <summary>Number types that travel as digit strings (by type name: Core and Node must not load the Individual Number's type).</summary>
    private static readonly Dictionary<string, string> NumberFormats = new()
    {
        ["IndividualNumber"] = "^[0-9]{12}$",
        ["CorporateNumber"] = "^[0-9]{13}$",
        ["ResidentRecordCode"] = "^[0-9]{11}$",
        ["LocalGovernmentCode"] = "^[0-9]{6}$",
    };

    public static void AddRenkeiOpenApi(this IServiceCollection services, string serviceName) =>
        services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = serviceName;
            document.Info.Description = "Renkei: errors are RFC 9457 problem details whose `type` names the failure (urn:renkei:problem:…).";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "呼出元のトークン（callers.json）/ a caller's token, as configured in Callers (renkei up: data/*/callers.json)",
            };
            // Runs after the operations are described.
            KeepOperationIdsUnique(document);
            return Task.CompletedTask;
        }).AddSchemaTransformer(DescribeSchema).AddOperationTransformer(DescribeOperation));

    private static Task DescribeSchema(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken _)
    {
        // The document cannot see through our converters: say what they read and write, the names of an enum and text.
        var type = Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type;
        if (NamedEnumConverter.NamesOf(type) is { } names)
        {
            schema.Type = JsonSchemaType.String;
            schema.Enum = [.. names.Select(n => (JsonNode)JsonValue.Create(n))];
        }
        else if (type == typeof(string))
        {
            schema.Type = JsonSchemaType.String;
            var attributes = context.JsonPropertyInfo?.AttributeProvider;
            // A field read or written as text names what it takes (a request's is read case-insensitively) …
            if (attributes?.GetCustomAttributes(typeof(AllowedValuesAttribute), false) is [AllowedValuesAttribute allowed, ..])
                schema.Enum = [.. allowed.Values.Select(v => (JsonNode)JsonValue.Create((string)v!))];
            // … and a date or a time kept as text (a date of birth is a date, not a time) says which.
            if (attributes?.GetCustomAttributes(typeof(DataTypeAttribute), false) is [DataTypeAttribute { DataType: DataType.Date or DataType.DateTime } data, ..])
                schema.Format = data.DataType == DataType.Date ? "date" : "date-time";
            // A query parameter read as text, to say itself what is wrong with it, but bounded as a number is a number.
            if (context.JsonPropertyInfo is null && RangeOf(context.ParameterDescription) is { } range)
            {
                schema.Type = JsonSchemaType.Integer;
                schema.Minimum = Convert.ToString(range.Minimum, System.Globalization.CultureInfo.InvariantCulture);
                schema.Maximum = Convert.ToString(range.Maximum, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        else if (NumberFormats.TryGetValue(type.Name, out var pattern))
        {
            schema.Type = JsonSchemaType.String;
            schema.Pattern = pattern;
        }
        // Every problem of ours has a type, a title and a status (the framework's type leaves each nullable).
        if (typeof(Microsoft.AspNetCore.Mvc.ProblemDetails).IsAssignableFrom(type) && schema.Properties is { } members)
        {
            schema.Required = new HashSet<string>(["type", "title", "status"], StringComparer.Ordinal);
            if (members.TryGetValue("status", out var member) && member is OpenApiSchema status) status.Type = JsonSchemaType.Integer;
            return Task.CompletedTask;
        }
        // In an answer a nullable member is left out when null (WhenWritingNull), so it is not required. Requests keep what
        // the generator says: their records take every field as nullable to refuse a missing one with a reason of their own, so
        // nullability says nothing there; a request record says a field is optional by giving it a default value (= null), the
        // one sign the generator reads. (PersonInput.Sex is required, BasicFourQuery.Sex is not: only the record can say so.)
        if (context.ParameterDescription is null
            && context.JsonTypeInfo.Kind == JsonTypeInfoKind.Object && schema.Required is { Count: > 0 } required)
            foreach (var property in context.JsonTypeInfo.Properties)
                if (property.IsGetNullable || property.IsSetNullable || Nullable.GetUnderlyingType(property.PropertyType) is not null)
                    required.Remove(property.Name);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A stable operation id from the method and the route: <c>GET api/tenants/{agencyId}/keys</c> is <c>getApiTenantsByAgencyIdKeys</c>,
    /// <c>GET ca/{name}.pem</c> <c>getCaByNamePem</c>. A route changes its id; nothing else does.
    /// </summary>
    internal static string OperationId(string method, string route)
    {
        var id = new System.Text.StringBuilder(method.ToLowerInvariant());
        foreach (System.Text.RegularExpressions.Match part in RoutePart.Matches(route))
        {
            var text = part.Value;
            if (part.Groups["parameter"].Success)
            {
                id.Append("By");
                // {version:int}, {*request}, {page=1}, {id?}: the name alone.
                text = text.Trim('{', '}').TrimStart('*').Split(':', '=', '?')[0];
            }
            foreach (var word in text.Split(['-', '_', '.'], StringSplitOptions.RemoveEmptyEntries))
                id.Append(char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
        }
        return id.ToString();
    }

    // A route parameter ({agencyId}), or a run of literal letters and digits between separators.
    private static readonly System.Text.RegularExpressions.Regex RoutePart = new(@"(?<parameter>\{[^}]+\})|[A-Za-z0-9_-]+", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// Operation ids are unique in a document (OpenAPI requires it): two that came out alike (an endpoint name given twice, say) get
    /// a number after the first, in the document's order, which is the order the routes were mapped in.
    /// </summary>
    private static void KeepOperationIdsUnique(OpenApiDocument document)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations is { } o ? o.Values : Enumerable.Empty<OpenApiOperation>()))
        {
            if (operation.OperationId is not { } id) continue;
            var unique = id;
            for (var n = 2; !seen.Add(unique); n++) unique = id + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            operation.OperationId = unique;
        }
    }

    private static RangeAttribute? RangeOf(Microsoft.AspNetCore.Mvc.ApiExplorer.ApiParameterDescription? parameter) =>
        parameter?.ParameterDescriptor is Microsoft.AspNetCore.Mvc.Infrastructure.IParameterInfoParameterDescriptor { ParameterInfo: var info }
            ? info.GetCustomAttributes(typeof(RangeAttribute), false).OfType<RangeAttribute>().FirstOrDefault()
            : null;

    private static async Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        // The generator names an operation after its endpoint name (WithName); any other is named after its method and route.
        operation.OperationId ??= OperationId(context.Description.HttpMethod ?? "", context.Description.RelativePath ?? "");
        // Every failure is a problem detail (the corporate number search keeps the National Tax Agency's own errors).
        if (context.Description.RelativePath?.StartsWith("4/", StringComparison.Ordinal) == true) return;
        operation.Responses ??= [];
        var problem = await context.GetOrCreateSchemaAsync(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), null, ct);
        DescribeSecurity(operation, context, problem);
        // What is created (201) or accepted to be worked on (202) is named by Location: every such answer of ours gives it.
        foreach (var (status, response) in operation.Responses)
            if (status is "201" or "202" && response is OpenApiResponse answer)
                (answer.Headers ??= new Dictionary<string, IOpenApiHeader>()).TryAdd("Location", new OpenApiHeader
                {
                    Description = status == "201" ? "作成されたものの場所 / where what was created is read" : "進み具合と結果を読む場所 / where its progress and results are read",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" },
                });
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<RawBodyDescription>().FirstOrDefault() is { } body)
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = body.Description,
                Content = body.MediaTypes.ToDictionary(m => m, _ => new OpenApiMediaType
                {
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = body.Binary ? "binary" : null },
                }),
            };
        operation.Responses.TryAdd("default", Problem(problem, "失敗 / a failure: an RFC 9457 problem detail whose type (urn:renkei:problem:…) names it"));
    }

    /// <summary>
    /// What an operation asks of its caller, and the refusals that go with it: a caller's token (401 without one, 403 without the
    /// permission), a token of the endpoint's own (a verifier's), a network party's client certificate (checked before the request).
    /// </summary>
    private static void DescribeSecurity(OpenApiOperation operation, OpenApiOperationTransformerContext context, IOpenApiSchema problem)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var requirement = new OpenApiSecurityRequirement();
        // Operations are described before the document transformer runs: the schemes they name are added here.
        var document = context.Document!;
        document.Components ??= new OpenApiComponents();
        var schemes = document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
        {
            requirement[new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [];
            operation.Responses!.TryAdd("401", Problem(problem, "トークンがないか不明（unauthenticated）/ no token, or one the service does not know (unauthenticated)", challenge: true));
            operation.Responses.TryAdd("403", Problem(problem, "権限がない（forbidden）/ the caller lacks the permission (forbidden)"));
        }
        foreach (var own in metadata.OfType<OwnToken>())
        {
            schemes.TryAdd(own.Scheme, new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", Description = own.Description });
            requirement[new OpenApiSecuritySchemeReference(own.Scheme, context.Document)] = [];
            foreach (var (status, what) in own.Refusals)
                operation.Responses!.TryAdd(status.ToString(System.Globalization.CultureInfo.InvariantCulture), Problem(problem, what, challenge: status == 401));
        }
        if (metadata.OfType<NetworkPartyOnly>().FirstOrDefault() is { } party)
        {
            schemes.TryAdd(MutualTlsScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.MutualTLS,
                Description = "ネットワークCAが発行した、参加者を示すTLSクライアント証明書 / a TLS client certificate from the network CA naming the party " +
                    "(a URI SAN urn:renkei:core or urn:renkei:node:{id})",
            });
            requirement[new OpenApiSecuritySchemeReference(MutualTlsScheme, context.Document)] = [];
            operation.Responses!.TryAdd("401", Problem(problem, "クライアント証明書がない、信頼できない、または失効している / no client certificate, or one not from the network CA " +
                "or revoked (client-certificate-required, client-certificate-untrusted, client-certificate-revoked), checked before the body is read"));
            operation.Responses.TryAdd("403", Problem(problem, $"証明書の主体が{party.ExpectedJapanese}ではない / the certificate names another party than {party.Expected} " +
                "(client-certificate-wrong-party)"));
        }
        if (requirement.Count > 0) operation.Security = [requirement];
    }

    private static OpenApiResponse Problem(IOpenApiSchema problem, string description, bool challenge = false) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = problem } },
        Headers = challenge
            ? new Dictionary<string, IOpenApiHeader>
            {
                ["WWW-Authenticate"] = new OpenApiHeader
                {
                    Description = "Bearer（不明なトークンには error=\"invalid_token\"）/ Bearer, with error=\"invalid_token\" for a token the service does not know (RFC 6750)",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                },
            }
            : null,
    };
}

/// <summary>Endpoint metadata of <see cref="RawBodyExtensions.TakesRawBody"/>.</summary>
public sealed record RawBodyDescription(string Description, bool Binary, string[] MediaTypes);

public static class RawBodyExtensions
{
    /// <summary>
    /// Says in the OpenAPI document what body an endpoint that reads the request itself takes (DER, JSON Lines), in which media
    /// types: <paramref name="binary"/> bytes, or text. Unlike <c>Accepts</c>, it leaves routing alone, so the endpoint still
    /// answers another media type with its own problem detail.
    /// </summary>
    public static TBuilder TakesRawBody<TBuilder>(this TBuilder builder, string description, bool binary, params string[] mediaTypes)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RawBodyDescription(description, binary, mediaTypes));
}
