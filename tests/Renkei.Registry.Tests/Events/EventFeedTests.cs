using System.Net.Http.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Registry.Events;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Events;

public class EventFeedTests
{
    [Theory, StorageData]
    public async Task The_feed_lists_changes_in_order_and_resumes_from_a_position(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var a = await registry.RegisterBirthAsync();
        var b = await registry.RegisterBirthAsync(person: RegistryHost.Person("伊藤", "結衣", "イトウ", "ユイ", "2026-01-20", "female"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("address-change", ResidentId: a.ResidentId, Address: "千葉市稲毛区穴川4丁目1番1号"));

        var feed = registry.Client("events-token");
        var page = (await feed.GetFromJsonAsync<EventPage>("api/events?after=0&limit=2", ServiceDefaults.Json))!;
        Assert.Equal([a.ResidentId, b.ResidentId], page.Events.Select(e => e.ResidentId));
        var rest = (await feed.GetFromJsonAsync<EventPage>($"api/events?after={page.Next}", ServiceDefaults.Json))!;
        var change = Assert.Single(rest.Events);
        Assert.Equal(ResidentEventKind.AddressChange, change.Kind);
        // A move within the municipality starts a household at the new address.
        Assert.Equal(["address", "household"], change.ChangedItems);
        Assert.True(change.Position > page.Next);
    }

    [Theory, StorageData]
    public async Task A_returning_residents_move_in_lists_only_address_status_and_municipality(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var a = await registry.RegisterBirthAsync();
        var b = await registry.RegisterBirthAsync(person: RegistryHost.Person("伊藤", "結衣", "イトウ", "ユイ", "2026-01-20", "female"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: a.ResidentId, Destination: RegistryHost.Kashiwa));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: b.ResidentId, Destination: "abroad"));
        var after = (await registry.Client("events-token").GetFromJsonAsync<EventPage>("api/events", ServiceDefaults.Json))!.Next;

        await registry.RecordAsync(RegistryHost.Kashiwa, new ResidentEventRequest("move-in", IndividualNumber: a.IndividualNumber, Address: "千葉県柏市柏1丁目1番1号"));
        await registry.RecordAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", From: "abroad", ResidentId: b.ResidentId, Address: "東京都文京区本郷7丁目3番1号"));
        var page = (await registry.Client("events-token").GetFromJsonAsync<EventPage>($"api/events?after={after}", ServiceDefaults.Json))!;

