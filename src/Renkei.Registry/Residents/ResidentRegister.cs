using System.Data.Common;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Events;
using Renkei.Registry.Numbering;

namespace Renkei.Registry.Residents;

/// <summary>An expected refusal: becomes a problem detail with this status and stable type (and, for a 400, what is wrong per field).</summary>
public sealed record Refusal(int Status, string Slug, string Title, string Detail, IReadOnlyDictionary<string, string[]>? Errors = null,
    IReadOnlyDictionary<string, object?>? Extensions = null)
{
    /// <summary>The problem detail: a field that is wrong only against the record is named as validation names it.</summary>
    public Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult ToProblem() => Errors is { } fieldErrors
        ? Problems.Invalid(fieldErrors.ToDictionary(), Slug, Status, Title, Detail)
        : Problems.Result(Status, Slug, Title, Detail, Extensions?.ToDictionary());
}

/// <summary>What recording an event gave back to the municipality.</summary>
public sealed record EventReceipt(
    long Position, string EventId, ResidentEventKind Kind, string ResidentId, string? HouseholdId,
    string? ResidentRecordCode = null, string? IndividualNumber = null);

/// <summary>
/// The resident register: records an event and its effect on the current record in one
/// transaction, so an event is either wholly applied or not at all, then wakes the feed.
/// </summary>
public sealed class ResidentRegister(Database database, NumberingAuthority numbering, EventSignal signal, TimeProvider clock)
{
    /// <summary>The advisory-lock key that orders writers of the event log.</summary>
    public const long EventLogLock = 0x52_45_4E_4B_45_49; // "RENKEI"

