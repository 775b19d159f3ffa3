using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Core.Agencies;
using Renkei.Hosting;
using Renkei.Protocol;

namespace Renkei.Core.Permissions;

/// <summary>Which requesters or providers a row names: agency kinds, particular agencies, or the requester itself.</summary>
public sealed record PartyMatch(List<AgencyKind>? Kinds = null, List<string>? Agencies = null, bool SameAsRequester = false)
{
    /// <summary>Keys a party does not take (<c>kind</c>, <c>sameAsRequestor</c>): kept only so that loading can refuse the row, which would match nobody.</summary>
    [System.Text.Json.Serialization.JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownKeys { get; init; }

    /// <summary>Whether the row names anyone at all: a party of no kinds, no agencies and not the requester matches nobody.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool NamesAnyone => Kinds is { Count: > 0 } || Agencies is { Count: > 0 } || SameAsRequester;

    public bool Matches(Agency party) => (Kinds?.Contains(party.Kind) ?? false) || (Agencies?.Contains(party.AgencyId) ?? false);

    /// <summary>
    /// Kinds and agencies name other agencies: 別表第二's provider is another party (another mayor, another insurer). An agency
    /// asks itself only under a row that says so (<see cref="SameAsRequester"/>: an ordinance's linkage inside one municipality).
    /// </summary>
    public bool MatchesProvider(Agency provider, Agency requester) =>
        provider.AgencyId == requester.AgencyId ? SameAsRequester : Matches(provider);
}

/// <summary>One row of the permission table (別表第二): requester, affair, provider, items, legal basis.</summary>
public sealed record PermissionRow(string Id, PartyMatch Requester, string Affair, PartyMatch Provider, List<string> Items, string LegalBasis);

/// <summary>The outcome of a check: the row that allows the request, or why none does.</summary>
public sealed record PermissionDecision(bool Permitted, string? RowId, string? LegalBasis, string? RefusalSlug, string? Reason)
{
    /// <summary>A refusal; its reason repeats the names asked for, masked as a problem's detail is.</summary>
    public static PermissionDecision Refuse(string slug, string reason) => new(false, null, null, slug, NumberShape.Mask(reason));
}

/// <summary>
/// 別表第二 as data: loaded from permission-table.json, so that a new ordinance is a data change.
/// A request is allowed only when one row names its requester, affair, provider and item together.
/// </summary>
public sealed class PermissionTable
{
    public required string Version { get; init; }
    public required string Source { get; init; }
    public required Dictionary<string, string> Items { get; init; }
    public required Dictionary<string, string> Affairs { get; init; }
    public required List<PermissionRow> Rows { get; init; }

    /// <summary>The SHA-256 (lower-case hex) of the file as read: with the version, what names the table in force.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Sha256 { get; private set; } = "";

    /// <summary>The file as read, kept with each load in the core's database.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Text { get; private set; } = "";

    public static PermissionTable LoadEmbedded()
    {
        using var stream = typeof(PermissionTable).Assembly.GetManifestResourceStream("permission-table.json")
            ?? throw new InvalidOperationException("permission-table.json is not embedded");
        return Load(stream);
    }

    /// <summary>
    /// The table in <paramref name="path"/> (<c>Core:PermissionTableFile</c>), in the embedded table's format: an
    /// operator's table with new ordinance rows. A file that cannot be read or has a bad row stops the core, saying why.
    /// </summary>
    public static PermissionTable LoadFile(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return Load(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidDataException)
        {
            throw new InvalidOperationException(
                $"Core:PermissionTableFile「{path}」を読み込めません / The permission table file '{path}' (Core:PermissionTableFile) cannot be loaded: {e.Message}" +
                (e is JsonException { Path: { } at } && !e.Message.Contains(at, StringComparison.Ordinal) ? $" (at {at})" : ""), e);
        }
    }

