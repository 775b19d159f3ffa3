using System.Text.Json;
using Renkei.Numbers;

namespace Renkei.Numbers.Tests;

public class NumberFormatTests
{
    [Theory]
    [InlineData("123456789018")]
    [InlineData("1234 5678 9018")]
    [InlineData("1234-5678-9018")]
    [InlineData("１２３４５６７８９０１８")]
    [InlineData("１２３４　５６７８　９０１８")]
    [InlineData("1234－5678－9018")]
    [InlineData("1234\u00A05678\u00A09018")] // no-break spaces, as pasted from a web page
    [InlineData("1234\u20095678\u202F9018")] // thin and narrow no-break spaces
    [InlineData("1234―5678ｰ9018")] // a horizontal bar and a half-width long-vowel mark
    public void Individual_number_parses_ascii_and_full_width_with_separators(string text)
    {
        Assert.True(IndividualNumber.TryParse(text, out var n, out var problem), problem?.Message);
        Assert.Equal("123456789018", n.Digits);
        Assert.Equal("1234 5678 9018", n.Format());
        Assert.Equal("**** **** 9018", n.Masked);
    }

    [Fact]
    public void Individual_number_check_digit_follows_the_ordinance_example() =>
        Assert.Equal("123456789018", IndividualNumber.FromPayload(12345678901).Digits);

    [Theory]
    [InlineData("12345678901", NumberProblemKind.Length, "11桁")]
    [InlineData("1234567890188", NumberProblemKind.Length, "13桁")]
    [InlineData("12345678901A", NumberProblemKind.NonDigit, "12文字目")]
    [InlineData("", NumberProblemKind.Empty, "入力されていません")]
    [InlineData("  - ", NumberProblemKind.Empty, "入力されていません")]
    [InlineData("123456789019", NumberProblemKind.CheckDigit, "期待値 8")]
    public void Individual_number_says_why_it_is_invalid(string text, NumberProblemKind kind, string fragment)
    {
        Assert.False(IndividualNumber.TryParse(text, out _, out var problem));
        Assert.Equal(kind, problem!.Kind);
        Assert.Contains(fragment, problem.Message);
    }

    [Theory]
    [InlineData("-123456789018", 1, "1文字目の「-」(U+002D)は数字の間にだけ置けます / character 1 '-' (U+002D) may stand only between digits")]
    [InlineData("123456789018-", 13, "13文字目の「-」(U+002D)は数字の間にだけ置けます / character 13 '-' (U+002D) may stand only between digits")]
    [InlineData(" －1234 5678 9018", 2, "2文字目の「－」(U+FF0D)")]
    [InlineData("1234 5678 9018ー", 15, "15文字目の「ー」(U+30FC)")]
    public void A_hyphen_or_dash_stands_only_between_digits(string text, int position, string message)
    {
        // A leading hyphen read as a separator made "-123456789018", a negative number or a mistyped option, a valid number.
        Assert.False(IndividualNumber.TryParse(text, out _, out var problem));
        Assert.Equal(NumberProblemKind.MisplacedSeparator, problem!.Kind);
        Assert.Equal(position, problem.Position);
        Assert.Contains(message, problem.Message);
        Assert.False(CorporateNumber.TryParse("-" + "7000012050002", out _, out _));
    }

    [Theory]
    [InlineData(" 123456789018 ")]
    [InlineData("\u3000１２３４－５６７８－９０１８\t")]
    [InlineData("1234--5678 - 9018")]
    public void Spaces_around_a_number_and_dashes_between_its_digits_are_still_separators(string text) =>
        Assert.True(IndividualNumber.TryParse(text, out _, out var problem), problem?.Message);

    [Theory]
    [InlineData(NumberKind.Individual, "12345", "an individual number has 12 digits, this has 5")]
    [InlineData(NumberKind.Corporate, "12345", "a corporate number has 13 digits, this has 5")]
    [InlineData(NumberKind.ResidentRecordCode, "12345", "a resident record code has 11 digits, this has 5")]
    [InlineData(NumberKind.LocalGovernmentCode, "12345", "a local government code has 6 digits, this has 5")]
    public void Length_problem_reads_as_english_for_every_kind(NumberKind kind, string text, string english)
    {
        NumberProblem? problem = kind switch
        {
            NumberKind.Individual => IndividualNumber.TryParse(text, out _, out var p) ? null : p,
            NumberKind.Corporate => CorporateNumber.TryParse(text, out _, out var p) ? null : p,
            NumberKind.ResidentRecordCode => ResidentRecordCode.TryParse(text, out _, out var p) ? null : p,
            _ => LocalGovernmentCode.TryParse(text, out _, out var p) ? null : p,
        };
        Assert.Equal(english, problem!.English);
    }

    [Theory]
    [InlineData("1234５678901A", 12, "「A」(U+0041)", "'A' (U+0041)")]
    [InlineData("1234567890１Ｏ", 12, "「Ｏ」(U+FF2F)", "'Ｏ' (U+FF2F)")]
    [InlineData("123456\u200B789018", 7, "(U+200B)", "character 7 (U+200B)")] // a zero-width space, invisible where it was pasted
    [InlineData("12345678901😀", 12, "「😀」(U+1F600)", "'😀' (U+1F600)")]
    public void Non_digit_problem_names_the_character(string text, int position, string japanese, string english)
    {
        Assert.False(IndividualNumber.TryParse(System.Text.RegularExpressions.Regex.Unescape(text), out _, out var problem));
        Assert.Equal(NumberProblemKind.NonDigit, problem!.Kind);
        Assert.Equal(position, problem.Position);
        Assert.Contains($"{position}文字目{japanese}が数字ではありません", problem.Japanese);
        Assert.Contains(english, problem.English);
    }

