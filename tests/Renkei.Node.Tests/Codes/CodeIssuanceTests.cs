using System.Text.Json;
using System.Net.Http.Json;
using Renkei.Cli.Linkage;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;
using Renkei.Testing;

namespace Renkei.Node.Tests.Codes;

public class CodeIssuanceTests
{
    [Fact]
    public void Acquisition_numbers_never_hold_a_run_of_digits_the_Registry_would_refuse()
    {
        // As hex, one in twenty held 11 or 12 digits in a row, which the Registry refuses as an Individual Number's shape.
        var drawn = Enumerable.Range(0, 20_000).Select(_ => Renkei.Node.Codes.CodeManagementApi.NewAcquisitionNumber()).ToList();
        Assert.All(drawn, a => Assert.Matches("^[a-p]{32}$", a));
        Assert.DoesNotContain(drawn, NumberShape.ContainsIndividualNumber);
        Assert.Equal(drawn.Count, drawn.Distinct().Count());
    }

    private static async Task<string?> CodeOfAsync(Database tenant, string addresseeNumber)
    {
        await using var c = await tenant.OpenAsync();
        return await Tenants.Tenant.AgencyCodeOfAsync(c, addresseeNumber);
    }

    [Theory, StorageData]
    public async Task Codes_reach_each_agencys_node_through_the_registry_differ_per_agency_and_survive_a_number_reissue(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var (residentId, number) = await network.BirthAsync(LinkageNetwork.Kashiwa, "柏", "花子", "2020-05-05");

        var kashiwa = await network.AddresseeSystemOf(LinkageNetwork.Kashiwa).IssueCodesAsync([("K-0001", number)]);
        var bunkyo = await network.AddresseeSystemOf(LinkageNetwork.Bunkyo).IssueCodesAsync([("B-9001", number)]);
        Assert.Equal((1, 1, 0), (kashiwa.Requested, kashiwa.Delivered, kashiwa.Unknown));
        Assert.Equal(1, bunkyo.Delivered);

        var status = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-addressee").GetAsync($"api/tenants/{LinkageNetwork.Kashiwa}/addressees/K-0001"));
        Assert.True(status.GetProperty("hasAgencyCode").GetBoolean());
        // Who is known to the agency is the addressee system's business: a clerk or a copy loader of the tenant is refused.
        foreach (var other in new[] { "kashiwa-child-clerk", "kashiwa-tax-system", "kashiwa-auditor" })
            await ProblemAssert.IsProblemAsync(await network.NodeClient(other).GetAsync($"api/tenants/{LinkageNetwork.Kashiwa}/addressees/K-0001"), 403, "forbidden");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-addressee").GetAsync($"api/tenants/{LinkageNetwork.Kashiwa}/addressees/K_0001"), 400, "invalid-request");
        var codeA = await CodeOfAsync(network.TenantDatabases[LinkageNetwork.Kashiwa], "K-0001");
        var codeB = await CodeOfAsync(network.TenantDatabases[LinkageNetwork.Bunkyo], "B-9001");
        Assert.NotNull(codeA);
        Assert.NotNull(codeB);
        Assert.NotEqual(codeA, codeB);

        // The acquisition numbers are gone once matched.
        await using (var c = await network.TenantDatabases[LinkageNetwork.Kashiwa].OpenAsync())
            Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM acquisitions"));

        // After a leak the person gets a new number; asking again with it gives the same code.
        var reissued = await LinkageNetwork.Ensure(await LinkageNetwork.Client(network.Registry, "kashiwa-clerk").PostAsJsonAsync(
            $"api/municipalities/{LinkageNetwork.Kashiwa}/residents/{residentId}/number-reissue", new { reason = "番号漏えい", requestedBy = "person" }));
        var newNumber = reissued.GetProperty("individualNumber").GetString()!;
        Assert.NotEqual(number, newNumber);
        Assert.Equal(1, (await network.AddresseeSystemOf(LinkageNetwork.Kashiwa).IssueCodesAsync([("K-0001", newNumber)])).Delivered);
        Assert.Equal(codeA, await CodeOfAsync(network.TenantDatabases[LinkageNetwork.Kashiwa], "K-0001"));
    }

