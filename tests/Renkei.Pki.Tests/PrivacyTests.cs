using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Cards;
using Renkei.Pki.Verifiers;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

/// <summary>
/// Invariant 2 for the PKI: the Individual Number is stored by the Registry and on the card, and
/// nowhere else. The PKI receives it to check identity (issuance, PIN reset) and must not keep it,
/// log it or give it to anyone.
/// </summary>
public sealed class PrivacyTests
{
    [Theory, StorageData]
    public async Task No_issued_number_reaches_the_pki_storage_logs_or_answers(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        // Everything the PKI logs, at every level and category.
        await sandbox.StartPkiAsync(s =>
        {
            s["Logging:LogLevel:Default"] = "Trace";
            s["Logging:LogLevel:Microsoft"] = "Trace";
            s["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
            s["Logging:LogLevel:System.Net.Http"] = "Trace";
        });
        var residents = new List<Resident>();
        for (var i = 0; i < 3; i++) residents.Add(await sandbox.RegisterResidentAsync());
        var cards = new List<IndividualNumberCard>();
        foreach (var r in residents) cards.Add(await sandbox.IssueCardAsync(r));
        cards.Add(await sandbox.IssueCardAsync(residents[0]));   // a renewal supersedes the first card

        // What verifiers and anyone else ask of the PKI, in every outcome.
        var (approved, _) = await sandbox.RegisterVerifierAsync("private");
        var (unapproved, _) = await sandbox.RegisterVerifierAsync("private", approved: false);
        var document = Encoding.UTF8.GetBytes("申請書 / application");
        var cms = cards[1].Sign("ABC123", document).Cms!;
        foreach (var verifier in new[] { approved, unapproved })
        {
            await verifier.PostAsJsonAsync("api/verify/signature", new SignatureVerificationRequest(Convert.ToBase64String(document), Convert.ToBase64String(cms)), ServiceDefaults.Json);
            await verifier.PostAsJsonAsync("api/verify/signature", new SignatureVerificationRequest(Convert.ToBase64String([.. document, 1]), Convert.ToBase64String(cms)), ServiceDefaults.Json);
        }
        var challenge = RandomNumberGenerator.GetBytes(32);
        await approved.PostAsJsonAsync("api/verify/authentication", new AuthenticationRequest(Convert.ToBase64String(challenge),
            Convert.ToBase64String(cards[1].Authenticate("1234", challenge).Signature!), cards[1].AuthenticationCertificate.ExportCertificatePem()), ServiceDefaults.Json);
        await sandbox.RecordAsync(new { kind = "address-change", residentId = residents[1].ResidentId, address = "千葉県千葉市緑区誉田町1-1" });
        await PkiSandbox.EventuallyAsync(async () =>
        {
            var answer = await approved.PostAsJsonAsync("api/verify/current-items", new CurrentItemsRequest(cards[1].SigningCertificate.ExportCertificatePem()), ServiceDefaults.Json);
            return (await answer.Content.ReadFromJsonAsync<CurrentItems>(ServiceDefaults.Json))!.Provided;
        }, "the current items after the address change");
        await unapproved.PostAsJsonAsync("api/verify/current-items", new CurrentItemsRequest(cards[1].SigningCertificate.ExportCertificatePem()), ServiceDefaults.Json);
        foreach (var card in cards)
        {
            await sandbox.Anonymous.PostAsync("ocsp", Content(Ocsp.Request(card.SigningCertificate, IssuanceTests.Ca(sandbox, CertificateKind.Signing))));
            await sandbox.Anonymous.PostAsync("ocsp", Content(Ocsp.Request(card.AuthenticationCertificate, IssuanceTests.Ca(sandbox, CertificateKind.Authentication), RandomNumberGenerator.GetBytes(16))));
            await sandbox.PkiAdmin.GetAsync($"api/cards/{card.CardId}");
        }
        await sandbox.Anonymous.GetAsync("crl/signing.crl");
        await sandbox.Anonymous.GetAsync("ca/chain.pem");

        // The municipality's counter: a PIN reset by the holder, one by a stranger, a loss, an issuance refused.
        Assert.Equal(HttpStatusCode.OK, (await sandbox.PkiAdmin.PostAsJsonAsync($"api/cards/{cards[2].CardId}/pin-reset",
            new PinResetRequest(residents[2].IndividualNumber, cards[2].RecoveryBlob), ServiceDefaults.Json)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await sandbox.PkiAdmin.PostAsJsonAsync($"api/cards/{cards[2].CardId}/pin-reset",
            new PinResetRequest(residents[1].IndividualNumber, cards[2].RecoveryBlob), ServiceDefaults.Json)).StatusCode);
        await sandbox.PkiAdmin.PostAsync($"api/cards/{cards[2].CardId}/loss", null);
        await sandbox.RecordAsync(new { kind = "death", residentId = residents[2].ResidentId });
        // Keys on no card: the 409 is the dead holder's, not a key another card carries.
        using var keys = sandbox.NextCardKeys();
        Assert.Equal(HttpStatusCode.Conflict, (await sandbox.PkiAdmin.PostAsJsonAsync("api/cards",
            new IssueCardRequest(residents[2].IndividualNumber, keys.SigningRequestPem, keys.AuthenticationRequestPem), ServiceDefaults.Json)).StatusCode);
        await sandbox.PkiAdmin.PostAsJsonAsync("api/cards", new IssueCardRequest(residents[0].IndividualNumber, "junk", keys.AuthenticationRequestPem), ServiceDefaults.Json);
        await PkiSandbox.EventuallyAsync(async () => await Ocsp.StatusAsync(sandbox.Anonymous, cards[2].AuthenticationCertificate,
            IssuanceTests.Ca(sandbox, CertificateKind.Authentication)) == "revoked", "the death was applied");

        var numbers = residents.Select(r => r.IndividualNumber).ToList();
        // The scan finds a number where one is (the Registry's receipt holds it), so an empty result means something.
        Assert.NotEmpty(Leaks($"{{\"individualNumber\":\"{numbers[0]}\"}}", numbers));
        Assert.NotEmpty(Leaks($"個人番号 {numbers[1][..4]} {numbers[1][4..8]} {numbers[1][8..]}", numbers));

        // 1. Storage: every row of every table, and on SQLite the database files themselves.
        var rows = await DumpAsync(sandbox);
        Assert.Contains(rows, row => row.Contains(residents[0].ResidentId));   // the dump did read the cards
        Assert.Empty(rows.SelectMany(row => Leaks(row, numbers)));
        if (provider == StorageProvider.Sqlite)
        {
            var file = new SqliteConnectionStringBuilder(sandbox.PkiStorage.ConnectionString).DataSource;
            foreach (var path in new[] { file, file + "-wal" }.Where(File.Exists))
                Assert.Empty(Leaks(await ReadSharedAsync(path), numbers));
        }
        foreach (var path in Directory.GetFiles(sandbox.PkiFolder, "*", SearchOption.AllDirectories))
            Assert.Empty(Leaks(await ReadSharedAsync(path), numbers));

        // 2. Logs, at trace level.
        Assert.True(sandbox.Logs.Lines.Count > 50, $"only {sandbox.Logs.Lines.Count} log lines: is trace logging on?");
        Assert.Empty(sandbox.Logs.Lines.SelectMany(line => Leaks(line, numbers)));

        // 3. Every answer the PKI gave the municipality, verifiers and anyone: items yes (to the approved), numbers no.
        Assert.Contains(sandbox.PkiResponses, body => body.Contains(residents[1].GivenName));
        Assert.Empty(sandbox.PkiResponses.SelectMany(body => Leaks(body, numbers)));
    }

    private static ByteArrayContent Content(byte[] request)
    {
        var content = new ByteArrayContent(request);
        content.Headers.ContentType = new("application/ocsp-request");
        return content;
    }

    /// <summary>Which numbers a text holds: as 12 digits, or grouped 4-4-4 by a space or a hyphen.</summary>
    private static IEnumerable<string> Leaks(string text, IEnumerable<string> numbers) =>
        numbers.Where(n => new[] { n, $"{n[..4]} {n[4..8]} {n[8..]}", $"{n[..4]}-{n[4..8]}-{n[8..]}" }
            .Any(form => text.Contains(form, StringComparison.Ordinal)))
            .Select(n => $"a number (…{n[^4..]}) in: {text[..Math.Min(text.Length, 200)]}");

    private static async Task<string> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return Encoding.Latin1.GetString(buffer.ToArray()) + Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Each row of each of the PKI's tables as text (binary columns as Latin-1, so digits inside them show).</summary>
    private static async Task<List<string>> DumpAsync(PkiSandbox sandbox)
    {
        var database = IssuanceTests.TestDatabaseOf(sandbox);
        await using var c = await database.OpenAsync();
        var tables = await c.QueryAsync(database.Provider == StorageProvider.Postgres
            ? "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            : "SELECT name FROM sqlite_master WHERE type = 'table'", r => r.GetString(0));
        Assert.Contains("cards", tables);
        var rows = new List<string>();
        foreach (var table in tables)
        {
            await using var command = c.Command($"SELECT * FROM \"{table}\"");
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var row = new StringBuilder(table);
                for (var i = 0; i < reader.FieldCount; i++)
                    row.Append(" | ").Append(reader.GetValue(i) switch
                    {
                        byte[] bytes => Encoding.Latin1.GetString(bytes),
                        var value => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
                    });
                rows.Add(row.ToString());
            }
        }
        return rows;
    }
}
