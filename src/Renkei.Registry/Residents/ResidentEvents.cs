using System.Globalization;
using System.Text;
using Renkei.Hosting;
using Renkei.Numbers;

namespace Renkei.Registry.Residents;

/// <summary>The events of a resident register (転入, 転出, 転居, 出生, 死亡 …).</summary>
public enum ResidentEventKind
{
    /// <summary>出生: a new person, given a Resident Record Code and an Individual Number.</summary>
    Birth,
    /// <summary>転入: from another municipality (after its MoveOut) or from abroad.</summary>
    MoveIn,
    /// <summary>転出: to another municipality or abroad.</summary>
    MoveOut,
    /// <summary>転居: a new address in the same municipality.</summary>
    AddressChange,
    /// <summary>氏名の変更.</summary>
    NameChange,
    /// <summary>死亡.</summary>
    Death,
    /// <summary>世帯主変更: a member becomes the household's head; a former head still a member takes the relationship the request gives.</summary>
    HeadChange,
    /// <summary>初期登録: a person already on a register when it was loaded (seeding, migration).</summary>
    Registered,
    /// <summary>個人番号の変更: a new number after a leak.</summary>
    NumberReissued,
    /// <summary>住民票コードの変更 on the person's request; the number stays.</summary>
    ResidentRecordCodeChanged,
}

/// <summary>A resident's legal status on the registers.</summary>
public enum ResidentStatus
{
    Resident,
    MovedOut,
    Abroad,
    Deceased,
}

/// <summary>男 or 女, as the resident record has it.</summary>
public enum Sex
{
    Male,
    Female,
}

/// <summary>The basic four items (基本4情報) with the name's reading.</summary>
public sealed record BasicFour(
    string FamilyName,
    string GivenName,
    string FamilyNameKana,
    string GivenNameKana,
    DateOnly DateOfBirth,
    Sex Sex,
    string Address)
{
    public string FullName => $"{FamilyName} {GivenName}";
}

/// <summary>The current record of a resident: what the events so far add up to.</summary>
public sealed record ResidentRecord(
    string ResidentId,
    ResidentRecordCode ResidentRecordCode,
    LocalGovernmentCode MunicipalityCode,
    string? HouseholdId,
    string Relationship,
    ResidentStatus Status,
    LocalGovernmentCode? MovingTo,
    BasicFour Person,
    long LastPosition,
    DateTime UpdatedAt);

/// <summary>
/// One recorded event with every fact needed to apply it, so that the current record can always be
/// derived again from the log (see <see cref="ResidentProjection"/>).
/// </summary>
public sealed record ResidentEvent
{
    public required string EventId { get; init; }
    public required ResidentEventKind Kind { get; init; }
    public required string ResidentId { get; init; }
    public required LocalGovernmentCode MunicipalityCode { get; init; }
    public required DateOnly OccurredOn { get; init; }
    public DateTime RecordedAt { get; init; }
    public long Position { get; init; }

    /// <summary>The person's items after the event (for events that set or change them).</summary>
    public BasicFour? Person { get; init; }
    public string? HouseholdId { get; init; }
    public string? Relationship { get; init; }
    public ResidentRecordCode? ResidentRecordCode { get; init; }
    /// <summary>MoveOut: the destination municipality; null when moving abroad.</summary>
    public LocalGovernmentCode? Destination { get; init; }
    public bool Abroad { get; init; }
    public string? Reason { get; init; }

    /// <summary>
    /// The record the event applies to, as the register read it before writing (not stored with the event): an address-change and a
    /// name-change list only what differs from it, since the PKI revokes a signing certificate for the items listed.
    /// </summary>
    public ResidentRecord? Before { get; init; }

    /// <summary>
    /// A move-in as a municipality's history shows it (not stored): where the person came from, the code of the municipality moved out of
    /// or <c>abroad</c>, as the move-out certificate tells the new municipality; that municipality's own events stay with it.
    /// </summary>
    public string? MovedInFrom { get; init; }

