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
    // Marks after a digit show on it and are masked with it: a variation selector, a keycap (VS16 and U+20E3), an accent.
    [InlineData("7\uFE0F6\uFE0F7\uFE0F9\uFE0F9\uFE0F5\uFE0F8\uFE0F7\uFE0F7\uFE0F6\uFE0F2\uFE0F6\uFE0F", "************************")]
    [InlineData("ID 7\uFE0F\u20E36\uFE0F\u20E37\uFE0F\u20E39\uFE0F\u20E39\uFE0F\u20E35\uFE0F\u20E38\uFE0F\u20E37\uFE0F\u20E37\uFE0F\u20E36\uFE0F\u20E32\uFE0F\u20E36\uFE0F\u20E3.",
        "ID ************************************.")]
    [InlineData("7\u03016\u03017\u03019\u0301-9\u03015\u03018\u03017\u0301-7626", "********-********-****")]
    [InlineData("767995877626\uDB40\uDD00", "**************")]          // a variation selector beyond the BMP (U+E0100)
    // Other number characters worth 0 to 9: circled, negative circled, parenthesised, superscript, subscript.
    [InlineData("⑦⑥⑦⑨⑨⑤⑧⑦⑦⑥②⑥", "************")]
    [InlineData("❼❻❼❾-❾❺❽❼-❼❻❷❻", "****-****-****")]
    [InlineData("⑺⑹⑺⑼⑼⑸⑻⑺⑺⑹⑵⑹", "************")]
    [InlineData("番号⁷⁶⁷⁹⁹⁵⁸⁷⁷⁶²⁶です", "番号************です")]
    [InlineData("₇₆₇₉₉₅₈₇₇₆₂₆", "************")]
    [InlineData("7679 ⑨⑤⑧⑦ ７６２６", "**** **** ****")]
    public void A_number_is_found_and_masked_whatever_stands_next_to_it(string text, string masked)
    {
        Assert.True(NumberShape.ContainsIndividualNumber(text));
        Assert.Equal(masked, NumberShape.Mask(text));
    }

    [Theory]
    // The audit's: groups split by the other Unicode spaces (en, em, four-per-em, hair, medium mathematical), by a hyphen or
    // a space with a mark on it, or by an invisible zero-width space ...
    [InlineData("1234\u20025678\u20029018", "****\u2002****\u2002****")]
    [InlineData("1234\u20035678\u20039018", "****\u2003****\u2003****")]
    [InlineData("1234\u20055678\u20059018", "****\u2005****\u2005****")]
    [InlineData("1234\u200A5678\u200A9018", "****\u200A****\u200A****")]
    [InlineData("1234\u205F5678\u205F9018", "****\u205F****\u205F****")]
    [InlineData("1234-\u03015678-\u03019018", "****-*****-*****")]
    [InlineData("1234 \u20DD5678 \u20DD9018", "**** ***** *****")]
    [InlineData("1234\u200B5678\u200B9018", "****\u200B****\u200B****")]
    // ... and the rest of the kind: the Ogham space, a punctuation space, a soft hyphen, a word joiner, a byte
    // order mark, a tag character beyond the BMP, and a space with a zero-width joiner and an accent after it.
    [InlineData("1234\u16805678\u16809018", "****\u1680****\u1680****")]
    [InlineData("1234\u20085678\u20089018", "****\u2008****\u2008****")]
    [InlineData("1234\u00AD5678\u00AD9018", "****\u00AD****\u00AD****")]
    [InlineData("12345678\u2060901", "********\u2060***")]
    [InlineData("1234\uFEFF5678\uFEFF9018", "****\uFEFF****\uFEFF****")]
    [InlineData("1234\uDB40\uDC205678\uDB40\uDC209018", "****\uDB40\uDC20****\uDB40\uDC20****")]
    [InlineData("1234 \u200D\u03015678 9018", "**** \u200D*****" + " ****")]
    // Audit D, finding 5: line ends between groups (a number typed or pasted across lines), which a log escapes to
    // 1234\u000A5678\u000A9018 and a reader still reads as the number.
    [InlineData("1234\n5678\n9018", "****\n****\n****")]
    [InlineData("1234\r\n5678\r\n9018", "****\r\n****\r\n****")]
    [InlineData("1234\r5678\r9018", "****\r****\r****")]
    [InlineData("1234\u000B5678\u000C9018", "****\u000B****\u000C****")]
    [InlineData("1234\u00855678\u00859018", "****\u0085****\u0085****")]
    [InlineData("1234\u20285678\u20289018", "****\u2028****\u2028****")]
    [InlineData("1234\u20295678\u20299018", "****\u2029****\u2029****")]
    public void A_number_split_by_any_space_or_dash_with_marks_or_invisible_characters_between_groups_is_found_and_masked(string text, string masked)
    {
        Assert.True(NumberShape.ContainsIndividualNumber(text));
        Assert.Equal(masked, NumberShape.Mask(text));
        Assert.DoesNotContain("5678", LogText.Safe(text));
        Assert.DoesNotContain("5678", Problems.Shown(text));
        Assert.DoesNotContain("5678", Problems.Shown("値「" + text + "」"));
    }

    [Fact]
    public void Every_space_and_dash_of_Unicode_but_the_wave_dashes_of_ranges_separates_digit_groups()
    {
        for (var c = char.MinValue; c < char.MaxValue; c++)
        {
            if (char.GetUnicodeCategory(c) is not (System.Globalization.UnicodeCategory.SpaceSeparator or System.Globalization.UnicodeCategory.DashPunctuation)) continue;
            var text = $"1234{c}5678{c}9018";
            var range = c is '\u301C' or '\u3030';
            Assert.True(NumberShape.ContainsIndividualNumber(text) != range, $"U+{(int)c:X4}");
            Assert.Equal(range ? text : $"****{c}****{c}****", NumberShape.Mask(text));
        }
    }

    [Theory]
    [InlineData("5010405001703")]          // a Corporate Number
    [InlineData("5010405001703-2026")]
    [InlineData("2026-12-06")]
    [InlineData("03-1234-5678")]
    [InlineData("B-000001")]
    [InlineData("2026/12/06 10:30")]
    [InlineData("1.5")]
    // Ranges, as Japanese writes them with a wave dash (〜 U+301C, 〰 U+3030) or a full-width tilde (～): dates, amounts, phone numbers.
    [InlineData("2024/04/01〜2025/03/31")]
    [InlineData("2024-04-01〜2025-03-31")]
    [InlineData("2024/4/1〜2025/3/31")]
    [InlineData("2024/04/01～2025/03/31")]
    [InlineData("1,950,001〜3,300,000")]
    [InlineData("195,001〰330,000")]
    [InlineData("03-1234-5678〜03-1234-5679")]
    // Times in copies: a colon is not read between groups (2024/01/01 10:00 would be 12 digits), so neither are these.
    [InlineData("2024/01/01 10:00:00")]
    [InlineData("2024-01-01T10:00:00+09:00")]
    [InlineData("1234:5678:9018")]
    [InlineData("令和6年1月1日 10時00分")]
    [InlineData("⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳")]           // worth more than 9: no digit
    [InlineData("ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ")]          // roman numerals are letters
    [InlineData("一二三四五六七八九〇一八")]      // kanji numerals: only names count them
    [InlineData("½¼¾⅓⅔⅛⅜⅝⅞⅕⅖⅗")]
    [InlineData("7\u0301679")]
    // A time after a date stays a time whatever space stands between them.
    [InlineData("2024/01/01\u200310:00:00")]
    [InlineData("2024/01/01\u3000\u030110:00")]
    [InlineData("2024/01/01\r\n10:00:00")]
    public void Shorter_or_longer_digit_runs_are_not_a_number(string text)
    {
        Assert.False(NumberShape.ContainsIndividualNumber(text));
        Assert.Equal(text, NumberShape.Mask(text));
    }

    [Theory]
    // Audit O, finding 2: a label's colon, which a space follows, joined the label's digit to the value after it (2- 03-1234-5678: 11 digits).
    [InlineData("TEL2: 03-1234-5678")]
    [InlineData("接種2: 2024/04/01 10:00")]
    [InlineData("Dose 1: 2024/04/01 10:00:00")]
    [InlineData("電話２： 03-1234-5678")]
    [InlineData("電話２：03-1234-5678")]
    [InlineData("第2回：2024/04/01 10:00")]
    // A time joins nothing, alone, after a date or in a range.
    [InlineData("2024/01/01 10:00:00")]
    [InlineData("2024/04/01 9:30")]
    [InlineData("１０：００〜１２：３０")]
    public void A_colon_after_a_label_or_within_a_time_joins_no_digit_groups_in_free_text(string text) =>
        Assert.False(NumberShape.ContainsIndividualNumberInFreeText(text));

    [Theory]
    [InlineData("1234:5678:9012")]
    [InlineData("１２３４：５６７８：９０１８")]
    [InlineData("１２３４:５６７８:９０１８")]
    [InlineData("12:34:56:78:90:18")]
    [InlineData("1234:五六七八:9018")]
    [InlineData("MR 2024/01/01 12:34:56:78")]
    [InlineData("番号: 1234:5678:9012")]
    // Marks and invisible characters next to the colon are read through, as between any groups.
    [InlineData("1234\u200B:5678\u200B:9012")]
    [InlineData("1234\u0301:\u03015678:9012")]
    public void Digit_groups_joined_by_colons_are_a_number_in_free_text(string text) =>
        Assert.True(NumberShape.ContainsIndividualNumberInFreeText(text));

    [Fact]
    public void Mask_masks_exactly_what_is_found()
    {
        // Every character as a separator, a mark and a digit stand-in: where a number is found the masked text holds none.
        for (var c = char.MinValue; c < char.MaxValue; c++)
        {
            if (char.IsSurrogate(c)) continue;
            foreach (var text in new[] { $"7679{c}9587{c}7626", $"7{c}6{c}7{c}9{c}9{c}5{c}8{c}7{c}7{c}6{c}2{c}6", $"{c}{c}{c}{c}{c}{c}{c}{c}{c}{c}{c}{c}" })
            {
                var found = NumberShape.ContainsIndividualNumber(text);
                var masked = NumberShape.Mask(text)!;
                Assert.Equal(text.Length, masked.Length);
                Assert.True(found == (masked != text), $"U+{(int)c:X4}: found {found}, masked {masked}");
                Assert.False(NumberShape.ContainsIndividualNumber(masked), $"U+{(int)c:X4}: {masked}");
            }
        }
    }

    [Theory]
    // The audit's: full-width colons, wave dashes, tildes, plus signs, apostrophes and 。 between groups ...
    [InlineData("１２３４：５６７８：９０１８")]
    [InlineData("1234〜5678〜9018")]
    [InlineData("1234～5678～9018")]
    [InlineData("1234+5678+9018")]
    [InlineData("1234'5678'9018")]
    [InlineData("1234。5678。9018")]
    // ... digits with an accent, a variation selector or a keycap on each ...
    [InlineData("1\u03012\u03013\u03014\u03015\u03016\u03017\u03018\u03019\u03010\u03011\u03018\u0301")]
    [InlineData("1\uFE0F2\uFE0F3\uFE0F4\uFE0F5\uFE0F6\uFE0F7\uFE0F8\uFE0F9\uFE0F0\uFE0F1\uFE0F8\uFE0F")]
    [InlineData("1\uFE0F\u20E32\uFE0F\u20E33\uFE0F\u20E34\uFE0F\u20E35\uFE0F\u20E36\uFE0F\u20E37\uFE0F\u20E38\uFE0F\u20E39\uFE0F\u20E30\uFE0F\u20E31\uFE0F\u20E38\uFE0F\u20E3")]
    // ... circled (⑩ is 10 to NFKC), superscript and kanji numerals, and 13 digits that hide 12 ...
    [InlineData("①②③④⑤⑥⑦⑧⑨⑩")]
    [InlineData("¹²³⁴⁵⁶⁷⁸⁹⁰¹⁸")]
    [InlineData("一二三四五六七八九〇一八")]
    [InlineData("一二三四・五六七八・九〇一")]
    [InlineData("二○二四○一○一五六七八")]          // ○ (U+25CB) written for zero
    [InlineData("一二三四◯五六七八九◯")]            // ◯ (U+25EF)
    // ... the formal numerals (大字) and 零 ...
    [InlineData("壱弐参四五六七八九〇壱八")]
    [InlineData("壱弐参肆伍陸漆捌玖零壱捌")]
    [InlineData("0123456789018")]
    [InlineData("1234567890188")]
    // ... and any digits that add up to 11, whatever stands between them.
    [InlineData("第1234支店5678号901")]
    [InlineData("1234a5678b901")]
    [InlineData("株式会社 12345 の 六七八九〇 と ①")]
    public void A_name_with_11_digits_in_all_in_any_form_is_no_plain_name(string name)
    {
        Assert.False(LogText.IsPlainName(name));
        Assert.Contains("11", LogText.NotPlainName);
    }

    [Theory]
    [InlineData("九十九里町")]                  // a place name with kanji numerals
    [InlineData("八王子市")]
    [InlineData("十和田市")]
    [InlineData("柏市")]
    [InlineData("株式会社三菱UFJ銀行")]
    [InlineData("第一二三四五六七八九〇工房")]   // ten numerals: one short of a number without its check digit
    [InlineData("壱弐参肆伍陸漆捌玖零")]          // ten formal numerals: one short as well
    [InlineData("1234567890")]
    [InlineData("東京都千代田区丸の内1-2-3 第5ビル")]   // an address with no phone number
    [InlineData("Ⅻ Verifiers 2026")]
    [InlineData("Café ①")]
    public void A_name_with_fewer_digits_is_plain(string name) => Assert.True(LogText.IsPlainName(name));

    [Theory]
    [InlineData("柏市\u200B")]                 // invisible format characters and controls, as before
    [InlineData("柏市\n")]
    public void A_name_with_an_invisible_character_is_no_plain_name(string name) => Assert.False(LogText.IsPlainName(name));

    [Fact]
    public void A_name_with_half_a_surrogate_pair_is_no_plain_name() => Assert.False(LogText.IsPlainName("柏市\uD800"));

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
