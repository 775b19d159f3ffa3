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

        // The inquiry's step shows the new record at each party; the refusal's only at the requester, which refused it.
        var lines = first.Lines;
        var provided = Array.FindIndex(lines, l => l.Contains("income obtained from Kashiwa"));
        var refused = Array.FindIndex(lines, l => l.Contains("a clerk without the affair was refused"));
        Assert.True(provided >= 0 && refused > provided, first.Output);
        Assert.Contains("new provision records", lines[provided + 1]);
        var afterInquiry = lines[(provided + 2)..refused];
        Assert.Equal(3, afterInquiry.Length);
        Assert.Matches(@"^    要求元 / requester 131059: .* JST 131059→122173 child-allowance local-tax provided$", afterInquiry[0]);
        Assert.Matches(@"^    コア / core: .* JST 131059→122173 child-allowance local-tax provided$", afterInquiry[1]);
        Assert.Matches(@"^    提供元 / provider 122173: .* JST 131059→122173 child-allowance local-tax provided$", afterInquiry[2]);
        Assert.Contains("new provision records", lines[refused + 1]);
        var afterRefusal = lines[(refused + 2)..].TakeWhile(l => l.StartsWith("    ")).ToList();
        Assert.Matches(@"^    要求元 / requester 131059: .* child-allowance local-tax not-permitted \(affair-not-assigned\)$", Assert.Single(afterRefusal));
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
        // Quoted fields, as a spreadsheet writes them, are read: line 4 reaches the Registry, which knows no one by that number.
        Assert.Contains("4行目 / line 4: 該当する個人番号がありません / No resident has this number", result.Error);
        Assert.Contains("unknown: 1", result.Output);
        Assert.Contains("line 5", result.Error);       // an unclosed quote
        Assert.DoesNotContain("123456789019", result.Output + result.Error);
        Assert.DoesNotContain("123456789026", result.Output + result.Error);
    }
}
