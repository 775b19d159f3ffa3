using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit Z, Z2: a notBefore without an offset was read in the host's zone, so "2026-04-01" meant 09:00 in Japan on a node set to
/// UTC, and a copy updated that morning was answered copy-older-than-asked. These hold whatever the host's zone
/// (run them with TZ=America/New_York or TZ=UTC to see it).
/// </summary>
public class NotBeforeZoneTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    [Theory, StorageData]
    public async Task A_date_alone_is_midnight_in_Japan_whatever_the_hosts_zone(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        var clerk = network.NodeClient("bunkyo-child-clerk");
        async Task<JsonElement> AnswerAsync(string notBefore) => await LinkageNetwork.Ensure(await clerk.PostAsJsonAsync($"api/tenants/{B}/inquiries",
            new { addresseeNumber = "B-0001", affair = "child-allowance", provider = K, item = "local-tax", notBefore }, ServiceDefaults.Json));
        async Task SetUpdatedAsync(string utc)
        {
            await using var c = await network.TenantDatabases[K].OpenAsync();
            await c.ExecuteAsync("UPDATE copies SET updated_at = @u WHERE addressee_number = 'K-0001'", null, ("u", utc));
        }

        // 2026-04-01 08:00 in Japan: from the day asked, though before 0:00 of it in UTC, New York and every zone west of Japan.
        await SetUpdatedAsync("2026-03-31T23:00:00.0000000Z");
        Assert.Equal("provided", (await AnswerAsync("2026-04-01")).GetProperty("outcome").GetString());
        // 2026-03-31 23:59 in Japan: the day before, though after 0:00 of 2026-04-01 in every zone east of Japan.
        await SetUpdatedAsync("2026-03-31T14:59:00.0000000Z");
        var older = await AnswerAsync("2026-04-01");
        Assert.Equal(("copy-older-than-asked", "copy-updated-2026-03-31"), (older.GetProperty("outcome").GetString(), older.GetProperty("reason").GetString()));

        // A batch keeps the same time.
        var submitted = await LinkageNetwork.Ensure(await clerk.PostAsJsonAsync($"api/tenants/{B}/inquiry-batches",
            new { affair = "child-allowance", provider = K, item = "local-tax", notBefore = "2026-04-01", addresseeNumbers = new[] { "B-0001" } }, ServiceDefaults.Json));
        Assert.Equal(new DateTimeOffset(2026, 3, 31, 15, 0, 0, TimeSpan.Zero), submitted.GetProperty("notBefore").GetDateTimeOffset());

        // A time with its offset means what it says.
        Assert.Equal("provided", (await AnswerAsync("2026-03-31T23:59:00+09:00")).GetProperty("outcome").GetString());
        Assert.Equal("copy-older-than-asked", (await AnswerAsync("2026-03-31T15:00:00Z")).GetProperty("outcome").GetString());
    }

    [Theory, StorageData]
    public async Task A_time_without_an_offset_or_of_no_known_form_is_refused_naming_notBefore_and_nothing_is_recorded(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        await MovedFamily.ArrangeAsync(network);
        var clerk = network.NodeClient("bunkyo-child-clerk");
        foreach (var (notBefore, says) in new[]
        {
            ("2026-04-01T09:00:00", "日時には時差"), ("2026-04-01T09:00", "日時には時差"), ("2026-04-01T09:00:00.5", "日時には時差"),
            ("2026/04/01", "日付（"), ("04/01/2026", "日付（"), ("2026-04-01 09:00:00+09:00", "日付（"), ("", "日付（"), ("tomorrow", "日付（"),
        })
        {
            foreach (var (path, body) in new (string, object)[]
            {
                ("inquiries", new { addresseeNumber = "B-0001", affair = "child-allowance", provider = K, item = "local-tax", notBefore }),
                ("inquiry-batches", new { affair = "child-allowance", provider = K, item = "local-tax", notBefore, addresseeNumbers = new[] { "B-0001" } }),
            })
            {
                var refused = await ProblemAssert.IsProblemAsync(await clerk.PostAsJsonAsync($"api/tenants/{B}/{path}", body, ServiceDefaults.Json),
                    400, "invalid-request");
                var message = Assert.Single(refused.GetProperty("errors").GetProperty("notBefore").EnumerateArray()).GetString()!;
                Assert.StartsWith(says, message);
                Assert.Contains(" / ", message);
            }
        }
        Assert.Equal((0L, 0L, 0L, 0L), (await LinkageNetwork.CountAsync(network.TenantDatabases[B]), await LinkageNetwork.CountAsync(network.CoreDatabase),
            await LinkageNetwork.CountAsync(network.TenantDatabases[K]), await LinkageNetwork.CountAsync(network.TenantDatabases[B], "inquiry_batches")));
    }
}
