using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Residents;

/// <summary>A municipality's system that retries after a timeout, with the same Idempotency-Key, gets the first answer and no second event.</summary>
public class IdempotencyTests
{
    private static Task<HttpResponseMessage> PostAsync(RegistryHost registry, string path, object body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: ServiceDefaults.Json) };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return registry.Client("chiba-clerk").SendAsync(request);
    }

    private static async Task<long> CountAsync(RegistryHost registry, string table)
    {
        await using var c = await registry.Database.OpenAsync();
        return await c.ScalarAsync<long>($"SELECT COUNT(*) FROM {table}");
    }

    [Theory, StorageData]
    public async Task A_birth_sent_again_under_its_key_registers_one_person_and_answers_as_the_first_time(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var events = $"api/municipalities/{RegistryHost.Chiba}/events";
        var birth = new ResidentEventRequest("birth", Person: RegistryHost.Person(dateOfBirth: "2026-01-15"), Address: "千葉県千葉市中央区中央1丁目1番1号");
        var residents = await CountAsync(registry, "residents");

        var first = await PostAsync(registry, events, birth, "birth-0001");
        Assert.Equal(201, (int)first.StatusCode);
        var again = await PostAsync(registry, events, birth, "birth-0001");
        Assert.Equal(201, (int)again.StatusCode);
        var (a, b) = (JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement, JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement);
        foreach (var field in new[] { "position", "eventId", "residentId", "residentRecordCode", "individualNumber" })
            Assert.Equal(a.GetProperty(field).ToString(), b.GetProperty(field).ToString());
        Assert.Equal(residents + 1, await CountAsync(registry, "residents"));

        // The same key for another request is refused and writes nothing; a new key is a new request.
        var other = birth with { Person = RegistryHost.Person(given: "次郎", dateOfBirth: "2026-01-16") };
        await ProblemAssert.IsProblemAsync(await PostAsync(registry, events, other, "birth-0001"), 422, "idempotency-key-reused");
        Assert.Equal(residents + 1, await CountAsync(registry, "residents"));
        Assert.Equal(201, (int)(await PostAsync(registry, events, other, "birth-0002")).StatusCode);
        // Without a key every request is its own, as before.
        Assert.Equal(201, (int)(await PostAsync(registry, events, other, null)).StatusCode);
        Assert.Equal(residents + 3, await CountAsync(registry, "residents"));

        await ProblemAssert.IsProblemAsync(await PostAsync(registry, events, birth, "with space"), 400, "invalid-idempotency-key");
        await ProblemAssert.IsProblemAsync(await PostAsync(registry, events, birth, new string('k', 101)), 400, "invalid-idempotency-key");
    }

    [Theory, StorageData]
    public async Task A_re_issue_sent_again_under_its_key_and_at_once_re_issues_the_number_once(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var born = await registry.RegisterBirthAsync();
        var path = $"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}/number-reissue";
        var reissue = new ReissueRequest("番号が漏えいした", "person");
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostAsync(registry, path, reissue, "reissue-1")));
        Assert.All(answers, a => Assert.Equal(200, (int)a.StatusCode));
        var numbers = await Task.WhenAll(answers.Select(async a => (await a.Content.ReadFromJsonAsync<EventReceipt>(ServiceDefaults.Json))!.IndividualNumber));
        Assert.Single(numbers.Distinct());
        Assert.NotEqual(born.IndividualNumber, numbers[0]);
        Assert.Equal(2L, await CountAsync(registry, "individual_numbers"));
    }
}
