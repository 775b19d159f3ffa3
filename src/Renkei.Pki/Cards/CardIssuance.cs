using System.ComponentModel.DataAnnotations;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Pki.Authorities;
using Renkei.Pki.Certificates;
using Renkei.Pki.Registry;
using Renkei.Pki.Revocation;

namespace Renkei.Pki.Cards;

/// <summary>
/// A municipality's request to issue a card: the resident's Individual Number (checked against the
/// Registry) and the card's two certificate signing requests (PKCS#10, PEM or base64 DER), whose
/// keys the card made and keeps.
/// </summary>
public sealed record IssueCardRequest(string? IndividualNumber, string? SigningRequest, string? AuthenticationRequest);

public sealed record HolderView(string Name, string Address, [property: DataType(DataType.Date)] string DateOfBirth, string Sex);

/// <summary>
/// An issued card. <c>SigningCertificate</c> is null for a holder under 15, who is issued none (JPKI's rule), and
/// <c>NoSigningCertificate</c> then says so; the request still carries both signing requests, as the card makes both keys.
/// </summary>
public sealed record CardIssued(
    string CardId, string ResidentId, string MunicipalityCode, [property: DataType(DataType.Date)] string ExpiresOn, HolderView Holder,
    string? SigningCertificate, string AuthenticationCertificate, string SigningChain, string AuthenticationChain, string RecoveryKey,
    string? NoSigningCertificate = null);

/// <summary>A refusal with its problem type and status; nothing was written.</summary>
public sealed record CardRefusal(int Status, string Slug, string Title, string? Detail = null, Dictionary<string, string[]>? Errors = null);

