using System.Data.Common;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Node.Codes;
using Renkei.Node.Tenants;

namespace Renkei.Node.Copies;

/// <summary>One copy as a business system sends it.</summary>
public sealed record CopyInput(int? SchemaVersion, JsonElement Content, bool Withheld = false);

/// <summary>One line of a JSON Lines import.</summary>
public sealed record CopyLine(string? AddresseeNumber, string? Item, int? SchemaVersion, JsonElement Content, bool Withheld = false);

public sealed record StoredCopy(string AddresseeNumber, string Item, int SchemaVersion, JsonElement Content, bool Withheld, DateTime UpdatedAt);

public sealed record ImportError(int Line, string Reason);

public sealed record ImportReport(int Imported, List<ImportError> Errors);

/// <summary>
/// 副本登録: business systems register copies of specific personal information at their agency's
/// node, keyed by AddresseeNumber, in the data standard layout. Each copy keeps its update time.
/// </summary>
public static class CopiesApi
{
    public static void MapCopies(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/tenants/{agencyId}/copies").WithTags("Copies").RequireAuthorization(NodeApp.StaffPolicy);
        group.MapPut("/{addresseeNumber}/{item}", Put).WithSummary("Registers or replaces one copy.");
        group.MapGet("/{addresseeNumber}/{item}", Get).WithSummary("One copy, for its own agency's systems.");
        group.MapDelete("/{addresseeNumber}/{item}", Delete).WithSummary("Removes one copy, e.g. one stored by mistake (404 when there is none).");
        group.MapPost("/import", Import).WithSummary("JSON Lines bulk import: good lines are kept, bad lines reported with line and reason.")
            .TakesRawBody("JSON Lines：1行に1件の副本（addresseeNumber, item, schemaVersion, content, withheld）、UTF-8 / JSON Lines in UTF-8, one copy a line " +
                "(addresseeNumber, item, schemaVersion, content, withheld, as in PUT …/copies/{addresseeNumber}/{item})", binary: false, ImportMediaTypes)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        app.MapGet("/api/layouts/{item}/v{version:int}", (string item, int version, DataStandardLayout layouts) =>
            layouts.Schema(item, version) is { } s ? Results.Json(s) : Problems.NotFound("unknown-layout", "レイアウトがありません / No such layout"))
            .WithTags("Copies").WithSummary("The JSON Schema of an item in the data standard layout.")
            .Produces<JsonElement>(StatusCodes.Status200OK);
    }

    private static async Task<Results<Ok<StoredCopy>, ProblemHttpResult>> Put(string agencyId, string addresseeNumber, string item, CopyInput input,
        ClaimsPrincipal user, TenantDirectory tenants, DataStandardLayout layouts, TimeProvider time)
    {
        var (tenant, problem) = tenants.Enter(user, agencyId, "copies");
        if (tenant is null) return problem!;
        // Refused as GET and DELETE refuse it, naming the field: the content's problems are the layout's.
        if (CodeManagementApi.RefuseAddresseeNumber("addresseeNumber", addresseeNumber) is { } wrong) return wrong;
        var errors = Check(addresseeNumber, item, input.SchemaVersion, input.Content, layouts, JapanTime.Today(time));
        if (errors.Count > 0)
            return Problems.Invalid(new Dictionary<string, string[]> { ["content"] = [.. errors] }, "invalid-copy");
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await tenant.Database.OpenAsync();
        await using var tx = await BeginAsync(tenant, c);
        await SaveAsync(c, tx, addresseeNumber, item, input.SchemaVersion!.Value, input.Content, input.Withheld, now);
        await tx.CommitAsync();
        return TypedResults.Ok(new StoredCopy(addresseeNumber, item, input.SchemaVersion.Value, input.Content, input.Withheld, now));
    }

