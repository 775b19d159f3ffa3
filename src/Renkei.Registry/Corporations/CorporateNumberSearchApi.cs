using System.Globalization;
using System.Text;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;

namespace Renkei.Registry.Corporations;

/// <summary>One reason a search request is refused: the NTA-style code, the parameter, and the message.</summary>
public sealed record SearchError(string Code, string Field, string Message, int Status = 400);

/// <summary>
/// The public search of corporate numbers in the shape of the National Tax Agency's Web-API
/// version 4: <c>/4/num</c>, <c>/4/diff</c>, <c>/4/name</c>. A client written for the NTA needs only a
/// new base address. Errors for the NTA's types are HTTP 400 with a body <c>code,message</c>; for
/// Renkei's JSON type (22) they are problem details.
/// </summary>
public static class CorporateNumberSearchApi
{
    /// <summary>Records per page (分割), as the NTA.</summary>
    public const int PageSize = 2000;

    public const int MaxNumbers = 10;

    public const int MaxDiffDays = 50;

    public static void MapCorporateNumberSearch(this IEndpointRouteBuilder app)
    {
        // Its errors are the NTA's codes, not problem details; it refuses control characters (a NUL too) itself.
        var group = app.MapGroup("/4").WithTags("Corporate number publication (NTA Web-API v4)").AllowAnonymous().WithMetadata(new OwnErrorFormat());
        group.MapGet("/num", Num).WithSummary("法人番号を指定した検索: up to 10 numbers, newest record or every record (history=1).")
            .Describe(("number", true, "法人番号、カンマ区切りで最大10件 / up to 10 corporate numbers, comma-separated"),
                ("history", false, "0: 最新のみ（既定）、1: 履歴を含む / 0: the newest record (default), 1: every record"));
        group.MapGet("/diff", Diff).WithSummary("取得期間を指定した検索: records published between from and to (at most 50 days).")
            .Describe(("from", true, "取得期間の開始日 yyyy-MM-dd / first day"), ("to", true, "取得期間の終了日 yyyy-MM-dd（50日以内）/ last day (window of at most 50 days)"),
                Address, Kind, Divide);
        group.MapGet("/name", Name).WithSummary("法人名を指定した検索: by name, prefix or partial, with place, kind, closed and former-name filters.")
            .Describe(("name", true, "商号又は名称（150文字以内）/ the name (at most 150 characters)"),
                ("mode", false, "1: 前方一致（既定）、2: 部分一致 / 1: prefix (default), 2: partial"),
                ("target", false, "1: あいまい検索（既定）、2: 完全一致、3: 英語表記 / 1: fuzzy (default), 2: exact, 3: English name"),
                Address, Kind, ("change", false, "1: 変更履歴（旧商号等）も検索 / 1: also search former names"),
                ("close", false, "0: 閉鎖法人を除く、1: 含む（既定）/ 0: leave out closed corporations, 1: include them (default)"),
                ("from", false, "法人番号指定年月日の開始 yyyy-MM-dd / assigned on or after"), ("to", false, "法人番号指定年月日の終了 yyyy-MM-dd / assigned on or before"),
                Divide);
    }

    private static readonly (string, bool, string)[] Common =
    [
        ("id", true, "アプリケーションID / the application id"),
        ("type", true, "応答形式 01: CSV（Shift_JIS）、02: CSV（Unicode）、12: XML（Unicode）、22: JSON / the answer format"),
    ];

    private static readonly (string, bool, string) Address = ("address", false, "所在地: 都道府県コード2桁（国外は99）または市区町村コード5桁 / 2-digit prefecture (99: abroad) or 5-digit city code");
    private static readonly (string, bool, string) Kind = ("kind", false, "法人種別 01〜04、カンマ区切り / corporation kinds 01–04, comma-separated");
    private static readonly (string, bool, string) Divide = ("divide", false, "分割番号（2,000件ごとのページ、1から）/ the page of 2,000 records, from 1");

