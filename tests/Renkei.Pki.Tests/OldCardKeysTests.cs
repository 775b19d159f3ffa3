using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Pki.Cards;
using Renkei.Pki.Certificates;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

/// <summary>One key, one card, for the keys card_keys did not get: cards from before migration 0007, pending cards taken out of use.</summary>
public sealed class OldCardKeysTests
{
    [Theory, StorageData]
    public async Task The_keys_of_cards_issued_before_migration_0007_are_kept_at_start(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var holder = await sandbox.RegisterResidentAsync();
        var other = await sandbox.RegisterResidentAsync();
        using var old = PkiSandbox.CardKeys(0);
        using var released = PkiSandbox.CardKeys(1);
        using var fresh = PkiSandbox.CardKeys(2);
        using var unseen = PkiSandbox.CardKeys(3);
        using var readable = PkiSandbox.CardKeys(4);

        // A database as the PKI left it at migration 0006: certificates without fingerprints.
        var storage = TestDatabases.Create(provider, sandbox.Folder);
        var database = new Database(storage);
        await database.MigrateUpToAsync(typeof(PkiApp).Assembly, 6);
        await using (var c = await database.OpenAsync())
        {
            // The holder's card; a copy of its authentication key on a second card issued after it (then, unchecked), whose id comes
            // first; a card withdrawn while pending.
            foreach (var (card, resident, status, issuedAt, keys) in new[]
            {
                ("C9OLD", holder.ResidentId, "active", "2025-12-01T00:00:00.0000000Z", new[] { old.Signing, old.Authentication }),
                ("C2COPY", "R-COPY", "active", "2026-01-01T00:00:00.0000000Z", new[] { released.Signing, old.Authentication }),
                ("C3WITHDRAWN", "R-WITHDRAWN", "withdrawn", "2026-01-01T00:00:00.0000000Z", new[] { fresh.Signing, released.Authentication }),
            })
            {
                await c.ExecuteAsync("INSERT INTO cards (card_id, resident_id, municipality_code, issued_at, expires_on, status) VALUES (@c, @r, '121002', @i, '2036-01-01', @s)",
                    null, ("c", card), ("r", resident), ("i", issuedAt), ("s", status));
                foreach (var (kind, key) in new[] { ("Signing", keys[0]), ("Authentication", keys[1]) })
                    await c.ExecuteAsync("INSERT INTO certificates (serial, kind, card_id, resident_id, issued_at, not_before, not_after, der) " +
                        "VALUES (@s, @k, @c, @r, '2026-01-02T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z', '2031-01-01T00:00:00.0000000Z', @d)",
                        null, ("s", card + kind), ("k", kind), ("c", card), ("r", resident), ("d", Certificate(key)));
            }
            // A certificate that cannot be read does not stop the start, nor cost its card the other key.
            await c.ExecuteAsync("INSERT INTO cards (card_id, resident_id, municipality_code, issued_at, expires_on, status) VALUES ('C4BAD', 'R-BAD', '121002', '2026-01-01T00:00:00.0000000Z', '2036-01-01', 'active')");
            foreach (var (kind, der) in new[] { ("Signing", Certificate(readable.Signing)), ("Authentication", new byte[] { 1 }) })
                await c.ExecuteAsync("INSERT INTO certificates (serial, kind, card_id, resident_id, issued_at, not_before, not_after, der) " +
                    "VALUES (@s, @k, 'C4BAD', 'R-BAD', '2026-01-02T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z', '2031-01-01T00:00:00.0000000Z', @d)",
                    null, ("s", "C4BAD" + kind), ("k", kind), ("d", der));
        }

        await sandbox.StartPkiAsync(s => s["Storage:ConnectionString"] = storage.ConnectionString);

        // The old card's key on another resident's card: refused as any key a card carries (it was certified again before).
        var response = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards",
            new IssueCardRequest(other.IndividualNumber, fresh.SigningRequestPem, old.AuthenticationRequestPem), ServiceDefaults.Json);
        var problem = await ProblemAssert.IsProblemAsync(response, 409, "key-on-another-card");
        Assert.Contains("a cloned card or a faulty issuing system", problem.GetProperty("detail").GetString());
        await using (var c = await database.OpenAsync())
        {
            Assert.Equal(4L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM cards"));
            // The copy's key stays the card issued first, logged; its other key is kept; the withdrawn card's keys stay released.
            Assert.Equal("C9OLD", await Sql.ScalarAsync<string>(c, "SELECT card_id FROM card_keys WHERE public_key_sha256 = @f", null, ("f", Fingerprint(old.Authentication))));
            Assert.Equal(["R-COPY"], await CertificateStore.HoldersOfKeysAsync(c, Fingerprint(released.Signing), Fingerprint(released.Signing)));
            Assert.Equal(["R-BAD"], await CertificateStore.HoldersOfKeysAsync(c, Fingerprint(readable.Signing), Fingerprint(readable.Signing)));
            Assert.Equal(4L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM card_keys"));
            Assert.Equal(1L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM pki_upkeep WHERE step = @s", null, ("s", OldCardKeys.Step)));
            // Read after the pass, as a card of then would have been: a later start must not look at it.
            await c.ExecuteAsync("INSERT INTO cards (card_id, resident_id, municipality_code, issued_at, expires_on, status) VALUES ('C5UNSEEN', 'R-UNSEEN', '121002', '2026-01-01T00:00:00.0000000Z', '2036-01-01', 'active')");
            await c.ExecuteAsync("INSERT INTO certificates (serial, kind, card_id, resident_id, issued_at, not_before, not_after, der) " +
                "VALUES ('C5UNSEENA', 'Authentication', 'C5UNSEEN', 'R-UNSEEN', '2026-01-02T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z', '2031-01-01T00:00:00.0000000Z', @d)",
                null, ("d", Certificate(unseen.Authentication)));
        }
        Assert.Single(sandbox.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("a key of card C2COPY is on card C9OLD too"));
        Assert.Single(sandbox.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("could not read certificate C4BADAuthentication of card C4BAD"));

        // The withdrawn card gave its keys back: a new card may carry them.
        var issued = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards",
            new IssueCardRequest(other.IndividualNumber, fresh.SigningRequestPem, released.AuthenticationRequestPem), ServiceDefaults.Json);
        Assert.Equal(System.Net.HttpStatusCode.Created, issued.StatusCode);

        // Once: a second start reads no certificate (the card stored meanwhile is not looked at), warns about none again, keeps
        // nothing more and takes back nothing.
        await sandbox.StartPkiAsync(s => s["Storage:ConnectionString"] = storage.ConnectionString);
        await using (var c = await database.OpenAsync())
        {
            Assert.Equal(6L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM card_keys"));
            Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM card_keys WHERE card_id = 'C5UNSEEN'"));
        }
        Assert.Single(sandbox.Logs.Lines, l => l.Contains("a key of card C2COPY is on card C9OLD too"));
        Assert.Single(sandbox.Logs.Lines, l => l.Contains("could not read certificate C4BADAuthentication of card C4BAD"));
    }

    [Theory, StorageData]
    public async Task The_pass_pages_through_the_cards_in_the_order_they_were_issued(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var database = TestDatabases.CreateDatabase(provider, folder.Path);
        using var shared = PkiSandbox.CardKeys(0);
        using var tie = PkiSandbox.CardKeys(1);
        using var middle = PkiSandbox.CardKeys(2);
        using var last = PkiSandbox.CardKeys(3);
        await database.MigrateUpToAsync(typeof(PkiApp).Assembly, 6);
        await using (var c = await database.OpenAsync())
        {
            // Issue order C2FIRST, C0TIE and C3MIDDLE at one instant, C1LAST (which shares C2FIRST's key); card_id order differs.
            foreach (var (card, issuedAt, keys) in new[]
            {
                ("C1LAST", "2026-01-03T00:00:00.0000000Z", new[] { last.Signing, shared.Authentication }),
                ("C3MIDDLE", "2026-01-02T00:00:00.0000000Z", new[] { middle.Signing, middle.Authentication }),
                ("C0TIE", "2026-01-02T00:00:00.0000000Z", new[] { tie.Signing, tie.Authentication }),
                ("C2FIRST", "2026-01-01T00:00:00.0000000Z", new[] { shared.Signing, shared.Authentication }),
            })
            {
                await c.ExecuteAsync("INSERT INTO cards (card_id, resident_id, municipality_code, issued_at, expires_on, status) VALUES (@c, @r, '121002', @i, '2036-01-01', 'active')",
                    null, ("c", card), ("r", "R-" + card), ("i", issuedAt));
                foreach (var (kind, key) in new[] { ("Signing", keys[0]), ("Authentication", keys[1]) })
                    await c.ExecuteAsync("INSERT INTO certificates (serial, kind, card_id, resident_id, issued_at, not_before, not_after, der) " +
                        "VALUES (@s, @k, @c, @r, @i, '2026-01-01T00:00:00.0000000Z', '2031-01-01T00:00:00.0000000Z', @d)",
                        null, ("s", card + kind), ("k", kind), ("c", card), ("r", "R-" + card), ("i", issuedAt), ("d", Certificate(key)));
            }
        }
        await database.MigrateAsync(typeof(PkiApp).Assembly);

        // A card per page: every card is reached once, none skipped at a page's end.
        Assert.Equal(7, await OldCardKeys.KeepAsync(database, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, 1, CancellationToken.None));
        await using var check = await database.OpenAsync();
        Assert.Equal("C2FIRST", await Sql.ScalarAsync<string>(check, "SELECT card_id FROM card_keys WHERE public_key_sha256 = @f", null, ("f", Fingerprint(shared.Authentication))));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(check, "SELECT COUNT(*) FROM card_keys WHERE card_id = 'C1LAST'"));
        Assert.Equal(2L, await Sql.ScalarAsync<long>(check, "SELECT COUNT(*) FROM card_keys WHERE card_id = 'C0TIE'"));
        Assert.Equal(2L, await Sql.ScalarAsync<long>(check, "SELECT COUNT(*) FROM card_keys WHERE card_id = 'C3MIDDLE'"));
        Assert.Equal(0, await OldCardKeys.KeepAsync(database, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, 1, CancellationToken.None));
    }

    [Theory, StorageData]
    public async Task A_key_on_two_residents_cards_stays_the_card_issued_first_and_one_holders_card_issued_again_keeps_its_keys(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var database = TestDatabases.CreateDatabase(provider, folder.Path);
        using var old = PkiSandbox.CardKeys(0);
        using var copy = PkiSandbox.CardKeys(1);
        using var back = PkiSandbox.CardKeys(2);
        using var again = PkiSandbox.CardKeys(3);
        // At migration 0008 (applied 2026-01-01): the certificates from before 0007 carry no fingerprint, the later ones do.
        await database.MigrateUpToAsync(typeof(PkiApp).Assembly, 8);
        await using (var c = await database.OpenAsync())
        {
            foreach (var (card, resident, status, issuedAt, keys, printed) in new[]
            {
                // The genuine card, and a copy of its authentication key on another resident's card, certified after 0007, which
                // compared it with the fingerprinted certificates only.
                ("C9OLD", "R-OLD", "active", "2025-12-01T00:00:00.0000000Z", new[] { old.Signing, old.Authentication }, false),
                ("C2COPY", "R-COPY", "active", "2026-02-01T00:00:00.0000000Z", new[] { copy.Signing, old.Authentication }, true),
                // A card never delivered (its holder moved abroad while it was made), issued again on the return: one chip, one holder.
                ("C1GONE", "R-BACK", "holder-gone", "2025-12-02T00:00:00.0000000Z", new[] { back.Signing, back.Authentication }, false),
                ("C6BACK", "R-BACK", "active", "2025-12-03T00:00:00.0000000Z", new[] { back.Signing, back.Authentication }, false),
                // The same, issued again after 0007.
                ("C3GONE", "R-AGAIN", "number-changed", "2025-12-04T00:00:00.0000000Z", new[] { again.Signing, again.Authentication }, false),
                ("C0AGAIN", "R-AGAIN", "active", "2026-02-02T00:00:00.0000000Z", new[] { again.Signing, again.Authentication }, true),
            })
            {
                await c.ExecuteAsync("INSERT INTO cards (card_id, resident_id, municipality_code, issued_at, expires_on, status) VALUES (@c, @r, '121002', @i, '2036-01-01', @s)",
                    null, ("c", card), ("r", resident), ("i", issuedAt), ("s", status));
                foreach (var (kind, key) in new[] { ("Signing", keys[0]), ("Authentication", keys[1]) })
                    await c.ExecuteAsync("INSERT INTO certificates (serial, kind, card_id, resident_id, issued_at, not_before, not_after, der, public_key_sha256) " +
                        "VALUES (@s, @k, @c, @r, @i, '2025-11-01T00:00:00.0000000Z', '2031-01-01T00:00:00.0000000Z', @d, @f)",
                        null, ("s", card + kind), ("k", kind), ("c", card), ("r", resident), ("i", issuedAt), ("d", Certificate(key)), ("f", printed ? Fingerprint(key) : null));
            }
        }
        await database.MigrateAsync(typeof(PkiApp).Assembly);

        var logs = new CapturedLogs();
        // C9OLD: its signing key, and the authentication key taken from the copy; C1GONE's two, then C6BACK's taking them; C3GONE none.
        Assert.Equal(6, await OldCardKeys.KeepAsync(database, logs.CreateLogger("OldCardKeys"), 1, CancellationToken.None));
        await using var check = await database.OpenAsync();
        async Task<string> HolderOf(RSA key) =>
            await Sql.ScalarAsync<string>(check, "SELECT card_id FROM card_keys WHERE public_key_sha256 = @f", null, ("f", Fingerprint(key))) ?? "(none)";
        Assert.Equal("C9OLD", await HolderOf(old.Authentication));
        Assert.Equal("R-OLD", await Sql.ScalarAsync<string>(check, "SELECT resident_id FROM card_keys WHERE public_key_sha256 = @f", null, ("f", Fingerprint(old.Authentication))));
        Assert.Equal("C9OLD", await HolderOf(old.Signing));
        Assert.Equal("C2COPY", await HolderOf(copy.Signing));
        Assert.Equal(["C6BACK", "C6BACK", "C0AGAIN", "C0AGAIN"],
            [await HolderOf(back.Signing), await HolderOf(back.Authentication), await HolderOf(again.Signing), await HolderOf(again.Authentication)]);
        // The copy is the card named as suspect; a holder's own card issued again is no clone.
        var warning = Assert.Single(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal));
        Assert.Contains("a key of card C2COPY is on card C9OLD too", warning);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(check, "SELECT COUNT(*) FROM pki_upkeep WHERE step = @s", null, ("s", OldCardKeys.Step)));
    }

    [Fact]
    public async Task A_key_kept_by_another_process_at_the_same_moment_leaves_the_step_to_the_next_start()
    {
        using var folder = new TempFolder();
        var database = TestDatabases.CreateDatabase(StorageProvider.Postgres, folder.Path);
        using var old = PkiSandbox.CardKeys(0);
        using var next = PkiSandbox.CardKeys(1);
        await database.MigrateUpToAsync(typeof(PkiApp).Assembly, 6);
        await using (var c = await database.OpenAsync())
            foreach (var (card, issuedAt, keys) in new[]
            {
                ("C1OLD", "2025-12-01T00:00:00.0000000Z", new[] { old.Signing, old.Authentication }),
                ("C2NEXT", "2025-12-02T00:00:00.0000000Z", new[] { next.Signing, next.Authentication }),
            })
            {
                await c.ExecuteAsync("INSERT INTO cards (card_id, resident_id, municipality_code, issued_at, expires_on, status) VALUES (@c, @r, '121002', @i, '2036-01-01', 'active')",
                    null, ("c", card), ("r", "R-" + card), ("i", issuedAt));
                foreach (var (kind, key) in new[] { ("Signing", keys[0]), ("Authentication", keys[1]) })
                    await c.ExecuteAsync("INSERT INTO certificates (serial, kind, card_id, resident_id, issued_at, not_before, not_after, der) " +
                        "VALUES (@s, @k, @c, @r, @i, '2025-11-01T00:00:00.0000000Z', '2031-01-01T00:00:00.0000000Z', @d)",
                        null, ("s", card + kind), ("k", kind), ("c", card), ("r", "R-" + card), ("i", issuedAt), ("d", Certificate(key)));
            }
        await database.MigrateAsync(typeof(PkiApp).Assembly);

        // Another PKI process, issuing a clone of C1OLD, has stored its authentication key but not yet committed.
        await using var issuing = await database.OpenAsync();
        await using var tx = await issuing.BeginTransactionAsync();
        var now = DateTime.UtcNow;
        await CardStore.InsertAsync(issuing, tx, new CardRecord("CCLONE", "R-CLONE", PkiSandbox.Municipality, now, DateOnly.FromDateTime(now).AddYears(10), "pending"));
        await CertificateStore.HoldKeyAsync(issuing, tx, Fingerprint(old.Authentication), "CCLONE", "R-CLONE");
        var issuer = await Sql.ScalarAsync<int>(issuing, "SELECT pg_backend_pid()", tx);
        var logs = new CapturedLogs();
        var pass = OldCardKeys.KeepAsync(database, logs.CreateLogger("OldCardKeys"), CancellationToken.None);
        await PkiSandbox.EventuallyAsync(async () =>
        {
            await using var p = await database.OpenAsync();
            return await p.ScalarAsync<long>("SELECT COUNT(*) FROM pg_stat_activity WHERE @h = ANY(pg_blocking_pids(pid))", null, ("h", issuer)) > 0;
        }, "the pass waits on the key the issuance stored");
        await tx.CommitAsync();

        // C2NEXT's two keys; none of C1OLD's, whose transaction was undone, and the step stays open.
        Assert.Equal(2, await pass);
        await using (var c = await database.OpenAsync())
        {
            Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM card_keys WHERE card_id = 'C1OLD'"));
            Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM pki_upkeep"));
        }
        Assert.Single(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("could not keep the keys of card C1OLD: checked again at the next start"));

        // The next start: C1OLD, issued first, keeps both keys, the clone is named, and the step is done.
        Assert.Equal(2, await OldCardKeys.KeepAsync(database, logs.CreateLogger("OldCardKeys"), CancellationToken.None));
        await using (var c = await database.OpenAsync())
        {
            Assert.Equal(2L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM card_keys WHERE card_id = 'C1OLD'"));
            Assert.Equal(1L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM pki_upkeep WHERE step = @s", null, ("s", OldCardKeys.Step)));
        }
        Assert.Single(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("a key of card CCLONE is on card C1OLD too"));
    }

    [Theory, StorageData]
    public async Task Migration_0010_marks_the_step_done_on_a_database_without_certificates_only(StorageProvider provider)
    {
        // Migrated alone, without a start, whose own pass would mark the step too.
        using var emptyFolder = new TempFolder();
        var empty = TestDatabases.CreateDatabase(provider, emptyFolder.Path);
        await empty.MigrateAsync(typeof(PkiApp).Assembly);
        await using (var c = await empty.OpenAsync())
        {
            var done = await Sql.ScalarAsync<string>(c, "SELECT done_at FROM pki_upkeep WHERE step = @s", null, ("s", OldCardKeys.Step));
            Assert.NotNull(done);
            Assert.InRange(CertificateStore.ParseUtc(done), DateTime.UtcNow.AddMinutes(-10), DateTime.UtcNow.AddMinutes(1));
        }

        // A certificate at migration 0009: the step is left to the start.
        using var folder = new TempFolder();
        var database = TestDatabases.CreateDatabase(provider, folder.Path);
        using var keys = PkiSandbox.CardKeys(0);
        await database.MigrateUpToAsync(typeof(PkiApp).Assembly, 9);
        await using (var c = await database.OpenAsync())
        {
            await c.ExecuteAsync("INSERT INTO cards (card_id, resident_id, municipality_code, issued_at, expires_on, status) VALUES ('C1', 'R-1', '121002', '2025-12-01T00:00:00.0000000Z', '2036-01-01', 'active')");
            await c.ExecuteAsync("INSERT INTO certificates (serial, kind, card_id, resident_id, issued_at, not_before, not_after, der) " +
                "VALUES ('C1A', 'Authentication', 'C1', 'R-1', '2025-12-01T00:00:00.0000000Z', '2025-11-01T00:00:00.0000000Z', '2031-01-01T00:00:00.0000000Z', @d)",
                null, ("d", Certificate(keys.Authentication)));
        }
        await database.MigrateAsync(typeof(PkiApp).Assembly);
        await using (var c = await database.OpenAsync())
            Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM pki_upkeep"));
    }

    [Theory, StorageData]
    public async Task A_pending_card_marked_holder_gone_gives_its_keys_back_and_an_active_one_keeps_them(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var holder = await sandbox.RegisterResidentAsync();
        var gone = await sandbox.RegisterResidentAsync();
        var other = await sandbox.RegisterResidentAsync();
        var delivered = await sandbox.IssueCardAsync(gone); // keys 0
        using var pendingKeys = sandbox.NextCardKeys(); // keys 1
        using var fresh = sandbox.NextCardKeys();
        var database = IssuanceTests.TestDatabaseOf(sandbox);
        var now = DateTime.UtcNow;
        // A pending card of the holder, its issuance cut off, then a death (or move abroad) of both residents applied as the follower does.
        await using (var c = await database.OpenAsync())
        {
            await using var tx = await database.BeginSerializedAsync(c, CardStore.LockKey(holder.ResidentId));
            await CardStore.InsertAsync(c, tx, new CardRecord("CPENDING", holder.ResidentId, PkiSandbox.Municipality, now, DateOnly.FromDateTime(now).AddYears(10), "pending"));
            foreach (var key in new[] { pendingKeys.Signing, pendingKeys.Authentication })
                await CertificateStore.HoldKeyAsync(c, tx, Fingerprint(key), "CPENDING", holder.ResidentId);
            await tx.CommitAsync();
        }
        foreach (var resident in new[] { holder, gone })
        {
            await using var c = await database.OpenAsync();
            await using var tx = await database.BeginSerializedAsync(c, CardStore.LockKey(resident.ResidentId));
            Assert.Equal(1, await CardStore.HolderGoneAsync(c, tx, resident.ResidentId, StaleBefore.Everything, DateTime.UtcNow));
            await tx.CommitAsync();
        }

        // The delivered card's keys stay its own.
        using var deliveredKeys = PkiSandbox.CardKeys(0);
        var refused = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards",
            new IssueCardRequest(other.IndividualNumber, fresh.SigningRequestPem, deliveredKeys.AuthenticationRequestPem), ServiceDefaults.Json);
        await ProblemAssert.IsProblemAsync(refused, 409, "key-on-another-card");

        // The pending card will never be activated: the same card can be issued again, here to its holder.
        var issued = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards",
            new IssueCardRequest(holder.IndividualNumber, pendingKeys.SigningRequestPem, pendingKeys.AuthenticationRequestPem), ServiceDefaults.Json);
        Assert.Equal(System.Net.HttpStatusCode.Created, issued.StatusCode);
        await using var check = await database.OpenAsync();
        Assert.Equal("holder-gone", await Sql.ScalarAsync<string>(check, "SELECT status FROM cards WHERE card_id = 'CPENDING'"));
        Assert.Equal("holder-gone", await Sql.ScalarAsync<string>(check, "SELECT status FROM cards WHERE card_id = @c", null, ("c", delivered.CardId)));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(check, "SELECT COUNT(*) FROM card_keys WHERE card_id = 'CPENDING'"));
    }

    private static string Fingerprint(RSA key) => KeyFiles.PublicKeyFingerprint(key.ExportSubjectPublicKeyInfo());

    private static byte[] Certificate(RSA key)
    {
        using var made = new CertificateRequest("CN=card", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero));
        return made.RawData;
    }
}
