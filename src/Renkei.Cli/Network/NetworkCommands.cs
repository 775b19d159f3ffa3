using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using Renkei.Hosting.Tls;

namespace Renkei.Cli.Network;

/// <summary>
/// <c>renkei network …</c>: the network CA in DIR/network that <c>renkei up</c> made, and its revocation list. It works on
/// the files, so it needs no running network; a running one re-reads the list within seconds.
/// </summary>
public static class NetworkCommands
{
    private static readonly Dictionary<string, X509RevocationReason> Reasons = new()
    {
        ["key-compromise"] = X509RevocationReason.KeyCompromise,
        ["superseded"] = X509RevocationReason.Superseded,
        ["affiliation-changed"] = X509RevocationReason.AffiliationChanged,
        ["cessation-of-operation"] = X509RevocationReason.CessationOfOperation,
    };

    public static Command Create() => new("network", "ネットワークCAと失効リスト / the network CA and its revocation list")
    {
        Revoke(),
        Crl(),
    };

    private static Command Revoke()
    {
        var data = UpCommand.DataOption();
        var name = new Argument<string>("CERTIFICATE")
        {
            Description = "失効させる証明書の名前（DIR/network の core、node、registry、pki）/ the certificate to revoke, by its name in DIR/network: core, node, registry or pki",
        };
        name.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            // "ca" is a name of the right form whose revocation is refused: a decision the action says, without the usage a parse error prints.
            // Certificate files are named as node ids are (core, node, node-2): no path can be smuggled in.
            if (value != "ca" && !NetworkIdentity.IsNodeId(value))
                result.AddError($"証明書の名前は英小文字・数字・ハイフンです / a certificate name is lower-case letters, digits and hyphens (got '{value}')");
        });
        var reason = new Option<string>("--reason")
        {
            Description = "失効理由 / why", DefaultValueFactory = _ => "key-compromise",
        }.OneOf([.. Reasons.Keys]);
        var command = new Command("revoke", "ネットワークの TLS 証明書を失効させる / revoke a TLS certificate of the network (a node's, the core's, the Registry's or the PKI's) before it expires")
        {
            name, data, reason,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(name) == "ca")
            {
                Console.Error.WriteLine("CA自身は失効できません。ca.pem と ca.key を消すと次の起動で作り直します / the CA itself cannot be revoked; delete ca.pem and ca.key and the next start makes a new one");
                return 1;
            }
            if (Open(parse.GetValue(data)!) is not { } ca) return 1;
            using (ca)
            {
                try
                {
                    var (certificate, at, already) = ca.Revoke(parse.GetValue(name)!, Reasons[parse.GetValue(reason)!]);
                    using (certificate)
                    {
                        var who = NetworkIdentity.Of(certificate) ?? certificate.Subject;
                        Console.Out.WriteLine(already
                            ? $"既に失効しています / already revoked at {at:u}: {who}, serial {certificate.SerialNumber}"
                            : $"失効させました / revoked at {at:u}: {who}, serial {certificate.SerialNumber}");
                    }
                    Console.Out.WriteLine("動作中のネットワークは数秒以内にこの証明書を拒否します。次の renkei up で新しい証明書が発行されます / "
                        + "a running network refuses this certificate within seconds; the next renkei up issues a new one");
                    return 0;
                }
                catch (InvalidOperationException e)
                {
                    Console.Error.WriteLine(e.Message);
                    return 1;
                }
            }
        });
        return command;
    }

    private static Command Crl()
    {
        var data = UpCommand.DataOption();
        var command = new Command("crl", "ネットワークCAの失効リストをPEMで表示する / print the network CA's revocation list as PEM (a summary goes to stderr)") { data };
        command.SetAction(parse =>
        {
            if (Open(parse.GetValue(data)!) is not { } ca) return 1;
            using (ca)
            {
                var crl = ca.ReadCrl();
                Console.Error.WriteLine($"失効リスト番号 / CRL number {crl.Number}: 失効 {crl.Count} 件 / {crl.Count} revoked; "
                    + $"更新 / this update {crl.ThisUpdate:u}, 次回 / next update {crl.NextUpdate:u}");
                Console.Out.Write(File.ReadAllText(ca.CrlFile));
                return 0;
            }
        });
        return command;
    }

    /// <summary>The CA in DIR/network, or null (with the reason on stderr) when there is none: these commands never create one.</summary>
    private static NetworkCa? Open(string dataFolder)
    {
        var folder = Path.Combine(Path.GetFullPath(dataFolder), "network");
        if (!File.Exists(Path.Combine(folder, "ca.pem")) || !File.Exists(Path.Combine(folder, "ca.key")))
        {
            Console.Error.WriteLine($"ネットワークCAがありません。先に renkei up を実行してください / no network CA in {folder}: run renkei up first");
            return null;
        }
        try { return NetworkCa.LoadOrCreate(folder); }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine(e.Message); // a damaged revocation list: the message says how to restore it
            return null;
        }
    }
}