    public static PermissionTable Load(Stream json)
    {
        using var buffer = new MemoryStream();
        json.CopyTo(buffer);
        var bytes = buffer.ToArray();
        var table = JsonSerializer.Deserialize<PermissionTable>(bytes, ServiceDefaults.Json) ?? throw new InvalidDataException("空の表です / empty permission table");
        table.Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        table.Text = System.Text.Encoding.UTF8.GetString(bytes);
        if (table.Rows is null || table.Items is null || table.Affairs is null)
            throw new InvalidDataException("items, affairs, rows がありません / items, affairs and rows are required");
        // An inquiry names an affair or item in at most 64 characters: a longer name in the table could never be asked for.
        if (table.Affairs.Keys.Concat(table.Items.Keys).FirstOrDefault(k => k.Length > RelayKinds.MaxNameLength) is { } tooLong)
            throw new InvalidDataException($"事務・特定個人情報の名前は{RelayKinds.MaxNameLength}文字以内です: {tooLong[..RelayKinds.MaxNameLength]}… / " +
                $"affair and item names are at most {RelayKinds.MaxNameLength} characters: {tooLong[..RelayKinds.MaxNameLength]}…");
        // Nor could a name of another form: inquiries carry only names of the table's form.
        if (table.Affairs.Keys.Concat(table.Items.Keys).FirstOrDefault(k => !RelayKinds.IsName(k)) is { } misnamed)
            throw new InvalidDataException($"事務・特定個人情報の名前「{LogText.Safe(misnamed)}」: {RelayKinds.NameForm}");
        var ids = new HashSet<string>();
        foreach (var row in table.Rows)
        {
            if (row is null || string.IsNullOrWhiteSpace(row.Id) || !ids.Add(row.Id))
                throw new InvalidDataException($"行 id が空か重複しています: {row?.Id} / a row has an empty or repeated id: {row?.Id}");
            if (row.Affair is null || !table.Affairs.ContainsKey(row.Affair))
                throw new InvalidDataException($"行 {row.Id} の事務 {row.Affair} は affairs にありません / row {row.Id} names unknown affair {row.Affair}");
            if (row.Requester is null || row.Provider is null || row.Items is not { Count: > 0 } || string.IsNullOrWhiteSpace(row.LegalBasis))
                throw new InvalidDataException($"行 {row.Id} に requester, provider, items, legalBasis のいずれかがありません / row {row.Id} lacks requester, provider, items or legalBasis");
            foreach (var (role, party) in new[] { ("requester", row.Requester), ("provider", row.Provider) })
            {
                // A misspelt key loads as a party that matches nobody: every inquiry under the row would be refused, and nothing would say why.
                if (party.UnknownKeys is { Count: > 0 } unknown)
                    throw new InvalidDataException($"行 {row.Id} の {role} に使えないキー「{LogText.Safe(unknown.Keys.First())}」があります（kinds, agencies, sameAsRequester のみ） / " +
                        $"row {row.Id}: {role} has an unknown key '{LogText.Safe(unknown.Keys.First())}' (a party takes kinds, agencies and sameAsRequester)");
                if (!party.NamesAnyone)
                    throw new InvalidDataException($"行 {row.Id} の {role} が誰も指していません / row {row.Id}: {role} names no kind, no agency and not the requester");
            }
            foreach (var item in row.Items)
                if (!table.Items.ContainsKey(item))
                    throw new InvalidDataException($"行 {row.Id} の特定個人情報 {item} は items にありません / row {row.Id} names unknown item {item}");
        }
        return table;
    }