    /// <summary>
    /// Which of the items others care about this event changed, for the published feed. A move-in that
    /// starts a record (a newcomer from abroad, given a code here) brings every item; a returning
    /// resident's carries their items too, but only the address, status and municipality are new. An address-change
    /// into a household at the same address (世帯合併, 世帯分離) changes the household and not the address; a name-change
    /// of the reading alone lists <c>name-reading</c>, not <c>name</c>.
    /// </summary>
    public IReadOnlyList<string> ChangedItems => Kind switch
    {
        ResidentEventKind.AddressChange when Before is { } b => Listed(
            ("address", Person is { } p && p.Address != b.Person.Address),
            ("household", HouseholdId != b.HouseholdId),
            ("relationship", Relationship is { } r && r != b.Relationship)),
        ResidentEventKind.NameChange when Before is { } b => Listed(
            ("name", Person is { } p && (p.FamilyName != b.Person.FamilyName || p.GivenName != b.Person.GivenName)),
            ("name-reading", Person is { } q && (q.FamilyNameKana != b.Person.FamilyNameKana || q.GivenNameKana != b.Person.GivenNameKana))),
        ResidentEventKind.Birth or ResidentEventKind.Registered => ["name", "address", "date-of-birth", "sex", "status", "number"],
        ResidentEventKind.MoveIn => ResidentRecordCode is null ? ["address", "status", "municipality"] : ["name", "address", "date-of-birth", "sex", "status", "number", "municipality"],
        ResidentEventKind.MoveOut => ["status"],
        ResidentEventKind.AddressChange => ["address"],
        ResidentEventKind.NameChange => ["name"],
        ResidentEventKind.Death => ["status"],
        ResidentEventKind.HeadChange => ["relationship"],
        ResidentEventKind.NumberReissued => ["number"],
        ResidentEventKind.ResidentRecordCodeChanged => ["resident-record-code"],
        _ => [],
    };

    private static string[] Listed(params (string Item, bool Changed)[] items) => [.. items.Where(i => i.Changed).Select(i => i.Item)];
}

/// <summary>Derives the current record from events: the one place that says what each event does.</summary>
public static class ResidentProjection
{
    /// <summary>The relationship (続柄) of a household's head: one a household.</summary>
    public const string Head = "世帯主";

    public static ResidentRecord Apply(ResidentRecord? current, ResidentEvent e)
    {
        if (current is null)
        {
            if (e.Person is null || e.ResidentRecordCode is null)
                throw new InvalidOperationException($"{e.Kind} cannot start a record");
            return new ResidentRecord(e.ResidentId, e.ResidentRecordCode.Value, e.MunicipalityCode, e.HouseholdId,
                e.Relationship ?? Head, ResidentStatus.Resident, null, e.Person, e.Position, e.RecordedAt);
        }
        var next = e.Kind switch
        {
            ResidentEventKind.MoveIn => current with
            {
                MunicipalityCode = e.MunicipalityCode, Status = ResidentStatus.Resident, MovingTo = null,
                HouseholdId = e.HouseholdId, Relationship = e.Relationship ?? current.Relationship,
                Person = e.Person ?? current.Person,
            },
            ResidentEventKind.MoveOut => current with
            {
                Status = e.Abroad ? ResidentStatus.Abroad : ResidentStatus.MovedOut, MovingTo = e.Destination, HouseholdId = null,
            },
            ResidentEventKind.AddressChange => current with
            {
                Person = e.Person ?? current.Person, HouseholdId = e.HouseholdId, Relationship = e.Relationship ?? current.Relationship,
            },
            ResidentEventKind.NameChange => current with { Person = e.Person ?? current.Person },
            ResidentEventKind.HeadChange => current with { HouseholdId = e.HouseholdId ?? current.HouseholdId, Relationship = e.Relationship ?? current.Relationship },
            ResidentEventKind.Death => current with { Status = ResidentStatus.Deceased, HouseholdId = null },
            ResidentEventKind.ResidentRecordCodeChanged => current with { ResidentRecordCode = e.ResidentRecordCode ?? current.ResidentRecordCode },
            ResidentEventKind.NumberReissued => current,
            _ => throw new InvalidOperationException($"{e.Kind} applies only to a new record"),
        };
        return next with { LastPosition = e.Position, UpdatedAt = e.RecordedAt };
    }

