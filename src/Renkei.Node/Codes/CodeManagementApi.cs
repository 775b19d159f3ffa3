using System.Data.Common;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Hosting.Tls;
using Renkei.Node.Tenants;
using Renkei.Protocol;

namespace Renkei.Node.Codes;

public sealed record AcquisitionRequest(List<string>? AddresseeNumbers);

public sealed record Acquisition(string AddresseeNumber, string AcquisitionNumber);

public sealed record AcquisitionList(List<Acquisition> Acquisitions);

public sealed record DiscardRequest(List<string>? AcquisitionNumbers);

/// <summary>
/// How many acquisition numbers were discarded, and which: those still pending, whether no code came for them or the
/// node would not store the one that came, so the addressee system learns who got none. Of those, the ones whose addressee
/// holds a code already (<paramref name="AddresseeHoldsCode"/>): a code delivered for them was another person's than the
/// one held, kept out until the addressee's code is released; for the others, another addressee holds the code that came.
/// </summary>
public sealed record DiscardReceipt(int Discarded, List<string> AcquisitionNumbers, List<string>? AddresseeHoldsCode = null);

public sealed record AddresseeStatus(string AddresseeNumber, bool HasAgencyCode, DateTime? CodeIssuedAt);

/// <summary>
/// What a release did: whether the addressee held a code (now cleared), and the items of the copies it holds, which stay: they
/// are the addressee's own, and are provided again once the right code is issued. None are named for an addressee without a code.
/// </summary>
public sealed record ReleaseReceipt(string AddresseeNumber, bool CodeReleased, List<string> CopiesKept);


/// <summary>
/// 符号管理: the agency's addressee system asks for acquisition numbers for its addressees, sends them
/// with the Individual Numbers to the Registry (never here), and the core delivers the codes here
/// with the same acquisition numbers, which are deleted once matched. An acquisition number serves
/// one request: one that got no code, or a code the node would not store, is discarded by the addressee
/// system, or expires with the link key.
/// </summary>
public static class CodeManagementApi
{
    public const int MaxBatch = 100_000;

    public static void MapCodeManagement(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/tenants/{agencyId}").WithTags("CodeManagement");
        group.MapPost("/acquisitions", Acquire).RequireAuthorization(NodeApp.StaffPolicy)
            .WithSummary("取得番号: one fresh acquisition number per addressee, for a code request through the Registry.");
        group.MapPost("/acquisitions/discard", Discard).RequireAuthorization(NodeApp.StaffPolicy)
            .WithSummary("Discards acquisition numbers whose request ended without a stored code (refused, unknown, failed, the addressee holds another code, another addressee holds this one) and names those that were pending.");
        group.MapGet("/addressees/{addresseeNumber}", Status).RequireAuthorization(NodeApp.StaffPolicy)
            .WithSummary("Whether the tenant holds its agency code for an addressee.");
        group.MapPost("/addressees/{addresseeNumber}/release", Release).RequireAuthorization(NodeApp.StaffPolicy)
            .WithSummary("Releases an addressee's agency code, so that the addressee can be issued the right person's; its copies stay (they are the addressee's own, kept under the agency's addressee number). An addressee holding no code is left as it is. ?dryRun=true names what a release would do, changing nothing.");
        group.MapPost("/codes/delivered", Delivered).RequireNetworkParty(id => id == NetworkIdentity.Core, "コア", "the core").WithSummary("The core delivers issued codes (signed by the core, sealed to the tenant).");
    }

