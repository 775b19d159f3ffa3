using Renkei.Testing;

namespace Renkei.Cli.Tests;

public class NumberCheckTests
{
    [Fact]
    public async Task Check_prints_a_line_per_number_and_exits_zero_when_all_are_valid()
    {
        var result = await RenkeiCommand.RunAsync("number", "check", "1234 5678 9018", "7000012050002", "１２３４－５６７８－９０１８");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(3, result.Lines.Length);
        Assert.Contains("individual", result.Lines[0]);
        Assert.Contains("corporate", result.Lines[1]);
        Assert.All(result.Lines, l => Assert.Contains("valid", l));
    }

    [Fact]
    public async Task Check_says_why_and_exits_non_zero_when_any_is_invalid()
    {
        var result = await RenkeiCommand.RunAsync("number", "check", "123456789018", "123456789019", "12345");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("有効 / valid", result.Lines[0]);
        Assert.Contains("期待値 8", result.Lines[1]);
        Assert.Contains("5桁", result.Lines[2]);
    }

    [Fact]
    public async Task Check_with_kind_corporate_checks_as_a_corporate_number()
    {
        var result = await RenkeiCommand.RunAsync("number", "check", "--kind", "corporate", "123456789018");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("corporate", result.Lines[0]);
        Assert.Contains("13桁", result.Lines[0]);
    }

    [Fact]
    public async Task A_mistyped_option_is_a_usage_error_not_a_number_to_check()
    {
        var result = await RenkeiCommand.RunAsync("number", "check", "--knd", "corporate", "7000012050002");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("不明なオプションです: --knd / unknown option: --knd", result.Error);
        Assert.DoesNotContain("有効 / valid", result.Output);
    }

    [Fact]
    public async Task Each_number_stays_one_line_of_three_fields_whatever_it_holds()
    {
        var result = await RenkeiCommand.RunAsync("number", "check", "1234\t5678\t9018", "1234\n5678");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(2, result.Lines.Length);
        Assert.Equal(["1234\\u00095678\\u00099018", "individual", "有効 / valid"], result.Lines[0].Split('\t'));
        Assert.Equal(3, result.Lines[1].Split('\t').Length);
        Assert.StartsWith("1234\\u000A5678\t", result.Lines[1]);
    }

    [Fact]
    public async Task An_invisible_format_character_is_written_out_not_printed()
    {
        // A right-to-left override printed raw turns the rest of the terminal line around: "8109876" reads as the number.
        var result = await RenkeiCommand.RunAsync("number", "check", "1234\u202E56789018", "1234\u200B5678\u20669018");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("1234\\u202E56789018\tindividual\t無効 / invalid: 5文字目(U+202E)", result.Lines[0]);
        Assert.StartsWith("1234\\u200B5678\\u20669018\t", result.Lines[1]);
        Assert.DoesNotContain(result.Output, c => char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format);
    }

    [Theory]
    [InlineData("-123456789018")]
    [InlineData("123456789018-")]
    [InlineData("－1234 5678 9018")]
    public async Task A_hyphen_before_the_first_digit_or_after_the_last_is_not_a_separator(string text)
    {
        var result = await RenkeiCommand.RunAsync("number", "check", text);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("無効 / invalid", result.Output);
        Assert.Contains("数字の間", result.Output);
    }

    [Fact]
    public async Task Check_refuses_an_unknown_kind()
    {
        var result = await RenkeiCommand.RunAsync("number", "check", "--kind", "pension", "123456789018");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--kind は individual、corporate のいずれかです / --kind must be one of individual, corporate (got 'pension')", result.Error);
        Assert.DoesNotContain("有効", result.Output);
    }
}