    /// <summary>Which current statuses an event may follow; anything else is refused before it is written.</summary>
    public static bool Allows(ResidentEventKind kind, ResidentStatus status) => kind switch
    {
        // A record is started only by a new person's event, never continued by one.
        ResidentEventKind.Birth or ResidentEventKind.Registered => false,
        ResidentEventKind.MoveIn => status is ResidentStatus.MovedOut or ResidentStatus.Abroad,
        // A second move-out corrects the destination of the first (as a new event), so a wrong one can still lead to a move-in.
        ResidentEventKind.MoveOut => status is ResidentStatus.Resident or ResidentStatus.MovedOut,
        ResidentEventKind.Death => status is not ResidentStatus.Deceased,
        ResidentEventKind.NumberReissued or ResidentEventKind.ResidentRecordCodeChanged => status is not ResidentStatus.Deceased,
        _ => status is ResidentStatus.Resident,
    };
}

/// <summary>
/// Normalises text the way the register compares it: NFKC (full-width ASCII and half-width kana folded), single spaces, but
/// CJK compatibility ideographs kept as given.
/// </summary>
public static class RegisterText
{
    /// <summary>What <see cref="StoredText"/> refuses is dropped here, so that normalising never throws; validation names it.</summary>
    public static string Normalize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        var n = FoldKeepingCompatibilityIdeographs(StoredText.Sanitize(text)).Trim();
        var sb = new StringBuilder(n.Length);
        var space = false;
        foreach (var c in n)
        {
            if (char.IsWhiteSpace(c)) { space = true; continue; }
            if (space && sb.Length > 0) sb.Append(' ');
            space = false;
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>
    /// The text as the register compares it to decide who a person is or where they live: <see cref="Normalize"/>d, and with compatibility
    /// ideographs folded too (塚 U+FA10 and 塚 U+585A are one), as they were when the register stored them folded. Never stored: the
    /// register keeps the form given, and one person typed in either form is still one person.
    /// </summary>
    public static string ComparisonKey(string? text) => Normalize(text).Normalize(NormalizationForm.FormKC);

    /// <summary>
    /// NFKC around CJK compatibility ideographs, which stay: NFKC (as NFC) replaces 塚 U+FA10 by 塚 U+585A, and so would change how a
    /// person's name is written, and the PKI could never mark such a character as a substitute. They are starters that nothing
    /// composes with, so folding the text between them is folding the whole but for them.
    /// </summary>
    private static string FoldKeepingCompatibilityIdeographs(string text)
    {
        if (!text.EnumerateRunes().Any(IsCompatibilityIdeograph)) return text.Normalize(NormalizationForm.FormKC);
        var folded = new StringBuilder(text.Length);
        var run = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (!IsCompatibilityIdeograph(rune)) { run.Append(rune.ToString()); continue; }
            folded.Append(run.ToString().Normalize(NormalizationForm.FormKC)).Append(rune.ToString());
            run.Clear();
        }
        return folded.Append(run.ToString().Normalize(NormalizationForm.FormKC)).ToString();
    }

