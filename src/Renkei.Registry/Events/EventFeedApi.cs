using System.ComponentModel.DataAnnotations;
using System.ComponentModel;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Registry.Residents;

namespace Renkei.Registry.Events;

/// <summary>
/// A published change: enough for a subscriber to know whom to look up and why, never the items
/// themselves (subscribers that may see them ask the identity API). A move-out says where to as a kind,
/// <c>abroad</c> or <c>municipality</c> (never an address), so that a subscriber reading it late need not ask a
/// status that a return may already have changed.
/// </summary>
public sealed record PublishedEvent(long Position, string EventId, ResidentEventKind Kind, string ResidentId,
    string MunicipalityCode, [property: DataType(DataType.Date)] string OccurredOn, DateTime RecordedAt, IReadOnlyList<string> ChangedItems,
    [property: AllowedValues("abroad", "municipality", null)] string? DestinationKind = null);

public sealed record EventPage(IReadOnlyList<PublishedEvent> Events, long Next);

/// <summary>The last event of the log (position 0 and no id when the log is empty): where a subscriber that re-checked what it holds goes on from.</summary>
public sealed record FeedEnd(long Position, string? EventId);

/// <summary>
/// The outbox that later services subscribe to: a long-poll page read and a server-sent event
/// stream, both resumable from a position and the event read there (the event's <c>id</c> in the stream).
/// </summary>
public static class EventFeedApi
{
    public static void MapEventFeed(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/events").WithTags("Events").RequirePermission("events");
        group.MapGet("/", ReadPage).WithSummary("Events after a position; waits up to `wait` seconds for the first one.")
            .WithDescription("afterEventId を付けると、位置 after のイベントがそのIDでない場合（住基がバックアップから復元され、位置が別のイベントに再び使われた）" +
                "409 position-reused を返します / with `afterEventId`, a log whose event at `after` is not that one (the Registry was restored from a backup " +
                "and gave the position to another event) is answered 409 `position-reused` instead of events a subscriber would take as the ones after its own.");
        group.MapGet("/latest", Latest).WithSummary("The position and id of the last event (0 and none for an empty log).");
        group.MapGet("/stream", Stream).WithSummary("Server-sent events from a position (or the Last-Event-ID header).")
            .WithDescription("イベントごとに event: resident-event、id: 位置:イベントID、data: PublishedEvent のJSON。再接続の Last-Event-ID（または after と " +
                "afterEventId）の位置のイベントがそのIDでない場合は 409 position-reused / each event is `event: resident-event`, `id:` its position and event " +
                "id as `position:eventId`, and `data:` the PublishedEvent as JSON; the stream stays open and sends new events as they are recorded. A resume " +
                "(Last-Event-ID, or after with afterEventId) whose position now holds another event (a Registry restored from a backup) is answered 409 `position-reused`.");
    }