    /// <summary>
    /// The query parameters and answer formats in the OpenAPI document: the handlers read the query themselves (to answer
    /// with the NTA's error codes), so the framework cannot infer them.
    /// </summary>
    private static RouteHandlerBuilder Describe(this RouteHandlerBuilder endpoint, params (string Name, bool Required, string Description)[] parameters) =>
        endpoint
            .Produces<string>(StatusCodes.Status200OK, "text/csv", "application/xml", "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.Parameters ??= [];
                foreach (var (name, required, description) in Common.Concat(parameters))
                    operation.Parameters.Add(new Microsoft.OpenApi.OpenApiParameter
                    {
                        Name = name, In = Microsoft.OpenApi.ParameterLocation.Query, Required = required, Description = description,
                        Schema = Text,
                    });
                // The handler writes its answer as bytes, so the generator saw strings: type 22's page is an object, and the
                // NTA's types answer an error (400, or 404 for an unknown application id) as one line of text, `code,message`.
                if (operation.Responses?.TryGetValue("200", out var ok) == true && ok.Content?.TryGetValue("application/json", out var json) == true)
                    json.Schema = PageSchema;
                foreach (var status in new[] { "400", "404" })
                    if (operation.Responses?.TryGetValue(status, out var error) == true && error.Content is { } content)
                        content["text/plain"] = new Microsoft.OpenApi.OpenApiMediaType { Schema = Text };
                return Task.CompletedTask;
            });

    private static Microsoft.OpenApi.OpenApiSchema Text => new() { Type = Microsoft.OpenApi.JsonSchemaType.String };

    /// <summary>What type 22 answers: the NTA's header items and each corporation's 30 items, all as text.</summary>
    private static Microsoft.OpenApi.OpenApiSchema PageSchema => new()
    {
        Type = Microsoft.OpenApi.JsonSchemaType.Object,
        Required = new HashSet<string> { "lastUpdateDate", "count", "divideNumber", "divideSize", "corporations" },
        Properties = new Dictionary<string, Microsoft.OpenApi.IOpenApiSchema>
        {
            ["lastUpdateDate"] = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String, Format = "date" },
            ["count"] = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.Integer },
            ["divideNumber"] = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.Integer },
            ["divideSize"] = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.Integer },
            ["corporations"] = new Microsoft.OpenApi.OpenApiSchema
            {
                Type = Microsoft.OpenApi.JsonSchemaType.Array,
                Items = new Microsoft.OpenApi.OpenApiSchema
                {
                    Type = Microsoft.OpenApi.JsonSchemaType.Object,
                    Required = new HashSet<string>(CorporationRecord.ItemNames),
                    Properties = CorporationRecord.ItemNames.ToDictionary(n => n, Microsoft.OpenApi.IOpenApiSchema (_) => Text),
                },
            },
        },
    };

    private static async Task<IResult> Num(HttpRequest request, Database database, IConfiguration configuration)
    {
        var q = new Query(request);
        var (type, refused) = Begin(q, configuration);
        if (refused is not null) return refused;
        var numbers = new List<string>();
        var text = q.Get("number");
        if (string.IsNullOrWhiteSpace(text)) q.Fail("040", "number", "法人番号が指定されていません / number is required");
        else
        {
            var parts = text.Split(',');
            if (parts.Length > MaxNumbers)
                q.Fail("043", "number", $"法人番号は最大{MaxNumbers}件まで指定できます（{parts.Length}件） / at most {MaxNumbers} numbers, {parts.Length} given");
            else
                foreach (var (part, i) in parts.Select((p, i) => (p, i)))
                {
                    if (CorporateNumber.TryParse(part, out var n, out var problem))
                    {
                        if (!numbers.Contains(n.Digits)) numbers.Add(n.Digits);
                    }
                    else
                    {
                        q.Fail(problem!.Kind == NumberProblemKind.CheckDigit ? "042" : "041", "number",
                            $"{i + 1}件目の法人番号（{Query.Shown(part.Trim())}）が不正です: {problem.Japanese} / number {i + 1} ({Query.Shown(part.Trim())}) is invalid: {problem.English}");
                        break;
                    }
                }
        }
        var history = q.Flag("history", "050", defaultValue: false);
        if (q.Errors.Count > 0) return Refuse(q, type);

        await using var c = await database.OpenAsync();
        var records = await CorporationStore.ByNumbersAsync(c, numbers, history);
        return PublicationFormats.Write(new PublicationPage(await CorporationStore.LastUpdateDateAsync(c), records.Count, 1, 1, records), type);
    }

    private static async Task<IResult> Diff(HttpRequest request, Database database, IConfiguration configuration)
    {
        var q = new Query(request);
        var (type, refused) = Begin(q, configuration);
        if (refused is not null) return refused;
        var from = q.Date("from", required: true);
        var to = q.Date("to", required: true);
        if (from is { } f && to is { } t)
        {
            if (t < f) q.Fail("063", "to", "取得期間の終了日が開始日より前です / to is before from");
            else if (t.DayNumber - f.DayNumber + 1 > MaxDiffDays)
                q.Fail("064", "to", $"取得期間は{MaxDiffDays}日以内です（{t.DayNumber - f.DayNumber + 1}日） / the window is at most {MaxDiffDays} days ({t.DayNumber - f.DayNumber + 1} asked)");
        }
        var (prefecture, city) = q.Address();
        var kinds = q.Kinds();
        var divide = q.Divide();
        if (q.Errors.Count > 0) return Refuse(q, type);

        await using var c = await database.OpenAsync();
        var (count, page) = await CorporationStore.ByUpdateDateAsync(c, from!.Value, to!.Value, prefecture, city, kinds, (divide - 1) * PageSize, PageSize);
        return await Answer(c, q, type, count, divide, page);
    }

    private static async Task<IResult> Name(HttpRequest request, Database database, IConfiguration configuration)
    {
        var q = new Query(request);
        var (type, refused) = Begin(q, configuration);
        if (refused is not null) return refused;
        var name = q.Get("name")?.Trim() ?? "";
        var mode = q.Choice("mode", ["1", "2"], "1", "102", "検索方式（mode）は1（前方一致）または2（部分一致）です / mode is 1 (prefix) or 2 (partial)");
        var target = q.Choice("target", ["1", "2", "3"], "1", "103",
            "検索対象（target）は1（あいまい）、2（完全一致）、3（英語表記）です / target is 1 (fuzzy), 2 (exact) or 3 (English)");
        if (name.Length == 0) q.Fail("100", "name", "商号又は名称が指定されていません / name is required");
        else if (Residents.RegisterText.Length(name) > 150) q.Fail("101", "name", "商号又は名称は150文字以内です / name is at most 150 characters");
        else if (!StoredText.IsWellFormed(name)) q.Fail("101", "name", StoredText.Refusal);
        else if (target == "3" && name.Any(ch => ch > '~'))
            q.Fail("101", "name", "英語表記の検索（target=3）は半角英数字で指定してください / an English search (target=3) takes ASCII text");
        else if ((target == "3" ? CorporationText.FoldEnglish(name) : target == "2" ? CorporationText.Clean(name) : CorporationText.Fold(name)).Length == 0)
            q.Fail("100", "name", "検索できる文字がありません / the name has nothing to search for");
        var (prefecture, city) = q.Address();
        var kinds = q.Kinds();
        var change = q.Flag("change", "104", defaultValue: false);
        var close = q.Flag("close", "105", defaultValue: true);
        var from = q.Date("from", required: false);
        var to = q.Date("to", required: false);
        if (from is { } f && to is { } t && t < f) q.Fail("063", "to", "法人番号指定年月日の終了日が開始日より前です / to is before from");
        var divide = q.Divide();
        if (q.Errors.Count > 0) return Refuse(q, type);

        await using var c = await database.OpenAsync();
        var query = new NameQuery(name, mode == "1", int.Parse(target, CultureInfo.InvariantCulture), prefecture, city, kinds, change, close, from, to);
        var (count, page) = await CorporationStore.ByNameAsync(c, query, (divide - 1) * PageSize, PageSize);
        return await Answer(c, q, type, count, divide, page);
    }

    private static async Task<IResult> Answer(System.Data.Common.DbConnection c, Query q, PublicationType type, long count, int divide, List<CorporationRecord> page)
    {
        var size = (int)Math.Max(1, (count + PageSize - 1) / PageSize);
        if (divide > size)
        {
            q.Fail("121", "divide", $"分割番号が分割数（{size}）を超えています / divide is beyond the last page ({size})");
            return Refuse(q, type);
        }
        var last = await CorporationStore.LastUpdateDateAsync(c);
        return PublicationFormats.Write(new PublicationPage(last, count, divide, size, page) { FirstSequence = (long)(divide - 1) * PageSize }, type);
    }

    /// <summary>Reads the response type and checks the application id: the two things every request needs.</summary>
    private static (PublicationType Type, IResult? Refused) Begin(Query q, IConfiguration configuration)
    {
        // Before any value is read: a NUL cannot be stored or compared, and a line break would split the one-line error body.
        if (q.WithControlCharacter() is { } controlled)
        {
            var asked = q.Peek("type") is { } t && PublicationFormats.Types.TryGetValue(t, out var typeAsked) ? typeAsked : PublicationType.CsvUnicode;
            q.Fail("002", controlled, $"{controlled} に制御文字（NUL・改行など）は使えません / {controlled} must not contain control characters (a NUL, a line break)");
            return (asked, Refuse(q, asked));
        }
        var typeText = q.Get("type");
        PublicationType type;
        if (string.IsNullOrEmpty(typeText))
        {
            q.Fail("070", "type", "応答形式（type）が指定されていません / type is required (01, 02, 12 or 22)");
            return (PublicationType.CsvUnicode, Refuse(q, PublicationType.CsvUnicode));
        }
        if (!PublicationFormats.Types.TryGetValue(typeText, out type))
        {
            q.Fail("071", "type", $"応答形式（type）が不正です: {Query.Shown(typeText)} / type must be 01, 02, 12 or 22");
            return (PublicationType.CsvUnicode, Refuse(q, PublicationType.CsvUnicode));
        }
        var id = q.Get("id");
        if (string.IsNullOrWhiteSpace(id))
        {
            q.Fail("010", "id", "アプリケーションIDが指定されていません / id (the application id) is required");
            return (type, Refuse(q, type));
        }
        var known = configuration.GetSection("Corporations:ApplicationIds").Get<string[]>() ?? [];
        if (known.Length > 0 && !known.Any(k => FixedTimeEquals(k, id)))
        {
            q.Fail("011", "id", "アプリケーションIDが登録されていません / the application id is not registered", 404);
            return (type, Refuse(q, type));
        }
        return (type, null);
    }

    private static bool FixedTimeEquals(string a, string b) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    /// <summary>
    /// The NTA's types get the first error as <c>code,message</c> (in the type's encoding); JSON gets a
    /// problem whose <c>errors</c> name every wrong parameter.
    /// </summary>
    private static IResult Refuse(Query q, PublicationType type)
    {
        var first = q.Errors[0];
        if (type == PublicationType.Json)
        {
            var errors = q.Errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => $"{e.Code}: {e.Message}").ToArray());
            return first.Status == 404
                ? Problems.Result(404, "unknown-application-id", "アプリケーションIDが登録されていません / Unknown application id", first.Message)
                : Problems.Result(400, "invalid-search", "検索条件に誤りがあります / The search has invalid parameters",
                    string.Join("; ", q.Errors.Select(e => $"{e.Field}: {e.Message}")),
                    new Dictionary<string, object?> { ["errors"] = errors, ["codes"] = q.Errors.Select(e => e.Code).Distinct().ToArray() });
        }
        var body = $"{first.Code},{first.Message}\r\n";
        return type == PublicationType.CsvShiftJis
            ? new ErrorText(PublicationFormats.ToShiftJis(body), "text/plain; charset=Shift_JIS", first.Status)
            : new ErrorText(new UTF8Encoding(false).GetBytes(body), "text/plain; charset=UTF-8", first.Status);
    }

    /// <summary>An NTA-style error: the status and the <c>code,message</c> bytes.</summary>
    private sealed class ErrorText(byte[] body, string contentType, int status) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = contentType;
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
        }
    }

    /// <summary>The query string, read strictly: a parameter given twice is an error, not a guess.</summary>
    private sealed class Query(HttpRequest request)
    {
        public List<SearchError> Errors { get; } = [];

        /// <summary>Records an error; an Individual Number typed into a parameter is not repeated in it (masked as in problem details).</summary>
        public void Fail(string code, string field, string message, int status = 400) =>
            Errors.Add(new SearchError(code, field, NumberShape.Mask(message)!, status));

        /// <summary>
        /// A client's value as an error repeats it: control characters, line and paragraph separators and invisible format
        /// characters escaped (\uXXXX), an Individual Number masked, at most 40 characters.
        /// </summary>
        public static string Shown(string value) => Problems.Shown(LogText.Escape(value));

        /// <summary>The first parameter (any, known or not) whose name or value holds a control character, as shown; null when none does.</summary>
        public string? WithControlCharacter()
        {
            foreach (var (key, values) in request.Query)
                if (key.Any(char.IsControl) || values.Any(v => v?.Any(char.IsControl) == true))
                    return Shown(key);
            return null;
        }

        /// <summary>The parameter's one value, without recording an error when it is missing or given twice.</summary>
        public string? Peek(string name) => request.Query[name] is { Count: 1 } values ? values[0] : null;

        public string? Get(string name)
        {
            var values = request.Query[name];
            if (values.Count > 1)
            {
                Fail("001", name, $"{name} が複数指定されています / {name} is given more than once");
                return null;
            }
            return values.Count == 0 ? null : values[0];
        }

        public bool Flag(string name, string code, bool defaultValue)
        {
            var v = Get(name);
            if (string.IsNullOrEmpty(v)) return defaultValue;
            if (v is "0" or "1") return v == "1";
            Fail(code, name, $"{name} は0または1です / {name} is 0 or 1");
            return defaultValue;
        }

        public string Choice(string name, string[] allowed, string defaultValue, string code, string message)
        {
            var v = Get(name);
            if (string.IsNullOrEmpty(v)) return defaultValue;
            if (allowed.Contains(v)) return v;
            Fail(code, name, message);
            return defaultValue;
        }

        public DateOnly? Date(string name, bool required)
        {
            var v = Get(name);
            if (string.IsNullOrEmpty(v))
            {
                if (required) Fail(name == "from" ? "060" : "061", name, $"{(name == "from" ? "取得期間の開始日" : "取得期間の終了日")}（{name}）が指定されていません / {name} is required");
                return null;
            }
            if (CorporationText.TryParseDate(v, out var d)) return d;
            Fail("062", name, $"{name} はYYYY-MM-DD形式の日付です: {Shown(v)} / {name} must be a date yyyy-MM-dd");
            return null;
        }

        /// <summary>address: a 2-digit prefecture code (01–47, or 99 for abroad) or a 5-digit prefecture and city code.</summary>
        public (string? Prefecture, string? City) Address()
        {
            var v = Get("address");
            if (string.IsNullOrEmpty(v)) return (null, null);
            if (v == CorporationStore.Abroad) return (v, null);
            if (v.All(char.IsAsciiDigit) && v.Length is 2 or 5 && int.Parse(v[..2], CultureInfo.InvariantCulture) is >= 1 and <= 47)
                return (v[..2], v.Length == 5 ? v[2..] : null);
            Fail("080", "address", $"所在地（address）は都道府県コード2桁（国外は99）または市区町村コード5桁です: {Shown(v)} / address is a 2-digit prefecture code (01–47, 99 for abroad) or a 5-digit city code");
            return (null, null);
        }

        /// <summary>kind: up to four of 01 national body, 02 local government, 03 registered corporation, 04 other.</summary>
        public IReadOnlyList<string> Kinds()
        {
            var v = Get("kind");
            if (string.IsNullOrEmpty(v)) return [];
            var parts = v.Split(',');
            if (parts.Length > 4 || parts.Any(p => p is not ("01" or "02" or "03" or "04")) || parts.Distinct().Count() != parts.Length)
            {
                Fail("090", "kind", $"法人種別（kind）は01〜04をカンマ区切りで指定します: {Shown(v)} / kind is a comma-separated list of 01, 02, 03, 04");
                return [];
            }
            return parts;
        }

        /// <summary>divide: the page (分割番号), 1 to 99999.</summary>
        public int Divide()
        {
            var v = Get("divide");
            if (string.IsNullOrEmpty(v)) return 1;
            if (v.All(char.IsAsciiDigit) && v.Length <= 5 && int.Parse(v, CultureInfo.InvariantCulture) is >= 1 and var d) return d;
            Fail("120", "divide", $"分割番号（divide）は1から99999の数字です: {Shown(v)} / divide is a number from 1 to 99999");
            return 1;
        }
    }
}