    /// <summary>
    /// Records <paramref name="request"/> for <paramref name="municipality"/>. A caller that may not read identities (<paramref name="readsIdentity"/>
    /// false) is told of a move-in that another municipality's person cannot make only <see cref="NoMoveIn"/>.
    /// </summary>
    public async Task<(EventReceipt? Receipt, Refusal? Refusal)> RecordAsync(LocalGovernmentCode municipality, ValidEventRequest request,
        IdempotencyKey? key = null, bool readsIdentity = false)
    {
        await using var c = await database.OpenAsync();
        await using var tx = await database.BeginSerializedAsync(c, EventLogLock);
        var now = clock.GetUtcNow().UtcDateTime;
        if (!await ResidentStore.MunicipalityExistsAsync(c, tx, municipality))
            return (null, UnknownMunicipality(municipality));
        if (key is not null && await key.EarlierAsync(c, tx, municipality) is { } earlier) return earlier;

        var (current, refusal) = await FindSubjectAsync(c, tx, municipality, request);
        // Whether a number was never given or re-issued, and whether its holder lives, died or moved elsewhere, is what the identity
        // API answers to those holding `identity`: a clerk without it, moving in someone not on its register, hears one answer for all.
        var hidden = request.Kind == ResidentEventKind.MoveIn && !readsIdentity && current?.MunicipalityCode != municipality;
        if (refusal is not null) return (null, hidden ? NoMoveIn : refusal);
        // Another municipality's resident is not on this register: the answer is the one a read gets, and comes before
        // any word of the person's status, so that a clerk cannot learn who lives, died or moved elsewhere.
        if (current is not null && request.Kind is not ResidentEventKind.MoveIn && current.MunicipalityCode != municipality)
            return (null, UnknownResident);
        if (current is not null && !ResidentProjection.Allows(request.Kind, current.Status))
            return (null, hidden ? NoMoveIn : new Refusal(409, "event-not-allowed", "この届出は受け付けられません / This event does not apply to the resident's status",
                $"状態が「{InJapanese(current.Status)}」の住民には{InJapanese(request.Kind)}の届出はできません / A {request.Kind} event cannot follow status {current.Status}."));
        if (request.Kind == ResidentEventKind.MoveIn && current is { Status: ResidentStatus.MovedOut } && current.MovingTo != municipality)
            return (null, hidden ? NoMoveIn : new Refusal(409, "move-in-elsewhere", "転出先が異なります / The resident moved out to another municipality",
                "転出届の転出先は別の市区町村です。転出元の市区町村が先に転出届を訂正してください / " +
                "The move-out named a different destination: the municipality moved out of records a corrected move-out first."));
        // The dates are checked against the record elsewhere: a probe by back-dated move-ins would tell who is abroad (they alone
        // get this far), their date of birth, and the date of the latest event, which the refusal quotes.
        if (current is not null && await OccurredTooEarlyAsync(c, tx, current, request.OccurredOn) is { } early) return (null, hidden ? NoMoveIn : early);
        if (request.Destination is { } to)
        {
            // A move-out names where the person can move in next: a place that cannot record that move-in would strand them.
            if (to == municipality)
                return (null, new Refusal(400, "destination-is-current", "転出先が現住所の市区町村です / The destination is the current municipality",
                    "同じ市区町村の中での引越しは転出ではなく転居です / A move within the municipality is an address-change, not a move-out."));
            if (!await ResidentStore.MunicipalityExistsAsync(c, tx, to))
                return (null, new Refusal(400, "unknown-destination", "転出先の市区町村が登録されていません / Unknown destination municipality",
                    $"市区町村 {to.Digits} は登録されていません。登録された地方公共団体コードか「abroad」を指定してください / " +
                    $"No municipality {to.Digits} is registered; give a registered local government code or 'abroad'."));
        }

        if (request.Kind == ResidentEventKind.HeadChange) return await RecordHeadChangeAsync(c, tx, municipality, request, current!, key, now);

        var residentId = current?.ResidentId ?? Ids.New("r");
        string? householdId = current?.HouseholdId;
        var address = request.Address;
        var relationship = request.Relationship;
        if (request.HouseholdId is not null)
        {
            var household = await ResidentStore.FindHouseholdAsync(c, tx, request.HouseholdId);
            if (household is null || household.Value.Municipality != municipality)
                return (null, UnknownHousehold);
            // A household lives at one address: joining it at another would leave its members apart on the register.
            if (address is not null && RegisterText.ComparisonKey(address) != RegisterText.ComparisonKey(household.Value.Address))
                return (null, new Refusal(409, "household-address-mismatch", "世帯の住所と異なります / The address differs from the household's",
                    "世帯員は世帯の住所に住みます。住所を省く（世帯の住所になります）か世帯と同じ住所を指定するか、" +
                    "householdId を省いてこの住所で新しい世帯を作ってください / " +
                    "A member of a household lives at its address: give no address (the household's is taken) or the household's own, " +
                    "or leave householdId out to start a new household at this address."));
            // One head a household: another who joins or moves within it as 世帯主 would make two. A head-change changes the head.
            if (relationship == ResidentProjection.Head && (await ResidentStore.HeadsOfAsync(c, tx, household.Value.Id)).Any(h => h.ResidentId != residentId))
                return (null, HouseholdHasHead);
            householdId = household.Value.Id;
            // Written as the household's, which its members share: the address typed may differ in compatibility ideographs (塚, 塚).
            address = household.Value.Address;
        }
        // A person back from abroad keeps their record and number: as a newcomer they would get a second of each. Asked last, once
        // nothing else refuses the move-in: before, a request faulty anyway (an unknown household) told who is abroad, writing nothing.
        if (current is null && request is { Kind: ResidentEventKind.MoveIn, Person: { } newcomer, NotReturning: false }
            && await ResidentStore.AnyAbroadAsync(c, tx, newcomer))
            return (null, ReturningResident);
        if (request.HouseholdId is null && request.Kind is ResidentEventKind.Birth or ResidentEventKind.MoveIn or ResidentEventKind.AddressChange)
        {
            householdId = await ResidentStore.CreateHouseholdAsync(c, tx, municipality, address!, now);
            // Whoever starts a household heads it, unless the clerk says otherwise: a relationship kept from the household left would leave it headless.
            relationship ??= ResidentProjection.Head;
        }

        ResidentRecordCode? code = null;
        IndividualNumber? number = null;
        if (current is null) (code, number) = await numbering.DesignateNewAsync(c, tx, residentId, now);

        var person = request.Person is not null ? request.Person with { Address = address! } : current?.Person;
        if (person is not null && address is not null && request.Kind is ResidentEventKind.MoveIn or ResidentEventKind.AddressChange)
            person = person with { Address = address };
        if (request.NewName is { } name && person is not null)
        {
            // A part whose kanji changes takes its new reading with it: 高橋 alone used to be read スズキ, the old name's reading.
            var unread = new Dictionary<string, string[]>();
            if (name.Family.Length > 0 && name.Family != person.FamilyName && name.FamilyKana.Length == 0)
                unread["familyNameKana"] = ["氏が変わるときは新しい氏のカナを入力してください / familyNameKana is required when familyName changes"];
            if (name.Given.Length > 0 && name.Given != person.GivenName && name.GivenKana.Length == 0)
                unread["givenNameKana"] = ["名が変わるときは新しい名のカナを入力してください / givenNameKana is required when givenName changes"];
            if (unread.Count > 0)
                return (null, new Refusal(400, "invalid-event", "入力内容に誤りがあります / The request has invalid fields",
                    "新しい氏名のカナがありません / The new name's reading is missing.", unread));
            var renamed = person with
            {
                FamilyName = Or(name.Family, person.FamilyName), GivenName = Or(name.Given, person.GivenName),
                FamilyNameKana = Or(name.FamilyKana, person.FamilyNameKana), GivenNameKana = Or(name.GivenKana, person.GivenNameKana),
            };
            // Recorded, it would be published as a change, and the PKI would revoke the person's signing certificate for nothing.
            if (renamed == person)
                return (null, new Refusal(409, "name-unchanged", "氏名が変わっていません / The name is unchanged",
                    "届け出た氏名（カナを含む）は現在の氏名と同じです。変更として公表され署名用電子証明書が失効するため、記録しません / " +
                    "The name given (with its reading) is the current name: it is not recorded, as it would be published as a change and revoke the signing certificate."));
            person = renamed;
        }

        var recorded = new ResidentEvent
        {
            EventId = Ids.New("e"), Kind = request.Kind, ResidentId = residentId, MunicipalityCode = municipality,
            OccurredOn = request.OccurredOn, RecordedAt = now,
            Person = request.Kind is ResidentEventKind.Birth or ResidentEventKind.MoveIn or ResidentEventKind.AddressChange or ResidentEventKind.NameChange ? person : null,
            HouseholdId = householdId, Relationship = relationship, ResidentRecordCode = code,
            Destination = request.Destination, Abroad = request.Abroad, Before = current,
        };
        // Joining the household one is in, at its address, as what one is: nothing to record, and nothing to publish.
        if (request.Kind == ResidentEventKind.AddressChange && recorded.ChangedItems.Count == 0)
            return (null, new Refusal(409, "address-unchanged", "住所・世帯・続柄が変わっていません / The address, household and relationship are unchanged",
                "届け出た住所・世帯・続柄は現在のものと同じです / The address, household and relationship given are the resident's current ones."));
        var e = await ResidentStore.AppendAsync(c, tx, recorded);
        await ResidentStore.SaveAsync(c, tx, ResidentProjection.Apply(current, e));
        number ??= await NumberingAuthority.CurrentNumberAsync(c, residentId, tx);
        var receipt = new EventReceipt(e.Position, e.EventId, e.Kind, residentId, householdId, (code ?? current?.ResidentRecordCode)?.Digits, number?.Digits);
        return await CommitAsync(tx, municipality, key, receipt, e.Position, now);
    }