/// <summary>Issuance: identity from the Registry, both certificates from their CAs, one transaction.</summary>
public sealed class CardIssuance(
    Database database, CertificationAuthorities authorities, RegistryClient registry, RevocationService revocation,
    PkiUrls urls, TimeProvider clock, PkiOptions options, CardRecoveryKey recoveryKey)
{
    public async Task<(CardIssued? Card, CardRefusal? Refusal)> IssueAsync(IssueCardRequest request, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string[]>();
        if (!IndividualNumber.TryParse(request.IndividualNumber, out var number, out var problem))
            errors["individualNumber"] = [problem!.Message];
        var signing = ReadRequest(request.SigningRequest, "signingRequest", errors);
        var authentication = ReadRequest(request.AuthenticationRequest, "authenticationRequest", errors);
        // Compared as re-written, like the keys of other cards: two encodings of one key are one key. Computed once, kept below.
        var keys = signing is null || authentication is null ? null : new KeyPrints(KeyFingerprint(signing.PublicKey), KeyFingerprint(authentication.PublicKey));
        if (keys is not null && keys.Signing == keys.Authentication)
            errors["authenticationRequest"] = ["署名用と利用者証明用に別の鍵が必要です / the two certificates need different keys"];
        if (errors.Count > 0) return (null, new CardRefusal(400, "invalid-card-request", "入力内容に誤りがあります / The request has invalid fields", null, errors));

        // The Registry may record a change between its answer and the card's storing; the answer asked again after the storing
        // tells (see below), and the card is then made again from the new items, a few times at most.
        for (var attempt = 1; ; attempt++)
        {
            var (identity, refusal) = await registry.ByNumberAsync(number.Digits, ct);
            if (identity is null)
                return (null, new CardRefusal(refusal!.Status, Renkei.Hosting.Problems.SlugOf(refusal.Type), refusal.Title));
            if (identity.Status != "resident")
                return (null, new CardRefusal(409, "not-a-resident", "住民登録がないため発行できません / The person is not a registered resident",
                    "カードは現在の住民票がある方にだけ交付します / A card is issued only to a person whose resident record is current."));
            if (!DateOnly.TryParseExact(identity.DateOfBirth, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var dob))
                return (null, new CardRefusal(502, "registry-unreadable", "住基の回答を読めません / The Registry's answer could not be read"));

            // One instant for the check and the certificates: read twice, a 15th birthday at midnight in Japan could pass over the
            // signing CA here and issue under it there.
            var now = clock.GetUtcNow();
            var carriesSigning = CertificateProfile.CarriesSigning(dob, now);
            if (authorities.NotValidAt(now, signing: carriesSigning) is { } ca)
                return (null, CaNotValid(ca));

            // Stored pending: the holder's current card stays good until this one is confirmed (ActivateAsync), so an
            // issuance undone below never leaves the holder without a valid card.
            var (card, stored) = await StoreAsync(identity, dob, now, carriesSigning, signing!, authentication!, keys!, ct);
            if (card is null) return (null, stored);

            // The Registry answered before the card was stored: a change recorded since, which the revocation follower may already
            // have read while this card did not yet exist, would leave it valid with untrue items. Asked again now, it cannot: what
            // the Registry records after this answer, the follower reads after the card is stored. The caller going away does not
            // stop this check or what it undoes (the Registry client gives up after its own timeout).
            var (again, unanswered) = await registry.ByNumberAsync(number.Digits, CancellationToken.None);
            if (again is null)
            {
                // Unconfirmed is not good: withdrawn, so that OCSP never says good for items that may have changed meanwhile.
                await WithdrawAsync(identity.ResidentId, card.CardId, RevocationReason.Superseded, RevocationReason.Superseded, "withdrawn", CancellationToken.None);
                return (null, new CardRefusal(unanswered!.Status >= 500 ? 503 : unanswered.Status, Renkei.Hosting.Problems.SlugOf(unanswered.Type), unanswered.Title,
                    "交付を住基で確かめられなかったため、発行した証明書を失効しました。以前のカードはそのまま有効です。もう一度交付してください / " +
                    "The Registry could not confirm the issuance, so its certificates were revoked and the previous card stays valid: issue the card again."));
            }
            if (again.Status != "resident")
            {
                await WithdrawAsync(identity.ResidentId, card.CardId, RevocationReason.HolderGone, RevocationReason.HolderGone, "holder-gone", CancellationToken.None);
                return (null, new CardRefusal(409, "not-a-resident", "住民登録がないため発行できません / The person is not a registered resident",
                    "発行中に住民登録が変わったため、発行した証明書を失効しました / The resident record changed while the card was issued: its certificates were revoked."));
            }
            if (!SameItems(identity, again))
            {
                // The signing certificate asserts items that are no longer true: revoked as a change revokes it, and the card made again.
                await WithdrawAsync(identity.ResidentId, card.CardId, RevocationReason.ItemsChanged, RevocationReason.Superseded, "withdrawn", CancellationToken.None);
                if (attempt < MaxAttempts) continue;
                return (null, ItemsChanged);
            }
            switch (await ActivateAsync(identity.ResidentId, card.CardId))
            {
                case Activation.Done:
                    return (card, null);
                case Activation.RevokedMeanwhile:
                    // A Registry event recorded after the second answer revoked the pending card: made again from what the Registry says now.
                    if (attempt < MaxAttempts) continue;
                    return (null, ItemsChanged);
                default:
                    return (null, new CardRefusal(409, "concurrent-issuance", "同じ方のカードを同時に発行しようとしました / Another card for this resident was being issued at the same moment",
                        "このカードは発行しませんでした。もう一度お試しください / This card was not issued; try again."));
            }
        }
    }

    /// <summary>How many times a card is made when the Registry records a change of the holder's items while it is made.</summary>
    private const int MaxAttempts = 3;

    /// <summary>A card that raced a change of the holder's items on every attempt (or was revoked by one before it was active).</summary>
    private static readonly CardRefusal ItemsChanged = new(409, "holder-items-changed", "発行中に基本4情報が変わりました / The holder's items changed while the card was issued",
        "発行した証明書は失効しました。以前のカードは、住基の変更で失効していなければ有効です。もう一度交付してください / " +
        "Its certificates were revoked and the previous card stays valid unless the change revoked it: issue the card again.");

    /// <summary>A CA past its validity signs nothing new: relying parties refuse what it signs, and the rollover is the operator's (docs/pki.md).</summary>
    private static CardRefusal CaNotValid(Authority ca)
    {
        var until = JapanTime.DateOf(ca.NotAfter).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        return new(503, "ca-expired", "認証局の証明書が有効期間外のため発行できません / The certification authority's certificate is not valid",
            $"認証局「{ca.Name}」の証明書は{until}までです。新しい認証局に切り替えるまでカードは発行できません / " +
            $"The certificate of the CA {ca.Name} is valid until {until}: no card can be issued until the PKI rolls over to a new CA.");
    }

    private static bool SameItems(RegistryIdentity a, RegistryIdentity b) =>
        a.ResidentId == b.ResidentId && a.FamilyName == b.FamilyName && a.GivenName == b.GivenName && a.Address == b.Address
        && a.DateOfBirth == b.DateOfBirth && a.Sex == b.Sex;

    /// <summary>The fingerprints (KeyFingerprint) of the two keys a card made, computed once per issuance.</summary>
    private sealed record KeyPrints(string Signing, string Authentication);

    /// <summary>A card makes its keys in its chip: a key another card already carries means a cloned card or a broken issuing system.</summary>
    private static readonly CardRefusal KeyOnAnotherCard = new(409, "key-on-another-card", "この鍵は別のカードに証明書が発行済みです / The key is already certified on another card",
        "カードは鍵をそれぞれのチップで作るため、同じ公開鍵が2枚のカードにあることはありません。複製されたカードか発行機の不具合の疑いがあります。発行しませんでした / " +
        "Each card makes its keys in its own chip, so one public key on two cards means a cloned card or a faulty issuing system: nothing was issued.");

    /// <summary>
    /// The refusal for keys a card already carries: the holder's own card (an issuance repeated after its answer was lost, or one
    /// still pending) is told apart from another resident's, which only a cloned card or a faulty issuing system explains. No
    /// card carries them any more when the one that did was withdrawn between the refusal and this question.
    /// </summary>
    private async Task<CardRefusal> KeyOnAnotherCardAsync(string residentId, KeyPrints keys, CancellationToken ct)
    {
        await using var c = await database.OpenAsync(ct);
        var holders = await CertificateStore.HoldersOfKeysAsync(c, keys.Signing, keys.Authentication);
        return holders.Count == 0 ? KeyReleasedMeanwhile : holders.All(h => h == residentId) ? KeyOnOwnCard : KeyOnAnotherCard;
    }

    private static readonly CardRefusal KeyReleasedMeanwhile = new(409, "concurrent-issuance", "同じ鍵のカードを同時に発行しようとしました / A card with the same key was being issued at the same moment",
        "その発行は取り消され、いまこの鍵を持つカードはありません。このカードは発行しませんでした。もう一度お試しください / " +
        "That issuance was undone and no card carries the key now: this card was not issued; try again.");

    private static readonly CardRefusal KeyOnOwnCard = new(409, "key-on-another-card", "この鍵は別のカードに証明書が発行済みです / The key is already certified on another card",
        "この鍵には、同じ方のカードの証明書がすでに発行済みか発行中です（応答が届かなかった交付の繰り返しなど）。発行しませんでした。交付済みのカードを確かめてください / " +
        "A card of this same holder already carries the key, issued or still being issued (an issuance repeated after its answer was lost, for instance): nothing was issued; check the holder's cards.");

    /// <summary>
    /// The fingerprint by which one key is kept to one card, of the key as .NET writes it again: a request may encode one RSA key
    /// with its algorithm's NULL parameters or without them, or its modulus without the 0x00 pad, and a copy must not pass as
    /// another key. A request's exponent is always 65537 (ReadRequest), so for a new card the fingerprint stands for the modulus;
    /// certificates of older builds (OldCardKeys) are fingerprinted with the exponent they were written with.
    /// </summary>
    internal static string KeyFingerprint(PublicKey publicKey)
    {
        using var key = publicKey.GetRSAPublicKey() ?? throw new InvalidOperationException("card requests carry RSA keys");
        return KeyFiles.PublicKeyFingerprint(key.ExportSubjectPublicKeyInfo());
    }

    private const string UnderSigningAge = "15歳未満の方には署名用電子証明書を発行しません。利用者証明用電子証明書だけを発行しました / " +
        "No signing certificate is issued to a holder under 15: the card carries the user authentication certificate only.";

    /// <summary>
    /// Makes the certificates from the Registry's answer (the signing one only for a holder of 15 or more) and stores the card as
    /// pending (the resident's current card stays active).
    /// </summary>
    private async Task<(CardIssued? Card, CardRefusal? Refusal)> StoreAsync(
        RegistryIdentity identity, DateOnly dob, DateTimeOffset now, bool carriesSigning, CertificateRequest signing, CertificateRequest authentication,
        KeyPrints keys, CancellationToken ct)
    {
        var holder = new HolderItems($"{identity.FamilyName} {identity.GivenName}", identity.Address, dob, identity.Sex);
        var (notAfter, cardExpires) = CertificateProfile.Validity(dob, now);
        var notBefore = now.AddMinutes(-1);
        var cardId = "C" + Convert.ToHexString(RandomNumberGenerator.GetBytes(10));
        // JPKI issues no signing certificate, which would carry the four items, to a person under 15.
        var signingCert = carriesSigning
            ? CertificateProfile.Issue(authorities.Signing, CertificateKind.Signing, signing.PublicKey, holder,
                Convert.ToHexString(RandomNumberGenerator.GetBytes(16)), notBefore, notAfter, CertificationAuthorities.RandomSerial(),
                urls.Crl(CertificateKind.Signing), urls.Ocsp)
            : null;
        var authenticationCert = CertificateProfile.Issue(authorities.Authentication, CertificateKind.Authentication, authentication.PublicKey, null,
            Convert.ToHexString(RandomNumberGenerator.GetBytes(16)), notBefore, notAfter, CertificationAuthorities.RandomSerial(),
            urls.Crl(CertificateKind.Authentication), urls.Ocsp);

        var certificates = new[] { (CertificateKind.Signing, signingCert), (CertificateKind.Authentication, authenticationCert) }
            .Where(c => c.Item2 is not null).Select(c => (c.Item1, c.Item2!)).ToArray();
        try
        {
            await using var c = await database.OpenAsync(ct);
            await using var tx = await database.BeginSerializedAsync(c, CardStore.LockKey(identity.ResidentId), ct);
            // The Registry position the items are from: a later event revokes what they assert (RegistryEventFollower), also
            // while the card is pending, since its certificates exist from now on.
            await CardStore.InsertAsync(c, tx, new CardRecord(cardId, identity.ResidentId, identity.MunicipalityCode, now.UtcDateTime, cardExpires, "pending",
                identity.LastPosition));
            // Both keys the card made, the signing one also when it gets no certificate (under 15): it is on no other card either.
            // In one order whatever their roles: two issuances that share a key in swapped roles then wait on each other's
            // first row instead of deadlocking.
            foreach (var key in new[] { keys.Signing, keys.Authentication }.Order(StringComparer.Ordinal))
                await CertificateStore.HoldKeyAsync(c, tx, key, cardId, identity.ResidentId);
            foreach (var (kind, cert) in certificates)
                await CertificateStore.InsertAsync(c, tx, new CertificateRecord(cert.SerialNumber, kind, cardId, identity.ResidentId,
                    now.UtcDateTime, cert.NotBefore.ToUniversalTime(), cert.NotAfter.ToUniversalTime(), cert.RawData, null, null, identity.LastPosition));
            await tx.CommitAsync(ct);
        }
        catch (Exception e) when (Database.IsUniqueViolation(e))
        {
            // The only unique value not drawn at random here is the key: another card (stored before, or at this moment by
            // another issuance) carries it. Nothing was stored.
            return (null, await KeyOnAnotherCardAsync(identity.ResidentId, keys, ct));
        }
        return (new CardIssued(cardId, identity.ResidentId, identity.MunicipalityCode, cardExpires.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            new HolderView(holder.Name, holder.Address, identity.DateOfBirth, identity.Sex),
            signingCert is null ? null : signingCert.ExportCertificatePem() + "\n", authenticationCert.ExportCertificatePem() + "\n",
            authorities.ChainPem(CertificateKind.Signing), authorities.ChainPem(CertificateKind.Authentication), recoveryKey.PublicPem,
            signingCert is null ? UnderSigningAge : null), null);
    }

    /// <summary>
    /// Puts a confirmed card in use: supersedes the resident's current card and revokes its certificates, in one transaction with
    /// the activation. Issuances for one resident run one after another under the lock, so each supersedes the card before it;
    /// the unique index on active cards (migration 0002) holds even if a writer forgot the lock. A card that a Registry event
    /// revoked while it was pending is not activated: the change came after the confirmation, and the card is withdrawn.
    /// </summary>
    private enum Activation { Done, RevokedMeanwhile, Concurrent }

    private async Task<Activation> ActivateAsync(string residentId, string cardId)
    {
        List<string> superseded;
        try
        {
            await using var c = await database.OpenAsync();
            await using var tx = await database.BeginSerializedAsync(c, CardStore.LockKey(residentId));
            var now = clock.GetUtcNow().UtcDateTime;
            if (await c.ScalarAsync<long>("SELECT COUNT(*) FROM certificates WHERE card_id = @c AND revoked_at IS NOT NULL", tx, ("c", cardId)) > 0)
            {
                await tx.RollbackAsync();
                await WithdrawAsync(residentId, cardId, RevocationReason.ItemsChanged, RevocationReason.Superseded, "withdrawn", CancellationToken.None);
                return Activation.RevokedMeanwhile;
            }
            // The active card's certificates only: another issuance's pending card is not this one's to supersede.
            var current = await c.QueryAsync("SELECT card_id FROM cards WHERE resident_id = @r AND status = 'active'", r => r.GetString(0), tx, ("r", residentId));
            await CardStore.SupersedeAsync(c, tx, residentId, now);
            superseded = [];
            foreach (var old in current)
                superseded.AddRange(await CertificateStore.RevokeOfResidentAsync(c, tx, residentId,
                    [CertificateKind.Signing, CertificateKind.Authentication], RevocationReason.Superseded, now, old));
            await c.ExecuteAsync("UPDATE cards SET status = 'active', status_changed_at = @t WHERE card_id = @i AND status = 'pending'", tx,
                ("t", CertificateStore.Text(now)), ("i", cardId));
            await tx.CommitAsync();
        }
        catch (Exception e) when (Database.IsUniqueViolation(e))
        {
            await WithdrawAsync(residentId, cardId, RevocationReason.Superseded, RevocationReason.Superseded, "withdrawn", CancellationToken.None);
            return Activation.Concurrent;
        }
        revocation.Published(superseded);
        return Activation.Done;
    }

    /// <summary>
    /// Withdraws the cards still pending since before <paramref name="storedBefore"/>: an issuance cut off between storing its card
    /// and confirming it (a crash, a lost process) left certificates that OCSP would call good for items no one confirmed. An
    /// issuance still running that finds its card withdrawn makes it again (ActivateAsync). Returns the cards withdrawn.
    /// </summary>
    public async Task<int> WithdrawAbandonedAsync(DateTime storedBefore, CancellationToken ct)
    {
        List<(string CardId, string ResidentId)> abandoned;
        await using (var c = await database.OpenAsync(ct))
            abandoned = await c.QueryAsync("SELECT card_id, resident_id FROM cards WHERE status = 'pending' AND issued_at < @t ORDER BY issued_at",
                r => (r.GetString(0), r.GetString(1)), null, ("t", CertificateStore.Text(storedBefore)));
        var count = 0;
        foreach (var (cardId, residentId) in abandoned)
            if (await WithdrawAsync(residentId, cardId, RevocationReason.Superseded, RevocationReason.Superseded, "withdrawn", ct, onlyIfPending: true))
                count++;
        return count;
    }

    /// <summary>
    /// Undoes an issuance: revokes the card's two certificates and takes the card out of use. With <paramref name="onlyIfPending"/>
    /// (the sweep of abandoned cards, which listed the card before taking the lock) a card activated meanwhile is left alone:
    /// its holder was answered with it. False when nothing was done.
    /// </summary>
    private async Task<bool> WithdrawAsync(string residentId, string cardId, RevocationReason signingReason, RevocationReason authenticationReason,
        string cardStatus, CancellationToken ct, bool onlyIfPending = false)
    {
        List<string> withdrawn;
        await using (var c = await database.OpenAsync(ct))
        {
            await using var tx = await database.BeginSerializedAsync(c, CardStore.LockKey(residentId), ct);
            var wasPending = await c.ScalarAsync<string>("SELECT status FROM cards WHERE card_id = @i", tx, ("i", cardId)) == "pending";
            if (onlyIfPending && !wasPending)
            {
                await tx.RollbackAsync(ct);
                return false;
            }
            var now = clock.GetUtcNow().UtcDateTime;
            withdrawn = await CertificateStore.RevokeOfResidentAsync(c, tx, residentId, [CertificateKind.Signing], signingReason, now, cardId);
            withdrawn.AddRange(await CertificateStore.RevokeOfResidentAsync(c, tx, residentId, [CertificateKind.Authentication], authenticationReason, now, cardId));
            await c.ExecuteAsync("UPDATE cards SET status = @s, status_changed_at = @t WHERE card_id = @i AND status IN ('pending', 'active')", tx,
                ("s", cardStatus), ("t", CertificateStore.Text(now)), ("i", cardId));
            // Only a card never delivered gives its keys back: a delivered card's keys stay its own.
            if (wasPending)
                await CertificateStore.ReleaseKeysAsync(c, tx, cardId);
            await tx.CommitAsync(ct);
        }
        revocation.Published(withdrawn);
        return true;
    }

    private const string UnsupportedAlgorithm = "証明書署名要求の鍵または署名のアルゴリズムに対応していません（RSA と SHA-256 を使ってください） / " +
        "the signing request's key or signature algorithm is not supported: use an RSA key signed with SHA-256";

    /// <summary>RSA PKCS#1 v1.5 with SHA-256 or longer, as the card signs. .NET also reads SHA-1 and PSS requests (whose default hash
    /// is SHA-1): a proof of possession in a hash the CA itself would not sign with is refused rather than certified.</summary>
    private static bool SignedAsTheCardSigns(byte[] der)
    {
        var request = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        request.ReadEncodedValue(); // certificationRequestInfo
        return request.ReadSequence().ReadObjectIdentifier() is "1.2.840.113549.1.1.11" or "1.2.840.113549.1.1.12" or "1.2.840.113549.1.1.13";
    }

    /// <summary>The request's DER: base64, or the first CERTIFICATE REQUEST block of PEM text (what else is pasted around it is passed over).</summary>
    private static byte[] DerOf(string text)
    {
        if (!text.Contains("-----BEGIN", StringComparison.Ordinal)) return Convert.FromBase64String(text);
        for (var rest = text.AsSpan(); PemEncoding.TryFind(rest, out var pem); rest = rest[pem.Location.End..])
            if (rest[pem.Label].SequenceEqual("CERTIFICATE REQUEST")) return Convert.FromBase64String(rest[pem.Base64Data].ToString());
        throw new FormatException("no CERTIFICATE REQUEST block");
    }

    private static readonly byte[] CardExponent = [0x01, 0x00, 0x01];

    private CertificateRequest? ReadRequest(string? text, string field, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            errors[field] = ["証明書署名要求（PKCS#10）が必要です / a PKCS#10 certificate signing request is required"];
            return null;
        }
        try
        {
            var der = DerOf(text);
            var request = CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
            if (!SignedAsTheCardSigns(der))
            {
                errors[field] = [UnsupportedAlgorithm];
                return null;
            }
            using var rsa = request.PublicKey.GetRSAPublicKey();
            if (rsa is null || rsa.KeySize < options.CardKeySize)
            {
                errors[field] = [$"RSA {options.CardKeySize} ビット以上の鍵が必要です / the key must be RSA of at least {options.CardKeySize} bits"];
                return null;
            }
            // A card makes its keys with e = 65537 (JPKI; what CAs ask for). Another exponent on a modulus would be another key to the
            // fingerprint, and only someone who has a card's private key, and so its factors, can make one: a copied card.
            if (!rsa.ExportParameters(false).Exponent.AsSpan().SequenceEqual(CardExponent))
            {
                errors[field] = ["公開指数が65537の RSA 鍵が必要です / the RSA key's public exponent must be 65537"];
                return null;
            }
            return request;
        }
        catch (NotSupportedException)
        {
            // .NET checks the request's signature while it reads it and knows no MD5 signature nor an Ed25519 key.
            errors[field] = [UnsupportedAlgorithm];
            return null;
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException or AsnContentException)
        {
            errors[field] = ["証明書署名要求を読めないか署名が不正です / the signing request is unreadable or its signature is wrong"];
            return null;
        }
    }
}