    /// <summary>An agency's own person number: up to 32 letters, digits or hyphens, and never shaped like an Individual Number.</summary>
    public static bool IsAddresseeNumber(string? s) =>
        s is { Length: > 0 and <= 32 } && s.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '-') && !NumberShape.ContainsIndividualNumber(s);

    /// <summary>
    /// Why <paramref name="s"/> is no addressee number, in words a clerk can act on (never repeating the value); null when it
    /// is one. The node's APIs and the renkei commands tell the same mistakes the same way: an Individual Number in the
    /// addressee number's place, and full-width characters, which the node never turns into half-width ones (Ｂ－０００００１
    /// would be another addressee than B-000001).
    /// </summary>
    public static string? AddresseeNumberProblem(string? s) =>
        string.IsNullOrEmpty(s) ? "宛名番号がありません / no addressee number"
        : NumberShape.ContainsIndividualNumber(s) ? NumberShaped
        : HasFullWidth(s) ? FullWidth
        : IsAddresseeNumber(s) ? null
        : "宛名番号は半角の英数字とハイフン32文字以内です / an addressee number is up to 32 half-width letters, digits or hyphens";

    public const string NumberShaped = "個人番号の形をしています（11桁または12桁の数字）。宛名番号の欄に個人番号を書いていませんか。中間サーバーは個人番号を受け付けません / "
        + "looks like an Individual Number (11 or 12 digits): is an Individual Number where the addressee number belongs? The node never accepts one";

    public const string FullWidth = "全角の文字が含まれています。宛名番号は半角の英数字とハイフンで書いてください / "
        + "holds full-width characters: write the addressee number in half-width (半角) letters, digits and hyphens";

    /// <summary>The full-width forms of ASCII (Ａ, ０, －) and the ideographic space: what a Japanese input method types in place of half-width.</summary>
    private static bool HasFullWidth(string s) => s.Any(ch => ch is >= '\uFF01' and <= '\uFF5E' or '\u3000');

    /// <summary>
    /// The refusal of a value mistyped where an addressee number belongs, naming the field (never the value): one shaped like
    /// an Individual Number, or one in full-width characters (answered as another person's otherwise); null when neither.
    /// </summary>
    public static ProblemHttpResult? RefuseMistyped(string field, string? value) => RefuseMistyped(field, [value], first: null);

    /// <summary>
    /// The refusal of a path's addressee number that no code or copy could ever be kept under: mistyped as above, or of no
    /// addressee number's form at all (400 naming the field); null for a well-formed one.
    /// </summary>
    public static ProblemHttpResult? RefuseAddresseeNumber(string field, string? value) =>
        RefuseMistyped(field, value)
        ?? (AddresseeNumberProblem(value) is { } wrong ? Problems.Invalid(new Dictionary<string, string[]> { [field] = [wrong] }) : null);

    /// <summary>
    /// The same for a list: up to 20 offending positions, counted from <paramref name="first"/> as the endpoint counts its
    /// other errors (null: the field alone, for a single value).
    /// </summary>
    public static ProblemHttpResult? RefuseMistyped(string field, IReadOnlyList<string?> values, int? first)
    {
        List<string> At(Func<string, bool> wrong) => [.. values.Select((v, i) => (v, i)).Where(x => x.v is not null && wrong(x.v)).Take(20)
            .Select(x => first is { } f ? $"{field}[{x.i + f}]" : field)];
        if (At(NumberShape.ContainsIndividualNumber) is { Count: > 0 } shaped)
            return Problems.BadRequest("addressee-number-looks-like-individual-number",
                "宛名番号が個人番号の形をしています。中間サーバーは個人番号を受け付けません / The addressee number looks like an Individual Number, which the node never accepts",
                $"{string.Join(", ", shaped)}: 11桁または12桁の数字は宛名番号にできません / 11 or 12 digits cannot be an addressee number.");
        if (At(HasFullWidth) is { Count: > 0 } wide)
            return Problems.BadRequest("addressee-number-full-width",
                "宛名番号に全角の文字があります / The addressee number holds full-width characters",
                $"{string.Join(", ", wide)}: 宛名番号は半角の英数字とハイフンで書いてください / write addressee numbers in half-width (半角) letters, digits and hyphens.");
        return null;
    }

    /// <summary>
    /// Removes acquisition numbers older than a link key lives: no code can answer them any more
    /// (their request was refused or lost), so keeping them only keeps a join nobody needs.
    /// </summary>
    private static async Task ExpireAsync(DbConnection c, DbTransaction tx, DateTime now) =>
        await DropUnheldAsync(c, tx, await c.QueryAsync("DELETE FROM acquisitions WHERE requested_at < @t RETURNING addressee_number", r => r.GetString(0), tx,
            ("t", (now - Renkei.Hosting.Linkage.LinkKeySeal.Lifetime).ToString("O"))));

    /// <summary>
    /// Removes those of these addressees that hold no code, no copy and no pending acquisition: a row an acquisition made for
    /// someone the Registry did not find (or a mistyped addressee number) read as "awaiting a code" for ever.
    /// </summary>
    private static async Task DropUnheldAsync(DbConnection c, DbTransaction tx, IEnumerable<string> addresseeNumbers)
    {
        await using var drop = c.Command("""
            DELETE FROM addressees WHERE addressee_number = @n AND agency_code IS NULL
              AND NOT EXISTS (SELECT 1 FROM copies WHERE copies.addressee_number = @n)
              AND NOT EXISTS (SELECT 1 FROM acquisitions WHERE acquisitions.addressee_number = @n)
            """, tx, ("n", ""));
        foreach (var n in addresseeNumbers.Distinct())
        {
            drop.Parameters[0].Value = n;
            await drop.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// 128 random bits as 32 letters a–p (hex with letters for digits): the Registry refuses an acquisition number holding 11 or
    /// 12 digits in a row, which one in twenty hex strings of this length does.
    /// </summary>
    public static string NewAcquisitionNumber() =>
        string.Create(32, RandomNumberGenerator.GetBytes(16), static (chars, bytes) =>
        {
            for (var i = 0; i < bytes.Length; i++) (chars[2 * i], chars[2 * i + 1]) = ((char)('a' + (bytes[i] >> 4)), (char)('a' + (bytes[i] & 15)));
        });

    private static async Task<Results<Ok<AcquisitionList>, ProblemHttpResult>> Acquire(
        string agencyId, AcquisitionRequest request, ClaimsPrincipal user, TenantDirectory tenants, TimeProvider time)
    {
        var (tenant, problem) = tenants.Enter(user, agencyId, "addressee-system");
        if (tenant is null) return problem!;
        var numbers = request.AddresseeNumbers ?? [];
        var errors = new Dictionary<string, string[]>();
        if (numbers.Count is 0 or > MaxBatch) errors["addresseeNumbers"] = [$"1〜{MaxBatch}件を指定してください / send 1 to {MaxBatch} addressee numbers"];
        if (RefuseMistyped("addresseeNumbers", numbers, first: 0) is { } numberShaped) return numberShaped;
        // The first 20, as every list endpoint names them: 100,000 mistyped numbers made an answer of several megabytes.
        foreach (var i in Enumerable.Range(0, numbers.Count).Where(i => !IsAddresseeNumber(numbers[i])).Take(20))
            errors[$"addresseeNumbers[{i}]"] = [AddresseeNumberProblem(numbers[i])!];
        if (numbers.Distinct().Count() != numbers.Count) errors["addresseeNumbers"] = ["宛名番号が重複しています / addressee numbers repeat"];
        if (errors.Count > 0) return Problems.Invalid(errors);

        var clock = time.GetUtcNow().UtcDateTime;
        var now = clock.ToString("O");
        var list = numbers.Select(n => new Acquisition(n, NewAcquisitionNumber())).ToList();
        await using var c = await tenant.Database.OpenAsync();
        // Taken in turn with deliveries, discards and releases, which remove addressee rows this may be adding acquisitions to.
        await using var tx = await tenant.Database.BeginSerializedAsync(c, DeliveryLock(agencyId));
        await ExpireAsync(c, tx, clock);
        var insertAddressee = c.Command("INSERT INTO addressees (addressee_number, created_at) VALUES (@n, @t) ON CONFLICT (addressee_number) DO NOTHING", tx,
            ("n", ""), ("t", now));
        var insertAcquisition = c.Command("INSERT INTO acquisitions (acquisition_number, addressee_number, requested_at) VALUES (@a, @n, @t)", tx,
            ("a", ""), ("n", ""), ("t", now));
        foreach (var a in list)
        {
            insertAddressee.Parameters[0].Value = a.AddresseeNumber;
            await insertAddressee.ExecuteNonQueryAsync();
            insertAcquisition.Parameters[0].Value = a.AcquisitionNumber;
            insertAcquisition.Parameters[1].Value = a.AddresseeNumber;
            await insertAcquisition.ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
        return TypedResults.Ok(new AcquisitionList(list));
    }

    private static async Task<Results<Ok<DiscardReceipt>, ProblemHttpResult>> Discard(
        string agencyId, DiscardRequest request, ClaimsPrincipal user, TenantDirectory tenants)
    {
        var (tenant, problem) = tenants.Enter(user, agencyId, "addressee-system");
        if (tenant is null) return problem!;
        var numbers = request.AcquisitionNumbers ?? [];
        if (numbers.Count is 0 or > MaxBatch || numbers.Any(n => n is not { Length: > 0 and <= 64 }))
            return Problems.Invalid(new Dictionary<string, string[]>
            {
                ["acquisitionNumbers"] = [$"1〜64文字の取得番号を1〜{MaxBatch}件指定してください / send 1 to {MaxBatch} acquisition numbers of 1 to 64 characters"],
            });
        var discarded = new List<string>();
        var holdingCode = new List<string>();
        var addressees = new List<string>();
        await using var c = await tenant.Database.OpenAsync();
        await using var tx = await tenant.Database.BeginSerializedAsync(c, DeliveryLock(agencyId));
        await using var delete = c.Command("DELETE FROM acquisitions WHERE acquisition_number = @a RETURNING addressee_number", tx, ("a", ""));
        await using var held = c.Command("SELECT agency_code IS NOT NULL FROM addressees WHERE addressee_number = @n", tx, ("n", ""));
        foreach (var n in numbers.Distinct())
        {
            delete.Parameters[0].Value = n;
            if (await delete.ExecuteScalarAsync() is not string addressee) continue;
            discarded.Add(n!);
            held.Parameters[0].Value = addressee;
            // Only a row without a code can be left with nothing: DropUnheldAsync would look at one holding a code for nothing.
            if (Convert.ToBoolean(await held.ExecuteScalarAsync())) holdingCode.Add(n!);
            else addressees.Add(addressee);
        }
        await DropUnheldAsync(c, tx, addressees);
        await tx.CommitAsync();
        return TypedResults.Ok(new DiscardReceipt(discarded.Count, discarded, holdingCode));
    }

    private static async Task<Results<Ok<AddresseeStatus>, ProblemHttpResult>> Status(
        string agencyId, string addresseeNumber, ClaimsPrincipal user, TenantDirectory tenants)
    {
        // Whether a person has a code is the addressee system's business: it tells who is known to the agency.
        var (tenant, problem) = tenants.Enter(user, agencyId, "addressee-system");
        if (tenant is null) return problem!;
        if (RefuseAddresseeNumber("addresseeNumber", addresseeNumber) is { } wrong) return wrong;
        await using var c = await tenant.Database.OpenAsync();
        var rows = await c.QueryAsync("SELECT agency_code IS NOT NULL, code_issued_at FROM addressees WHERE addressee_number = @n",
            r => (HasCode: Convert.ToBoolean(r.GetValue(0)), IssuedAt: r.GetNullableString(1)), null, ("n", addresseeNumber));
        // An addressee still waiting for its code is (false, null): only no row at all is unknown.
        if (rows.Count == 0)
            return Problems.NotFound("unknown-addressee", "宛名番号が登録されていません / No such addressee number", "この機関にはその宛名番号がありません / The tenant has no such addressee.");
        var row = rows[0];
        return TypedResults.Ok(new AddresseeStatus(addresseeNumber, row.HasCode,
            row.IssuedAt is null ? null : DateTime.Parse(row.IssuedAt, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind)));
    }

    /// <summary>
    /// The way out of a code on the wrong addressee (a shifted line, two addressees swapped): the code is cleared and the
    /// addressee's copies stay. The business systems keep them under the agency's own addressee number, which names the
    /// agency's own person whatever code the export put on it: they are right as they stand once the right code is issued,
    /// and none of them is provided to anyone meanwhile. A row then left with no copy and no pending acquisition is removed,
    /// as after a discard. An addressee that holds no code is left as it is; one the tenant has no row for (never acquired,
    /// or released by a run this retries) likewise holds no code, so the answer is the same, not a 404 that reads as a typo
    /// in the first run. With <paramref name="dryRun"/>, what a release would do, changing nothing (for the command to ask first).
    /// </summary>
    private static async Task<Results<Ok<ReleaseReceipt>, ProblemHttpResult>> Release(
        string agencyId, string addresseeNumber, ClaimsPrincipal user, TenantDirectory tenants, ILogger<ReleaseReceipt> log, bool dryRun = false)
    {
        var (tenant, problem) = tenants.Enter(user, agencyId, "addressee-system");
        if (tenant is null) return problem!;
        if (RefuseAddresseeNumber("addresseeNumber", addresseeNumber) is { } wrong) return wrong;
        await using var c = await tenant.Database.OpenAsync();
        // In turn with deliveries: one arriving meanwhile could be told the addressee holds a code that is being cleared.
        await using var tx = await tenant.Database.BeginSerializedAsync(c, DeliveryLock(agencyId));
        var held = await c.QueryAsync("SELECT agency_code IS NOT NULL FROM addressees WHERE addressee_number = @n", r => Convert.ToBoolean(r.GetValue(0)), tx, ("n", addresseeNumber));
        if (held is not [true]) return TypedResults.Ok(new ReleaseReceipt(addresseeNumber, false, []));
        var items = await c.QueryAsync("SELECT item FROM copies WHERE addressee_number = @n", r => r.GetString(0), tx, ("n", addresseeNumber));
        if (dryRun) return TypedResults.Ok(new ReleaseReceipt(addresseeNumber, true, [.. items.Order(StringComparer.Ordinal)]));
        await c.ExecuteAsync("UPDATE addressees SET agency_code = NULL, code_issued_at = NULL WHERE addressee_number = @n", tx, ("n", addresseeNumber));
        await DropUnheldAsync(c, tx, [addresseeNumber]);
        await tx.CommitAsync();
        tenant.ForgetAgencyCode(addresseeNumber);
        log.LogWarning("Tenant {AgencyId}: addressee {AddresseeNumber} released (copies kept: {Copies})", agencyId, addresseeNumber, items.Count);
        return TypedResults.Ok(new ReleaseReceipt(addresseeNumber, true, [.. items.Order(StringComparer.Ordinal)]));
    }

    /// <summary>How many addressees holding another code a delivery names in the log, one line each.</summary>
    private const int MaxNamedInLog = 20;

    /// <summary>
    /// The advisory-lock key of one tenant's code deliveries, and of every other writer of its addressee rows (acquisitions,
    /// discards, releases, copies stored). Tenants may share a PostgreSQL database (a schema each), so each has a key of its own,
    /// the same in every node process.
    /// </summary>
    public static long DeliveryLock(string agencyId) =>
        BitConverter.ToInt64(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("renkei-code-delivery\n" + agencyId)));

    private static async Task<Results<Ok<CodeDeliveryReceipt>, ProblemHttpResult>> Delivered(
        string agencyId, Envelope envelope, HttpContext context, TenantDirectory tenants, CoreLink core, TimeProvider time, ILogger<CodeDelivery> log)
    {
        if (context.RefuseUnlessFrom(id => id == NetworkIdentity.Core, "コア", "the core") is { } refused) return refused;
        if (tenants.Find(agencyId) is not { } tenant)
            return Problems.NotFound("unknown-tenant", "この中間サーバーに該当する機関はありません / No such tenant on this node");
        var verdict = await core.VerifyFromCoreAsync(envelope, agencyId);
        if (verdict != EnvelopeVerdict.Accepted || envelope.Kind != "code-delivery")
        {
            var (slug, title) = verdict == EnvelopeVerdict.Accepted ? ("wrong-kind", "種別が違います / Wrong message kind") : EnvelopeVerifier.Describe(verdict);
            log.LogWarning("Refused a code delivery for tenant {AgencyId}: {Reason}", agencyId, slug);
            return Problems.Result(verdict == EnvelopeVerdict.Accepted ? 401 : EnvelopeVerifier.StatusOf(verdict), slug, title);
        }
        CodeDelivery? delivery = null;
        try
        {
            var opened = JsonSerializer.Deserialize<SealedPayload>(envelope.Body, ServiceDefaults.Json)?.Open(tenant.Keys.Encryption, envelope.MessageId);
            delivery = opened is null ? null : JsonSerializer.Deserialize<CodeDelivery>(opened, ServiceDefaults.Json);
        }
        catch (JsonException) { }
        // A code without its acquisition number or value could only write nothing, or NULL over a code: the delivery is refused whole.
        if (delivery?.Codes is null || delivery.Codes.Any(c => c is null || string.IsNullOrEmpty(c.AcquisitionNumber) || string.IsNullOrEmpty(c.AgencyCode)))
            return Problems.BadRequest("unreadable-payload", "暗号文を復号できません / The sealed payload could not be opened");

        var clock = time.GetUtcNow().UtcDateTime;
        var now = clock.ToString("O");
        int matched = 0, unmatched = 0;
        var holdingAnother = new List<string>();
        await using var c = await tenant.Database.OpenAsync();
        // One delivery at a time per tenant: two at once could each find a code unheld and both write it (a unique violation, a 500).
        await using var tx = await tenant.Database.BeginSerializedAsync(c, DeliveryLock(agencyId));
        foreach (var code in delivery.Codes)
        {
            var addressee = await c.ScalarAsync<string>("SELECT addressee_number FROM acquisitions WHERE acquisition_number = @a", tx, ("a", code.AcquisitionNumber));
            if (addressee is null) { unmatched++; continue; }
            var held = await c.ScalarAsync<string>("SELECT agency_code FROM addressees WHERE addressee_number = @n", tx, ("n", addressee));
            if (held == code.AgencyCode)
            {
                // The same person asked for again: nothing changes, not even when the code was issued.
                await c.ExecuteAsync("DELETE FROM acquisitions WHERE acquisition_number = @a", tx, ("a", code.AcquisitionNumber));
                matched++;
                continue;
            }
            // Another person's code on this addressee: which of the two is wrong only the addressee system can tell. It
            // releases the old code first if this one is right; left pending, the discard names it.
            if (held is not null)
            {
                holdingAnother.Add(addressee);
                unmatched++;
                continue;
            }
            // One person has one code per agency: a code already held by another addressee is a duplicate registration.
            if (await c.ScalarAsync<string>("SELECT addressee_number FROM addressees WHERE agency_code = @c", tx, ("c", code.AgencyCode)) is null)
            {
                await c.ExecuteAsync("UPDATE addressees SET agency_code = @c, code_issued_at = @t WHERE addressee_number = @n", tx,
                    ("c", code.AgencyCode), ("t", now), ("n", addressee));
                await c.ExecuteAsync("DELETE FROM acquisitions WHERE acquisition_number = @a", tx, ("a", code.AcquisitionNumber));
                matched++;
            }
            // Left pending: the core tells the addressee system only counts, and the discard that follows tells it who got no code.
            else unmatched++;
        }
        // After matching: a code that arrives just as its acquisition number turns old still finds it.
        await ExpireAsync(c, tx, clock);
        await tx.CommitAsync();
        // A delivery carries up to 100,000 codes, and a shifted export run again makes every line one: the first few are named,
        // the discard that follows names every one to the addressee system.
        foreach (var addressee in holdingAnother.Take(MaxNamedInLog))
            log.LogWarning("Tenant {AgencyId}: addressee {AddresseeNumber} already holds another code; the delivered one was not stored (release the old one first)", agencyId, addressee);
        if (holdingAnother.Count > MaxNamedInLog)
            log.LogWarning("Tenant {AgencyId}: {More} more addressees already hold another code (the discard names each)", agencyId, holdingAnother.Count - MaxNamedInLog);
        if (unmatched > 0) log.LogWarning("Tenant {AgencyId}: {Unmatched} delivered codes not stored (no pending acquisition, the addressee holds another code, or another addressee holds this one)", agencyId, unmatched);
        return TypedResults.Ok(new CodeDeliveryReceipt(matched, unmatched));
    }
}
