using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Renkei.Hosting.Storage;
using Renkei.Registry.Identity;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Privacy;

/// <summary>Invariant 2: the Individual Number never appears in logs or error messages, even at trace level.</summary>
public class NumbersStayOutOfLogsTests
{
    [Theory, StorageData]
    public async Task No_number_or_resident_record_code_reaches_the_logs(StorageProvider provider)
    {
        var logs = new CapturedLogs();
        await using var registry = await RegistryHost.StartAsync(provider, b =>
        {
            b.Logging.ClearProviders();
            b.Logging.AddProvider(logs);
            b.Logging.SetMinimumLevel(LogLevel.Trace);
        });
        var born = await registry.RegisterBirthAsync();
        var identity = registry.Client("identity-token");
        await identity.PostAsJsonAsync("api/identity/by-number", new NumberQuery(born.IndividualNumber));
        var reissued = await (await registry.Client("chiba-clerk").PostAsJsonAsync(
            $"api/municipalities/{RegistryHost.Chiba}/residents/{born.ResidentId}/number-reissue", new ReissueRequest("漏えい", "person")))
            .Content.ReadFromJsonAsync<EventReceipt>(Renkei.Hosting.ServiceDefaults.Json);
        var superseded = await identity.PostAsJsonAsync("api/identity/by-number", new NumberQuery(born.IndividualNumber));
        var wrong = born.IndividualNumber![..11] + (char)('0' + (born.IndividualNumber[11] - '0' + 1) % 10);
        var invalid = await identity.PostAsJsonAsync("api/identity/by-number", new NumberQuery(wrong));
        await registry.Client("chiba-clerk").PostAsync($"api/municipalities/{RegistryHost.Chiba}/events",
            new StringContent($"{{\"kind\":\"move-in\",\"individualNumber\":\"{born.IndividualNumber}\",", System.Text.Encoding.UTF8, "application/json"));

        Assert.NotEmpty(logs.Lines);
        var secrets = new[] { born.IndividualNumber, reissued!.IndividualNumber!, wrong, born.ResidentRecordCode! };
        foreach (var line in logs.Lines)
            foreach (var secret in secrets)
                Assert.DoesNotContain(secret, line);
        foreach (var body in new[] { await superseded.Content.ReadAsStringAsync(), await invalid.Content.ReadAsStringAsync() })
            foreach (var secret in secrets)
                Assert.DoesNotContain(secret, body);
    }
}
