using System.Text.Json;
using Renkei.Hosting.Storage;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Residents;

public class ConcurrencyTests
{
    [Theory, StorageData]
    public async Task Concurrent_events_are_each_applied_whole_with_increasing_positions(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var births = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => registry.RegisterBirthAsync(
            person: RegistryHost.Person("並行", $"{i}", "ヘイコウ", "テスト", "2026-01-01"), address: $"千葉県千葉市中央区中央{i}丁目1番1号")));
        await Task.WhenAll(births.Select(b => registry.RecordAsync(RegistryHost.Chiba,
            new ResidentEventRequest("address-change", ResidentId: b.ResidentId, Address: $"千葉県千葉市美浜区打瀬{b.Position}丁目"))));

        Assert.Equal(24, births.Select(b => b.IndividualNumber).Distinct().Count());
        await using var c = await registry.Database.OpenAsync();
        Assert.Equal(48L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events"));
        Assert.Equal(24L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM residents"));
        // Every resident's stored record is its last event's result.
        Assert.Equal(0L, await c.ScalarAsync<long>(
            "SELECT COUNT(*) FROM residents r WHERE r.last_position <> (SELECT MAX(position) FROM resident_events e WHERE e.resident_id = r.resident_id)"));
        var page = await registry.Client("events-token").GetStringAsync("api/events?limit=1000");
        var positions = JsonDocument.Parse(page).RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("position").GetInt64()).ToList();
        Assert.Equal(48, positions.Count);
        Assert.Equal(positions.Order(), positions);
    }

    [Theory, StorageData]
    public async Task The_openapi_document_describes_every_feature(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var document = JsonDocument.Parse(await registry.Client().GetStringAsync("openapi/v1.json")).RootElement;
        Assert.Equal("Renkei.Registry", document.GetProperty("info").GetProperty("title").GetString());
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        foreach (var path in new[] { "/api/municipalities/{code}/events", "/api/identity/by-number", "/api/events", "/api/link-keys",
                     "/api/municipalities/{code}/residents/{residentId}/number-reissue" })
            Assert.Contains(path, paths);
    }
}
