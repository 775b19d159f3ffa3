using System.CommandLine;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Renkei.Cli.Linkage;
using Renkei.Cli.Network;
using Renkei.Cli.Pki;
using Renkei.Hosting;
using Renkei.Numbers;
using Renkei.Pki.Authorities;
using Renkei.Pki.Cards;

namespace Renkei.Cli.Card;

/// <summary>
/// <c>renkei card …</c>: the card reader. Issues a sandbox Individual Number Card (a token file),
/// shows it, signs with it, answers authentication challenges, and exports its certificates.
/// </summary>
public static class CardCommands
{
    public static Command Create()
    {
        var card = new Command("card", "個人番号カード（ソフトウェアトークン）/ the Individual Number Card as a token file");
        card.Subcommands.Add(Issue());
        card.Subcommands.Add(Show());
        card.Subcommands.Add(Sign());
        card.Subcommands.Add(Auth());
        card.Subcommands.Add(Export());
        card.Subcommands.Add(ResetPin());
        card.Subcommands.Add(ReportLost());
        return card;
    }

    private static Option<string> CardOption() => new("--card") { Description = "カードファイル / the card file", Required = true };

    /// <summary>The help of a PIN or password option, with how it may be kept off the command line (docs/pki.md).</summary>
    private static string SecretHelp(string japanese, string english, bool leftOutPrompts = true) =>
        $"{japanese}。「-」なら端末で入力を求め（表示しない）、端末でなければ標準入力の一行を読む"
        + (leftOutPrompts ? "。省略すると端末では入力を求める" : "（この順に一行ずつ）")
        + $" / {english}; - prompts for it without echo on a terminal, else reads one line of standard input"
        + (leftOutPrompts ? "; left out, a terminal prompts" : " (one line each, in this order)");

    /// <summary>The holder's Individual Number, which <c>-</c> keeps off the command line (docs/pki.md).</summary>
    private static Option<string?> NumberOption(string japanese, string english) => new("--number")
    {
        Description = $"{japanese}。「-」なら端末で入力を求め（表示しない）、端末でなければ標準入力の一行を読む（暗証番号より先に）"
            + $" / {english}; - prompts for it without echo on a terminal, else reads one line of standard input (before any PIN)",
        Required = true,
    };

    private static Option<string?> PinOption() => new("--pin") { Description = SecretHelp("利用者証明用暗証番号（数字4桁）", "the authentication PIN (4 digits)") };

    private static Option<string?> PasswordOption() => new("--signing-password")
    {
        Description = SecretHelp("署名用パスワード（英大文字・数字6〜16桁）", "signing password: 6–16 capital letters and digits"),
    };