    /// <summary>
    /// The ways a name may be stored that differ only in compatibility ideographs (塚本 and 塚本), so that a search typed with either
    /// finds both, as it did when the register folded them; at most <paramref name="limit"/>, the text as given first.
    /// </summary>
    public static IReadOnlyList<string> Spellings(string text, int limit = 16)
    {
        // Built in place, a builder copied only when a character has other forms (at most limit times): concatenating
        // each character onto the name so far cost time with the square of its length.
        var spellings = new List<StringBuilder> { new(text.Length) };
        foreach (var rune in text.EnumerateRunes())
        {
            var given = rune.ToString();
            var unified = IsCompatibilityIdeograph(rune) ? given.Normalize(NormalizationForm.FormKC) : given;
            var others = CompatibilityForms.Value.GetValueOrDefault(unified, []).Prepend(unified).Where(f => f != given).ToArray();
            if (others.Length == 0 || spellings.Count * (others.Length + 1) > limit)
            {
                foreach (var s in spellings) s.Append(given);
                continue;
            }
            var next = new List<StringBuilder>(spellings.Count * (others.Length + 1));
            foreach (var s in spellings)
            {
                var before = s.ToString();
                next.Add(s.Append(given));
                foreach (var form in others) next.Add(new StringBuilder(before, text.Length).Append(form));
            }
            spellings = next;
        }
        return [.. spellings.Select(s => s.ToString())];
    }

    /// <summary>The compatibility ideographs of each unified one (塚 U+585A → 塚 U+FA10).</summary>
    private static readonly Lazy<Dictionary<string, List<string>>> CompatibilityForms = new(() =>
    {
        var forms = new Dictionary<string, List<string>>();
        foreach (var value in Enumerable.Range(0xF900, 0x200).Concat(Enumerable.Range(0x2F800, 0x220)))
        {
            var text = new Rune(value).ToString();
            var unified = text.Normalize(NormalizationForm.FormKC);
            if (unified != text) (forms.TryGetValue(unified, out var list) ? list : forms[unified] = []).Add(text);
        }
        return forms;
    });

    /// <summary>CJK Compatibility Ideographs (U+F900–FAFF) and their Supplement (U+2F800–2FA1F).</summary>
    public static bool IsCompatibilityIdeograph(Rune rune) => rune.Value is >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    /// <summary>
    /// A text's length as a limit counts it: in characters (runes), as the corporate register counts, so that 𠮷, written as two
    /// UTF-16 code units, is one of a name's 50.
    /// </summary>
    public static int Length(string text) => text.EnumerateRunes().Count();

    /// <summary>
    /// Whether the text, as given or as the register stores it (<see cref="Normalize"/>d), holds 11 digits or more in a row, as
    /// <see cref="NumberShape"/> reads digits: of any script, circled and superscript ones too, with the marks on a digit part of it.
    /// Such a run reads as an Individual Number (with or without its check digit), and a name or address goes into the signing
    /// certificate, which cannot be recalled. Only a run counts: an address's block, building and room numbers stand apart
    /// (〒261-0013 打瀬2-3-4-1203), and the kanji numerals of names and places (一郎, 九十九里) are not digits here.
    /// </summary>
    public static bool HoldsNumberRun(string? text) => LongestDigitRun(text) >= NumberRun || LongestDigitRun(Normalize(text)) >= NumberRun;

    /// <summary>Digits in a row that read as an Individual Number without its check digit; a longer run holds one.</summary>
    public const int NumberRun = 11;

    private static int LongestDigitRun(string? text)
    {
        if (text is null) return 0;
        int longest = 0, run = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (NumberShape.IsDigit(rune)) longest = Math.Max(longest, ++run);
            else if (!(run > 0 && NumberShape.IsMark(rune))) run = 0;
        }
        return longest;
    }

    /// <summary>Whether <see cref="Normalize"/>d text begins as a spreadsheet formula does: =, +, - or @.</summary>
    public static bool StartsLikeFormula(string normalized) => normalized.Length > 0 && normalized[0] is '=' or '+' or '-' or '@';

    /// <summary>Empty (not given) or katakana and spaces only, as a reading is written on the register.</summary>
    public static bool IsKatakana(string kana) => kana.All(c => c is >= '\u30A0' and <= '\u30FF' || c == ' ');

    public static string ToText(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string ToText(DateTime utc) => utc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static DateTime ParseUtc(string text) => DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
}
