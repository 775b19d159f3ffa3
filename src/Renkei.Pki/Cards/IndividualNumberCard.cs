using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Renkei.Hosting;

namespace Renkei.Pki.Cards;

/// <summary>The card's PINs, each with its format and the wrong tries in a row that lock it.</summary>
public enum CardPin
{
    /// <summary>利用者証明用暗証番号: 4 digits, locked after 3.</summary>
    Authentication,
    /// <summary>署名用パスワード: 6–16 capital letters and digits, locked after 5.</summary>
    Signing,
    /// <summary>券面事項入力補助用暗証番号: 4 digits, locked after 3.</summary>
    InputAssist,
}

/// <summary>
/// The result of presenting a PIN: accepted, wrong (with tries left), locked, or not of the PIN's format. The message names
/// what was presented as the card's holder knows it (docs/pki.md): the signing password (署名用パスワード) is not a PIN, and
/// the card has two PINs (利用者証明用暗証番号, 券面事項入力補助用暗証番号).
/// </summary>
public sealed record PinCheck(bool Accepted, int TriesLeft, bool Locked, bool WrongFormat, CardPin Pin = CardPin.Authentication)
{
    public string Message
    {
        get
        {
            var (japanese, english) = Pin switch
            {
                CardPin.Signing => ("署名用パスワード", "signing password"),
                CardPin.Authentication => ("利用者証明用暗証番号", "authentication PIN"),
                _ => ("券面事項入力補助用暗証番号", "input-assist PIN"),
            };
            return Accepted ? "OK"
                : WrongFormat ? (Pin == CardPin.Signing
                    ? "署名用パスワードは英大文字と数字の6〜16文字です / the signing password is 6 to 16 capital letters and digits"
                    : $"{japanese}は数字4桁です / the {english} is 4 digits")
                : Locked ? $"{japanese}はロックされています。市区町村の窓口で初期化してください / the {english} is locked; have it reset at the municipality"
                : $"{japanese}が違います（残り{TriesLeft}回）/ wrong {english} ({TriesLeft} {(TriesLeft == 1 ? "try" : "tries")} left)";
        }
    }
}

/// <summary>A file that is no card at all, as opposed to a card with a damaged field; the reason in both languages, without the path.</summary>
public sealed class NotACardFileException(string japanese, string english) : Exception($"{japanese} / {english}")
{
    public string Japanese { get; } = japanese;

    public string English { get; } = english;
}

/// <summary>券面事項入力補助AP: the number and the four items as text, behind its PIN.</summary>
public sealed record InputAssistData(string IndividualNumber, string Name, string Address, string DateOfBirth, string Sex);

/// <summary>券面AP: what is printed on the card's face (readable without a PIN).</summary>
public sealed record CardFace(string Name, string Address, string DateOfBirth, string Sex, string ExpiresOn, string Photo);

/// <summary>A sealed secret: AES-256-GCM.</summary>
public sealed record Sealed(string Nonce, string Ciphertext, string Tag);

/// <summary>One PIN's state: the data key it unlocks, wrapped under a key derived from the PIN.</summary>
public sealed record PinState(string Salt, int Iterations, Sealed WrappedKey, int Failures);

public sealed record CardApplication(string? Certificate, Sealed Secret, PinState Pin);

public sealed record CardFile(
    string Format, string CardId, string PkiUrl, CardFace Face, CardApplication Signing, CardApplication Authentication,
    CardApplication InputAssist, string Recovery, string SigningChain, string AuthenticationChain);

/// <summary>
/// The Individual Number Card as a software token file. It holds the two key pairs sealed under
/// per-application data keys, which only the right PIN unwraps; a private key never leaves: the
/// card signs. Failures are counted in the file before a try, so a crash cannot reset a count, and
/// each try holds an exclusive lock on a sibling <c>.lock</c> file from reading the count to saving
/// the outcome, so that tries at once, from threads or processes, are counted one after another.
/// A municipality resets a locked PIN: the data keys are also wrapped to the PKI's recovery key,
/// which it unwraps only after an identity check.
/// </summary>
public sealed partial class IndividualNumberCard
{
    public const string FormatName = "renkei-card/1";
    public const string PhotoPlaceholder = "顔写真（サンドボックスでは省略）/ photo placeholder";
    private const int Iterations = 100_000;
    private static readonly JsonSerializerOptions Json = new(ServiceDefaults.Json) { WriteIndented = true };

    private CardFile file;

