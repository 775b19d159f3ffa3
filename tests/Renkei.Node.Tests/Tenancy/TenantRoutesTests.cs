using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Node.Tests.Tenancy;

/// <summary>
/// Invariant 1 over every tenant route: each handler calls <c>TenantDirectory.Enter</c> itself, so one that forgets would
/// hand one agency's data to another's caller. The routes come from the node's OpenAPI document, so a new one fails here
/// until it is listed.
/// </summary>
public class TenantRoutesTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo, Unknown = "999999";

    /// <summary>
    /// Each operation of a tenant, as Bunkyo's caller holding the permission it needs would call it on tenant
    /// <c>{agencyId}</c>: the concrete path after the tenant and a valid body.
    /// </summary>
    private static Dictionary<string, (string Caller, string Path, Func<HttpContent?> Body)> Operations(string batchId) => new()
    {
        ["PUT copies/{addresseeNumber}/{item}"] = ("bunkyo-tax-system", "copies/K-1/local-tax", () => Json(Copies.CopyTests.Tax(1))),
        ["GET copies/{addresseeNumber}/{item}"] = ("bunkyo-tax-system", "copies/K-1/local-tax", () => null),
        ["DELETE copies/{addresseeNumber}/{item}"] = ("bunkyo-tax-system", "copies/K-1/local-tax", () => null),
        ["POST copies/import"] = ("bunkyo-tax-system", "copies/import", () => new StringContent(
            JsonSerializer.Serialize(new { addresseeNumber = "K-2", item = "local-tax", schemaVersion = 1,
                content = new { fiscalYear = 2025, totalIncome = 1, taxableIncome = 0, municipalTax = 0, prefecturalTax = 0 } }, ServiceDefaults.Json),
            System.Text.Encoding.UTF8, "application/x-ndjson")),
        ["POST acquisitions"] = ("bunkyo-addressee", "acquisitions", () => Json(new { addresseeNumbers = new[] { "K-3" } })),
        ["POST acquisitions/discard"] = ("bunkyo-addressee", "acquisitions/discard", () => Json(new { acquisitionNumbers = new[] { "a-1" } })),
        ["GET addressees/{addresseeNumber}"] = ("bunkyo-addressee", "addressees/K-1", () => null),
        ["POST addressees/{addresseeNumber}/release"] = ("bunkyo-addressee", "addressees/K-1/release", () => Json(new { })),
        ["POST inquiries"] = ("bunkyo-child-clerk", "inquiries", () => Json(new { addresseeNumber = "K-1", affair = "child-allowance", provider = B, item = "local-tax" })),
        ["POST inquiry-batches"] = ("bunkyo-child-clerk", "inquiry-batches",
            () => Json(new { affair = "child-allowance", provider = B, item = "local-tax", addresseeNumbers = new[] { "K-1" } })),
        ["GET inquiry-batches/{batchId}"] = ("bunkyo-child-clerk", $"inquiry-batches/{batchId}", () => null),
        ["DELETE inquiry-batches/{batchId}"] = ("bunkyo-child-clerk", $"inquiry-batches/{batchId}", () => null),
        ["GET records"] = ("bunkyo-auditor", "records?addresseeNumber=K-1", () => null),
        ["GET records/head"] = ("bunkyo-auditor", "records/head", () => null),
        ["GET records/{recordId}/proof"] = ("bunkyo-auditor", "records/r-1/proof", () => null),
        ["GET records/tree-head"] = ("bunkyo-auditor", "records/tree-head", () => null),
        ["GET records/consistency"] = ("bunkyo-auditor", "records/consistency?from=1", () => null),
        ["GET records/core-head"] = ("bunkyo-auditor", "records/core-head", () => null),
        ["GET records/verify"] = ("bunkyo-auditor", "records/verify", () => null),
    };

    /// <summary>Tenant routes that no staff caller enters, each with who may call it instead.</summary>
    private static readonly Dictionary<string, string> NotForCallers = new()
    {
        ["GET keys"] = "public keys, read by anyone registering the tenant with the core",
        ["POST codes/delivered"] = "the core alone, by its certificate",
        ["POST provisions"] = "the core alone, by its certificate",
    };

    private static JsonContent Json(object body) => JsonContent.Create(body, options: ServiceDefaults.Json);

    [Theory, StorageData]
    public async Task Every_tenant_route_refuses_another_tenants_caller_and_an_unknown_tenant(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        // Kashiwa data that a route without its check would hand over, change or remove.
        await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{K}/copies/K-1/local-tax", Copies.CopyTests.Tax()));
        var batch = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-child-clerk").PostAsJsonAsync($"api/tenants/{K}/inquiry-batches",
            new { affair = "child-allowance", provider = B, item = "local-tax", addresseeNumbers = new[] { "K-1" } }, ServiceDefaults.Json));
        var batchId = batch.GetProperty("batchId").GetString()!;
        var operations = Operations(batchId);

        // Every operation of the document is listed here: a new route fails until it is.
        using var document = JsonDocument.Parse(await network.NodeClient().GetStringAsync("openapi/v1.json"));
        const string Prefix = "/api/tenants/{agencyId}/";
        var routes = document.RootElement.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith(Prefix, StringComparison.Ordinal))
            .SelectMany(p => p.Value.EnumerateObject().Select(o => $"{o.Name.ToUpperInvariant()} {p.Name[Prefix.Length..]}")).ToList();
        Assert.True(routes.Count > 20, string.Join(", ", routes));
        Assert.Equal(routes.Order(), operations.Keys.Concat(NotForCallers.Keys).Order());

        foreach (var (route, (caller, path, body)) in operations)
        {
            var method = new HttpMethod(route.Split(' ')[0]);
            foreach (var (tenant, status, slug) in new[] { (K, 403, "another-tenant"), (Unknown, 404, "unknown-tenant") })
            {
                using var request = new HttpRequestMessage(method, $"api/tenants/{tenant}/{path}") { Content = body() };
                var response = await network.NodeClient(caller).SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                Assert.True((int)response.StatusCode == status && text.Contains($"\"{Problems.Type(slug)}\"", StringComparison.Ordinal),
                    $"{route} at {tenant} as {caller}: expected {status} {slug}, got {(int)response.StatusCode} {text}");
            }
        }

        // The public keys are anyone's to read, of a tenant that is hosted here.
        await LinkageNetwork.Ensure(await network.NodeClient().GetAsync($"api/tenants/{K}/keys"));
        await ProblemAssert.IsProblemAsync(await network.NodeClient().GetAsync($"api/tenants/{Unknown}/keys"), 404, "unknown-tenant");
        // The core's routes take no caller's token, of this tenant or another.
        foreach (var route in new[] { "codes/delivered", "provisions" })
            foreach (var caller in new[] { "kashiwa-addressee", "bunkyo-addressee", "node-admin" })
            {
                var response = await network.NodeClient(caller).PostAsJsonAsync($"api/tenants/{K}/{route}", new { });
                Assert.True((int)response.StatusCode is 401 or 403, $"{route} as {caller}: {(int)response.StatusCode}");
            }

        // Nothing of Kashiwa's was changed or removed; Bunkyo's callers were refused before anything was written.
        var copy = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").GetAsync($"api/tenants/{K}/copies/K-1/local-tax"));
        Assert.Equal(3_200_000, copy.GetProperty("content").GetProperty("totalIncome").GetInt32());
        await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-child-clerk").GetAsync($"api/tenants/{K}/inquiry-batches/{batchId}"));
        await using var c = await network.TenantDatabases[K].OpenAsync();
        Assert.Equal(["K-1"], await c.QueryAsync("SELECT addressee_number FROM addressees", r => r.GetString(0)));
        Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM acquisitions"));
    }
}
