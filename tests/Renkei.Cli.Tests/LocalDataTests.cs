using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>Where the commands a test starts keep their local data (port claims): not in the build output for good.</summary>
public class LocalDataTests
{
    [Fact]
    public void A_started_commands_local_data_is_temporary_and_goes_when_the_command_ends()
    {
        // Audit 20c §7: one bin/…/local-data/commands/<guid> per command a test started stayed in the build output for good.
        var folder = LocalData.ForOneCommand();
        Assert.StartsWith(Path.Combine(Path.GetTempPath(), "renkei-tests"), folder);
        Assert.DoesNotContain(AppContext.BaseDirectory, folder);
        Directory.CreateDirectory(Path.Combine(folder, "renkei", "ports"));
        using var given = new TempFolder();
        LocalData.Remove(folder);
        LocalData.Remove(given.Path); // a folder a test gave its command is not removed for it
        Assert.False(Directory.Exists(folder));
        Assert.True(Directory.Exists(given.Path));
    }
}
