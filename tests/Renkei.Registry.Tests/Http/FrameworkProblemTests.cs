using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Text;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Http;

/// <summary>What the framework answers by itself (no route, wrong method, wrong body) is a problem of ours too.</summary>
public class FrameworkProblemTests
{
    [Theory, StorageData]
    public async Task No_route_wrong_method_and_wrong_content_type_get_stable_problem_types(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var clerk = registry.Client("chiba-clerk");

        var missing = await ProblemAssert.IsProblemAsync(await clerk.GetAsync("api/no-such-thing/123456789018"), 404, "not-found");
        Assert.Contains(" / ", missing.GetProperty("title").GetString());
        Assert.DoesNotContain("123456789018", missing.ToString());

        var method = await clerk.DeleteAsync($"api/municipalities/{RegistryHost.Chiba}/events");
        var wrongMethod = await ProblemAssert.IsProblemAsync(method, 405, "method-not-allowed");
        Assert.Contains("POST", wrongMethod.GetProperty("detail").GetString());

        var text = await clerk.PostAsync($"api/municipalities/{RegistryHost.Chiba}/events", new StringContent("kind=birth", Encoding.UTF8, "text/plain"));
        var mediaType = await ProblemAssert.IsProblemAsync(text, 415, "unsupported-media-type");
        Assert.Contains("application/json", mediaType.GetProperty("detail").GetString());
    }