    private static Command Issue()
    {
        var data = UpCommand.DataOption();
        var number = NumberOption("個人番号", "the resident's Individual Number");
        // The holder sets no input-assist PIN of its own here (card show asks for it): the help has to say which it is.
        var pin = new Option<string?>("--pin")
        {
            Description = SecretHelp("利用者証明用暗証番号（数字4桁）。券面事項入力補助用暗証番号（card show で使う）も同じものになる。後者は card reset-pin --input-assist-pin で変えられる",
                "the authentication PIN (4 digits), also set as the input-assist PIN that card show asks for (card reset-pin --input-assist-pin changes that one)"),
        };
        var password = PasswordOption();
        var output = new Option<string>("--out") { Description = "書き出すカードファイル / the card file to write", Required = true };
        var command = new Command("issue", "住基で本人を確認しカードを交付する / check the resident with the Registry and issue a sandbox card")
            { data, number, pin, password, output };
        command.SetAction(async (parse, ct) =>
        {
            if (CardSecrets.ReadNumber(parse.GetValue(number), "--number", out var unread) is not { } given) return CommandTree.Fail(unread!);
            if (!IndividualNumber.TryParse(given, out var n, out var problem)) return CommandTree.Fail(problem!.Message);
            if (CardSecrets.Read(parse.GetValue(pin), "--pin", CardPin.Authentication, confirm: true, out unread) is not { } pinValue)
                return CommandTree.Fail(unread!);
            if (CardSecrets.Read(parse.GetValue(password), "--signing-password", CardPin.Signing, confirm: true, out unread) is not { } passwordValue)
                return CommandTree.Fail(unread!);
            var path = Path.GetFullPath(parse.GetValue(output)!);
            if (File.Exists(path)) return CommandTree.Fail($"既にあります / {path} exists; choose another --out");
            // Issuing supersedes the resident's current card, so make sure the new one can be written first. A missing folder is
            // refused, as every other renkei output does: a mistyped one was made silently.
            if (OutputFile.Problem(path) is { } unwritable) return CommandTree.Fail(unwritable);

            using var keys = IndividualNumberCard.Keys.Create();
            using var stop = new Interruption(ct);
            PkiConnection pki;
            try { pki = await PkiConnection.OpenAsync(parse.GetValue(data)!, stop.Token).WaitAsync(stop.Token); }
            catch (OperationCanceledException) when (stop.Requested)
            {
                Console.Error.WriteLine("中断しました。カードは交付していません / interrupted; no card was issued");
                return Interruption.ExitCode;
            }
            await using var _ = pki;
            // Once asked, the PKI supersedes the current card: Ctrl+C or SIGTERM from here on waits until the new card is written.
            HttpResponseMessage response;
            string body;
            try
            {
                response = await pki.Http.PostAsJsonAsync("api/cards",
                    new IssueCardRequest(n.Digits, keys.SigningRequestPem, keys.AuthenticationRequestPem), ServiceDefaults.Json, CancellationToken.None);
                body = await AnswerText.ReadAsync(response.Content, CancellationToken.None);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                return CommandTree.Fail(IssueCutOff(e, pki.Url, pki.Http.Timeout));
            }
            if (!response.IsSuccessStatusCode) return CommandTree.Fail(ProblemText.Of(response, body));
            var issued = JsonSerializer.Deserialize<CardIssued>(body, ServiceDefaults.Json)!;
            var card = IndividualNumberCard.Create(path, keys, issued, n.Digits, pki.Url, pinValue, passwordValue, pinValue);
            Console.Out.WriteLine($"""
                カードを交付しました / card issued: {card.CardId}
                  氏名 / name            {card.Face.Name}
                  有効期限 / expires on  {card.Face.ExpiresOn}
                  署名用 / signing       {(card.HasSigningCertificate ? $"serial {card.SigningCertificate.SerialNumber}, until {card.SigningCertificate.NotAfter:yyyy-MM-dd}" : "なし / none")}
                  利用者証明用 / auth    serial {card.AuthenticationCertificate.SerialNumber}, until {card.AuthenticationCertificate.NotAfter:yyyy-MM-dd}
                  ファイル / file        {path}
                """);
            if (issued.NoSigningCertificate is { } none) Console.Out.WriteLine(none);
            if (!stop.Requested) return 0;
            Console.Error.WriteLine("中断の指示の前に交付は始まっていたため、カードを書き出してから止めました / the card was being issued when interrupted: it was written before stopping");
            return Interruption.ExitCode;
        });
        return command;
    }

