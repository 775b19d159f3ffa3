using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Node.Tenants;
using Renkei.Protocol;
using Renkei.Protocol.Records;

namespace Renkei.Node.Linkage;

/// <summary>
/// Has the core witness each tenant's provision records: every <see cref="NodeOptions.WitnessSeconds"/> it sends the
/// tenant's new signed tree head with a consistency proof from the head the core witnessed last. Once witnessed,
/// records cannot be rewritten unseen even by someone who holds the tenant's database and key: the core refuses the
/// next head, and auditors compare the log with the heads the core keeps.
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
            do
            {
                foreach (var tenant in tenants.All)
                    try { await WitnessAsync(tenant, stopping); }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or System.Data.Common.DbException)
                    {
                        log.LogWarning("The tree head of tenant {AgencyId} was not witnessed this time: {Error}", tenant.AgencyId, e.GetType().Name);
                    }
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
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
        if (witnessed is not null && proof.Head.Size == witnessed.Size) return witnessed;
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

    private static async Task<T> LinkageResponse<T>(HttpResponseMessage response, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"the core answered {(int)response.StatusCode}", null, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<T>(ServiceDefaults.Json, ct) ?? throw new InvalidOperationException("the core answered nothing");
    }
}
