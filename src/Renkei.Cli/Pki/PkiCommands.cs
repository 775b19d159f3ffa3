using System.CommandLine;
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
            "from which position, and, when rewound, why and what to do") { data };
        command.SetAction(async (parse, ct) =>
        {
            await using var pki = await PkiConnection.OpenAsync(parse.GetValue(data)!, ct);
            using var response = await pki.Http.GetAsync("api/registry-feed", ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode) return CommandTree.Fail(ProblemText.Of(body));
            var feed = JsonDocument.Parse(body).RootElement;
            var status = feed.GetProperty("status").GetString();
            Console.Out.WriteLine($"{status} position={feed.GetProperty("position").GetInt64()} event={Text(feed, "eventId")}");
            if (status == "rewound") Console.Out.WriteLine(Text(feed, "detail"));
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
            "certificates whose name, address, date of birth or sex changed, then follow the Registry's events on from its current end") { data };
        command.SetAction(async (parse, ct) =>
        {
            await using var pki = await PkiConnection.OpenAsync(parse.GetValue(data)!, ct);
            // Not cut short by Ctrl+C: the PKI finishes the re-check it started whatever its caller does.
            using var response = await pki.Http.PostAsync("api/registry-feed/recheck", null, CancellationToken.None);
            var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
            if (!response.IsSuccessStatusCode) return CommandTree.Fail(ProblemText.Of(body));
            var result = JsonDocument.Parse(body).RootElement;
            static string Cards(JsonElement list) => list.GetArrayLength() == 0 ? "" : " " + string.Join(" ", list.EnumerateArray().Select(c => c.GetString()));
            Console.Out.WriteLine($"照合したカード / cards checked: {result.GetProperty("checked").GetInt32()}");
            Console.Out.WriteLine($"所持者不在で失効 / revoked, holder gone: {result.GetProperty("holderGone").GetArrayLength()}{Cards(result.GetProperty("holderGone"))}");
            Console.Out.WriteLine($"署名用証明書を失効 / signing certificate revoked, items changed: {result.GetProperty("itemsChanged").GetArrayLength()}{Cards(result.GetProperty("itemsChanged"))}");
            Console.Out.WriteLine($"位置 {result.GetProperty("position").GetInt64()} から反映を続けます / following on from position {result.GetProperty("position").GetInt64()}");
            return 0;
        });
        return command;
    }

    private static string Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "-";

    private static Command Chain()
    {
        var data = UpCommand.DataOption();
        var command = new Command("chain", "認証局の証明書をPEMで表示する / print the CA certificates (root, signing CA, authentication CA) as PEM") { data };
        command.SetAction(async (parse, ct) =>
        {
            await using var pki = await PkiConnection.OpenAsync(parse.GetValue(data)!, ct);
            Console.Out.Write(await pki.Http.GetStringAsync("ca/chain.pem", ct));
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
            var der = await pki.Http.GetByteArrayAsync($"crl/{parse.GetValue(kind)}.crl", ct);
            Console.Out.WriteLine(PemEncoding.WriteString("X509 CRL", der));
            return 0;
        });
        return command;
    }
}
