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

/// <summary>Requester node → core (kind <c>inquiry</c>): the person by the requester's own code.</summary>
public sealed record InquiryBody(string AgencyCode, string Affair, string Provider, string Item, DateTimeOffset? NotBefore);

/// <summary>Core → provider node (kind <c>provision-request</c>): the person by the provider's own code, and the key to seal the answer to.</summary>
public sealed record ProvisionRequest(string Requester, string RequesterEncryptionKey, string Affair, string Item, string AgencyCode,
    DateTimeOffset? NotBefore, DateTimeOffset RequestedAt);

/// <summary>Provider node → core (kind <c>provision</c>) and core → requester node (kind <c>inquiry-result</c>).</summary>
public sealed record ProvisionAnswer(Outcome Outcome, string? Reason, SealedPayload? Sealed, DateTimeOffset? ProvidedAt, bool Withheld);

/// <summary>What the provider seals to the requester: the copy in the data standard layout.</summary>
public sealed record ProvidedCopy(string Item, int SchemaVersion, System.Text.Json.JsonElement Content, DateTime UpdatedAt);
