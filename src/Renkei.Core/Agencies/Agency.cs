using Renkei.Numbers;
using Renkei.Protocol;

namespace Renkei.Core.Agencies;

/// <summary>What kind of body an agency is; the permission table names requesters and providers by kind.</summary>
public enum AgencyKind
{
    /// <summary>市町村長</summary>
    Municipality,
    /// <summary>都道府県知事</summary>
    Prefecture,
    /// <summary>大臣 (e.g. 厚生労働大臣)</summary>
    Minister,
    /// <summary>日本年金機構</summary>
    PensionService,
    /// <summary>医療保険者・後期高齢者医療広域連合</summary>
    HealthInsurer,
    /// <summary>税務署長・国税庁</summary>
    TaxOffice,
}

/// <summary>
/// An agency on the network. Its id is its Local Government Code (municipalities, prefectures)
/// or its Corporate Number (everyone else): public identifiers, never a person's.
/// </summary>
/// <remarks><see cref="NodeId"/> names the node that hosts the agency; with mutual TLS the core accepts the
/// agency's messages only over a connection whose client certificate names that node.</remarks>
public sealed record Agency(string AgencyId, AgencyKind Kind, string Name, string? LocalGovernmentCode, string? CorporateNumber,
    string NodeAddress, PublicKeys Keys, DateTime RegisteredAt, DateTime UpdatedAt, string? NodeId = null)
{
    public static bool UsesLocalGovernmentCode(AgencyKind kind) => kind is AgencyKind.Municipality or AgencyKind.Prefecture;
}

