using System.CommandLine;
using Renkei.Cli.Linkage;
using Renkei.Cli.Network;

namespace Renkei.Cli.Records;

/// <summary><c>renkei records …</c>: oversight of the provision records (情報提供等記録).</summary>
public static class RecordsCommands
{
    /// <summary>With --node: one token that the node gives <c>tenant:ID</c> for each agency audited, and <c>records</c>.</summary>
    public static readonly TokenVariable NodeRecords = new("RENKEI_NODE_RECORDS_TOKEN",
        "中間サーバーで監査する各機関の tenant:機関ID と records の権限を持つトークン", "the token at the node with tenant:AGENCY for each agency audited, and records");

    /// <summary>From this many tenants on, a progress line on standard error (and the tenants' lines once all are checked).</summary>
    internal const int ProgressFrom = 20;

    public static Command Create() => new("records", "情報提供等記録の監査 / oversight of the provision records") { AuditHeads() };

    private static Command AuditHeads()
    {
        var data = UpCommand.DataOption();
        var agency = new Option<string[]>("--agency")
        {
            Description = "監査する機関ID（複数可。既定はコアに登録された、この中間サーバーの全機関）/ "
                + "an agency to audit (may be given several times; default: every agency the core registers on this node)",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("audit-heads",
            "各当事者に示された署名済みツリーヘッドを突き合わせる：各機関が保管したコアのツリーヘッドを、いまコアが示す記録が含むか、"
            + "コアが立ち会った各機関のツリーヘッドを、いま中間サーバーが示す記録が含むか（整合性証明で）。すべて一致したときだけ終了コード 0 / "
            + "compare the signed tree heads different parties were shown: whether the core's log as it shows it now extends each tenant's kept "
            + "head of it, and each tenant's log as its node shows it now extends the head of it the core witnessed (by consistency proofs); exit 0 only when every view is consistent")
        {
            data, agency,
        };
        var remote = new RemoteOptions(core: true, registry: false, NodeRecords);
        remote.AddTo(command, data);
        command.SetAction(async (parse, ct) =>
        {
            await using var services = remote.Chosen(parse) ? remote.Open(parse) : null;
            if (remote.Chosen(parse) && services is null) return 1;
            SandboxNetwork? own = null;
            try
            {
                HttpMessageHandler handler;
                Uri coreUrl, nodeUrl;
                Func<string, string?> tokenOf;
                if (services is not null)
                {
                    if (!await services.ReachAsync(ct)) return 1;
                    (handler, coreUrl, nodeUrl) = (services.Handler, services.Core!, services.Node);
                    tokenOf = _ => services.Token(NodeRecords);
                }
                else
                {
                    (var linkage, own) = await NodeCommands.ConnectAsync(Path.GetFullPath(parse.GetValue(data)!), ct);
                    (handler, coreUrl, nodeUrl) = (linkage.Handler, linkage.CoreUrl, linkage.NodeUrl);
                    tokenOf = id => linkage.NodeCallers.FirstOrDefault(c => c.Name == $"{id}-auditor")?.Token;
                }
                using var core = Client(handler, coreUrl);
                using var node = Client(handler, nodeUrl);
                var audit = new HeadAudit(core, node, tokenOf);
                if (await audit.StartAsync(ct) is { } coreRefused)
                {
                    Console.WriteLine($"コア / core: {(coreRefused.Agreement == Agreement.Differs ? "不一致 / NOT consistent" : "未確認 / not checked")}: {coreRefused}");
                    Console.Error.WriteLine("コアの署名済みツリーヘッドを得られないため、何も比べられません / without the core's signed tree head nothing can be compared");
                    return 1;
                }
                Console.WriteLine($"コア / core: 署名済みツリーヘッド {audit.CoreHead.Size:N0} 件 / signed tree head of {audit.CoreHead.Size:N0} records");
                if (await audit.AgenciesAsync(ct) is not { } registered) return 1;
                if (Chosen(parse.GetValue(agency), registered, nodeUrl) is not { } agencies) return 1;
                var results = new List<TenantAudit>();
                if (agencies.Count < ProgressFrom)
                    foreach (var one in agencies)
                    {
                        results.Add(await audit.TenantAsync(one, ct));
                        Console.WriteLine(results[^1].Line());
                    }
                else
                {
                    // A bar on standard error while standard output waits: the lines would break the bar on a terminal.
                    await CommandProgress.RunAsync("ツリーヘッド / tree heads", agencies.Count, async report =>
                    {
                        foreach (var one in agencies)
                        {
                            results.Add(await audit.TenantAsync(one, ct));
                            report(results.Count);
                        }
                        return results.Count;
                    });
                    foreach (var result in results) Console.WriteLine(result.Line());
                }
                return Summary(results);
            }
            catch (HttpRequestException e)
            {
                Console.Error.WriteLine($"失敗しました / failed: {RemoteServices.Said(services, e)}");
                return 1;
            }
            finally { if (own is not null) await own.DisposeAsync(); }
        });
        return command;
    }

    /// <summary>
    /// The agencies named by --agency (one the core does not register is said and refused), else every agency the core registers:
    /// only those it registers at the audited node's URL (a core serves many nodes). Null, said on standard error, when there are none.
    /// </summary>
    private static List<RegisteredAgency>? Chosen(string[]? named, List<RegisteredAgency> registered, Uri node)
    {
        if (named is { Length: > 0 })
        {
            var unknown = named.Where(id => registered.All(a => a.AgencyId != id)).ToList();
            foreach (var id in unknown) Console.Error.WriteLine($"コアに登録されていない機関です / not an agency registered with the core: {id}");
            return unknown.Count > 0 ? null : [.. named.Distinct(StringComparer.Ordinal).Select(id => registered.First(a => a.AgencyId == id))];
        }
        var chosen = registered.Where(a => SameUrl(a.NodeAddress, node)).ToList();
        if (chosen.Count > 0) return chosen;
        Console.Error.WriteLine($"コアに {node} の機関として登録されたものがありません。--agency で機関を指定してください / the core registers no agency at {node}: name them with --agency");
        return null;
    }

    private static bool SameUrl(string address, Uri node) =>
        Uri.TryCreate(address.EndsWith('/') ? address : address + "/", UriKind.Absolute, out var url) && url == node;

    /// <summary>Exit 0 only when no view differs and every one was checked; the tenants that are not are named on standard error.</summary>
    private static int Summary(List<TenantAudit> results)
    {
        var differ = results.Where(r => r.Agreement == Agreement.Differs).Select(r => r.AgencyId).ToList();
        var notChecked = results.Where(r => r.Agreement == Agreement.Unchecked).Select(r => r.AgencyId).ToList();
        if (differ.Count == 0 && notChecked.Count == 0)
        {
            // Nothing kept or witnessed yet is no difference, but no proof of agreement either: said as such.
            var compared = results.Count(r => r.Agreement == Agreement.Consistent);
            Console.WriteLine(compared == 0
                ? "比べるものがまだありません（ツリーヘッドの保管も立会いもまだです）/ nothing to compare yet: no head was kept or witnessed"
                : compared == results.Count
                ? $"すべての見え方が一致しました（{compared:N0} 機関）/ every view is consistent ({compared:N0} tenants)"
                : $"すべての見え方が一致しました（{compared:N0} 機関。ほかの {results.Count - compared:N0} 機関はまだ比べるものがありません）/ "
                    + $"every view is consistent ({compared:N0} tenants; {results.Count - compared:N0} with nothing to compare yet)");
            return 0;
        }
        if (differ.Count > 0)
            Console.Error.WriteLine($"見え方が一致しない機関があります（記録が分岐しているか、書き換えられています）/ views differ (a log forked or rewritten): {string.Join(", ", differ)}");
        if (notChecked.Count > 0)
            Console.Error.WriteLine($"確かめられなかった機関があります / not checked: {string.Join(", ", notChecked)}");
        return 1;
    }

    private static HttpClient Client(HttpMessageHandler handler, Uri service) =>
        new(handler, disposeHandler: false) { BaseAddress = service, Timeout = NetworkAccess.AnswerWait };
}