    private IndividualNumberCard(string path, CardFile file)
    {
        Path = path;
        this.file = file;
    }

    public string Path { get; }

    public string CardId => file.CardId;

    public Uri PkiUrl => new(file.PkiUrl);

    public CardFace Face => file.Face;

    /// <summary>False for a card issued to a holder under 15, which carries no signing certificate (JPKI's rule).</summary>
    public bool HasSigningCertificate => file.Signing.Certificate is not null;

    /// <summary>What a card without a signing certificate says when asked to sign.</summary>
    public const string NoSigningCertificate = "このカードには署名用電子証明書がありません（15歳未満の方には発行しません）/ " +
        "this card has no signing certificate (none is issued to a holder under 15)";

    /// <exception cref="InvalidOperationException">The card has none (<see cref="HasSigningCertificate"/>).</exception>
    public X509Certificate2 SigningCertificate => file.Signing.Certificate is { } pem
        ? X509Certificate2.CreateFromPem(pem)
        : throw new InvalidOperationException(NoSigningCertificate);

    public X509Certificate2 AuthenticationCertificate => X509Certificate2.CreateFromPem(file.Authentication.Certificate!);

    public string SigningChainPem => file.SigningChain;

    public string AuthenticationChainPem => file.AuthenticationChain;

    /// <summary>The wrapped data keys a municipality sends to the PKI to reset a PIN.</summary>
    public string RecoveryBlob => file.Recovery;

    public static int LimitOf(CardPin pin) => pin == CardPin.Signing ? 5 : 3;

    public static bool IsValidFormat(CardPin pin, string? value) => HalfWidth(value) is { } text &&
        (pin == CardPin.Signing ? SigningPassword().IsMatch(text) : FourDigits().IsMatch(text));

    /// <summary>
    /// Full-width digits and capital letters as the half-width ones they are: a Japanese input method in full-width mode types
    /// "１３５７" for 1357, and "4 digits" was then said of four digits. Nothing else is mapped: a circled ① is no digit typed.
    /// </summary>
    public static string? HalfWidth(string? value) => value is null ? null : string.Create(value.Length, value, static (span, text) =>
    {
        for (var i = 0; i < text.Length; i++)
            span[i] = text[i] is (>= '０' and <= '９') or (>= 'Ａ' and <= 'Ｚ') ? (char)(text[i] - ('０' - '0')) : text[i];
    });

    /// <summary>Keys made on the card before issuance, and the signing requests that carry their public halves.</summary>
    public sealed class Keys(RSA signing, RSA authentication) : IDisposable
    {
        public RSA Signing { get; } = signing;
        public RSA Authentication { get; } = authentication;

        public string SigningRequestPem => Request(Signing);
        public string AuthenticationRequestPem => Request(Authentication);

        private static string Request(RSA key) =>
            new CertificateRequest("CN=card", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem();

        public static Keys Create(int keySize = 2048) => new(RSA.Create(keySize), RSA.Create(keySize));

        public void Dispose()
        {
            Signing.Dispose();
            Authentication.Dispose();
        }
    }

    /// <summary>Writes a new card after issuance; PINs are checked for their formats first.</summary>
    public static IndividualNumberCard Create(string path, Keys keys, CardIssued issued, string individualNumber, Uri pkiUrl,
        string authenticationPin, string signingPassword, string inputAssistPin)
    {
        foreach (var (pin, value) in new[] { (CardPin.Authentication, authenticationPin), (CardPin.Signing, signingPassword), (CardPin.InputAssist, inputAssistPin) })
            if (!IsValidFormat(pin, value)) throw new ArgumentException(new PinCheck(false, 0, false, true, pin).Message + $" ({pin})");
        (authenticationPin, signingPassword, inputAssistPin) = (HalfWidth(authenticationPin)!, HalfWidth(signingPassword)!, HalfWidth(inputAssistPin)!);
        var signingKey = RandomNumberGenerator.GetBytes(32);
        var authenticationKey = RandomNumberGenerator.GetBytes(32);
        var assistKey = RandomNumberGenerator.GetBytes(32);
        var assist = new InputAssistData(individualNumber, issued.Holder.Name, issued.Holder.Address, issued.Holder.DateOfBirth, issued.Holder.Sex);
        using var recovery = RSA.Create();
        recovery.ImportFromPem(issued.RecoveryKey);
        var blob = recovery.Encrypt([.. Encoding.ASCII.GetBytes(issued.CardId + "\0"), .. signingKey, .. authenticationKey, .. assistKey], RSAEncryptionPadding.OaepSHA256);
        var file = new CardFile(FormatName, issued.CardId, pkiUrl.ToString(),
            new CardFace(issued.Holder.Name, issued.Holder.Address, issued.Holder.DateOfBirth, issued.Holder.Sex, issued.ExpiresOn, PhotoPlaceholder),
            new CardApplication(issued.SigningCertificate, Seal(signingKey, keys.Signing.ExportPkcs8PrivateKey()), NewPin(signingPassword, signingKey)),
            new CardApplication(issued.AuthenticationCertificate, Seal(authenticationKey, keys.Authentication.ExportPkcs8PrivateKey()), NewPin(authenticationPin, authenticationKey)),
            new CardApplication(null, Seal(assistKey, JsonSerializer.SerializeToUtf8Bytes(assist, ServiceDefaults.Json)), NewPin(inputAssistPin, assistKey)),
            Convert.ToBase64String(blob), issued.SigningChain, issued.AuthenticationChain);
        var card = new IndividualNumberCard(path, file);
        card.Save();
        return card;
    }

