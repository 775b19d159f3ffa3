using System.CommandLine;
using System.Security.Cryptography;
using Renkei.Cli.Network;

namespace Renkei.Cli.Pki;

/// <summary><c>renkei pki …</c>: the CA certificates and the CRLs of the running network.</summary>
public static class PkiCommands
{
    public static Command Create()
    {
        var pki = new Command("pki", "公的個人認証の認証局 / the JPKI certification authorities");
        pki.Subcommands.Add(Chain());
        pki.Subcommands.Add(Crl());
        return pki;
    }

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
