using System.Net.Http.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Protocol.Records;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit S, S1: a clerk's notBefore at the end of DateTimeOffset's range could not be dated in Japan. The core failed the whole
/// relay message with a 500 after the provider had answered, and recorded none of it, colleagues' inquiries in it included.
/// </summary>
public class NotBeforeRangeTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    [Theory, StorageData]
    public async Task An_inquiry_or_batch_whose_notBefore_is_out_of_range_is_refused_and_nothing_is_recorded(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        var people = new BatchPeople { Network = network, IndividualNumbers = [] };
        var japan = JapanTime.Offset;

        foreach (var notBefore in new[]
        {
            DateTimeOffset.MaxValue, // past 9999-12-31 in Japan: no party can date it
            DateTimeOffset.UtcNow.AddDays(2), // no copy is updated in the future: 2204 for 2024
            DateTimeOffset.MinValue,
            new DateTimeOffset(2015, 10, 4, 23, 59, 59, japan), // before the first Individual Numbers: 1025 for 2025
        })
        {
            var refused = await ProblemAssert.IsProblemAsync(await family.AskAsync("bunkyo-child-clerk", notBefore: notBefore), 400, "invalid-request");
            Assert.True(refused.GetProperty("errors").TryGetProperty("notBefore", out _), notBefore.ToString("O"));
            refused = await ProblemAssert.IsProblemAsync(await people.SubmitAsync("bunkyo-child-clerk", ["B-0001"], notBefore: notBefore), 400, "invalid-request");
            Assert.True(refused.GetProperty("errors").TryGetProperty("notBefore", out _), notBefore.ToString("O"));
        }
        // Its first day, 0:00 in Japan, is before DateTimeOffset's range in UTC: reading it threw while the body was bound, a 500.
        var clerk = network.NodeClient("bunkyo-child-clerk");
        foreach (var (path, body) in new (string, object)[]
        {
            ($"api/tenants/{B}/inquiries", new { addresseeNumber = "B-0001", affair = "child-allowance", provider = K, item = "local-tax", notBefore = "0001-01-01" }),
            ($"api/tenants/{B}/inquiry-batches", new { affair = "child-allowance", provider = K, item = "local-tax", addresseeNumbers = new[] { "B-0001" }, notBefore = "0001-01-01" }),
        })
        {
            var refused = await ProblemAssert.IsProblemAsync(await clerk.PostAsJsonAsync(path, body, ServiceDefaults.Json), 400, "invalid-request");
            Assert.True(refused.GetProperty("errors").TryGetProperty("notBefore", out _), path);
        }
        Assert.Equal((0L, 0L, 0L, 0L), (await LinkageNetwork.CountAsync(network.TenantDatabases[B]), await LinkageNetwork.CountAsync(network.CoreDatabase),
            await LinkageNetwork.CountAsync(network.TenantDatabases[K]), await LinkageNetwork.CountAsync(network.TenantDatabases[B], "inquiry_batches")));

        // The range's ends are taken: the first day of the numbers, and a day ahead (a date-only notBefore of tomorrow).
        Assert.Equal("provided", (await family.AnswerAsync("bunkyo-child-clerk", notBefore: new DateTimeOffset(2015, 10, 5, 0, 0, 0, japan)))
            .GetProperty("outcome").GetString());
        Assert.Equal("copy-older-than-asked", (await family.AnswerAsync("bunkyo-child-clerk", notBefore: DateTimeOffset.UtcNow.AddDays(1).AddMinutes(-1)))
            .GetProperty("outcome").GetString());
        Assert.Equal(2L, await LinkageNetwork.CountAsync(network.CoreDatabase));
    }

    [Theory, StorageData]
    public async Task The_core_refuses_only_the_inquiry_whose_notBefore_it_cannot_take_and_relays_and_records_the_rest_of_the_message(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        await MovedFamily.ArrangeAsync(network);

        // Sent straight to the core, as a node from before this change or a misbehaving one would: the provider answered the
        // far-future one copy-older-than-asked, and checking that answer threw, after the other had been provided.
        var asked = new[] { await network.InquiryAsync(notBefore: DateTimeOffset.MaxValue), await network.InquiryAsync(),
            await network.InquiryAsync(notBefore: DateTimeOffset.UtcNow.AddYears(3)) };
        var response = await network.SendInquiriesAsync(asked);
        var reply = await LinkageNetwork.ReplyAsync(response);
        Assert.Equal([(Outcome.Error, RelayKinds.InvalidNotBeforeReason), (Outcome.Provided, null), (Outcome.Error, RelayKinds.InvalidNotBeforeReason)],
            reply.BodyAs<ProvisionAnswer>(RelayKinds.InquiryResults)!.Select(a => (a.Outcome, a.Reason)));

        // The core records every inquiry of the message; only the one it relayed reached the provider.
        await using (var c = await network.CoreDatabase.OpenAsync())
            Assert.Equal(asked.Select(a => a.MessageId).Order(), (await c.QueryAsync("SELECT message_id FROM provision_records", r => r.GetString(0))).Order());
        await using (var k = await network.TenantDatabases[K].OpenAsync())
            Assert.Equal([asked[1].MessageId], await k.QueryAsync("SELECT message_id FROM provision_records", r => r.GetString(0)));
    }
}
