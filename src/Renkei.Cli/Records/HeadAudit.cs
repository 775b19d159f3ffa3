using System.Security.Cryptography;
using Renkei.Cli.Linkage;
using Renkei.Protocol;
using Renkei.Protocol.Records;

namespace Renkei.Cli.Records;

/// <summary>
/// An agency as the core's register lists it: the node it is on and its public keys. Not the core's Agency: the core leaves its
/// null members out (a corporate number for a city), and the CLI reads answers strictly, every constructor parameter required.
/// </summary>
public sealed record RegisteredAgency(string AgencyId, string Name, string NodeAddress, PublicKeys Keys);

/// <summary>One tenant's two views: the core's log against the head the tenant kept, and the tenant's log against the head the core witnessed.</summary>
public sealed record TenantAudit(string AgencyId, string Name, Verdict CoreLog, Verdict OwnLog)
{
    /// <summary>The worse of the two: a difference over a view not checked, over one consistent, over nothing to compare yet.</summary>
    public Agreement Agreement => (Agreement)Math.Max((int)CoreLog.Agreement, (int)OwnLog.Agreement);

    public string Line()
    {
        var (japanese, english) = Agreement switch
        {
            Agreement.Differs => ("不一致", "NOT consistent"),
            Agreement.Unchecked => ("未確認", "not checked"),
            Agreement.Consistent => ("一致", "consistent"),
            _ => ("まだ比べるものがありません", "nothing to compare yet"),
        };
        return $"{AgencyId} {Name}: {japanese} / {english}: コアの記録 / the core's log: {CoreLog}; 機関の記録 / the tenant's log: {OwnLog}";
    }
}

/// <summary>
/// Compares the signed tree heads different parties were shown (docs/linkage.md, the witness). A core that holds its key could
/// keep two logs and show the nodes one and anyone else the other; each is self-consistent, so only a comparison across parties
/// sees the fork. The audit takes the core's head itself, then holds the core to each tenant's kept head of the core's log, and each
/// tenant to the head of its log the core witnessed, always by the party's own consistency proof to the log it shows the audit.
/// </summary>
public sealed class HeadAudit(HttpClient core, HttpClient node, Func<string, string?> tokenOf)
{
    private LogView coreView = null!;
    private ECDsa coreKey = null!;

    // Tenants on one node mostly keep the same head of the core's log: the core proves it once, and each tenant's copy has its signature checked.
    private readonly Dictionary<(long Size, string RootHash), Verdict> coreVerdicts = [];

    /// <summary>The core's log as the audit sees it; set by <see cref="StartAsync"/>.</summary>
    public SignedTreeHead CoreHead => coreView.Current!;

    /// <summary>(1) The core's key and its current signed tree head: null when both are had, else why not.</summary>
    public async Task<Verdict?> StartAsync(CancellationToken ct)
    {
        var keys = await Answer<PublicKeys>.GetAsync(core, "api/core/keys", null, ServiceAnswer.Core, ct);
        if (keys.Value is null) return Verdict.Unchecked(keys.Said);
        if (Key(keys.Value) is not { } key) return Verdict.Unchecked("コアの公開鍵が読めません / the core's public key cannot be read");
        coreKey = key;
        coreView = new LogView(Renkei.Node.CoreLink.CoreParty, key,
            ct => Answer<SignedTreeHead>.GetAsync(core, "api/records/tree-head", null, ServiceAnswer.Core, ct),
            (from, ct) => Answer<ConsistencyProof>.GetAsync(core, $"api/records/consistency?from={from}", null, ServiceAnswer.Core, ct));
        return await coreView.StartAsync(ct);
    }

    /// <summary>Every agency the core registers; null when it answers otherwise (said on standard error).</summary>
    public async Task<List<RegisteredAgency>?> AgenciesAsync(CancellationToken ct)
    {
        var answer = await Answer<List<RegisteredAgency>>.GetAsync(core, "api/agencies", null, ServiceAnswer.Core, ct);
        if (answer.Value is null) Console.Error.WriteLine($"コアの機関の一覧を読めません / cannot read the core's agency register: {answer.Said}");
        return answer.Value;
    }