        Assert.Equal([a.ResidentId, b.ResidentId], page.Events.Select(e => e.ResidentId));
        // The name, date of birth, sex and number are as they were: a subscriber has nothing to act on for them.
        Assert.All(page.Events, e => Assert.Equal(ResidentEventKind.MoveIn, e.Kind));
        Assert.All(page.Events, e => Assert.Equal(["address", "status", "municipality"], e.ChangedItems));
    }

    [Theory, StorageData]
    public async Task A_move_out_says_whether_it_was_abroad_and_nothing_of_where(StorageProvider provider)
    {
        // A subscriber that reads the move-out after the person came back cannot learn it from the status any more.
        await using var registry = await RegistryHost.StartAsync(provider);
        var a = await registry.RegisterBirthAsync();
        var b = await registry.RegisterBirthAsync(person: RegistryHost.Person("伊藤", "結衣", "イトウ", "ユイ", "2026-01-20", "female"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: a.ResidentId, Destination: RegistryHost.Kashiwa));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: b.ResidentId, Destination: "abroad"));
        await registry.RecordAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", From: "abroad", ResidentId: b.ResidentId, Address: "東京都文京区本郷7丁目3番1号"));

        var feed = registry.Client("events-token");
        var events = (await feed.GetFromJsonAsync<EventPage>("api/events", ServiceDefaults.Json))!.Events;
        Assert.Equal(["municipality", "abroad"], events.Where(e => e.Kind == ResidentEventKind.MoveOut).Select(e => e.DestinationKind));
        Assert.All(events.Where(e => e.Kind != ResidentEventKind.MoveOut), e => Assert.Null(e.DestinationKind));
        var raw = await feed.GetStringAsync("api/events");
        Assert.Contains("\"destinationKind\":\"abroad\"", raw);
        // The kind, not the destination: nothing happened at 柏市, and the feed does not name it. The random ids and the
        // fractions of seconds are left out of the text searched: they hold any six digits now and then.
        Assert.DoesNotContain(events, e => e.MunicipalityCode == RegistryHost.Kashiwa);
        var withoutRandom = System.Text.RegularExpressions.Regex.Replace(raw, "\"(eventId|residentId|recordedAt)\"\\s*:\\s*\"[^\"]*\"", "");
        Assert.Contains("\"municipalityCode\"", withoutRandom);
        Assert.DoesNotContain(RegistryHost.Kashiwa, withoutRandom);
    }

    [Theory, StorageData]
    public async Task A_newcomer_from_abroads_move_in_lists_every_item(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var newcomer = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-in", From: "abroad",
            Person: RegistryHost.Person("Smith", "Anna", "スミス", "アンナ", "1985-06-07", "female"), Address: "千葉県千葉市中央区富士見2丁目1番1号"));
        var moveIn = Assert.Single((await registry.Client("events-token").GetFromJsonAsync<EventPage>("api/events", ServiceDefaults.Json))!.Events);
        Assert.Equal(newcomer.ResidentId, moveIn.ResidentId);
        Assert.Equal(["name", "address", "date-of-birth", "sex", "status", "number", "municipality"], moveIn.ChangedItems);
    }

    [Theory, StorageData]
    public async Task The_feed_never_carries_numbers_or_personal_items(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var a = await registry.RegisterBirthAsync();
        var raw = await registry.Client("events-token").GetStringAsync("api/events");
        Assert.DoesNotContain(a.IndividualNumber!, raw);
        Assert.DoesNotContain(a.ResidentRecordCode!, raw);
        Assert.DoesNotContain("山田", raw);
        Assert.DoesNotContain("千葉県千葉市中央区", raw);
        Assert.Contains(a.ResidentId, raw);
    }

    [Theory, StorageData]
    public async Task A_long_poll_returns_as_soon_as_an_event_is_recorded(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var waiting = registry.Client("events-token").GetFromJsonAsync<EventPage>("api/events?after=0&wait=30", ServiceDefaults.Json);
        Assert.False(waiting.IsCompleted);
        var born = await registry.RegisterBirthAsync();
        var page = (await waiting.WaitAsync(TimeSpan.FromSeconds(20)))!;
        Assert.Equal(born.ResidentId, Assert.Single(page.Events).ResidentId);
    }

    [Theory, StorageData]
    public async Task The_stream_sends_events_as_server_sent_events_with_resumable_ids(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var first = await registry.RegisterBirthAsync();
        var second = await registry.RegisterBirthAsync(person: RegistryHost.Person("中村", "湊", "ナカムラ", "ミナト", "2026-02-01"));
        var client = registry.Client("events-token");
        var request = new HttpRequestMessage(HttpMethod.Get, "api/events/stream");
        request.Headers.Add("Last-Event-ID", "1");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        // One event is complete at the blank line that ends it.
        while (!lines.Any(l => l.StartsWith("data:")) || lines[^1].Length > 0)
            lines.Add(await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException());
        // The id is the position and the event there, so that a resume can be checked as the long poll's afterEventId is.
        Assert.Contains($"id: 2:{second.EventId}", lines);
        Assert.Contains(lines, l => l.StartsWith("data:") && l.Contains(second.ResidentId) && !l.Contains(first.ResidentId));
    }

    [Theory, StorageData]
    public async Task The_feed_needs_the_events_permission_and_sane_parameters(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        await ProblemAssert.IsProblemAsync(await registry.Client("chiba-clerk").GetAsync("api/events"), 403, "forbidden");
        await ProblemAssert.IsProblemAsync(await registry.Client().GetAsync("api/events"), 401, "unauthenticated");
        var limit = await ProblemAssert.IsProblemAsync(await registry.Client("events-token").GetAsync("api/events?limit=0"), 400, "invalid-feed-query");
        Assert.StartsWith("after は0以上、limit は1〜1000", limit.GetProperty("detail").GetString());
        Assert.Contains("/ after ≥ 0, limit from 1 to 1000", limit.GetProperty("detail").GetString());
        await ProblemAssert.IsProblemAsync(await registry.Client("events-token").GetAsync("api/events?after=-1"), 400, "invalid-feed-query");
        var malformed = await registry.Client("events-token").GetAsync("api/events?after=abc");
        Assert.Equal(400, (int)malformed.StatusCode);
    }

    [Theory, StorageData]
    public async Task A_position_past_the_end_is_refused_with_the_latest_position_instead_of_an_empty_page(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var feed = registry.Client("events-token");
        // An empty log ends at 0: 0 is in order, 1 is past it.
        Assert.Empty((await feed.GetFromJsonAsync<EventPage>("api/events?after=0", ServiceDefaults.Json))!.Events);
        Assert.Equal(0, (await ProblemAssert.IsProblemAsync(await feed.GetAsync("api/events?after=1"), 409, "position-beyond-end")).GetProperty("latest").GetInt64());

        await registry.RegisterBirthAsync();
        await registry.RegisterBirthAsync(person: RegistryHost.Person("伊藤", "結衣", "イトウ", "ユイ", "2026-01-20", "female"));
        var latest = (await feed.GetFromJsonAsync<EventPage>("api/events", ServiceDefaults.Json))!.Next;
        var atEnd = (await feed.GetFromJsonAsync<EventPage>($"api/events?after={latest}", ServiceDefaults.Json))!;
        Assert.Equal((0, latest), (atEnd.Events.Count, atEnd.Next));

        // A subscriber that read further than this log goes (a Registry restored from a backup) would otherwise wait, silently, for positions
        // that come back as other events; it is told at once, even while asking to wait.
        var started = DateTime.UtcNow;
        foreach (var query in new[] { "api/events?after=99999999", $"api/events?after={latest + 1}&wait=30" })
        {
            var problem = await ProblemAssert.IsProblemAsync(await feed.GetAsync(query), 409, "position-beyond-end");
            Assert.Equal(latest, problem.GetProperty("latest").GetInt64());
            Assert.Contains($"最新の位置は {latest} です", problem.GetProperty("detail").GetString());
            Assert.Contains($"latest position is {latest}", problem.GetProperty("detail").GetString());
        }
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20));

        var resumed = new HttpRequestMessage(HttpMethod.Get, "api/events/stream");
        resumed.Headers.Add("Last-Event-ID", (latest + 5).ToString());
        using (var response = await feed.SendAsync(resumed, HttpCompletionOption.ResponseHeadersRead))
            Assert.Equal(latest, (await ProblemAssert.IsProblemAsync(response, 409, "position-beyond-end")).GetProperty("latest").GetInt64());
        using (var response = await feed.GetAsync("api/events/stream?after=99999999", HttpCompletionOption.ResponseHeadersRead))
            await ProblemAssert.IsProblemAsync(response, 409, "position-beyond-end");
        // The end itself still streams what comes next.
        var atEndStream = new HttpRequestMessage(HttpMethod.Get, "api/events/stream");
        atEndStream.Headers.Add("Last-Event-ID", latest.ToString());
        var streaming = feed.SendAsync(atEndStream, HttpCompletionOption.ResponseHeadersRead);
        var next = await registry.RegisterBirthAsync(person: RegistryHost.Person("中村", "湊", "ナカムラ", "ミナト", "2026-02-01"));
        using var streamed = await streaming.WaitAsync(TimeSpan.FromSeconds(20));
        using var reader = new StreamReader(await streamed.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        string? line;
        do line = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException();
        while (!line.StartsWith("data:"));
        Assert.Contains(next.ResidentId, line);
    }

    [Theory, StorageData]
    public async Task A_read_naming_the_event_at_its_position_is_refused_when_another_event_stands_there(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var feed = registry.Client("events-token");
        Assert.Equal(new FeedEnd(0, null), await feed.GetFromJsonAsync<FeedEnd>("api/events/latest", ServiceDefaults.Json));
        var a = await registry.RegisterBirthAsync();
        await registry.RegisterBirthAsync(person: RegistryHost.Person("伊藤", "結衣", "イトウ", "ユイ", "2026-01-20", "female"));
        var all = (await feed.GetFromJsonAsync<EventPage>("api/events", ServiceDefaults.Json))!.Events;
        var end = (await feed.GetFromJsonAsync<FeedEnd>("api/events/latest", ServiceDefaults.Json))!;
        Assert.Equal(new FeedEnd(all[^1].Position, all[^1].EventId), end);

        // The event the subscriber read is still there: the events after it, as without the id.
        var first = all[0];
        var page = (await feed.GetFromJsonAsync<EventPage>($"api/events?after={first.Position}&afterEventId={first.EventId}", ServiceDefaults.Json))!;
        Assert.Equal(all.Skip(1).Select(e => e.EventId), page.Events.Select(e => e.EventId));
        Assert.Empty((await feed.GetFromJsonAsync<EventPage>($"api/events?after={end.Position}&afterEventId={end.EventId}", ServiceDefaults.Json))!.Events);

        // Another event at that position (a Registry restored from a backup): refused at once, even while asking to wait, with the end.
        var started = DateTime.UtcNow;
        var reused = await ProblemAssert.IsProblemAsync(
            await feed.GetAsync($"api/events?after={first.Position}&afterEventId=e-not-this-one&wait=30"), 409, "position-reused");
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20));
        Assert.Equal(end.Position, reused.GetProperty("latest").GetInt64());
        Assert.Contains("e-not-this-one", reused.GetProperty("detail").GetString());
        // Past the end, it is the end that is said.
        await ProblemAssert.IsProblemAsync(await feed.GetAsync($"api/events?after={end.Position + 5}&afterEventId={end.EventId}"), 409, "position-beyond-end");
        Assert.NotNull(a);
    }

    [Theory, StorageData]
    public async Task A_stream_resumed_at_a_reused_position_is_refused(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var first = await registry.RegisterBirthAsync();
        var second = await registry.RegisterBirthAsync(person: RegistryHost.Person("中村", "湊", "ナカムラ", "ミナト", "2026-02-01"));
        var third = await registry.RegisterBirthAsync(person: RegistryHost.Person("伊藤", "結衣", "イトウ", "ユイ", "2026-01-20", "female"));
        var feed = registry.Client("events-token");

        // Another event at the position the subscriber read (a Registry restored from a backup, whose log grew again): refused, whether the
        // stream's own id comes back as Last-Event-ID or the position and event are given as the long poll takes them.
        foreach (var (query, header) in new[] { ($"?after={first.Position}&afterEventId=e_not_this_one", null), ("", $"{first.Position}:e_not_this_one"),
            ($"?after={second.Position}&afterEventId={second.EventId}", $"{first.Position}:e_not_this_one") })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "api/events/stream" + query);
            if (header is not null) request.Headers.Add("Last-Event-ID", header);
            using var response = await feed.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            // Said before the body is read: a stream that was let through never ends.
            Assert.Equal(409, (int)response.StatusCode);
            var reused = await ProblemAssert.IsProblemAsync(response, 409, "position-reused");
            Assert.Equal(third.Position, reused.GetProperty("latest").GetInt64());
        }
        // Past the end, it is the end that is said.
        var beyond = new HttpRequestMessage(HttpMethod.Get, "api/events/stream");
        beyond.Headers.Add("Last-Event-ID", $"{third.Position + 5}:{third.EventId}");
        using (var response = await feed.SendAsync(beyond, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(409, (int)response.StatusCode);
            await ProblemAssert.IsProblemAsync(response, 409, "position-beyond-end");
        }

        // The event is still there: the stream goes on after it, in either form.
        foreach (var (query, header) in new[] { ($"?after={first.Position}&afterEventId={first.EventId}", null), ("", $"{first.Position}:{first.EventId}") })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "api/events/stream" + query);
            if (header is not null) request.Headers.Add("Last-Event-ID", header);
            using var response = await feed.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            string? line;
            do line = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException();
            while (!line.StartsWith("id:"));
            Assert.Equal($"id: {second.Position}:{second.EventId}", line);
        }
    }

    [Theory, StorageData]
    public async Task The_stream_refuses_a_resume_point_it_cannot_read_instead_of_replaying_everything(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        await registry.RegisterBirthAsync();
        var client = registry.Client("events-token");
        foreach (var garbage in new[] { "abc", "-1", "1.5", "99999999999999999999", "1:", ":e_1", "x:e_1" })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "api/events/stream");
            request.Headers.TryAddWithoutValidation("Last-Event-ID", garbage);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await ProblemAssert.IsProblemAsync(response, 400, "invalid-last-event-id");
        }
        using var negative = await client.GetAsync("api/events/stream?after=-1", HttpCompletionOption.ResponseHeadersRead);
        await ProblemAssert.IsProblemAsync(negative, 400, "invalid-feed-query");
    }
}