    /// <summary>
    /// What card issue says when the PKI went away under it (audit W3): a connection never made sent nothing; after that, the PKI
    /// may have issued a card this command never got, which the next card issue supersedes as it would any current card.
    /// </summary>
    /// <param name="wait">The PKI client's own timeout, which RENKEI_ANSWER_WAIT_SECONDS does not set.</param>
    internal static string IssueCutOff(Exception e, Uri pki, TimeSpan wait)
    {
        var (japanese, english) = ServiceGone.Why(e, wait);
        return e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError }
            ? $"PKI（{pki}）に接続できないため（{japanese}）、カードは交付していません。ネットワークが動いているか確かめてください / "
                + $"cannot reach the PKI at {pki} ({english}): no card was issued; check that the network runs"
            : $"PKI（{pki}）からの応答が途中で途切れました（{japanese}）。カードは書き出していません。交付されていても使えないため、もう一度 card issue を実行してください（新しいカードが置き換えます）/ "
                + $"the answer of the PKI at {pki} was cut off ({english}): no card file was written. A card the PKI may have "
                + "issued cannot be used without it: run card issue again, and the new card supersedes it";
    }

    private static Command Show()
    {
        var card = CardOption();
        var pin = new Option<string?>("--pin") { Description = SecretHelp("券面事項入力補助用暗証番号（数字4桁）", "the input-assist PIN (4 digits)") };
        var reveal = new Option<bool>("--reveal") { Description = "個人番号を伏せずに表示する / print the Individual Number unmasked" };
        var command = new Command("show", "券面事項入力補助用暗証番号で券面事項と入力補助情報を表示する / show the card face and the input-assist data, which need the input-assist PIN") { card, pin, reveal };
        command.SetAction(async (parse, ct) =>
        {
            if (OpenCard(parse.GetValue(card)!, out var cardError) is not { } token) return CommandTree.Fail(cardError!);
            if (CardSecrets.Read(parse.GetValue(pin), "--pin", CardPin.InputAssist, confirm: false, out var unread) is not { } pinValue)
                return CommandTree.Fail(unread!);
            var (data, check) = token.ReadInputAssist(pinValue);
            if (data is null) return CommandTree.Fail(check.Message);
            var number = IndividualNumber.TryParse(data.IndividualNumber, out var n, out _) ? (parse.GetValue(reveal) ? n.Format() : n.Masked) : "?";
            Console.Out.WriteLine($"""
                個人番号カード / Individual Number Card {token.CardId}
                  氏名 / name             {data.Name}
                  住所 / address          {data.Address}
                  生年月日 / born         {data.DateOfBirth}
                  性別 / sex              {(data.Sex == "female" ? "女 / female" : "男 / male")}
                  個人番号 / number       {number}
                  有効期限 / expires on   {token.Face.ExpiresOn}
                  顔写真 / photo          {token.Face.Photo}
                """);
            if (await InUseAsync(token, ct) is { } warning) Console.Error.WriteLine(warning);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// What card show adds when the card is out of use, or may be: the file keeps the face and number of its issue, so a card
    /// taken out of use (a new number, a loss report, a new card) showed them as if nothing had happened. Every such cause revokes
    /// the authentication certificate; a change of the four items, the signing one only.
    /// </summary>
    private static async Task<string?> InUseAsync(IndividualNumberCard token, CancellationToken ct)
    {
        var authentication = await CertificateStatus.AskAsync(token.AuthenticationCertificate, token.AuthenticationChainPem, ct);
        switch (authentication.Status)
        {
            case CertificateStatus.Said.Revoked:
                return $"注意: このカードは使えなくなっています（{authentication.ReasonJapanese}）。表示したのは交付時の記載です / "
                    + $"warning: this card is out of use ({authentication.ReasonEnglish}); what is shown is as it was at issue";
            case CertificateStatus.Said.Unknown:
                return "注意: 認証局のOCSPはこのカードを知りません / warning: the PKI's OCSP responder does not know this card";
            case CertificateStatus.Said.NoAnswer:
                return $"このカードが使えるかどうかは確かめられませんでした（{authentication.Responder} が応答しません）。ネットワークを起動して（renkei up）もう一度実行してください / "
                    + $"whether this card is still in use could not be checked ({authentication.Responder} did not answer); run it again with the network running (renkei up)";
            case CertificateStatus.Said.NoResponder:
                return null;
        }
        if (!token.HasSigningCertificate) return null;
        var signing = await CertificateStatus.AskAsync(token.SigningCertificate, token.SigningChainPem, ct);
        return signing.Status == CertificateStatus.Said.Revoked
            ? $"注意: このカードの署名用電子証明書は失効しています（{signing.ReasonJapanese}）。表示したのは交付時の記載です / "
                + $"warning: this card's signing certificate is revoked ({signing.ReasonEnglish}); what is shown is as it was at issue"
            : null;
    }

    private static Command Sign()
    {
        var card = CardOption();
        var password = PasswordOption();
        var file = new Argument<string>("FILE") { Description = "署名する文書（FILE.p7s を書き出す）/ the document to sign (writes FILE.p7s)" };
        var command = new Command("sign", "文書に署名する（FILE.p7s に、署名用電子証明書付きの分離CMS署名を書き出す）/ sign a document: writes FILE.p7s, detached CMS with the signing certificate")
            { card, password, file };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (Directory.Exists(path)) return CommandTree.Fail($"{path} はフォルダです。署名するのはファイルです / {path} is a folder; sign a file");
            if (!File.Exists(path)) return CommandTree.Fail($"ファイルがありません / no such file: {path}");
            // Before the password is tried: a signature that cannot be written is a try spent for nothing.
            if (OutputFile.Problem(path + ".p7s") is { } unwritable) return CommandTree.Fail(unwritable);
            if (OpenCard(parse.GetValue(card)!, out var cardError) is not { } token) return CommandTree.Fail(cardError!);
            // Before the password is asked for: a card issued under 15 has nothing to sign with.
            if (!token.HasSigningCertificate) return CommandTree.Fail(IndividualNumberCard.NoSigningCertificate);
            if (CardSecrets.Read(parse.GetValue(password), "--signing-password", CardPin.Signing, confirm: false, out var unread) is not { } passwordValue)
                return CommandTree.Fail(unread!);
            var (cms, check) = token.Sign(passwordValue, await File.ReadAllBytesAsync(path, ct));
            if (cms is null) return CommandTree.Fail(check.Message);
            await File.WriteAllBytesAsync(path + ".p7s", cms, ct);
            Console.Out.WriteLine($"署名しました / signed: {path}.p7s");
            // The signature is the card's to make, revoked or not; exit 0 says it was made, the warning that it will be refused.
            if (await CertificateStatus.WarningAsync(token.SigningCertificate, token.SigningChainPem, CertificateKind.Signing, ct) is { } warning)
                Console.Error.WriteLine(warning);
            return 0;
        });
        return command;
    }

    private static Command Auth()
    {
        var card = CardOption();
        var pin = PinOption();
        var challenge = new Argument<string>("CHALLENGE") { Description = "検証者のチャレンジ（base64, 16バイト以上）/ the verifier's challenge, base64 of at least 16 bytes" };
        var command = new Command("auth", "利用者証明のチャレンジに応答する / answer an authentication challenge; prints JSON for POST /api/verify/authentication")
            { card, pin, challenge };
        command.SetAction(async (parse, ct) =>
        {
            byte[] bytes;
            try { bytes = Convert.FromBase64String(parse.GetValue(challenge)!); }
            catch (FormatException) { return CommandTree.Fail("チャレンジはbase64です / the challenge must be base64"); }
            if (bytes.Length < 16) return CommandTree.Fail("チャレンジは16バイト以上です / the challenge must be at least 16 bytes");
            if (OpenCard(parse.GetValue(card)!, out var cardError) is not { } token) return CommandTree.Fail(cardError!);
            if (CardSecrets.Read(parse.GetValue(pin), "--pin", CardPin.Authentication, confirm: false, out var unread) is not { } pinValue)
                return CommandTree.Fail(unread!);
            var (signature, check) = token.Authenticate(pinValue, bytes);
            if (signature is null) return CommandTree.Fail(check.Message);
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                challenge = Convert.ToBase64String(bytes),
                signature = Convert.ToBase64String(signature),
                certificate = token.AuthenticationCertificate.ExportCertificatePem(),
            }, PrintedJson));
            if (await CertificateStatus.WarningAsync(token.AuthenticationCertificate, token.AuthenticationChainPem, CertificateKind.Authentication, ct) is { } warning)
                Console.Error.WriteLine(warning);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// JSON for a terminal or a file, not a web page: base64's + and / and the PEM's characters as they are. The services' encoder
    /// escapes what HTML gives meaning to, so a relying party pasting the signature found "\u002B" where the base64 had "+".
    /// </summary>
    private static readonly JsonSerializerOptions PrintedJson = new(ServiceDefaults.Json) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static Command Export()
    {
        var card = CardOption();
        var output = new Option<string>("--out") { Description = "書き出すフォルダ / the folder to write signing.pem and authentication.pem to", Required = true };
        var command = new Command("export", "証明書を書き出す（秘密鍵は出ない）/ write the two certificates as PEM; private keys never leave the card") { card, output };
        command.SetAction(parse =>
        {
            var folder = Path.GetFullPath(parse.GetValue(output)!);
            if (File.Exists(folder)) return CommandTree.Fail($"{parse.GetValue(output)} はファイルです / {parse.GetValue(output)} is a file, not a folder");
            var made = !Directory.Exists(folder);
            try { Directory.CreateDirectory(folder); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                var (japanese, english) = IoText.Reason(e);
                return CommandTree.Fail($"フォルダ {parse.GetValue(output)} を作れません（{japanese}）/ cannot make the folder {parse.GetValue(output)}: {english}");
            }
            string[] names = ["signing.pem", "authentication.pem", "signing-chain.pem", "authentication-chain.pem"];
            // All four are checked before any is written, so that a failure leaves no half of them.
            var refused = names.Select(n => OutputFile.Problem(Path.Combine(folder, n))).FirstOrDefault(p => p is not null);
            // The place is checked before the card is touched; either refusal leaves no folder of its own behind (it is still empty).
            if (refused is not null || OpenCard(parse.GetValue(card)!, out refused) is not { } token)
            {
                if (made) Directory.Delete(folder);
                return CommandTree.Fail(refused!);
            }
            string?[] pems =
            [
                token.HasSigningCertificate ? token.SigningCertificate.ExportCertificatePem() + "\n" : null, token.AuthenticationCertificate.ExportCertificatePem() + "\n",
                token.SigningChainPem, token.AuthenticationChainPem,
            ];
            // A card issued under 15 has no signing certificate: no signing.pem, and the line says so.
            for (var i = 0; i < names.Length; i++)
                if (pems[i] is { } pem) File.WriteAllText(Path.Combine(folder, names[i]), pem);
            Console.Out.WriteLine(token.HasSigningCertificate
                ? $"書き出しました / written to {folder}: signing.pem, authentication.pem (and the CA chains)"
                : $"書き出しました（署名用電子証明書はありません）/ written to {folder}: authentication.pem (and the CA chains); the card has no signing certificate");
            return 0;
        });
        return command;
    }

    private static Command ResetPin()
    {
        var data = UpCommand.DataOption();
        var card = CardOption();
        var number = NumberOption("本人確認: 窓口で確かめた所持者の個人番号", "identity check: the holder's Individual Number as checked at the counter");
        var pin = new Option<string?>("--pin") { Description = SecretHelp("新しい利用者証明用暗証番号（数字4桁）", "new authentication PIN (4 digits)", leftOutPrompts: false) };
        var password = new Option<string?>("--signing-password") { Description = SecretHelp("新しい署名用パスワード（英大文字・数字6〜16桁）", "new signing password (6–16 capital letters and digits)", leftOutPrompts: false) };
        var assist = new Option<string?>("--input-assist-pin") { Description = SecretHelp("新しい券面事項入力補助用暗証番号（数字4桁）", "new input-assist PIN (4 digits)", leftOutPrompts: false) };
        var command = new Command("reset-pin",
            "市区町村の窓口で暗証番号を初期化しロックを解除する（住基で所持者本人と確かめた後、指定した暗証番号を設定し直す。一つ以上）/ "
            + "reset PINs at the municipality, which unlocks them: once the Registry confirms the holder, sets each PIN given (at least one)")
            { data, card, number, pin, password, assist };
        command.SetAction(async (parse, ct) =>
        {
            // Read in the order the options are listed, the number first: lines of standard input are taken in that order.
            if (CardSecrets.ReadNumber(parse.GetValue(number), "--number", out var unreadNumber) is not { } givenNumber) return CommandTree.Fail(unreadNumber!);
            var wanted = new List<(CardPin Pin, string Value)>();
            foreach (var (option, which) in new[] { (pin, CardPin.Authentication), (password, CardPin.Signing), (assist, CardPin.InputAssist) })
            {
                if (parse.GetValue(option) is not { } given) continue;
                if (CardSecrets.Read(given, option.Name, which, confirm: true, out var unread) is not { } value) return CommandTree.Fail(unread!);
                wanted.Add((which, value));
            }
            if (wanted.Count == 0)
                return CommandTree.Fail("--pin、--signing-password、--input-assist-pin のいずれかを指定してください / give at least one of --pin, --signing-password, --input-assist-pin");
            if (!IndividualNumber.TryParse(givenNumber, out var n, out var problem)) return CommandTree.Fail(problem!.Message);
            var token = OpenCard(parse.GetValue(card)!, out var error);
            if (token is null) return CommandTree.Fail(error!);

            await using var pki = await PkiConnection.OpenAsync(parse.GetValue(data)!, ct);
            using var response = await pki.Http.PostAsJsonAsync($"api/cards/{Uri.EscapeDataString(token.CardId)}/pin-reset",
                new PinResetRequest(n.Digits, token.RecoveryBlob), ServiceDefaults.Json, ct);
            var body = await AnswerText.ReadAsync(response.Content, ct);
            if (!response.IsSuccessStatusCode) return CommandTree.Fail(ProblemText.Of(response, body));
            var keys = Convert.FromBase64String(JsonSerializer.Deserialize<PinResetAnswer>(body, ServiceDefaults.Json)!.DataKeys);
            try
            {
                foreach (var (which, value) in wanted) token.ResetPin(which, value, keys);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                return CommandTree.Fail("カードの鍵と一致しません / the PKI's answer does not fit this card");
            }
            finally { CryptographicOperations.ZeroMemory(keys); }
            Console.Out.WriteLine($"暗証番号を初期化しました / PINs reset on card {token.CardId}: {string.Join(", ", wanted.Select(x => Label(x.Pin)))}");
            return 0;
        });
        return command;
    }

    private static Command ReportLost()
    {
        var data = UpCommand.DataOption();
        var card = new Option<string?>("--card") { Description = "カードファイル（手元にあるとき、またはその写し）/ the card file, when at hand (or a copy of it)" };
        var id = new Option<string?>("--card-id") { Description = "カードID（card issue と card show が表示する）/ the card id, as card issue and card show print it" };
        var command = new Command("report-lost",
            "紛失届: 市区町村の窓口でカードの紛失を受け付け、署名用・利用者証明用の電子証明書を失効させる（取り消せません。--card か --card-id のどちらか一つ）/ "
            + "loss report at the municipality: revokes both certificates of the card, which cannot be undone (one of --card and --card-id)")
            { data, card, id };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(card);
            var given = parse.GetValue(id)?.Trim();
            if ((file is null) == (given is null))
                return CommandTree.Fail("--card か --card-id のどちらか一つを指定してください / give one of --card and --card-id");
            string cardId;
            if (file is not null)
            {
                if (OpenCard(file, out var error) is not { } token) return CommandTree.Fail(error!);
                cardId = token.CardId;
            }
            else if (given is { Length: > 0 }) cardId = given;
            else return CommandTree.Fail("--card-id が空です / --card-id is empty");

            await using var pki = await PkiConnection.OpenAsync(parse.GetValue(data)!, ct);
            using var response = await pki.Http.PostAsync($"api/cards/{Uri.EscapeDataString(cardId)}/loss", null, ct);
            var body = await AnswerText.ReadAsync(response.Content, ct);
            if (!response.IsSuccessStatusCode) return CommandTree.Fail(ProblemText.Of(response, body));
            var view = JsonSerializer.Deserialize<CardView>(body, ServiceDefaults.Json)!;
            Console.Out.WriteLine($"紛失届を受け付けました。カードの電子証明書を失効させました / loss reported: the certificates of card {view.CardId} are revoked");
            foreach (var certificate in view.Certificates)
                Console.Out.WriteLine((certificate.Kind == CertificateKind.Signing ? "  署名用 / signing      " : "  利用者証明用 / auth  ")
                    + $"serial {certificate.Serial}: {(certificate.Status == "revoked" ? "失効 / revoked" : certificate.Status)}");
            return 0;
        });
        return command;
    }

    private static string Label(CardPin pin) => pin switch
    {
        CardPin.Authentication => "利用者証明用 / authentication",
        CardPin.Signing => "署名用 / signing",
        _ => "券面事項入力補助用 / input assist",
    };

    /// <summary>Opens a card file, or says in one line, both languages, why it cannot and what to give instead.</summary>
    private static IndividualNumberCard? OpenCard(string path, out string? error)
    {
        error = null;
        if (Directory.Exists(path))
        {
            error = $"{path} はフォルダです。--card にはカードファイルを指定してください / {path} is a folder; give --card a card file";
            return null;
        }
        try { return IndividualNumberCard.Open(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            error = $"カードファイルがありません / no such card file: {path}";
        }
        catch (NotACardFileException e)
        {
            error = $"{path} はカードファイルではありません（{e.Japanese}）。renkei card issue が書き出したファイルを指定してください / "
                + $"{path} is not a card file ({e.English}); give the file renkei card issue wrote";
        }
        catch (InvalidDataException e)
        {
            error = $"カードファイルを読めません / the card file cannot be read: {path}: {e.Message}";
        }
        catch (JsonException e)
        {
            // The JSON path says where ("$.authentication.pin.iterations"), without echoing the file's content.
            error = $"カードファイルを読めません / the card file cannot be read: {path}" + (e.Path is { } at ? $": {at}" : "");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var (japanese, english) = IoText.Reason(e);
            error = $"カードファイルを読めません（{japanese}）/ the card file cannot be read: {path}: {english}";
        }
        return null;
    }

}