    /// <summary>
    /// 世帯主変更: the member named heads the household, and a former head still a member takes the relationship the request
    /// gives. One event for each person changed, in one transaction: both are written or neither.
    /// </summary>
    private async Task<(EventReceipt?, Refusal?)> RecordHeadChangeAsync(DbConnection c, DbTransaction tx, LocalGovernmentCode municipality,
        ValidEventRequest request, ResidentRecord newHead, IdempotencyKey? key, DateTime now)
    {
        var household = await ResidentStore.FindHouseholdAsync(c, tx, request.HouseholdId!);
        if (household is null || household.Value.Municipality != municipality)
            return (null, UnknownHousehold);
        if (newHead.HouseholdId != household.Value.Id)
            return (null, new Refusal(409, "not-household-member", "この世帯の世帯員ではありません / Not a member of the household",
                "世帯主になるのはその世帯の世帯員です。先に転居届（householdId と続柄を付けて）で世帯に加えてください / " +
                "The new head is a member of the household: an address-change with householdId and a relationship joins it first."));
        var formerHeads = (await ResidentStore.HeadsOfAsync(c, tx, household.Value.Id)).Where(h => h.ResidentId != newHead.ResidentId).ToList();
        // A head named again changes nothing, unless another heads the household too (as joining could make before it was refused).
        if (newHead.Relationship == ResidentProjection.Head && formerHeads.Count == 0)
            return (null, new Refusal(409, "already-head", "すでに世帯主です / Already the head",
                "この住民はすでにこの世帯の世帯主です / The resident already heads this household."));
        if (formerHeads.Count > 0 && request.FormerHeadRelationship is null)
            return (null, new Refusal(400, "invalid-event", "入力内容に誤りがあります / The request has invalid fields", "formerHeadRelationship が必要です / formerHeadRelationship is required.",
                new Dictionary<string, string[]>
                {
                    ["formerHeadRelationship"] = ["前の世帯主が世帯に残るときは、その新しい続柄を入力してください / " +
                        "formerHeadRelationship is required while the former head is still a member of the household"],
                }));
        foreach (var former in formerHeads)
            if (await OccurredTooEarlyAsync(c, tx, former, request.OccurredOn) is { } early) return (null, early);

        ResidentEvent? first = null;
        long position = 0;
        foreach (var (resident, relationship) in formerHeads.Select(f => (f, request.FormerHeadRelationship!)).Prepend((newHead, ResidentProjection.Head)))
        {
            var e = await ResidentStore.AppendAsync(c, tx, new ResidentEvent
            {
                EventId = Ids.New("e"), Kind = ResidentEventKind.HeadChange, ResidentId = resident.ResidentId, MunicipalityCode = municipality,
                OccurredOn = request.OccurredOn, RecordedAt = now, HouseholdId = household.Value.Id, Relationship = relationship,
            });
            await ResidentStore.SaveAsync(c, tx, ResidentProjection.Apply(resident, e));
            first ??= e;
            position = e.Position;
        }
        var number = await NumberingAuthority.CurrentNumberAsync(c, newHead.ResidentId, tx);
        var receipt = new EventReceipt(first!.Position, first.EventId, first.Kind, newHead.ResidentId, household.Value.Id, newHead.ResidentRecordCode.Digits, number?.Digits);
        return await CommitAsync(tx, municipality, key, receipt, position, now);
    }

