using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using System.Text;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Node.Tests.Copies;

public class CopyTests
{
    private const string K = LinkageNetwork.Kashiwa;

    public static object Tax(int income = 3_200_000) => new
    {
        schemaVersion = 1,
        content = new { fiscalYear = 2025, totalIncome = income, taxableIncome = income - 1_000_000, municipalTax = 130_000, prefecturalTax = 87_000, dependents = 2 },
    };

    [Theory, StorageData]
    public async Task A_health_insurer_keeps_copies_of_medical_insurance_benefits_and_specific_health_checkups(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var insurer = LinkageNetwork.HealthInsurer;
        var system = network.NodeClient("insurer-benefits-system");
        var benefits = new
        {
            schemaVersion = 1,
            content = new
            {
                insurerNumber = "01130012", scheme = "japan-health-insurance-association", qualifiedSince = "2019-04-01", copaymentPercent = 30,
                benefits = new[] { new { kind = "high-cost-medical-care", decidedOn = "2025-08-20", amount = 87_430 } },
            },
        };
        var checkup = new
        {
            schemaVersion = 1,
            content = new { examinedOn = "2025-09-12", bmi = 25.3, waistCm = 86.0, systolicBloodPressure = 132, hba1cPercent = 5.7, metabolicSyndrome = "borderline", guidanceLevel = "motivational" },
        };
        await LinkageNetwork.Ensure(await system.PutAsJsonAsync($"api/tenants/{insurer}/copies/H-0001/medical-insurance-benefits", benefits));
        await LinkageNetwork.Ensure(await system.PutAsJsonAsync($"api/tenants/{insurer}/copies/H-0001/specific-health-checkup", checkup));
        var stored = await LinkageNetwork.Ensure(await system.GetAsync($"api/tenants/{insurer}/copies/H-0001/specific-health-checkup"));
        Assert.Equal("motivational", stored.GetProperty("content").GetProperty("guidanceLevel").GetString());
        Assert.Equal(30, (await LinkageNetwork.Ensure(await system.GetAsync($"api/tenants/{insurer}/copies/H-0001/medical-insurance-benefits")))
            .GetProperty("content").GetProperty("copaymentPercent").GetInt32());

        var bad = await ProblemAssert.IsProblemAsync(await system.PutAsJsonAsync($"api/tenants/{insurer}/copies/H-0001/medical-insurance-benefits",
            new { schemaVersion = 1, content = new { insurerNumber = "01130012", qualifiedSince = "2019-04-01", copaymentPercent = 25 } }), 400, "invalid-copy");
        Assert.Contains("$.copaymentPercent", bad.GetProperty("detail").GetString());
        await LinkageNetwork.Ensure(await network.NodeClient().GetAsync("api/layouts/specific-health-checkup/v1"));
    }

