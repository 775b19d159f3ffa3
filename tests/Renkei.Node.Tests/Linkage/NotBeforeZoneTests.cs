using System.Text.Json;
using System.Text.Json.Nodes;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// The core read a relayed notBefore without an offset in its own host's zone, so cores in different zones would relay the
/// same inquiry differently. Our nodes always send one; a misbehaving node's inquiry without one is refused alone.
/// </summary>
public class NotBeforeZoneTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    [Theory, StorageData]
    public async Task The_core_refuses_only_the_inquiry_whose_notBefore_has_no_offset(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        await MovedFamily.ArrangeAsync(network);
        var sent = new[] { "2020-01-01T00:00:00", "2020-01-01", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00+09:00", "2020-01-01T00:00:00.5-01:00" };
        var inquiries = new List<InquiryBody>();
        foreach (var _ in sent) inquiries.Add(await network.InquiryAsync());
        var body = JsonSerializer.SerializeToNode(inquiries, ServiceDefaults.Json)!.AsArray();
        for (var i = 0; i < sent.Length; i++) body[i]!["notBefore"] = sent[i];
        // Escaped, as a JSON writer may: "+" as \u002B is still an offset.
        var text = body.ToJsonString().Replace("+09:00", "\\u002B09:00", StringComparison.Ordinal);
        Assert.Contains("\\u002B09:00", text, StringComparison.Ordinal);

        var response = await network.SendInquiriesAsync(text);
        var reply = await LinkageNetwork.ReplyAsync(response);
        Assert.Equal([(Outcome.Error, RelayKinds.InvalidNotBeforeReason), (Outcome.Error, RelayKinds.InvalidNotBeforeReason),
                (Outcome.Provided, null), (Outcome.Provided, null), (Outcome.Provided, null)],
            reply.BodyAs<ProvisionAnswer>(RelayKinds.InquiryResults)!.Select(a => (a.Outcome, a.Reason)));

        // Only those with an offset reached the provider.
        var ids = body.Select(n => n!["messageId"]!.GetValue<string>()).ToArray();
        await using var k = await network.TenantDatabases[K].OpenAsync();
        Assert.Equal(ids[2..].Order(), (await k.QueryAsync("SELECT message_id FROM provision_records", r => r.GetString(0))).Order());
    }

    [Theory, StorageData]
    public async Task A_notBefore_that_is_no_date_still_fails_the_whole_message(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        await MovedFamily.ArrangeAsync(network);
        var body = JsonSerializer.SerializeToNode(new[] { await network.InquiryAsync() }, ServiceDefaults.Json)!.AsArray();
        body[0]!["notBefore"] = "2020-01-01T00:00:00+9";

        var response = await network.SendInquiriesAsync(body.ToJsonString());
        await ProblemAssert.IsProblemAsync(response, 400, "malformed-inquiry");
        Assert.Equal(0L, await LinkageNetwork.CountAsync(network.CoreDatabase));
    }
}
