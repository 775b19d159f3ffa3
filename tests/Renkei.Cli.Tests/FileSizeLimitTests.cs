using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>
/// A file past the largest the file system or the process's limit allows (EFBIG), which the runtime throws as an argument out of
/// range rather than an IOException: a write failure said in one line, as a full disk is, by every command that writes.
/// </summary>
public class FileSizeLimitTests
{
    [Fact]
    public async Task Registry_export_out_past_the_file_size_limit_says_so_and_leaves_no_file()
    {
        using var data = new TempFolder();
        Assert.Equal(0, (await RenkeiCommand.RunAsync("registry", "seed", "--data", data.Path, "--municipalities", "1", "--residents", "1000", "--seed", "3")).ExitCode);
        var residents = data.File("residents.csv");
        // The limit (64 KB: 128 of sh's 512-byte blocks, its signal ignored) is under the export's size and over what reading the
        // register writes; the runtime's write-xor-execute mapping is a file the limit would refuse, so it is turned off. Through
        // RenkeiCommand, so that an export that hangs is killed after its minute and the test says what it printed.
        var export = await RenkeiCommand.RunAsync(["registry", "export", "--data", data.Path, "--out", residents], stdin: null, TimeSpan.FromMinutes(1),
            launcher: RenkeiCommand.Shell(before: "trap '' XFSZ; ulimit -f 128; DOTNET_EnableWriteXorExecute=0 "));

        Assert.Equal(1, export.ExitCode);
        Assert.Equal($"{residents} に書き出せません（ファイルの大きさの上限を超えます）。既にあったファイルはそのままです / cannot write {residents} "
            + "(the file would grow past the largest the file system or the process allows); a file already there is as it was", export.Error.Trim());
        Assert.Empty(Directory.GetFiles(data.Path, "residents.csv*"));
    }

    [Fact]
    public void A_command_that_throws_the_runtimes_file_too_large_says_so_in_one_line_and_an_argument_out_of_range_of_ours_keeps_its_trace()
    {
        // What the runtime throws for EFBIG.
        var error = new StringWriter();
        Assert.Equal(1, CommandTree.Failed(new ArgumentOutOfRangeException("value", "Specified file length was too large for the file system."), error));
        Assert.Equal("読み書きできません（ファイルの大きさの上限を超えます）/ cannot read or write: the file would grow past the largest the file system or the process allows",
            error.ToString().Trim());

        error = new StringWriter();
        Assert.Equal(1, CommandTree.Failed(new ArgumentOutOfRangeException("value", "Must be positive."), error));
        Assert.StartsWith("Unhandled exception: System.ArgumentOutOfRangeException", error.ToString());
    }
}
