using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Renkei.Cli.Network;
using Renkei.Hosting;
using Renkei.Pki.Cards;
using Renkei.Pki.Verifiers;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

/// <summary>The <c>renkei card</c> and <c>renkei pki</c> commands, run as a person would, against a running sandbox network.</summary>
public sealed class CliTests
{
    [Fact]
    public async Task Card_issue_show_sign_auth_export_and_pki_chain_and_crl_work_end_to_end()
    {
        using var folder = new TempFolder();
        var data = folder.File("data");
        await using var network = await SandboxNetwork.StartAsync(data);
        await network.Describe().WriteAsync(data);
        var network2 = NetworkFile.Read(data)!;
        // The API on HTTPS under the network CA; OCSP, CRLs and CA certificates on the plain-HTTP port.
        Assert.Equal(network.PkiUrl.ToString(), network2.Services["pki"].Url);
        Assert.StartsWith("https://", network2.Services["pki"].Url);
        Assert.StartsWith("http://", network2.Pki!.Url);
        Assert.Equal(network2.Pki.Url + "ocsp", network2.Pki.OcspUrl);
        Assert.Contains("BEGIN CERTIFICATE", network2.Pki.SigningChain);

        var number = await MoveInAsync(network, data, "番号", "花子", "バンゴウ", "ハナコ", "1985-04-01", "female");
        var card = folder.File("hanako.card");

        var refused = await RenkeiCommand.RunAsync("card", "issue", "--data", data, "--number", number, "--pin", "12", "--signing-password", "HANAKO1", "--out", card);
        Assert.Equal(1, refused.ExitCode);
        Assert.False(File.Exists(card));
        // The number and the PIN kept off the command line: lines of standard input, the number first.
        var issued = await RenkeiCommand.RunAsync(["card", "issue", "--data", data, "--number", "-", "--pin", "-", "--signing-password", "HANAKO1", "--out", card],
            $"{number}\n2468\n", TimeSpan.FromMinutes(5));
        Assert.True(issued.ExitCode == 0, issued.Error);
        Assert.DoesNotContain(number, issued.Output);

        var shown = await RenkeiCommand.RunAsync("card", "show", "--card", card, "--pin", "2468");
        Assert.True(shown.ExitCode == 0, shown.Error);
        Assert.Contains("番号 花子", shown.Output);
        Assert.Contains(number[8..], shown.Output);
        Assert.DoesNotContain(number, shown.Output);
        var wrong = await RenkeiCommand.RunAsync("card", "show", "--card", card, "--pin", "0000");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("残り2回", wrong.Error);
        // A missing or damaged card file is a plain message, not a stack trace.
        var garbage = folder.File("damaged.card");
        await File.WriteAllTextAsync(garbage, "{ not a card");
        foreach (var (path, says) in new[] { (folder.File("missing.card"), "カードファイルがありません"), (garbage, "はカードファイルではありません（JSONではありません）") })
            foreach (var args in new[] { new[] { "show", "--pin", "2468" }, ["auth", "--pin", "2468", Convert.ToBase64String(new byte[32])], ["export", "--out", folder.File("out")] })
            {
                var opened = await RenkeiCommand.RunAsync(["card", args[0], "--card", path, .. args[1..]]);
                Assert.NotEqual(0, opened.ExitCode);
                Assert.Contains(says, opened.Error);
                Assert.DoesNotContain("   at ", opened.Error);
            }
        // Valid JSON with fields missing or wrong: each named, with no stack trace, before any output is made.
        var good = JsonNode.Parse(await File.ReadAllTextAsync(card))!;
        JsonNode Damaged(Action<JsonNode> damage)
        {
            var copy = good.DeepClone();
            damage(copy);
            return copy;
        }
        var damaged = new (string Field, JsonNode File)[]
        {
            ("cardId", JsonNode.Parse("""{"format":"renkei-card/1"}""")!),
            ("authentication.pin.salt", Damaged(f => f["authentication"]!["pin"]!["salt"] = "not base64!")),
            ("authentication.secret.nonce", Damaged(f => f["authentication"]!["secret"]!["nonce"] = Convert.ToBase64String(new byte[5]))),
            ("authentication.certificate", Damaged(f => f["authentication"]!["certificate"] = "junk")),
            ("signing.certificate", Damaged(f => f["signing"]!["certificate"] = "junk")),
            ("authentication.pin.iterations", Damaged(f => f["authentication"]!["pin"]!["iterations"] = 0)),
            ("inputAssist.pin.iterations", Damaged(f => f["inputAssist"]!["pin"]!["iterations"] = -5)),
            ("authentication", Damaged(f => f.AsObject().Remove("authentication"))),
            ("signing.pin.wrappedKey", Damaged(f => f["signing"]!["pin"]!.AsObject().Remove("wrappedKey"))),
            ("authentication.pin.failures", Damaged(f => f["authentication"]!["pin"]!["failures"] = -1)),
            ("recovery", Damaged(f => f["recovery"] = "%%%")),
        };
        var variant = 0;
        foreach (var (field, json) in damaged)
        {
            var path = folder.File($"damaged-{++variant}.card");
            await File.WriteAllTextAsync(path, json.ToJsonString());
            var output = folder.File($"out-{variant}");
            foreach (var args in new[] { new[] { "show", "--pin", "2468" }, ["auth", "--pin", "2468", Convert.ToBase64String(new byte[32])], ["export", "--out", output] })
            {
                var opened = await RenkeiCommand.RunAsync(["card", args[0], "--card", path, .. args[1..]]);
                Assert.True(opened.ExitCode == 1, $"{field} {args[0]}: {opened.Error}");
                Assert.Contains("カードファイルを読めません / the card file cannot be read", opened.Error);
                Assert.Contains(field, opened.Error);
                if (field == "recovery") Assert.Contains("「recovery」がないか、base64ではありません / recovery is missing or not base64", opened.Error);
                Assert.DoesNotContain("   at ", opened.Error);
                Assert.False(Directory.Exists(output), $"{field} {args[0]} left {output}");
            }
        }

        var document = folder.File("申請書.txt");
        await File.WriteAllTextAsync(document, "電子申請 / e-application");
        var signed = await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "HANAKO1", document);
        Assert.True(signed.ExitCode == 0, signed.Error);
        var cms = new SignedCms(new ContentInfo(await File.ReadAllBytesAsync(document)), detached: true);
        cms.Decode(await File.ReadAllBytesAsync(document + ".p7s"));
        cms.CheckSignature(verifySignatureOnly: true);

