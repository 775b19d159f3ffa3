using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
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
/// with another request, 422. Keys are kept a day, per municipality.
/// </summary>
public sealed record IdempotencyKey(string Key, string RequestHash)
{
    public const string Header = "Idempotency-Key";

    public static readonly TimeSpan Kept = TimeSpan.FromDays(1);

    /// <summary>No key and no problem without the header; a problem for a malformed one.</summary>
    public static (IdempotencyKey? Key, ProblemHttpResult? Problem) From(string? header, string operation, object request)
    {
        if (header is null) return (null, null);
        if (header.Length is 0 or > 100 || !header.All(ch => ch is > ' ' and < '\x7f'))
            return (null, Problems.BadRequest("invalid-idempotency-key", "冪等キーが不正です / Invalid Idempotency-Key",
                "Idempotency-Key は空白を含まない1〜100文字のASCII文字です / The Idempotency-Key header is 1 to 100 visible ASCII characters."));
        var what = Encoding.UTF8.GetBytes(operation + "\n" + JsonSerializer.Serialize(request, request.GetType(), ServiceDefaults.Json));
        return (new IdempotencyKey(header, Convert.ToHexStringLower(SHA256.HashData(what))), null);
    }

    public static readonly Refusal Reused = new(422, "idempotency-key-reused", "冪等キーが別の要求に使われています / The Idempotency-Key was used for another request",
        "同じ冪等キーで異なる内容の要求を受け付けていました。新しい要求には新しいキーを使ってください / " +
        "A different request was made under this key: use a new key for a new request.");

    /// <summary>The answer an earlier request under this key got, or null when there was none (read under the event log's lock).</summary>
    public async Task<(EventReceipt? Receipt, Refusal? Refusal)?> EarlierAsync(DbConnection c, DbTransaction tx, LocalGovernmentCode municipality)
    {
        var rows = await c.QueryAsync("SELECT request_hash, receipt FROM idempotency_keys WHERE municipality_code = @m AND idempotency_key = @k",
            r => (Hash: r.GetString(0), Receipt: r.GetString(1)), tx, ("m", municipality.Digits), ("k", Key));
        if (rows is not [var earlier]) return null;
        if (earlier.Hash != RequestHash) return (null, Reused);
        var receipt = JsonSerializer.Deserialize<EventReceipt>(earlier.Receipt, ServiceDefaults.Json)!;
        return (receipt with { IndividualNumber = (await NumberingAuthority.CurrentNumberAsync(c, receipt.ResidentId, tx))?.Digits }, null);
    }

    /// <summary>Keeps the answer in the event's own transaction, and lets keys older than a day go.</summary>
    public async Task KeepAsync(DbConnection c, DbTransaction tx, LocalGovernmentCode municipality, EventReceipt receipt, DateTime now)
    {
        await c.ExecuteAsync("DELETE FROM idempotency_keys WHERE created_at < @t", tx, ("t", RegisterText.ToText(now - Kept)));
        await c.ExecuteAsync("INSERT INTO idempotency_keys (municipality_code, idempotency_key, request_hash, receipt, created_at) VALUES (@m, @k, @h, @r, @t)",
            tx, ("m", municipality.Digits), ("k", Key), ("h", RequestHash),
            ("r", JsonSerializer.Serialize(receipt with { IndividualNumber = null }, ServiceDefaults.Json)), ("t", RegisterText.ToText(now)));
    }
}
