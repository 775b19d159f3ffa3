using System.CommandLine;
using Renkei.Cli.Bench;
using Renkei.Cli.Card;
using Renkei.Cli.Linkage;
using Renkei.Cli.Network;
using Renkei.Cli.Numbers;
using Renkei.Cli.Pki;
using Renkei.Cli.Registry;

namespace Renkei.Cli;

/// <summary>The <c>renkei</c> command tree.</summary>
public static class CommandTree
{
    /// <summary>The whole command tree: what runs, and what the tests walk.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand("renkei: マイナンバー制度の基盤を動かす / run and use the Renkei network");
        root.Subcommands.Add(UpCommand.Create());
        root.Subcommands.Add(NumberCommands.Create());
        root.Subcommands.Add(RegistryCommands.Create());
        root.Subcommands.Add(CardCommands.Create());
        root.Subcommands.Add(PkiCommands.Create());
        root.Subcommands.Add(NodeCommands.Create());
        root.Subcommands.Add(NetworkCommands.Create());
        root.Subcommands.Add(DemoCommand.Create());

        // Benchmarks: each prints its figures last as one line of JSON.
        root.Subcommands.Add(new Command("bench", "性能を測る / measure throughput; the last line is JSON")
        {
            NumbersBench.Create(),
            SeedBench.Create(),
            PkiBench.Create(),
            LinkageBench.Create(),
        });

        // System.CommandLine's own options speak English only; every other text is Japanese first.
        foreach (var option in root.Options)
            option.Description = option switch
            {
                System.CommandLine.Help.HelpOption => "使い方を表示する / show help and usage information",
                VersionOption => "バージョンを表示する / show version information",
                _ => option.Description,
            };
        return root;
    }

    /// <summary>
    /// Runs <c>renkei</c> with <paramref name="args"/>. A command line it cannot parse gets System.CommandLine's usual
    /// answer (suggestions, help, the errors, exit 1) with its English lines put into Japanese first by <see cref="UsageErrors"/>.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Create().Parse(args);
        if (parse.Errors.Count == 0)
        {
            try { return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }); }
            catch (UnauthorizedAccessException e)
            {
                // A data folder or file this user may not use (a system folder, another user's): something to act on, not a stack trace.
                Console.Error.WriteLine($"ファイルまたはフォルダを使う権限がありません。--data などで別の場所を指定してください / permission denied: {e.Message} Choose another place (--data, --out).");
                return 1;
            }
            catch (OperationCanceledException) { return Interruption.ExitCode; }
            catch (Exception e)
            {
                // What the library's own handler would print: a fault of ours, which the trace helps to find.
                Console.Error.WriteLine("Unhandled exception: " + e);
                return 1;
            }
        }
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
        Console.Out.Write(UsageErrors.Bilingual(output.ToString()));
        Console.Error.Write(UsageErrors.Bilingual(error.ToString()));
        return exit;
    }
}