    /// <summary>Keeps the answer under the request's idempotency key with the events, commits them, and wakes the feed.</summary>
    private async Task<(EventReceipt?, Refusal?)> CommitAsync(DbTransaction tx, LocalGovernmentCode municipality, IdempotencyKey? key,
        EventReceipt receipt, long lastPosition, DateTime now)
    {
        if (key is not null) await key.KeepAsync(tx.Connection!, tx, municipality, receipt, now);
        await tx.CommitAsync();
        signal.Notify(lastPosition);
        return (receipt, null);
    }

    /// <summary>The refusal for a code no municipality on the register has.</summary>
    public static Refusal UnknownMunicipality(LocalGovernmentCode code) => new(404, "unknown-municipality", "市区町村が登録されていません / Unknown municipality",
        $"市区町村 {code.Digits} は登録されていません / No municipality {code.Digits} is registered.");

    /// <summary>
    /// How long after a re-issue another one, without an Idempotency-Key, is taken as the same request sent twice unless it says it
    /// is for a new leak: each re-issue spends a number and cannot be undone, and the person's notice would name one superseded already.
    /// </summary>
    public static readonly TimeSpan ReissueGuard = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Re-issues the number after a leak (on the person's request or by the mayor). Within <see cref="ReissueGuard"/> of the last re-issue,
    /// a request with no <paramref name="key"/> is refused (409 <c>reissued-recently</c>) unless <paramref name="newLeak"/> says it is for another leak.
    /// </summary>
    public async Task<(EventReceipt? Receipt, Refusal? Refusal)> ReissueNumberAsync(LocalGovernmentCode municipality, string residentId, string reason,
        IdempotencyKey? key = null, bool newLeak = false) =>
        await ChangeAsync(municipality, residentId, ResidentEventKind.NumberReissued, reason, key, async (c, tx, r, now) =>
        {
            if (key is null && !newLeak && await ResidentStore.LastReissuedAtAsync(c, tx, r.ResidentId) is { } last && now - last < ReissueGuard)
                return (null, null, ReissuedRecently(last));
            var number = await numbering.ReissueAsync(c, tx, r.ResidentId, r.ResidentRecordCode, reason, now);
            return (null, number, null);
        });

    private static Refusal ReissuedRecently(DateTime last)
    {
        var japan = new DateTimeOffset(last, TimeSpan.Zero).ToOffset(JapanTime.Offset).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        return new Refusal(409, "reissued-recently", "個人番号は変更したばかりです / The number was re-issued moments ago",
            $"この住民の個人番号は {japan}（日本時間）に変更したばかりです。同じ請求を二度送ったのであれば、前の変更で済んでいます。その後の新たな漏えいによる変更であれば " +
            $"newLeak: true を指定してください / The resident's number was re-issued at {japan} Japan time, less than {ReissueGuard.TotalMinutes:0} minutes ago. " +
            "A request sent twice needs nothing more; for another leak since, send newLeak: true.",
            Extensions: new Dictionary<string, object?> { ["lastReissuedAt"] = RegisterText.ToText(last) });
    }

    /// <summary>Gives the resident a new Resident Record Code on request; the number stays.</summary>
    public async Task<(EventReceipt? Receipt, Refusal? Refusal)> ChangeResidentRecordCodeAsync(LocalGovernmentCode municipality, string residentId, IdempotencyKey? key = null) =>
        await ChangeAsync(municipality, residentId, ResidentEventKind.ResidentRecordCodeChanged, "本人の請求 / on request", key, async (c, tx, r, now) =>
        {
            var code = await numbering.ChangeCodeAsync(c, tx, r.ResidentId, now);
            return (code, (IndividualNumber?)null, (Refusal?)null);
        });

    /// <summary>Applies <paramref name="change"/> under the event log's lock; it gives the new code or number, or a refusal that writes nothing.</summary>
    private async Task<(EventReceipt?, Refusal?)> ChangeAsync(LocalGovernmentCode municipality, string residentId, ResidentEventKind kind, string reason,
        IdempotencyKey? key, Func<DbConnection, DbTransaction, ResidentRecord, DateTime, Task<(ResidentRecordCode?, IndividualNumber?, Refusal?)>> change)
    {
        await using var c = await database.OpenAsync();
        await using var tx = await database.BeginSerializedAsync(c, EventLogLock);
        var now = clock.GetUtcNow().UtcDateTime;
        if (key is not null && await key.EarlierAsync(c, tx, municipality) is { } earlier) return earlier;
        var current = await ResidentStore.FindAsync(c, residentId, tx);
        if (current is null || current.MunicipalityCode != municipality) return (null, UnknownResident);
        if (!ResidentProjection.Allows(kind, current.Status))
            return (null, new Refusal(409, "event-not-allowed", "この手続は受け付けられません / Not possible for the resident's status",
                $"住民の状態は「{InJapanese(current.Status)}」です / Status is {current.Status}."));
        var (code, number, refused) = await change(c, tx, current, now);
        if (refused is not null) return (null, refused);
        var e = await ResidentStore.AppendAsync(c, tx, new ResidentEvent
        {
            EventId = Ids.New("e"), Kind = kind, ResidentId = residentId, MunicipalityCode = municipality,
            OccurredOn = JapanTime.Today(clock), RecordedAt = now, ResidentRecordCode = code, Reason = reason,
        });
        await ResidentStore.SaveAsync(c, tx, ResidentProjection.Apply(current, e));
        number ??= await NumberingAuthority.CurrentNumberAsync(c, residentId, tx);
        var receipt = new EventReceipt(e.Position, e.EventId, kind, residentId, current.HouseholdId, (code ?? current.ResidentRecordCode).Digits, number?.Digits);
        return await CommitAsync(tx, municipality, key, receipt, e.Position, now);
    }

    private static async Task<(ResidentRecord?, Refusal?)> FindSubjectAsync(DbConnection c, DbTransaction tx, LocalGovernmentCode municipality, ValidEventRequest request)
    {
        if (request.Person is not null && request.ResidentId is null && request.IndividualNumber is null) return (null, null);
        ResidentRecord? current = null;
        if (request.ResidentId is not null) current = await ResidentStore.FindAsync(c, request.ResidentId, tx);
        else if (request.IndividualNumber is { } number)
        {
            current = await ResidentStore.FindByNumberAsync(c, number, tx);
            if (current is null && await NumberingAuthority.StateOfAsync(c, number, tx) == NumberState.Superseded)
                return (null, SupersededNumber);
        }
        return current is null ? (null, UnknownResident) : (current, null);
    }

    /// <summary>
    /// An event cannot have happened before the person was born, nor before the event the record already
    /// shows last: the log would then tell the person's history out of order.
    /// </summary>
    private static async Task<Refusal?> OccurredTooEarlyAsync(DbConnection c, DbTransaction tx, ResidentRecord current, DateOnly occurredOn)
    {
        if (occurredOn < current.Person.DateOfBirth)
            return new Refusal(400, "occurred-before-birth", "届出の日が生年月日より前です / The event date is before the date of birth",
                $"届出の日 {RegisterText.ToText(occurredOn)} が生年月日より前です / occurredOn {RegisterText.ToText(occurredOn)} is before the resident's date of birth.");
        var latest = await ResidentStore.LatestOccurredOnAsync(c, tx, current.ResidentId);
        if (latest is { } last && occurredOn < last)
            return new Refusal(409, "occurred-before-latest-event", "届出の日が直近の届出より前です / The event date is before the latest event",
                $"届出の日 {RegisterText.ToText(occurredOn)} が直近の届出（{RegisterText.ToText(last)}）より前です / " +
                $"occurredOn {RegisterText.ToText(occurredOn)} is before the resident's latest event ({RegisterText.ToText(last)}).");
        return null;
    }

    private static string Or(string value, string fallback) => value.Length > 0 ? value : fallback;

    /// <summary>An event's kind as a refusal names it in Japanese.</summary>
    internal static string InJapanese(ResidentEventKind kind) => kind switch
    {
        ResidentEventKind.Birth => "出生",
        ResidentEventKind.MoveIn => "転入",
        ResidentEventKind.MoveOut => "転出",
        ResidentEventKind.AddressChange => "転居",
        ResidentEventKind.NameChange => "氏名の変更",
        ResidentEventKind.Death => "死亡",
        ResidentEventKind.HeadChange => "世帯主変更",
        ResidentEventKind.Registered => "初期登録",
        ResidentEventKind.NumberReissued => "個人番号の変更",
        ResidentEventKind.ResidentRecordCodeChanged => "住民票コードの変更",
        _ => kind.ToString(),
    };

    /// <summary>A resident's status as a refusal names it in Japanese.</summary>
    private static string InJapanese(ResidentStatus status) => status switch
    {
        ResidentStatus.Resident => "住民",
        ResidentStatus.MovedOut => "転出済み",
        ResidentStatus.Abroad => "国外転出",
        ResidentStatus.Deceased => "死亡",
        _ => status.ToString(),
    };

    public static readonly Refusal UnknownResident = new(404, "unknown-resident", "住民が見つかりません / Unknown resident",
        "この住民はこの台帳にいません / No such resident on this register.");

    /// <summary>
    /// A move-in refused for any reason that lies in the person's record elsewhere (no such number or resident, a re-issued number, a
    /// resident not moved out, dead, or moved out to another municipality, a date before their birth or latest event), said alike,
    /// as the node says no-copy for every reason.
    /// </summary>
    public static readonly Refusal NoMoveIn = new(404, "no-move-in", "転入を受け付けられる住民が見つかりません / No resident who can move in here",
        "この番号またはIDの住民で、この日にこの市区町村への転入を待つ人はいません。番号と、転出元の市区町村がこの市区町村を転出先とする転出届" +
        "（国外からの場合は国外転出）を記録していること、転入の日が転出の日より前でないことを確かめてください / No resident so named awaits a move-in " +
        "here on that date: check the number, that the municipality moved out of recorded a move-out naming this one (or abroad, for a return " +
        "from abroad), and that occurredOn is not before the move-out.");

    public static readonly Refusal UnknownHousehold = new(404, "unknown-household", "世帯が見つかりません / Unknown household",
        "この市区町村にその世帯はありません / No such household in this municipality.");

    public static readonly Refusal HouseholdHasHead = new(409, "household-has-head", "この世帯には世帯主がいます / The household has a head",
        "世帯主は一世帯に一人です。世帯員としての続柄を入力するか、世帯主を替えるときは世帯主変更（head-change）を届け出てください / " +
        "A household has one head: give the member's own relationship, or record a head-change to change the head.");

    /// <summary>Says what to do, and nothing of the person matched: the clerk names them with what the person brings.</summary>
    public static readonly Refusal ReturningResident = new(409, "returning-resident", "国外から戻った住民の可能性があります / This may be a resident returning from abroad",
        "国外へ転出した住民に、氏名・カナ・生年月日・性別が同じ人がいます。本人であれば individualNumber か residentId で転入を届け出てください（番号は変わりません）。" +
        "別人であれば notReturning: true を付けて届け出てください / A resident who moved abroad has the same name, reading, date of birth and sex. " +
        "If this is them, record the move-in naming them by individualNumber or residentId (their number stays); if this is someone else, send notReturning: true.");

    public static readonly Refusal SupersededNumber = new(410, "number-superseded", "この個人番号は変更されています / This number has been superseded",
        "この個人番号は再指定により変更され、もう誰も指しません / The number was replaced by a re-issue and no longer identifies anyone.");
}
