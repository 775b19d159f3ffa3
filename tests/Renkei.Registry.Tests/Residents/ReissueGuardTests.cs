using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Residents;

/// <summary>
/// A re-issue spends a number and cannot be undone: the same request sent twice without an Idempotency-Key (a form sent again after a
/// timeout) must not give the person a second new number, superseding the one their notice is about to name.
/// </summary>
public class ReissueGuardTests
{
    private static Task<RegistryHost> StartAsync(StorageProvider provider, ManualTime clock) =>
        RegistryHost.StartAsync(provider, b => b.Services.AddSingleton<TimeProvider>(clock));

    private static Task<HttpResponseMessage> ReissueAsync(RegistryHost registry, string residentId, bool? newLeak = null, string? key = null)
    {
        object body = newLeak is { } leak ? new { reason = "番号が漏えいした", requestedBy = "person", newLeak = leak } : new { reason = "番号が漏えいした", requestedBy = "person" };
        var request = new HttpRequestMessage(HttpMethod.Post, $"api/municipalities/{RegistryHost.Chiba}/residents/{residentId}/number-reissue")
        {
            Content = JsonContent.Create(body, options: ServiceDefaults.Json),
        };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return registry.Client("chiba-clerk").SendAsync(request);
    }

    private static async Task<string> NumberOfAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("individualNumber").GetString()!;
    }

    private static async Task<string?> CurrentNumberAsync(RegistryHost registry, string residentId)
    {
        await using var c = await registry.Database.OpenAsync();
        return (await Renkei.Registry.Numbering.NumberingAuthority.CurrentNumberAsync(c, residentId))?.Digits;
    }

    [Theory, StorageData]
    public async Task A_second_reissue_without_a_key_within_ten_minutes_is_refused_naming_the_last_ones_time_and_keeps_the_number(StorageProvider provider)
    {
        var clock = new ManualTime(new DateTimeOffset(2026, 12, 7, 10, 52, 3, TimeSpan.Zero));
        await using var registry = await StartAsync(provider, clock);
        var born = await registry.RegisterBirthAsync();
        var first = await NumberOfAsync(await ReissueAsync(registry, born.ResidentId));
        var reissuedAt = clock.Now;

        clock.Now = reissuedAt.AddMinutes(10).AddTicks(-1);
        // Sent again, and three times at once: each is the first sent twice.
        var again = await Task.WhenAll(new[] { ReissueAsync(registry, born.ResidentId) }
            .Concat(Enumerable.Range(0, 3).Select(_ => ReissueAsync(registry, born.ResidentId, newLeak: false))));
        foreach (var response in again)
        {
            var problem = await ProblemAssert.IsProblemAsync(response, 409, "reissued-recently");
            Assert.Equal(reissuedAt.UtcDateTime, DateTime.Parse(problem.GetProperty("lastReissuedAt").GetString()!, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal));
            Assert.Contains("2026-12-07 19:52:03（日本時間）", problem.GetProperty("detail").GetString());
            Assert.Contains("newLeak", problem.GetProperty("detail").GetString());
        }
        Assert.Equal(first, await CurrentNumberAsync(registry, born.ResidentId));
        await using (var c = await registry.Database.OpenAsync())
        {
            Assert.Equal(2L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM individual_numbers"));
            Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events WHERE kind = 'NumberReissued'"));
        }

        // Ten minutes on, a re-issue is one again.
        clock.Now = reissuedAt.AddMinutes(10);
        var later = await NumberOfAsync(await ReissueAsync(registry, born.ResidentId));
        Assert.NotEqual(first, later);
        Assert.Equal(later, await CurrentNumberAsync(registry, born.ResidentId));
    }

    [Theory, StorageData]
    public async Task A_new_leak_is_reissued_at_once_when_the_request_says_so(StorageProvider provider)
    {
        var clock = new ManualTime(DateTimeOffset.UtcNow);
        await using var registry = await StartAsync(provider, clock);
        var born = await registry.RegisterBirthAsync();
        var first = await NumberOfAsync(await ReissueAsync(registry, born.ResidentId));
        clock.Now = clock.Now.AddSeconds(30);
        var second = await NumberOfAsync(await ReissueAsync(registry, born.ResidentId, newLeak: true));
        Assert.NotEqual(first, second);
        Assert.Equal(second, await CurrentNumberAsync(registry, born.ResidentId));
        // A newLeak that is no yes or no is refused, as any field of the wrong type.
        var odd = await registry.Client("chiba-clerk").PostAsync($"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}/number-reissue",
            new StringContent("""{"reason":"漏えい","requestedBy":"person","newLeak":"yes"}""", System.Text.Encoding.UTF8, "application/json"));
        await ProblemAssert.IsProblemAsync(odd, 400, "malformed-request");
        Assert.Equal(second, await CurrentNumberAsync(registry, born.ResidentId));
    }

    [Theory, StorageData]
    public async Task With_an_idempotency_key_the_same_key_answers_as_the_first_time_and_another_key_is_its_own_request(StorageProvider provider)
    {
        var clock = new ManualTime(DateTimeOffset.UtcNow);
        await using var registry = await StartAsync(provider, clock);
        var born = await registry.RegisterBirthAsync();
        var first = await NumberOfAsync(await ReissueAsync(registry, born.ResidentId, key: "reissue-1"));
        clock.Now = clock.Now.AddMinutes(1);
        Assert.Equal(first, await NumberOfAsync(await ReissueAsync(registry, born.ResidentId, key: "reissue-1")));
        // A system that sends keys tells its retries from new requests itself.
        var second = await NumberOfAsync(await ReissueAsync(registry, born.ResidentId, key: "reissue-2"));
        Assert.NotEqual(first, second);
        await using var c = await registry.Database.OpenAsync();
        Assert.Equal(3L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM individual_numbers"));
    }
}
