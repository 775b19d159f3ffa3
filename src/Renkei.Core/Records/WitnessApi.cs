using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Core.Agencies;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Hosting.Tls;
using Renkei.Protocol;
using Renkei.Protocol.Records;

namespace Renkei.Core.Records;

/// <summary>
/// The core as witness of the tenants' provision records: a node sends each tenant's signed tree head with a
/// consistency proof from the head the core witnessed last, and the core keeps it only if the proof holds. A tenant
/// (or anyone with rights over its database and key) that rewrites records the core has witnessed can then not get
/// another head witnessed, and the heads kept here are public, for auditors to hold the tenant's log to.
/// </summary>
public static class WitnessApi
{
    public static void MapWitness(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/witness", Witness).WithTags("Records")
            .RequireNetworkParty(NetworkIdentity.IsNode, "中間サーバー", "a node")
            .WithSummary("A node's signed message with a tenant's new signed tree head and its consistency proof from the head witnessed last.");
        app.MapGet("/api/witness/{party}", async Task<Results<Ok<SignedTreeHead>, ProblemHttpResult>> (string party, Database database) =>
                await LatestAsync(database, party) is { } head ? TypedResults.Ok(head) : Problems.NotFound("no-witnessed-head", "立会い済みのツリーヘッドがありません / No tree head of this party was witnessed"))
            .WithTags("Records").WithSummary("The latest tree head of a party that the core witnessed (public: it holds no personal data).");
    }

    private static async Task<Results<Ok<SignedTreeHead>, ProblemHttpResult>> Witness(Envelope envelope, HttpContext context, AgencyStore agencies,
        EnvelopeVerifier verifier, Database database, TimeProvider time, ILoggerFactory logs)
    {
        var log = logs.CreateLogger(typeof(WitnessApi));
        var (sender, refused) = await agencies.AdmitAsync(envelope, ConsistencyProof.MessageKind, context, verifier, log);
        if (refused is not null) return refused;
        var proof = Read(envelope);
        var key = agencies.SigningKeyOf(sender)!;
        if (proof is null || proof.Head.Party != envelope.Sender || !proof.Head.HasValidSignature(key))
            return Problems.BadRequest("malformed-tree-head", "ツリーヘッドが読めません / The tree head could not be read",
                "本文は送信元自身の署名済みツリーヘッドと整合性証明（ConsistencyProof）にしてください / " +
                "The body is the sender's own signed tree head with a consistency proof (ConsistencyProof).");
        // One party's heads are witnessed one at a time: two messages checked against the same latest head could both be
        // kept, forked from each other, and later heads compared with the larger one only.
        await using var c = await database.OpenAsync();
        await using var tx = await database.BeginSerializedAsync(c, WitnessLock(envelope.Sender));
        var latest = await LatestAsync(c, envelope.Sender, tx);
        // The first head is taken as it comes; every later one must extend the one before.
        if (latest is not null && !proof.Verify(latest, key))
        {
            log.LogWarning("Refused a tree head of {Party}: it does not extend the head witnessed at {Size} records", envelope.Sender, latest.Size);
            return Problems.Conflict("inconsistent-tree-head",
                $"記録が立会い済みの {latest.Size} 件から追記だけで伸びたことを示せません / The log is not shown to extend the {latest.Size} records witnessed before",
                "コアが立ち会った記録が変更または削除されています。立会い済みのツリーヘッドはそのままです / " +
                "Records the core witnessed were changed or removed; the witnessed heads stay as they were.");
        }
        if (latest is null || proof.Head.Size > latest.Size)
        {
            var h = proof.Head;
            await c.ExecuteAsync("INSERT INTO witnessed_heads (party, size, root_hash, signed_at, signature, witnessed_at) VALUES (@p, @n, @r, @s, @g, @w) " +
                "ON CONFLICT (party, size) DO NOTHING", tx,
                ("p", h.Party), ("n", h.Size), ("r", h.RootHash), ("s", ProvisionLog.TimeText(h.SignedAt)), ("g", h.Signature), ("w", ProvisionLog.TimeText(time.GetUtcNow())));
        }
        var kept = await LatestAsync(c, envelope.Sender, tx) ?? proof.Head;
        await tx.CommitAsync();
        return TypedResults.Ok(kept);
    }

    /// <summary>The advisory lock (on PostgreSQL; SQLite's write transaction serializes alone) under which a party's heads are witnessed.</summary>
    private static long WitnessLock(string party) =>
        BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("renkei-witness\n" + party)));

    private static ConsistencyProof? Read(Envelope envelope)
    {
        if (envelope.Kind != ConsistencyProof.MessageKind) return null;
        try
        {
            return JsonSerializer.Deserialize<ConsistencyProof>(envelope.Body, ServiceDefaults.Json) is { Head: not null, Path: not null } p ? p : null;
        }
        catch (JsonException) { return null; }
    }

    public static async Task<SignedTreeHead?> LatestAsync(Database database, string party)
    {
        await using var c = await database.OpenAsync();
        return await LatestAsync(c, party);
    }

    private static async Task<SignedTreeHead?> LatestAsync(System.Data.Common.DbConnection c, string party, System.Data.Common.DbTransaction? tx = null) =>
        (await c.QueryAsync("SELECT size, root_hash, signed_at, signature FROM witnessed_heads WHERE party = @p ORDER BY size DESC LIMIT 1",
            r => new SignedTreeHead(party, Convert.ToInt64(r.GetValue(0)), r.GetString(1),
                ProvisionLog.ParseTime(r.GetString(2)), r.GetString(3)), tx, ("p", party))).SingleOrDefault();
}