    private static async Task<Results<Ok<EventPage>, ProblemHttpResult>> ReadPage(
        Database database, EventSignal signal, long after = 0, [Range(1, 1000)] int limit = 100, [Range(0, 60)] int wait = 0,
        [Description("位置 after のイベントのID（購読者が最後に受け取ったもの）/ the id of the event at `after`, as the subscriber received it")] string? afterEventId = null,
        CancellationToken ct = default)
    {
        if (after < 0 || limit is < 1 or > 1000 || wait is < 0 or > 60)
            return Problems.BadRequest("invalid-feed-query", "指定が不正です / Invalid feed query",
                "after は0以上、limit は1〜1000、wait は0〜60秒です / after ≥ 0, limit from 1 to 1000, wait from 0 to 60 seconds.");
        var deadline = DateTime.UtcNow.AddSeconds(wait);
        var first = true;
        while (true)
        {
            // Checked on every read of a long poll: a restore during the wait must not hand out the positions it gives again.
            var checkedRead = afterEventId is { Length: > 0 } && after > 0;
            var (events, same) = checkedRead
                ? await ReadCheckedAsync(database, after, afterEventId!, limit, ct)
                : (await ReadAsync(database, after, limit, ct), true);
            if (!same) return await BeyondEndAsync(database, after, ct) ?? await ReusedAsync(database, after, afterEventId!, ct);
            // A checked read that found its event at `after` has seen that the log reaches it: no need to ask for the end.
            if (events.Count == 0 && first && !checkedRead && await BeyondEndAsync(database, after, ct) is { } beyond) return beyond;
            first = false;
            if (events.Count > 0 || DateTime.UtcNow >= deadline)
                return TypedResults.Ok(new EventPage(events, events.Count > 0 ? events[^1].Position : after));
            var left = deadline - DateTime.UtcNow;
            await signal.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), ct);
        }
    }

    private static async Task<Results<ServerSentEventsResult<PublishedEvent>, ProblemHttpResult>> Stream(Database database, EventSignal signal, HttpContext context,
        [FromHeader(Name = "Last-Event-ID"), Description("最後に受け取ったイベントのID（位置:イベントID、または位置だけ）。after と afterEventId より優先 / the id of " +
            "the last event received (position:eventId, or the position alone), as an EventSource sends it on reconnecting; it overrides after and afterEventId")] string? lastEventId = null,
        long after = 0,
        [Description("位置 after のイベントのID / the id of the event at `after`, as the subscriber received it")] string? afterEventId = null)
    {
        // A resume point that cannot be read is refused: replaying from 0 instead would hand the subscriber everything again.
        if (lastEventId?.Trim() is { Length: > 0 } header)
        {
            if (ParseStreamId(header) is not { } resumed)
                return Problems.BadRequest("invalid-last-event-id", "Last-Event-IDが不正です / Invalid Last-Event-ID",
                    "Last-Event-ID には最後に受け取ったイベントのID（位置:イベントID、または0以上の位置）を指定してください / " +
                    "Last-Event-ID is the id of the last event received: position:eventId, or a position (0 or more).");
            (after, afterEventId) = resumed;
        }
        if (after < 0)
            return Problems.BadRequest("invalid-feed-query", "指定が不正です / Invalid feed query", "after は0以上です / after ≥ 0.");
        var ct = context.RequestAborted;
        // Checked as the long poll checks, in the statement that reads the first events: a restored log that grew past the position
        // would otherwise stream the events after another event as the ones after the subscriber's.
        if (afterEventId is { Length: > 0 } && after > 0)
        {
            var (first, same) = await ReadCheckedAsync(database, after, afterEventId, 500, ct);
            if (!same) return await BeyondEndAsync(database, after, ct) ?? await ReusedAsync(database, after, afterEventId, ct);
            return TypedResults.ServerSentEvents(Items(database, signal, after, first, ct));
        }
        if (await BeyondEndAsync(database, after, ct) is { } beyond) return beyond;
        return TypedResults.ServerSentEvents(Items(database, signal, after, null, ct));
    }

    /// <summary>A stream's event id, <c>position:eventId</c>, or a position alone (as the stream wrote it before); null when it is neither.</summary>
    private static (long Position, string? EventId)? ParseStreamId(string text)
    {
        var colon = text.IndexOf(':');
        var position = colon < 0 ? text : text[..colon];
        if (!long.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out var p)) return null;
        if (colon < 0) return (p, null);
        var id = text[(colon + 1)..];
        return id.Length == 0 ? null : (p, id);
    }

    /// <summary>
    /// A position past the log's last one is refused, with the last one: it is a subscriber's cursor from a log that went further (a Registry
    /// restored from a backup), and answering it with an empty page would let the subscriber skip, silently, the events that fill those positions again.
    /// </summary>
    private static async Task<ProblemHttpResult?> BeyondEndAsync(Database database, long after, CancellationToken ct)
    {
        if (after == 0) return null;
        await using var c = await database.OpenAsync(ct);
        var latest = await c.ScalarAsync<long>("SELECT COALESCE(MAX(position), 0) FROM resident_events", null);
        if (after <= latest) return null;
        return Problems.Result(409, "position-beyond-end", "位置がイベントログの末尾を越えています / The position is beyond the end of the event log",
            $"位置 {after} のイベントはありません。最新の位置は {latest} です（住基がバックアップから復元された場合など）。受け取った内容を確かめてから、" +
            $"{latest} 以下の位置から読み直してください / There is no event at position {after}: the latest position is {latest} (the Registry may have been " +
            $"restored from a backup). Check what was received, then read again from a position of {latest} or less.",
            new Dictionary<string, object?> { ["latest"] = latest });
    }

    private static async Task<ProblemHttpResult> ReusedAsync(Database database, long after, string afterEventId, CancellationToken ct)
    {
        var latest = await EndAsync(database, ct);
        return Problems.Result(409, "position-reused", "位置が別のイベントに使われています / The position now holds another event",
            $"位置 {after} のイベントは {afterEventId} ではありません。住基がバックアップから復元され、位置が別のイベントに再び使われています。" +
            $"最新の位置は {latest.Position} です。受け取った内容を住基の現在の記録と照らし合わせてから、最新の位置から読んでください / " +
            $"The event at position {after} is not {afterEventId}: the Registry was restored from a backup and gives its positions to other events. " +
            $"The latest position is {latest.Position}. Check what was received against the Registry's current records, then read on from the latest position.",
            new Dictionary<string, object?> { ["latest"] = latest.Position });
    }

    private static async Task<Ok<FeedEnd>> Latest(Database database, CancellationToken ct) => TypedResults.Ok(await EndAsync(database, ct));

    private static async Task<FeedEnd> EndAsync(Database database, CancellationToken ct)
    {
        await using var c = await database.OpenAsync(ct);
        var end = await c.QueryAsync("SELECT position, event_id FROM resident_events ORDER BY position DESC LIMIT 1",
            r => new FeedEnd(r.GetInt64(0), r.GetString(1)), null);
        return end.FirstOrDefault() ?? new FeedEnd(0, null);
    }

    /// <summary>The events after <paramref name="after"/>, <paramref name="first"/> (when read already) first, then as they are recorded.</summary>
    private static async IAsyncEnumerable<SseItem<PublishedEvent>> Items(Database database, EventSignal signal, long after, List<PublishedEvent>? first,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var events = first ?? await ReadAsync(database, after, 500, ct);
        while (!ct.IsCancellationRequested)
        {
            foreach (var e in events)
            {
                after = e.Position;
                // The event beside its position, so that a resume can be checked as afterEventId is (see Stream).
                yield return new SseItem<PublishedEvent>(e, "resident-event") { EventId = $"{e.Position.ToString(CultureInfo.InvariantCulture)}:{e.EventId}" };
            }
            if (events.Count == 0) await signal.WaitAsync(TimeSpan.FromSeconds(1), ct);
            events = await ReadAsync(database, after, 500, ct);
        }
    }

    public static Task<List<PublishedEvent>> ReadAsync(Database database, long after, int limit, CancellationToken ct = default) =>
        QueryAsync(database, ">", after, limit, ct);

    /// <summary>
    /// The events after <paramref name="after"/> and, in the same statement (so the same state of the log), the event at it, which must be
    /// <paramref name="afterEventId"/>; no events and false when it is not.
    /// </summary>
    private static async Task<(List<PublishedEvent> Events, bool Same)> ReadCheckedAsync(Database database, long after, string afterEventId, int limit, CancellationToken ct)
    {
        var events = await QueryAsync(database, ">=", after, limit + 1, ct);
        if (events.Count == 0 || events[0].Position != after || events[0].EventId != afterEventId) return ([], false);
        events.RemoveAt(0);
        return (events, true);
    }

    private static async Task<List<PublishedEvent>> QueryAsync(Database database, string from, long after, int limit, CancellationToken ct)
    {
        await using var c = await database.OpenAsync(ct);
        return await c.QueryAsync(
            "SELECT position, event_id, kind, resident_id, municipality_code, occurred_on, recorded_at, changed_items, " +
            $"CASE WHEN kind = 'MoveOut' THEN data END FROM resident_events WHERE position {from} @a ORDER BY position LIMIT @l",
            r => new PublishedEvent(r.GetInt64(0), r.GetString(1), Enum.Parse<ResidentEventKind>(r.GetString(2)), r.GetString(3), r.GetString(4),
                r.GetString(5), RegisterText.ParseUtc(r.GetString(6)), r.GetString(7).Split(',', StringSplitOptions.RemoveEmptyEntries),
                r.IsDBNull(8) ? null : DestinationKindOf(r.GetString(8))),
            null, ("a", after), ("l", limit));
    }

    /// <summary>A move-out's destination as a kind, from the facts the log keeps (<c>abroad</c> is written only when true).</summary>
    private static string DestinationKindOf(string data)
    {
        using var facts = System.Text.Json.JsonDocument.Parse(data);
        return facts.RootElement.TryGetProperty("abroad", out var abroad) && abroad.ValueKind == System.Text.Json.JsonValueKind.True
            ? "abroad" : "municipality";
    }
}
