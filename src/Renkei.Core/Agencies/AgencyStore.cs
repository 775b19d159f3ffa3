using System.Collections.Concurrent;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;

namespace Renkei.Core.Agencies;

/// <summary>
/// The agency register in the core's database, with a read cache that writes refresh. Opened
/// signing keys are cached by the key itself, so an updated registration can never be verified
/// with the key it replaced.
/// </summary>
public sealed class AgencyStore(Database database)
{
    private readonly ConcurrentDictionary<string, Agency> cache = new();
    private readonly ConcurrentDictionary<string, ECDsa> signingKeys = new();
    private long generation;

    /// <summary>
    /// Registers or updates an agency and keeps the change in its history (who, when, before and after), in one transaction:
    /// the permission table decides by kind, so whoever explains a past decision needs the kind an agency had then.
    /// </summary>
    public async Task<AgencyChange> SaveAsync(string agencyId, AgencyRegistration r, DateTime now, string caller)
    {
        await using var c = await database.OpenAsync();
        // One writer of the register at a time, so each change's "before" is the one the last change left.
        await using var tx = await database.BeginSerializedAsync(c, WriteLock);
        var before = (await c.QueryAsync("SELECT " + Columns + " FROM agencies WHERE agency_id = @id", Read, tx, ("id", agencyId))).SingleOrDefault();
        await c.ExecuteAsync(
            """
            INSERT INTO agencies (agency_id, kind, name, local_government_code, corporate_number, node_address, node_id, signing_key, encryption_key, registered_at, updated_at)
            VALUES (@id, @kind, @name, @lgc, @cn, @node, @nid, @sk, @ek, @now, @now)
            ON CONFLICT (agency_id) DO UPDATE SET kind = excluded.kind, name = excluded.name, local_government_code = excluded.local_government_code,
                corporate_number = excluded.corporate_number, node_address = excluded.node_address, node_id = excluded.node_id,
                signing_key = excluded.signing_key, encryption_key = excluded.encryption_key, updated_at = excluded.updated_at
            """, tx, Parameters(agencyId, r, now));
        var after = (await c.QueryAsync("SELECT " + Columns + " FROM agencies WHERE agency_id = @id", Read, tx, ("id", agencyId))).Single();
        var change = new AgencyChange(0, agencyId, now, caller, before is null ? null : AgencyState.Of(before), AgencyState.Of(after));
        var seq = await c.ScalarAsync<long>("INSERT INTO agency_history (agency_id, changed_at, changed_by, old_value, new_value) VALUES (@id, @at, @by, @old, @new)" +
            database.ReturningId("seq"), tx, ("id", agencyId), ("at", now.ToString("O")), ("by", caller),
            ("old", change.Old is null ? null : JsonSerializer.Serialize(change.Old, ServiceDefaults.Json)), ("new", JsonSerializer.Serialize(change.New, ServiceDefaults.Json)));
        await tx.CommitAsync();
        Interlocked.Increment(ref generation);
        cache.TryRemove(agencyId, out _);
        return change with { Seq = seq };
    }

    /// <summary>Every registration and change, oldest first; of one agency when <paramref name="agencyId"/> is given.</summary>
    public async Task<List<AgencyChange>> HistoryAsync(string? agencyId)
    {
        await using var c = await database.OpenAsync();
        return await c.QueryAsync(
            "SELECT seq, agency_id, changed_at, changed_by, old_value, new_value FROM agency_history" + (agencyId is null ? "" : " WHERE agency_id = @id") + " ORDER BY seq",
            r => new AgencyChange(r.GetInt64(0), r.GetString(1), r.GetStoredTime(2), r.GetString(3),
                r.IsDBNull(4) ? null : JsonSerializer.Deserialize<AgencyState>(r.GetString(4), ServiceDefaults.Json),
                JsonSerializer.Deserialize<AgencyState>(r.GetString(5), ServiceDefaults.Json)!),
            null, agencyId is null ? [] : [("id", agencyId)]);
    }

    private static readonly long WriteLock = BitConverter.ToInt64(SHA256.HashData("renkei-agency-register"u8));

    private static (string, object?)[] Parameters(string agencyId, AgencyRegistration r, DateTime now) =>
    [
        ("id", agencyId), ("kind", r.Kind!.Value.ToString()), ("name", r.Name!.Trim()),
        ("lgc", Agency.UsesLocalGovernmentCode(r.Kind!.Value) ? agencyId : null),
        ("cn", Agency.UsesLocalGovernmentCode(r.Kind!.Value) ? null : agencyId),
        ("node", r.NodeAddress!.EndsWith('/') ? r.NodeAddress : r.NodeAddress + "/"), ("nid", r.NodeId), ("sk", r.SigningKey), ("ek", r.EncryptionKey),
        ("now", now.ToString("O")),
    ];

    public async Task<Agency?> FindAsync(string? agencyId)
    {
        if (string.IsNullOrEmpty(agencyId)) return null; // a message without a sender names nobody
        if (cache.TryGetValue(agencyId, out var cached)) return cached;
        // A read that overlaps a write may have seen the old row: it is returned but not cached.
        var before = Interlocked.Read(ref generation);
        await using var c = await database.OpenAsync();
        var found = (await c.QueryAsync("SELECT " + Columns + " FROM agencies WHERE agency_id = @id", Read, null, ("id", agencyId))).SingleOrDefault();
        if (found is not null && Interlocked.Read(ref generation) == before) cache.TryAdd(agencyId, found);
        return found;
    }

    public async Task<List<Agency>> ListAsync()
    {
        await using var c = await database.OpenAsync();
        return await c.QueryAsync("SELECT " + Columns + " FROM agencies ORDER BY agency_id", Read);
    }

    /// <summary>The opened signing key of a registered agency, for verifying its messages.</summary>
    public ECDsa? SigningKeyOf(Agency? agency)
    {
        if (agency is null) return null;
        if (signingKeys.TryGetValue(agency.Keys.SigningKey, out var key)) return key;
        // Replaced keys stay opened until the cache is far larger than any register; then it starts afresh.
        if (signingKeys.Count > 10_000) signingKeys.Clear();
        return signingKeys.GetOrAdd(agency.Keys.SigningKey, _ => agency.Keys.OpenSigningKey());
    }

    private const string Columns = "agency_id, kind, name, local_government_code, corporate_number, node_address, signing_key, encryption_key, registered_at, updated_at, node_id";

    private static Agency Read(DbDataReader r) => new(
        r.GetString(0), Enum.Parse<AgencyKind>(r.GetString(1)), r.GetString(2), r.GetNullableString(3), r.GetNullableString(4), r.GetString(5),
        new PublicKeys(r.GetString(6), r.GetString(7)),
        r.GetStoredTime(8), r.GetStoredTime(9), r.GetNullableString(10));
}
