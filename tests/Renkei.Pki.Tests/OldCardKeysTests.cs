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
            // A certificate that cannot be read does not stop the start.
            await c.ExecuteAsync("INSERT INTO cards (card_id, resident_id, municipality_code, issued_at, expires_on, status) VALUES ('C4BAD', 'R-BAD', '121002', '2026-01-01T00:00:00.0000000Z', '2036-01-01', 'active')");
            await c.ExecuteAsync("INSERT INTO certificates (serial, kind, card_id, resident_id, issued_at, not_before, not_after, der) " +
                "VALUES ('C4BADA', 'Authentication', 'C4BAD', 'R-BAD', '2026-01-02T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z', '2031-01-01T00:00:00.0000000Z', @d)",
                null, ("d", new byte[] { 1 }));
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
            Assert.Equal(3L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM card_keys"));
            Assert.Equal(1L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM pki_upkeep WHERE step = @s", null, ("s", OldCardKeys.Step)));
            // Read after the pass, as a card of then would have been: a later start must not look at it.
            await c.ExecuteAsync("INSERT INTO cards (card_id, resident_id, municipality_code, issued_at, expires_on, status) VALUES ('C5UNSEEN', 'R-UNSEEN', '121002', '2026-01-01T00:00:00.0000000Z', '2036-01-01', 'active')");
            await c.ExecuteAsync("INSERT INTO certificates (serial, kind, card_id, resident_id, issued_at, not_before, not_after, der) " +
                "VALUES ('C5UNSEENA', 'Authentication', 'C5UNSEEN', 'R-UNSEEN', '2026-01-02T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z', '2031-01-01T00:00:00.0000000Z', @d)",
                null, ("d", Certificate(unseen.Authentication)));
        }
        Assert.Single(sandbox.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("a key of card C2COPY is on card C9OLD too"));
        Assert.Single(sandbox.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("could not read a certificate of card C4BAD"));

        // The withdrawn card gave its keys back: a new card may carry them.
        var issued = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards",
            new IssueCardRequest(other.IndividualNumber, fresh.SigningRequestPem, released.AuthenticationRequestPem), ServiceDefaults.Json);
        Assert.Equal(System.Net.HttpStatusCode.Created, issued.StatusCode);

        // Once: a second start reads no certificate (the card stored meanwhile is not looked at), warns about none again, keeps
        // nothing more and takes back nothing.
        await sandbox.StartPkiAsync(s => s["Storage:ConnectionString"] = storage.ConnectionString);
        await using (var c = await database.OpenAsync())
        {
            Assert.Equal(5L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM card_keys"));
            Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM card_keys WHERE card_id = 'C5UNSEEN'"));
        }
        Assert.Single(sandbox.Logs.Lines, l => l.Contains("a key of card C2COPY is on card C9OLD too"));
        Assert.Single(sandbox.Logs.Lines, l => l.Contains("could not read a certificate of card C4BAD"));
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
    public async Task A_database_made_without_certificates_has_no_old_card_keys_to_read(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        await using var c = await IssuanceTests.TestDatabaseOf(sandbox).OpenAsync();
        // Marked by migration 0010 itself, which found no certificate: no start reads them for this.
        var done = await Sql.ScalarAsync<string>(c, "SELECT done_at FROM pki_upkeep WHERE step = @s", null, ("s", OldCardKeys.Step));
        Assert.InRange(CertificateStore.ParseUtc(done!), DateTime.UtcNow.AddMinutes(-10), DateTime.UtcNow.AddMinutes(1));
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