        var exported = await RenkeiCommand.RunAsync("card", "export", "--card", card, "--out", folder.File("certs"));
        Assert.True(exported.ExitCode == 0, exported.Error);
        var signing = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(folder.File("certs/signing.pem")));
        Assert.Equal(cms.SignerInfos[0].Certificate!.Thumbprint, signing.Thumbprint);
        Assert.True(File.Exists(folder.File("certs/authentication.pem")));
        Assert.DoesNotContain("PRIVATE", string.Concat(Directory.GetFiles(folder.File("certs")).Select(File.ReadAllText)));

        // The authentication answer is what the verification API takes.
        var challenge = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var answer = await RenkeiCommand.RunAsync("card", "auth", "--card", card, "--pin", "2468", challenge);
        Assert.True(answer.ExitCode == 0, answer.Error);
        var request = JsonSerializer.Deserialize<AuthenticationRequest>(answer.Output, ServiceDefaults.Json)!;
        var admin = PkiSandbox.Client(network.PkiUrl, SandboxCallers.TokenOf(data, "admin"), network.Handler);
        var verifier = (await (await admin.PostAsJsonAsync("api/verifiers", new RegisterVerifierRequest("ポータル", "government"), ServiceDefaults.Json))
            .Content.ReadFromJsonAsync<VerifierRegistered>(ServiceDefaults.Json))!;
        var verification = await PkiSandbox.Client(network.PkiUrl, verifier.Token, network.Handler).PostAsJsonAsync("api/verify/authentication", request, ServiceDefaults.Json);
        var result = (await verification.Content.ReadFromJsonAsync<AuthenticationVerification>(ServiceDefaults.Json))!;
        Assert.True(result.Valid, result.Reason);

        var chain = await RenkeiCommand.RunAsync("pki", "chain", "--data", data);
        Assert.True(chain.ExitCode == 0, chain.Error);
        Assert.Equal(3, chain.Output.Split("BEGIN CERTIFICATE").Length - 1);
        var crl = await RenkeiCommand.RunAsync("pki", "crl", "--data", data, "--kind", "signing");
        Assert.True(crl.ExitCode == 0, crl.Error);
        Assert.Contains("-----BEGIN X509 CRL-----", crl.Output);
        Assert.NotEqual(0, (await RenkeiCommand.RunAsync("pki", "crl", "--data", data, "--kind", "other")).ExitCode);

        // The operator's view of the Registry feed, and the re-check after a Registry restore: hanako is alive and unchanged.
        var feed = await RenkeiCommand.RunAsync("pki", "feed", "--data", data);
        Assert.True(feed.ExitCode == 0, feed.Error);
        // It was English-only key=value (following position=… event=…).
        Assert.Matches(@"^住基イベントの反映 / Registry events: 反映中 / following, 位置 / position \d+, イベント / event \S+\r?\n", feed.Output);
        var recheck = await RenkeiCommand.RunAsync("pki", "recheck", "--data", data);
        Assert.True(recheck.ExitCode == 0, recheck.Error);
        Assert.Contains("照合したカード / cards checked: ", recheck.Output);
        Assert.Contains("revoked, holder gone: 0\n", recheck.Output.ReplaceLineEndings("\n"));
        Assert.Contains("items changed: 0\n", recheck.Output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Pki_recheck_follows_the_pkis_background_recheck_and_exits_non_zero_when_it_fails()
    {
        using var folder = new TempFolder();
        var data = folder.File("data");
        await using var network = await SandboxNetwork.StartAsync(data);
        await network.Describe().WriteAsync(data);
        var number = await MoveInAsync(network, data, "照合", "花子", "ショウゴウ", "ハナコ", "1985-04-01", "female");
        var issued = await RenkeiCommand.RunAsync("card", "issue", "--data", data, "--number", number, "--pin", "2468", "--signing-password", "HANAKO1", "--out", folder.File("card"));
        Assert.True(issued.ExitCode == 0, issued.Error);

        // The PKI's own database is held by another writer for longer than the PKI waits: the re-check fails at the card, and says how.
        await using (var writer = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(data, "pki", "pki.db")};Pooling=False"))
        {
            writer.Open();
            using var held = writer.BeginTransaction(deferred: false);
            var failed = await RenkeiCommand.RunAsync("pki", "recheck", "--data", data);
            held.Rollback();
            Assert.True(failed.ExitCode == 1, failed.Output + failed.Error);
            Assert.Contains("照合は終わりませんでした / the re-check did not finish", failed.Error);
            Assert.Contains("the feed position was not moved", failed.Error);
            Assert.DoesNotContain("   at ", failed.Error);
            Assert.DoesNotContain("following on from position", failed.Output);
        }
        var feed = await RenkeiCommand.RunAsync("pki", "feed", "--data", data);
        Assert.True(feed.ExitCode == 0, feed.Error);
        Assert.Contains("照合 / re-check: 失敗 / failed, 開始 / started ", feed.Output);

        var done = await RenkeiCommand.RunAsync("pki", "recheck", "--data", data);
        Assert.True(done.ExitCode == 0, done.Error);
        Assert.Contains("照合したカード / cards checked: 1\n", done.Output.ReplaceLineEndings("\n"));
        Assert.Contains("following on from position", done.Output);
        Assert.Matches(@"照合 / re-check: 完了 / done, 開始 / started \S+, 照合済み / checked 1/1, 反映したイベント / events replayed \d+, 所持者不在 / holder gone 0, 記載事項の変更 / items changed 0",
            (await RenkeiCommand.RunAsync("pki", "feed", "--data", data)).Output);
    }

    [Fact]
    public async Task The_sandbox_PKI_API_answers_only_on_https_while_OCSP_and_CRLs_stay_on_plain_http()
    {
        using var folder = new TempFolder();
        var data = folder.File("data");
        await using var network = await SandboxNetwork.StartAsync(data);
        var adminToken = SandboxCallers.TokenOf(data, "admin");
        var plain = PkiSandbox.Client(new Uri(network.PkiEntry.Url), adminToken);

        // Refused before the token is looked at: a wrong token gets the same answer, and nothing is registered.
        var refused = await plain.PostAsJsonAsync("api/verifiers", new RegisterVerifierRequest("平文", "government"), ServiceDefaults.Json);
        await ProblemAssert.IsProblemAsync(refused, 403, "https-required");
        await ProblemAssert.IsProblemAsync(await PkiSandbox.Client(new Uri(network.PkiEntry.Url), "wrong").GetAsync("api/cards/x"), 403, "https-required");
        await ProblemAssert.IsProblemAsync(await plain.PostAsJsonAsync("api/verify/authentication", new { }, ServiceDefaults.Json), 403, "https-required");

        // The public side needs no trust in the network CA.
        Assert.True((await plain.GetAsync("crl/signing.crl")).IsSuccessStatusCode);
        Assert.Contains("BEGIN CERTIFICATE", await plain.GetStringAsync("ca/chain.pem"));

        // Over HTTPS, a client that does not trust the network CA cannot connect; one that does is served.
        await Assert.ThrowsAsync<HttpRequestException>(() => PkiSandbox.Client(network.PkiUrl, adminToken).GetAsync("api/cards/x"));
        var admin = PkiSandbox.Client(network.PkiUrl, adminToken, network.Handler);
        await ProblemAssert.IsProblemAsync(await admin.GetAsync("api/cards/no-such-card"), 404, "unknown-card");
        Assert.True((await admin.PostAsJsonAsync("api/verifiers", new RegisterVerifierRequest("暗号化", "government"), ServiceDefaults.Json)).IsSuccessStatusCode);

        // Certificates name the plain-HTTP addresses, which relying parties can fetch without the network CA.
        var number = await MoveInAsync(network, data, "平文", "次郎", "ヒラブン", "ジロウ", "1990-01-01", "male");
        using var keys = IndividualNumberCard.Keys.Create();
        var issued = await admin.PostAsJsonAsync("api/cards", new IssueCardRequest(number, keys.SigningRequestPem, keys.AuthenticationRequestPem), ServiceDefaults.Json);
        Assert.True(issued.IsSuccessStatusCode, await issued.Content.ReadAsStringAsync());
        var card = (await issued.Content.ReadFromJsonAsync<CardIssued>(ServiceDefaults.Json))!;
        var signing = X509Certificate2.CreateFromPem(card.SigningCertificate);
        var access = signing.Extensions.OfType<X509AuthorityInformationAccessExtension>().Single();
        Assert.Equal(network.PkiEntry.OcspUrl, access.EnumerateOcspUris().Single());
        Assert.Contains(network.PkiEntry.Url + "crl/signing.crl", signing.Extensions["2.5.29.31"]!.Format(false));
    }

    [Fact]
    public async Task Card_reset_pin_unlocks_after_the_identity_check_and_refuses_a_stranger_an_unknown_card_and_bad_input()
    {
        using var folder = new TempFolder();
        var data = folder.File("data");
        await using var network = await SandboxNetwork.StartAsync(data);
        await network.Describe().WriteAsync(data);
        var number = await MoveInAsync(network, data, "窓口", "一郎", "マドグチ", "イチロウ", "1975-07-07", "male");
        var stranger = await MoveInAsync(network, data, "窓口", "二郎", "マドグチ", "ジロウ", "1975-07-07", "male");
        var card = folder.File("ichiro.card");
        var issued = await RenkeiCommand.RunAsync("card", "issue", "--data", data, "--number", number, "--pin", "2468", "--signing-password", "ICHIRO1", "--out", card);
        Assert.True(issued.ExitCode == 0, issued.Error);

        // Lock the authentication PIN (3 wrong) and the signing password (5 wrong).
        var challenge = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        for (var i = 0; i < 3; i++) await RenkeiCommand.RunAsync("card", "auth", "--card", card, "--pin", "0000", challenge);
        var locked = await RenkeiCommand.RunAsync("card", "auth", "--card", card, "--pin", "2468", challenge);
        Assert.Equal(1, locked.ExitCode);
        Assert.Contains("ロックされています", locked.Error);
        var document = folder.File("届出.txt");
        await File.WriteAllTextAsync(document, "届出 / notification");
        for (var i = 0; i < 5; i++) await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "WRONG1", document);
        Assert.Contains("ロックされています", (await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "ICHIRO1", document)).Error);

        async Task<CliResult> Reset(params string[] args) => await RenkeiCommand.RunAsync(["card", "reset-pin", "--data", data, .. args]);

        // Refusals: nothing to reset, wrong formats, a number that is not one, a file that is not there or not a card.
        var nothing = await Reset("--card", card, "--number", number);
        Assert.Equal(1, nothing.ExitCode);
        Assert.Contains("いずれかを指定", nothing.Error);
        Assert.Contains("暗証番号は数字4桁", (await Reset("--card", card, "--number", number, "--pin", "12")).Error);
        Assert.Contains("英大文字と数字", (await Reset("--card", card, "--number", number, "--signing-password", "lower1")).Error);
        var badNumber = await Reset("--card", card, "--number", "123456789012", "--pin", "1357");
        Assert.Equal(1, badNumber.ExitCode);
        Assert.DoesNotContain(number, badNumber.Output + badNumber.Error);
        Assert.Contains("カードファイルがありません", (await Reset("--card", folder.File("none.card"), "--number", number, "--pin", "1357")).Error);
        await File.WriteAllTextAsync(folder.File("junk.card"), "{}");
        Assert.Contains("はカードファイルではありません", (await Reset("--card", folder.File("junk.card"), "--number", number, "--pin", "1357")).Error);

        // Another person at the counter: refused, and the card stays locked.
        var wrongPerson = await Reset("--card", card, "--number", stranger, "--pin", "1357");
        Assert.Equal(1, wrongPerson.ExitCode);
        Assert.Contains("本人確認ができません", wrongPerson.Error);
        Assert.DoesNotContain(stranger, wrongPerson.Output + wrongPerson.Error);
        Assert.True(IndividualNumberCard.Open(card).IsLocked(CardPin.Authentication));

        // A card this PKI never issued (its id changed): unknown, and nothing is written to it.
        var json = JsonNode.Parse(await File.ReadAllTextAsync(card))!;
        json["cardId"] = "C00000000000000000000";
        var unknownCard = folder.File("unknown.card");
        await File.WriteAllTextAsync(unknownCard, json.ToJsonString());
        var unknown = await Reset("--card", unknownCard, "--number", number, "--pin", "1357");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("該当するカードがありません", unknown.Error);
        Assert.True(IndividualNumberCard.Open(unknownCard).IsLocked(CardPin.Authentication));

        // "--number -" with no line to read: refused before the PKI is asked, and the card stays locked.
        var unread = await RenkeiCommand.RunAsync(["card", "reset-pin", "--data", data, "--card", card, "--number", "-", "--pin", "1357"], "", TimeSpan.FromMinutes(5));
        Assert.Equal((1, "標準入力に個人番号の行がありません（--number -）/ standard input has no line for --number -"), (unread.ExitCode, unread.Error.Trim()));
        Assert.True(IndividualNumberCard.Open(card).IsLocked(CardPin.Authentication));

        // The holder: both PINs reset and unlocked; the input-assist PIN, not asked for, is as it was. The number and the new
        // PIN come from standard input in the order the options are listed, the number first.
        var reset = await RenkeiCommand.RunAsync(["card", "reset-pin", "--data", data, "--card", card, "--number", "-", "--pin", "-", "--signing-password", "NEWPASS2"],
            $"{number}\n1357\n", TimeSpan.FromMinutes(5));
        Assert.True(reset.ExitCode == 0, reset.Error);
        Assert.Contains("暗証番号を初期化しました", reset.Output);
        Assert.DoesNotContain(number, reset.Output);
        Assert.Equal(1, (await RenkeiCommand.RunAsync("card", "auth", "--card", card, "--pin", "2468", challenge)).ExitCode);
        var answered = await RenkeiCommand.RunAsync("card", "auth", "--card", card, "--pin", "1357", challenge);
        Assert.True(answered.ExitCode == 0, answered.Error);
        var signed = await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "NEWPASS2", document);
        Assert.True(signed.ExitCode == 0, signed.Error);
        Assert.Equal(0, (await RenkeiCommand.RunAsync("card", "show", "--card", card, "--pin", "2468")).ExitCode);

        // A card reported lost is not reset.
        var cardId = IndividualNumberCard.Open(card).CardId;
        var admin = PkiSandbox.Client(network.PkiUrl, SandboxCallers.TokenOf(data, "admin"), network.Handler);
        Assert.True((await admin.PostAsync($"api/cards/{cardId}/loss", null)).IsSuccessStatusCode);
        var lost = await Reset("--card", card, "--number", number, "--pin", "9753");
        Assert.Equal(1, lost.ExitCode);
        Assert.Contains("有効ではありません", lost.Error);

        // Help: Japanese first, then English.
        var help = await RenkeiCommand.RunAsync("card", "reset-pin", "--help");
        Assert.Equal(0, help.ExitCode);
        var japanese = help.Output.IndexOf("暗証番号を初期化", StringComparison.Ordinal);
        var english = help.Output.IndexOf("reset PINs at the municipality", StringComparison.Ordinal);
        Assert.True(japanese >= 0 && english > japanese, help.Output);
        Assert.Contains("--input-assist-pin", help.Output);
    }

    [Fact]
    public async Task Card_sign_on_a_card_issued_under_fifteen_says_it_has_no_signing_certificate_and_export_writes_no_signing_pem()
    {
        await using var sandbox = await PkiSandbox.StartAsync(Renkei.Hosting.Storage.StorageProvider.Sqlite);
        var child = await sandbox.RegisterResidentAsync(Renkei.Hosting.JapanTime.Today(TimeProvider.System).AddYears(-10).ToString("yyyy-MM-dd"));
        var card = await sandbox.IssueCardAsync(child, signingPassword: "KODOMO1");
        var document = Path.Combine(sandbox.Folder, "届出.txt");
        await File.WriteAllTextAsync(document, "届出 / notification");

        var signed = await RenkeiCommand.RunAsync("card", "sign", "--card", card.Path, "--signing-password", "KODOMO1", document);
        Assert.Equal(1, signed.ExitCode);
        Assert.Contains(IndividualNumberCard.NoSigningCertificate, signed.Error);
        Assert.False(File.Exists(document + ".p7s"));
        Assert.Equal(0, IndividualNumberCard.Open(card.Path).FailuresOf(CardPin.Signing));

        var exported = await RenkeiCommand.RunAsync("card", "export", "--card", card.Path, "--out", Path.Combine(sandbox.Folder, "certs"));
        Assert.True(exported.ExitCode == 0, exported.Error);
        Assert.Contains("the card has no signing certificate", exported.Output);
        Assert.False(File.Exists(Path.Combine(sandbox.Folder, "certs", "signing.pem")));
        Assert.Contains("BEGIN CERTIFICATE", await File.ReadAllTextAsync(Path.Combine(sandbox.Folder, "certs", "authentication.pem")));
    }

    [Fact]
    public async Task Card_report_lost_revokes_both_certificates_after_which_sign_and_auth_warn_and_verifiers_refuse()
    {
        using var folder = new TempFolder();
        var data = folder.File("data");
        var card = folder.File("saburo.card");
        var document = folder.File("届出.txt");
        await File.WriteAllTextAsync(document, "届出 / notification");
        await using (var network = await SandboxNetwork.StartAsync(data))
        {
            await network.Describe().WriteAsync(data);
            var number = await MoveInAsync(network, data, "紛失", "三郎", "フンシツ", "サブロウ", "1980-03-03", "male");
            var issued = await RenkeiCommand.RunAsync("card", "issue", "--data", data, "--number", number, "--pin", "2468", "--signing-password", "SABURO1", "--out", card);
            Assert.True(issued.ExitCode == 0, issued.Error);
            var cardId = IndividualNumberCard.Open(card).CardId;
            var challenge = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

            // A good card signs and answers without a word on stderr.
            var before = await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "SABURO1", document);
            Assert.True(before.ExitCode == 0, before.Error);
            Assert.Equal("", before.Error);

            async Task<CliResult> Report(params string[] args) => await RenkeiCommand.RunAsync(["card", "report-lost", "--data", data, .. args]);
            string OneLine(CliResult result) => Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

            // Refusals before the PKI is asked: neither or both of --card and --card-id; then an id the PKI does not know.
            Assert.Equal("--card か --card-id のどちらか一つを指定してください / give one of --card and --card-id", OneLine(await Report()));
            Assert.Equal("--card か --card-id のどちらか一つを指定してください / give one of --card and --card-id", OneLine(await Report("--card", card, "--card-id", cardId)));
            var unknown = await Report("--card-id", "C00000000000000000000");
            Assert.Equal(1, unknown.ExitCode);
            Assert.Equal("404 該当するカードがありません / No such card: このIDのカードはありません / No card has this id.", OneLine(unknown));
            Assert.Equal(0, (await RenkeiCommand.RunAsync("card", "auth", "--card", card, "--pin", "2468", challenge)).ExitCode); // still active

            var reported = await Report("--card", card);
            Assert.True(reported.ExitCode == 0, reported.Error);
            Assert.Contains($"loss reported: the certificates of card {cardId} are revoked", reported.Output);
            Assert.Equal(2, reported.Lines.Count(l => l.EndsWith(": 失効 / revoked", StringComparison.Ordinal)));
            Assert.DoesNotContain(number, reported.Output + reported.Error);

            // Reported again (by id, as a clerk without the card would): the PKI's 409 card-not-active, on one line.
            var again = await Report("--card-id", cardId);
            Assert.Equal(1, again.ExitCode);
            Assert.Equal("409 このカードは有効ではありません / The card is not active: カードの状態は「紛失」です / The card is lost.", OneLine(again));

            // The card still signs and answers (the keys are on it), but says the certificate is revoked; verifiers refuse both.
            var signed = await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "SABURO1", document);
            Assert.Equal(0, signed.ExitCode);
            Assert.Contains("署名しました / signed", signed.Output);
            Assert.Equal("注意: このカードの署名用電子証明書は失効しています（紛失届）。この署名は検証で失効として拒否されます / "
                + "warning: this card's signing certificate is revoked (reported lost); a verifier will refuse this signature", OneLine(signed));
            var answered = await RenkeiCommand.RunAsync("card", "auth", "--card", card, "--pin", "2468", challenge);
            Assert.Equal(0, answered.ExitCode);
            Assert.Equal("注意: このカードの利用者証明用電子証明書は失効しています（紛失届）。この応答は検証で失効として拒否されます / "
                + "warning: this card's authentication certificate is revoked (reported lost); a verifier will refuse this answer", OneLine(answered));

            var admin = PkiSandbox.Client(network.PkiUrl, SandboxCallers.TokenOf(data, "admin"), network.Handler);
            var verifier = (await (await admin.PostAsJsonAsync("api/verifiers", new RegisterVerifierRequest("窓口", "government"), ServiceDefaults.Json))
                .Content.ReadFromJsonAsync<VerifierRegistered>(ServiceDefaults.Json))!;
            var verifierClient = PkiSandbox.Client(network.PkiUrl, verifier.Token, network.Handler);
            var signature = await verifierClient.PostAsJsonAsync("api/verify/signature", new SignatureVerificationRequest(
                Convert.ToBase64String(await File.ReadAllBytesAsync(document)), Convert.ToBase64String(await File.ReadAllBytesAsync(document + ".p7s"))), ServiceDefaults.Json);
            var signatureResult = (await signature.Content.ReadFromJsonAsync<SignatureVerification>(ServiceDefaults.Json))!;
            Assert.False(signatureResult.Valid);
            Assert.Equal("revoked", signatureResult.Reason);
            var authentication = await verifierClient.PostAsJsonAsync("api/verify/authentication",
                JsonSerializer.Deserialize<AuthenticationRequest>(answered.Output, ServiceDefaults.Json), ServiceDefaults.Json);
            var authenticationResult = (await authentication.Content.ReadFromJsonAsync<AuthenticationVerification>(ServiceDefaults.Json))!;
            Assert.False(authenticationResult.Valid);
            Assert.Equal("revoked", authenticationResult.Reason);
        }

        // With the PKI out of reach nothing is known, so nothing is said: signed, exit 0, stderr empty.
        var offline = await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "SABURO1", document);
        Assert.Equal(0, offline.ExitCode);
        Assert.Equal("", offline.Error);
    }

    /// <summary>千葉市's clerk records a synthetic person moving in from abroad; returns their Individual Number.</summary>
    private static async Task<string> MoveInAsync(SandboxNetwork network, string data, string family, string given, string familyKana, string givenKana,
        string dateOfBirth, string sex)
    {
        using var clerk = PkiSandbox.Client(network.RegistryUrl, SandboxCallers.TokenOf(data, "clerk-121002"), network.Handler);
        var moved = await clerk.PostAsJsonAsync("api/municipalities/121002/events", new
        {
            kind = "move-in", from = "abroad", address = "千葉県千葉市中央区中央1-1-1",
            person = new { familyName = family, givenName = given, familyNameKana = familyKana, givenNameKana = givenKana, dateOfBirth, sex },
        }, ServiceDefaults.Json);
        Assert.True(moved.IsSuccessStatusCode, await moved.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await moved.Content.ReadAsStringAsync()).RootElement.GetProperty("individualNumber").GetString()!;
    }
}
