using System.Buffers;
using System.Globalization;
using System.Text;

namespace Renkei.Hosting;

/// <summary>
/// Whether text holds what could be an Individual Number (or one without its check digit): 11 or 12 digits of any script
/// (ASCII, full-width, Arabic-Indic, mathematical, …, and the circled, parenthesised and superscript ones, ① ⑴ ²) between
/// separators. Marks after a digit (a combining accent, a variation selector, a keycap's enclosing square: 1️⃣) are part
/// of it, as they show on it. The separators are every space and dash of Unicode (a superset of those the number's own
/// reader skips, Renkei.Numbers' Digits.IsSeparator; Node and Protocol do not reference the numbers library, so that no
/// Individual Number type can reach them) and the punctuation people write between digit groups (dots, slashes, commas,
/// underscores, brackets), and line ends. Between groups, marks on a separator and invisible format characters (a
/// zero-width space) are read through as well: they show nothing, or show on the separator. Neither may hold one.
/// </summary>
public static partial class NumberShape
{
    /// <summary>
    /// Somewhere in the text is such a number: 11 or 12 digits in a row, or in groups with separators between them
    /// (<c>1234-5678-9018</c>, <c>1234.5678.9018</c>). A group next to it does not hide it (<c>123456789018-1</c>,
    /// <c>1 123456789018</c>), but 13 or more digits with no separator, such as a Corporate Number, are not one.
    /// </summary>
    public static bool ContainsIndividualNumber(string? s) => s is not null && HasDigit(s) && Spans(s).Any();

    /// <summary>
    /// The same in free text a person typed, where a number may also be written as people write one by hand: in the kanji
    /// numerals (一二三四五六七八九〇一八, the formal 零 壱…玖, ○ or ◯ for zero), or with colons between its groups
    /// (<c>1234:5678:9018</c>, full-width <c>：</c> too). A colon joins two groups only with a digit on either side: one within a
    /// time (<c>10:00</c>, <c>10:00:00</c>) joins nothing, so that a date and time stays what it is, and neither does one after
    /// a label, which a space follows (<c>TEL2: 03-1234-5678</c>, <c>接種2: 2024/04/01 10:00</c>). Not for logs: there a colon
    /// stands between a label and a value.
    /// </summary>
    public static bool ContainsIndividualNumberInFreeText(string? s)
    {
        if (s is null) return false;
        if (ContainsIndividualNumber(s)) return true;
        if (s.AsSpan().IndexOfAny(KanjiDigitsOrColons) < 0) return false;
        var read = string.Create(s.Length, s, (chars, text) =>
        {
            for (var i = 0; i < text.Length; i++) chars[i] = KanjiDigits.Contains(text[i]) ? '0' : text[i];
        });
        // A time's colons become a letter, which ends a group; every other colon between two digits is a separator, and the
        // rest end a group as they stand (a colon is no separator to ContainsIndividualNumber).
        read = Time().Replace(read, m => m.Value.Replace(':', 'T').Replace('：', 'T'));
        return ContainsIndividualNumber(string.Create(read.Length, read, (chars, text) =>
        {
            text.AsSpan().CopyTo(chars);
            for (var i = 0; i < text.Length; i++)
                if (text[i] is ':' or '：' && DigitEnds(text.AsSpan(0, i), before: true) && DigitEnds(text.AsSpan(i + 1), before: false)) chars[i] = '-';
        }));
    }

    /// <summary>
    /// Whether a digit stands at the end of <paramref name="text"/> (<paramref name="before"/>) or at its start, with the marks
    /// and invisible characters next to it read through: they show on the digit or the colon, or show nothing.
    /// </summary>
    private static bool DigitEnds(ReadOnlySpan<char> text, bool before)
    {
        while (text.Length > 0)
        {
            var status = before ? Rune.DecodeLastFromUtf16(text, out var rune, out var width) : Rune.DecodeFromUtf16(text, out rune, out width);
            if (status != OperationStatus.Done) return false;
            if (IsDigit(rune)) return true;
            if (!IsMark(rune) && !IsInvisible(rune)) return false;
            text = before ? text[..^width] : text[width..];
        }
        return false;
    }

    /// <summary>
    /// The kanji numerals worth one digit each (〇 to 九, the formal 零 and 壱 to 玖, ○ or ◯ for zero), as a free text or a
    /// name may spell an Individual Number in them: 十, 百, 拾 and the like multiply, and stand in place names (九十九里町).
    /// </summary>
    public const string KanjiDigitChars = "〇一二三四五六七八九零壱弐参肆伍陸漆捌玖○◯";

    public static readonly SearchValues<char> KanjiDigits = SearchValues.Create(KanjiDigitChars);
    private static readonly SearchValues<char> KanjiDigitsOrColons = SearchValues.Create(KanjiDigitChars + ":：");

    /// <summary>h:mm or h:mm:ss standing alone: no digit or colon joined to either end.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![\d:：])\d{1,2}[:：]\d{2}(?:[:：]\d{2})?(?![:：]?\d)")]
    private static partial System.Text.RegularExpressions.Regex Time();

    /// <summary>
    /// The text with every such number's digits, and the marks on them, replaced by asterisks (one for each UTF-16 unit):
    /// what an answer or a log repeats of a client's input must not carry a number the client typed into the wrong place
    /// (ARCHITECTURE.md: no number in error messages).
    /// </summary>
    public static string? Mask(string? s)
    {
        if (s is null || !HasDigit(s)) return s; // most text a service repeats has no digit at all
        char[]? chars = null;
        foreach (var (first, last) in Spans(s))
        {
            chars ??= s.ToCharArray();
            // Within a span stand only digits, marks, separators and invisible characters: all but the last two are masked.
            for (var i = first; i <= last; )
            {
                Rune.DecodeFromUtf16(s.AsSpan(i), out var rune, out var width);
                if (!IsSeparator(rune) && !IsInvisible(rune)) chars.AsSpan(i, width).Fill('*');
                i += width;
            }
        }
        return chars is null ? s : new string(chars);
    }