    public PermissionDecision Check(Agency requester, string affair, Agency provider, string item)
    {
        if (!Affairs.ContainsKey(affair))
            return PermissionDecision.Refuse("affair-not-in-table", $"事務「{affair}」は照会可能な事務として定められていません / The affair '{affair}' is not in the permission table.");
        if (!Items.ContainsKey(item))
            return PermissionDecision.Refuse("item-not-in-table", $"特定個人情報「{item}」は定められていません / The item '{item}' is not in the permission table.");
        var rows = Rows.Where(r => r.Affair == affair && r.Requester.Matches(requester)).ToList();
        if (rows.Count == 0)
            return PermissionDecision.Refuse("requester-not-permitted",
                $"{requester.Name}はこの事務の情報照会者ではありません / {requester.Kind} {requester.AgencyId} is not a requester for '{affair}'.");
        rows = rows.Where(r => r.Provider.MatchesProvider(provider, requester)).ToList();
        if (rows.Count == 0)
            return PermissionDecision.Refuse("provider-not-permitted", provider.AgencyId == requester.AgencyId
                ? $"この事務では自機関に照会できません（条例で定める庁内連携の行に限ります） / For '{affair}' an agency cannot ask itself: only a row of an ordinance's linkage inside the agency (sameAsRequester) allows that."
                : $"{provider.Name}はこの事務の情報提供者ではありません / {provider.Kind} {provider.AgencyId} is not a provider for '{affair}' to this requester.");
        var row = rows.FirstOrDefault(r => r.Items.Contains(item));
        return row is null
            ? PermissionDecision.Refuse("item-not-permitted", $"この事務では「{item}」を照会できません / No row allows the item '{item}' for '{affair}' between these agencies.")
            : new PermissionDecision(true, row.Id, row.LegalBasis, null, null);
    }
}

public sealed record PermissionQuery(string? Requester, string? Affair, string? Provider, string? Item);

public static class PermissionTableApi
{
    public static void MapPermissionTable(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/permission-table").WithTags("PermissionTable");
        group.MapGet("/", (PermissionTable table) => TypedResults.Ok(table)).WithSummary("The permission table the core enforces.");
        group.MapGet("/loads", async (Renkei.Hosting.Storage.Database database) => TypedResults.Ok(await PermissionTableLoads.ListAsync(database)))
            .WithSummary("Each permission table the core started with (version, SHA-256 of its file, when), oldest first: the one in force at a record's time is the last loaded before it.");
        // The number is read as text: a route constraint made loads/abc (or 20 digits) miss the endpoint for the generic
        // not-found, where loads/-1 got unknown-load. No load is numbered so, whatever the text.
        group.MapGet("/loads/{seq}", async (string seq, Renkei.Hosting.Storage.Database database) =>
                long.TryParse(seq, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var number)
                && await PermissionTableLoads.ContentAsync(database, number) is { } content
                    ? Results.Text(content, "application/json", System.Text.Encoding.UTF8)
                    : Problems.NotFound("unknown-load", "その読み込みはありません / No such load of a permission table",
                        $"権限表の読み込み {Problems.Shown(seq)} はありません / No permission table load is numbered {Problems.Shown(seq)}."))
            .WithSummary("The permission table file a load kept, as it was read: what was in force, whatever became of the file.");
        group.MapPost("/check", Check).WithSummary("Whether a requester may ask a provider for an item for an affair, and why not.");
    }

    private static async Task<Results<Ok<PermissionDecision>, ProblemHttpResult>> Check(PermissionQuery q, PermissionTable table, AgencyStore agencies)
    {
        var requester = q.Requester is null or { Length: > RelayKinds.MaxNameLength } ? null : await agencies.FindAsync(q.Requester);
        var provider = q.Provider is null or { Length: > RelayKinds.MaxNameLength } ? null : await agencies.FindAsync(q.Provider);
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(q.Requester)) errors["requester"] = ["照会者（機関ID）は必須です / requester (an agency id) is required"];
        else if (requester is null) errors["requester"] = ["登録されていない機関です / no such agency"];
        if (string.IsNullOrWhiteSpace(q.Provider)) errors["provider"] = ["提供者（機関ID）は必須です / provider (an agency id) is required"];
        else if (provider is null) errors["provider"] = ["登録されていない機関です / no such agency"];
        if (string.IsNullOrWhiteSpace(q.Affair)) errors["affair"] = ["事務は必須です / affair is required"];
        else if (q.Affair.Length > RelayKinds.MaxNameLength) errors["affair"] = [RelayKinds.NameTooLong("affair")];
        if (string.IsNullOrWhiteSpace(q.Item)) errors["item"] = ["特定個人情報は必須です / item is required"];
        else if (q.Item.Length > RelayKinds.MaxNameLength) errors["item"] = [RelayKinds.NameTooLong("item")];
        if (errors.Count > 0) return Problems.Invalid(errors);
        return TypedResults.Ok(table.Check(requester!, q.Affair!, provider!, q.Item!));
    }
}
