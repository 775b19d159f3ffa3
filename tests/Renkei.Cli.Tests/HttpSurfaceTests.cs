using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Cli.Network;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>One sandbox network for the tests of what every service shows on the wire: its methods and its OpenAPI documents.</summary>
public sealed class RunningNetwork : IAsyncLifetime
{
    private readonly TempFolder folder = new();

    public SandboxNetwork Network { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>The HTTPS base address of each service, by name.</summary>
    public IReadOnlyDictionary<string, Uri> Services { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Network = await SandboxNetwork.StartAsync(folder.Path);
        Client = new HttpClient(Network.Handler, disposeHandler: false);
        Services = new Dictionary<string, Uri>
        {
            ["registry"] = Network.RegistryUrl,
            ["pki"] = Network.PkiUrl,
            ["core"] = Network.Linkage!.CoreUrl,
            ["node"] = Network.Linkage.NodeUrl,
        };
    }

    /// <summary>A service's OpenAPI document, fetched from it over HTTPS.</summary>
    public async Task<JsonElement> DocumentAsync(string service) =>
        JsonDocument.Parse(await Client.GetStringAsync(new Uri(Services[service], "openapi/v1.json"))).RootElement;

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Network.DisposeAsync();
        folder.Dispose();
    }
}

public class HttpSurfaceTests(RunningNetwork running) : IClassFixture<RunningNetwork>
{
    public static TheoryData<string> Services => new() { "registry", "pki", "core", "node" };