    /// <summary>
    /// A digit as a reader sees one: a decimal digit of any script (Nd), or another number character worth 0 to 9 (No:
    /// ① ❶ ⑴ ⒈ ² ₂). Not ⑩ or ½, nor letters with a value (Ⅻ, 〇, 一).
    /// </summary>
    public static bool IsDigit(Rune rune) => Rune.IsDigit(rune)
        || Rune.GetUnicodeCategory(rune) == UnicodeCategory.OtherNumber && Rune.GetNumericValue(rune) is >= 0 and <= 9 and var v && v == Math.Floor(v);

    /// <summary>
    /// A mark that shows on the character before it and so belongs to a digit it follows: a combining mark (Mn: accents,
    /// and the variation selectors U+FE00–FE0F and U+E0100–E01EF are Mn too) or an enclosing one (Me: the keycap U+20E3,
    /// the circle U+20DD).
    /// </summary>
    public static bool IsMark(Rune rune) => Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark;

    /// <summary>
    /// First and last index of each number found: within a chain of digit groups joined by separators, every run of
    /// consecutive groups whose digits add up to 11 or 12.
    /// </summary>
    internal static IEnumerable<(int First, int Last)> Spans(string s)
    {
        var chain = new List<(int Start, int End, int Digits)>();
        int groupStart = -1, groupDigits = 0;
        for (var i = 0; ; )
        {
            var width = 1;
            var rune = Rune.ReplacementChar;
            var digit = false;
            if (i < s.Length)
                digit = Rune.DecodeFromUtf16(s.AsSpan(i), out rune, out width) == OperationStatus.Done && IsDigit(rune);
            if (digit)
            {
                if (groupStart < 0) (groupStart, groupDigits) = (i, 0);
                groupDigits++;
                i += width;
                while (i < s.Length && Rune.DecodeFromUtf16(s.AsSpan(i), out var mark, out var markWidth) == OperationStatus.Done && IsMark(mark))
                    i += markWidth;
                continue;
            }
            if (groupStart >= 0) chain.Add((groupStart, i - 1, groupDigits));
            groupStart = -1;
            // Marks reach here only after a separator or an invisible character (those after a digit are the digit's).
            if (i < s.Length && chain.Count > 0 && (IsSeparator(rune) || IsInvisible(rune) || IsMark(rune))) { i += width; continue; }
            for (var a = 0; a < chain.Count; a++)
            {
                var digits = 0;
                for (var b = a; b < chain.Count && digits <= 12; b++)
                {
                    digits += chain[b].Digits;
                    if (digits is 11 or 12) yield return (chain[a].Start, chain[b].End);
                }
            }
            chain.Clear();
            if (i >= s.Length) yield break;
            i += width;
        }
    }

    /// <summary>Whether any digit may be in the text: for ASCII text (most of what is checked) a vectorized search.</summary>
    private static bool HasDigit(string s) =>
        Ascii.IsValid(s) ? s.AsSpan().IndexOfAnyInRange('0', '9') >= 0 : s.AsSpan().IndexOfAny(MaybeDigit) >= 0 || HasOtherDigit(s);

    private static bool HasOtherDigit(string s)
    {
        foreach (var ch in s) if (char.IsSurrogate(ch) || IsDigit(new Rune(ch))) return true;
        return false;
    }

    private static readonly SearchValues<char> MaybeDigit = SearchValues.Create("0123456789０１２３４５６７８９");

    // Not every punctuation mark: with a colon between groups, a time ("2024/01/01 10:00:00": 2024/01/01 10:00 are 12 digits in
    // groups) would read as an Individual Number; free text tells a time's colons from others (ContainsIndividualNumberInFreeText). Names, which need no long digit chains, count every digit
    // instead (LogText.IsPlainName). Every space (Zs: en, em, hair, ideographic, …) and every dash (Pd: hyphens, en and em
    // dashes) is one, not only those the numbers library reads: one it leaves out would hide a number. But not the wave
    // dashes 〜 and 〰: Japanese writes a range with them ("2024/04/01〜2025/03/31", "195,001〜330,000"), as with the
    // full-width tilde ～ that other input methods type, and no one writes a number's groups apart with one.
    private static bool IsSeparator(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.SpaceSeparator or UnicodeCategory.DashPunctuation && rune.Value is not ('\u301C' or '\u3030')
        || rune.Value is '\t' or '\u2212' or '\u30FC' or '\uFF70' // tab, minus sign and the long-vowel marks input methods type for a hyphen
        // Line ends (LF, VT, FF, CR, NEL, the line and paragraph separators): a number typed or pasted across lines still reads
        // as one, and a log's escape of the break (1234\u000A5678…) leaves it as plain to see. Copies refuse them anyway.
        or '\n' or '\v' or '\f' or '\r' or '\u0085' or '\u2028' or '\u2029'
        // What people put between digit groups besides: dots, middle dots, commas, slashes, underscores and brackets, ASCII and full-width.
        or '.' or '\uFF0E' or '\u30FB' or '\uFF65' or '\u00B7' or ',' or '\uFF0C' or '\u3001' or '/' or '\uFF0F' or '_' or '\uFF3F'
        or '(' or ')' or '\uFF08' or '\uFF09';

    /// <summary>An invisible format character (Cf: zero-width space and joiners, soft hyphen, byte order mark, tags): it shows nothing between groups.</summary>
    private static bool IsInvisible(Rune rune) => Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format;
}
