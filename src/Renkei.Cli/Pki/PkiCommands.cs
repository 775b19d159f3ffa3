using System.CommandLine;
using System.Net;
using System.Text.Json;
using System.Security.Cryptography;
using Renkei.Cli.Network;

namespace Renkei.Cli.Pki;

/// <summary><c>renkei pki …</c>: the CA certificates and the CRLs of the running network, and the PKI's following of the Registry's events.</summary>
public static class PkiCommands
{
    public static Command Create()
    {
        var pki = new Command("pki", "公的個人認証の認証局 / the JPKI certification authorities");
        pki.Subcommands.Add(Chain());
        pki.Subcommands.Add(Crl());
        pki.Subcommands.Add(Feed());
        pki.Subcommands.Add(Recheck());
        return pki;
    }

    private static Command Feed()
    {
        var data = UpCommand.DataOption();
        var command = new Command("feed", "住基のイベントの反映状況を表示する / show whether the PKI follows the Registry's events (following, rewound, not-following), " +
            "from which position, when rewound, why and what to do, and how the running (or last) re-check goes") { data };
        command.SetAction(async (parse, ct) =>
        {
            await using var pki = await PkiConnection.OpenAsync(parse.GetValue(data)!, ct);
            using var response = await pki.Http.GetAsync("api/registry-feed", ct);
            var body = await AnswerText.ReadAsync(response.Content, ct);
            if (!response.IsSuccessStatusCode) return CommandTree.Fail(ProblemText.Of(response, body));
            var feed = JsonDocument.Parse(body).RootElement;
            var status = feed.GetProperty("status").GetString();
            // Japanese first, each value after its bilingual name; the API's own word (following, done…) stays in the English half for scripts.
            Console.Out.WriteLine($"住基イベントの反映 / Registry events: {Said(status)}, 位置 / position {feed.GetProperty("position").GetInt64()}, " +
                $"イベント / event {Text(feed, "eventId")}");
            if (status == "rewound") Console.Out.WriteLine(Text(feed, "detail"));
            if (feed.TryGetProperty("recheck", out var recheck) && recheck.ValueKind == JsonValueKind.Object)
            {
                var total = recheck.TryGetProperty("total", out var t) ? t.GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture) : "?";
                Console.Out.WriteLine($"照合 / re-check: {Said(recheck.GetProperty("state").GetString())}, 開始 / started {recheck.GetProperty("startedAt").GetString()}, " +
                    $"照合済み / checked {recheck.GetProperty("checked").GetInt32()}/{total}, 反映したイベント / events replayed {recheck.GetProperty("replayed").GetInt32()}, " +
                    $"所持者不在 / holder gone {recheck.GetProperty("holderGone").GetArrayLength()}, " +
                    $"記載事項の変更 / items changed {recheck.GetProperty("itemsChanged").GetArrayLength()}");
                if (recheck.GetProperty("state").GetString() == "failed") Console.Out.WriteLine(Text(recheck, "detail"));
            }
            // A rewound feed is a state to act on: scripts see it in the exit code.
            return status == "rewound" ? 1 : 0;
        });
        return command;
    }

    private static Command Recheck()
    {
        var data = UpCommand.DataOption();
        var command = new Command("recheck", "有効なカードすべてを住基の現在の記録と照合する / re-check every live card against the Registry's current records " +
            "(after the Registry was restored from a backup): revoke the cards of holders who died, moved abroad or are not on the register, the signing " +
            "certificates whose name, address, date of birth or sex changed, then follow the Registry's events on from its current end. The PKI runs it " +
            "in the background; this command starts it (or follows the one running) and shows its progress until it ends") { data };
        command.SetAction(async (parse, ct) =>
        {
            using var stop = new Interruption(ct);
            await using var pki = await PkiConnection.OpenAsync(parse.GetValue(data)!, stop.Token);
            try
            {
                using (var response = await pki.Http.PostAsync("api/registry-feed/recheck", null, stop.Token))
                {
                    var body = await AnswerText.ReadAsync(response.Content, stop.Token);
                    if (response.StatusCode == HttpStatusCode.Conflict && body.Contains(":recheck-running", StringComparison.Ordinal))
                        Console.Error.WriteLine("照合はすでに実行中です。その照合の進み具合を表示します / a re-check is already running: following it");
                    else if (response.StatusCode != HttpStatusCode.Accepted) return CommandTree.Fail(ProblemText.Of(response, body));
                }
                // Its total is known once the events from the kept position are applied and the live cards counted.
                var recheck = await RecheckAsync(pki.Http, r => r.TryGetProperty("total", out _), stop.Token);
                if (Running(recheck))
                    recheck = await CommandProgress.RunAsync("照合 / cards", recheck.GetProperty("total").GetInt32(),
                        report => RecheckAsync(pki.Http, r => { report(r.GetProperty("checked").GetInt32()); return false; }, stop.Token));
                static string Cards(JsonElement list) => list.GetArrayLength() == 0 ? "" : " " + string.Join(" ", list.EnumerateArray().Select(c => c.GetString()));
                var replayed = recheck.GetProperty("replayed").GetInt32();
                if (replayed > 0) Console.Out.WriteLine($"反映したイベント / events applied from the kept position: {replayed}");
                Console.Out.WriteLine($"照合したカード / cards checked: {recheck.GetProperty("checked").GetInt32()}");
                Console.Out.WriteLine($"所持者不在で失効 / revoked, holder gone: {recheck.GetProperty("holderGone").GetArrayLength()}{Cards(recheck.GetProperty("holderGone"))}");
                Console.Out.WriteLine($"署名用証明書を失効 / signing certificate revoked, items changed: {recheck.GetProperty("itemsChanged").GetArrayLength()}{Cards(recheck.GetProperty("itemsChanged"))}");
                if (recheck.GetProperty("state").GetString() != "done")
                    return CommandTree.Fail($"照合は終わりませんでした / the re-check did not finish: {Text(recheck, "reason")}: {Text(recheck, "detail")}");
                var position = recheck.GetProperty("position").GetInt64();
                Console.Out.WriteLine($"位置 {position} から反映を続けます / following on from position {position}");
                return 0;
            }
            catch (HttpRequestException e)
            {
                return CommandTree.Fail($"照合を見届けられませんでした / could not follow the re-check: {Linkage.ServiceGone.Said(e)}");
            }
            catch (OperationCanceledException) when (stop.Requested)
            {
                // The PKI goes on with what it started whatever its caller does, unless it is this command's own network, which stops now.
                Console.Error.WriteLine(pki.OwnsNetwork
                    ? "中断しました。照合はこのコマンドが起動したネットワークとともに止まります。照合済みの失効はそのままで、読取位置は動きません。もう一度実行してください / " +
                      "interrupted: the re-check stops with the network this command started; what it revoked stays revoked and the feed position is not moved: run it again"
                    : "中断しました。照合はPKIで続きます（renkei pki feed で進み具合を見られます） / interrupted: the re-check goes on at the PKI (renkei pki feed shows how it goes)");
                return Interruption.ExitCode;
            }
        });
        return command;
    }

    /// <summary>A state of the feed or of a re-check as the API names it, with its Japanese before it.</summary>
    private static string Said(string? state) => state switch
    {
        "following" => "反映中 / following",
        "rewound" => "住基が巻き戻っています / rewound",
        "not-following" => "反映していません / not-following",
        "running" => "実行中 / running",
        "done" => "完了 / done",
        "failed" => "失敗 / failed",
        _ => state ?? "-",
    };

    private static bool Running(JsonElement recheck) => recheck.GetProperty("state").GetString() == "running";

    /// <summary>Reads the re-check from GET /api/registry-feed until it has ended or <paramref name="enough"/>, shown each read, says so.</summary>
    private static async Task<JsonElement> RecheckAsync(HttpClient http, Func<JsonElement, bool> enough, CancellationToken ct)
    {
        while (true)
        {
            using var response = await http.GetAsync("api/registry-feed", ct);
            var body = await AnswerText.ReadAsync(response.Content, ct);
            if (!response.IsSuccessStatusCode) throw new HttpRequestException(ProblemText.Of(response, body));
            var feed = JsonDocument.Parse(body).RootElement;
            // None shown: the PKI was restarted since, and the re-check with it.
            if (!feed.TryGetProperty("recheck", out var recheck) || recheck.ValueKind != JsonValueKind.Object)
                throw new HttpRequestException("PKIに照合の記録がありません（PKIが再起動した？） / the PKI shows no re-check (was it restarted?): run it again");
            if (enough(recheck) || !Running(recheck)) return recheck.Clone();
            await Task.Delay(250, ct);
        }
    }

    private static string Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "-";

    private static Command Chain()
    {
        var data = UpCommand.DataOption();
        var command = new Command("chain", "認証局の証明書をPEMで表示する / print the CA certificates (root, signing CA, authentication CA) as PEM") { data };
        command.SetAction(async (parse, ct) =>
        {
            await using var pki = await PkiConnection.OpenAsync(parse.GetValue(data)!, ct);
            using var response = await pki.Http.GetAsync("ca/chain.pem", ct);
            var body = await AnswerText.ReadAsync(response.Content, ct);
            // The service's own words (storage full, busy, not ready …), not only its status.
            if (!response.IsSuccessStatusCode) return CommandTree.Fail(ProblemText.Of(response, body));
            Console.Out.Write(body);
            return 0;
        });
        return command;
    }

    private static Command Crl()
    {
        var data = UpCommand.DataOption();
        var kind = new Option<string>("--kind") { Description = "失効リストの種類: signing（署名用）または authentication（利用者証明用）/ which CRL: signing or authentication", Required = true }.OneOf("signing", "authentication");
        var command = new Command("crl", "現在の失効リストをPEMで表示する / print the current CRL as PEM (the OCSP URL is in DIR/network.json)") { data, kind };
        command.SetAction(async (parse, ct) =>
        {
            await using var pki = await PkiConnection.OpenAsync(parse.GetValue(data)!, ct);
            using var response = await pki.Http.GetAsync($"crl/{parse.GetValue(kind)}.crl", ct);
            if (!response.IsSuccessStatusCode) return CommandTree.Fail(ProblemText.Of(response, await AnswerText.ReadAsync(response.Content, ct)));
            var der = await response.Content.ReadAsByteArrayAsync(ct);
            Console.Out.WriteLine(PemEncoding.WriteString("X509 CRL", der));
            return 0;
        });
        return command;
    }
}