    private static async Task<Results<Ok<StoredCopy>, ProblemHttpResult>> Get(string agencyId, string addresseeNumber, string item,
        ClaimsPrincipal user, TenantDirectory tenants)
    {
        var (tenant, problem) = tenants.Enter(user, agencyId, "copies");
        if (tenant is null) return problem!;
        // A value no copy could be kept under is a mistake to name, not a copy that is missing (as for PUT and DELETE).
        if (CodeManagementApi.RefuseAddresseeNumber("addresseeNumber", addresseeNumber) is { } wrong) return wrong;
        await using var c = await tenant.Database.OpenAsync();
        return await FindAsync(c, addresseeNumber, item) is { } copy ? TypedResults.Ok(copy) : NoCopy();
    }

    /// <summary>A copy stored by mistake could only be overwritten: the same checks as a PUT, then it is gone.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string agencyId, string addresseeNumber, string item,
        ClaimsPrincipal user, TenantDirectory tenants)
    {
        var (tenant, problem) = tenants.Enter(user, agencyId, "copies");
        if (tenant is null) return problem!;
        if (CodeManagementApi.RefuseAddresseeNumber("addresseeNumber", addresseeNumber) is { } wrong) return wrong;
        await using var c = await tenant.Database.OpenAsync();
        // Not in turn with code deliveries: removing a copy never leaves a copy without its addressee row.
        return await c.ExecuteAsync("DELETE FROM copies WHERE addressee_number = @n AND item = @i", null, ("n", addresseeNumber), ("i", item)) > 0
            ? TypedResults.NoContent()
            : NoCopy();
    }

    private static ProblemHttpResult NoCopy() =>
        Problems.NotFound("no-copy", "副本がありません / No copy", "この宛名番号にはこの特定個人情報の副本がありません / No copy of this item for this addressee.");

    private static async Task<Results<Ok<ImportReport>, ProblemHttpResult>> Import(string agencyId, HttpRequest request,
        ClaimsPrincipal user, TenantDirectory tenants, DataStandardLayout layouts, TimeProvider time, ILogger<ImportReport> log)
    {
        var (tenant, problem) = tenants.Enter(user, agencyId, "copies");
        if (tenant is null) return problem!;
        if (RefuseMediaType(request.ContentType) is { } unsupported) return unsupported;
        var errors = new List<ImportError>();
        var imported = 0;
        // Rows are read and checked a chunk at a time and each chunk written in a transaction of its own, opened only once
        // the chunk is read: a client that sends slowly would otherwise hold the tenant's database (SQLite's one writer) for as long as it liked.
        var chunk = new List<CopyLine>(ImportChunkRows);
        using var lines = new BodyLines(request.Body);
        var lineNumber = 0;
        try
        {
            while (await lines.ReadLineAsync(request.HttpContext.RequestAborted) is { } bytes)
            {
                lineNumber++;
                var line = bytes.Span;
                if (lineNumber == 1)
                {
                    if (line.StartsWith(Utf8Mark)) line = line[Utf8Mark.Length..];
                    // A body in UTF-16 (a spreadsheet's "Unicode text") is refused whole: no line of it would read.
                    else if (line.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || line.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
                        return Problems.Result(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", Problems.UnsupportedMediaTypeTitle,
                            "本文がUTF-16です。UTF-8で保存し直して送ってください / the body is UTF-16 (it starts with a byte order mark): save it as UTF-8 and send it again.");
                }
                // Bytes that are not UTF-8 (a Shift_JIS line, say) would otherwise be read as replacement characters and stored as such.
                if (!Utf8.IsValid(line))
                {
                    errors.Add(new(lineNumber, NotUtf8));
                    continue;
                }
                var text = Encoding.UTF8.GetString(line);
                if (string.IsNullOrWhiteSpace(text)) continue;
                var (copy, why) = Read(text, layouts, JapanTime.Today(time), lineNumber, log);
                if (why is not null) { errors.Add(new(lineNumber, why)); continue; }
                chunk.Add(copy!);
                if (chunk.Count == ImportChunkRows) imported += await SaveChunkAsync(tenant, chunk, time);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Cut off by the size limit: the lines read whole are kept, as a shorter import would have kept them,
            // and the client learns where to go on from (the line cut in two was never read).
            imported += await SaveChunkAsync(tenant, chunk, time);
            return Problems.Result(StatusCodes.Status413PayloadTooLarge, "request-too-large", Problems.TooLargeTitle,
                $"{lineNumber:N0}行目まで読み、{imported:N0}件を登録しました。{lineNumber + 1:N0}行目から別のリクエストで送ってください / " +
                $"read up to line {lineNumber:N0} and imported {imported:N0} rows before the body reached the size limit: send the rest, from line {lineNumber + 1:N0}, in another request.",
                new Dictionary<string, object?> { ["imported"] = imported, ["lastLine"] = lineNumber, ["errors"] = errors });
        }
        // No line at all (an empty body, or blank lines only): an upload cut off before its first line, not an import done.
        if (imported == 0 && chunk.Count == 0 && errors.Count == 0)
            return Problems.BadRequest("empty-import", "本文に行がありません / The import holds no line",
                "副本を1行に1件ずつ送ってください。何も登録していません / send one copy a line: nothing was imported.");
        imported += await SaveChunkAsync(tenant, chunk, time);
        return TypedResults.Ok(new ImportReport(imported, errors));
    }

    /// <summary>Rows of an import written at once: large enough to keep transactions few, small enough that none is long.</summary>
    private const int ImportChunkRows = 1000;

    /// <summary>Writes the rows read and checked in one transaction, committed at once, and empties the list; the number written.</summary>
    private static async Task<int> SaveChunkAsync(Tenant tenant, List<CopyLine> chunk, TimeProvider time)
    {
        if (chunk.Count == 0) return 0;
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await tenant.Database.OpenAsync();
        await using var tx = await BeginAsync(tenant, c);
        foreach (var copy in chunk)
            await SaveAsync(c, tx, copy.AddresseeNumber!, copy.Item!, copy.SchemaVersion!.Value, copy.Content, copy.Withheld, now);
        await tx.CommitAsync();
        var saved = chunk.Count;
        chunk.Clear();
        return saved;
    }

    private static ReadOnlySpan<byte> Utf8Mark => [0xEF, 0xBB, 0xBF];

    private const string NotUtf8 = "UTF-8ではありません（Shift_JISなど）。ファイルをUTF-8で保存し直して送ってください / " +
        "the line is not UTF-8 (Shift_JIS, say): save the file as UTF-8 and send it again";

    /// <summary>
    /// One line of an import, read and checked: the copy, or why the line is bad. Whatever fails in reading or
    /// checking one line is that line's problem alone: the good lines around it are kept all the same.
    /// </summary>
    private static (CopyLine? Copy, string? Why) Read(string text, DataStandardLayout layouts, DateOnly today, int lineNumber, ILogger log)
    {
        try
        {
            CopyLine? copy;
            try { copy = JsonSerializer.Deserialize<CopyLine>(text, ServiceDefaults.RequestJson); }
            // The parser's message quotes the line, which may hold anything (even a number): say only where it broke.
            // A value the line's JSON holds but a field does not take (a NUL, say) is named by its field, as for one copy.
            catch (JsonException e)
            {
                if (e.InnerException is JsonException || e.Path is null) return (null, NotJson(e));
                // A property given twice, or a name that is no text: the reader says only "content" (and repeats a name whole,
                // however long); the layout's check says where. A value followed by more text (a CSV line: 123,x) also has a
                // path, and is no JSON to look into.
                List<string> where;
                try { where = DataStandardLayout.ReaderRefusal(text); }
                catch (JsonException invalid) { return (null, NotJson(invalid)); }
                return (null, NumberShape.Mask(where.Count > 0 ? string.Join("; ", where) : ServiceDefaults.DescribeJson(e)));
            }
            var problems = copy is null ? ["空の行です / empty"] : Check(copy.AddresseeNumber, copy.Item, copy.SchemaVersion, copy.Content, layouts, today);
            return problems.Count > 0 ? (null, string.Join("; ", problems)) : (copy, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A fault of the node's own checks: logged without the exception's message, which may quote the line.
            log.LogError("Copy import line {Line} could not be checked: {Exception} {StackTrace}", lineNumber, e.GetType().Name, e.StackTrace);
            return (null, "この行を検査できませんでした（中間サーバーの不具合として記録しました）/ the line could not be checked: the node logged this as its own fault");
        }
    }

    /// <summary>Where the line stops being JSON, and nothing of what it holds.</summary>
    private static string NotJson(JsonException e) =>
        $"JSONとして読めません（{(e.BytePositionInLine ?? 0) + 1}バイト目）/ not JSON at byte {(e.BytePositionInLine ?? 0) + 1}";

    /// <summary>
    /// An import is JSON Lines in UTF-8: another media type, none, or another charset is refused before any line is
    /// read (what the shared checks pass is any charset the framework knows, for bodies it decodes itself).
    /// </summary>
    private static ProblemHttpResult? RefuseMediaType(string? contentType)
    {
        const string JsonLines = "本文はJSON Lines（1行に1件のJSON、UTF-8）で送ってください（Content-Type: application/x-ndjson）/ "
            + "send the body as JSON Lines, one JSON object a line in UTF-8 (Content-Type: application/x-ndjson)";
        static ProblemHttpResult Refuse(string detail) =>
            Problems.Result(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", Problems.UnsupportedMediaTypeTitle, detail);
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || media.MediaType.Value is not { } type)
            return Refuse($"{JsonLines}; Content-Typeがありません / no Content-Type was given.");
        if (type.Equals("text/csv", StringComparison.OrdinalIgnoreCase))
            return Refuse("CSVは renkei node import-copies が読み、JSON Linesにして送ります / CSV is read by `renkei node import-copies`, which sends it as JSON Lines: "
                + JsonLines + ".");
        if (!ImportMediaTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
            return Refuse($"{JsonLines}; 受け取ったのは / got {Problems.Shown(type)}.");
        if (media.Charset.HasValue && HeaderUtilities.RemoveQuotes(media.Charset).Value is { } charset
            && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase))
            return Refuse($"本文はUTF-8で送ってください（文字コード「{Problems.Shown(charset)}」は受け付けません）/ send the body in UTF-8: the charset '{Problems.Shown(charset)}' is not taken.");
        return null;
    }

    /// <summary>The media types of JSON Lines that clients send (application/json too: each line is a JSON text).</summary>
    private static readonly string[] ImportMediaTypes = ["application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/json"];

    private static List<string> Check(string? addresseeNumber, string? item, int? version, JsonElement content, DataStandardLayout layouts, DateOnly today)
    {
        var errors = new List<string>();
        if (CodeManagementApi.AddresseeNumberProblem(addresseeNumber) is { } wrong) errors.Add($"addresseeNumber: {wrong}");
        if (string.IsNullOrWhiteSpace(item)) errors.Add("item: 必須です / is required");
        if (version is null) errors.Add("schemaVersion: 必須です / is required");
        if (errors.Count == 0) errors.AddRange(layouts.ValidateEntry(item!, version!.Value, content, today));
        // A problem's path repeats the names in the content: a number given as a name is masked there too.
        return [.. errors.Select(e => NumberShape.Mask(e)!)];
    }

    /// <summary>
    /// A transaction that writes copies, taken in turn with the tenant's code deliveries, discards and releases: they remove
    /// addressee rows that hold no copy, and on PostgreSQL one could remove the row of a copy being written, failing either
    /// write with a foreign-key violation (a 500).
    /// </summary>
    private static Task<DbTransaction> BeginAsync(Tenant tenant, DbConnection c) =>
        tenant.Database.BeginSerializedAsync(c, CodeManagementApi.DeliveryLock(tenant.AgencyId));

    private static async Task SaveAsync(DbConnection c, DbTransaction tx, string addresseeNumber, string item, int version, JsonElement content, bool withheld, DateTime now)
    {
        var t = now.ToString("O");
        await c.ExecuteAsync("INSERT INTO addressees (addressee_number, created_at) VALUES (@n, @t) ON CONFLICT (addressee_number) DO NOTHING", tx, ("n", addresseeNumber), ("t", t));
        await c.ExecuteAsync(
            """
            INSERT INTO copies (addressee_number, item, schema_version, content, withheld, updated_at) VALUES (@n, @i, @v, @c, @w, @t)
            ON CONFLICT (addressee_number, item) DO UPDATE SET schema_version = @v, content = @c, withheld = @w, updated_at = @t
            """, tx, ("n", addresseeNumber), ("i", item), ("v", version), ("c", content.GetRawText()), ("w", withheld ? 1 : 0), ("t", t));
    }

    /// <summary>
    /// For each (agency code, item) asked, the copy of the item kept for the addressee holding the code, in one round
    /// trip for the whole list (a relay message asks for several); null when there is none, whether or not an addressee
    /// holds the code.
    /// </summary>
    public static async Task<List<StoredCopy?>> FindByCodesAsync(DbConnection c, IReadOnlyList<(string Code, string Item)> asked)
    {
        var codes = asked.Select(a => a.Code).Distinct().ToArray();
        var items = asked.Select(a => a.Item).Distinct().ToArray();
        // PostgreSQL takes the lists as two array parameters, so the statement text stays the same and stays prepared;
        // SQLite has no arrays and gets one parameter per value.
        var (codeList, itemList, parameters) = c is Npgsql.NpgsqlConnection
            ? ("= ANY(@codes)", "= ANY(@items)", new (string, object?)[] { ("codes", codes), ("items", items) })
            : ($"IN ({string.Join(", ", codes.Select((_, i) => $"@c{i}"))})", $"IN ({string.Join(", ", items.Select((_, i) => $"@i{i}"))})",
                codes.Select((code, i) => ($"c{i}", (object?)code)).Concat(items.Select((item, i) => ($"i{i}", (object?)item))).ToArray());
        var rows = await c.QueryAsync(
            $"""
            SELECT a.agency_code, a.addressee_number, c.item, c.schema_version, c.content, c.withheld, c.updated_at
            FROM addressees a JOIN copies c ON c.addressee_number = a.addressee_number AND c.item {itemList}
            WHERE a.agency_code {codeList}
            """,
            r => (Code: r.GetString(0), Copy: new StoredCopy(r.GetString(1), r.GetString(2),
                Convert.ToInt32(r.GetValue(3)), JsonDocument.Parse(r.GetString(4)).RootElement.Clone(), Convert.ToInt32(r.GetValue(5)) != 0,
                r.GetStoredTime(6))),
            null, parameters);
        var copies = rows.ToDictionary(r => (r.Code, r.Copy.Item), r => r.Copy);
        return [.. asked.Select(a => copies.GetValueOrDefault((a.Code, a.Item)))];
    }

    public static async Task<StoredCopy?> FindAsync(DbConnection c, string addresseeNumber, string item) =>
        (await c.QueryAsync("SELECT schema_version, content, withheld, updated_at FROM copies WHERE addressee_number = @n AND item = @i",
            r => new StoredCopy(addresseeNumber, item, Convert.ToInt32(r.GetValue(0)), JsonDocument.Parse(r.GetString(1)).RootElement.Clone(),
                Convert.ToInt32(r.GetValue(2)) != 0, r.GetStoredTime(3)),
            null, ("n", addresseeNumber), ("i", item))).SingleOrDefault();
}
