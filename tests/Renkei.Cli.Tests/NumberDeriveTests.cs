using System.Text.Json;
using Renkei.Numbers;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

public sealed class NumberDeriveTests : IDisposable
{
    private const string KeyHex = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94";
    private readonly TempFolder folder = new();

    private string KeyFile(string text, string name = "numbering.key")
    {
        var path = folder.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Expected(long code, int reissueCount = 0)
    {
        using var deriver = new IndividualNumberDeriver(Convert.FromHexString(KeyHex));
        return IndividualNumber.FromPayload(deriver.DerivePayload(code, reissueCount)).Digits;
    }

    [Fact]
    public async Task The_help_says_the_number_is_derived_from_the_digits()
    {
        // Audit Q9: "derive the Individual Number of eleven digits" read as a number eleven digits long; it has twelve.
        var help = await RenkeiCommand.RunAsync("number", "derive", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("derive the Individual Number from eleven digits", help.Output);
        Assert.DoesNotContain("of eleven digits", help.Output);
    }

    [Fact]
    public async Task Derive_prints_the_number_the_library_gives_with_its_check_digit()
    {
        var result = await RenkeiCommand.RunAsync("number", "derive", "--key-file", KeyFile(KeyHex + "\n"), "12345678901");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal([Expected(12345678901)], result.Lines);
        Assert.True(IndividualNumber.TryParse(result.Lines[0], out _, out var problem), problem?.Message);
    }

    [Fact]
    public async Task Derive_keeps_the_order_and_reads_full_width_digits_and_separators()
    {
        var result = await RenkeiCommand.RunAsync("number", "derive", "--key-file", KeyFile(KeyHex.ToLowerInvariant()),
            "99999999999", "00000000000", "１２３４５ ６７８９０１", "123-4567-8901", "55555555555");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal([Expected(99999999999), Expected(0), Expected(12345678901), Expected(12345678901), Expected(55555555555)], result.Lines);
        Assert.Empty(result.Error);
    }

    [Fact]
    public async Task Derive_with_reissue_uses_the_re_issue_count_as_the_tweak()
    {
        var key = KeyFile(KeyHex);
        var first = await RenkeiCommand.RunAsync("number", "derive", "--key-file", key, "--reissue", "1", "12345678901");
        var second = await RenkeiCommand.RunAsync("number", "derive", "--key-file", key, "--reissue", "2", "12345678901");
        Assert.Equal([Expected(12345678901, 1)], first.Lines);
        Assert.Equal([Expected(12345678901, 2)], second.Lines);
        Assert.NotEqual(Expected(12345678901), first.Lines[0]);

        var negative = await RenkeiCommand.RunAsync("number", "derive", "--key-file", key, "--reissue", "-1", "12345678901");
        Assert.NotEqual(0, negative.ExitCode);
        Assert.Contains("--reissue", negative.Error);
        AssertNoNumber(negative);
    }

    [Fact]
    public async Task A_malformed_code_prints_no_number_says_which_and_exits_non_zero()
    {
        var result = await RenkeiCommand.RunAsync("number", "derive", "--key-file", KeyFile(KeyHex), "12345678901", "1234567890", "1234567890X", "98765432109");
        Assert.Equal(1, result.ExitCode);
        Assert.Empty(result.Output);
        Assert.Contains("2番目", result.Error);
        Assert.Contains("10桁", result.Error);
        Assert.Contains("eleven digits are needed, this has 10", result.Error);
        Assert.DoesNotContain("resident record code", result.Error);
        Assert.Contains("input 3 is invalid", result.Error);
        Assert.Contains("11文字目「X」", result.Error);
        Assert.Contains("character 11 'X' (U+0058) is not a digit", result.Error);
        Assert.DoesNotContain("input 1 ", result.Error);
        Assert.DoesNotContain("1234567890X", result.Error);
    }

    [Fact]
    public async Task A_missing_key_file_is_refused_in_Japanese_and_English()
    {
        var result = await RenkeiCommand.RunAsync("number", "derive", "--key-file", folder.File("absent.key"), "12345678901");
        Assert.Equal(1, result.ExitCode);
        Assert.Empty(result.Output);
        Assert.Contains("鍵ファイルを読めません", result.Error);
        Assert.Contains("cannot read the key file", result.Error);
    }

    [Fact]
    public async Task A_key_file_that_is_a_folder_is_refused()
    {
        var result = await RenkeiCommand.RunAsync("number", "derive", "--key-file", folder.Path, "12345678901");
        Assert.Equal(1, result.ExitCode);
        Assert.Empty(result.Output);
        Assert.Contains("鍵ファイル", result.Error);
        Assert.Contains("フォルダです / it is a folder", result.Error);
    }

    [Fact]
    public async Task A_missing_key_file_or_an_empty_path_says_so_plainly()
    {
        var missing = await RenkeiCommand.RunAsync("number", "derive", "--key-file", folder.File("absent.key"), "12345678901");
        Assert.Contains("ファイルがありません / no such file", missing.Error);
        var empty = await RenkeiCommand.RunAsync("number", "derive", "--key-file", "", "12345678901");
        Assert.Equal(1, empty.ExitCode);
        Assert.Contains("パスが空です / the path is empty", empty.Error);
        Assert.DoesNotContain("Parameter", empty.Error);
    }

    [Fact]
    public async Task A_reissue_count_over_the_largest_says_the_largest()
    {
        var result = await RenkeiCommand.RunAsync("number", "derive", "--key-file", KeyFile(KeyHex), "--reissue", "2147483648", "12345678901");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--reissue は0から2,147,483,647の整数です / --reissue must be a whole number from 0 to 2,147,483,647 (got '2147483648')", result.Error);
        AssertNoNumber(result);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1.5")]
    public async Task A_reissue_count_that_is_not_a_whole_number_is_a_usage_error_not_a_crash(string value)
    {
        var result = await RenkeiCommand.RunAsync("number", "derive", "--key-file", KeyFile(KeyHex), "--reissue", value, "12345678901");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"--reissue は0以上の整数です / --reissue must be a whole number of 0 or more (got '{value}')", result.Error);
        Assert.DoesNotContain("Unhandled", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
        AssertNoNumber(result);
    }

    [Theory]
    [InlineData("2B7E151628AED2A6ABF7158809CF4F3C", "32")]
    [InlineData("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A9", "63")]
    [InlineData("ZZ7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94", "hex")]
    [InlineData("", "the key file is empty")]
    [InlineData(null, "4,096")] // a file far longer than any key (a device such as /dev/zero, named by mistake, would never end)
    public async Task A_malformed_key_file_is_refused_and_says_why(string? content, string fragment)
    {
        var result = await RenkeiCommand.RunAsync("number", "derive", "--key-file", KeyFile(content ?? new string('0', 1_000_000)), "12345678901");
        Assert.Equal(1, result.ExitCode);
        Assert.Empty(result.Output);
        Assert.Contains("鍵ファイルの形式が不正です", result.Error);
        Assert.Contains("malformed", result.Error);
        Assert.Contains(fragment, result.Error);
    }

    [Fact]
    public async Task A_key_file_with_a_byte_order_mark_is_read_and_one_in_utf16_is_named_as_such()
    {
        var bom = folder.File("bom.key");
        File.WriteAllText(bom, KeyHex + "\r\n", new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        var read = await RenkeiCommand.RunAsync("number", "derive", "--key-file", bom, "12345678901");
        Assert.True(read.ExitCode == 0, read.Error);
        Assert.Equal(Expected(12345678901), read.Output.Trim());

        var utf16 = folder.File("utf16.key");
        File.WriteAllText(utf16, KeyHex, System.Text.Encoding.Unicode); // as PowerShell 5's '>' writes it
        var refused = await RenkeiCommand.RunAsync("number", "derive", "--key-file", utf16, "12345678901");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("鍵ファイルがUTF-16です", refused.Error);
        Assert.Contains("the key file is UTF-16", refused.Error);
        AssertNoNumber(refused);
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("/dev/zero")]
    public async Task A_named_pipe_or_a_device_as_the_key_file_is_refused_at_once(string name)
    {
        var path = name;
        if (name == "fifo")
        {
            if (OperatingSystem.IsWindows()) return;
            path = folder.File("key.fifo");
            using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
            await mkfifo.WaitForExitAsync();
        }
        // It used to wait for a writer for ever.
        var result = await RenkeiCommand.RunAsync("number", "derive", "--key-file", path, "12345678901").WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("パイプやデバイス", result.Error);
        Assert.Contains("a pipe or a device", result.Error);
        AssertNoNumber(result);
    }

    [Fact]
    public async Task Derive_without_a_key_file_or_codes_is_a_usage_error()
    {
        var noKey = await RenkeiCommand.RunAsync("number", "derive", "12345678901");
        Assert.NotEqual(0, noKey.ExitCode);
        Assert.Contains("--key-file", noKey.Error);
        var noCodes = await RenkeiCommand.RunAsync("number", "derive", "--key-file", KeyFile(KeyHex));
        Assert.NotEqual(0, noCodes.ExitCode);
        AssertNoNumber(noCodes);
    }

    [Fact]
    public async Task Bench_numbers_prints_its_figures_last_as_one_line_of_JSON()
    {
        var result = await RenkeiCommand.RunAsync("bench", "numbers", "--count", "20000");
        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Lines[^1]);
        foreach (var field in new[] { "numbersPerSecond", "aesBlocksPerSecond", "ratioToAesBound" })
            Assert.True(json.RootElement.GetProperty(field).GetDouble() > 0, field);
    }

    [Fact]
    public async Task Bench_numbers_refuses_a_count_below_one()
    {
        var result = await RenkeiCommand.RunAsync("bench", "numbers", "--count", "0");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--count", result.Error);
    }

    /// <summary>A usage error may print help, but never a number.</summary>
    private static void AssertNoNumber(CliResult result) =>
        Assert.DoesNotContain(result.Lines, line => line.Trim().Length == 12 && line.Trim().All(char.IsAsciiDigit));

    public void Dispose() => folder.Dispose();
}