    [Theory, MemberData(nameof(Services))]
    public async Task Head_over_http2_is_answered_with_headers_only_on_every_path(string service)
    {
        foreach (var path in new[] { "health", "openapi/v1.json", "api/no-such-thing", "no-such-thing" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, new Uri(running.Services[service], path))
            {
                Version = HttpVersion.Version20, // curl's default over HTTPS
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            // A body on a HEAD response is a protocol error over HTTP/2 (RFC 9113 §8.1.1): the stream is reset and the call fails.
            using var response = await running.Client.SendAsync(request);
            Assert.Equal(HttpVersion.Version20, response.Version);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
            Assert.True((int)response.StatusCode is 404 or 405, $"{service} /{path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task The_PKI_serves_its_API_document_on_https_only()
    {
        // Its plain-HTTP port serves OCSP, CRLs and CA certificates; a document there would name it as the API's server.
        var plain = new Uri(running.Network.PkiEntry.Url);
        Assert.Equal("http", plain.Scheme);
        using var http = new HttpClient();
        await ProblemAssert.IsProblemAsync(await http.GetAsync(new Uri(plain, "openapi/v1.json")), 403, "https-required");
        Assert.True((await http.GetAsync(new Uri(plain, "ca/root.pem"))).IsSuccessStatusCode);

        var document = await running.DocumentAsync("pki");
        Assert.All(document.GetProperty("servers").EnumerateArray(), s => Assert.StartsWith("https://", s.GetProperty("url").GetString()));
    }

    [Fact]
    public async Task The_verification_APIs_declare_the_verifier_token_they_take_and_say_how_to_send_one()
    {
        var document = await running.DocumentAsync("pki");
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("verifier");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        foreach (var (path, approval) in new[] { ("/api/verify/signature", false), ("/api/verify/current-items", true), ("/api/verify/authentication", true) })
        {
            var operation = Operation(document, "post", path);
            Assert.Equal(["verifier"], SchemesOf(operation));
            var responses = operation.GetProperty("responses");
            Assert.True(responses.TryGetProperty("401", out var unauthorized), path);
            Assert.True(unauthorized.GetProperty("headers").TryGetProperty("WWW-Authenticate", out _), path);
            Assert.Equal(approval, responses.TryGetProperty("403", out _));
        }

        // As the document says: without a token, or with one the PKI does not know.
        var url = new Uri(running.Services["pki"], "api/verify/signature");
        var anonymous = await running.Client.PostAsync(url, JsonContent.Create(new { document = "", signature = "" }));
        await ProblemAssert.IsProblemAsync(anonymous, 401, "unregistered-verifier");
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.ToString());
        using var unknown = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(new { document = "", signature = "" }) };
        unknown.Headers.Authorization = new("Bearer", "no-such-verifier");
        var refused = await running.Client.SendAsync(unknown);
        await ProblemAssert.IsProblemAsync(refused, 401, "unregistered-verifier");
        Assert.Equal("Bearer error=\"invalid_token\"", refused.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task The_endpoints_only_a_network_party_may_call_declare_mutual_tls()
    {
        foreach (var (service, path) in new[] { ("core", "/api/relay/inquiries"), ("core", "/api/witness"),
            ("node", "/api/tenants/{agencyId}/provisions"), ("node", "/api/tenants/{agencyId}/codes/delivered") })
        {
            var document = await running.DocumentAsync(service);
            Assert.Equal("3.1", document.GetProperty("openapi").GetString()![..3]); // mutualTLS is OpenAPI 3.1's
            var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("mutualTLS");
            Assert.Equal("mutualTLS", scheme.GetProperty("type").GetString());
            var operation = Operation(document, "post", path);
            Assert.Equal(["mutualTLS"], SchemesOf(operation));
            Assert.True(operation.GetProperty("responses").TryGetProperty("401", out _), path);
            Assert.True(operation.GetProperty("responses").TryGetProperty("403", out _), path);
        }
        // A staff endpoint of the same node keeps its caller's token.
        Assert.Equal(["bearer"], SchemesOf(Operation(await running.DocumentAsync("node"), "post", "/api/tenants/{agencyId}/acquisitions")));
    }

    [Fact]
    public async Task A_problem_about_a_body_or_a_method_quotes_no_number_and_nothing_long()
    {
        using var copies = running.Network.Linkage!.NodeClient($"{Renkei.Cli.Linkage.LinkageSandbox.Kashiwa}-copies");
        var url = $"api/tenants/{Renkei.Cli.Linkage.LinkageSandbox.Kashiwa}/copies/K-SURFACE-1/vaccination";
        var longName = new string('k', 100_000);
        // A property given twice (a spreadsheet keyed by number, say), one the request has not, a long name: none is repeated whole.
        foreach (var body in new[]
        {
            """{"schemaVersion":1,"content":{"1234 5678 9018":1,"1234 5678 9018":2}}""",
            $$$"""{"schemaVersion":1,"content":{"{{{longName}}}":1,"{{{longName}}}":2}}""",
            """{"schemaVersion":1,"content":{},"1234 5678 9018":true}""",
            $$$"""{"schemaVersion":1,"content":{},"123456789018{{{longName}}}":true}""",
        })
        {
            var problem = await ProblemAssert.IsProblemAsync(await copies.PutAsync(url, new StringContent(body, System.Text.Encoding.UTF8, "application/json")), 400, "malformed-request");
            var detail = problem.GetProperty("detail").GetString()!;
            Assert.DoesNotContain("123456789018", detail.Replace(" ", ""));
            Assert.True(detail.Length < 300, $"{detail.Length} characters");
        }
        await ProblemAssert.IsProblemAsync(await copies.GetAsync(url), 404, "no-copy");

        // A method is any token, digits too.
        foreach (var service in running.Services.Values)
        {
            using var request = new HttpRequestMessage(new HttpMethod("123456789018"), new Uri(service, "health"));
            var problem = await ProblemAssert.IsProblemAsync(await running.Client.SendAsync(request), 405, "method-not-allowed");
            Assert.DoesNotContain("123456789018", problem.GetProperty("detail").GetString());
            Assert.Contains("************", problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task A_property_a_request_does_not_have_is_refused_naming_it_on_every_service_and_nothing_is_done()
    {
        var linkage = running.Network.Linkage!;
        var kashiwa = Renkei.Cli.Linkage.LinkageSandbox.Kashiwa;
        using var admin = Renkei.Cli.Linkage.LinkageSandbox.Client(running.Network.RegistryUrl, SandboxCallers.TokenOf(running.Network.DataFolder, "admin"), running.Network.Handler);
        using var pki = Renkei.Cli.Linkage.LinkageSandbox.Client(running.Network.PkiUrl, SandboxCallers.TokenOf(running.Network.DataFolder, "admin"), running.Network.Handler);
        using var core = linkage.CoreClient("operator");
        using var copies = linkage.NodeClient($"{kashiwa}-copies");
        foreach (var (client, method, path, body, name) in new (HttpClient, HttpMethod, string, string, string)[]
        {
            // A misspelled "withheld" was stored as not withheld, and so was every provision of the copy.
            (copies, HttpMethod.Put, $"api/tenants/{kashiwa}/copies/K-SURFACE-1/vaccination", """{"schemaVersion":1,"content":{},"witheld":true}""", "witheld"),
            (admin, HttpMethod.Post, $"api/municipalities/{kashiwa}/events", """{"kind":"birth","individualNumbr":"123"}""", "individualNumbr"),
            // Nested, by its path: 'famlyName' alone left the clerk to find which object held it.
            (admin, HttpMethod.Post, $"api/municipalities/{kashiwa}/events", """{"kind":"birth","person":{"famlyName":"試験"}}""", "person.famlyName"),
            (core, HttpMethod.Put, "api/agencies/999999", """{"kind":"municipality","nodeAdress":"https://127.0.0.1:1/"}""", "nodeAdress"),
            (pki, HttpMethod.Post, "api/verifiers", """{"name":"試験","kind":"private","aproved":false}""", "aproved"),
        })
        {
            using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            var problem = await ProblemAssert.IsProblemAsync(await client.SendAsync(request), 400, "malformed-request");
            Assert.Contains($"'{name}'", problem.GetProperty("detail").GetString());
        }
        await ProblemAssert.IsProblemAsync(await copies.GetAsync($"api/tenants/{kashiwa}/copies/K-SURFACE-1/vaccination"), 404, "no-copy");
        Assert.Equal(HttpStatusCode.NotFound, (await core.GetAsync("api/agencies/999999")).StatusCode);

        // A line of an import alike, as the CSV import refuses an unknown column.
        var import = await copies.PostAsync($"api/tenants/{kashiwa}/copies/import", new StringContent(
            """{"addresseeNumber":"K-SURFACE-2","item":"vaccination","schemaVersion":1,"content":{},"witheld":true}""" + "\n", System.Text.Encoding.UTF8, "application/x-ndjson"));
        var report = JsonDocument.Parse(await import.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(0, report.GetProperty("imported").GetInt32());
        Assert.Contains("'witheld'", Assert.Single(report.GetProperty("errors").EnumerateArray()).GetProperty("reason").GetString());
    }

    private static JsonElement Operation(JsonElement document, string method, string path) =>
        document.GetProperty("paths").GetProperty(path).GetProperty(method);

    private static List<string> SchemesOf(JsonElement operation) =>
        operation.TryGetProperty("security", out var security)
            ? [.. security.EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name))]
            : [];

    [Fact]
    public async Task Answers_and_bodies_that_are_not_json_are_documented_with_their_media_types()
    {
        var pki = await running.DocumentAsync("pki");
        Assert.Equal("string", Content(Operation(pki, "get", "/ca/{name}.pem"), "application/x-pem-file").GetProperty("type").GetString());
        Assert.True(Content(Operation(pki, "get", "/crl/{kind}.crl"), "application/pkix-crl").ValueKind == JsonValueKind.Object);
        var post = Operation(pki, "post", "/ocsp");
        Assert.Equal("binary", post.GetProperty("requestBody").GetProperty("content").GetProperty("application/ocsp-request").GetProperty("schema").GetProperty("format").GetString());
        Assert.True(Content(post, "application/ocsp-response").ValueKind == JsonValueKind.Object);
        var get = Operation(pki, "get", "/ocsp/{request}");
        Assert.True(Content(get, "application/ocsp-response").ValueKind == JsonValueKind.Object);
        Assert.Contains("'/'", Assert.Single(get.GetProperty("parameters").EnumerateArray()).GetProperty("description").GetString());

        var stream = Operation(await running.DocumentAsync("registry"), "get", "/api/events/stream");
        Assert.True(Content(stream, "text/event-stream").ValueKind == JsonValueKind.Object);
        Assert.Contains(stream.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Last-Event-ID" && p.GetProperty("in").GetString() == "header");

        var records = Content(Operation(await running.DocumentAsync("core"), "get", "/api/records"), "application/json");
        Assert.Equal("#/components/schemas/ProvisionRecord", records.GetProperty("items").GetProperty("$ref").GetString());

        var node = await running.DocumentAsync("node");
        Assert.Equal("#/components/schemas/PublicKeys", Content(Operation(node, "get", "/api/tenants/{agencyId}/keys"), "application/json").GetProperty("$ref").GetString());
        Assert.True(Content(Operation(node, "get", "/api/layouts/{item}/v{version}"), "application/json").ValueKind == JsonValueKind.Object);
        var import = Operation(node, "post", "/api/tenants/{agencyId}/copies/import");
        Assert.True(import.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/x-ndjson", out _));
        Assert.True(import.GetProperty("responses").TryGetProperty("415", out _));
    }

    /// <summary>The schema of an operation's 200 (or 201, 202) answer in <paramref name="mediaType"/>.</summary>
    private static JsonElement Content(JsonElement operation, string mediaType)
    {
        var responses = operation.GetProperty("responses");
        var success = responses.EnumerateObject().First(r => r.Name.StartsWith('2')).Value;
        Assert.True(success.TryGetProperty("content", out var content), "no content in the success answer");
        Assert.True(content.TryGetProperty(mediaType, out var media), $"no {mediaType} in {content}");
        return media.GetProperty("schema");
    }

    [Fact]
    public async Task A_request_field_that_may_be_left_out_is_not_required_in_the_document()
    {
        var schemas = (await running.DocumentAsync("registry")).GetProperty("components").GetProperty("schemas");
        // A link key is asked by Individual Number or by the basic four items; a basic-four search narrows by sex and address when given.
        Assert.Equal(["acquisitionNumber"], Required(schemas.GetProperty("LinkKeyItem")));
        Assert.Equal(["familyName", "givenName", "dateOfBirth"], Required(schemas.GetProperty("BasicFourQuery")));
        // A newborn's or a newcomer's sex is required.
        Assert.Contains("sex", Required(schemas.GetProperty("PersonInput")));
    }

    private static List<string> Required(JsonElement schema) =>
        schema.TryGetProperty("required", out var required) ? [.. required.EnumerateArray().Select(r => r.GetString()!)] : [];

    [Fact]
    public async Task Dates_times_statuses_and_bounds_are_declared_as_the_services_write_and_check_them()
    {
        var pki = (await running.DocumentAsync("pki")).GetProperty("components").GetProperty("schemas");
        Assert.Equal("date-time", Format(pki, "CardView", "issuedAt"));
        Assert.Equal("date", Format(pki, "CardView", "expiresOn"));
        foreach (var time in new[] { "notBefore", "notAfter", "revokedAt" }) Assert.Equal("date-time", Format(pki, "CertificateView", time));
        Assert.Equal("date-time", Format(pki, "SignatureVerification", "signedAt"));
        Assert.Equal("date", Format(pki, "HolderView", "dateOfBirth"));
        Assert.Equal(["pending", "active", "lost", "superseded", "holder-gone", "number-changed", "withdrawn"], Enum(pki, "CardView", "status"));
        Assert.Equal(["good", "revoked", "expired"], Enum(pki, "CertificateView", "status"));

        var registry = await running.DocumentAsync("registry");
        var registrySchemas = registry.GetProperty("components").GetProperty("schemas");
        Assert.Equal("date", Format(registrySchemas, "IdentityInfo", "dateOfBirth"));
        Assert.Equal("date", Format(registrySchemas, "PublishedEvent", "occurredOn"));
        Assert.Equal((1, 1000), Bounds(Operation(registry, "get", "/api/events"), "limit"));
        Assert.Equal((0, 60), Bounds(Operation(registry, "get", "/api/events"), "wait"));
        Assert.Equal((1, 1000), Bounds(Operation(registry, "get", "/api/municipalities/{code}/residents"), "limit"));

        var node = await running.DocumentAsync("node");
        var batch = Operation(node, "get", "/api/tenants/{agencyId}/inquiry-batches/{batchId}");
        Assert.Equal((1, 1000), Bounds(batch, "limit"));
        Assert.Equal(0, Bounds(batch, "after").Minimum);
        Assert.Equal(["pending", "running", "done"], Enum(node.GetProperty("components").GetProperty("schemas"), "InquiryBatchStatus", "status"));
        var accepted = Operation(node, "post", "/api/tenants/{agencyId}/inquiry-batches").GetProperty("responses").GetProperty("202");
        Assert.True(accepted.GetProperty("headers").TryGetProperty("Location", out _));
    }

    private static string? Format(JsonElement schemas, string type, string property) =>
        schemas.GetProperty(type).GetProperty("properties").GetProperty(property).TryGetProperty("format", out var f) ? f.GetString() : null;

    private static List<string> Enum(JsonElement schemas, string type, string property) =>
        [.. schemas.GetProperty(type).GetProperty("properties").GetProperty(property).GetProperty("enum").EnumerateArray().Select(v => v.GetString()!)];

    /// <summary>An integer query parameter's bounds.</summary>
    private static (long Minimum, long Maximum) Bounds(JsonElement operation, string parameter)
    {
        var schema = operation.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == parameter).GetProperty("schema");
        Assert.Equal("integer", schema.GetProperty("type").GetString());
        return (schema.GetProperty("minimum").GetInt64(), schema.GetProperty("maximum").GetInt64());
    }

    [Fact]
    public async Task The_envelope_schema_lists_the_fields_a_message_carries_and_nothing_computed()
    {
        foreach (var service in new[] { "core", "node" })
        {
            var envelope = (await running.DocumentAsync(service)).GetProperty("components").GetProperty("schemas").GetProperty("Envelope");
            Assert.Equal(["sender", "recipient", "kind", "messageId", "nonce", "sentAt", "body", "signature"],
                envelope.GetProperty("properties").EnumerateObject().Select(p => p.Name));
        }
    }

    [Theory, MemberData(nameof(Services))]
    public async Task Every_operation_has_an_operation_id_of_its_own_made_from_its_method_and_route(string service)
    {
        var document = await running.DocumentAsync(service);
        var ids = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (Where: $"{op.Name} {path.Name}", Id: op.Value.TryGetProperty("operationId", out var id) ? id.GetString() : null)))
            .ToList();
        Assert.NotEmpty(ids);
        Assert.All(ids, op => Assert.False(string.IsNullOrEmpty(op.Id), $"{service}: {op.Where} has no operationId"));
        Assert.Equal(ids.Count, ids.Select(op => op.Id).Distinct(StringComparer.Ordinal).Count());
        var expected = service switch
        {
            "registry" => ("get /api/municipalities/{code}/residents", "getApiMunicipalitiesByCodeResidents"),
            "pki" => ("get /ca/{name}.pem", "getCaByNamePem"),
            "core" => ("post /api/relay/inquiries", "postApiRelayInquiries"),
            _ => ("get /api/layouts/{item}/v{version}", "getApiLayoutsByItemVByVersion"),
        };
        Assert.Equal(expected.Item2, ids.Single(op => op.Where == expected.Item1).Id);
    }

    [Theory, MemberData(nameof(Services))]
    public async Task Every_problem_schema_requires_type_title_and_status(string service)
    {
        var document = await running.DocumentAsync(service);
        var schemas = document.GetProperty("components").GetProperty("schemas");
        // The corporate number search (/4/…) answers its errors as the National Tax Agency's API does, and describes them itself.
        var problems = document.GetProperty("paths").EnumerateObject().Where(p => !p.Name.StartsWith("/4/", StringComparison.Ordinal))
            .SelectMany(p => p.Value.EnumerateObject())
            .SelectMany(op => op.Value.GetProperty("responses").EnumerateObject())
            .Where(r => r.Value.TryGetProperty("content", out var c) && c.TryGetProperty("application/problem+json", out _))
            .Select(r => r.Value.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema"))
            .Select(s => s.TryGetProperty("$ref", out var reference) ? schemas.GetProperty(reference.GetString()!.Split('/')[^1]) : s)
            .ToList();
        Assert.NotEmpty(problems);
        foreach (var problem in problems)
        {
            Assert.Equal(["status", "title", "type"], Required(problem).Order());
            Assert.Equal("integer", problem.GetProperty("properties").GetProperty("status").GetProperty("type").GetString());
        }
    }
}