    public static IndividualNumberCard Open(string path) => new(path, Read(path));

    /// <summary>
    /// Reads a card file and checks all of it: a damaged file is refused here, naming the field, rather than
    /// failing later in the middle of a try or an export.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a whole card; the message names the field.</exception>
    /// <exception cref="NotACardFileException">The file is no card at all: empty, not JSON, not an object, or of another format.</exception>
    private static CardFile Read(string path)
    {
        var text = File.ReadAllText(path);
        if (string.IsNullOrWhiteSpace(text)) throw new NotACardFileException("空のファイルです", "it is empty");
        JsonDocument document;
        try { document = JsonDocument.Parse(text); }
        catch (JsonException) { throw new NotACardFileException("JSONではありません", "it is not JSON"); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new NotACardFileException($"JSONの{KindInJapanese(root.ValueKind)}で、オブジェクトではありません", $"it is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");
            if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != FormatName)
                throw new NotACardFileException($"「format」が {FormatName} ではありません", $"its format is not {FormatName}");
            // A field of the wrong type is a JsonException whose path names the field (the caller's message says where).
            var file = root.Deserialize<CardFile>(Json)!;
            Check(file);
            return file;
        }
    }

    private static string KindInJapanese(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "配列",
        JsonValueKind.String => "文字列",
        JsonValueKind.Number => "数値",
        JsonValueKind.True or JsonValueKind.False => "真偽値",
        _ => "null",
    };

    private static void Check(CardFile file)
    {
        static InvalidDataException Bad(string field, string japanese, string english) => new($"「{field}」{japanese} / {field} {english}");
        if (string.IsNullOrEmpty(file.CardId)) throw Bad("cardId", "がありません", "is missing");
        if (!Uri.TryCreate(file.PkiUrl, UriKind.Absolute, out _)) throw Bad("pkiUrl", "が絶対URLではありません", "is not an absolute URL");
        if (file.Face is not { Name: not null, Address: not null, DateOfBirth: not null, Sex: not null, ExpiresOn: not null, Photo: not null })
            throw Bad("face", "がないか、不完全です", "is missing or incomplete");
        // A card issued under 15 has the signing key and password but no certificate for them.
        CheckApplication("signing", file.Signing, certificate: file.Signing?.Certificate is not null);
        CheckApplication("authentication", file.Authentication, certificate: true);
        CheckApplication("inputAssist", file.InputAssist, certificate: false);
        if (Base64(file.Recovery) is not { Length: > 0 }) throw Bad("recovery", "がないか、base64ではありません", "is missing or not base64");
        if (string.IsNullOrEmpty(file.SigningChain)) throw Bad("signingChain", "がありません", "is missing");
        if (string.IsNullOrEmpty(file.AuthenticationChain)) throw Bad("authenticationChain", "がありません", "is missing");

        static void CheckApplication(string name, CardApplication? app, bool certificate)
        {
            if (app is null) throw Bad(name, "がありません", "is missing");
            if (certificate)
            {
                if (app.Certificate is null) throw Bad($"{name}.certificate", "がありません", "is missing");
                try { X509Certificate2.CreateFromPem(app.Certificate).Dispose(); }
                catch (CryptographicException) { throw Bad($"{name}.certificate", "がPEM形式の証明書ではありません", "is not a PEM certificate"); }
            }
            CheckSealed($"{name}.secret", app.Secret);
            if (app.Pin is null) throw Bad($"{name}.pin", "がありません", "is missing");
            if (Base64(app.Pin.Salt) is not { Length: >= 8 }) throw Bad($"{name}.pin.salt", "がないか、base64でないか、8バイト未満です", "is missing, not base64 or shorter than 8 bytes");
            // Bounded both ways: too few makes the PIN guessable offline, too many makes a try hang.
            if (app.Pin.Iterations is < 10_000 or > 10_000_000) throw Bad($"{name}.pin.iterations", "は10000〜10000000でなければなりません", "must be between 10000 and 10000000");
            CheckSealed($"{name}.pin.wrappedKey", app.Pin.WrappedKey);
            if (app.Pin.Failures < 0) throw Bad($"{name}.pin.failures", "が負の値です", "is negative");
        }

        static void CheckSealed(string name, Sealed? sealedData)
        {
            if (sealedData is null) throw Bad(name, "がありません", "is missing");
            if (Base64(sealedData.Nonce) is not { Length: 12 }) throw Bad($"{name}.nonce", "はbase64で12バイトでなければなりません", "must be 12 bytes of base64");
            if (Base64(sealedData.Ciphertext) is null) throw Bad($"{name}.ciphertext", "がないか、base64ではありません", "is missing or not base64");
            if (Base64(sealedData.Tag) is not { Length: 16 }) throw Bad($"{name}.tag", "はbase64で16バイトでなければなりません", "must be 16 bytes of base64");
        }

        static byte[]? Base64(string? text)
        {
            if (text is null) return null;
            try { return Convert.FromBase64String(text); }
            catch (FormatException) { return null; }
        }
    }

