using System.Formats.Asn1;
using System.Net.Http.Json;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Pki.Cards;
using Renkei.Pki.Certificates;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

/// <summary>One key, one card: the ways a key a card already carries could come back as "another" key.</summary>
public sealed class OneKeyOneCardTests
{
    [Theory, StorageData]
    public async Task A_copied_cards_modulus_under_another_public_exponent_is_refused(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var holder = await sandbox.RegisterResidentAsync();
        var other = await sandbox.RegisterResidentAsync();
        await sandbox.IssueCardAsync(holder);
        using var taken = PkiSandbox.CardKeys(0); // the keys the first card was issued with
        using var fresh = sandbox.NextCardKeys();
        // Whoever copied the card's private key can factor its modulus and make a key pair on the same modulus with e = 65539 or so.
        using var sameModulus = WithAnotherExponent(taken.Authentication);

        var response = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards",
            new IssueCardRequest(other.IndividualNumber, fresh.SigningRequestPem, Request(sameModulus)), ServiceDefaults.Json);

        var problem = await ProblemAssert.IsProblemAsync(response, 400, "invalid-card-request");
        Assert.Equal("公開指数が65537の RSA 鍵が必要です / the RSA key's public exponent must be 65537",
            problem.GetProperty("errors").GetProperty("authenticationRequest")[0].GetString());
        await using var c = await IssuanceTests.TestDatabaseOf(sandbox).OpenAsync();
        Assert.Equal(1L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM cards"));
    }

