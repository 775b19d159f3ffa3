using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Pki.Authorities;
using Renkei.Pki.Certificates;
using Renkei.Pki.Registry;
using Renkei.Pki.Revocation;

namespace Renkei.Pki.Cards;

public sealed record PinResetRequest(string? IndividualNumber, string? Recovery);

public sealed record PinResetAnswer(string CardId, string DataKeys);

public sealed record CertificateView(string Serial, CertificateKind Kind, [property: DataType(DataType.DateTime)] string NotBefore,
    [property: DataType(DataType.DateTime)] string NotAfter, [property: AllowedValues("good", "revoked", "expired")] string Status,
    [property: DataType(DataType.DateTime)] string? RevokedAt, RevocationReason? Reason);

public sealed record CardView(string CardId, string ResidentId, string MunicipalityCode, [property: DataType(DataType.DateTime)] string IssuedAt,
    [property: DataType(DataType.Date)] string ExpiresOn, [property: AllowedValues("pending", "active", "lost", "superseded", "holder-gone", "number-changed", "withdrawn")] string Status,
    List<CertificateView> Certificates);

/// <summary>
/// The municipality's card counter (permission <c>pki:cards</c>): issue a card, read it, take a
/// loss report (both certificates revoked), and reset a locked PIN after an identity check.
/// </summary>
public static class CardsApi
{
    public static void MapCards(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/cards").WithTags("Cards").RequirePermission("pki:cards");
        group.MapPost("/", Issue).WithSummary("交付: checks the resident with the Registry and issues both certificates.");
        group.MapGet("/{cardId}", Get).WithSummary("A card and the status of its certificates.");
        group.MapPost("/{cardId}/loss", ReportLoss).WithSummary("紛失届: revokes both certificates of the card.");
        group.MapPost("/{cardId}/pin-reset", ResetPin).WithSummary("暗証番号の初期化: after an identity check, unwraps the card's data keys.");
    }

    private static async Task<Results<Created<CardIssued>, ProblemHttpResult>> Issue(IssueCardRequest request, CardIssuance issuance, CancellationToken ct)
    {
        var (card, refusal) = await issuance.IssueAsync(request, ct);
        if (card is not null) return TypedResults.Created($"/api/cards/{card.CardId}", card);
        return refusal!.Errors is { } errors ? Problems.Invalid(errors, refusal.Slug) : Problems.Result(refusal.Status, refusal.Slug, refusal.Title, refusal.Detail);
    }