    /// <summary>Bunkyo's child-allowance clerk asks Kashiwa for the local tax of Bunkyo's addressee: the outcome and Kashiwa's income if provided.</summary>
    private static async Task<(string Outcome, long? Income)> AskKashiwaAsync(LinkageNetwork network, string bunkyoAddressee)
    {
        var answer = await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{LinkageNetwork.Bunkyo}/inquiries",
            new { addresseeNumber = bunkyoAddressee, affair = "child-allowance", provider = LinkageNetwork.Kashiwa, item = "local-tax" }, ServiceDefaults.Json));
        var outcome = answer.GetProperty("outcome").GetString()!;
        return (outcome, outcome == "provided" ? answer.GetProperty("content").GetProperty("totalIncome").GetInt64() : null);
    }

    private static Task<HttpResponseMessage> ReleaseAsync(LinkageNetwork network, string caller, string agency, string addressee) =>
        network.NodeClient(caller).PostAsync($"api/tenants/{agency}/addressees/{addressee}/release", null);

    [Theory, StorageData]
    public async Task A_code_for_an_addressee_holding_another_persons_is_not_stored_until_that_one_is_released(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var (_, first) = await network.BirthAsync(LinkageNetwork.Kashiwa, "柏", "一郎", "2019-01-01");
        var (_, second) = await network.BirthAsync(LinkageNetwork.Kashiwa, "柏", "二郎", "2019-02-02");
        var kashiwa = network.NodeTenants.Find(LinkageNetwork.Kashiwa)!;
        var system = network.AddresseeSystemOf(LinkageNetwork.Kashiwa);
        Assert.Null(await kashiwa.AgencyCodeOfAsync("K-0001")); // no code yet: nothing is kept
        await system.IssueCodesAsync([("K-0001", first)]);
        var firstCode = await CodeOfAsync(network.TenantDatabases[LinkageNetwork.Kashiwa], "K-0001");
        Assert.Equal(firstCode, await kashiwa.AgencyCodeOfAsync("K-0001")); // found, and now kept in memory
        await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{LinkageNetwork.Kashiwa}/copies/K-0001/local-tax", Copies.CopyTests.Tax(4_100_000)));
        Assert.Equal(2, (await network.AddresseeSystemOf(LinkageNetwork.Bunkyo).IssueCodesAsync([("B-1", first), ("B-2", second)])).Delivered);
        async Task<string?> IssuedAtAsync()
        {
            await using var c = await network.TenantDatabases[LinkageNetwork.Kashiwa].OpenAsync();
            return await c.ScalarAsync<string>("SELECT code_issued_at FROM addressees WHERE addressee_number = 'K-0001'");
        }
        var issuedAt = await IssuedAtAsync();

        // A shifted line puts the second person on K-0001. Stored, it answered Bunkyo's inquiry about the second person with the first's income.
        var shifted = await system.IssueCodesAsync([("K-0001", second)]);
        Assert.Equal((1, 0, 0, 1), (shifted.Requested, shifted.Delivered, shifted.Unknown, shifted.NotStored));
        Assert.Equal([("K-0001", AddresseeSystem.HoldsAnother)], shifted.WithoutCode.Select(n => (n.AddresseeNumber, n.Reason)));
        Assert.StartsWith("この宛名番号はすでに別の人の符号を持っています", AddresseeSystem.HoldsAnother);
        Assert.Equal(firstCode, await CodeOfAsync(network.TenantDatabases[LinkageNetwork.Kashiwa], "K-0001"));
        Assert.Equal(0L, await AcquisitionsAsync(network.TenantDatabases[LinkageNetwork.Kashiwa]));
        Assert.Equal(("no-data", (long?)null), await AskKashiwaAsync(network, "B-2"));
        Assert.Equal(("provided", (long?)4_100_000), await AskKashiwaAsync(network, "B-1"));
        // The node says which addressee, never a code or a number.
        var said = Assert.Single(network.Logs.Lines, l => l.Contains("already holds another code"));
        Assert.Contains("K-0001", said);
        foreach (var secret in new[] { firstCode!, first, second }) Assert.DoesNotContain(network.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));

        // The same person again changes nothing, not even when the code was issued.
        Assert.Equal(1, (await system.IssueCodesAsync([("K-0001", first)])).Delivered);
        Assert.Equal(issuedAt, await IssuedAtAsync());

        // Released, the code is gone at once and the copy stays, then the right person's code is stored and asked about at once.
        var released = await system.ReleaseCodeAsync("K-0001");
        Assert.Equal(("K-0001", true, "local-tax"), (released.AddresseeNumber, released.CodeReleased, string.Join(",", released.CopiesKept)));
        Assert.Null(await kashiwa.AgencyCodeOfAsync("K-0001"));
        Assert.Equal(("no-data", (long?)null), await AskKashiwaAsync(network, "B-1"));
        Assert.Equal(1, (await system.IssueCodesAsync([("K-0001", second)])).Delivered);
        var secondCode = await CodeOfAsync(network.TenantDatabases[LinkageNetwork.Kashiwa], "K-0001");
        Assert.NotEqual(firstCode, secondCode);
        Assert.Equal(secondCode, await kashiwa.AgencyCodeOfAsync("K-0001"));
        // K-0001's copy is K-0001's own: with the right code on it, it answers for the second person.
        Assert.Equal(("provided", (long?)4_100_000), await AskKashiwaAsync(network, "B-2"));
        Assert.Equal(("no-data", (long?)null), await AskKashiwaAsync(network, "B-1"));
    }

    [Theory, StorageData]
    public async Task Two_swapped_addressees_are_corrected_by_releasing_both_and_issuing_again(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        const string K = LinkageNetwork.Kashiwa;
        var (_, p) = await network.BirthAsync(K, "柏", "一郎", "1980-01-01");
        var (_, q) = await network.BirthAsync(K, "柏", "次郎", "1982-02-02");
        var database = network.TenantDatabases[K];
        var system = network.AddresseeSystemOf(K);
        Assert.Equal(2, (await system.IssueCodesAsync([("K-1", p), ("K-2", q)])).Delivered);
        var (codeP, codeQ) = (await CodeOfAsync(database, "K-1"), await CodeOfAsync(database, "K-2"));
        await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{K}/copies/K-1/local-tax", Copies.CopyTests.Tax()));
        Assert.Equal(1, (await network.AddresseeSystemOf(LinkageNetwork.Bunkyo).IssueCodesAsync([("B-P", p)])).Delivered);

        // Each addressee holds the other's code: the correction alone stores nothing, and says what to do for both.
        var swapped = await system.IssueCodesAsync([("K-1", q), ("K-2", p)]);
        Assert.Equal((0, 2), (swapped.Delivered, swapped.NotStored));
        Assert.All(swapped.WithoutCode, n => Assert.Equal(AddresseeSystem.HoldsAnother, n.Reason));
        Assert.Contains("release-code", AddresseeSystem.HeldByAnother);

        // Only the tenant's addressee system releases, and an addressee the tenant has no code on loses nothing.
        await ProblemAssert.IsProblemAsync(await ReleaseAsync(network, "kashiwa-tax-system", K, "K-1"), 403, "forbidden");
        await ProblemAssert.IsProblemAsync(await ReleaseAsync(network, "kashiwa-child-clerk", K, "K-1"), 403, "forbidden");
        await ProblemAssert.IsProblemAsync(await ReleaseAsync(network, "bunkyo-addressee", K, "K-1"), 403, "another-tenant");
        await ProblemAssert.IsProblemAsync(await network.NodeClient().PostAsync($"api/tenants/{K}/addressees/K-1/release", null), 401, "unauthenticated");
        foreach (var none in new[] { "K-77", "B-P" }) // B-P is Bunkyo's, not Kashiwa's
        {
            var nothing = await LinkageNetwork.Ensure(await ReleaseAsync(network, "kashiwa-addressee", K, none));
            Assert.Equal((none, false, 0), (nothing.GetProperty("addresseeNumber").GetString(), nothing.GetProperty("codeReleased").GetBoolean(), nothing.GetProperty("copiesKept").GetArrayLength()));
        }
        // Asked first, nothing changes: the copies the addressee keeps are named.
        var dry = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-addressee").PostAsync($"api/tenants/{K}/addressees/K-1/release?dryRun=true", null));
        Assert.Equal((true, "[\"local-tax\"]"), (dry.GetProperty("codeReleased").GetBoolean(), dry.GetProperty("copiesKept").GetRawText()));
        await ProblemAssert.IsProblemAsync(await ReleaseAsync(network, "kashiwa-addressee", K, "K_1"), 400, "invalid-request");
        await ProblemAssert.IsProblemAsync(await ReleaseAsync(network, "kashiwa-addressee", K, "123456789018"), 400, "addressee-number-looks-like-individual-number");
        await ProblemAssert.IsProblemAsync(await ReleaseAsync(network, "kashiwa-addressee", "999999", "K-1"), 404, "unknown-tenant");
        Assert.Equal((codeP, codeQ), (await CodeOfAsync(database, "K-1"), await CodeOfAsync(database, "K-2")));
        Assert.Equal(1, (await network.AddresseeSystemOf(LinkageNetwork.Bunkyo).IssueCodesAsync([("B-P", p)])).Delivered); // Bunkyo's untouched
        Assert.Equal(("provided", (long?)3_200_000), await AskKashiwaAsync(network, "B-P"));

        var first = await LinkageNetwork.Ensure(await ReleaseAsync(network, "kashiwa-addressee", K, "K-1"));
        Assert.Equal(("K-1", true, "[\"local-tax\"]"), (first.GetProperty("addresseeNumber").GetString(), first.GetProperty("codeReleased").GetBoolean(), first.GetProperty("copiesKept").GetRawText()));
        var second = await LinkageNetwork.Ensure(await ReleaseAsync(network, "kashiwa-addressee", K, "K-2"));
        Assert.Equal((true, 0), (second.GetProperty("codeReleased").GetBoolean(), second.GetProperty("copiesKept").GetArrayLength()));
        // The codes are gone and the copy stays with its addressee; K-2, left with nothing, is no row that would read as
        // awaiting a code. An inquiry about P finds nothing at Kashiwa.
        await using (var c = await database.OpenAsync())
        {
            Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM copies WHERE addressee_number = 'K-1'"));
            Assert.Equal(["K-1"], await c.QueryAsync("SELECT addressee_number FROM addressees WHERE agency_code IS NULL", r => r.GetString(0)));
            Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM addressees WHERE agency_code IS NOT NULL"));
        }
        Assert.False((await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-addressee").GetAsync($"api/tenants/{K}/addressees/K-1"))).GetProperty("hasAgencyCode").GetBoolean());
        await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-addressee").GetAsync($"api/tenants/{K}/addressees/K-2"), 404, "unknown-addressee");
        // A retry (after a timeout, say) is told the addressee holds no code, and for one left with nothing not "no such addressee" as if the first run had a typo.
        foreach (var again in new[] { "K-1", "K-2" })
        {
            var retried = await LinkageNetwork.Ensure(await ReleaseAsync(network, "kashiwa-addressee", K, again));
            Assert.Equal((false, 0), (retried.GetProperty("codeReleased").GetBoolean(), retried.GetProperty("copiesKept").GetArrayLength()));
        }
        Assert.Equal(("no-data", (long?)null), await AskKashiwaAsync(network, "B-P"));
        Assert.Contains(network.Logs.Lines, l => l.Contains("addressee K-1 released (copies kept: 1)"));
        foreach (var secret in new[] { codeP!, codeQ!, p, q }) Assert.DoesNotContain(network.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));

        var corrected = await system.IssueCodesAsync([("K-1", q), ("K-2", p)]);
        Assert.Equal((2, 0), (corrected.Delivered, corrected.NotStored));
        Assert.Equal((codeQ, codeP), (await CodeOfAsync(database, "K-1"), await CodeOfAsync(database, "K-2")));
    }

    [Theory, StorageData]
    public async Task Releasing_a_swapped_code_keeps_the_addressees_copies_which_are_provided_once_the_right_code_is_issued(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        const string K = LinkageNetwork.Kashiwa;
        var (_, p) = await network.BirthAsync(K, "柏", "一郎", "1980-01-01");
        var (_, q) = await network.BirthAsync(K, "柏", "次郎", "1982-02-02");
        var database = network.TenantDatabases[K];
        // The export swapped two lines: K-1 is P and K-2 is Q in every business system, but each got the other's code.
        Assert.Equal(2, (await network.AddresseeSystemOf(K).IssueCodesAsync([("K-1", q), ("K-2", p)])).Delivered);
        var tax = network.NodeClient("kashiwa-tax-system");
        await LinkageNetwork.Ensure(await tax.PutAsJsonAsync($"api/tenants/{K}/copies/K-1/local-tax", Copies.CopyTests.Tax(4_100_000)));
        await LinkageNetwork.Ensure(await tax.PutAsJsonAsync($"api/tenants/{K}/copies/K-2/local-tax", Copies.CopyTests.Tax(2_500_000)));
        Assert.Equal(2, (await network.AddresseeSystemOf(LinkageNetwork.Bunkyo).IssueCodesAsync([("B-P", p), ("B-Q", q)])).Delivered);
        Assert.Equal(("provided", (long?)2_500_000), await AskKashiwaAsync(network, "B-P")); // Q's income answered for P

        foreach (var addressee in new[] { "K-1", "K-2" })
        {
            var dry = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-addressee").PostAsync($"api/tenants/{K}/addressees/{addressee}/release?dryRun=true", null));
            Assert.Equal((true, "[\"local-tax\"]"), (dry.GetProperty("codeReleased").GetBoolean(), dry.GetProperty("copiesKept").GetRawText()));
        }
        foreach (var addressee in new[] { "K-1", "K-2" })
        {
            var released = await LinkageNetwork.Ensure(await ReleaseAsync(network, "kashiwa-addressee", K, addressee));
            // The copies are the addressee's own, right as they stand: only the codes were wrong.
            await using (var c = await database.OpenAsync())
                Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM copies WHERE addressee_number = @n", null, ("n", addressee)));
            Assert.Equal((true, "[\"local-tax\"]"), (released.GetProperty("codeReleased").GetBoolean(), released.GetProperty("copiesKept").GetRawText()));
        }
        // Meanwhile no copy answers for anyone, and the addressees stay known, awaiting their codes.
        Assert.Equal(("no-data", (long?)null), await AskKashiwaAsync(network, "B-P"));
        Assert.False((await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-addressee").GetAsync($"api/tenants/{K}/addressees/K-1"))).GetProperty("hasAgencyCode").GetBoolean());
        Assert.Contains(network.Logs.Lines, l => l.Contains("addressee K-1 released (copies kept: 1)"));

        Assert.Equal(2, (await network.AddresseeSystemOf(K).IssueCodesAsync([("K-1", p), ("K-2", q)])).Delivered);
        Assert.Equal(("provided", (long?)4_100_000), await AskKashiwaAsync(network, "B-P"));
        var aboutQ = await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{LinkageNetwork.Bunkyo}/inquiries",
            new { addresseeNumber = "B-Q", affair = "child-allowance", provider = K, item = "local-tax" }, ServiceDefaults.Json));
        Assert.Equal(2_500_000, aboutQ.GetProperty("content").GetProperty("totalIncome").GetInt64());
    }

    [Fact]
    public async Task A_discard_racing_a_copy_written_for_the_same_addressee_on_PostgreSQL_answers_200_and_both_stay()
    {
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Postgres);
        const string K = LinkageNetwork.Kashiwa;
        var database = network.TenantDatabases[K];
        var addressee = network.NodeClient("kashiwa-addressee");
        // An acquisition for someone the Registry does not find: its discard removes the addressee row unless a copy holds it.
        var acquisition = (await LinkageNetwork.Ensure(await addressee.PostAsJsonAsync($"api/tenants/{K}/acquisitions", new { addresseeNumbers = new[] { "K-9" } })))
            .GetProperty("acquisitions")[0].GetProperty("acquisitionNumber").GetString()!;

        // The copy's write is held once its row is inserted, uncommitted, by a lock this test holds: the moment a discard
        // of the addressee ran beside it. Until then, the discard could not see the copy and went on to delete the row.
        var key = Random.Shared.NextInt64();
        await using var hold = await database.OpenAsync();
        await hold.ExecuteAsync($"""
            CREATE FUNCTION hold_copy() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_lock({key}); PERFORM pg_advisory_unlock({key}); RETURN NEW; END $$;
            CREATE TRIGGER hold_copy AFTER INSERT ON copies FOR EACH ROW EXECUTE FUNCTION hold_copy();
            """);
        await hold.ExecuteAsync("SELECT pg_advisory_lock(@k)", null, ("k", key));
        var holder = await hold.ScalarAsync<int>("SELECT pg_backend_pid()");
        async Task<int> BlockedByAsync(int pid, string what) => (await Eventually.ResultAsync(async () =>
        {
            await using var look = await database.OpenAsync();
            return await look.ScalarAsync<int?>("SELECT pid FROM pg_stat_activity WHERE @h = ANY(pg_blocking_pids(pid)) LIMIT 1", null, ("h", pid));
        }, blocked => blocked is not null, what))!.Value;
        var put = network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{K}/copies/K-9/local-tax", Copies.CopyTests.Tax());
        var writer = await BlockedByAsync(holder, "the copy's write waits on the test's lock");
        var discard = addressee.PostAsJsonAsync($"api/tenants/{K}/acquisitions/discard", new { acquisitionNumbers = new[] { acquisition } });
        await BlockedByAsync(writer, "the discard waits on the copy's write");
        await hold.ExecuteAsync("SELECT pg_advisory_unlock(@k)", null, ("k", key));

        await LinkageNetwork.Ensure(await put);
        // It was a 500: the row's removal failed on the copy committed meanwhile (a foreign-key violation).
        Assert.Equal(1, (await LinkageNetwork.Ensure(await discard)).GetProperty("discarded").GetInt32());
        await using var c = await database.OpenAsync();
        Assert.Equal((1L, 1L, 0L), (await c.ScalarAsync<long>("SELECT COUNT(*) FROM addressees WHERE addressee_number = 'K-9'"),
            await c.ScalarAsync<long>("SELECT COUNT(*) FROM copies WHERE addressee_number = 'K-9'"), await c.ScalarAsync<long>("SELECT COUNT(*) FROM acquisitions")));
    }

    /// <summary>Passes the core's answer to a code request on, then stops the caller as a Ctrl+C just then would: the core had delivered the codes.</summary>
    private sealed class StopAfterTheCore(HttpMessageHandler inner, CancellationTokenSource stop) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var response = await base.SendAsync(request, ct);
            if (request.RequestUri!.AbsolutePath.EndsWith("/api/codes/issue", StringComparison.Ordinal) && response.IsSuccessStatusCode)
            {
                await stop.CancelAsync();
                stop.Token.ThrowIfCancellationRequested();
            }
            return response;
        }
    }

    [Theory, StorageData]
    public async Task A_batch_stopped_after_the_core_was_asked_tells_how_many_of_it_got_their_code(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        const string K = LinkageNetwork.Kashiwa;
        var (_, p) = await network.BirthAsync(K, "柏", "一郎", "1980-01-01");
        var (_, q) = await network.BirthAsync(K, "柏", "次郎", "1982-02-02");
        using var stop = new CancellationTokenSource();
        var handler = new StopAfterTheCore(network.Handler, stop); // not disposed: it would dispose the network's handler with it
        var system = new AddresseeSystem(K, network.Node, "kashiwa-addressee", network.Registry, "link-keys-token", network.Core, "kashiwa-code-requests", handler);
        int? gotCode = -1;
        // K-3's number is nobody's: the Registry gives it no link key, so its acquisition was still pending when stopped.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => system.IssueCodesAsync(
            [new AddresseeSystem.Person("K-1", p, null), new AddresseeSystem.Person("K-2", q, null), new AddresseeSystem.Person("K-3", "123456789018", null)],
            ct: stop.Token, abandoned: n => gotCode = n));
        Assert.Equal(2, gotCode);
        var database = network.TenantDatabases[K];
        Assert.NotNull(await CodeOfAsync(database, "K-1"));
        Assert.NotNull(await CodeOfAsync(database, "K-2"));
        await using (var c = await database.OpenAsync())
            Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM acquisitions"));

        // Stopped before the core was asked, nobody got a code and nothing is said of one.
        using var early = new CancellationTokenSource();
        await early.CancelAsync();
        int? untold = -1;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => network.AddresseeSystemOf(K).IssueCodesAsync(
            [new AddresseeSystem.Person("K-4", p, null)], ct: early.Token, abandoned: n => untold = n));
        Assert.Equal(-1, untold);
    }

    [Theory, StorageData]
    public async Task Releasing_an_addressee_that_holds_no_code_keeps_the_copies_imported_ahead_of_its_code(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        const string K = LinkageNetwork.Kashiwa;
        var (_, p) = await network.BirthAsync(K, "柏", "一郎", "1980-01-01");
        var database = network.TenantDatabases[K];
        // Copies first, the code later: a normal order of work. A release of that addressee (a mistyped number, say) deletes nothing.
        await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{K}/copies/K-5/local-tax", Copies.CopyTests.Tax()));
        var released = await LinkageNetwork.Ensure(await ReleaseAsync(network, "kashiwa-addressee", K, "K-5"));
        Assert.Equal((false, 0), (released.GetProperty("codeReleased").GetBoolean(), released.GetProperty("copiesKept").GetArrayLength()));
        await using (var c = await database.OpenAsync())
            Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM copies WHERE addressee_number = 'K-5'"));
        var status = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-addressee").GetAsync($"api/tenants/{K}/addressees/K-5"));
        Assert.False(status.GetProperty("hasAgencyCode").GetBoolean());

        // Its code then comes, and the copy kept is provided as the person's.
        Assert.Equal(1, (await network.AddresseeSystemOf(K).IssueCodesAsync([("K-5", p)])).Delivered);
        Assert.Equal(1, (await network.AddresseeSystemOf(LinkageNetwork.Bunkyo).IssueCodesAsync([("B-P", p)])).Delivered);
        Assert.Equal(("provided", (long?)3_200_000), await AskKashiwaAsync(network, "B-P"));
    }

    [Theory, StorageData]
    public async Task An_addressee_known_only_by_an_acquisition_that_got_no_code_is_forgotten_when_it_is_discarded_or_expires(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        const string K = LinkageNetwork.Kashiwa;
        var (_, number) = await network.BirthAsync(K, "柏", "一郎", "1980-01-01");
        var database = network.TenantDatabases[K];
        var system = network.AddresseeSystemOf(K);
        var client = network.NodeClient("kashiwa-addressee");
        async Task<string> AcquireAsync(string addressee) =>
            (await LinkageNetwork.Ensure(await client.PostAsJsonAsync($"api/tenants/{K}/acquisitions", new { addresseeNumbers = new[] { addressee } })))
            .GetProperty("acquisitions")[0].GetProperty("acquisitionNumber").GetString()!;
        async Task<JsonElement> DiscardAsync(string acquisition) =>
            await LinkageNetwork.Ensure(await client.PostAsJsonAsync($"api/tenants/{K}/acquisitions/discard", new { acquisitionNumbers = new[] { acquisition } }));
        Task<HttpResponseMessage> StatusAsync(string addressee) => client.GetAsync($"api/tenants/{K}/addressees/{addressee}");

        // Nobody holds the number: the addressee was "awaiting a code" for ever after.
        Assert.Equal(1, (await system.IssueCodesAsync([("K-9", "123456789018")])).Unknown);
        await ProblemAssert.IsProblemAsync(await StatusAsync("K-9"), 404, "unknown-addressee");

        // One left by an addressee system that stopped half-way goes when its acquisition expires; one still waiting stays.
        var old = await AcquireAsync("K-8");
        await using (var c = await database.OpenAsync())
            await c.ExecuteAsync("UPDATE acquisitions SET requested_at = @t WHERE acquisition_number = @a", null,
                ("t", (DateTime.UtcNow - Renkei.Hosting.Linkage.LinkKeySeal.Lifetime - TimeSpan.FromMinutes(1)).ToString("O")), ("a", old));
        var waiting = await AcquireAsync("K-7");
        await ProblemAssert.IsProblemAsync(await StatusAsync("K-8"), 404, "unknown-addressee");
        Assert.False((await LinkageNetwork.Ensure(await StatusAsync("K-7"))).GetProperty("hasAgencyCode").GetBoolean());

        // Two acquisitions of one addressee: the first discarded, the addressee stays known while the second waits.
        var again = await AcquireAsync("K-7");
        await DiscardAsync(waiting);
        Assert.False((await LinkageNetwork.Ensure(await StatusAsync("K-7"))).GetProperty("hasAgencyCode").GetBoolean());
        await DiscardAsync(again);
        await ProblemAssert.IsProblemAsync(await StatusAsync("K-7"), 404, "unknown-addressee");

        // One with a copy, and one with a code, are kept; the discard says which addressee holds a code already.
        await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{K}/copies/K-6/local-tax", Copies.CopyTests.Tax()));
        Assert.Equal(0, (await DiscardAsync(await AcquireAsync("K-6"))).GetProperty("addresseeHoldsCode").GetArrayLength());
        Assert.False((await LinkageNetwork.Ensure(await StatusAsync("K-6"))).GetProperty("hasAgencyCode").GetBoolean());
        Assert.Equal(1, (await system.IssueCodesAsync([("K-5", number)])).Delivered);
        var coded = await AcquireAsync("K-5");
        Assert.Equal(coded, (await DiscardAsync(coded)).GetProperty("addresseeHoldsCode")[0].GetString());
        Assert.True((await LinkageNetwork.Ensure(await StatusAsync("K-5"))).GetProperty("hasAgencyCode").GetBoolean());
        await using (var c = await database.OpenAsync())
            Assert.Equal(["K-5", "K-6"], (await c.QueryAsync("SELECT addressee_number FROM addressees", r => r.GetString(0))).Order());
    }

    [Theory, StorageData]
    public async Task Bulk_issuance_issues_a_population_and_reports_unknown_numbers(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var people = new List<(string, string)>();
        for (var i = 0; i < 20; i++)
            people.Add(($"K-{i:D4}", (await network.BirthAsync(LinkageNetwork.Kashiwa, "柏", $"子{i}", "2021-01-01")).IndividualNumber));
        people.Add(("K-9999", "123456789018")); // a valid number nobody holds
        var result = await network.AddresseeSystemOf(LinkageNetwork.Kashiwa).IssueCodesAsync(people, batchSize: 8);
        Assert.Equal((21, 20, 1), (result.Requested, result.Delivered, result.Unknown));
        await using var c = await network.TenantDatabases[LinkageNetwork.Kashiwa].OpenAsync();
        Assert.Equal(20L, await c.ScalarAsync<long>("SELECT COUNT(DISTINCT agency_code) FROM addressees"));
        // The unknown person's acquisition number got no code and was discarded, not left behind.
        Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM acquisitions"));
    }

    [Theory, StorageData]
    public async Task A_person_entered_under_two_addressee_numbers_keeps_one_code_and_the_addressee_system_learns_which_got_none(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var (_, number) = await network.BirthAsync(LinkageNetwork.Kashiwa, "柏", "一郎", "1980-01-01");
        var (_, other) = await network.BirthAsync(LinkageNetwork.Kashiwa, "柏", "次郎", "1982-02-02");
        var kashiwa = network.TenantDatabases[LinkageNetwork.Kashiwa];
        var system = network.AddresseeSystemOf(LinkageNetwork.Kashiwa);
        Assert.Equal(1, (await system.IssueCodesAsync([("K-OLD", number)])).Delivered);
        var code = await CodeOfAsync(kashiwa, "K-OLD");

        // Under a new addressee number in a later request, and twice within one request.
        var result = await system.IssueCodesAsync([("K-NEW", number), ("K-2", other), ("K-3", other), ("K-4", "123456789018")]);
        Assert.Equal((4, 1, 1, 2), (result.Requested, result.Delivered, result.Unknown, result.NotStored));
        Assert.Equal([("K-3", AddresseeSystem.HeldByAnother), ("K-4", "該当する個人番号がありません / No resident has this number"), ("K-NEW", AddresseeSystem.HeldByAnother)],
            result.WithoutCode.Select(n => (n.AddresseeNumber, n.Reason)).Order());
        Assert.Equal(code, await CodeOfAsync(kashiwa, "K-OLD"));
        Assert.NotNull(await CodeOfAsync(kashiwa, "K-2"));
        Assert.Null(await CodeOfAsync(kashiwa, "K-NEW"));
        Assert.Null(await CodeOfAsync(kashiwa, "K-3"));
        Assert.Equal(0L, await AcquisitionsAsync(kashiwa)); // the ones kept for the addressee system to learn from are discarded

        // A request the node refuses is told by its title and detail, not its raw JSON.
        var refused = await Assert.ThrowsAsync<AddresseeSystem.Refused>(() => system.IssueCodesAsync([("K-9", number), ("K-9", other)]));
        Assert.Equal(("node", System.Net.HttpStatusCode.BadRequest), (refused.Service, refused.StatusCode));
        Assert.StartsWith("中間サーバーが受け付けませんでした / the node refused", refused.Message);
        Assert.Contains("addressee numbers repeat", refused.Message);
        Assert.DoesNotContain("\"type\"", refused.Message);
    }

    private static async Task<long> AcquisitionsAsync(Database tenant)
    {
        await using var c = await tenant.OpenAsync();
        return await c.ScalarAsync<long>("SELECT COUNT(*) FROM acquisitions");
    }

    [Theory, StorageData]
    public async Task Acquisition_numbers_of_a_refused_or_failed_issuance_are_discarded_and_old_ones_expire(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var (_, number) = await network.BirthAsync(LinkageNetwork.Kashiwa, "柏", "一郎", "1980-01-01");
        var kashiwa = network.TenantDatabases[LinkageNetwork.Kashiwa];
        AddresseeSystem With(string registryToken = "link-keys-token", string coreToken = "kashiwa-code-requests", Uri? core = null) =>
            new(LinkageNetwork.Kashiwa, network.Node, "kashiwa-addressee", network.Registry, registryToken, core ?? network.Core, coreToken, network.Handler);

        // The Registry refuses the request, the core refuses the batch, the core cannot be reached: each leaves no acquisition behind.
        var byRegistry = await Assert.ThrowsAsync<AddresseeSystem.Refused>(() => With(registryToken: "wrong-token").IssueCodesAsync([("K-1", number)]));
        Assert.Equal(("registry", System.Net.HttpStatusCode.Unauthorized), (byRegistry.Service, byRegistry.StatusCode));
        Assert.Equal(0L, await AcquisitionsAsync(kashiwa));
        var byCore = await Assert.ThrowsAsync<AddresseeSystem.Refused>(() => With(coreToken: "bunkyo-code-requests").IssueCodesAsync([("K-1", number)]));
        Assert.Equal(("core", System.Net.HttpStatusCode.Forbidden), (byCore.Service, byCore.StatusCode));
        Assert.Equal(0L, await AcquisitionsAsync(kashiwa));
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var nowhere = new Uri($"https://127.0.0.1:{((System.Net.IPEndPoint)closed.LocalEndpoint).Port}/");
        closed.Stop();
        await Assert.ThrowsAsync<HttpRequestException>(() => With(core: nowhere).IssueCodesAsync([("K-1", number)]));
        Assert.Equal(0L, await AcquisitionsAsync(kashiwa));
        Assert.Null(await CodeOfAsync(kashiwa, "K-1"));
        // Each was found by a request of no one, before the node was asked for an acquisition number or the Registry sent a number.
        await using (var c = await kashiwa.OpenAsync()) Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM addressees"));

        // Discarding is for the tenant's addressee system only.
        var discard = new { acquisitionNumbers = new[] { "a-1" } };
        await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-tax-system").PostAsJsonAsync($"api/tenants/{LinkageNetwork.Kashiwa}/acquisitions/discard", discard), 403, "forbidden");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-addressee").PostAsJsonAsync($"api/tenants/{LinkageNetwork.Kashiwa}/acquisitions/discard", discard), 403, "another-tenant");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-addressee").PostAsJsonAsync($"api/tenants/{LinkageNetwork.Kashiwa}/acquisitions/discard",
            new { acquisitionNumbers = Array.Empty<string>() }), 400, "invalid-request");

        // One older than a link key lives (a request that never came back) is removed when acquisitions are next made, or codes delivered.
        async Task AbandonedAsync(string acquisition)
        {
            await using var c = await kashiwa.OpenAsync();
            await c.ExecuteAsync("INSERT INTO addressees (addressee_number, created_at) VALUES ('K-1', @t) ON CONFLICT (addressee_number) DO NOTHING", null,
                ("t", DateTime.UtcNow.ToString("O")));
            await c.ExecuteAsync("INSERT INTO acquisitions (acquisition_number, addressee_number, requested_at) VALUES (@a, 'K-1', @t)", null,
                ("a", acquisition), ("t", (DateTime.UtcNow - Renkei.Hosting.Linkage.LinkKeySeal.Lifetime - TimeSpan.FromMinutes(1)).ToString("O")));
        }
        await AbandonedAsync("abandoned-1");
        var fresh = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-addressee").PostAsJsonAsync($"api/tenants/{LinkageNetwork.Kashiwa}/acquisitions",
            new { addresseeNumbers = new[] { "K-2" } }));
        await using (var c = await kashiwa.OpenAsync())
            Assert.Equal([fresh.GetProperty("acquisitions")[0].GetProperty("acquisitionNumber").GetString()!],
                await c.QueryAsync("SELECT acquisition_number FROM acquisitions", r => r.GetString(0)));
        var acquisition = (await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-addressee").PostAsJsonAsync(
            $"api/tenants/{LinkageNetwork.Kashiwa}/acquisitions", new { addresseeNumbers = new[] { "K-1" } })))
            .GetProperty("acquisitions")[0].GetProperty("acquisitionNumber").GetString()!;
        await AbandonedAsync("abandoned-2");
        var sealedKey = (await LinkageNetwork.Ensure(await LinkageNetwork.Client(network.Registry, "link-keys-token").PostAsJsonAsync("api/link-keys",
            new { agency = LinkageNetwork.Kashiwa, items = new[] { new { acquisitionNumber = acquisition, individualNumber = number } } })))
            .GetProperty("results")[0].GetProperty("sealedLinkKey").GetString()!;
        await LinkageNetwork.Ensure(await network.CoreClient("kashiwa-code-requests").PostAsJsonAsync("api/codes/issue",
            new { agencyId = LinkageNetwork.Kashiwa, requests = new[] { new { acquisitionNumber = acquisition, sealedLinkKey = sealedKey } } }));
        Assert.NotNull(await CodeOfAsync(kashiwa, "K-1"));
        // K-2's acquisition, still waiting for its code, is kept until it is discarded or expires.
        Assert.Equal(1L, await AcquisitionsAsync(kashiwa));
    }

    [Theory, StorageData]
    public async Task Tenants_are_closed_to_callers_of_other_tenants_and_unknown_tenants_are_not_found(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var body = new { addresseeNumbers = new[] { "B-1" } };
        await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-addressee").PostAsJsonAsync($"api/tenants/{LinkageNetwork.Bunkyo}/acquisitions", body), 403, "another-tenant");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("node-admin").PostAsJsonAsync($"api/tenants/{LinkageNetwork.Bunkyo}/acquisitions", body), 403, "another-tenant");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{LinkageNetwork.Bunkyo}/acquisitions", body), 403, "forbidden");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-addressee").GetAsync($"api/tenants/{LinkageNetwork.Bunkyo}/addressees/B-1"), 403, "another-tenant");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-addressee").PostAsJsonAsync("api/tenants/999999/acquisitions", body), 404, "unknown-tenant");
        await ProblemAssert.IsProblemAsync(await network.NodeClient().PostAsJsonAsync($"api/tenants/{LinkageNetwork.Bunkyo}/acquisitions", body), 401, "unauthenticated");
        var invalid = await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-addressee").PostAsJsonAsync($"api/tenants/{LinkageNetwork.Bunkyo}/acquisitions",
            new { addresseeNumbers = new[] { "ok-1", "not ok!" } }), 400, "invalid-request");
        Assert.True(invalid.GetProperty("errors").TryGetProperty("addresseeNumbers[1]", out _));
        // Nothing was half-written by the refused batch.
        await using var c = await network.TenantDatabases[LinkageNetwork.Bunkyo].OpenAsync();
        Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM addressees"));
    }

    [Theory]
    [InlineData("123456789018", true)]
    [InlineData("12345678901", true)]
    [InlineData("1234-5678-9018", true)]
    [InlineData("1234 5678 9018", true)]
    [InlineData("1234\t5678\u20119018", true)]
    [InlineData("１２３４５６７８９０１８", true)]
    [InlineData("１２３４－５６７８－９０１", true)]
    [InlineData("1234567890", false)]
    [InlineData("1234567890123", false)]
    [InlineData("K-123456789018", true)]  // a prefix does not hide the number
    [InlineData("B-0001", false)]
    public void An_addressee_number_may_not_look_like_an_Individual_Number(string value, bool looksLikeOne)
    {
        Assert.Equal(looksLikeOne, global::Renkei.Hosting.NumberShape.ContainsIndividualNumber(value));
        if (looksLikeOne) Assert.False(global::Renkei.Node.Codes.CodeManagementApi.IsAddresseeNumber(value));
    }

    [Theory, StorageData]
    public async Task Values_shaped_like_an_Individual_Number_are_refused_wherever_an_addressee_number_is_taken(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo, Slug = "addressee-number-looks-like-individual-number";
        const string Number = "123456789018", Spaced = "1234-5678-9018";
        async Task Refused(HttpResponseMessage response)
        {
            var problem = await ProblemAssert.IsProblemAsync(response, 400, Slug);
            // The trace id is random hex, which now and then holds the same four digits.
            Assert.DoesNotContain("9018", ProblemAssert.WithoutTraceId(problem));
        }
        var tax = Copies.CopyTests.Tax();
        await Refused(await network.NodeClient("kashiwa-addressee").PostAsJsonAsync($"api/tenants/{K}/acquisitions", new { addresseeNumbers = new[] { "K-1", Spaced } }));
        await Refused(await network.NodeClient("kashiwa-addressee").GetAsync($"api/tenants/{K}/addressees/{Number}"));
        await Refused(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{K}/copies/{Number}/local-tax", tax));
        await Refused(await network.NodeClient("kashiwa-tax-system").GetAsync($"api/tenants/{K}/copies/{Spaced}/local-tax"));
        await Refused(await network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{B}/inquiries",
            new { addresseeNumber = Number, affair = "child-allowance", provider = K, item = "local-tax" }));
        await Refused(await network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{B}/inquiry-batches",
            new { affair = "child-allowance", provider = K, item = "local-tax", addresseeNumbers = new[] { "B-1", Number } }));
        await Refused(await network.NodeClient("kashiwa-auditor").GetAsync($"api/tenants/{K}/records?addresseeNumber={Number}"));

        // In a bulk import the line is refused with its reason, and the good lines kept.
        var lines = string.Join("\n", [.. new[] { "K-1", Spaced }.Select(n => JsonSerializer.Serialize(new { addresseeNumber = n, item = "local-tax", schemaVersion = 1, content = new { fiscalYear = 2025, totalIncome = 1, taxableIncome = 0, municipalTax = 0, prefecturalTax = 0 } }, ServiceDefaults.Json))]);
        var report = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PostAsync($"api/tenants/{K}/copies/import",
            new StringContent(lines, System.Text.Encoding.UTF8, "application/x-ndjson")));
        Assert.Equal(1, report.GetProperty("imported").GetInt32());
        var error = Assert.Single(report.GetProperty("errors").EnumerateArray());
        Assert.Equal(2, error.GetProperty("line").GetInt32());
        Assert.Contains("Individual Number", error.GetProperty("reason").GetString());

        // A prefix does not hide a number, nor does a copy's content: as text, as a twelve-digit amount, or as a name (which
        // the refusal then repeats masked, in its errors too).
        await Refused(await network.NodeClient("kashiwa-addressee").PostAsJsonAsync($"api/tenants/{K}/acquisitions", new { addresseeNumbers = new[] { "MN-" + Number } }));
        object[] contents =
        [
            new { fiscalYear = 2025, totalIncome = long.Parse(Number, System.Globalization.CultureInfo.InvariantCulture), taxableIncome = 0, municipalTax = 0, prefecturalTax = 0 },
            new { fiscalYear = 2025, totalIncome = Spaced, taxableIncome = 0, municipalTax = 0, prefecturalTax = 0 },
            new Dictionary<string, object> { ["fiscalYear"] = 2025, ["totalIncome"] = 1, ["note" + Number] = 1 },
        ];
        foreach (var content in contents)
        {
            var problem = await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync(
                $"api/tenants/{K}/copies/K-2/local-tax", new { schemaVersion = 1, content }), 400, "invalid-copy");
            Assert.DoesNotContain("9018", ProblemAssert.WithoutTraceId(problem));
        }

        // Nothing of the refused requests was stored: only K-1, from the import.
        foreach (var tenant in new[] { K, B })
        {
            await using var c = await network.TenantDatabases[tenant].OpenAsync();
            string[] expected = tenant == K ? ["K-1"] : [];
            Assert.Equal(expected, await c.QueryAsync("SELECT addressee_number FROM addressees", r => r.GetString(0)));
            Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM acquisitions"));
        }
    }

    [Fact]
    public async Task An_acquisition_of_many_malformed_addressee_numbers_names_the_first_twenty()
    {
        // Audit N: each malformed number had its own entry, so 100,000 of them made an answer of several megabytes.
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite);
        var numbers = Enumerable.Range(0, 1000).Select(i => $"K_{i:D4}").ToArray();
        var problem = await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-addressee").PostAsJsonAsync(
            $"api/tenants/{LinkageNetwork.Kashiwa}/acquisitions", new { addresseeNumbers = numbers }), 400, "invalid-request");
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"addresseeNumbers[{i}]"), problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Theory, StorageData]
    public async Task Full_width_addressee_numbers_are_refused_asking_for_half_width_wherever_an_addressee_number_is_taken(StorageProvider provider)
    {
        // Ｂ－０００００１ is not B-000001 to the node: answered, it was "obtain the code first", as if for another person.
        await using var network = await LinkageNetwork.StartAsync(provider);
        const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo, Slug = "addressee-number-full-width", Wide = "Ｂ－０００００１";
        async Task Refused(HttpResponseMessage response, string field)
        {
            var problem = await ProblemAssert.IsProblemAsync(response, 400, Slug);
            Assert.StartsWith($"{field}: 宛名番号は半角の英数字とハイフンで書いてください / ", problem.GetProperty("detail").GetString());
        }
        await Refused(await network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{B}/inquiries",
            new { addresseeNumber = Wide, affair = "child-allowance", provider = K, item = "local-tax" }), "addresseeNumber");
        await Refused(await network.NodeClient("bunkyo-child-clerk").PostAsJsonAsync($"api/tenants/{B}/inquiry-batches",
            new { affair = "child-allowance", provider = K, item = "local-tax", addresseeNumbers = new[] { "B-1", Wide } }), "addresseeNumbers[2]");
        await Refused(await network.NodeClient("kashiwa-addressee").PostAsJsonAsync($"api/tenants/{K}/acquisitions", new { addresseeNumbers = new[] { "K-1", "K\u3000２" } }), "addresseeNumbers[1]");
        await Refused(await network.NodeClient("kashiwa-addressee").GetAsync($"api/tenants/{K}/addressees/{Wide}"), "addresseeNumber");
        await Refused(await network.NodeClient("kashiwa-tax-system").GetAsync($"api/tenants/{K}/copies/{Wide}/local-tax"), "addresseeNumber");
        await Refused(await network.NodeClient("kashiwa-auditor").GetAsync($"api/tenants/{K}/records?addresseeNumber={Wide}"), "addresseeNumber");
        await Refused(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{K}/copies/{Wide}/local-tax", Copies.CopyTests.Tax()), "addresseeNumber");

        // An import line says the same, and the good lines are kept.
        var lines = string.Join("\n", [.. new[] { "K-1", Wide }.Select(n => JsonSerializer.Serialize(new { addresseeNumber = n, item = "local-tax", schemaVersion = 1, content = new { fiscalYear = 2025, totalIncome = 1, taxableIncome = 0, municipalTax = 0, prefecturalTax = 0 } }, ServiceDefaults.Json))]);
        var report = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PostAsync($"api/tenants/{K}/copies/import",
            new StringContent(lines, System.Text.Encoding.UTF8, "application/x-ndjson")));
        Assert.Equal(1, report.GetProperty("imported").GetInt32());
        var error = Assert.Single(report.GetProperty("errors").EnumerateArray());
        Assert.Equal((2, "addresseeNumber: " + global::Renkei.Node.Codes.CodeManagementApi.FullWidth), (error.GetProperty("line").GetInt32(), error.GetProperty("reason").GetString()));
        foreach (var tenant in new[] { K, B })
        {
            await using var c = await network.TenantDatabases[tenant].OpenAsync();
            string[] expected = tenant == K ? ["K-1"] : [];
            Assert.Equal(expected, await c.QueryAsync("SELECT addressee_number FROM addressees", r => r.GetString(0)));
            Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records"));
        }
    }

    [Theory, StorageData]
    public async Task The_core_issues_codes_only_for_link_keys_the_registry_sealed_for_that_agency_and_acquisition(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var (_, number) = await network.BirthAsync(LinkageNetwork.Bunkyo, "文京", "次郎", "2019-03-03");
        var acquisition = (await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-addressee").PostAsJsonAsync(
            $"api/tenants/{LinkageNetwork.Bunkyo}/acquisitions", new { addresseeNumbers = new[] { "B-1" } })))
            .GetProperty("acquisitions")[0].GetProperty("acquisitionNumber").GetString()!;
        var sealedKey = (await LinkageNetwork.Ensure(await LinkageNetwork.Client(network.Registry, "link-keys-token").PostAsJsonAsync("api/link-keys",
            new { agency = LinkageNetwork.Bunkyo, items = new[] { new { acquisitionNumber = acquisition, individualNumber = number } } })))
            .GetProperty("results")[0].GetProperty("sealedLinkKey").GetString()!;
        // Waiting for its code, the addressee is known and says so.
        var waiting = await LinkageNetwork.Ensure(await network.NodeClient("bunkyo-addressee").GetAsync($"api/tenants/{LinkageNetwork.Bunkyo}/addressees/B-1"));
        Assert.False(waiting.GetProperty("hasAgencyCode").GetBoolean());
        object Request(string agency, params (string Acquisition, string? Sealed)[] items) =>
            new { agencyId = agency, requests = items.Select(i => new { acquisitionNumber = i.Acquisition, sealedLinkKey = i.Sealed }).ToArray() };
        async Task<System.Text.Json.JsonElement> Refused(string token, object body, int status, string slug) =>
            await ProblemAssert.IsProblemAsync(await network.CoreClient(token).PostAsJsonAsync("api/codes/issue", body), status, slug);

        // Only the agency's own addressee system may ask for its codes.
        await Refused("operator-token", Request(LinkageNetwork.Bunkyo, (acquisition, sealedKey)), 403, "forbidden");
        await Refused("kashiwa-code-requests", Request(LinkageNetwork.Bunkyo, (acquisition, sealedKey)), 403, "forbidden");
        await ProblemAssert.IsProblemAsync(await network.CoreClient().PostAsJsonAsync("api/codes/issue", Request(LinkageNetwork.Bunkyo, (acquisition, sealedKey))), 401, "unauthenticated");

        // A link key sealed for one acquisition number does not open under another, nor when altered, nor as a plain key.
        var tampered = sealedKey[..20] + (sealedKey[20] == 'A' ? 'B' : 'A') + sealedKey[21..];
        var errors = (await Refused("bunkyo-code-requests", Request(LinkageNetwork.Bunkyo, ("other-acquisition", sealedKey)), 400, "invalid-request")).GetProperty("errors");
        Assert.Contains("another agency or acquisition number", errors.GetProperty("requests[0].sealedLinkKey")[0].GetString());
        await Refused("bunkyo-code-requests", Request(LinkageNetwork.Bunkyo, (acquisition, tampered)), 400, "invalid-request");
        await Refused("bunkyo-code-requests", Request(LinkageNetwork.Bunkyo, (acquisition, null)), 400, "invalid-request");
        await Refused("bunkyo-code-requests", new { agencyId = LinkageNetwork.Bunkyo, requests = new object?[] { null } }, 400, "invalid-request");
        // A plain key in a field the request does not have is refused by name, never dropped.
        var plain = await Refused("bunkyo-code-requests", new { agencyId = LinkageNetwork.Bunkyo, requests = new[] { new { acquisitionNumber = acquisition, linkKey = Convert.ToBase64String(new byte[32]) } } }, 400, "malformed-request");
        Assert.Contains("'requests[0].linkKey'", plain.GetProperty("detail").GetString());
        // One with an expired seal (made with the shared seal key, as the Registry would have made it an hour ago).
        var sealKey = new Renkei.Hosting.Linkage.LinkKeySeal(KeyFiles.Read(Path.Combine(network.DataFolder, "registry", "link-seal.key")));
        var expired = sealKey.Seal(LinkageNetwork.Bunkyo, "old-acquisition", new byte[32], DateTimeOffset.UtcNow.AddHours(-1));
        errors = (await Refused("bunkyo-code-requests", Request(LinkageNetwork.Bunkyo, ("old-acquisition", expired)), 400, "invalid-request")).GetProperty("errors");
        Assert.Contains("expired", errors.GetProperty("requests[0].sealedLinkKey")[0].GetString());

        // A batch with one bad item issues nothing at all.
        await Refused("bunkyo-code-requests", Request(LinkageNetwork.Bunkyo, (acquisition, sealedKey), ("x-2", tampered)), 400, "invalid-request");
        Assert.Null(await CodeOfAsync(network.TenantDatabases[LinkageNetwork.Bunkyo], "B-1"));

        // The good one alone is delivered; sent again, it matches no pending acquisition and changes nothing.
        var receipt = await LinkageNetwork.Ensure(await network.CoreClient("bunkyo-code-requests").PostAsJsonAsync("api/codes/issue", Request(LinkageNetwork.Bunkyo, (acquisition, sealedKey))));
        Assert.Equal((1, 0), (receipt.GetProperty("delivered").GetInt32(), receipt.GetProperty("unmatched").GetInt32()));
        var code = await CodeOfAsync(network.TenantDatabases[LinkageNetwork.Bunkyo], "B-1");
        Assert.NotNull(code);
        receipt = await LinkageNetwork.Ensure(await network.CoreClient("bunkyo-code-requests").PostAsJsonAsync("api/codes/issue", Request(LinkageNetwork.Bunkyo, (acquisition, sealedKey))));
        Assert.Equal((0, 1), (receipt.GetProperty("delivered").GetInt32(), receipt.GetProperty("unmatched").GetInt32()));
        Assert.Equal(code, await CodeOfAsync(network.TenantDatabases[LinkageNetwork.Bunkyo], "B-1"));
    }

    [Theory, StorageData]
    public async Task The_node_accepts_code_deliveries_only_from_the_core(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        // A delivery signed by anyone but the core, or replayed, is refused.
        using var impostor = PartyKeys.Generate();
        var forged = Envelope.Create("core", LinkageNetwork.Kashiwa, "code-delivery", "{}", impostor.Signing, TimeProvider.System);
        var asCore = network.Presenting(network.CoreCertificate, network.Node);
        await ProblemAssert.IsProblemAsync(await asCore.PostAsJsonAsync($"api/tenants/{LinkageNetwork.Kashiwa}/codes/delivered", forged, ServiceDefaults.Json), 401, "bad-signature");
        var stranger = Envelope.Create(LinkageNetwork.Bunkyo, LinkageNetwork.Kashiwa, "code-delivery", "{}", impostor.Signing, TimeProvider.System);
        await ProblemAssert.IsProblemAsync(await asCore.PostAsJsonAsync($"api/tenants/{LinkageNetwork.Kashiwa}/codes/delivered", stranger, ServiceDefaults.Json), 401, "unknown-sender");

        // Signed by the core and sealed to the tenant, but holding a code without its parts: refused whole, nothing written.
        var kashiwa = network.NodeTenants.Find(LinkageNetwork.Kashiwa)!;
        foreach (var codes in new[] { "[null]", "[{\"acquisitionNumber\":\"a-1\"}]", "[{\"agencyCode\":\"x\"}]" })
        {
            var id = Envelope.NewId();
            var body = JsonSerializer.Serialize(SealedPayload.Seal($"{{\"codes\":{codes}}}", kashiwa.Keys.Public, id), ServiceDefaults.Json);
            var delivery = Envelope.Create("core", LinkageNetwork.Kashiwa, "code-delivery", body, network.CoreKeys.Signing, TimeProvider.System, id);
            await ProblemAssert.IsProblemAsync(await asCore.PostAsJsonAsync($"api/tenants/{LinkageNetwork.Kashiwa}/codes/delivered", delivery, ServiceDefaults.Json),
                400, "unreadable-payload");
        }
    }
}
