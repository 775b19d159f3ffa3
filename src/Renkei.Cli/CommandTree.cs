using System.CommandLine;
using Renkei.Cli.Bench;
using Renkei.Cli.Card;
using Renkei.Cli.Linkage;
using Renkei.Cli.Network;
using Renkei.Cli.Numbers;
using Renkei.Cli.Pki;
using Renkei.Cli.Records;
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
        root.Subcommands.Add(RecordsCommands.Create());
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
    /// answer (suggestions, help, the errors, exit 1) with its English lines put into Japanese first by <see cref="UsageErrors"/>,
    /// all of it on standard error: on standard output it would land in the file a redirect names (<c>export … &gt; residents.csv</c>).
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        // No response files: nothing of renkei needs them, and "@…" would be read as a file of arguments where it is an
        // argument (a document to sign, a number to check) and refused with an English-only "Response file not found".
        var parse = Create().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count == 0 && parse.Action is System.CommandLine.Help.HelpAction)
        {
            // Help is written by the library with English headings: it is put into "日本語 / English" as the errors are.
            var help = new StringWriter();
            var code = parse.Invoke(new InvocationConfiguration { Output = help });
            Console.Out.Write(UsageErrors.Bilingual(help.ToString()));
            return code;
        }
        if (parse.Errors.Count == 0)
        {
            try { return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }); }
            catch (Exception e) { return Failed(e, Console.Error); }
        }
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
        Console.Error.Write(UsageErrors.Bilingual(output.ToString()));
        Console.Error.Write(UsageErrors.Bilingual(error.ToString()));
        return exit;
    }

    /// <summary>A command's failure a person can act on: the message on stderr, exit code 1.</summary>
    internal static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 1;
    }

    /// <summary>What a command that threw says, and its exit code: one line for what a person can act on, a trace only for a fault of ours.</summary>
    internal static int Failed(Exception e, TextWriter error)
    {
        switch (e)
        {
            case UnauthorizedAccessException:
                // A data folder or file this user may not use (a system folder, another user's): something to act on, not a stack trace.
                error.WriteLine($"ファイルまたはフォルダを使う権限がありません。--data などで別の場所を指定してください / permission denied: {e.Message} Choose another place (--data, --out).");
                return 1;
            case TaskCanceledException { InnerException: TimeoutException }:
                // An HttpClient's timeout surfaces as a cancellation: a service that did not answer, not a Ctrl+C.
                error.WriteLine($"サービスが時間内に応答しませんでした / a service did not answer in time: {e.InnerException.Message}");
                return 1;
            case OperationCanceledException:
                error.WriteLine("中断しました / interrupted");
                return Interruption.ExitCode;
            case HttpRequestException { StatusCode: { } status } when !e.Message.Contains(" / ", StringComparison.Ordinal):
                // EnsureSuccessStatusCode's: the service is up and answered, so neither "connection lost" nor "check the network".
                var (answeredJapanese, answeredEnglish) = ProblemText.Status(status, null);
                error.WriteLine($"{answeredJapanese}。サービスのログを確かめてください / the service answered {answeredEnglish}: see its log");
                return 1;
            case HttpRequestException request when !ServiceGone.IsGone(request):
                error.WriteLine(e.Message); // our own refusal, already in both languages
                return 1;
            case HttpRequestException:
                // A service gone away, cut short or refusing under a command without a message of its own for it: the network's
                // condition, said in one line, not a fault of ours.
                var (whyJapanese, whyEnglish) = ServiceGone.Why(e);
                error.WriteLine($"サービスと通信できませんでした（{whyJapanese}）。ネットワークが動いているか確かめてください / "
                    + $"could not talk to a service ({whyEnglish}): check that the network runs");
                return 1;
            case NetworkUnavailableException:
                error.WriteLine(e.Message); // one line, Japanese then English, naming the folder
                return 1;
            case Exception when IoText.IsWriteFailure(e):
            {
                // A full disk, a file past its size limit, a read-only file system, a file gone while read: the machine's condition, not a fault of ours.
                var (japanese, english) = IoText.Reason(e);
                var path = IoText.PathOf(e);
                error.WriteLine(path is null
                    ? $"読み書きできません（{japanese}）/ cannot read or write: {english}"
                    : $"読み書きできません（{path}: {japanese}）/ cannot read or write {path}: {english}");
                return 1;
            }
            default:
                // What the library's own handler would print: a fault of ours, which the trace helps to find.
                error.WriteLine("Unhandled exception: " + e);
                return 1;
        }
    }
}
