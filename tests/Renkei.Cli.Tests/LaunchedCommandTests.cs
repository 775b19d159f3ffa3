using System.Diagnostics;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>A command started through a launcher (sh, env) is held to the same time limit as one started directly.</summary>
public class LaunchedCommandTests
{
    [Fact]
    public async Task A_launched_command_that_does_not_end_is_killed_with_its_launcher_and_the_test_fails_instead_of_hanging()
    {
        // The shell waits before it starts renkei, holding the output pipes: a test that read them to their end first hung with it.
        var watch = Stopwatch.StartNew();
        var failed = await Assert.ThrowsAsync<TimeoutException>(() =>
            RenkeiCommand.RunAsync(["--help"], stdin: null, TimeSpan.FromSeconds(2), launcher: RenkeiCommand.Shell(before: "sleep 300; ")));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"ended after {watch.Elapsed}");
        Assert.StartsWith("sh -c sleep 300; exec \"$0\" \"$@\"  renkei.dll --help did not finish in 00:00:02", failed.Message);
    }

    [Fact]
    public async Task A_started_command_is_ended_with_its_children_and_its_local_data_when_the_test_lets_go_of_it()
    {
        // Audit 21d §2: a test that failed before its command stopped left it running for the rest of the run.
        int launcher, child;
        string localData;
        using (var started = RenkeiCommand.Start(["--help"], launcher: RenkeiCommand.Shell(before: "sleep 300 & echo $!; wait; ")))
        {
            launcher = started.Id;
            child = int.Parse((await started.StandardOutput.ReadLineAsync())!);
            localData = started.StartInfo.Environment["XDG_DATA_HOME"]!;
            Directory.CreateDirectory(localData); // as renkei does once it claims a port
        }
        await Eventually.HoldsAsync(() => Ended(launcher) && Ended(child), "the launcher and its sleep still ran", TimeSpan.FromSeconds(30));
        Assert.False(Directory.Exists(localData));
    }

    [Fact]
    public async Task A_started_command_that_does_not_end_in_time_is_ended_and_the_test_says_what_it_printed()
    {
        using var started = RenkeiCommand.Start(["--help"], launcher: RenkeiCommand.Shell(before: "echo 待っています >&2; sleep 300; "));
        var error = started.StandardError.ReadToEndAsync();
        var failed = await Assert.ThrowsAsync<TimeoutException>(() => started.ExitsWithinAsync(TimeSpan.FromSeconds(2), error));
        Assert.True(started.HasExited);
        Assert.StartsWith("sh -c echo 待っています >&2; sleep 300; exec \"$0\" \"$@\"  renkei.dll --help did not finish in 00:00:02; it printed: 待っています",
            failed.Message);
    }

    /// <summary>Gone, or a zombie nobody reaps (a container's first process may not).</summary>
    private static bool Ended(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1].StartsWith('Z'); }
        catch (IOException) { return true; } // no such process
    }
}
