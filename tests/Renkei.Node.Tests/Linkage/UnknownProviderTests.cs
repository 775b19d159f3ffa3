using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Node.Linkage;
using Renkei.Protocol;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>
/// Audit C, finding 1: 1 is the Corporate Number check digit of 123456789018, so <c>1123456789018</c> is an agency id of the
/// right form that names nobody. Where the node records an inquiry without the core's answer about it, it kept those 13
/// digits as the provider; now it records a provider as given only if the core's agency list names it.
/// </summary>
public class UnknownProviderTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;
    private const string Slipped = "1123456789018", Number = "23456789018";

    private static async Task<HttpResponseMessage> AskAsync(LinkageNetwork network, string clerk, string addressee, string provider) =>
        await network.NodeClient(clerk).PostAsJsonAsync($"api/tenants/{B}/inquiries",
            new { addresseeNumber = addressee, affair = "child-allowance", provider, item = "local-tax" }, ServiceDefaults.Json);

    private static async Task<HttpResponseMessage> SubmitAsync(LinkageNetwork network, string caller, string provider, params string[] addressees) =>
        await network.NodeClient(caller).PostAsJsonAsync($"api/tenants/{B}/inquiry-batches",
            new { affair = "child-allowance", provider, item = "local-tax", addresseeNumbers = addressees }, ServiceDefaults.Json);

    /// <summary>The requester's provider and reason of each of its records, in order.</summary>
    private static async Task<List<string>> RecordsAsync(LinkageNetwork network)
    {
        await using var c = await network.TenantDatabases[B].OpenAsync();
        return await c.QueryAsync("SELECT provider, reason FROM provision_records ORDER BY seq", r => $"{r.GetString(0)}|{r.GetString(1)}");
    }

    private static async Task AssertNowhereAsync(LinkageNetwork network, bool core = true)
    {
        Assert.DoesNotContain(Number, await LinkageNetwork.DumpAsync(network.TenantDatabases[B]));
        if (core) Assert.DoesNotContain(Number, await LinkageNetwork.DumpAsync(network.CoreDatabase));
    }

    [Theory, StorageData]
    public async Task Inquiries_the_node_refuses_before_the_core_record_an_unregistered_provider_as_unknown_and_a_registered_one_by_its_id(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        await MovedFamily.ArrangeAsync(network);
        foreach (var p in new[] { Slipped, K })
        {
            // Not assigned the affair: refused by the prefix check. No code for B-9999: nothing can be sent.
            await ProblemAssert.IsProblemAsync(await AskAsync(network, "bunkyo-vaccination-clerk", "B-0001", p), 403, "affair-not-assigned");
            await ProblemAssert.IsProblemAsync(await AskAsync(network, "bunkyo-child-clerk", "B-9999", p), 404, "no-agency-code");
        }
        Assert.Equal([$"{RelayKinds.UnknownProvider}|affair-not-assigned", $"{RelayKinds.UnknownProvider}|no-agency-code", $"{K}|affair-not-assigned", $"{K}|no-agency-code"],
            await RecordsAsync(network));
        await AssertNowhereAsync(network);
    }

    [Theory, StorageData]
    public async Task A_batch_for_an_unregistered_provider_is_refused_without_storing_it_and_its_refused_records_say_unknown(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = await BatchPeople.ArrangeAsync(network, count: 1, atKashiwa: 1, withCopy: 0);

        // Not assigned the affair: refused at once, one record per person, the provider unknown.
        await ProblemAssert.IsProblemAsync(await SubmitAsync(network, "bunkyo-vaccination-clerk", Slipped, "B-1", "B-9999"), 403, "affair-not-assigned");
        // Assigned: the core has no such agency, so the batch is refused naming the field, not the value, and nothing is stored.
        var refused = await SubmitAsync(network, "bunkyo-child-system", Slipped, "B-1", "B-9999");
        var problem = await ProblemAssert.IsProblemAsync(refused, 400, RelayKinds.UnknownProviderReason);
        Assert.True(problem.GetProperty("errors").TryGetProperty("provider", out _), problem.ToString());
        Assert.DoesNotContain(Number, problem.ToString());
        await using (var c = await network.TenantDatabases[B].OpenAsync())
            Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM inquiry_batches"));

        // A registered provider: stored, asked, and B-9999 without a code recorded by the provider's id.
        var accepted = await SubmitAsync(network, "bunkyo-child-system", K, "B-1", "B-9999");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var done = await people.DoneAsync((await LinkageNetwork.Ensure(accepted)).GetProperty("batchId").GetString()!, "bunkyo-child-system");
        Assert.Equal(K, done.GetProperty("provider").GetString());
        // The batch's inquiries run in parallel: their records in any order.
        Assert.Equal([$"{K}|no-agency-code", $"{K}|no-copy", $"{RelayKinds.UnknownProvider}|affair-not-assigned", $"{RelayKinds.UnknownProvider}|affair-not-assigned"],
            (await RecordsAsync(network)).Order(StringComparer.Ordinal));
        await AssertNowhereAsync(network);
    }

    [Theory, StorageData]
    public async Task With_the_core_down_the_node_records_an_unregistered_provider_as_unknown_and_a_registered_one_by_its_id(StorageProvider provider)
    {
        var clock = new ShiftedClock();
        await using var network = await LinkageNetwork.StartAsync(provider, configureNode: b => b.Services.AddSingleton<TimeProvider>(clock));
        await MovedFamily.ArrangeAsync(network);
        // The node read the core's list while the core was up (a refusal before the core needs it).
        await ProblemAssert.IsProblemAsync(await AskAsync(network, "bunkyo-vaccination-clerk", "B-0001", K), 403, "affair-not-assigned");
        await network.StopCoreAsync();

        foreach (var (p, recorded) in new[] { (Slipped, RelayKinds.UnknownProvider), (K, K) })
        {
            var answer = await LinkageNetwork.Ensure(await AskAsync(network, "bunkyo-child-clerk", "B-0001", p));
            Assert.Equal(("error", "core-unreachable", recorded),
                (answer.GetProperty("outcome").GetString(), answer.GetProperty("reason").GetString(), answer.GetProperty("provider").GetString()));
        }
        Assert.Equal([$"{K}|affair-not-assigned", $"{RelayKinds.UnknownProvider}|core-unreachable", $"{K}|core-unreachable"], await RecordsAsync(network));
        // A batch for an id the node cannot check is refused, and not stored. Audit D, finding 6: within MissInterval of the
        // last read the node goes by that list (400 unknown-provider); past it, the node reads again and cannot.
        clock.Ahead = KnownAgencies.MissInterval + TimeSpan.FromSeconds(1);
        await ProblemAssert.IsProblemAsync(await SubmitAsync(network, "bunkyo-child-system", Slipped, "B-0001"), 503, "core-unreachable");
        await using (var c = await network.TenantDatabases[B].OpenAsync())
            Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM inquiry_batches"));
        await AssertNowhereAsync(network, core: false);
    }

    [Theory, StorageData]
    public async Task A_core_that_cuts_its_agency_list_short_leaves_a_403_and_records_saying_unknown(StorageProvider provider)
    {
        // Audit D, finding 1: the list's body ends before the length promised, so reading it fails with an IOException, which
        // escaped the node's read: for MissInterval every inquiry recorded without the core's answer was a 500 and left no record.
        using var core = new TcpListener(IPAddress.Loopback, 0);
        core.Start();
        var listAsked = CutShortAsync(core, $"[{{\"agencyId\": \"{K}\"}}, ");
        await using var network = await LinkageNetwork.StartAsync(provider,
            configureNode: b => b.Configuration.AddInMemoryCollection([new("Node:CoreAddress", $"http://{core.LocalEndpoint}/")]));

        // Within MissInterval of the first, the others find its failed read (later, they read again and fail alike).
        for (var i = 0; i < 2; i++)
            await ProblemAssert.IsProblemAsync(await AskAsync(network, "bunkyo-vaccination-clerk", "B-0001", K), 403, "affair-not-assigned");
        await ProblemAssert.IsProblemAsync(await SubmitAsync(network, "bunkyo-vaccination-clerk", K, "B-1", "B-2"), 403, "affair-not-assigned");
        // Assigned, a batch whose provider the node could not check is refused, and not stored.
        await ProblemAssert.IsProblemAsync(await SubmitAsync(network, "bunkyo-child-system", K, "B-1"), 503, "core-unreachable");
        await using (var c = await network.TenantDatabases[B].OpenAsync())
            Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM inquiry_batches"));

        // The list the node could not read names nobody: a registered provider is recorded as unknown, never as an id unchecked.
        Assert.Equal(Enumerable.Repeat($"{RelayKinds.UnknownProvider}|affair-not-assigned", 4), await RecordsAsync(network));
        Assert.Contains(network.Logs.Lines, l => l.Contains("agency list could not be read: HttpIOException", StringComparison.Ordinal));
        core.Stop();
        // The node's read at its start, then at most one for each of the four requests: one whenever MissInterval has passed.
        Assert.InRange(await listAsked, 1, 5);
    }

    [Theory, StorageData]
    public async Task A_registered_provider_whose_node_answers_unknown_provider_stays_named_in_the_cores_and_the_requesters_records(StorageProvider provider)
    {
        // Audit D, finding 2: the core read "unknown" from any answer not-permitted/unknown-provider, a provider's own too, and
        // the requester took the core's word: a registered provider could take its name out of both records of what it was asked.
        await using var network = await LinkageNetwork.StartAsync(provider);
        await MovedFamily.ArrangeAsync(network);
        const string Chiba = StubProviderNode.Agency;
        await using var node = await StubProviderNode.StartAsync(network,
            r => new ProvisionAnswer(r.MessageId, Outcome.NotPermitted, RelayKinds.UnknownProviderReason, null, null, false));

        // The core answers the provider's claim of the core's own reason as an answer it cannot take.
        var answer = await LinkageNetwork.Ensure(await AskAsync(network, "bunkyo-child-clerk", "B-0001", Chiba));
        Assert.Equal(("error", "provider-answer-invalid", Chiba),
            (answer.GetProperty("outcome").GetString(), answer.GetProperty("reason").GetString(), answer.GetProperty("provider").GetString()));
        Assert.Equal([$"{Chiba}|provider-answer-invalid"], await RecordsAsync(network));
        await using var core = await network.CoreDatabase.OpenAsync();
        Assert.Equal($"{Chiba}|provider-answer-invalid", await core.ScalarAsync<string>("SELECT provider || '|' || reason FROM provision_records WHERE message_id = @m",
            null, ("m", answer.GetProperty("messageId").GetString())));

        // The core's own refusal of a provider it has not registered still says unknown, at both.
        var refused = await LinkageNetwork.Ensure(await AskAsync(network, "bunkyo-child-clerk", "B-0001", Slipped));
        Assert.Equal(("not-permitted", RelayKinds.UnknownProviderReason, RelayKinds.UnknownProvider),
            (refused.GetProperty("outcome").GetString(), refused.GetProperty("reason").GetString(), refused.GetProperty("provider").GetString()));
        Assert.Equal(RelayKinds.UnknownProvider, await core.ScalarAsync<string>("SELECT provider FROM provision_records WHERE message_id = @m",
            null, ("m", refused.GetProperty("messageId").GetString())));
        await AssertNowhereAsync(network);
    }

    [Fact]
    public async Task A_batch_waiting_for_the_cores_agency_list_holds_no_connection_of_its_tenant()
    {
        // With one connection per tenant, a batch that held it while the core was slow to answer (up to LongestWait) kept every
        // other request of the tenant waiting: a burst of batches could drain the pool. SQLite has no pool to drain.
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var core = await StubPeer.StartAsync(async context =>
        {
            if (context.Request.Path == "/api/agencies")
            {
                asked.TrySetResult();
                await release.Task;
            }
            context.Response.StatusCode = 503;
        });
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Postgres, configureNode: b => b.Configuration.AddInMemoryCollection(
            [new("Node:CoreAddress", core.Url.ToString()), new("Storage:ConnectionString", TestDatabases.PostgresConnectionString + ";Maximum Pool Size=1")]));
        try
        {
            var submitted = SubmitAsync(network, "bunkyo-child-system", K, "B-1");
            await asked.Task.WaitAsync(TimeSpan.FromSeconds(30));
            // Meanwhile another request of the tenant needs a connection, and gets one.
            await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-child-system").GetAsync($"api/tenants/{B}/inquiry-batches/{new string('0', 32)}"),
                404, "unknown-batch");
            Assert.False(submitted.IsCompleted, "the batch still waits for the core");
            await ProblemAssert.IsProblemAsync(await submitted, 503, "core-unreachable");
        }
        finally { release.TrySetResult(); }
    }

    /// <summary>
    /// Answers each request with 200 and a body shorter than its Content-Length, then closes its side in good order (not a
    /// reset, which could come before the headers): the reader meets the end of the body mid-way. Returns how many asked for
    /// the agency list (the node asks its core for more: the core's keys, a tree head to witness).
    /// </summary>
    private static async Task<int> CutShortAsync(TcpListener listener, string part)
    {
        var listed = 0;
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                var request = new List<byte>();
                var buffer = new byte[4096];
                while (!Encoding.ASCII.GetString([.. request]).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer);
                    if (read == 0) break;
                    request.AddRange(buffer.AsSpan(0, read));
                }
                var body = Encoding.UTF8.GetBytes(part);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length + 5000}\r\n\r\n"));
                await stream.WriteAsync(body);
                client.Client.Shutdown(SocketShutdown.Send);
                if (Encoding.ASCII.GetString([.. request]).StartsWith("GET /api/agencies ", StringComparison.Ordinal)) listed++;
                while (await stream.ReadAsync(buffer) > 0) { } // until the reader closes too
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException) { return listed; }
    }
}

/// <summary>The system's clock moved ahead by <see cref="Ahead"/>, its timestamps too: past an interval without waiting it out.</summary>
public sealed class ShiftedClock : TimeProvider
{
    public TimeSpan Ahead { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Ahead;

    public override long GetTimestamp() => base.GetTimestamp() + (long)(Ahead.TotalSeconds * TimestampFrequency);
}
