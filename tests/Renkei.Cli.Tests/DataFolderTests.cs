using Renkei.Cli.Network;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

public class DataFolderTests
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [Fact]
    public async Task A_data_folder_that_holds_other_files_keeps_its_mode_and_one_holding_only_a_networks_data_is_closed()
    {
        if (OperatingSystem.IsWindows()) return;
        Renkei.Hosting.ServiceDefaults.KeepNewFilesPrivate(); // as the renkei command does before anything else
        using var folder = new TempFolder();
        // `--data .` in a group's shared folder (setgid, group-writable): closing it locked the group out.
        var shared = folder.File("shared");
        Directory.CreateDirectory(shared);
        var groupShared = (UnixFileMode)Convert.ToInt32("2775", 8);
        File.SetUnixFileMode(shared, groupShared);
        await File.WriteAllTextAsync(Path.Combine(shared, "notes.txt"), "the group's");
        await using (await SandboxNetwork.StartAsync(shared)) { }
        Assert.Equal(groupShared, File.GetUnixFileMode(shared));
        Assert.Equal("the group's", await File.ReadAllTextAsync(Path.Combine(shared, "notes.txt")));
        // What the network made in it is its user's alone all the same (under the umask the renkei command sets first).
        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        Assert.Equal(0, (int)(File.GetUnixFileMode(Path.Combine(shared, "registry", "registry.db")) & others));

        // A folder holding only a network's data (made by a version that left it open) is closed on the next start.
        var earlier = folder.File("earlier");
        Directory.CreateDirectory(Path.Combine(earlier, "network"));
        Directory.CreateDirectory(Path.Combine(earlier, "logs"));
        File.SetUnixFileMode(earlier, (UnixFileMode)Convert.ToInt32("755", 8));
        await using (await SandboxNetwork.StartAsync(earlier)) { }
        Assert.Equal(Private, File.GetUnixFileMode(earlier));
    }
}