/// <summary>The body of PUT /api/agencies/{agencyId}.</summary>
public sealed record AgencyRegistration(
    AgencyKind? Kind, string? Name, string? NodeAddress, string? SigningKey, string? EncryptionKey,
    string? LocalGovernmentCode = null, string? CorporateNumber = null, string? NodeId = null)
{
    /// <summary>Checks every field and says what is wrong with each; the agency id must be the agency's own code.</summary>
    public Dictionary<string, string[]> Validate(string agencyId)
    {
        var errors = new Dictionary<string, string[]>();
        if (Kind is null) errors["kind"] = ["種別は必須です / kind is required"];
        if (string.IsNullOrWhiteSpace(Name)) errors["name"] = ["名称は必須です / name is required"];
        else if (Name.Trim().Length > 100) errors["name"] = ["名称は100文字以内です / name is at most 100 characters"];
        // The agency list is public: a name is shown to anyone who asks.
        else if (!Renkei.Hosting.LogText.IsPlainName(Name)) errors["name"] = [Renkei.Hosting.LogText.NotPlainName];
        if (Kind is { } kind && Agency.UsesLocalGovernmentCode(kind))
        {
            if (!Numbers.LocalGovernmentCode.TryParse(LocalGovernmentCode, out var code, out var problem))
                errors["localGovernmentCode"] = [$"地方公共団体コードが不正です / invalid local government code: {problem!.Message}"];
            else if (code.Digits != agencyId)
                errors["agencyId"] = ["機関IDは地方公共団体コードと一致させてください / agencyId must equal the local government code"];
            else if (KindMisfits(kind, code) is { } misfit)
                errors["kind"] = [misfit];
        }
        else if (Kind is not null)
        {
            if (!Numbers.CorporateNumber.TryParse(CorporateNumber, out var number, out var problem))
                errors["corporateNumber"] = [$"法人番号が不正です / invalid corporate number: {problem!.Message}"];
            else if (number.Digits != agencyId)
                errors["agencyId"] = ["機関IDは法人番号と一致させてください / agencyId must equal the corporate number"];
            else if (KindMisfits(Kind.Value, number) is { } misfit)
                errors["kind"] = [misfit];
        }
        // The core relays to this address under mutual TLS; a plain-HTTP one would carry the messages in the clear.
        if (!Uri.TryCreate(NodeAddress, UriKind.Absolute, out var uri) || uri.Scheme != "https")
            errors["nodeAddress"] = ["中間サーバーのURLは https の絶対URLです / nodeAddress must be an absolute https URL"];
        // A base address has no use for a user, a query or a fragment, and is public like the name: nothing there but host, port and path.
        else if (uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0 || !Renkei.Hosting.LogText.IsPlainName(uri.AbsolutePath)
                 || !Renkei.Hosting.LogText.IsPlainName(Uri.UnescapeDataString(uri.AbsolutePath)))
            errors["nodeAddress"] = ["中間サーバーのURLにはホスト、ポート、パスだけを書きます（個人番号の形をした数字は不可） / " +
                "nodeAddress holds a host, a port and a path only (no user, query or fragment, nothing of an Individual Number's shape)"];
        if (NodeId is not null && !Renkei.Hosting.Tls.NetworkIdentity.IsNodeId(NodeId))
            errors["nodeId"] = ["中間サーバーIDは英小文字・数字・ハイフン63文字以内です / nodeId is 1 to 63 lower-case letters, digits or hyphens (the id in the node's certificate, urn:renkei:node:{nodeId})"];
        if (!IsPublicKey(SigningKey, ecdh: false)) errors["signingKey"] = ["署名用公開鍵が不正です / signingKey must be a base64 P-256 SubjectPublicKeyInfo"];
        if (!IsPublicKey(EncryptionKey, ecdh: true)) errors["encryptionKey"] = ["暗号化用公開鍵が不正です / encryptionKey must be a base64 P-256 SubjectPublicKeyInfo"];
        return errors;
    }

    // The permission table names requesters and providers by kind, so a kind must fit the id: a city registered as a
    // prefecture would ask under prefectures' rows and stop providing under municipalities'.

    /// <summary>Why a Local Government Code cannot be the id of an agency of this kind: a prefecture's has 000 in its municipal part (PP000C), a municipality's does not.</summary>
    private static string? KindMisfits(AgencyKind kind, Numbers.LocalGovernmentCode code) => (kind, code.FiveDigits % 1000 == 0) switch
    {
        (AgencyKind.Prefecture, false) => $"{code.Digits} は市区町村のコードです。都道府県のコードは市区町村部分が000です / " +
            $"{code.Digits} is a municipality's code; a prefecture's has 000 in its municipal part",
        (AgencyKind.Municipality, true) => $"{code.Digits} は都道府県自体のコードです。市区町村のコードを指定してください / " +
            $"{code.Digits} is the code of a prefecture itself; a municipality's has a municipal part other than 000",
        _ => null,
    };

    /// <summary>
    /// Why a Corporate Number cannot be the id of an agency of this kind, by its <see cref="Numbers.CorporateNumber.Series"/>: a
    /// minister or a tax office is an executive organ (000012); the pension service is neither national nor local; a health
    /// insurer may be a local government (a city's national health insurance, a wide-area union for the elderly) but is no
    /// national body.
    /// </summary>
    private static string? KindMisfits(AgencyKind kind, Numbers.CorporateNumber number)
    {
        var series = number.Series;
        var executive = series == CorporateNumberSeries.ExecutiveOrgan;
        var national = series.IsNationalBody();
        var local = series == CorporateNumberSeries.LocalGovernment;
        return kind switch
        {
            AgencyKind.Minister or AgencyKind.TaxOffice when !executive =>
                "大臣・税務署長は行政機関の法人番号（基礎番号が000012で始まる）で登録します / a minister or a tax office is registered under an executive organ's corporate number (base number 000012…)",
            AgencyKind.PensionService when national || local =>
                "日本年金機構は国の機関（000011…・000012…・000013…）・地方公共団体（000020…）以外の法人番号で登録します / the pension service is registered under a corporate number that is neither a national body's (000011…, 000012…, 000013…) nor a local government's (000020…)",
            AgencyKind.HealthInsurer when national =>
                "医療保険者は国の機関の法人番号（000011…・000012…・000013…）では登録できません / a health insurer is not registered under a national body's corporate number (000011…, 000012…, 000013…)",
            _ => null,
        };
    }

    private static bool IsPublicKey(string? base64, bool ecdh)
    {
        if (string.IsNullOrWhiteSpace(base64)) return false;
        try
        {
            var keys = new PublicKeys(base64, base64);
            // Only P-256: sealing to or verifying with a key on another curve would fail on every inquiry.
            using System.Security.Cryptography.AsymmetricAlgorithm key = ecdh ? keys.OpenEncryptionKey() : keys.OpenSigningKey();
            return key.KeySize == 256;
        }
        catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }
}
