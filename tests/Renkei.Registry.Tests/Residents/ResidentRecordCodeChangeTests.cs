using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Residents;

/// <summary>住民票コードの変更 is the municipality's own act for its own resident: another's clerk neither changes the code nor learns of the person.</summary>
public class ResidentRecordCodeChangeTests
{
    [Theory, StorageData]
    public async Task Another_municipalitys_clerk_cannot_change_the_code_nor_tell_the_resident_from_no_one(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var lives = await registry.RegisterBirthAsync();
        var died = await registry.RegisterBirthAsync(person: RegistryHost.Person("佐藤", "花子", "サトウ", "ハナコ", "2026-01-15", "female"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("death", ResidentId: died.ResidentId));
        // Moved out to 柏市 but not yet moved in: still 千葉市's resident, whatever 柏市 expects.
        var moving = await registry.RegisterBirthAsync(person: RegistryHost.Person("高橋", "次郎", "タカハシ", "ジロウ", "2026-01-15"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: moving.ResidentId, Destination: RegistryHost.Kashiwa));
        var before = await StateAsync(registry);

        foreach (var token in new[] { "kashiwa-clerk", "kashiwa-registrar" })
        {
            var nobody = await ProblemAssert.IsProblemAsync(await ChangeAsync(registry, token, RegistryHost.Kashiwa, "r_nobody"), 404, "unknown-resident");
            foreach (var resident in new[] { lives, died, moving })
            {
                // The answer for no one: a 409 event-not-allowed would say the person died; a 200, that their code changed.
                var problem = await ProblemAssert.IsProblemAsync(await ChangeAsync(registry, token, RegistryHost.Kashiwa, resident.ResidentId), 404, "unknown-resident");
                Assert.Equal(ProblemAssert.WithoutTraceId(nobody), ProblemAssert.WithoutTraceId(problem));
                await ProblemAssert.IsProblemAsync(await ChangeAsync(registry, token, RegistryHost.Kashiwa, resident.ResidentId, key: $"{token}-{resident.ResidentId}"),
                    404, "unknown-resident");
                // In 千葉市's name, without its permission.
                await ProblemAssert.IsProblemAsync(await ChangeAsync(registry, token, RegistryHost.Chiba, resident.ResidentId), 403, "forbidden");
            }
        }
        Assert.Equal(before, await StateAsync(registry));

        // 千葉市's own clerk changes it, on the same route: the refusals above were for the caller, not the request.
        var changed = (await (await ChangeAsync(registry, "chiba-clerk", RegistryHost.Chiba, lives.ResidentId)).Content.ReadFromJsonAsync<EventReceipt>(ServiceDefaults.Json))!;
        Assert.NotEqual(lives.ResidentRecordCode, changed.ResidentRecordCode);
        Assert.Equal(lives.IndividualNumber, changed.IndividualNumber);
    }

    private static Task<HttpResponseMessage> ChangeAsync(RegistryHost registry, string token, string municipality, string residentId, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"api/municipalities/{municipality}/residents/{residentId}/resident-record-code-change");
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return registry.Client(token).SendAsync(request);
    }

    /// <summary>Every code ever given, which is current, and the events: a code change adds to all three.</summary>
    private static async Task<(string Codes, long Events)> StateAsync(RegistryHost registry)
    {
        await using var c = await registry.Database.OpenAsync();
        var codes = new List<string>();
        await using (var command = c.CreateCommand())
        {
            command.CommandText = "SELECT code, resident_id, replaced_at FROM resident_record_codes ORDER BY code";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) codes.Add($"{reader.GetValue(0)} {reader.GetValue(1)} {reader.GetValue(2)}");
        }
        return (string.Join("\n", codes), await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events"));
    }
}
