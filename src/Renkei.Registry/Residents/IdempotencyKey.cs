using System.Data.Common;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Numbering;

namespace Renkei.Registry.Residents;

/// <summary>
/// The <c>Idempotency-Key</c> a municipality's system sends with an event: the same key again with the same request gets
/// the first answer instead of a second event (a retried birth used to register a second person with a second number);
/// with another request, 422. Keys are kept a day, per scope: a municipality's code, or the corporate register's own
/// scope (which the table's <c>municipality_code</c> column holds beside the municipalities' six digits).
/// </summary>
public sealed record IdempotencyKey(string Key, string RequestHash)
{
    public const string Header = IdempotencyKeyHeader.Name;

    public static readonly TimeSpan Kept = TimeSpan.FromDays(1);

    /// <summary>No key and no problem without the header; a problem for a malformed one.</summary>
    public static (IdempotencyKey? Key, ProblemHttpResult? Problem) From(string? header, string operation, object request)
    {
        var (key, problem) = IdempotencyKeyHeader.Read(header, operation, request);
        return (key is { } k ? new IdempotencyKey(k.Key, k.RequestHash) : null, problem);
    }

    public static readonly Refusal Reused = new(422, "idempotency-key-reused", "冪等キーが別の要求に使われています / The Idempotency-Key was used for another request",
        "同じ冪等キーで異なる内容の要求を受け付けていました。新しい要求には新しいキーを使ってください / " +
        "A different request was made under this key: use a new key for a new request.");

    /// <summary>The answer an earlier request under this key got, or null when there was none (read under the event log's lock).</summary>
    public async Task<(EventReceipt? Receipt, Refusal? Refusal)?> EarlierAsync(DbConnection c, DbTransaction tx, LocalGovernmentCode municipality)
    {
        if (await EarlierAnswerAsync<EventReceipt>(c, tx, municipality.Digits) is not { } earlier) return null;
        if (earlier.Answer is not { } receipt) return (null, earlier.Refusal);
        return (receipt with { IndividualNumber = (await NumberingAuthority.CurrentNumberAsync(c, receipt.ResidentId, tx))?.Digits }, null);
    }

    /// <summary>Keeps the answer in the event's own transaction, and lets keys older than a day go.</summary>
    public Task KeepAsync(DbConnection c, DbTransaction tx, LocalGovernmentCode municipality, EventReceipt receipt, DateTime now) =>
        KeepAnswerAsync(c, tx, municipality.Digits, receipt with { IndividualNumber = null }, now);

    /// <summary>
    /// The answer an earlier request under this key got in <paramref name="scope"/>, 422 when it was another request, or null when there
    /// was none. Read in the writer's transaction, under the lock that orders the scope's writers.
    /// </summary>
    public async Task<(T? Answer, Refusal? Refusal)?> EarlierAnswerAsync<T>(DbConnection c, DbTransaction tx, string scope) where T : class
    {
        var rows = await c.QueryAsync("SELECT request_hash, receipt FROM idempotency_keys WHERE municipality_code = @m AND idempotency_key = @k",
            r => (Hash: r.GetString(0), Receipt: r.GetString(1)), tx, ("m", scope), ("k", Key));
        if (rows is not [var earlier]) return null;
        if (earlier.Hash != RequestHash) return (null, Reused);
        return (JsonSerializer.Deserialize<T>(earlier.Receipt, ServiceDefaults.Json)!, null);
    }

    /// <summary>Keeps the answer under this key in <paramref name="scope"/>, in the writer's own transaction, and lets keys older than a day go.</summary>
    public async Task KeepAnswerAsync<T>(DbConnection c, DbTransaction tx, string scope, T answer, DateTime now)
    {
        await c.ExecuteAsync("DELETE FROM idempotency_keys WHERE created_at < @t", tx, ("t", RegisterText.ToText(now - Kept)));
        await c.ExecuteAsync("INSERT INTO idempotency_keys (municipality_code, idempotency_key, request_hash, receipt, created_at) VALUES (@m, @k, @h, @r, @t)",
            tx, ("m", scope), ("k", Key), ("h", RequestHash), ("r", JsonSerializer.Serialize(answer, ServiceDefaults.Json)), ("t", RegisterText.ToText(now)));
    }
}
