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
}
