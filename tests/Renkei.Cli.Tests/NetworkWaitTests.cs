using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>Commands that use the network of a data folder whose network is still starting, or held by another process.</summary>
public class NetworkWaitTests
{
    /// <summary>
    /// Each command that needs the network, on a folder whose lock another process holds (as renkei up does while it starts,
    /// and a command running its own network does while it runs), waited for as long as RENKEI_NETWORK_WAIT_SECONDS says.
    /// </summary>
    public static TheoryData<string> Commands => new()
    {
        "pki chain",
        "pki crl --kind signing",
        "card issue --number 123456789018 --pin 1234 --signing-password ABC123 --out OUT/new.card",
        "node issue-codes --agency 122173 --file OUT/people.csv",
        "node import-copies --agency 122173 --file OUT/copies.jsonl",
        "node inquire-batch --agency 131059 --affair child-allowance --provider 122173 --item local-tax --file OUT/list.txt",
        "demo moving-family",
    };

    [Theory, MemberData(nameof(Commands))]
    public async Task A_command_waits_for_a_network_held_by_another_process_then_says_in_one_line_that_it_did_not_come(string command)
    {
        using var data = new TempFolder();
        using var inputs = new TempFolder();
        await File.WriteAllTextAsync(inputs.File("people.csv"), "K-1,123456789018\n");
        await File.WriteAllTextAsync(inputs.File("copies.jsonl"), """{"addresseeNumber":"K-1","item":"local-tax","schemaVersion":1,"content":{}}""" + "\n");
        await File.WriteAllTextAsync(inputs.File("list.txt"), "B-1\n");
        string[] args = [.. command.Replace("OUT", inputs.Path).Split(' '), "--data", data.Path];
        CliResult result;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using (Renkei.Hosting.FileLock.Take(Path.Combine(data.Path, "network.lock"), TimeSpan.Zero))
            result = await RenkeiCommand.RunAsync(args, null, TimeSpan.FromMinutes(1), null, new Dictionary<string, string> { ["RENKEI_NETWORK_WAIT_SECONDS"] = "2" });

        // It used to end at once in "Unhandled exception: System.IO.IOException" and a stack trace.
        Assert.True(result.ExitCode == 1, result.Output + result.Error);
        Assert.DoesNotContain("Unhandled exception", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2), $"gave up after {watch.Elapsed}");
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.Contains("のネットワークが起動中です。待っています / the network in") && l.Contains("is starting: waiting for it"));
        var failure = Assert.Single(lines, l => l.Contains("2 秒待っても"));
        Assert.StartsWith($"{data.Path} のネットワークは 2 秒待っても使えるようになりませんでした", failure);
        Assert.Contains($" / the network in {data.Path} did not come up within 2 s", failure);
        Assert.False(File.Exists(inputs.File("new.card")));
    }

    [Fact]
    public async Task A_pki_command_on_a_folder_where_no_network_runs_says_in_one_line_that_it_starts_one_there_and_makes_a_missing_folder()
    {
        using var parent = new TempFolder();
        var typo = parent.File("dta"); // `renkei pki chain --data ./dta`
        var chain = await RenkeiCommand.RunAsync("pki", "chain", "--data", typo);
        Assert.True(chain.ExitCode == 0, chain.Error);
        Assert.Contains("BEGIN CERTIFICATE", chain.Output);
        // It used to answer from a network made there without a word on standard error.
        // A test beside this one may hold a port of 7100's (UpCommandTests does): then the folder is given another base port,
        // and that is said on a line of its own, which is all else that may be said.
        var portNote = Renkei.Cli.Network.FolderPort.NotDefaultNote(Assert.NotNull(Renkei.Cli.Network.FolderPort.Kept(typo)));
        var said = Assert.Single(chain.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), l => l != portNote);
        Assert.Equal($"{typo} で動いているネットワークがないため、このコマンドのために起動します（終われば止めます。フォルダがないので作成し、新しいネットワークを作ります）/ "
            + $"no network is running in {typo}: starting one for this command, until it ends (the folder does not exist: it will be created, with a new network in it)", said);

        // The folder now holds that network, stopped: the next command starts it again, and says so the same way.
        var feed = await RenkeiCommand.RunAsync("pki", "feed", "--data", typo);
        Assert.True(feed.ExitCode == 0, feed.Error);
        Assert.Equal($"{typo} で動いているネットワークがないため、このコマンドのために起動します（終われば止めます）/ no network is running in {typo}: starting one for this command, until it ends",
            feed.Error.Trim());
    }

    [Fact]
    public void The_start_notice_says_a_new_network_is_made_in_a_folder_that_holds_none()
    {
        using var empty = new TempFolder();
        Assert.EndsWith("(it holds no network yet: a new one will be made in it)", Renkei.Cli.Network.NetworkAccess.StartNotice(empty.Path));
        Assert.Contains("ネットワークのデータがないので新しく作ります", Renkei.Cli.Network.NetworkAccess.StartNotice(empty.Path));
    }

    [Fact]
    public async Task The_catch_all_prints_an_input_or_output_failure_in_one_line_without_a_stack_trace()
    {
        using var data = new TempFolder();
        Assert.Equal(0, (await RenkeiCommand.RunAsync("registry", "seed", "--data", data.Path, "--municipalities", "1", "--residents", "2000", "--seed", "3")).ExitCode);
        // A full disk under the output: /dev/full answers every write with ENOSPC.
        var (exit, _, error) = await RenkeiCommand.RunAsync(["registry", "export", "--data", data.Path], stdin: null, TimeSpan.FromMinutes(1),
            launcher: RenkeiCommand.Shell(after: "> /dev/full"));
        Assert.Equal(1, exit);
        Assert.DoesNotContain("Unhandled exception", error);
        Assert.DoesNotContain("   at ", error);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("読み書きできません（空き容量がありません）/ cannot read or write: no space left on the device", line);
    }
}