    /// <summary>券面事項入力補助: the number and the four items, with the input-assist PIN.</summary>
    public (InputAssistData? Data, PinCheck Check) ReadInputAssist(string pin)
    {
        var (plain, check) = Unlock(CardPin.InputAssist, pin);
        return (plain is null ? null : JsonSerializer.Deserialize<InputAssistData>(plain, ServiceDefaults.Json), check);
    }

    /// <summary>Signs a document: a detached CMS SignedData (SHA-256, RSA PKCS#1 v1.5) with the signing certificate.</summary>
    /// <exception cref="InvalidOperationException">The card has no signing certificate; no try is counted.</exception>
    public (byte[]? Cms, PinCheck Check) Sign(string signingPassword, byte[] document)
    {
        if (!HasSigningCertificate) throw new InvalidOperationException(NoSigningCertificate);
        var (plain, check) = Unlock(CardPin.Signing, signingPassword);
        if (plain is null) return (null, check);
        using var key = RSA.Create();
        key.ImportPkcs8PrivateKey(plain, out _);
        CryptographicOperations.ZeroMemory(plain);
        using var certificate = SigningCertificate.CopyWithPrivateKey(key);
        var cms = new SignedCms(new ContentInfo(document), detached: true);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificate)
        {
            DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"),
            IncludeOption = X509IncludeOption.EndCertOnly,
        };
        signer.SignedAttributes.Add(new Pkcs9SigningTime(DateTime.UtcNow));
        cms.ComputeSignature(signer, silent: true);
        return (cms.Encode(), check);
    }

    /// <summary>Answers an authentication challenge: PKCS#1 v1.5 SHA-256 with the authentication key.</summary>
    public (byte[]? Signature, PinCheck Check) Authenticate(string pin, byte[] challenge)
    {
        var (plain, check) = Unlock(CardPin.Authentication, pin);
        if (plain is null) return (null, check);
        using var key = RSA.Create();
        key.ImportPkcs8PrivateKey(plain, out _);
        CryptographicOperations.ZeroMemory(plain);
        return (key.SignData(challenge, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), check);
    }

    public int FailuresOf(CardPin pin) => App(pin).Pin.Failures;

    public bool IsLocked(CardPin pin) => FailuresOf(pin) >= LimitOf(pin);

    /// <summary>
    /// Sets a new PIN with the data keys the PKI unwrapped after the identity check (32 bytes each:
    /// signing, authentication, input assist), and clears its lock.
    /// </summary>
    public PinCheck ResetPin(CardPin pin, string newPin, byte[] dataKeys)
    {
        if (!IsValidFormat(pin, newPin)) return new PinCheck(false, 0, false, true, pin);
        newPin = HalfWidth(newPin)!;
        if (dataKeys.Length != 96) throw new ArgumentException("96 bytes of data keys expected", nameof(dataKeys));
        var index = pin switch { CardPin.Signing => 0, CardPin.Authentication => 1, _ => 2 };
        var key = dataKeys.AsSpan(index * 32, 32).ToArray();
        using var held = Exclusive();
        if (Open(App(pin).Secret, key) is null) throw new CryptographicException("the data keys are not this card's");
        Replace(pin, App(pin) with { Pin = NewPin(newPin, key) });
        Save();
        return new PinCheck(true, LimitOf(pin), false, false, pin);
    }

    private (byte[]? Plain, PinCheck Check) Unlock(CardPin pin, string value)
    {
        if (!IsValidFormat(pin, value)) return (null, new PinCheck(false, LimitOf(pin) - FailuresOf(pin), IsLocked(pin), true, pin));
        value = HalfWidth(value)!;
        using var held = Exclusive();
        var app = App(pin);
        if (IsLocked(pin)) return (null, new PinCheck(false, 0, true, false, pin));
        // Count the try first: a crash or a kill during the try cannot undo it.
        Replace(pin, app with { Pin = app.Pin with { Failures = app.Pin.Failures + 1 } });
        Save();
        var kek = Rfc2898DeriveBytes.Pbkdf2(value, Convert.FromBase64String(app.Pin.Salt), app.Pin.Iterations, HashAlgorithmName.SHA256, 32);
        var dataKey = Open(app.Pin.WrappedKey, kek);
        if (dataKey is null)
        {
            var failures = app.Pin.Failures + 1;
            return (null, new PinCheck(false, Math.Max(0, LimitOf(pin) - failures), failures >= LimitOf(pin), false, pin));
        }
        Replace(pin, app with { Pin = app.Pin with { Failures = 0 } });
        Save();
        return (Open(app.Secret, dataKey), new PinCheck(true, LimitOf(pin), false, false, pin));
    }

    /// <summary>How long a try waits for another one on the same card to finish.</summary>
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Takes the card's exclusive lock (an OS lock on <c>&lt;card&gt;.lock</c>, which the atomic replace of the card
    /// itself would not keep) and reads the file again, since another try may have counted in the meantime.
    /// </summary>
    private FileStream Exclusive()
    {
        var held = FileLock.Take(Path + ".lock", LockWait);
        try { file = Read(Path); }
        catch
        {
            held.Dispose();
            throw;
        }
        return held;
    }

    private CardApplication App(CardPin pin) => pin switch
    {
        CardPin.Signing => file.Signing,
        CardPin.Authentication => file.Authentication,
        _ => file.InputAssist,
    };

    private void Replace(CardPin pin, CardApplication app) => file = pin switch
    {
        CardPin.Signing => file with { Signing = app },
        CardPin.Authentication => file with { Authentication = app },
        _ => file with { InputAssist = app },
    };

    private void Save() => Renkei.Hosting.KeyFiles.ReplaceSecret(Path, JsonSerializer.Serialize(file, Json));

    private static PinState NewPin(string pin, byte[] dataKey)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var kek = Rfc2898DeriveBytes.Pbkdf2(pin, salt, Iterations, HashAlgorithmName.SHA256, 32);
        return new PinState(Convert.ToBase64String(salt), Iterations, Seal(kek, dataKey), 0);
    }

    private static Sealed Seal(byte[] key, byte[] plain)
    {
        using var aes = new AesGcm(key, 16);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var cipher = new byte[plain.Length];
        var tag = new byte[16];
        aes.Encrypt(nonce, plain, cipher, tag);
        return new Sealed(Convert.ToBase64String(nonce), Convert.ToBase64String(cipher), Convert.ToBase64String(tag));
    }

    private static byte[]? Open(Sealed sealedData, byte[] key)
    {
        using var aes = new AesGcm(key, 16);
        var cipher = Convert.FromBase64String(sealedData.Ciphertext);
        var plain = new byte[cipher.Length];
        try
        {
            aes.Decrypt(Convert.FromBase64String(sealedData.Nonce), cipher, Convert.FromBase64String(sealedData.Tag), plain);
            return plain;
        }
        catch (AuthenticationTagMismatchException) { return null; }
    }

    // \z, not $: .NET's $ also matches before a final newline, so "2468\n" passed as a PIN and was then a wrong try.
    [GeneratedRegex(@"^[A-Z0-9]{6,16}\z")]
    private static partial Regex SigningPassword();

    [GeneratedRegex(@"^[0-9]{4}\z")]
    private static partial Regex FourDigits();
}
