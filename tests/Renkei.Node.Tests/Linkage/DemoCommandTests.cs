using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

public class DemoCommandTests
{
    [Fact]
    public async Task Demo_moving_family_succeeds_on_a_fresh_data_folder_and_again_on_the_same_one()
    {
        using var folder = new TempFolder();
        var first = await RenkeiCommand.RunAsync("demo", "moving-family", "--data", folder.Path);
        Assert.True(first.ExitCode == 0, first.Output + first.Error);
        Assert.Contains("課税証明書の添付は不要です", first.Output);
        Assert.Contains("every step succeeded", first.Output);
        var again = await RenkeiCommand.RunAsync("demo", "moving-family", "--data", folder.Path);
        Assert.True(again.ExitCode == 0, again.Output + again.Error);
    }
}
