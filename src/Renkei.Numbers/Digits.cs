namespace Renkei.Numbers;

/// <summary>
/// Reads the digits of a number as people type them: ASCII or full-width digits, with spaces
/// (ASCII, ideographic, no-break, thin, a tab) and the hyphens, dashes and long-vowel marks that
/// Japanese input methods and pasted documents put between digit groups.
/// </summary>
internal static class Digits
{
    /// <summary>
    /// Collects the digits of <paramref name="text"/> into <paramref name="digits"/>, or says why it cannot. Spaces may stand
    /// anywhere; a hyphen or dash only between digits, where it groups them: before the first ("-123456789018", a negative
    /// number or a mistyped option) or after the last it is refused.
    /// </summary>
    public static bool TryRead(NumberKind kind, ReadOnlySpan<char> text, Span<byte> digits, out NumberProblem? problem)
    {
        var count = 0;
        var dashAfterLast = -1; // a dash after the last digit so far, 0-based
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            int d;
            if (c is >= '0' and <= '9') d = c - '0';
            else if (c is >= '０' and <= '９') d = c - '０';
            else if (IsSeparator(c))
            {
                if (IsDash(c) && dashAfterLast < 0) dashAfterLast = i;
                continue;
            }
            else
            {
                // The whole character: a surrogate pair is one character to the person who typed it.
                var length = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
                problem = new NumberProblem(kind, NumberProblemKind.NonDigit, Position: i + 1, Character: text.Slice(i, length).ToString());
                return false;
            }
            if (count == 0 && dashAfterLast >= 0) return Misplaced(kind, text, dashAfterLast, out problem);
            dashAfterLast = -1;
            if (count < digits.Length) digits[count] = (byte)d;
            count++;
        }
        if (count == 0)
        {
            problem = new NumberProblem(kind, NumberProblemKind.Empty);
            return false;
        }
        if (dashAfterLast >= 0) return Misplaced(kind, text, dashAfterLast, out problem);
        if (count != digits.Length)
        {
            problem = new NumberProblem(kind, NumberProblemKind.Length, DigitCount: count);
            return false;
        }
        problem = null;
        return true;
    }

    private static bool Misplaced(NumberKind kind, ReadOnlySpan<char> text, int at, out NumberProblem? problem)
    {
        problem = new NumberProblem(kind, NumberProblemKind.MisplacedSeparator, Position: at + 1, Character: text[at].ToString());
        return false;
    }

    private static bool IsSeparator(char c) => c is ' ' or '\u3000' or '\t' or '\u00A0' or '\u2007' or '\u2009' or '\u202F' || IsDash(c);

    /// <summary>Hyphens, dashes, the minus sign and the long-vowel marks that input methods type for a hyphen.</summary>
    private static bool IsDash(char c) => c is '-' or '\u2010' or '\u2011' or '\u2012' or '\u2013' or '\u2014' or '\u2015' or '\u2212'
        or '\uFE63' or '\uFF0D' or '\u30FC' or '\uFF70';

    /// <summary>The digits as a number (at most 18 digits).</summary>
    public static long ToInt64(ReadOnlySpan<byte> digits)
    {
        long v = 0;
        foreach (var d in digits) v = v * 10 + d;
        return v;
    }

    /// <summary>Writes <paramref name="value"/> as exactly <paramref name="digits"/>.Length digits.</summary>
    public static void FromInt64(long value, Span<byte> digits)
    {
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            digits[i] = (byte)(value % 10);
            value /= 10;
        }
    }

    public static NumberProblem? CheckDigitProblem(NumberKind kind, int expected, int actual) =>
        expected == actual ? null : new NumberProblem(kind, NumberProblemKind.CheckDigit, ExpectedCheckDigit: expected, ActualCheckDigit: actual);

    public static FormatException ToException(NumberProblem problem) => new(problem.Message);

    /// <summary>Groups digits from the left in blocks of four, as the number is printed on the card.</summary>
    public static string GroupByFour(string digits, char separator = ' ')
    {
        var groups = new List<string>();
        for (var i = 0; i < digits.Length; i += 4) groups.Add(digits.Substring(i, Math.Min(4, digits.Length - i)));
        return string.Join(separator, groups);
    }
}
