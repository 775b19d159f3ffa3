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

public class IssueCodesCommandTests
{
    [Fact]
    public async Task Issue_codes_reports_bad_lines_without_echoing_numbers_and_fails_when_any_line_is_bad()
    {
        using var folder = new TempFolder();
        var file = folder.File("people.csv");
        await File.WriteAllTextAsync(file, "addresseeNumber,individualNumber\nK-1,123456789019\nbad line\n\"K-2\",\"123456789018\"\n\"K-3,123456789026\n");
        var result = await RenkeiCommand.RunAsync("node", "issue-codes", "--data", folder.Path, "--agency", "122173", "--file", file);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("line 2", result.Error);
        Assert.Contains("line 3", result.Error);
        Assert.DoesNotContain("line 4", result.Error); // quoted fields, as a spreadsheet writes them, are read
        Assert.Contains("line 5", result.Error);       // an unclosed quote
        Assert.DoesNotContain("123456789019", result.Output + result.Error);
        Assert.DoesNotContain("123456789026", result.Output + result.Error);
    }
}
