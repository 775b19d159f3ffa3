using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Cli.Network;
using Renkei.Hosting;

namespace Renkei.Cli.Linkage;

/// <summary>
/// <c>renkei demo moving-family</c>: the seeds' example played through the APIs. A family moves
/// from Kashiwa (city A) to Bunkyo (city B); Bunkyo's child-allowance clerk obtains last year's
/// income from Kashiwa through the network, so no tax certificate is attached (課税証明書の添付省略);
/// a clerk without the affair is refused; each step that makes or refuses an inquiry prints the records it
/// added at the requester's node, the core and the provider's node.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var data = UpCommand.DataOption();
        var moving = new Command("moving-family", "転居した家族の児童手当（課税証明書の添付省略）/ a family moves; the new city obtains last year's income") { data };
        moving.SetAction(async (parse, ct) =>
        {
            var folder = Path.GetFullPath(parse.GetValue(data)!);
            IAsyncDisposable? own = null;
            try
            {
                // Inside the try: a network still starting (network.json half there, a service not yet answering) is a
                // one-line failure like any other, not a stack trace; one whose lock is held is waited for.
                (var linkage, own) = await NodeCommands.ConnectAsync(folder, ct);
                return await PlayAsync(linkage, folder) ? 0 : 1;
            }
            catch (NetworkUnavailableException e)
            {
                Console.Error.WriteLine(e.Message); // a whole line already: the folder, why, and what to do
                return 1;
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or JsonException or IOException)
            {
                Console.Error.WriteLine($"失敗しました / failed: {e.Message}");
                return 1;
            }
            finally { if (own is not null) await own.DisposeAsync(); }
        });
        return new Command("demo", "シナリオを動かす / play a scenario through the APIs") { moving };
    }

    private static async Task<bool> PlayAsync(LinkageSandbox n, string folder)
    {
        const string A = LinkageSandbox.Kashiwa, B = LinkageSandbox.Bunkyo;
        var ok = true;
        void Step(string text, bool passed)
        {
            Console.WriteLine($"{(passed ? "✔" : "✘")} {text}");
            ok &= passed;
        }
        var run = Guid.NewGuid().ToString("N")[..6];
        // What each party's records show after a step that made or refused an inquiry: only what the step added.
        var seen = new HashSet<string>();
        async Task ShowNewRecordsAsync()
        {
            using var requester = n.NodeClient($"{B}-auditor");
            using var provider = n.NodeClient($"{A}-auditor");
            using var core = n.CoreClient("auditor");
            var atRequester = await RecordsAsync(requester, $"api/tenants/{B}/records?addresseeNumber=B-{run}-1");
            // The core files its records under the requester's code, which the requester's own records hold; it is not printed.
            var code = atRequester.Select(r => r.TryGetProperty("code", out var c) ? c.GetString() : null).FirstOrDefault(c => c is not null);
            var atCore = code is null ? [] : await RecordsAsync(core, $"api/records?code={Uri.EscapeDataString(code)}");
            var atProvider = await RecordsAsync(provider, $"api/tenants/{A}/records?addresseeNumber=A-{run}-1");
            Console.WriteLine("  新しい情報提供等記録 / new provision records:");
            var any = false;
            foreach (var (party, records) in new[] { ($"要求元 / requester {B}", atRequester), ("コア / core", atCore), ($"提供元 / provider {A}", atProvider) })
                foreach (var r in records.Where(r => seen.Add(party + r.GetProperty("recordId").GetString())))
                {
                    Console.WriteLine($"    {party}: {Describe(r)}");
                    any = true;
                }
            if (!any) Console.WriteLine("    (なし / none)");
        }
        using var clerkA = LinkageSandbox.Client(n.RegistryUrl, SandboxCallers.TokenOf(folder, $"clerk-{A}"), n.Handler);
        using var clerkB = LinkageSandbox.Client(n.RegistryUrl, SandboxCallers.TokenOf(folder, $"clerk-{B}"), n.Handler);

        // 1. The family lives in Kashiwa: a parent, who heads the household, and a child (子) in it.
        var parent = await Json(await clerkA.PostAsJsonAsync($"api/municipalities/{A}/events", new
        {
            kind = "birth", occurredOn = "1990-06-01", person = new { familyName = "転居", givenName = "花子", familyNameKana = "テンキョ", givenNameKana = "ハナコ", dateOfBirth = "1990-06-01", sex = "female" },
            address = "千葉県柏市柏1丁目1番1号",
        }, ServiceDefaults.Json));
        // Born into the parent's household (at its address): without householdId the child started a household of its own and headed it.
        var child = parent is null ? null : await Json(await clerkA.PostAsJsonAsync($"api/municipalities/{A}/events", new
        {
            kind = "birth", person = new { familyName = "転居", givenName = "小太郎", familyNameKana = "テンキョ", givenNameKana = "コタロウ", dateOfBirth = "2022-03-03", sex = "male" },
            householdId = parent.Value.GetProperty("householdId").GetString(), relationship = "子",
        }, ServiceDefaults.Json));
        Step("柏市に親子が一つの世帯で住んでいます / a parent and child live in Kashiwa (city A), one household", parent is not null && child is not null);
        if (parent is null || child is null) return false;
        var parentNumber = parent.Value.GetProperty("individualNumber").GetString()!;
        var parentId = parent.Value.GetProperty("residentId").GetString()!;
        var childId = child.Value.GetProperty("residentId").GetString()!;

        // 2. Kashiwa's addressee system obtains its codes; its tax system registers last year's income as a copy.
        var codesA = await n.AddresseeSystemOf(A).IssueCodesAsync([($"A-{run}-1", parentNumber)]);
        Step($"柏市の符号を取得しました / Kashiwa obtained its agency code ({codesA.Delivered}/1) — the node holds no number", codesA.Delivered == 1);
        using var taxA = n.NodeClient($"{A}-copies");
        var copy = await taxA.PutAsJsonAsync($"api/tenants/{A}/copies/A-{run}-1/local-tax", new
        {
            schemaVersion = 1,
            content = new { fiscalYear = 2025, totalIncome = 3_200_000, taxableIncome = 2_100_000, municipalTax = 126_000, prefecturalTax = 84_000, dependents = 1 },
        }, ServiceDefaults.Json);
        Step("柏市が前年の所得を副本として登録しました / Kashiwa registered last year's income as a copy", copy.IsSuccessStatusCode);

        // 3. The whole family moves to Bunkyo. The register moves people, not households: each member moves out of Kashiwa; in
        // Bunkyo the parent's move-in starts the new household, which the parent heads, and the child's joins it as 子.
        var movedOut = true;
        foreach (var member in new[] { parentId, childId })
            movedOut &= await Json(await clerkA.PostAsJsonAsync($"api/municipalities/{A}/events", new { kind = "move-out", residentId = member, destination = B }, ServiceDefaults.Json)) is not null;
        var parentIn = movedOut ? await Json(await clerkB.PostAsJsonAsync($"api/municipalities/{B}/events",
            new { kind = "move-in", residentId = parentId, address = "東京都文京区春日1丁目16番21号" }, ServiceDefaults.Json)) : null;
        var childIn = parentIn is null ? null : await Json(await clerkB.PostAsJsonAsync($"api/municipalities/{B}/events",
            new { kind = "move-in", residentId = childId, householdId = parentIn.Value.GetProperty("householdId").GetString(), relationship = "子" }, ServiceDefaults.Json));
        Step("家族（親と子の一世帯）で文京区へ転入しました / the family, parent and child in one household, moved to Bunkyo (city B)", childIn is not null);
        var codesB = await n.AddresseeSystemOf(B).IssueCodesAsync([($"B-{run}-1", parentNumber)]);
        Step($"文京区の符号を取得しました / Bunkyo obtained its own code ({codesB.Delivered}/1), unlinkable to Kashiwa's", codesB.Delivered == 1);

        // 4. Bunkyo's child-allowance clerk asks Kashiwa for last year's income.
        using var childClerk = n.NodeClient($"{B}-child-allowance");
        var answer = await Json(await childClerk.PostAsJsonAsync($"api/tenants/{B}/inquiries",
            new { addresseeNumber = $"B-{run}-1", affair = "child-allowance", provider = A, item = "local-tax" }, ServiceDefaults.Json));
        var provided = answer?.GetProperty("outcome").GetString() == "provided";
        Step(provided
            ? $"児童手当: 柏市から前年所得 {answer!.Value.GetProperty("content").GetProperty("totalIncome").GetInt32():N0} 円を取得 — 課税証明書の添付は不要です / income obtained from Kashiwa; no tax certificate needed"
            : $"児童手当の照会 / child-allowance inquiry: {answer?.GetRawText()}", provided);
        await ShowNewRecordsAsync();

        // 5. A clerk without the child-allowance affair is refused.
        using var otherClerk = n.NodeClient($"{B}-vaccination");
        var refused = await otherClerk.PostAsJsonAsync($"api/tenants/{B}/inquiries",
            new { addresseeNumber = $"B-{run}-1", affair = "child-allowance", provider = A, item = "local-tax" }, ServiceDefaults.Json);
        Step($"児童手当の事務を持たない職員は拒否されました / a clerk without the affair was refused ({(int)refused.StatusCode})", (int)refused.StatusCode == 403);
        await ShowNewRecordsAsync();

        // 6. What the records show at each party.
        foreach (var (agency, addressee) in new[] { (B, $"B-{run}-1"), (A, $"A-{run}-1") })
        {
            using var auditor = n.NodeClient($"{agency}-auditor");
            var lines = (await RecordsAsync(auditor, $"api/tenants/{agency}/records?addresseeNumber={addressee}")).Select(Describe).ToList();
            Console.WriteLine($"  情報提供等記録 at {agency}:");
            foreach (var line in lines) Console.WriteLine("    " + line);
            Step($"{agency} の記録 / records at {agency}: {lines.Count}", lines.Count >= (agency == B ? 2 : 1));
        }
        using var coreAuditor = n.CoreClient("auditor");
        var check = await Json(await coreAuditor.GetAsync("api/records/verify"));
        Step("コアの記録は改ざんされていません / the core's record chain is intact", check?.GetProperty("intact").GetBoolean() == true);
        Console.WriteLine(ok ? "すべての手順が成功しました / every step succeeded" : "失敗した手順があります / some steps failed");
        return ok;
    }

    /// <summary>Every record of the listing at <paramref name="path"/>: the services answer a page at a time, so it follows each Link to the next.</summary>
    private static async Task<List<JsonElement>> RecordsAsync(HttpClient auditor, string path)
    {
        var records = new List<JsonElement>();
        for (Uri? next = new(path, UriKind.Relative); next is not null;)
        {
            using var response = await auditor.GetAsync(next);
            if (await Json(response) is not { } page) break;
            records.AddRange(page.EnumerateArray());
            next = NextPage(response);
        }
        return records;
    }

    /// <summary>The target of the answer's RFC 8288 Link with rel="next", resolved against the address asked; null on the last page.</summary>
    internal static Uri? NextPage(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values)) return null;
        foreach (var link in values.SelectMany(v => v.Split(',')).Select(l => l.Trim()))
        {
            var end = link.IndexOf('>');
            if (!link.StartsWith('<') || end < 0) continue;
            if (link[(end + 1)..].Split(';').Any(p => p.Trim().Replace("\"", "") == "rel=next"))
                return new Uri(response.RequestMessage!.RequestUri!, link[1..end]);
        }
        return null;
    }

    /// <summary>A record in one line: when (Japan time), who asked whom, for which affair and item, and how it ended.</summary>
    private static string Describe(JsonElement r) =>
        $"{r.GetProperty("requestedAt").GetDateTimeOffset().ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd HH:mm:ss} JST " +
        $"{r.GetProperty("requester").GetString()}→{r.GetProperty("provider").GetString()} {r.GetProperty("affair").GetString()} {r.GetProperty("item").GetString()} " +
        $"{r.GetProperty("outcome").GetString()}{(r.TryGetProperty("reason", out var why) && why.ValueKind == JsonValueKind.String ? " (" + why.GetString() + ")" : "")}";

    private static async Task<JsonElement?> Json(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"  {(int)response.StatusCode} {response.RequestMessage?.RequestUri?.AbsolutePath}: {body}");
            return null;
        }
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
