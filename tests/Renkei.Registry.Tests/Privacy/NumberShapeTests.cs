using Renkei.Hosting;
using Renkei.Numbers;

namespace Renkei.Registry.Tests.Privacy;

public class NumberShapeTests
{
    [Fact]
    public void The_privacy_check_reads_the_same_separators_as_the_numbers_library()
    {
        // NumberShape keeps its own copy of the separators (Core and Node may not reference the numbers library): every
        // character the library skips between digits must also be skipped by the check that keeps numbers out of the
        // core, the nodes and problem details, or a number typed with it would pass unseen.
        for (var c = char.MinValue; c < char.MaxValue; c++)
        {
            if (char.IsAsciiDigit(c) || c is >= '０' and <= '９' || char.IsSurrogate(c)) continue;
            var text = $"1234{c}5678{c}9018";
            var library = IndividualNumber.TryParse(text, out _, out _);
            if (library) Assert.True(NumberShape.ContainsIndividualNumber(text), $"U+{(int)c:X4}: the library reads it, NumberShape does not");
            if (library) Assert.Equal($"****{c}****{c}****", NumberShape.Mask(text));
        }
    }

    [Theory]
    [InlineData("767995877626-1", "************-1")]
    [InlineData("767995877626 1", "************ 1")]
    [InlineData("1 767995877626", "1 ************")]
    [InlineData("767995877626\u30002025", "************\u30002025")]
    [InlineData("X-7679-9587-7626", "X-****-****-****")]
    [InlineData("MN-767995877626", "MN-************")]
    [InlineData("A767995877626B", "A************B")]
    [InlineData("note76799587762", "note***********")]
    [InlineData("7679.9587.7626", "****.****.****")]
    [InlineData("7679/9587/7626", "****/****/****")]
    [InlineData("7679_9587_7626", "****_****_****")]
    [InlineData("7679,9587,7626", "****,****,****")]
    [InlineData("(7679)9587-7626", "(****)****-****")]
    [InlineData("７６７９・９５８７・７６２６", "****・****・****")]
    [InlineData("٧٦٧٩٩٥٨٧٧٦٢٦", "************")]   // Arabic-Indic digits
    [InlineData("𝟕𝟔𝟕𝟗𝟗𝟓𝟖𝟕𝟕𝟔𝟐𝟔", "************************")]   // mathematical bold digits: two units each
    public void A_number_is_found_and_masked_whatever_stands_next_to_it(string text, string masked)
    {
        Assert.True(NumberShape.ContainsIndividualNumber(text));
        Assert.Equal(masked, NumberShape.Mask(text));
    }

    [Theory]
    [InlineData("5010405001703")]          // a Corporate Number
    [InlineData("5010405001703-2026")]
    [InlineData("2026-12-06")]
    [InlineData("03-1234-5678")]
    [InlineData("B-000001")]
    [InlineData("2026/12/06 10:30")]
    [InlineData("1.5")]
    public void Shorter_or_longer_digit_runs_are_not_a_number(string text)
    {
        Assert.False(NumberShape.ContainsIndividualNumber(text));
        Assert.Equal(text, NumberShape.Mask(text));
    }

    [Fact]
    public void A_value_a_log_line_repeats_keeps_to_its_line_and_shows_no_number()
    {
        Assert.Equal(@"kind\u000A[ERR] forged\u001B[31m\u202E ************", LogText.Safe("kind\n[ERR] forged\u001b[31m\u202e 123456789018"));
        Assert.Equal("申請 / inquiry", LogText.Safe("申請 / inquiry"));
    }

    [Fact]
    public void A_value_a_problem_quotes_is_cut_after_it_is_masked()
    {
        // Cut first, the number at the edge would be 5 digits, no longer seen as one, and show in clear.
        var shown = Problems.Shown(new string('a', 35) + "123456789018");
        Assert.Equal(new string('a', 35) + "*****…", shown);
    }
}
