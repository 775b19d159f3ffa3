using System.CommandLine;
using Renkei.Cli.Network;
using Renkei.Node.Codes;

namespace Renkei.Cli.Linkage;

/// <summary>
/// <c>renkei node release-code</c>: releases the agency codes of addressees that hold the wrong person's (a shifted line, two
/// addressees swapped), keeping their copies, so that issue-codes can then give each the right one.
/// </summary>
public static class ReleaseCodeCommand
{
    public static Command Create()
    {
        var data = UpCommand.DataOption();
        var agency = new Option<string>("--agency") { Description = "機関ID（地方公共団体コード等）/ the agency id", Required = true };
        var addressee = new Option<string[]>("--addressee")
        {
            Description = "符号を解放する宛名番号（複数可）/ the addressee number whose code to release (may be given several times)",
            Required = true, AllowMultipleArgumentsPerToken = true,
        };
        var yes = new Option<bool>("--yes")
        {
            Description = "確認せずに解放する（端末から実行しないときは必須）/ release without asking first (required when not run from a terminal)",
        };
        var command = new Command("release-code",
            "宛名番号の機関別符号を解放する（別の人の符号が付いたときに。そのあと issue-codes で正しい符号を取得し直す。副本は宛名番号のものなので残り、"
            + "正しい符号が付けばそのまま提供される）/ "
            + "release an addressee's agency code (when it holds another person's; then obtain the right one with issue-codes). The addressee's copies stay: "
            + "they are the addressee's own, and are provided again once the right code is issued")
        {
            data, agency, addressee, yes,
        };
        var remote = new RemoteOptions(codes: false, TokenVariable.NodeAddressee);
        remote.AddTo(command, data);
        command.SetAction(async (parse, ct) =>
        {
            await using var services = remote.Chosen(parse) ? remote.Open(parse) : null;
            if (remote.Chosen(parse) && services is null) return 1;
            var agencyId = parse.GetValue(agency)!;
            var numbers = parse.GetValue(addressee)!.Select(n => n.Trim()).ToList();
            // Checked before anything is released, by position: a value that is no addressee number is never repeated (it may be an Individual Number).
            var wrong = numbers.Select((n, i) => (Problem: CodeManagementApi.AddresseeNumberProblem(n), At: i + 1)).Where(x => x.Problem is not null).ToList();
            foreach (var (problem, at) in wrong) Console.Error.WriteLine($"{at}番目の --addressee / --addressee no. {at}: {problem}");
            if (wrong.Count > 0) return 1;
            // Until issue-codes runs again, the addressee's copies answer no inquiry: a script says it means it, a person is asked.
            var ask = !parse.GetValue(yes);
            if (ask && Console.IsInputRedirected)
            {
                Console.Error.WriteLine("端末から実行しないときは --yes を付けてください（符号を確認なしで解放します）/ "
                    + "not run from a terminal: add --yes to release the codes without being asked");
                return 2;
            }

            SandboxNetwork? own = null;
            try
            {
                HttpClient client;
                if (services is not null)
                {
                    if (!await services.ReachAsync(ct)) return 1;
                    client = services.Client(services.Node, TokenVariable.NodeAddressee);
                }
                else
                {
                    (var linkage, own) = await NodeCommands.ConnectAsync(Path.GetFullPath(parse.GetValue(data)!), ct);
                    if (linkage.NodeCallers.FirstOrDefault(c => c.Name == $"{agencyId}-addressee") is not { } caller)
                    {
                        Console.Error.WriteLine($"この中間サーバーにその機関はありません / no such agency on this node: {agencyId}");
                        return 1;
                    }
                    client = LinkageSandbox.Client(linkage.NodeUrl, caller.Token, linkage.Handler);
                }
                using var _ = client;
                var distinct = numbers.Distinct(StringComparer.Ordinal).ToList();
                if (ask)
                {
                    var holding = 0;
                    foreach (var number in distinct)
                    {
                        var would = await AddresseeSystem.ReleaseCodeAsync(client, agencyId, number, ct, dryRun: true);
                        if (would.CodeReleased) holding++;
                        Console.WriteLine(would.CodeReleased
                            ? $"{number}: 符号を解放します。副本は残ります / will release its code; its copies stay: {Copies(would)}"
                            : $"{number}: {NoCode}");
                    }
                    if (holding == 0) return 0;
                    Console.Write("解放しますか / release them? [y/N] ");
                    if (Console.ReadLine()?.Trim().ToLowerInvariant() is not ("y" or "yes"))
                    {
                        Console.Error.WriteLine("解放しませんでした / nothing was released");
                        return 1;
                    }
                }
                // An unknown agency (the node's only 404 here) fails the first release alike: the outer catch says it once.
                foreach (var number in distinct)
                {
                    var receipt = await AddresseeSystem.ReleaseCodeAsync(client, agencyId, number, ct);
                    Console.WriteLine(receipt.CodeReleased
                        ? $"{number}: 符号を解放しました。残した副本 / code released; copies kept: {Copies(receipt)}"
                        : $"{number}: {NoCode}");
                }
                return 0;
            }
            catch (HttpRequestException e)
            {
                Console.Error.WriteLine($"失敗しました / failed: {(services is not null && e is AddresseeSystem.Refused refused
                    ? refused.Message + RemoteServices.Hint(refused.StatusCode, TokenVariable.NodeAddressee)
                    : RemoteServices.Said(services, e))}");
                return 1;
            }
            finally { if (own is not null) await own.DisposeAsync(); }
        });
        return command;
    }

    /// <summary>An addressee with no code (its copies imported ahead of its code, or the number mistyped) is left as it is.</summary>
    private const string NoCode = "符号はありません。何も変わりません / holds no code; nothing changes";

    private static string Copies(ReleaseReceipt receipt) => receipt.CopiesKept.Count == 0 ? "なし / none" : string.Join(", ", receipt.CopiesKept);
}
