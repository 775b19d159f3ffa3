using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>The times and dates an honest provider's node gives, as the core takes them and all three parties record them.</summary>
public class ProvisionTimeTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    /// <summary>
    /// Audit I, I7: copy-updated- gave the UTC date, so a copy updated between 00:00 and 09:00 in Japan was reported as
    /// updated the day before; the core compares with the date in Japan of the notBefore asked, so such an answer still passes.
    /// </summary>
    [Theory, StorageData]
    public async Task Copy_updated_gives_the_date_in_Japan_and_the_core_takes_it(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        await using (var c = await network.TenantDatabases[K].OpenAsync())
            await c.ExecuteAsync("UPDATE copies SET updated_at = '2026-03-31T23:30:00.0000000Z' WHERE addressee_number = 'K-0001'"); // 2026-04-01 08:30 in Japan

        var japan = TimeSpan.FromHours(9);
        foreach (var notBefore in new[] { new DateTimeOffset(2026, 4, 1, 12, 0, 0, japan), new DateTimeOffset(2026, 4, 1, 8, 45, 0, japan) })
        {
            var answer = await family.AnswerAsync("bunkyo-child-clerk", notBefore: notBefore);
            Assert.Equal(("copy-older-than-asked", "copy-updated-2026-04-01"), (answer.GetProperty("outcome").GetString(), answer.GetProperty("reason").GetString()));
        }
    }

    /// <summary>Audit J, J5: the provider's node gives its time of provision in whole seconds, and the three records agree on it.</summary>
    [Theory, StorageData]
    public async Task An_honest_providers_time_of_provision_is_whole_seconds_in_all_three_records(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        var answer = await family.AnswerAsync("bunkyo-child-clerk");
        Assert.Equal("provided", answer.GetProperty("outcome").GetString());
        var messageId = answer.GetProperty("messageId").GetString();

        var times = new List<string>();
        foreach (var database in new[] { network.CoreDatabase, network.TenantDatabases[K], network.TenantDatabases[B] })
        {
            await using var c = await database.OpenAsync();
            times.Add(Assert.Single(await c.QueryAsync("SELECT provided_at FROM provision_records WHERE message_id = @m", r => r.GetString(0), null, ("m", messageId))));
        }
        Assert.Single(times.Distinct());
        Assert.EndsWith(".0000000Z", times[0]);
    }

    /// <summary>A tenant's records went by the system clock while the rest of the node went by the clock it was given.</summary>
    [Theory, StorageData]
    public async Task A_tenants_records_go_by_the_nodes_clock(StorageProvider provider)
    {
        var clock = new ShiftedClock { Ahead = TimeSpan.FromDays(2) };
        await using var network = await LinkageNetwork.StartAsync(provider, configureNode: b => b.Services.AddSingleton<TimeProvider>(clock));
        var head = await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-auditor").GetAsync($"api/tenants/{B}/records/head"));
        var signedAt = head.GetProperty("signedAt").GetDateTimeOffset();
        Assert.InRange(signedAt - DateTimeOffset.UtcNow, TimeSpan.FromDays(2) - TimeSpan.FromMinutes(5), TimeSpan.FromDays(2));
    }
}
