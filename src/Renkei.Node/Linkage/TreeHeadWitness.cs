using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Node.Tenants;
using Renkei.Protocol;
using Renkei.Protocol.Records;

namespace Renkei.Node.Linkage;

/// <summary>
/// Witnessing both ways, every <see cref="NodeOptions.WitnessSeconds"/>. The core witnesses each tenant's provision
/// records: the node sends the tenant's new signed tree head with a consistency proof from the head the core witnessed
/// last. And each tenant witnesses the core's: it keeps the core's signed tree head once the core proves it extends the
/// one the tenant kept before. Once witnessed, records cannot be rewritten unseen even by someone who holds the party's
/// database and key: the witness refuses the next head, and auditors compare the log with the heads the witness keeps.
/// </summary>
public sealed class TreeHeadWitness(TenantDirectory tenants, CoreLink core, TimeProvider time, NodeOptions options, ILogger<TreeHeadWitness> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        if (options.WitnessSeconds == 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.WitnessSeconds), time);
        try
        {
            do await PassAsync(stopping);
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
    }

    /// <summary>One pass: each tenant's log witnessed by the core, and the core's by each tenant.</summary>
    internal async Task PassAsync(CancellationToken stopping)
    {
        foreach (var tenant in tenants.All)
        {
            try { await WitnessAsync(tenant, stopping); }
            catch (Exception e) when (e is MissingRecordsException or HeadNotReachedException)
            {
                // The log was changed behind the tenant (records gone, its head altered or removed, records rewritten under
                // it): what the witness exists to tell, so an error with the reason, never a passing warning (audit J, J4).
                log.LogError("The provision records of tenant {AgencyId} cannot be witnessed: {Reason}", tenant.AgencyId, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                Failed(e, "The tree head of tenant {AgencyId} was not witnessed this time: {Error}", tenant.AgencyId);
            }
            try { await KeepCoreHeadAsync(tenant, stopping); }
            catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                Failed(e, "Tenant {AgencyId} kept no new tree head of the core this time: {Error}", tenant.AgencyId);
            }
        }
    }

    /// <summary>Has the core witness the tenant's log as it stands; returns the head the core now holds (null: nothing to witness, or refused).</summary>
    public async Task<SignedTreeHead?> WitnessAsync(Tenant tenant, CancellationToken ct = default)
    {
        var client = core.Client();
        SignedTreeHead? witnessed = null;
        using (var latest = await client.GetAsync($"api/witness/{Uri.EscapeDataString(tenant.AgencyId)}", ct))
            if (latest.StatusCode != HttpStatusCode.NotFound)
                witnessed = await LinkageResponse<SignedTreeHead>(latest, ct);
        var from = witnessed?.Size ?? (await tenant.Records.TreeHeadAsync(ct)).Size;
        if (from == 0) return null;
        if (await tenant.Records.ProveConsistencyAsync(from, ct) is not { } proof)
        {
            log.LogError("Tenant {AgencyId} holds fewer provision records than the {Size} the core witnessed: records were removed", tenant.AgencyId, from);
            return null;
        }
        if (witnessed is not null && proof.Head.Size == witnessed.Size)
        {
            if (proof.Head.RootHash == witnessed.RootHash) return witnessed;
            // As many records as the core witnessed, but other ones: rewritten (or reordered) since.
            log.LogError("Tenant {AgencyId} holds {Size} provision records, as the core witnessed, but not the same ones: records were rewritten",
                tenant.AgencyId, from);
            return null;
        }
        var message = Envelope.Create(tenant.AgencyId, CoreLink.CoreParty, ConsistencyProof.MessageKind, JsonSerializer.Serialize(proof, ServiceDefaults.Json),
            tenant.Keys.Signing, time);
        using var response = await client.PostAsync("api/witness", message.ToHttpContent(), ct);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            log.LogError("The core refused the tree head of tenant {AgencyId}: its records no longer extend the {Size} the core witnessed", tenant.AgencyId, from);
            return null;
        }
        return await LinkageResponse<SignedTreeHead>(response, ct);
    }

    /// <summary>
    /// A failure that the next pass may not see again (the core unreachable, a database busy) is a warning; any other is an
    /// error, and the witness goes on with the next tenant and the next pass rather than stopping for good.
    /// </summary>
    private void Failed(Exception e, string message, string agencyId)
    {
        if (e is HttpRequestException or TaskCanceledException or InvalidOperationException or JsonException or System.Data.Common.DbException)
            log.LogWarning(message, agencyId, e.GetType().Name);
        else
            log.LogError(message, agencyId, e.GetType().Name + ": " + e.Message);
    }

    /// <summary>
    /// Keeps the core's signed tree head in the tenant's database if the core proves it extends the head kept before (the
    /// first one is taken as it comes); returns the head kept now, or null when the core has no records yet or its log no
    /// longer extends the kept head or no longer reaches its own signed head, which is logged as an error on every pass
    /// until someone looks.
    /// </summary>
    public async Task<SignedTreeHead?> KeepCoreHeadAsync(Tenant tenant, CancellationToken ct = default)
    {
        var client = core.Client();
        var coreKey = await core.CoreKeyAsync();
        using var response = await client.GetAsync("api/records/tree-head", ct);
        if (await BrokenLogAsync(response) is { } broken) return CoreLogBroken(tenant, broken);
        var head = await LinkageResponse<SignedTreeHead>(response, ct);
        if (head.Party != CoreLink.CoreParty || !head.HasValidSignature(coreKey))
            throw new InvalidOperationException("the core's tree head does not bear the core's signature");
        await using var c = await tenant.Database.OpenAsync(ct);
        var kept = await KeptCoreHeadAsync(c);
        // Nothing recorded yet, nothing to witness; but a core that had records and now has none lost them all.
        if (head.Size == 0) return kept is null ? null : Inconsistent(tenant, kept);
        if (kept is not null && head.Size <= kept.Size)
        {
            if (head.Size == kept.Size && head.RootHash == kept.RootHash) return kept;
            return Inconsistent(tenant, kept);
        }
        if (kept is not null)
        {
            using var proving = await client.GetAsync($"api/records/consistency?from={kept.Size}", ct);
            if (await BrokenLogAsync(proving) is { } brokenSince) return CoreLogBroken(tenant, brokenSince);
            var proof = await LinkageResponse<ConsistencyProof>(proving, ct);
            if (!proof.Verify(kept, coreKey)) return Inconsistent(tenant, kept);
            head = proof.Head;
        }
        await c.ExecuteAsync("INSERT INTO core_heads (size, root_hash, signed_at, signature, kept_at) VALUES (@n, @r, @s, @g, @k) ON CONFLICT (size) DO NOTHING", null,
            ("n", head.Size), ("r", head.RootHash), ("s", ProvisionLog.TimeText(head.SignedAt)), ("g", head.Signature), ("k", ProvisionLog.TimeText(time.GetUtcNow())));
        return head;
    }

    /// <summary>The latest tree head of the core that the tenant kept, or null before the first.</summary>
    public static async Task<SignedTreeHead?> KeptCoreHeadAsync(System.Data.Common.DbConnection c) =>
        (await c.QueryAsync("SELECT size, root_hash, signed_at, signature FROM core_heads ORDER BY size DESC LIMIT 1",
            r => new SignedTreeHead(CoreLink.CoreParty, Convert.ToInt64(r.GetValue(0)), r.GetString(1), ProvisionLog.ParseTime(r.GetString(2)), r.GetString(3)))).SingleOrDefault();

    private SignedTreeHead? Inconsistent(Tenant tenant, SignedTreeHead kept)
    {
        log.LogError("The core's provision records no longer extend the {Size} records tenant {AgencyId} witnessed: records at the core were changed or removed",
            kept.Size, tenant.AgencyId);
        return null;
    }

    /// <summary>
    /// The core's own word that its log is broken (409 <c>head-not-reached</c> or <c>records-missing</c>: it no longer reaches
    /// the head it signed, or records are gone), with its detail; null for any other answer.
    /// </summary>
    private static async Task<string?> BrokenLogAsync(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.Conflict) return null;
        try
        {
            var (slug, detail) = Problems.OfBody(await response.Content.ReadFromJsonAsync<JsonElement>());
            return RecordProofsApi.IsBrokenLog(slug) ? detail ?? slug : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException) { return null; }
    }

    private SignedTreeHead? CoreLogBroken(Tenant tenant, string reason)
    {
        log.LogError("The core's provision records cannot be witnessed by tenant {AgencyId}: {Reason}", tenant.AgencyId, reason);
        return null;
    }

    private static async Task<T> LinkageResponse<T>(HttpResponseMessage response, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"the core answered {(int)response.StatusCode}", null, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<T>(ServiceDefaults.Json, ct) ?? throw new InvalidOperationException("the core answered nothing");
    }
}