    [Theory, StorageData]
    public async Task A_signing_key_of_a_card_issued_under_fifteen_is_refused_on_another_card(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var today = JapanTime.Today(TimeProvider.System);
        var child = await sandbox.RegisterResidentAsync(today.AddYears(-10).ToString("yyyy-MM-dd"));
        var other = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(child);
        Assert.False(card.HasSigningCertificate); // the signing key is on the card, with no certificate
        using var childs = PkiSandbox.CardKeys(0);
        using var fresh = sandbox.NextCardKeys();

        // In either role: the card made it, so it is on no other card.
        foreach (var (signing, authentication) in new[] { (childs.SigningRequestPem, fresh.AuthenticationRequestPem), (fresh.SigningRequestPem, childs.SigningRequestPem) })
        {
            var response = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards", new IssueCardRequest(other.IndividualNumber, signing, authentication), ServiceDefaults.Json);
            var problem = await ProblemAssert.IsProblemAsync(response, 409, "key-on-another-card");
            Assert.Contains("a cloned card or a faulty issuing system", problem.GetProperty("detail").GetString());
        }
        await using (var c = await IssuanceTests.TestDatabaseOf(sandbox).OpenAsync())
            Assert.Equal(1L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM cards"));
        var issued = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards", new IssueCardRequest(other.IndividualNumber, fresh.SigningRequestPem, fresh.AuthenticationRequestPem), ServiceDefaults.Json);
        Assert.Equal(System.Net.HttpStatusCode.Created, issued.StatusCode);
    }

    [Theory, StorageData]
    public async Task One_key_for_both_roles_is_refused_as_one_key_whatever_its_encoding(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        using var keys = sandbox.NextCardKeys();

        var response = await sandbox.PkiAdmin.PostAsJsonAsync("api/cards",
            new IssueCardRequest(resident.IndividualNumber, keys.SigningRequestPem, WithUnpaddedModulus(keys.Signing)), ServiceDefaults.Json);

        var problem = await ProblemAssert.IsProblemAsync(response, 400, "invalid-card-request");
        Assert.Equal("署名用と利用者証明用に別の鍵が必要です / the two certificates need different keys",
            problem.GetProperty("errors").GetProperty("authenticationRequest")[0].GetString());
        await using var c = await IssuanceTests.TestDatabaseOf(sandbox).OpenAsync();
        Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM cards"));
    }

    [Theory, StorageData]
    public async Task The_keys_certified_before_migration_0009_stay_each_on_its_card(StorageProvider provider)
    {
        using var folder = new TempFolder();
        var database = TestDatabases.CreateDatabase(provider, folder.Path);
        using var keys = PkiSandbox.CardKeys(0);
        // As 0007/0008 wrote it: the fingerprint of the certified key as .NET writes it again.
        var held = KeyFiles.PublicKeyFingerprint(keys.Signing.ExportSubjectPublicKeyInfo());
        await database.MigrateUpToAsync(typeof(PkiApp).Assembly, 8);
        await using (var c = await database.OpenAsync())
        {
            foreach (var (card, resident, fingerprint) in new[] { ("CHELD", "R1", held), ("CRELEASED", "R2", null) })
            {
                await c.ExecuteAsync("INSERT INTO cards (card_id, resident_id, municipality_code, issued_at, expires_on, status) VALUES (@c, @r, '121002', '2026-01-01T00:00:00.0000000Z', '2036-01-01', 'active')",
                    null, ("c", card), ("r", resident));
                await c.ExecuteAsync("INSERT INTO certificates (serial, kind, card_id, resident_id, issued_at, not_before, not_after, der, public_key_sha256) " +
                    "VALUES (@s, 'Signing', @c, @r, '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z', '2031-01-01T00:00:00.0000000Z', @d, @f)",
                    null, ("s", card + "S"), ("c", card), ("r", resident), ("d", new byte[] { 1 }), ("f", fingerprint));
            }
        }
        Assert.Equal(2, await database.MigrateAsync(typeof(PkiApp).Assembly)); // 0009 and 0010

        await using var check = await database.OpenAsync();
        Assert.Equal(["R1"], await CertificateStore.HoldersOfKeysAsync(check, held, held));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(check, "SELECT COUNT(*) FROM card_keys"));
        // The key stays on its card: another card's insert of it is refused by the database, as a new issuance is.
        await using var tx = await check.BeginTransactionAsync();
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => CertificateStore.HoldKeyAsync(check, tx, held, "CRELEASED", "R2"));
        Assert.True(Database.IsUniqueViolation(refused), refused.Message);
    }

    [Fact]
    public async Task A_key_whose_card_was_withdrawn_while_an_issuance_waited_on_it_is_answered_as_a_concurrent_issuance()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Postgres);
        var first = await sandbox.RegisterResidentAsync();
        var second = await sandbox.RegisterResidentAsync();
        using var keys = sandbox.NextCardKeys();
        var database = IssuanceTests.TestDatabaseOf(sandbox);

        // A card of the first resident is being stored with the keys: the second resident's issuance of them waits on the first.
        await using var storing = await database.OpenAsync();
        await using var stored = await storing.BeginTransactionAsync();
        var now = DateTime.UtcNow;
        await CardStore.InsertAsync(storing, stored, new CardRecord("CFIRST", first.ResidentId, PkiSandbox.Municipality, now, DateOnly.FromDateTime(now).AddYears(10), "pending"));
        foreach (var key in new[] { keys.Signing, keys.Authentication })
            await CertificateStore.HoldKeyAsync(storing, stored, KeyFiles.PublicKeyFingerprint(key.ExportSubjectPublicKeyInfo()), "CFIRST", first.ResidentId);
        var storer = await Sql.ScalarAsync<int>(storing, "SELECT pg_backend_pid()", stored);
        var issuing = sandbox.PkiAdmin.PostAsJsonAsync("api/cards",
            new IssueCardRequest(second.IndividualNumber, keys.SigningRequestPem, keys.AuthenticationRequestPem), ServiceDefaults.Json);
        await PkiSandbox.EventuallyAsync(async () => await Blocked(database, storer, "INSERT INTO card_keys%"), "the issuance waits on the stored key");

        // The first card is withdrawn (its keys given back) after it is stored and before the refused issuance asks who carries
        // the key: queued behind both for the whole table, the withdrawal holds back that question.
        await using var withdrawing = await database.OpenAsync();
        await using var withdrawal = await withdrawing.BeginTransactionAsync();
        var withdrawer = await Sql.ScalarAsync<int>(withdrawing, "SELECT pg_backend_pid()", withdrawal);
        var locked = Sql.ExecuteAsync(withdrawing, "LOCK TABLE card_keys IN ACCESS EXCLUSIVE MODE", withdrawal);
        await PkiSandbox.EventuallyAsync(async () => await Blocked(database, storer, "LOCK TABLE card_keys%"), "the withdrawal waits for the table");
        await stored.CommitAsync();
        await locked;
        await Sql.ExecuteAsync(withdrawing, "DELETE FROM card_keys WHERE card_id = 'CFIRST'", withdrawal);
        await PkiSandbox.EventuallyAsync(async () => await Blocked(database, withdrawer, "SELECT resident_id FROM card_keys%"), "the issuance asks who carries the key");
        await withdrawal.CommitAsync();

        // Not a clone, and not the holder's own card: no card carries the key now.
        var problem = await ProblemAssert.IsProblemAsync(await issuing, 409, "concurrent-issuance");
        Assert.Equal("同じ鍵のカードを同時に発行しようとしました / A card with the same key was being issued at the same moment", problem.GetProperty("title").GetString());
        await using var c = await database.OpenAsync();
        Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM cards WHERE resident_id = @r", null, ("r", second.ResidentId)));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(c, "SELECT COUNT(*) FROM card_keys"));
    }

    /// <summary>Whether a statement starting as <paramref name="query"/> waits on the session <paramref name="pid"/> (not another test's on the shared server).</summary>
    private static async Task<bool> Blocked(Database database, int pid, string query)
    {
        await using var c = await database.OpenAsync();
        return await c.ScalarAsync<long>("SELECT COUNT(*) FROM pg_stat_activity WHERE @h = ANY(pg_blocking_pids(pid)) AND query LIKE @q", null,
            ("h", pid), ("q", query)) > 0;
    }

    private static string Request(RSA key) =>
        new CertificateRequest("CN=card", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem();

    /// <summary>A key pair on <paramref name="key"/>'s modulus with the first exponent past 65537 that works: what the private key's holder can make.</summary>
    private static RSA WithAnotherExponent(RSA key)
    {
        var p = key.ExportParameters(true);
        BigInteger Int(byte[] b) => new(b, isUnsigned: true, isBigEndian: true);
        byte[] Bytes(BigInteger v, int length)
        {
            var b = v.ToByteArray(isUnsigned: true, isBigEndian: true);
            return [.. new byte[length - b.Length], .. b];
        }
        BigInteger P = Int(p.P!), Q = Int(p.Q!);
        var lambda = (P - 1) * (Q - 1) / BigInteger.GreatestCommonDivisor(P - 1, Q - 1);
        var e = new BigInteger(65539);
        while (BigInteger.GreatestCommonDivisor(e, lambda) != 1) e += 2;
        var d = Inverse(e, lambda);
        Assert.Equal(BigInteger.One, e * d % lambda);
        var made = RSA.Create();
        made.ImportParameters(new RSAParameters
        {
            Modulus = p.Modulus, Exponent = e.ToByteArray(isUnsigned: true, isBigEndian: true), D = Bytes(d, p.D!.Length),
            P = p.P, Q = p.Q, DP = Bytes(d % (P - 1), p.DP!.Length), DQ = Bytes(d % (Q - 1), p.DQ!.Length), InverseQ = p.InverseQ,
        });
        Assert.Equal(p.Modulus, made.ExportParameters(false).Modulus);
        return made;
    }

    /// <summary>The inverse of <paramref name="a"/> modulo <paramref name="m"/> (extended Euclid).</summary>
    private static BigInteger Inverse(BigInteger a, BigInteger m)
    {
        BigInteger r0 = m, r1 = a % m, t0 = 0, t1 = 1;
        while (r1 != 0)
        {
            var q = r0 / r1;
            (r0, r1) = (r1, r0 - q * r1);
            (t0, t1) = (t1, t0 - q * t1);
        }
        return t0 < 0 ? t0 + m : t0;
    }

    /// <summary>
    /// A request for <paramref name="key"/> whose modulus INTEGER leaves out the 0x00 that keeps it positive: valid DER, read as the same
    /// unsigned number by .NET and OpenSSL, but other bytes than the usual request of the same key.
    /// </summary>
    private static string WithUnpaddedModulus(RSA key)
    {
        var parameters = key.ExportParameters(false);
        Assert.True(parameters.Modulus![0] >= 0x80); // a 2048-bit modulus: the usual encoding pads it
        var rsaPublicKey = new AsnWriter(AsnEncodingRules.DER);
        using (rsaPublicKey.PushSequence())
        {
            rsaPublicKey.WriteEncodedValue([0x02, 0x82, (byte)(parameters.Modulus.Length >> 8), (byte)parameters.Modulus.Length, .. parameters.Modulus]);
            rsaPublicKey.WriteIntegerUnsigned(parameters.Exponent);
        }
        var spki = new AsnWriter(AsnEncodingRules.DER);
        using (spki.PushSequence())
        {
            using (spki.PushSequence())
            {
                spki.WriteObjectIdentifier("1.2.840.113549.1.1.1");
                spki.WriteNull();
            }
            spki.WriteBitString(rsaPublicKey.Encode());
        }
        return RequestWithSpki(key, spki.Encode());
    }

    /// <summary>A request signed by <paramref name="key"/> that carries it as <paramref name="spki"/>: the same key in another encoding.</summary>
    internal static string RequestWithSpki(RSA key, byte[] spki)
    {
        var publicKey = PublicKey.CreateFromSubjectPublicKeyInfo(spki, out _);
        var der = new CertificateRequest(new X500DistinguishedName("CN=card"), publicKey, HashAlgorithmName.SHA256)
            .CreateSigningRequest(X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1));
        // Proves the encoding differs from the usual request's: otherwise the case would test nothing new.
        Assert.DoesNotContain(Convert.ToHexString(key.ExportSubjectPublicKeyInfo()), Convert.ToHexString(der));
        Assert.Contains(Convert.ToHexString(spki), Convert.ToHexString(der));
        return PemEncoding.WriteString("CERTIFICATE REQUEST", der);
    }
}