    private static async Task<Results<Ok<CardView>, ProblemHttpResult>> Get(string cardId, Database database, TimeProvider clock)
    {
        await using var c = await database.OpenAsync();
        var card = await CardStore.FindAsync(c, cardId);
        if (card is null) return UnknownCard();
        var now = clock.GetUtcNow().UtcDateTime;
        var certificates = (await CertificateStore.OfCardAsync(c, cardId)).Select(r => new CertificateView(r.Serial, r.Kind,
            CertificateStore.Text(r.NotBefore), CertificateStore.Text(r.NotAfter),
            r.RevokedAt is not null ? "revoked" : r.NotAfter < now ? "expired" : "good",
            r.RevokedAt is { } at ? CertificateStore.Text(at) : null, r.Reason)).ToList();
        return TypedResults.Ok(new CardView(card.CardId, card.ResidentId, card.MunicipalityCode, CertificateStore.Text(card.IssuedAt),
            card.ExpiresOn.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), card.Status, certificates));
    }

    private static async Task<Results<Ok<CardView>, ProblemHttpResult>> ReportLoss(string cardId, Database database, RevocationService revocation, TimeProvider clock)
    {
        List<string> serials;
        await using (var c = await database.OpenAsync())
        {
            // The holder is read first for the lock's key (a card's holder never changes); the status only under the lock, which
            // the follower, activations and withdrawals take too: a death or a move abroad committed meanwhile is seen and stays
            // (the card was no longer in use: not-active, as for a card already lost), and the two do not lock cards and
            // certificates in opposite orders (a deadlock on PostgreSQL).
            var holder = await CardStore.FindAsync(c, cardId);
            if (holder is null) return UnknownCard();
            await using var tx = await database.BeginSerializedAsync(c, CardStore.LockKey(holder.ResidentId));
            var card = (await CardStore.FindAsync(c, cardId, tx))!;
            if (card.Status != "active")
                return NotActive(card.Status);
            var now = clock.GetUtcNow().UtcDateTime;
            await CardStore.LostAsync(c, tx, cardId, now);
            serials = await CertificateStore.RevokeOfResidentAsync(c, tx, card.ResidentId,
                [CertificateKind.Signing, CertificateKind.Authentication], RevocationReason.Lost, now, cardId);
            await tx.CommitAsync();
        }
        revocation.Published(serials);
        return await Get(cardId, database, clock);
    }

    private static async Task<Results<Ok<PinResetAnswer>, ProblemHttpResult>> ResetPin(
        string cardId, PinResetRequest request, Database database, RegistryClient registry, CardRecoveryKey recoveryKey, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!IndividualNumber.TryParse(request.IndividualNumber, out var number, out var problem)) errors["individualNumber"] = [problem!.Message];
        byte[]? blob = null;
        try { if (request.Recovery is { Length: > 0 } r) blob = Convert.FromBase64String(r); }
        catch (FormatException) { }
        if (blob is null) errors["recovery"] = ["カードの復旧情報（base64）が必要です / the card's recovery blob (base64) is required"];
        if (errors.Count > 0) return Problems.Invalid(errors);

        CardRecord? card;
        await using (var c = await database.OpenAsync(ct)) card = await CardStore.FindAsync(c, cardId);
        if (card is null) return UnknownCard();
        var (identity, refusal) = await registry.ByNumberAsync(number.Digits, ct);
        // A Registry that cannot answer is an outage, not a failed identity check.
        if (refusal is { Status: >= 500 })
            return Problems.Result(refusal.Status == 503 ? 503 : 502, Problems.SlugOf(refusal.Type), refusal.Title,
                "住基が応答するようになってから、もう一度お試しください / Try again when the Registry answers.");
        // The person at the counter must be the card's holder; any other answer refuses.
        if (identity is null || identity.ResidentId != card.ResidentId)
            return Problems.Result(403, "identity-mismatch", "本人確認ができません / The identity check failed",
                "この方はこのカードの所持者ではありません / The person is not this card's holder.");
        // Asked of the Registry now, not of the card's row, which changes only when the PKI has followed the death or move abroad.
        if (identity.Status != "resident")
            return Problems.Result(403, "holder-not-resident", "所持者は住民ではありません / The holder is not a current resident",
                "住基に所持者の現在の住民票がない（死亡・国外転出・転出）ため、暗証番号は初期化しません / " +
                "The Registry has no current resident record for the holder (deceased, abroad or moved out), so no PIN is reset.");
        if (card.Status != "active")
            return NotActive(card.Status);
        var keys = recoveryKey.Unwrap(blob!);
        var prefix = System.Text.Encoding.ASCII.GetBytes(cardId + "\0");
        if (keys is null || !keys.AsSpan().StartsWith(prefix))
            return Problems.BadRequest("invalid-recovery", "復旧情報が不正です / The recovery blob is not this PKI's",
                "復旧情報を復号できませんでした / The blob could not be unwrapped.");
        return TypedResults.Ok(new PinResetAnswer(cardId, Convert.ToBase64String(keys[prefix.Length..])));
    }

    private static ProblemHttpResult NotActive(string status) =>
        Problems.Conflict("card-not-active", "このカードは有効ではありません / The card is not active",
            $"カードの状態は「{StatusInJapanese(status)}」です / The card is {status}.");

    /// <summary>A card's status (other than active) as the counter says it.</summary>
    private static string StatusInJapanese(string status) => status switch
    {
        "pending" => "交付手続き中",
        "lost" => "紛失",
        "superseded" => "新しいカードの交付により失効",
        "holder-gone" => "所持者の死亡・国外転出等により失効",
        "number-changed" => "個人番号の変更により失効（カードを返納し、新しいカードの交付を受けてください）",
        "withdrawn" => "交付の取消し（発行中に住民票が変わったか、住基で確かめられなかったため）",
        _ => status,
    };

    private static ProblemHttpResult UnknownCard() =>
        Problems.NotFound("unknown-card", "該当するカードがありません / No such card", "このIDのカードはありません / No card has this id.");
}