    [Theory, StorageData]
    public async Task A_copy_in_the_layout_is_kept_with_its_update_time_and_a_bad_one_is_refused_with_where_it_is_wrong(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var tax = network.NodeClient("kashiwa-tax-system");
        var first = await LinkageNetwork.Ensure(await tax.PutAsJsonAsync($"api/tenants/{K}/copies/K-0001/local-tax", Tax()));
        var second = await LinkageNetwork.Ensure(await tax.PutAsJsonAsync($"api/tenants/{K}/copies/K-0001/local-tax", Tax(3_300_000)));
        Assert.True(second.GetProperty("updatedAt").GetDateTime() >= first.GetProperty("updatedAt").GetDateTime());
        var stored = await LinkageNetwork.Ensure(await tax.GetAsync($"api/tenants/{K}/copies/K-0001/local-tax"));
        Assert.Equal(3_300_000, stored.GetProperty("content").GetProperty("totalIncome").GetInt32());

        var bad = await ProblemAssert.IsProblemAsync(await tax.PutAsJsonAsync($"api/tenants/{K}/copies/K-0001/local-tax",
            new { schemaVersion = 1, content = new { fiscalYear = 2025, totalIncome = -5, taxableIncome = 0, municipalTax = 0, name = "山田" } }), 400, "invalid-copy");
        var detail = bad.GetProperty("detail").GetString()!;
        Assert.Contains("$.totalIncome", detail);
        Assert.Contains("$.prefecturalTax", detail);
        Assert.Contains("$.name", detail); // the basic four items have no place in a copy
        await ProblemAssert.IsProblemAsync(await tax.PutAsJsonAsync($"api/tenants/{K}/copies/K-0001/local-tax", new { schemaVersion = 9, content = new { } }), 400, "invalid-copy");
        await ProblemAssert.IsProblemAsync(await tax.PutAsJsonAsync($"api/tenants/{K}/copies/K-0001/pet-license", Tax()), 400, "invalid-copy");
        // Unchanged by the refusals.
        stored = await LinkageNetwork.Ensure(await tax.GetAsync($"api/tenants/{K}/copies/K-0001/local-tax"));
        Assert.Equal(3_300_000, stored.GetProperty("content").GetProperty("totalIncome").GetInt32());

        await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-child-clerk").PutAsJsonAsync($"api/tenants/{K}/copies/K-0001/local-tax", Tax()), 403, "forbidden");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-tax-system").PutAsJsonAsync($"api/tenants/{LinkageNetwork.Bunkyo}/copies/B-1/local-tax", Tax()), 403, "another-tenant");
    }

    [Fact]
    public async Task A_deleted_copy_is_not_left_readable_in_the_tenants_SQLite_file()
    {
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite);
        var tax = network.NodeClient("kashiwa-tax-system");
        var url = $"api/tenants/{K}/copies/K-0001/vaccination";
        var marker = "MISTAKE-MARKER-QZX";
        await LinkageNetwork.Ensure(await tax.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(
            Body($$"""{"doses":[{"vaccine":"{{marker}}","date":"2022-04-01","doseNumber":1}]}""")))));
        var database = network.TenantDatabases[K];
        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(database.ConnectionString).DataSource;
        async Task<bool> FileHoldsMarker()
        {
            // Everything in the write-ahead log moved into the file first, as the next checkpoint would.
            await using (var c = await database.OpenAsync()) await c.ExecuteAsync("PRAGMA wal_checkpoint(TRUNCATE)", null);
            return File.ReadAllBytes(file).AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker)) >= 0;
        }
        Assert.True(await FileHoldsMarker());

        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await tax.DeleteAsync(url)).StatusCode);
        // Deleted rows used to stay in the file's free space, readable by anyone with the file or a backup of it.
        Assert.False(await FileHoldsMarker());
    }

    [Theory, StorageData]
    public async Task A_copy_stored_by_mistake_is_deleted_by_its_tenants_copies_system_and_only_by_it(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var tax = network.NodeClient("kashiwa-tax-system");
        var url = $"api/tenants/{K}/copies/K-0001/local-tax";
        await LinkageNetwork.Ensure(await tax.PutAsJsonAsync(url, Tax()));
        await LinkageNetwork.Ensure(await tax.PutAsJsonAsync($"api/tenants/{K}/copies/K-0001/public-assistance",
            new { schemaVersion = 1, content = new { status = "receiving", since = "2024-01-01" } }));

        // The checks of a PUT: tenant, role and the addressee number's shape; none of the refusals removes anything.
        await ProblemAssert.IsProblemAsync(await network.NodeClient("kashiwa-child-clerk").DeleteAsync(url), 403, "forbidden");
        await ProblemAssert.IsProblemAsync(await network.NodeClient("bunkyo-tax-system").DeleteAsync(url), 403, "another-tenant");
        await ProblemAssert.IsProblemAsync(await tax.DeleteAsync("api/tenants/999999/copies/K-0001/local-tax"), 404, "unknown-tenant");
        await ProblemAssert.IsProblemAsync(await tax.DeleteAsync($"api/tenants/{K}/copies/1234-5678-9018/local-tax"), 400, "addressee-number-looks-like-individual-number");
        await ProblemAssert.IsProblemAsync(await tax.DeleteAsync($"api/tenants/{K}/copies/K_0001/local-tax"), 400, "invalid-request");
        // A GET checks the same: a value no copy could be kept under is a mistake, not a copy that is missing.
        foreach (var wrong in new[] { "K_0001", "a%20b", new string('x', 40) })
            await ProblemAssert.IsProblemAsync(await tax.GetAsync($"api/tenants/{K}/copies/{wrong}/local-tax"), 400, "invalid-request");
        await LinkageNetwork.Ensure(await tax.GetAsync(url));

        // A copy could only be overwritten (405 for DELETE): now it is gone, and the addressee's other copies stay.
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await tax.DeleteAsync(url)).StatusCode);
        await ProblemAssert.IsProblemAsync(await tax.GetAsync(url), 404, "no-copy");
        await ProblemAssert.IsProblemAsync(await tax.DeleteAsync(url), 404, "no-copy");
        await LinkageNetwork.Ensure(await tax.GetAsync($"api/tenants/{K}/copies/K-0001/public-assistance"));

        var openApi = await LinkageNetwork.Ensure(await network.NodeClient().GetAsync("openapi/v1.json"));
        Assert.Contains("Removes one copy", openApi.GetProperty("paths").GetProperty("/api/tenants/{agencyId}/copies/{addresseeNumber}/{item}")
            .GetProperty("delete").GetProperty("summary").GetString());
    }

    [Theory, StorageData]
    public async Task A_copy_put_under_a_value_of_no_addressee_numbers_form_is_refused_naming_the_field_as_GET_and_DELETE_refuse_it(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var tax = network.NodeClient("kashiwa-tax-system");
        foreach (var wrong in new[] { "K_0001", "a%20b", new string('X', 33) })
        {
            var refused = await ProblemAssert.IsProblemAsync(await tax.PutAsJsonAsync($"api/tenants/{K}/copies/{wrong}/local-tax", Tax()), 400, "invalid-request");
            Assert.Equal(["addresseeNumber"], refused.GetProperty("errors").EnumerateObject().Select(e => e.Name));
            Assert.Contains("up to 32 half-width letters", refused.GetProperty("errors").GetProperty("addresseeNumber")[0].GetString());
            await ProblemAssert.IsProblemAsync(await tax.GetAsync($"api/tenants/{K}/copies/{wrong}/local-tax"), 400, "invalid-request");
        }
        await using var c = await network.TenantDatabases[K].OpenAsync();
        Assert.Equal(0L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM addressees"));
    }

    [Theory, StorageData]
    public async Task An_import_body_with_no_line_is_refused_so_that_a_truncated_upload_is_not_read_as_done(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var tax = network.NodeClient("kashiwa-tax-system");
        foreach (var body in new[] { "", "\n", " \r\n\n", "\uFEFF" })
        {
            var refused = await ProblemAssert.IsProblemAsync(await tax.PostAsync($"api/tenants/{K}/copies/import", Bytes(Encoding.UTF8.GetBytes(body), "application/x-ndjson")), 400, "empty-import");
            Assert.StartsWith("本文に行がありません", refused.GetProperty("title").GetString());
        }
        // A body whose every line is bad is no empty one: each line is reported, as before.
        var report = await LinkageNetwork.Ensure(await tax.PostAsync($"api/tenants/{K}/copies/import", Bytes(Encoding.UTF8.GetBytes("{}\n"), "application/x-ndjson")));
        Assert.Equal((0, 1), (report.GetProperty("imported").GetInt32(), report.GetProperty("errors").GetArrayLength()));
    }

    [Theory, StorageData]
    public async Task Bulk_import_keeps_good_lines_and_reports_bad_ones_by_line_and_reason(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var lines = new StringBuilder();
        lines.AppendLine("""{"addresseeNumber":"K-1","item":"local-tax","schemaVersion":1,"content":{"fiscalYear":2025,"totalIncome":1,"taxableIncome":0,"municipalTax":0,"prefecturalTax":0}}""");
        lines.AppendLine("""{"addresseeNumber":"K-2","item":"vaccination","schemaVersion":1,"content":{"doses":[{"vaccine":"MR","date":"2022-04-01","doseNumber":1}]}}""");
        lines.AppendLine("n123456789018"); // a pasted Individual Number must not come back in the reason
        lines.AppendLine("");
        lines.AppendLine("""{"addresseeNumber":"K-3","item":"vaccination","schemaVersion":1,"content":{"doses":[{"vaccine":"MR","date":"2022-13-01","doseNumber":1}]}}""");
        lines.AppendLine("""{"addresseeNumber":"bad number!","item":"child-allowance","schemaVersion":1,"content":{}}""");
        lines.AppendLine("""{"addresseeNumber":"K-4","item":"public-assistance","schemaVersion":1,"content":{"status":"receiving","since":"2024-01-01"}}""");
        var response = await network.NodeClient("kashiwa-tax-system").PostAsync($"api/tenants/{K}/copies/import",
            new StringContent(lines.ToString(), Encoding.UTF8, "application/x-ndjson"));
        var report = await LinkageNetwork.Ensure(response);
        Assert.Equal(3, report.GetProperty("imported").GetInt32());
        var errors = report.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("line").GetInt32(), e.GetProperty("reason").GetString()!)).ToList();
        Assert.Equal([3, 5, 6], errors.Select(e => e.Item1));
        Assert.Contains("not JSON", errors[0].Item2);
        Assert.DoesNotContain("123456789018", errors[0].Item2);
        Assert.Contains("$.doses[0].date", errors[1].Item2);
        Assert.Contains("addresseeNumber", errors[2].Item2);
        await using var c = await network.TenantDatabases[K].OpenAsync();
        Assert.Equal(3L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM copies"));
    }

    [Theory, StorageData]
    public async Task An_import_line_that_starts_with_a_JSON_value_and_goes_on_is_not_JSON_at_its_byte_and_logs_no_fault(StorageProvider provider)
    {
        // A CSV read as JSON Lines: the reader takes the first value, then finds more. That is the line's fault, not the node's.
        await using var network = await LinkageNetwork.StartAsync(provider);
        var lines = new StringBuilder();
        lines.AppendLine("123,x");
        lines.AppendLine("\"a\",x");
        lines.AppendLine("""{"addresseeNumber":"K-1","item":"local-tax","schemaVersion":1,"content":{"fiscalYear":2025,"totalIncome":1,"taxableIncome":0,"municipalTax":0,"prefecturalTax":0}}""");
        lines.AppendLine("874927845601,local-tax,1,\"{}\"");
        lines.AppendLine("""{"addresseeNumber":"K-2"} x""");
        var report = await LinkageNetwork.Ensure(await network.NodeClient("kashiwa-tax-system").PostAsync($"api/tenants/{K}/copies/import",
            new StringContent(lines.ToString(), Encoding.UTF8, "application/x-ndjson")));
        Assert.Equal(1, report.GetProperty("imported").GetInt32());
        var errors = report.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("line").GetInt32(), e.GetProperty("reason").GetString()!)).ToList();
        static (int, string) NotJson(int line, int at) => (line, $"JSONとして読めません（{at}バイト目）/ not JSON at byte {at}");
        Assert.Equal([NotJson(1, 4), NotJson(2, 4), NotJson(4, 13), NotJson(5, 27)], errors);
        Assert.DoesNotContain(network.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal));
    }

    [Theory, StorageData]
    public async Task A_slowly_sent_import_holds_no_lock_on_the_tenants_database_while_its_body_arrives(StorageProvider provider)
    {
        var bodyRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var network = await LinkageNetwork.StartAsync(provider, configureNode: b =>
            b.Services.AddSingleton<IStartupFilter>(new BodyReadSignal("/copies/import", bodyRead)));
        var tax = network.NodeClient("kashiwa-tax-system");
        string Row(string addressee) =>
            $$$"""{"addresseeNumber":"{{{addressee}}}","item":"local-tax","schemaVersion":1,"content":{"fiscalYear":2025,"totalIncome":1,"taxableIncome":0,"municipalTax":0,"prefecturalTax":0}}""";
        var release = new TaskCompletionSource();
        var slow = new TrickleContent(Row("K-1") + "\n", Row("K-2") + "\n", release.Task);
        slow.Headers.ContentType = new("application/x-ndjson");
        var import = tax.PostAsync($"api/tenants/{K}/copies/import", slow);
        try
        {
            await bodyRead.Task.WaitAsync(TimeSpan.FromMinutes(1));
            // While the import's body still trickles in, another system writes to the same tenant at once. It used to
            // wait for the import's write lock on SQLite and fail with 500 (database is locked) after the busy timeout. A
            // writer waiting for that lock waits the busy timeout out (and fails), or on PostgreSQL for the import's end,
            // which comes only after the PUT: the PUT must be done well before.
            var busyTimeout = await BusyTimeoutAsync();
            var started = DateTime.UtcNow;
            await LinkageNetwork.Ensure(await tax.PutAsJsonAsync($"api/tenants/{K}/copies/K-9/local-tax", Tax()));
            Assert.True(DateTime.UtcNow - started < busyTimeout, $"the copy waited {DateTime.UtcNow - started}, the busy timeout is {busyTimeout}");
        }
        finally { release.TrySetResult(); }
        var report = await LinkageNetwork.Ensure(await import);
        Assert.Equal(2, report.GetProperty("imported").GetInt32());
        Assert.Empty(report.GetProperty("errors").EnumerateArray());
        await using var c = await network.TenantDatabases[K].OpenAsync();
        Assert.Equal(["K-1", "K-2", "K-9"], (await c.QueryAsync("SELECT addressee_number FROM copies", r => r.GetString(0))).Order());
    }

    /// <summary>SQLite's busy timeout as the services' connections set it (Database.OpenAsync), read from one opened their way.</summary>
    private static async Task<TimeSpan> BusyTimeoutAsync()
    {
        using var folder = new TempFolder();
        using var database = Database.Sqlite(folder.File("busy.db"));
        await using var c = await database.OpenAsync();
        return TimeSpan.FromMilliseconds(await c.ScalarAsync<long>("PRAGMA busy_timeout"));
    }

    /// <summary>Completes <paramref name="read"/> once the handler of a request to a path ending in <paramref name="path"/> has read from its body.</summary>
    private sealed class BodyReadSignal(string path, TaskCompletionSource read) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, inner) =>
            {
                if (context.Request.Path.Value?.EndsWith(path, StringComparison.Ordinal) == true) context.Request.Body = new Signalling(context.Request.Body, read);
                await inner();
            });
            next(app);
        };

        private sealed class Signalling(Stream body, TaskCompletionSource read) : Stream
        {
            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
            {
                var n = await body.ReadAsync(buffer, ct);
                read.TrySetResult();
                return n;
            }

            public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => false;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }
    }

    /// <summary>
    /// A body sent as a slow client sends it: <paramref name="first"/>, then a blank line every 50 ms (fast enough for the
    /// server's minimum data rate) until <paramref name="release"/>, then <paramref name="last"/>; of unknown length.
    /// </summary>
    private sealed class TrickleContent(string first, string last, Task release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(first));
            await stream.FlushAsync();
            var blank = Encoding.UTF8.GetBytes(new string(' ', 100) + "\n");
            while (!release.IsCompleted)
            {
                await stream.WriteAsync(blank);
                await stream.FlushAsync();
                await Task.WhenAny(release, Task.Delay(50));
            }
            await stream.WriteAsync(Encoding.UTF8.GetBytes(last));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>A body as these bytes, with <paramref name="contentType"/> (none when null): text that is not UTF-8 cannot be sent as a string.</summary>
    private static ByteArrayContent Bytes(byte[] body, string? contentType = "application/json")
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null) content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    /// <summary>UTF-8 of <paramref name="text"/> with each '~' replaced by the byte 0x83: a Shift_JIS lead byte, never valid UTF-8 on its own.</summary>
    private static byte[] WithByte83(string text) =>
        [.. Encoding.UTF8.GetBytes(text).Select(b => b == (byte)'~' ? (byte)0x83 : b)];

    private static string Body(string content) => """{"schemaVersion":1,"content":""" + content + "}";

    private static string Checkup(string fields) => """{"examinedOn":"2025-01-01","metabolicSyndrome":"borderline","guidanceLevel":"none" """.TrimEnd() + fields + "}";

    [Theory, StorageData]
    public async Task A_copy_with_a_number_out_of_range_or_text_that_is_not_UTF8_is_refused_naming_where_and_nothing_is_stored(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var insurer = LinkageNetwork.HealthInsurer;
        var system = network.NodeClient("insurer-benefits-system");
        var url = $"api/tenants/{insurer}/copies/H-0001/specific-health-checkup";

        foreach (var (body, where, why) in new (byte[], string, string)[]
        {
            // Beyond what a decimal holds (about 7.9e28), with and without a minimum and maximum in the layout.
            (Encoding.UTF8.GetBytes(Body(Checkup(""","heightCm":1e300"""))), "$.heightCm", "range"),
            (Encoding.UTF8.GetBytes(Body(Checkup(""","heightCm":-8e28"""))), "$.heightCm", "range"),
            (Encoding.UTF8.GetBytes(Body(Checkup(""","medication":{"lipids":true,"x":1e29}"""))), "$.medication.x", "range"),
            // A Shift_JIS byte in a value and in a property name; an escaped lone surrogate, which is no character at all.
            (WithByte83("""{"schemaVersion":1,"content":{"examinedOn":"2025-01-01","metabolicSyndrome":"~e","guidanceLevel":"none"}}"""), "$.metabolicSyndrome", "UTF-8"),
            (WithByte83(Body(Checkup(""","~e":1"""))), "$", "UTF-8"),
            (Encoding.UTF8.GetBytes(Body(Checkup(""","urineGlucose":"\ud800" """))), "$.urineGlucose", "surrogate"),
        })
        {
            var refused = await ProblemAssert.IsProblemAsync(await system.PutAsync(url, Bytes(body)), 400, "invalid-copy");
            var detail = refused.GetProperty("detail").GetString()!;
            Assert.Contains(where, detail);
            Assert.Contains(why, detail);
            Assert.True(refused.GetProperty("errors").TryGetProperty("content", out _), refused.ToString());
        }
        // A field given twice (a reader would take one or the other) is a malformed request, as anywhere in a body, and so is
        // a name that is no text (the reader looks at every name for one given twice).
        foreach (var members in new[] { ""","heightCm":170,"heightCm":171""", ""","\udc00":1""" })
            await ProblemAssert.IsProblemAsync(await system.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Checkup(members))))), 400, "malformed-request");
        await ProblemAssert.IsProblemAsync(await system.GetAsync(url), 404, "no-copy");
        // In range, the same field is checked against the layout as before.
        await ProblemAssert.IsProblemAsync(await system.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Checkup(""","heightCm":7e28"""))))), 400, "invalid-copy");
        await LinkageNetwork.Ensure(await system.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Checkup(""","heightCm":170.5"""))))));
    }

    [Theory, StorageData]
    public async Task A_checkup_with_an_unrounded_measurement_is_told_to_round_it_and_one_to_its_precision_is_kept(StorageProvider provider)
    {
        // Audit O, finding 1: a BMI a business system computed as a double and sent unrounded was refused as "shaped like an
        // Individual Number", which sent the clerk looking for a leaked number; a measurement now has a declared precision, in
        // version 2 of the layout (version 1 stays as it was published: audit R, finding 5).
        await using var network = await LinkageNetwork.StartAsync(provider);
        var system = network.NodeClient("insurer-benefits-system");
        var url = $"api/tenants/{LinkageNetwork.HealthInsurer}/copies/H-0001/specific-health-checkup";
        static string Body(string content) => """{"schemaVersion":2,"content":""" + content + "}";
        foreach (var (fields, where) in new[]
        {
            (""","heightCm":170.2,"weightKg":65.4,"bmi":22.576366548423217""", "$.bmi"), (""","bmi":22.49134948096886""", "$.bmi"),
            (""","hba1cPercent":5.700000000000001""", "$.hba1cPercent"), (""","heightCm":170.25""", "$.heightCm"),
            (""","weightKg":65.43""", "$.weightKg"), (""","waistCm":86.05""", "$.waistCm"),
            // Told with the copy's other problems, which stop the layout's checks.
            (""","bmi":22.49134948096886,"heightCm":1e300""", "$.bmi"),
        })
        {
            var refused = await ProblemAssert.IsProblemAsync(await system.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Checkup(fields))))), 400, "invalid-copy");
            var detail = refused.GetProperty("detail").GetString()!;
            Assert.Contains($"{where}: 小数点以下1桁に丸めてください / round to 1 decimal place", detail);
            Assert.DoesNotContain("Individual Number", detail);
        }
        await ProblemAssert.IsProblemAsync(await system.GetAsync(url), 404, "no-copy");
        await LinkageNetwork.Ensure(await system.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Checkup(""","heightCm":170.2,"weightKg":65.4,"bmi":22.6,"waistCm":86.00,"hba1cPercent":5.7"""))))));
        var content = (await LinkageNetwork.Ensure(await system.GetAsync(url))).GetProperty("content");
        Assert.Equal(22.6m, content.GetProperty("bmi").GetDecimal());
        Assert.Equal(170.2m, content.GetProperty("heightCm").GetDecimal());
    }

    [Theory, StorageData]
    public async Task Version_1_of_the_checkup_layout_still_takes_two_decimal_places_as_published(StorageProvider provider)
    {
        // Audit R, finding 5: the precision was first added to version 1 itself, so copies stored under it with two places
        // (valid when stored) were refused at every inquiry afterwards. A layout version, once published, does not change.
        await using var network = await LinkageNetwork.StartAsync(provider);
        var system = network.NodeClient("insurer-benefits-system");
        var url = $"api/tenants/{LinkageNetwork.HealthInsurer}/copies/H-0001/specific-health-checkup";
        await LinkageNetwork.Ensure(await system.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Checkup(""","bmi":22.49,"weightKg":65.25"""))))));
        var stored = await LinkageNetwork.Ensure(await system.GetAsync(url));
        Assert.Equal(1, stored.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(22.49m, stored.GetProperty("content").GetProperty("bmi").GetDecimal());
        // What the provider's node checks before it answers, and the requester's node after: the copy's own version.
        var layouts = new Renkei.Node.Copies.DataStandardLayout();
        using var two = System.Text.Json.JsonDocument.Parse(Checkup(""","bmi":22.49"""));
        Assert.Empty(layouts.Validate("specific-health-checkup", 1, two.RootElement));
        Assert.Contains(layouts.Validate("specific-health-checkup", 2, two.RootElement), e => e.Contains("round to 1 decimal place"));
        // An unrounded double is still refused under version 1, for its digits, not as an Individual Number.
        var refused = await ProblemAssert.IsProblemAsync(await system.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Checkup(""","bmi":22.49134948096886"""))))), 400, "invalid-copy");
        Assert.Contains("too many digits", refused.GetProperty("detail").GetString());
        Assert.DoesNotContain("shaped like an Individual Number", refused.GetProperty("detail").GetString());
        // Both versions are served as published.
        Assert.DoesNotContain("multipleOf", (await LinkageNetwork.Ensure(await network.NodeClient().GetAsync("api/layouts/specific-health-checkup/v1"))).GetRawText());
        Assert.Contains("multipleOf", (await LinkageNetwork.Ensure(await network.NodeClient().GetAsync("api/layouts/specific-health-checkup/v2"))).GetRawText());
    }

    [Theory, StorageData]
    public async Task A_control_or_invisible_character_in_a_copys_text_or_property_names_is_refused_naming_where_and_nothing_is_stored(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var tax = network.NodeClient("kashiwa-tax-system");
        var url = $"api/tenants/{K}/copies/K-1/vaccination";
        static string Dose(string vaccine, string more = "") => $$$"""{"doses":[{"vaccine":"{{{vaccine}}}","date":"2022-04-01","doseNumber":1{{{more}}}}]}""";

        // NUL, ESC (a terminal escape), tab, DEL and C1 (escaped, and raw in UTF-8): all were stored and served back as given.
        foreach (var (body, where, code) in new (string, string, string)[]
        {
            (Dose("MR\\u0000"), "$.doses[0].vaccine", "U+0000"),
            (Dose("MR\\u001b[2J"), "$.doses[0].vaccine", "U+001B"),
            (Dose("M\\tR"), "$.doses[0].vaccine", "U+0009"),
            (Dose("MR\u007f"), "$.doses[0].vaccine", "U+007F"),
            (Dose("MR\\u0085"), "$.doses[0].vaccine", "U+0085"),
            (Dose("MR\u009b2J"), "$.doses[0].vaccine", "U+009B"),
            (Dose("MR", ""","\u001b[31m":1"""), "$.doses[0]", "U+001B"),
        })
        {
            var refused = await ProblemAssert.IsProblemAsync(await tax.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(body)))), 400, "invalid-copy");
            var detail = refused.GetProperty("detail").GetString()!;
            Assert.Contains($"{where}: ", detail);
            Assert.Contains($"control character ({code})", detail);
            Assert.DoesNotContain(detail, ch => char.IsControl(ch));
        }
        // Invisible characters read as nothing, so 「MR」 with a zero-width space inside would be stored as what it is not:
        // a zero-width space, a direction override, a byte order mark, a tag character beyond the BMP, a line separator.
        foreach (var (body, where, code) in new (string, string, string)[]
        {
            (Dose("M\u200bR"), "$.doses[0].vaccine", "U+200B"),
            (Dose("MR\u202e"), "$.doses[0].vaccine", "U+202E"),
            (Dose("\ufeffMR"), "$.doses[0].vaccine", "U+FEFF"),
            (Dose("MR\udb40\udc01"), "$.doses[0].vaccine", "U+E0001"),
            (Dose("MR\u2028"), "$.doses[0].vaccine", "U+2028"),
            (Dose("MR", ""","dose\u200d":1"""), "$.doses[0]", "U+200D"),
        })
        {
            var refused = await ProblemAssert.IsProblemAsync(await tax.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(body)))), 400, "invalid-copy");
            var detail = refused.GetProperty("detail").GetString()!;
            Assert.Contains($"{where}: ", detail);
            Assert.Contains($"invisible format character ({code})", detail);
        }
        await ProblemAssert.IsProblemAsync(await tax.GetAsync(url), 404, "no-copy");

        // An import reports such rows by their line and keeps the others.
        string Row(string addressee, string vaccine) =>
            $$$"""{"addresseeNumber":"{{{addressee}}}","item":"vaccination","schemaVersion":1,"content":{{{Dose(vaccine)}}}}""";
        var report = await LinkageNetwork.Ensure(await tax.PostAsync($"api/tenants/{K}/copies/import",
            Bytes(Encoding.UTF8.GetBytes(string.Join("\n", Row("K-1", "MR"), Row("K-2", "MR\\u0000"), Row("K-3", "MR\\u001b"), Row("K-4", "BCG"))), "application/x-ndjson")));
        Assert.Equal(2, report.GetProperty("imported").GetInt32());
        Assert.Equal([2, 3], report.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("line").GetInt32()));
        Assert.All(report.GetProperty("errors").EnumerateArray(), e => Assert.Contains("$.doses[0].vaccine: ", e.GetProperty("reason").GetString()));
        await using var c = await network.TenantDatabases[K].OpenAsync();
        Assert.Equal(["K-1", "K-4"], (await c.QueryAsync("SELECT addressee_number FROM copies", r => r.GetString(0))).Order());
    }

    [Theory, StorageData]
    public async Task A_copy_with_a_number_split_by_any_space_or_a_dash_with_a_mark_is_refused_and_nothing_is_stored(StorageProvider provider)
    {
        // The audit's: with these between its groups, 123456789018 was stored and served back as given.
        await using var network = await LinkageNetwork.StartAsync(provider);
        var tax = network.NodeClient("kashiwa-tax-system");
        var url = $"api/tenants/{K}/copies/K-1/vaccination";
        static string Dose(string vaccine) => $$$"""{"doses":[{"vaccine":"{{{vaccine}}}","date":"2022-04-01","doseNumber":1}]}""";
        foreach (var vaccine in new[]
        {
            "1234\\u20035678\\u20039018", "1234\u20025678\u20029018", "1234\u200A5678\u200A9018", "1234\u205F5678\u205F9018",
            "1234\u16805678\u16809018", "1234\u20135678\u20139018", "1234-\u03015678-\u03019018", "1234 \u20DD5678 \u20DD9018",
        })
        {
            var refused = await ProblemAssert.IsProblemAsync(await tax.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Dose(vaccine))))), 400, "invalid-copy");
            Assert.Contains("$.doses[0].vaccine: ", refused.GetProperty("detail").GetString());
            Assert.DoesNotContain("5678", ProblemAssert.WithoutTraceId(refused));
        }
        await ProblemAssert.IsProblemAsync(await tax.GetAsync(url), 404, "no-copy");
        // A time after a date with such a space between them is still a time: a colon does not join groups. Nor does a wave
        // dash, with which a range is written.
        await LinkageNetwork.Ensure(await tax.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Dose("MR 2024/01/01\u200310:00:00"))))));
        await LinkageNetwork.Ensure(await tax.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Dose("MR 2024/04/01〜2025/03/31"))))));
    }

    [Theory, StorageData]
    public async Task A_copy_with_a_number_in_kanji_numerals_or_grouped_with_colons_is_refused_and_times_and_dates_stay(StorageProvider provider)
    {
        // The audit's (I4): agency names already counted kanji numerals; a copy's free text took 一二三四五六七八九〇一八 and 1234:5678:9018.
        await using var network = await LinkageNetwork.StartAsync(provider);
        var tax = network.NodeClient("kashiwa-tax-system");
        var url = $"api/tenants/{K}/copies/K-1/vaccination";
        static string Dose(string vaccine) => $$$"""{"doses":[{"vaccine":"{{{vaccine}}}","date":"2022-04-01","doseNumber":1}]}""";
        foreach (var vaccine in new[]
        {
            "一二三四五六七八九〇一八", "MR 一二三四五六七八九零一", "壱弐参肆伍陸漆捌玖零壱捌", "一二三四 五六七八 九○一八", "一二三四-五六七八-九◯一八",
            "1234:5678:9018", "１２３４：５６７８：９０１８", "12:34:56:78:90:18", "1234:五六七八:9018", "MR 2024/01/01 12:34:56:78",
            "1234:5678:9012", "接種: 1234:5678:9012",
        })
        {
            var refused = await ProblemAssert.IsProblemAsync(await tax.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Dose(vaccine))))), 400, "invalid-copy");
            Assert.Contains("$.doses[0].vaccine: ", refused.GetProperty("detail").GetString());
            Assert.Contains("Individual Number", refused.GetProperty("detail").GetString());
        }
        await ProblemAssert.IsProblemAsync(await tax.GetAsync(url), 404, "no-copy");
        // A vaccine's name holds a numeral or two, and a time or a date stays a time or a date, alone or together.
        // A label's colon, which a space follows, joins no digit to the value after it (audit O, O2: "2- 03-1234-5678" was 11 digits).
        foreach (var vaccine in new[] { "四種混合", "五種混合（第一期）", "MR 10:00:00", "MR 2024/01/01 10:00:00", "MR 2024-04-01 9:30", "１０：００〜１２：３０", "二〇二四年四月一日",
            "接種2: 2024/04/01 10:00", "TEL2: 03-1234-5678", "Dose 1: 2024/04/01 10:00:00" })
        {
            await LinkageNetwork.Ensure(await tax.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Dose(vaccine))))));
            Assert.Equal(vaccine, (await LinkageNetwork.Ensure(await tax.GetAsync(url))).GetProperty("content").GetProperty("doses")[0].GetProperty("vaccine").GetString());
        }

        string Row(string addressee, string vaccine) =>
            $$$"""{"addresseeNumber":"{{{addressee}}}","item":"vaccination","schemaVersion":1,"content":{{{Dose(vaccine)}}}}""";
        var report = await LinkageNetwork.Ensure(await tax.PostAsync($"api/tenants/{K}/copies/import", Bytes(Encoding.UTF8.GetBytes(string.Join("\n",
            Row("K-2", "四種混合"), Row("K-3", "一二三四五六七八九〇一八"), Row("K-4", "1234:5678:9018"), Row("K-5", "MR 10:00:00"))), "application/x-ndjson")));
        Assert.Equal(2, report.GetProperty("imported").GetInt32());
        Assert.Equal([2, 3], report.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("line").GetInt32()));
        Assert.All(report.GetProperty("errors").EnumerateArray(), e => Assert.Contains("$.doses[0].vaccine: ", e.GetProperty("reason").GetString()));
        await using var c = await network.TenantDatabases[K].OpenAsync();
        Assert.Equal(["K-1", "K-2", "K-5"], (await c.QueryAsync("SELECT addressee_number FROM copies", r => r.GetString(0))).Order());
    }

    [Theory, StorageData]
    public async Task An_import_reports_rows_with_numbers_out_of_range_or_text_that_is_not_UTF8_by_line_and_keeps_the_good_rows(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var insurer = LinkageNetwork.HealthInsurer;
        string Row(string addressee, string fields) =>
            $$"""{"addresseeNumber":"{{addressee}}","item":"specific-health-checkup","schemaVersion":1,"content":""" + Checkup(fields) + "}";
        var lines = new[]
        {
            Row("H-1", ""),
            Row("H-2", ""","heightCm":1e300"""),
            Row("H-3", ""","urineGlucose":"~" """),
            Row("H-4", ""","heightCm":165"""),
            Row("H-5", ""","~":1"""),
            Row("H-6", ""","urineGlucose":"\ud800" """),
            """{"addresseeNumber":"\ud800","item":"specific-health-checkup","schemaVersion":1,"content":{}}""",
            Row("H-8", ""","smoker":false"""),
            Row("H-9", ""","smoker":false,"smoker":true"""),
            Row("H-10", ""","\udc00":1"""),
        };
        var body = WithByte83(string.Join("\n", lines) + "\n");
        var report = await LinkageNetwork.Ensure(await network.NodeClient("insurer-benefits-system").PostAsync($"api/tenants/{insurer}/copies/import",
            Bytes(body, "application/x-ndjson")));
        var errors = report.GetProperty("errors").EnumerateArray().Select(e => (Line: e.GetProperty("line").GetInt32(), Reason: e.GetProperty("reason").GetString()!)).ToList();
        Assert.Equal([2, 3, 5, 6, 7, 9, 10], errors.Select(e => e.Line));
        Assert.Contains("$.heightCm", errors[0].Reason);
        Assert.Contains("UTF-8", errors[1].Reason);
        Assert.Contains("UTF-8", errors[2].Reason);
        Assert.Contains("$.urineGlucose", errors[3].Reason);
        Assert.Contains("addresseeNumber", errors[4].Reason);
        Assert.Contains("$.smoker", errors[5].Reason);
        Assert.StartsWith("$: ", errors[6].Reason);
        Assert.Contains("surrogate", errors[6].Reason);
        Assert.Equal(3, report.GetProperty("imported").GetInt32());
        await using var c = await network.TenantDatabases[insurer].OpenAsync();
        Assert.Equal(["H-1", "H-4", "H-8"], (await c.QueryAsync("SELECT addressee_number FROM copies", r => r.GetString(0))).Order());
        Assert.DoesNotContain('\uFFFD', string.Concat(await c.QueryAsync("SELECT content FROM copies", r => r.GetString(0))));
    }

    [Theory, StorageData]
    public async Task An_import_takes_JSON_Lines_in_UTF8_only_and_says_so_for_any_other_body(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var tax = network.NodeClient("kashiwa-tax-system");
        var url = $"api/tenants/{K}/copies/import";
        var row = """{"addresseeNumber":"K-1","item":"local-tax","schemaVersion":1,"content":{"fiscalYear":2025,"totalIncome":1,"taxableIncome":0,"municipalTax":0,"prefecturalTax":0}}""";

        // Another media type, none at all, or another charset: refused whole, before any row is read.
        foreach (var (contentType, said) in new (string?, string)[]
        {
            ("text/plain", "application/x-ndjson"), ("image/png", "application/x-ndjson"), (null, "application/x-ndjson"),
            ("text/csv", "import-copies"), ("application/x-ndjson; charset=iso-8859-1", "UTF-8"), ("application/json; charset=utf-16", "UTF-8"),
        })
        {
            var refused = await ProblemAssert.IsProblemAsync(await tax.PostAsync(url, Bytes(Encoding.UTF8.GetBytes(row), contentType)), 415, "unsupported-media-type");
            Assert.Contains(said, refused.GetProperty("detail").GetString());
        }
        // UTF-16 (as a spreadsheet's "Unicode text" saves it) is told apart by its byte order mark.
        var utf16 = await ProblemAssert.IsProblemAsync(await tax.PostAsync(url, Bytes([.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(row)], "application/x-ndjson")),
            415, "unsupported-media-type");
        Assert.Contains("UTF-16", utf16.GetProperty("detail").GetString());

        // A Shift_JIS row is reported by its line, never stored as replacement characters; the ASCII rows around it read the same in either.
        var sjis = WithByte83(string.Join("\r\n", row, row.Replace("K-1", "K-2").Replace("\"fiscalYear\"", "\"~e\""), row.Replace("K-1", "K-3")));
        var report = await LinkageNetwork.Ensure(await tax.PostAsync(url, Bytes(sjis, "application/x-ndjson")));
        Assert.Equal(2, report.GetProperty("imported").GetInt32());
        var error = Assert.Single(report.GetProperty("errors").EnumerateArray());
        Assert.Equal(2, error.GetProperty("line").GetInt32());
        Assert.Contains("UTF-8", error.GetProperty("reason").GetString());
        // A UTF-8 byte order mark is no part of the first row; application/json and application/jsonl are JSON Lines too.
        var bom = await LinkageNetwork.Ensure(await tax.PostAsync(url, Bytes([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(row.Replace("K-1", "K-4"))], "application/json")));
        Assert.Equal(1, bom.GetProperty("imported").GetInt32());
        Assert.Equal(1, (await LinkageNetwork.Ensure(await tax.PostAsync(url, Bytes(Encoding.UTF8.GetBytes(row), "application/jsonl; charset=utf-8")))).GetProperty("imported").GetInt32());
        await using var c = await network.TenantDatabases[K].OpenAsync();
        Assert.Equal(["K-1", "K-3", "K-4"], (await c.QueryAsync("SELECT addressee_number FROM copies", r => r.GetString(0))).Order());
    }

    [Theory, StorageData]
    public async Task A_number_of_11_digits_or_more_is_refused_in_a_copy_however_written_and_in_an_import_too(StorageProvider provider)
    {
        // 012345678903 is a valid Individual Number; a spreadsheet that reads the column as numbers writes 12345678903.
        await using var network = await LinkageNetwork.StartAsync(provider);
        var tax = network.NodeClient("kashiwa-tax-system");
        var url = $"api/tenants/{K}/copies/K-1/local-tax";
        static string Tax(string field, string number) => field == "totalIncome"
            ? $$$"""{"fiscalYear":2025,"totalIncome":{{{number}}},"taxableIncome":0,"municipalTax":0,"prefecturalTax":0}"""
            : $$$"""{"fiscalYear":2025,"totalIncome":1,"taxableIncome":0,"municipalTax":0,"prefecturalTax":0,"{{{field}}}":{{{number}}}}""";
        foreach (var (field, number) in new[]
        {
            ("totalIncome", "12345678903"), ("socialInsuranceDeduction", "12345678903"), ("totalIncome", "10000000000"),
            ("totalIncome", "12345678903.0"), ("totalIncome", "1.2345678903e10"), ("totalIncome", "123456789030E-1"),
            ("totalIncome", "1.23456789018e11"), ("totalIncome", "-12345678903"),
            // A digit before or after a number, or a point within it: no layout holds ten billion yen, nor 11 digits of a fraction.
            ("totalIncome", "1868861113345"), ("totalIncome", "1000000000000"), ("totalIncome", "1234567890.18"), ("totalIncome", "0.123456789018"),
            ("totalIncome", "12345678903.5"),
        })
        {
            var refused = await ProblemAssert.IsProblemAsync(await tax.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Tax(field, number))))), 400, "invalid-copy");
            var detail = refused.GetProperty("detail").GetString()!;
            Assert.Contains($"$.{field}: ", detail);
            Assert.Contains("Individual Number", detail);
            Assert.DoesNotContain("2345678903", detail);
            // Under ten billion, a fraction of 11 digits or more is refused for its digits, and the problem says so.
            if (decimal.Abs(decimal.Parse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture)) < 10_000_000_000m)
                Assert.Contains($"$.{field}: 桁数が多すぎるため保管できません", detail);
        }
        await ProblemAssert.IsProblemAsync(await tax.GetAsync(url), 404, "no-copy");
        // Past 12 digits a number is too large for any amount, not an Individual Number: the limit is said, and not that reason.
        foreach (var number in new[] { "1868861113345", "10000000000000000000000000000", "-1e20" })
        {
            var detail = (await ProblemAssert.IsProblemAsync(await tax.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Tax("totalIncome", number))))), 400, "invalid-copy"))
                .GetProperty("detail").GetString()!;
            Assert.Contains("$.totalIncome: 数値が大きすぎるため保管できません（9,999,999,999まで）", detail);
            Assert.DoesNotContain("個人番号の形", detail);
        }
        Assert.Contains("$.totalIncome: 個人番号の形", (await ProblemAssert.IsProblemAsync(await tax.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Tax("totalIncome", "123456789018"))))), 400, "invalid-copy"))
            .GetProperty("detail").GetString());
        // Ten digits (an amount under ten billion yen) are amounts as before, however written.
        foreach (var number in new[] { "9999999999", "1000000000" })
            await LinkageNetwork.Ensure(await tax.PutAsync(url, Bytes(Encoding.UTF8.GetBytes(Body(Tax("totalIncome", number))))));

        string Row(string addressee, string number) =>
            $$$"""{"addresseeNumber":"{{{addressee}}}","item":"local-tax","schemaVersion":1,"content":{{{Tax("socialInsuranceDeduction", number)}}}}""";
        var report = await LinkageNetwork.Ensure(await tax.PostAsync($"api/tenants/{K}/copies/import", Bytes(Encoding.UTF8.GetBytes(string.Join("\n",
            Row("K-2", "350000"), Row("K-3", "12345678903"), Row("K-4", "1.2345678903e10"), Row("K-5", "123456789018"))), "application/x-ndjson")));
        Assert.Equal(1, report.GetProperty("imported").GetInt32());
        Assert.Equal([2, 3, 4], report.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("line").GetInt32()));
        Assert.All(report.GetProperty("errors").EnumerateArray(), e => Assert.Contains("$.socialInsuranceDeduction: " + "個人番号の形", e.GetProperty("reason").GetString()));
        await using var c = await network.TenantDatabases[K].OpenAsync();
        Assert.Equal(["K-1", "K-2"], (await c.QueryAsync("SELECT addressee_number FROM copies", r => r.GetString(0))).Order());
    }
}
