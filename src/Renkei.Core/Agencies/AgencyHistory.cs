namespace Renkei.Core.Agencies;

/// <summary>An agency's registration as one change left it: what the permission table and the relay go by.</summary>
public sealed record AgencyState(AgencyKind Kind, string Name, string? LocalGovernmentCode, string? CorporateNumber, string NodeAddress, string? NodeId,
    string SigningKey, string EncryptionKey)
{
    public static AgencyState Of(Agency a) =>
        new(a.Kind, a.Name, a.LocalGovernmentCode, a.CorporateNumber, a.NodeAddress, a.NodeId, a.Keys.SigningKey, a.Keys.EncryptionKey);

    /// <summary>One line for the log; the keys are in the history whole, and the log says only whether they changed.</summary>
    public string Summary() =>
        $"kind={System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(Kind.ToString())} name={Renkei.Hosting.LogText.Safe(Name)} node={Renkei.Hosting.LogText.Safe(NodeAddress)} nodeId={NodeId ?? "-"}";
}

/// <summary>
/// One registration or change of an agency in the core's history: who made it (the caller's name), when, and the
/// registration before (none for a first registration) and after.
/// </summary>
public sealed record AgencyChange(long Seq, string AgencyId, DateTime ChangedAt, string ChangedBy, AgencyState? Old, AgencyState New);
