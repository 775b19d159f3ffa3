using System.Text.Json.Serialization;

namespace Renkei.Protocol;

/// <summary>How an inquiry ended; every one is recorded by every party that saw it.</summary>
public enum Outcome
{
    Provided,
    NoData,
    NotPermitted,
    CopyOlderThanAsked,
    Error,
}

/// <summary>
/// Requester node → core (kind <c>inquiries</c>, the body a JSON array): one inquiry, the person by the
/// requester's own code. Inquiries made at the same moment travel in one signed message; each keeps
/// its own message id, which its records and its sealed answer are bound to.
/// </summary>
public sealed record InquiryBody(string MessageId, string AgencyCode, string Affair, string Provider, string Item,
    [property: JsonConverter(typeof(ZonedTimeConverter))] DateTimeOffset? NotBefore);

/// <summary>Core → provider node (kind <c>provision-requests</c>, an array): the person by the provider's own code, and the key to seal the answer to.</summary>
public sealed record ProvisionRequest(string MessageId, string Requester, string RequesterEncryptionKey, string Affair, string Item, string AgencyCode,
    DateTimeOffset? NotBefore, DateTimeOffset RequestedAt);

/// <summary>Provider node → core (kind <c>provisions</c>, an array) and core → requester node (kind <c>inquiry-results</c>, an array).</summary>
public sealed record ProvisionAnswer(string MessageId, Outcome Outcome, string? Reason, SealedPayload? Sealed, DateTimeOffset? ProvidedAt, bool Withheld);

/// <summary>The message kinds of the relay, and the most inquiries one message may carry.</summary>
public static class RelayKinds
{
    public const string Inquiries = "inquiries", ProvisionRequests = "provision-requests", Provisions = "provisions", InquiryResults = "inquiry-results";

    public const int MaxPerMessage = 256;

    /// <summary>The longest affair, provider or item name an inquiry may carry (the permission table's names are shorter).</summary>
    public const int MaxNameLength = 64;

    /// <summary>What a client is told of an affair, provider or item name over <see cref="MaxNameLength"/>.</summary>
    public static string NameTooLong(string field) => $"{MaxNameLength}文字以内です / {field} is at most {MaxNameLength} characters";

