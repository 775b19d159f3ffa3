using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit F, finding 5: the core took a provider's reason and time of provision as they came, and it and the requester
/// recorded them for seven years, so a provider's node could put an Individual Number into two other parties' records.
/// </summary>
public class ProviderAnswerTests
{
    private const string B = LinkageNetwork.Bunkyo, Chiba = StubProviderNode.Agency, Number = "123456789018";

    [Theory, StorageData]
    public async Task A_providers_answer_of_no_form_an_honest_node_gives_is_recorded_as_invalid_and_nothing_of_it_is_kept(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        Func<ProvisionRequest, ProvisionAnswer> answerWith = r => throw new InvalidOperationException();
        await using var node = await StubProviderNode.StartAsync(network, r => answerWith(r));
        var notBefore = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        // An honest node's time of provision is in whole seconds (audit J, J5).
        static DateTimeOffset Now() => RelayKinds.WholeSecondFrom(DateTimeOffset.UtcNow);
        static SealedPayload Sealed(ProvisionRequest r) => SealedPayload.Sealer.For(r.RequesterEncryptionKey, TimeProvider.System).Seal("{}", r.MessageId);

        async Task<(string Outcome, string? Reason, string? ProvidedAt)> AskAsync(Func<ProvisionRequest, ProvisionAnswer> answer)
        {
            answerWith = answer;
            var given = await family.AnswerAsync("bunkyo-child-clerk", provider: Chiba, notBefore: notBefore);
            var messageId = given.GetProperty("messageId").GetString();
            // The core's record and the requester's agree with the caller's answer.
            foreach (var database in new[] { network.CoreDatabase, network.TenantDatabases[B] })
            {
                await using var c = await database.OpenAsync();
                Assert.Equal([$"{given.GetProperty("outcome").GetString()}|{given.GetProperty("reason").GetString()}"],
                    await c.QueryAsync("SELECT outcome, reason FROM provision_records WHERE message_id = @m",
                        r => $"{JsonNamingPolicy.KebabCaseLower.ConvertName(r.GetString(0))}|{(r.IsDBNull(1) ? "" : r.GetString(1))}", null, ("m", messageId)));
            }
            return (given.GetProperty("outcome").GetString()!, given.GetProperty("reason").GetString(),
                given.TryGetProperty("providedAt", out var at) && at.ValueKind == JsonValueKind.String ? at.GetString() : null);
        }

        // What an honest node gives goes through as it came: the check lets the answers it must through.
        var (outcome, reason, providedAt) = await AskAsync(r => new(r.MessageId, Outcome.NoData, "no-copy", null, Now(), false));
        Assert.Equal(("no-data", "no-copy"), (outcome, reason));
        Assert.NotNull(providedAt);
        (outcome, reason, _) = await AskAsync(r => new(r.MessageId, Outcome.CopyOlderThanAsked, "copy-updated-2026-05-31", null, Now(), false));
        Assert.Equal(("copy-older-than-asked", "copy-updated-2026-05-31"), (outcome, reason));

        // Anything else is the core's error, whatever the provider signed.
        var forged = new Func<ProvisionRequest, ProvisionAnswer>[]
        {
            r => new(r.MessageId, Outcome.NoData, Number, null, Now(), false),
            r => new(r.MessageId, Outcome.NoData, $"no-copy {Number}", null, Now(), false),
            r => new(r.MessageId, Outcome.Provided, Number, Sealed(r), Now(), false),
            r => new(r.MessageId, Outcome.Error, Number, null, Now(), false),
            r => new(r.MessageId, Outcome.CopyOlderThanAsked, $"copy-updated-{Number}", null, Now(), false),
            // A date of the right form but after the notBefore asked: no copy older than asked has it.
            r => new(r.MessageId, Outcome.CopyOlderThanAsked, "copy-updated-2026-06-02", null, Now(), false),
            // An outcome the reason does not fit.
            r => new(r.MessageId, Outcome.NotPermitted, "no-copy", null, Now(), false),
            // The reason honest, the time the provider's free choice: its ticks spell the number.
            r => new(r.MessageId, Outcome.NoData, "no-copy", null, new DateTimeOffset(long.Parse(Number, System.Globalization.CultureInfo.InvariantCulture) * 1000, TimeSpan.Zero), false),
            r => new(r.MessageId, Outcome.NoData, "no-copy", null, Now().AddHours(1), false),
            // Inside the window, the fraction of a second is seven digits of the provider's choosing: 1234567 and 89018 (audit J, J5).
            r => new(r.MessageId, Outcome.NoData, "no-copy", null, RelayKinds.WholeSecondFrom(r.RequestedAt).AddTicks(1_234_567), false),
            r => new(r.MessageId, Outcome.NoData, "no-copy", null, RelayKinds.WholeSecondFrom(r.RequestedAt).AddTicks(8_901_800), false),
            r => new(r.MessageId, Outcome.NoData, "no-copy", null, null, false),
        };
        foreach (var answer in forged)
            Assert.Equal(("error", "provider-answer-invalid", null), await AskAsync(answer));

        foreach (var database in new[] { network.CoreDatabase, network.TenantDatabases[B] })
        {
            var dump = await LinkageNetwork.DumpAsync(database);
            Assert.DoesNotContain(".1234567", dump);
            Assert.DoesNotContain(".8901800", dump);
        }
        Assert.DoesNotContain(Number, await LinkageNetwork.DumpAsync(network.CoreDatabase));
        Assert.DoesNotContain(Number, await LinkageNetwork.DumpAsync(network.TenantDatabases[B]));
        Assert.DoesNotContain(network.Logs.Lines, l => l.Contains(Number, StringComparison.Ordinal));
        Assert.Equal(forged.Length, network.Logs.Lines.Count(l => l.Contains("in a form no honest node gives", StringComparison.Ordinal)));
    }
}
