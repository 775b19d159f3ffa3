using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Testing;
using static Renkei.Registry.Tests.Corporations.CorporateNumberSearchTests;

namespace Renkei.Registry.Tests.Corporations;

/// <summary>An administrator's system that retries after a timeout, with the same Idempotency-Key, gets the first answer and no second corporation.</summary>
public sealed class CorporationIdempotencyTests
{
    private static Task<HttpResponseMessage> PostAsync(RegistryHost registry, string path, object body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: ServiceDefaults.Json) };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return registry.Client("corporations").SendAsync(request);
    }

    private static async Task<long> CountAsync(RegistryHost registry)
    {
        await using var c = await registry.Database.OpenAsync();
        return await c.ScalarAsync<long>("SELECT COUNT(DISTINCT corporate_number) FROM corporation_records");
    }

    private static async Task<JsonElement> BodyAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement;
    }

    [Theory, StorageData]
    public async Task A_registration_sent_again_under_its_key_registers_one_corporation_and_answers_as_the_first_time(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var company = Company("冪等試験株式会社", "ベキトウシケン");
        var before = await CountAsync(registry);

        // Sent four times at once (a client retrying before the first answer came): one corporation, one number.
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostAsync(registry, "/api/corporations", company, "corp-0001")));
        var bodies = await Task.WhenAll(answers.Select(BodyAsync));
        Assert.Single(bodies.Select(b => b.GetProperty("latest").GetProperty("corporateNumber").GetString()).Distinct());
        Assert.Single(answers.Select(a => a.Headers.Location?.ToString()).Distinct());
        Assert.Equal(before + 1, await CountAsync(registry));
        using (var again = await PostAsync(registry, "/api/corporations", company, "corp-0001"))
            Assert.Equal(bodies[0].ToString(), (await BodyAsync(again)).ToString());

        // The same key for another request is refused and writes nothing; a new key is a new request; no key, as before.
        var other = Company("冪等試験二株式会社", "ベキトウシケンニ");
        await ProblemAssert.IsProblemAsync(await PostAsync(registry, "/api/corporations", other, "corp-0001"), 422, "idempotency-key-reused");
        await ProblemAssert.IsProblemAsync(await PostAsync(registry, "/api/corporations/batch", new { corporations = new[] { company } }, "corp-0001"), 422, "idempotency-key-reused");
        Assert.Equal(before + 1, await CountAsync(registry));
        await BodyAsync(await PostAsync(registry, "/api/corporations", other, "corp-0002"));
        await BodyAsync(await PostAsync(registry, "/api/corporations", other, null));
        Assert.Equal(before + 3, await CountAsync(registry));

        // A municipality's key of the same text is another key: the scopes do not meet.
        var birth = new { kind = "birth", person = RegistryHost.Person(dateOfBirth: "2026-01-15"), address = "千葉県千葉市中央区中央1丁目1番1号" };
        var clerk = new HttpRequestMessage(HttpMethod.Post, $"/api/municipalities/{RegistryHost.Chiba}/events") { Content = JsonContent.Create(birth, options: ServiceDefaults.Json) };
        clerk.Headers.Add("Idempotency-Key", "corp-0001");
        Assert.Equal(HttpStatusCode.Created, (await registry.Client("chiba-clerk").SendAsync(clerk)).StatusCode);

        await ProblemAssert.IsProblemAsync(await PostAsync(registry, "/api/corporations", company, "with space"), 400, "invalid-idempotency-key");
        await ProblemAssert.IsProblemAsync(await PostAsync(registry, "/api/corporations", company, new string('k', 101)), 400, "invalid-idempotency-key");
        Assert.Equal(before + 3, await CountAsync(registry));
    }

    [Theory, StorageData]
    public async Task A_batch_and_a_change_sent_again_under_their_keys_are_written_once(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var batch = new { corporations = new[] { Company("冪等一括一株式会社", "ベキトウイッカツイチ"), Company("冪等一括二株式会社", "ベキトウイッカツニ") } };
        var before = await CountAsync(registry);
        var first = await BodyAsync(await PostAsync(registry, "/api/corporations/batch", batch, "batch-1"));
        var again = await BodyAsync(await PostAsync(registry, "/api/corporations/batch", batch, "batch-1"));
        Assert.Equal(first.ToString(), again.ToString());
        Assert.Equal(before + 2, await CountAsync(registry));

        // A domestic address change retried: one record, not a second one published the next day as another move.
        var number = first.GetProperty("corporations")[0].GetProperty("corporateNumber").GetString()!;
        var move = new { process = "12", address = new { localGovernmentCode = "12217", streetNumber = "柏の葉５丁目１番" } };
        var moved = await BodyAsync(await PostAsync(registry, $"/api/corporations/{number}/changes", move, "move-1"));
        var movedAgain = await BodyAsync(await PostAsync(registry, $"/api/corporations/{number}/changes", move, "move-1"));
        Assert.Equal(moved.ToString(), movedAgain.ToString());
        var history = await Publication.GetAsync(registry.Client(), $"/4/num?id=sandbox&type=22&number={number}&history=1");
        Assert.Equal(["01", "12"], history.Records.Select(r => r["process"]));
        // The key of a change to one corporation is not a key for another.
        var second = first.GetProperty("corporations")[1].GetProperty("corporateNumber").GetString()!;
        await ProblemAssert.IsProblemAsync(await PostAsync(registry, $"/api/corporations/{second}/changes", move, "move-1"), 422, "idempotency-key-reused");
    }
}