    /// <summary>
    /// Whether an affair or item name has the permission table's form: lower-case ASCII letters and digits in words joined
    /// by single hyphens (<c>child-allowance</c>), at most <see cref="MaxNameLength"/>, and no more than
    /// <see cref="MaxNameDigits"/> digits in all. Every party records the names of an inquiry as given, refused ones too,
    /// for seven years: free text there (a person's name typed into the wrong field) would put personal data into the
    /// core's records.
    /// </summary>
    public static bool IsName(string? name) =>
        name is { Length: > 0 and <= MaxNameLength } && name[0] != '-' && name[^1] != '-' && !name.Contains("--", StringComparison.Ordinal)
        && name.All(ch => char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch) || ch == '-') && name.Count(char.IsAsciiDigit) <= MaxNameDigits;

    /// <summary>
    /// The most digits a name may hold, wherever they stand. The permission table's names hold none; four leave room for a
    /// year (<c>form-2026</c>) and none for a number. Limiting only the longest run let one through between letters
    /// (<c>a1234b5678c9018</c>), and a 13-digit run (<c>x1234567890188</c>, a number and a slip of the finger) is no
    /// Individual Number's shape, yet carried one into three records: counting them all keeps out both.
    /// </summary>
    public const int MaxNameDigits = 4;

    /// <summary>
    /// Whether a provider or requester is named as agencies are: a Local Government Code (6 digits, a prefecture code first,
    /// its check digit last) or a Corporate Number (13 digits, its check digit first). The check digits keep out an
    /// Individual Number with a 0 before it (<c>0123456789018</c>; a Corporate Number's check digit is 1 to 9) and most
    /// mistyped ids, but not every number with a digit slipped in: for each 12 digits exactly one of 1 to 9 before them
    /// makes a valid Corporate Number (<c>1123456789018</c>). Such an id names no agency the core knows, so no record keeps
    /// it: see <see cref="RecordedProvider"/>.
    /// </summary>
    public static bool IsAgencyId(string? id) => AgencyCheckDigits.IsLocalGovernmentCode(id) || AgencyCheckDigits.IsCorporateNumber(id);

    /// <summary>The core's reason for an inquiry whose provider it has not registered (outcome not-permitted).</summary>
    public const string UnknownProviderReason = "unknown-provider";

    /// <summary>The reason of a provider's no-data answer, whether or not it holds the person.</summary>
    public const string NoCopyReason = "no-copy";

    /// <summary>The reason of a copy-older-than-asked answer is this and the copy's update date (<c>copy-updated-2026-04-01</c>).</summary>
    public const string CopyUpdatedPrefix = "copy-updated-";

    /// <summary>
    /// The error reason of an answer no honest provider gives: the core's for the answer's form, the requester's for the copy it
    /// holds, and the provider's own for a stored copy its layout refuses today, which it does not hand out.
    /// </summary>
    public const string ProviderAnswerInvalidReason = "provider-answer-invalid";

    /// <summary>
    /// The reason of a copy-older-than-asked answer for a copy updated at <paramref name="updatedAt"/> (UTC): the date in Japan,
    /// as clerks read it and give a date-only notBefore (midnight in Japan).
    /// </summary>
    public static string CopyUpdated(DateTime updatedAt) =>
        CopyUpdatedPrefix + Renkei.Hosting.JapanTime.DateOf(new DateTimeOffset(DateTime.SpecifyKind(updatedAt, DateTimeKind.Utc))).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// A provider's time of provision has no fraction of a second: the core refuses one, since inside the window it checks
    /// the fraction would be the provider's free choice (seven digits) in the core's and the requester's records.
    /// </summary>
    public static bool IsWholeSecond(DateTimeOffset at) => at.UtcTicks % TimeSpan.TicksPerSecond == 0;

    /// <summary><paramref name="at"/> rounded up to a whole second, in UTC.</summary>
    public static DateTimeOffset WholeSecondFrom(DateTimeOffset at)
    {
        var fraction = at.UtcTicks % TimeSpan.TicksPerSecond;
        return new DateTimeOffset(at.UtcTicks - fraction + (fraction == 0 ? 0 : TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }

    /// <summary>
    /// Whether a provider's answer has a form an honest provider's node gives: provided, with a sealed payload and no reason;
    /// no-data, <see cref="NoCopyReason"/>; copy-older-than-asked to a request that named a notBefore, with
    /// <see cref="CopyUpdatedPrefix"/> and a date no later than that's date in Japan; error, <see cref="ProviderAnswerInvalidReason"/>, for a
    /// copy the provider's own layout refuses. The core records the reason, and the requester after it,
    /// for seven years; any other text there is the provider's free choice (a name, an Individual Number), so the core
    /// answers anything else as an error of its own.
    /// </summary>
    public static bool IsProviderAnswer(ProvisionAnswer answer, DateTimeOffset? notBefore) => answer switch
    {
        { Outcome: Outcome.Provided, Reason: null, Sealed: not null } => true,
        { Outcome: Outcome.NoData, Reason: NoCopyReason, Sealed: null } => true,
        { Outcome: Outcome.Error, Reason: ProviderAnswerInvalidReason, Sealed: null } => true,
        { Outcome: Outcome.CopyOlderThanAsked, Reason: { } reason, Sealed: null } => notBefore is { } asked
            && reason.StartsWith(CopyUpdatedPrefix, StringComparison.Ordinal)
            && DateOnly.TryParseExact(reason[CopyUpdatedPrefix.Length..], "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.None, out var updated)
            && updated <= Renkei.Hosting.JapanTime.DateOf(asked),
        _ => false,
    };

    /// <summary>
    /// The earliest notBefore an inquiry may give: the day the first Individual Numbers were assigned (2015-10-05 in Japan). Every
    /// copy a node holds was stored after it, so an earlier time asks nothing, and is most likely a mistyped year (1025 for
    /// 2025) that would take a copy however old where a fresh one was meant.
    /// </summary>
    public static readonly DateTimeOffset EarliestNotBefore = new(2015, 10, 5, 0, 0, 0, Renkei.Hosting.JapanTime.Offset);

    /// <summary>
    /// How far past the clock a notBefore may lie: a day, so that a date-only notBefore (midnight in Japan) may name tomorrow at
    /// the latest. No copy is updated in the future, so a later one is answered only copy-older-than-asked: it is a mistyped
    /// year (2204 for 2024), or a date no party can carry (past 9999-12-31 in Japan).
    /// </summary>
    public static readonly TimeSpan NotBeforeAhead = TimeSpan.FromDays(1);

    /// <summary>Whether an inquiry's notBefore, if it gives one, lies between <see cref="EarliestNotBefore"/> and <see cref="NotBeforeAhead"/> after <paramref name="now"/>.</summary>
    public static bool IsNotBefore(DateTimeOffset? notBefore, DateTimeOffset now) =>
        notBefore is not { } at || (at >= EarliestNotBefore && at <= now + NotBeforeAhead);

    /// <summary>The core's error reason for an inquiry whose notBefore fails <see cref="IsNotBefore"/>: that inquiry alone is answered so, the rest of its message relayed.</summary>
    public const string InvalidNotBeforeReason = "invalid-not-before";

    public const string NotBeforeForm = "2015-10-05（日本時間）以降、今から1日後までの日時です / " +
        "is a time from 2015-10-05 in Japan (the first Individual Numbers) to a day from now at the latest";

    /// <summary>What the core's and the requester's records hold as the provider of an inquiry answered <see cref="UnknownProviderReason"/>.</summary>
    public const string UnknownProvider = "unknown";

    /// <summary>
    /// The provider an inquiry's record holds, at the core and at the requester alike so that their records agree: the id as
    /// asked only if it names an agency the core registered, else <see cref="UnknownProvider"/>. An id of the right form that
    /// names nobody may be an Individual Number with a digit before it (<see cref="IsAgencyId"/>), which seven years of records
    /// must not keep. Where the requester records an inquiry the core never answered, <paramref name="known"/> is whether the
    /// core's agency list names the provider, and a list that could not be read names nobody.
    /// </summary>
    public static string RecordedProvider(string provider, bool known) => known ? provider : UnknownProvider;

    /// <summary>
    /// The same, at the requester, from the core's answer to the inquiry: the core answers <see cref="UnknownProviderReason"/>
    /// for a provider it has not registered, and checks that first; a provider's answer giving that reason it turns into an
    /// error (<c>provider-answer-invalid</c>), so that the reason is the core's word alone.
    /// </summary>
    public static string RecordedProvider(string provider, ProvisionAnswer answer) =>
        RecordedProvider(provider, known: answer is not { Outcome: Outcome.NotPermitted, Reason: UnknownProviderReason });

    public const string NameForm = "英小文字・数字をハイフンでつないだ名前です（child-allowance など。数字は合わせて4文字まで） / " +
        "is a name of lower-case letters and digits joined by hyphens (child-allowance, say; at most 4 digits in all)";

    public const string AgencyIdForm = "機関IDは検査用数字の合った地方公共団体コード（6桁）か法人番号（13桁）です / " +
        "is an agency id: a local government code (6 digits) or a corporate number (13 digits), with a matching check digit";
}

/// <summary>What the provider seals to the requester: the copy in the data standard layout.</summary>
public sealed record ProvidedCopy(string Item, int SchemaVersion, System.Text.Json.JsonElement Content, DateTime UpdatedAt);

/// <summary>Core → agency node (kind <c>code-delivery</c>, sealed to the tenant): one issued code and the acquisition number it answers.</summary>
public sealed record DeliveredCode(string AcquisitionNumber, string AgencyCode);

public sealed record CodeDelivery(List<DeliveredCode> Codes);

/// <summary>The node's answer to a code delivery: how many codes found their addressee.</summary>
public sealed record CodeDeliveryReceipt(int Matched, int Unmatched);