    [Fact]
    public void Check_digit_problem_names_expected_and_actual()
    {
        Assert.False(IndividualNumber.TryParse("123456789010", out _, out var problem));
        Assert.Equal(8, problem!.ExpectedCheckDigit);
        Assert.Equal(0, problem.ActualCheckDigit);
        Assert.Contains("expected 8, found 0", problem.Message);
    }

    [Fact]
    public void Every_single_digit_change_breaks_the_individual_check_digit()
    {
        var digits = "123456789018".ToCharArray();
        for (var i = 0; i < 11; i++)
        {
            var original = digits[i];
            for (var d = '0'; d <= '9'; d++)
            {
                if (d == original) continue;
                digits[i] = d;
                Assert.False(IndividualNumber.TryParse(new string(digits), out _, out _), new string(digits));
            }
            digits[i] = original;
        }
    }

    [Fact]
    public void Individual_number_to_string_never_prints_the_whole_number()
    {
        var n = IndividualNumber.Parse("123456789018");
        Assert.DoesNotContain("12345678", n.ToString());
        Assert.DoesNotContain("12345678", $"{n}");
        Assert.DoesNotContain("12345678", new { n }.ToString());
    }

    [Fact]
    public void Parse_throws_a_format_exception_with_the_reason()
    {
        var e = Assert.Throws<FormatException>(() => IndividualNumber.Parse("123"));
        Assert.Contains("3桁", e.Message);
    }

    [Theory]
    [InlineData("7000012050002")]
    [InlineData("7 0000 1205 0002")]
    [InlineData("７０００－０１２０－５０００２")]
    public void Corporate_number_of_the_national_tax_agency_is_valid(string text)
    {
        Assert.True(CorporateNumber.TryParse(text, out var n, out var problem), problem?.Message);
        Assert.Equal("7000012050002", n.Digits);
        Assert.Equal(12050002L, n.BaseNumber);
        Assert.Equal("7000012050002", n.ToString());
        Assert.Equal(n, CorporateNumber.FromBase(12050002));
    }

    [Fact]
    public void Corporate_number_check_digit_leads()
    {
        Assert.False(CorporateNumber.TryParse("8000012050002", out _, out var problem));
        Assert.Equal(NumberProblemKind.CheckDigit, problem!.Kind);
        Assert.Equal(7, problem.ExpectedCheckDigit);
        Assert.Equal(8, problem.ActualCheckDigit);
    }

    [Theory]
    [InlineData(13101, "131016")]
    [InlineData(12100, "121002")]
    [InlineData(12217, "122173")]
    [InlineData(13105, "131059")]
    public void Local_government_code_check_digit(int five, string expected)
    {
        Assert.Equal(expected, LocalGovernmentCode.FromFiveDigits(five).Digits);
        Assert.True(LocalGovernmentCode.TryParse(expected, out var code, out _));
        Assert.Equal(five, code.FiveDigits);
    }

    [Fact]
    public void Local_government_code_with_wrong_check_digit_is_refused()
    {
        Assert.False(LocalGovernmentCode.TryParse("131017", out _, out var problem));
        Assert.Equal(6, problem!.ExpectedCheckDigit);
    }

    [Theory]
    [InlineData("000001", 0)] // check digit 1 matches, but there is no prefecture 00
    [InlineData("480002", 48)]
    [InlineData("990001", 99)]
    public void Local_government_code_outside_the_47_prefectures_is_refused(string text, int prefecture)
    {
        Assert.Equal(LocalGovernmentCode.CheckDigitOf(text[..5].Select(c => (byte)(c - '0')).ToArray()), text[5] - '0');
        Assert.False(LocalGovernmentCode.TryParse(text, out _, out var problem));
        Assert.Equal(NumberProblemKind.Prefecture, problem!.Kind);
        Assert.Equal($"先頭2桁の都道府県コードは01から47ですが、{prefecture:D2}です / the first two digits are a prefecture code, 01 to 47; this has {prefecture:D2}",
            problem.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => LocalGovernmentCode.FromFiveDigits(int.Parse(text[..5])));
        Assert.True(LocalGovernmentCode.TryParse("011002", out var sapporo, out _)); // 札幌市, prefecture 01
        Assert.Equal(1, sapporo.PrefectureCode);
        Assert.True(LocalGovernmentCode.TryParse("473014", out _, out _)); // 沖縄県, prefecture 47
    }

    [Fact]
    public void Resident_record_codes_are_random_valid_and_masked()
    {
        var codes = Enumerable.Range(0, 1000).Select(_ => ResidentRecordCode.Random()).ToList();
        Assert.Equal(1000, codes.Distinct().Count());
        foreach (var c in codes) Assert.True(ResidentRecordCode.TryParse(c.Digits, out _, out _));
        Assert.StartsWith("*******", codes[0].ToString());
        // Not in sequence: sorted order is not the order drawn.
        Assert.NotEqual(codes.OrderBy(c => c.Value).ToList(), codes);
    }

    [Fact]
    public void Numbers_round_trip_through_json_as_digit_strings()
    {
        var n = IndividualNumber.Parse("123456789018");
        var json = JsonSerializer.Serialize(new { number = n });
        Assert.Equal("{\"number\":\"123456789018\"}", json);
        Assert.Equal(n, JsonSerializer.Deserialize<IndividualNumber>("\"1234 5678 9018\""));
        var e = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<IndividualNumber>("\"123456789019\""));
        Assert.Contains("期待値 8", e.Message);
        // A JSON number (leading zeros lost) is refused as the wrong type, not as "no number given".
        var asNumber = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<IndividualNumber>("123456789018"));
        Assert.Equal("個人番号は文字列で指定してください / an individual number must be a JSON string", asNumber.Message);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<CorporateNumber>("null"));
    }
}
