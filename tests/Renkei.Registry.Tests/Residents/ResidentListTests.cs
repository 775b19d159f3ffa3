using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Residents;

/// <summary>A municipality's list of residents tells a code no municipality has from a municipality with no residents.</summary>
public class ResidentListTests
{
    /// <summary>千代田区: a valid code, not among the demo municipalities.</summary>
    private const string Chiyoda = "131016";

    [Theory, StorageData]
    public async Task Listing_a_municipality_not_on_the_register_is_unknown_municipality_and_an_empty_one_is_an_empty_list(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var admin = registry.Client("admin-token");
        // 130001 is Tokyo's own code (a prefecture's, xx000): valid as a code, and no municipality.
        foreach (var code in new[] { Chiyoda, "130001" })
        {
            var problem = await ProblemAssert.IsProblemAsync(await admin.GetAsync($"api/municipalities/{code}/residents"), 404, "unknown-municipality");
            Assert.Contains(code, problem.GetProperty("detail").GetString());
        }
        // A clerk of another municipality is refused before anything is looked up.
        await ProblemAssert.IsProblemAsync(await registry.Client("chiba-clerk").GetAsync($"api/municipalities/{Chiyoda}/residents"), 403, "forbidden");

        // Registered, it has no residents yet: that is an empty list.
        var registered = await admin.PutAsJsonAsync($"api/municipalities/{Chiyoda}", new { prefecture = "東京都", name = "千代田区", nameKana = "チヨダク" },
            ServiceDefaults.Json);
        Assert.Equal(201, (int)registered.StatusCode);
        var list = await admin.GetAsync($"api/municipalities/{Chiyoda}/residents");
        Assert.Equal(200, (int)list.StatusCode);
        Assert.Equal(0, JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.GetArrayLength());
    }
}
