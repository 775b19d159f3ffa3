using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Renkei.Pki.Cards;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

public class CardCommandTests
{
    [Fact]
    public async Task Sign_and_export_refuse_a_place_they_cannot_write_before_touching_the_card()
    {
        using var folder = new TempFolder();
        var document = folder.File("申請書.txt");
        await File.WriteAllTextAsync(document, "申請");
        Directory.CreateDirectory(document + ".p7s"); // a folder where the signature would go
        var card = folder.File("no.card");            // never opened: the output is checked first

        var sign = await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "HANAKO1", document);
        Assert.Equal(1, sign.ExitCode);
        Assert.Contains("申請書.txt.p7s はフォルダです / ", sign.Error);
        Assert.DoesNotContain("   at ", sign.Error);

        var signFolder = await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "HANAKO1", folder.Path);
        Assert.Equal(1, signFolder.ExitCode);
        Assert.Contains("はフォルダです。署名するのはファイルです / ", signFolder.Error);

        var file = folder.File("certs");
        await File.WriteAllTextAsync(file, "");
        var onFile = await RenkeiCommand.RunAsync("card", "export", "--card", card, "--out", file);
        Assert.Equal(1, onFile.ExitCode);
        Assert.Contains("はファイルです / ", onFile.Error);
        var underFile = await RenkeiCommand.RunAsync("card", "export", "--card", card, "--out", Path.Combine(file, "sub"));
        Assert.Equal(1, underFile.ExitCode);
        Assert.Contains("を作れません（", underFile.Error);
        Assert.Contains("/ cannot make the folder", underFile.Error);
        var inTheWay = folder.File("out");
        Directory.CreateDirectory(Path.Combine(inTheWay, "authentication-chain.pem"));
        var blocked = await RenkeiCommand.RunAsync("card", "export", "--card", card, "--out", inTheWay);
        Assert.Equal(1, blocked.ExitCode);
        Assert.Contains("authentication-chain.pem はフォルダです", blocked.Error);
        Assert.Equal(["authentication-chain.pem"], Directory.GetFileSystemEntries(inTheWay).Select(Path.GetFileName)); // none of the four written
        foreach (var result in new[] { onFile, underFile, blocked }) Assert.DoesNotContain("   at ", result.Error);

        // With a writable place, the card itself is what is refused.
        var noCard = await RenkeiCommand.RunAsync("card", "export", "--card", card, "--out", folder.File("fresh"));
        Assert.Equal(1, noCard.ExitCode);
        Assert.Contains("カードファイルがありません", noCard.Error);
        Assert.False(Directory.Exists(folder.File("fresh"))); // and the folder it made for the certificates is gone again
    }

    [Fact]
    public async Task Card_issue_refuses_an_out_in_a_folder_that_is_not_there_and_makes_none()
    {
        using var folder = new TempFolder();
        var data = folder.File("data");
        var missing = folder.File("typo");
        var issue = await RenkeiCommand.RunAsync("card", "issue", "--data", data, "--number", "123456789018", "--pin", "2468",
            "--signing-password", "HANAKO1", "--out", Path.Combine(missing, "x.card"));
        Assert.Equal(1, issue.ExitCode);
        var line = Assert.Single(issue.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"{missing}/x.card のフォルダがありません / the folder of {missing}/x.card does not exist", line);
        Assert.False(Directory.Exists(missing));
        Assert.False(Directory.Exists(data)); // refused before any network was started for it

        var onFolder = await RenkeiCommand.RunAsync("card", "issue", "--data", data, "--number", "123456789018", "--pin", "2468",
            "--signing-password", "HANAKO1", "--out", folder.Path);
        Assert.Equal(1, onFolder.ExitCode);
        Assert.Equal($"{folder.Path} はフォルダです / {folder.Path} is a folder, not a file", onFolder.Error.Trim());
    }

    [Fact]
    public async Task A_folder_that_cannot_be_made_is_explained_in_both_languages_alike()
    {
        using var folder = new TempFolder();
        var result = await RenkeiCommand.RunAsync("card", "export", "--card", folder.File("no.card"), "--out", "/proc/certs");
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // The reason was the runtime's English ("Could not find file '/proc/certs'.") after both halves.
        Assert.DoesNotContain("Could not find", line);
        Assert.Equal("フォルダ /proc/certs を作れません（その場所がないか、そこには作れません）/ cannot make the folder /proc/certs: it does not exist, or nothing can be made there", line);
    }

    [Fact]
    public async Task A_file_that_is_no_card_at_all_is_called_so_in_one_line_with_what_to_give_instead()
    {
        using var folder = new TempFolder();
        // Each used to end in "…: $" (the JSON path of the root), or, for a folder, in no reason at all.
        var cases = new (string Content, string Japanese, string English)[]
        {
            ("", "空のファイルです", "it is empty"),
            ("  \n", "空のファイルです", "it is empty"),
            ("hello", "JSONではありません", "it is not JSON"),
            ("{ not a card", "JSONではありません", "it is not JSON"),
            ("[1, 2]", "JSONの配列で、オブジェクトではありません", "it is a JSON array, not an object"),
            ("{}", "「format」が renkei-card/1 ではありません", "its format is not renkei-card/1"),
            ("""{"format":"renkei-card/9"}""", "「format」が renkei-card/1 ではありません", "its format is not renkei-card/1"),
        };
        var variant = 0;
        foreach (var (content, japanese, english) in cases)
        {
            var path = folder.File($"damaged-{++variant}.card");
            await File.WriteAllTextAsync(path, content);
            var result = await RenkeiCommand.RunAsync("card", "show", "--card", path, "--pin", "1234");
            Assert.Equal(1, result.ExitCode);
            var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal($"{path} はカードファイルではありません（{japanese}）。renkei card issue が書き出したファイルを指定してください / "
                + $"{path} is not a card file ({english}); give the file renkei card issue wrote", line);
        }

        var notAFile = await RenkeiCommand.RunAsync("card", "auth", "--card", folder.Path, "--pin", "1234", Convert.ToBase64String(new byte[16]));
        Assert.Equal(1, notAFile.ExitCode);
        Assert.Equal($"{folder.Path} はフォルダです。--card にはカードファイルを指定してください / {folder.Path} is a folder; give --card a card file", notAFile.Error.Trim());
    }

    [Fact]
    public async Task A_card_issued_through_a_commands_own_network_names_the_pki_that_renkei_up_serves_on_the_folder()
    {
        // Audit Q1: the command's own network listened on a passing port and the PKI wrote that into the card's certificates, so
        // after a loss report nothing ever answered for them and card sign stayed silent.
        using var folder = new TempFolder();
        var data = folder.File("data");
        var basePort = LoopbackPorts.FreeRange();
        string number;
        await using (var first = await Renkei.Cli.Network.SandboxNetwork.StartAsync(data, basePort))
            number = await MoveInAsync(first, data);
        // As renkei up keeps the port of its first start.
        Renkei.Cli.Network.FolderPort.KeepFirst(data, basePort);

        var card = folder.File("hanako.card");
        var issued = await RenkeiCommand.RunAsync("card", "issue", "--data", data, "--number", number, "--pin", "2468", "--signing-password", "HANAKO1", "--out", card);
        Assert.True(issued.ExitCode == 0, issued.Error);
        Assert.Contains("no network is running", issued.Error); // issued through its own network
        var token = IndividualNumberCard.Open(card);
        var ocsp = token.SigningCertificate.Extensions.OfType<X509AuthorityInformationAccessExtension>().SelectMany(a => a.EnumerateOcspUris()).Single();
        var crl = System.Text.Encoding.ASCII.GetString(token.AuthenticationCertificate.Extensions["2.5.29.31"]!.RawData);

        using var up = RenkeiCommand.Start(["up", "--data", data]); // no --port: the folder's own
        try
        {
            var pki = await RenkeiCommand.WaitForAsync(async () =>
            {
                if (up.HasExited) throw new InvalidOperationException("renkei up exited: " + await up.StandardError.ReadToEndAsync());
                return await Renkei.Cli.Network.NetworkFile.FindRunningAsync(data) is { Pki: { } entry } ? entry : null;
            }, TimeSpan.FromMinutes(2), "renkei up running");
            Assert.Equal($"http://127.0.0.1:{basePort + 4}/", pki.Url);
            Assert.Equal(pki.OcspUrl, ocsp);
            Assert.Contains(pki.Url + "crl/authentication.crl", crl);

            var lost = await RenkeiCommand.RunAsync("card", "report-lost", "--data", data, "--card", card);
            Assert.True(lost.ExitCode == 0, lost.Error);
            var document = folder.File("申請書.txt");
            await File.WriteAllTextAsync(document, "申請");
            var signed = await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "HANAKO1", document);
            Assert.True(signed.ExitCode == 0, signed.Error);
            Assert.Contains("warning: this card's signing certificate is revoked (reported lost)", signed.Error);
        }
        finally
        {
            RenkeiCommand.Terminate(up);
            await up.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.Equal(130, up.ExitCode);
    }

    [Fact]
    public async Task At_a_terminal_a_full_width_pin_matches_its_confirmation_and_a_bad_password_is_refused_before_its_own()
    {
        // Audit Q7: "１２３４" then "1234" were two PINs that "differ", though the card keeps both as 1234; and a lowercase signing
        // password was refused only after its confirmation had been typed too. Run under script(1), which gives the command a terminal.
        using var folder = new TempFolder();
        var data = folder.File("data");
        var command = $"dotnet {Path.Combine(AppContext.BaseDirectory, "renkei.dll")} card issue --data {data} --number - --out {folder.File("c.card")}";
        var start = new System.Diagnostics.ProcessStartInfo("script", ["-qec", command, "/dev/null"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        await process.StandardInput.WriteAsync("123456789018\n１２３４\n1234\nabc123\nabc123\n");
        await process.StandardInput.FlushAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        var shown = await output;
        Assert.True(process.ExitCode == 1, shown);
        Assert.Contains("署名用パスワードは英大文字と数字の6〜16文字です / the signing password is 6 to 16 capital letters and digits", shown);
        Assert.Contains("authentication PIN again", shown); // the PIN's confirmation was asked for and matched…
        Assert.DoesNotContain("differ", shown);
        Assert.DoesNotContain("signing password again", shown); // …the password's was not, once the password itself was refused
        Assert.False(Directory.Exists(data)); // and nothing was started for it
    }

    [Fact]
    public async Task Card_show_says_when_the_card_is_out_of_use_and_how_to_check_when_no_responder_answers()
    {
        // Audit Q9: a card taken out of use showed its face and number as if nothing had happened; card sign and auth warned.
        using var folder = new TempFolder();
        var data = folder.File("data");
        var card = folder.File("hanako.card");
        await using (var network = await Renkei.Cli.Network.SandboxNetwork.StartAsync(data))
        {
            await network.Describe().WriteAsync(data);
            var number = await MoveInAsync(network, data);
            var issued = await RenkeiCommand.RunAsync("card", "issue", "--data", data, "--number", number, "--pin", "2468", "--signing-password", "HANAKO1", "--out", card);
            Assert.True(issued.ExitCode == 0, issued.Error);
            var inUse = await RenkeiCommand.RunAsync("card", "show", "--card", card, "--pin", "2468");
            Assert.True(inUse.ExitCode == 0, inUse.Error);
            Assert.Equal("", inUse.Error); // a card in use: not a word

            var lost = await RenkeiCommand.RunAsync("card", "report-lost", "--data", data, "--card", card);
            Assert.True(lost.ExitCode == 0, lost.Error);
            var shown = await RenkeiCommand.RunAsync("card", "show", "--card", card, "--pin", "2468");
            Assert.True(shown.ExitCode == 0, shown.Error);
            Assert.Contains("番号 花子", shown.Output);
            Assert.Equal("注意: このカードは使えなくなっています（紛失届）。表示したのは交付時の記載です / "
                + "warning: this card is out of use (reported lost); what is shown is as it was at issue", shown.Error.Trim());
        }
        // No responder answers once the network is gone: the holder is told how to check, not left to think the card is fine.
        var offline = await RenkeiCommand.RunAsync("card", "show", "--card", card, "--pin", "2468");
        Assert.True(offline.ExitCode == 0, offline.Error);
        Assert.Contains("whether this card is still in use could not be checked (http://127.0.0.1:", offline.Error);
        Assert.Contains("run it again with the network running (renkei up)", offline.Error);
    }

    private static async Task<string> MoveInAsync(Renkei.Cli.Network.SandboxNetwork network, string data)
    {
        using var clerk = Renkei.Cli.Linkage.LinkageSandbox.Client(network.RegistryUrl, Renkei.Cli.Network.SandboxCallers.TokenOf(data, "clerk-121002"), network.Handler);
        var movedIn = await clerk.PostAsJsonAsync("api/municipalities/121002/events", new
        {
            kind = "move-in", from = "abroad", address = "千葉県千葉市中央区中央1-1-1",
            person = new { familyName = "番号", givenName = "花子", familyNameKana = "バンゴウ", givenNameKana = "ハナコ", dateOfBirth = "1985-04-01", sex = "female" },
        }, Renkei.Hosting.ServiceDefaults.Json);
        var body = await movedIn.Content.ReadAsStringAsync();
        Assert.True(movedIn.IsSuccessStatusCode, body);
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("individualNumber").GetString()!;
    }

    /// <summary>A card file made here, with self-signed certificates: enough for the card's own PIN checks, which need no network.</summary>
    internal static string LocalCard(TempFolder folder)
    {
        using var keys = IndividualNumberCard.Keys.Create();
        string SelfSigned(RSA key)
        {
            using var certificate = new CertificateRequest("CN=試験", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            return certificate.ExportCertificatePem();
        }
        using var recovery = RSA.Create(2048);
        var signing = SelfSigned(keys.Signing);
        var authentication = SelfSigned(keys.Authentication);
        var issued = new CardIssued("card-1", "resident-1", "121002", "2035-01-01", new HolderView("試験 花子", "千葉県千葉市中央区中央1-1-1", "1990-01-01", "female"),
            signing, authentication, signing, authentication, recovery.ExportSubjectPublicKeyInfoPem());
        var path = folder.File("hanako.card");
        IndividualNumberCard.Create(path, keys, issued, "123456789018", new Uri("https://127.0.0.1/"), "1234", "HANAKO1", "5678");
        return path;
    }

    [Fact]
    public async Task The_answer_to_a_challenge_prints_base64_as_it_is_without_escapes()
    {
        using var folder = new TempFolder();
        var card = LocalCard(folder);
        // Bytes whose base64 holds + and /: "+/+/…".
        var challenge = Convert.ToBase64String(Enumerable.Repeat(new byte[] { 0xFB, 0xFF, 0xBF }, 8).SelectMany(b => b).ToArray());
        Assert.Contains('+', challenge);
        var answered = await RenkeiCommand.RunAsync("card", "auth", "--card", card, "--pin", "1234", challenge);
        Assert.True(answered.ExitCode == 0, answered.Error);
        Assert.DoesNotContain("\\u002B", answered.Output);
        Assert.Contains($"\"challenge\":\"{challenge}\"", answered.Output);
        using var json = System.Text.Json.JsonDocument.Parse(answered.Output);
        Assert.Contains(json.RootElement.GetProperty("signature").GetString()!, answered.Output);
    }

    [Fact]
    public async Task A_pin_or_password_given_as_dash_is_read_from_a_line_of_standard_input_and_one_left_out_is_asked_for()
    {
        using var folder = new TempFolder();
        var card = LocalCard(folder);
        var document = folder.File("申請書.txt");
        await File.WriteAllTextAsync(document, "申請");
        var challenge = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var timeout = TimeSpan.FromMinutes(2);

        var shown = await RenkeiCommand.RunAsync(["card", "show", "--card", card, "--pin", "-"], "5678\n", timeout);
        Assert.True(shown.ExitCode == 0, shown.Error);
        Assert.Contains("**** **** 9018", shown.Output);
        var answered = await RenkeiCommand.RunAsync(["card", "auth", "--card", card, "--pin", "-", challenge], "1234\r\n", timeout);
        Assert.True(answered.ExitCode == 0, answered.Error);
        var signed = await RenkeiCommand.RunAsync(["card", "sign", "--card", card, "--signing-password", "-", document], "HANAKO1", timeout);
        Assert.True(signed.ExitCode == 0, signed.Error);
        Assert.True(File.Exists(document + ".p7s"));
        var fullWidth = await RenkeiCommand.RunAsync(["card", "sign", "--card", card, "--signing-password", "-", document], "ＨＡＮＡＫＯ１\n", timeout);
        Assert.True(fullWidth.ExitCode == 0, fullWidth.Error); // full-width capitals and digits, as an input method in full-width mode types them
        // The line is the secret as typed: what follows its end is not read, and a wrong one is a wrong try as ever.
        var wrong = await RenkeiCommand.RunAsync(["card", "show", "--card", card, "--pin", "-"], "9999\n5678\n", timeout);
        Assert.Equal("券面事項入力補助用暗証番号が違います（残り2回）/ wrong input-assist PIN (2 tries left)", wrong.Error.Trim());

        // Nothing to read: no line, or the option left out where no terminal can be asked. Neither is a try.
        var empty = await RenkeiCommand.RunAsync(["card", "show", "--card", card, "--pin", "-"], "", timeout);
        Assert.Equal(1, empty.ExitCode);
        Assert.Equal("標準入力に券面事項入力補助用暗証番号の行がありません（--pin -）/ standard input has no line for --pin -", empty.Error.Trim());
        var missing = await RenkeiCommand.RunAsync("card", "sign", "--card", card, document);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("--signing-password を指定してください（「--signing-password -」なら標準入力の1行から読みます）/ "
            + "give --signing-password, or --signing-password - to read it from a line of standard input", missing.Error.Trim());
        Assert.Equal(1, IndividualNumberCard.Open(card).FailuresOf(CardPin.InputAssist));
        Assert.Equal(0, IndividualNumberCard.Open(card).FailuresOf(CardPin.Signing));
    }

    [Fact]
    public async Task Card_show_help_says_the_face_needs_the_pin_as_a_script_without_it_is_refused()
    {
        // Audit T4: the help said the PIN was only for the input-assist data, but everything show prints is read with it.
        var help = await RenkeiCommand.RunAsync("card", "show", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.DoesNotContain("with the PIN", help.Output);
        Assert.Contains("show the card face and the input-assist data, which need the input-assist PIN", help.Output);

        using var folder = new TempFolder();
        var shown = await RenkeiCommand.RunAsync(["card", "show", "--card", LocalCard(folder)], "", TimeSpan.FromMinutes(2));
        Assert.Equal(1, shown.ExitCode);
        Assert.Empty(shown.Output);
        Assert.Contains("give --pin, or --pin - to read it from a line of standard input", shown.Error);
    }

    [Fact]
    public async Task A_pin_left_out_on_a_terminal_is_prompted_for_without_echo()
    {
        using var folder = new TempFolder();
        var card = LocalCard(folder);
        // script(1) gives renkei a terminal (a pty) as standard input, as a person at a shell has.
        var dll = Path.Combine(AppContext.BaseDirectory, "renkei.dll");
        var start = new System.Diagnostics.ProcessStartInfo("script")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in new[] { "-qec", $"dotnet '{dll}' card show --card '{card}'", "/dev/null" }) start.ArgumentList.Add(a);
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = System.Diagnostics.Process.Start(start)!;
        var seen = new System.Text.StringBuilder();
        var buffer = new char[256];
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        // The PIN is typed only once the prompt is there: before, the terminal would still echo it.
        while (!seen.ToString().Contains("input-assist PIN: "))
        {
            var read = await process.StandardOutput.ReadAsync(buffer, cts.Token);
            Assert.True(read > 0, $"no prompt: {seen}");
            seen.Append(buffer, 0, read);
        }
        await process.StandardInput.WriteAsync("5678\r");
        await process.StandardInput.FlushAsync();
        seen.Append(await process.StandardOutput.ReadToEndAsync(cts.Token));
        await process.WaitForExitAsync(cts.Token);
        var output = seen.ToString();
        Assert.True(process.ExitCode == 0, output);
        Assert.Contains("券面事項入力補助用暗証番号 / input-assist PIN: ", output);
        Assert.Contains("**** **** 9018", output);
        Assert.DoesNotContain("5678", output);
    }

    [Fact]
    public async Task Each_secret_of_the_card_is_named_as_what_it_is_when_it_is_wrong_or_locked()
    {
        using var folder = new TempFolder();
        var card = LocalCard(folder);
        var document = folder.File("申請書.txt");
        await File.WriteAllTextAsync(document, "申請");
        var challenge = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        // The signing password used to be called a PIN: "暗証番号が違います（残り4回）/ wrong PIN".
        var sign = await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "WRONG1", document);
        Assert.Equal(1, sign.ExitCode);
        Assert.Equal("署名用パスワードが違います（残り4回）/ wrong signing password (4 tries left)", sign.Error.Trim());
        var format = await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "hanako1", document);
        Assert.Equal("署名用パスワードは英大文字と数字の6〜16文字です / the signing password is 6 to 16 capital letters and digits", format.Error.Trim());
        var auth = await RenkeiCommand.RunAsync("card", "auth", "--card", card, "--pin", "9999", challenge);
        Assert.Equal("利用者証明用暗証番号が違います（残り2回）/ wrong authentication PIN (2 tries left)", auth.Error.Trim());
        var show = await RenkeiCommand.RunAsync("card", "show", "--card", card, "--pin", "9999");
        Assert.Equal("券面事項入力補助用暗証番号が違います（残り2回）/ wrong input-assist PIN (2 tries left)", show.Error.Trim());
        var pinFormat = await RenkeiCommand.RunAsync("card", "show", "--card", card, "--pin", "12a4");
        Assert.Equal("券面事項入力補助用暗証番号は数字4桁です / the input-assist PIN is 4 digits", pinFormat.Error.Trim());

        for (var i = 0; i < 3; i++) await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "WRONG1", document);
        var last = await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "WRONG1", document);
        Assert.Equal("署名用パスワードはロックされています。市区町村の窓口で初期化してください / the signing password is locked; have it reset at the municipality", last.Error.Trim());
        var locked = await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "HANAKO1", document);
        Assert.Equal("署名用パスワードはロックされています。市区町村の窓口で初期化してください / the signing password is locked; have it reset at the municipality", locked.Error.Trim());
        foreach (var result in new[] { sign, format, last, locked }) Assert.DoesNotContain("PIN", result.Error);

        // Full-width digits are the digits they are (an input method in full-width mode types them); three are still not four.
        var fullWidthShort = await RenkeiCommand.RunAsync("card", "show", "--card", card, "--pin", "５６７");
        Assert.Equal("券面事項入力補助用暗証番号は数字4桁です / the input-assist PIN is 4 digits", fullWidthShort.Error.Trim());
        var fullWidth = await RenkeiCommand.RunAsync("card", "show", "--card", card, "--pin", "５６７８");
        Assert.True(fullWidth.ExitCode == 0, fullWidth.Error);
        var fullWidthAuth = await RenkeiCommand.RunAsync("card", "auth", "--card", card, "--pin", "１２３４", challenge);
        Assert.True(fullWidthAuth.ExitCode == 0, fullWidthAuth.Error);

        // The right ones still work where nothing is locked.
        var shown = await RenkeiCommand.RunAsync("card", "show", "--card", card, "--pin", "5678");
        Assert.True(shown.ExitCode == 0, shown.Error);
        Assert.Contains("**** **** 9018", shown.Output);
    }
}