    [Theory, StorageData]
    public async Task A_401_says_to_send_a_bearer_token_and_whether_the_one_given_is_unknown(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var anonymous = await registry.Client().GetAsync("api/events");
        await ProblemAssert.IsProblemAsync(anonymous, 401, "unauthenticated");
        // RFC 9110 §15.5.2: a 401 names how to authenticate; RFC 6750 §3: no error code when no token was sent.
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.ToString());
        var unknown = await registry.Client("no-such-token").GetAsync("api/events");
        await ProblemAssert.IsProblemAsync(unknown, 401, "unauthenticated");
        Assert.Equal("Bearer error=\"invalid_token\"", unknown.Headers.WwwAuthenticate.ToString());
        // A known token without the permission is a 403, with no challenge.
        var forbidden = await registry.Client("chiba-clerk").GetAsync("api/events");
        await ProblemAssert.IsProblemAsync(forbidden, 403, "forbidden");
        Assert.Empty(forbidden.Headers.WwwAuthenticate);
    }

    [Theory, StorageData]
    public async Task A_value_of_the_wrong_type_is_named_by_its_field_not_by_a_dotnet_type(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var url = $"api/municipalities/{RegistryHost.Chiba}/events";
        var clerk = registry.Client("chiba-clerk");

        var top = await ProblemAssert.IsProblemAsync(await clerk.PostAsync(url, Json("{\"kind\": 5}")), 400, "malformed-request");
        var detail = top.GetProperty("detail").GetString()!;
        Assert.Contains("kind", detail);
        Assert.DoesNotContain("System.", detail);

        var nested = await ProblemAssert.IsProblemAsync(await clerk.PostAsync(url,
            Json("{\"kind\": \"birth\", \"person\": {\"familyName\": [\"山田\"]}}")), 400, "malformed-request");
        detail = nested.GetProperty("detail").GetString()!;
        Assert.Contains("person.familyName", detail);
        Assert.DoesNotContain("System.", detail);
        Assert.DoesNotContain("Renkei.", detail);

        // Text that is not JSON still says where it breaks.
        var broken = await ProblemAssert.IsProblemAsync(await clerk.PostAsync(url, Json("{\"kind\": birth}")), 400, "malformed-request");
        Assert.Contains("line 1", broken.GetProperty("detail").GetString());
    }

    [Theory, StorageData]
    public async Task A_parameter_the_framework_cannot_bind_is_described_in_both_languages_without_echoing_it(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var query = await ProblemAssert.IsProblemAsync(await registry.Client("events-token").GetAsync("api/events?after=1234x"), 400, "malformed-request");
        var detail = query.GetProperty("detail").GetString()!;
        Assert.StartsWith("「after」の値を読めません / ", detail);
        Assert.Contains("whole number", detail);
        Assert.DoesNotContain("1234x", detail);
        Assert.DoesNotContain("Failed to bind", detail);

        var url = $"api/municipalities/{RegistryHost.Chiba}/events";
        foreach (var body in new[] { "null", "" })
        {
            var missing = await ProblemAssert.IsProblemAsync(await registry.Client("chiba-clerk").PostAsync(url, Json(body)), 400, "malformed-request");
            detail = missing.GetProperty("detail").GetString()!;
            Assert.StartsWith("本文（JSON）が必要です / ", detail);
            Assert.DoesNotContain("Service", detail);
        }
    }

    [Theory, StorageData]
    public async Task The_openapi_document_types_text_and_number_strings_and_describes_failures_as_problems(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var document = await registry.Client().GetFromJsonAsync<System.Text.Json.JsonElement>("openapi/v1.json");
        var schemas = document.GetProperty("components").GetProperty("schemas");
        static string Types(System.Text.Json.JsonElement schema) => schema.GetProperty("type").ToString();
        var request = schemas.GetProperty("ResidentEventRequest").GetProperty("properties");
        foreach (var field in new[] { "address", "individualNumber", "residentId" })
            Assert.Contains("string", Types(request.GetProperty(field)));
        // A field read as text lists what the service takes, and each listed value is taken; optional fields are not required.
        var kinds = request.GetProperty("kind").GetProperty("enum").EnumerateArray().Select(k => k.GetString()!).ToList();
        Assert.Equal(["birth", "move-in", "move-out", "address-change", "name-change", "death", "head-change"], kinds);
        foreach (var kind in kinds)
            Assert.DoesNotContain("kind", Renkei.Registry.Residents.ResidentEventValidation.Validate(new Renkei.Registry.Residents.ResidentEventRequest(kind), new DateOnly(2026, 1, 1)).Errors.Keys);
        Assert.Equal(["kind"], schemas.GetProperty("ResidentEventRequest").GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(["person", "mayor"], schemas.GetProperty("ReissueRequest").GetProperty("properties").GetProperty("requestedBy")
            .GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
        var basicFour = schemas.GetProperty("BasicFourQuery");
        Assert.DoesNotContain("address", basicFour.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains("女", basicFour.GetProperty("properties").GetProperty("sex").GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
        var code = schemas.GetProperty("LocalGovernmentCode");
        Assert.Contains("string", Types(code));
        Assert.Equal("^[0-9]{6}$", code.GetProperty("pattern").GetString());

        var paths = document.GetProperty("paths");
        var failure = paths.GetProperty("/api/municipalities/{code}/events").GetProperty("post").GetProperty("responses").GetProperty("default");
        Assert.True(failure.GetProperty("content").TryGetProperty("application/problem+json", out _));
        // The corporate number search answers its errors as the National Tax Agency's API does, not as problems.
        Assert.False(paths.GetProperty("/4/num").GetProperty("get").GetProperty("responses").TryGetProperty("default", out _));
    }

    private sealed record Counted(int Count);

    [Fact]
    public void A_database_that_cannot_take_a_request_now_is_told_apart_from_a_fault()
    {
        Assert.True(Database.IsBusy(new Microsoft.Data.Sqlite.SqliteException("database is locked", 5)));
        Assert.True(Database.IsBusy(new Microsoft.Data.Sqlite.SqliteException("database table is locked", 6)));
        Assert.True(Database.IsBusy(new InvalidOperationException("wrapped", new Npgsql.PostgresException("too many clients", "FATAL", "FATAL", "53300"))));
        Assert.True(Database.IsBusy(new Npgsql.PostgresException("deadlock detected", "ERROR", "ERROR", "40P01")));
        Assert.False(Database.IsBusy(new Microsoft.Data.Sqlite.SqliteException("no such table", 1)));
        Assert.False(Database.IsBusy(new Npgsql.PostgresException("relation does not exist", "ERROR", "ERROR", "42P01")));
        Assert.False(Database.IsBusy(new InvalidOperationException("a fault")));
    }

    [Fact]
    public async Task A_busy_database_is_one_warning_line_in_the_log_not_an_error_with_a_stack_trace()
    {
        var logs = new Renkei.Testing.CapturedLogs();
        await using var registry = await RegistryHost.StartAsync(StorageProvider.Sqlite, b =>
        {
            b.Logging.AddProvider(logs);
            // Past every endpoint: a request to this path meets a database locked by another writer.
            b.Services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(new BusyAt("/busy-now"));
        });
        var response = await registry.Client().GetAsync("busy-now");
        Assert.Equal(503, (int)response.StatusCode);
        Assert.Contains("service-busy", await response.Content.ReadAsStringAsync());

        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal));
        var warning = Assert.Single(logs.Lines, l => l.StartsWith("Warning ", StringComparison.Ordinal) && l.Contains("service-busy"));
        Assert.DoesNotContain("   at ", warning);
        Assert.DoesNotContain("\n", warning.TrimEnd());
    }

    private sealed class BusyAt(string path) : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
        {
            next(app);
            Microsoft.AspNetCore.Builder.UseExtensions.Use(app, (Microsoft.AspNetCore.Http.HttpContext context, Func<Task> _) => context.Request.Path == path
                ? throw new Microsoft.Data.Sqlite.SqliteException("database is locked", 5)
                : Task.CompletedTask);
        };
    }

    [Theory]
    [InlineData("{\"count\": 1, \"count\": 2}", true)]
    [InlineData("{\"count\": 1, \"Count\": 2}", false)]
    public void A_property_given_twice_is_refused(string json, bool sameName)
    {
        var services = ServiceDefaults.Configure(new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));
        // A field is read whatever its case, so "Count" beside "count" is the field given twice ...
        Assert.Throws<System.Text.Json.JsonException>(() => System.Text.Json.JsonSerializer.Deserialize<Counted>(json, services));
        // ... while free JSON (a copy's content) keeps names as they are written.
        if (sameName) Assert.Throws<System.Text.Json.JsonException>(() => System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(json, services));
    }

    [Fact]
    public void A_number_given_as_a_string_is_a_value_of_the_wrong_type()
    {
        var services = ServiceDefaults.Configure(new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));
        Assert.Equal(1, System.Text.Json.JsonSerializer.Deserialize<Counted>("{\"count\": 1}", services)!.Count);
        Assert.Throws<System.Text.Json.JsonException>(() => System.Text.Json.JsonSerializer.Deserialize<Counted>("{\"count\": \"1\"}", services));
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