    /// <summary>(2) and (3) for one tenant. A node or core gone meanwhile leaves this tenant unchecked; the audit goes on with the next.</summary>
    public async Task<TenantAudit> TenantAsync(RegisteredAgency agency, CancellationToken ct)
    {
        var id = agency.AgencyId;
        if (tokenOf(id) is not { } token)
        {
            var none = Verdict.Unchecked($"{id} の records のトークンがありません / no token with records for {id}");
            return new(id, agency.Name, none, none);
        }
        Verdict coreLog, ownLog;
        try { coreLog = await CoreLogAsync(id, token, ct); }
        catch (Exception e) when (Gone(e, ct) is { } said) { coreLog = Verdict.Unchecked(said); }
        try { ownLog = await OwnLogAsync(agency, token, ct); }
        catch (Exception e) when (Gone(e, ct) is { } said) { ownLog = Verdict.Unchecked(said); }
        return new(id, agency.Name, coreLog, ownLog);
    }

    /// <summary>What a request that got no answer (or not the API's) says; null for anything else, a Ctrl+C among them.</summary>
    private static string? Gone(Exception e, CancellationToken ct) => e switch
    {
        HttpRequestException request => ServiceGone.Said(request),
        TaskCanceledException when !ct.IsCancellationRequested => ServiceGone.Text(e),
        _ => null,
    };

    /// <summary>(2) The core's log, as the audit sees it, against the latest head of it the tenant kept.</summary>
    private async Task<Verdict> CoreLogAsync(string id, string token, CancellationToken ct)
    {
        var kept = await Answer<SignedTreeHead>.GetAsync(node, $"api/tenants/{Uri.EscapeDataString(id)}/records/core-head", token, ServiceAnswer.Node, ct);
        if (kept.Slug == "no-core-head") return new(Agreement.NothingYet, "保管したツリーヘッドはまだありません", "the tenant kept no head yet");
        if (kept.Value is null) return Verdict.Unchecked(kept.Said);
        var head = kept.Value;
        // Only a head the core signed is answered from another tenant's verdict: LogView says why any other differs.
        var signed = head.Party == Renkei.Node.CoreLink.CoreParty && head.HasValidSignature(coreKey);
        if (signed && coreVerdicts.TryGetValue((head.Size, head.RootHash), out var known)) return known;
        var verdict = await coreView.HoldsAsync(head, ("この機関が保管した", "the tenant kept"), ct);
        // Not checked (a core gone meanwhile) is asked again for the next tenant.
        if (signed && verdict.Agreement != Agreement.Unchecked) coreVerdicts[(head.Size, head.RootHash)] = verdict;
        return verdict;
    }

    /// <summary>(3) The tenant's log, as its node shows the audit, against the latest head of it the core witnessed; under the key the core registers for the tenant.</summary>
    private async Task<Verdict> OwnLogAsync(RegisteredAgency agency, string token, CancellationToken ct)
    {
        var id = Uri.EscapeDataString(agency.AgencyId);
        var witnessed = await Answer<SignedTreeHead>.GetAsync(core, $"api/witness/{id}", null, ServiceAnswer.Core, ct);
        if (witnessed.Slug == "no-witnessed-head") return new(Agreement.NothingYet, "コアが立ち会ったツリーヘッドはまだありません", "the core witnessed no head yet");
        if (witnessed.Value is null) return Verdict.Unchecked(witnessed.Said);
        // The key the core registered, not the one the node publishes: a node showing the audit a log under a key of its own would pass.
        if (Key(agency.Keys) is not { } key) return Verdict.Unchecked("コアに登録された機関の公開鍵が読めません / the tenant's public key at the core cannot be read");
        var view = new LogView(agency.AgencyId, key,
            ct => Answer<SignedTreeHead>.GetAsync(node, $"api/tenants/{id}/records/tree-head", token, ServiceAnswer.Node, ct),
            (from, ct) => Answer<ConsistencyProof>.GetAsync(node, $"api/tenants/{id}/records/consistency?from={from}", token, ServiceAnswer.Node, ct));
        return await view.StartAsync(ct) ?? await view.HoldsAsync(witnessed.Value, ("コアが立ち会った", "the core witnessed"), ct);
    }

    private static ECDsa? Key(PublicKeys keys)
    {
        try { return keys.OpenSigningKey(); }
        catch (Exception e) when (e is FormatException or CryptographicException) { return null; }
    }
}
