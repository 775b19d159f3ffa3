namespace Renkei.Hosting;

/// <summary>
/// Whether text holds what could be an Individual Number (or one without its check digit): 11 or 12 digits, ASCII or
/// full-width, between the spaces and hyphens the number's own reader skips (Renkei.Numbers' Digits.IsSeparator; Core
/// and Node do not reference the numbers library, so that no Individual Number type can reach them). Neither may hold one.
/// </summary>
public static class NumberShape
{
    /// <summary>
    /// Somewhere in the text is such a number: 11 or 12 digits in a row, or in groups with separators between them
    /// (<c>1234-5678-9018</c>). A group next to it does not hide it (<c>123456789018-1</c>, <c>1 123456789018</c>), but 13 or
    /// more digits with no separator, such as a Corporate Number, are not one.
    /// </summary>
    public static bool ContainsIndividualNumber(string? s) => s is not null && HasDigit(s) && Spans(s).Any();

    /// <summary>
    /// The text with every such number's digits replaced by asterisks: what an answer or a log repeats of a client's input
    /// must not carry a number the client typed into the wrong place (ARCHITECTURE.md: no number in error messages).
    /// </summary>
    public static string? Mask(string? s)
    {
        if (s is null || !HasDigit(s)) return s; // most text a service repeats has no digit at all
        char[]? chars = null;
        foreach (var (first, last) in Spans(s))
        {
            chars ??= s.ToCharArray();
            for (var i = first; i <= last; i++) if (IsDigit(chars[i])) chars[i] = '*';
        }
        return chars is null ? s : new string(chars);
    }

    /// <summary>
    /// First and last index of each number found: within a chain of digit groups joined by separators, every run of
    /// consecutive groups whose digits add up to 11 or 12.
    /// </summary>
    private static IEnumerable<(int First, int Last)> Spans(string s)
    {
        var chain = new List<(int Start, int End)>();
        var groupStart = -1;
        for (var i = 0; i <= s.Length; i++)
        {
            var ch = i < s.Length ? s[i] : '\0';
            if (IsDigit(ch))
            {
                if (groupStart < 0) groupStart = i;
                continue;
            }
            if (groupStart >= 0) chain.Add((groupStart, i - 1));
            groupStart = -1;
            if (IsSeparator(ch) && chain.Count > 0) continue;
            for (var a = 0; a < chain.Count; a++)
            {
                var digits = 0;
                for (var b = a; b < chain.Count && digits <= 12; b++)
                {
                    digits += chain[b].End - chain[b].Start + 1;
                    if (digits is 11 or 12) yield return (chain[a].Start, chain[b].End);
                }
            }
            chain.Clear();
        }
    }

    private static bool HasDigit(string s) => s.AsSpan().IndexOfAnyInRange('0', '9') >= 0 || s.AsSpan().IndexOfAnyInRange('０', '９') >= 0;

    private static bool IsDigit(char ch) => ch is (>= '0' and <= '9') or (>= '０' and <= '９');

    private static bool IsSeparator(char ch) =>
        ch is ' ' or '\u3000' or '\t' or '-' or '\u2010' or '\u2011' or '\u2012' or '\u2013' or '\u2014' or '\u2212' or '\uFF0D' or '\u30FC'
        or '\u00A0' or '\u2007' or '\u2009' or '\u202F' or '\u2015' or '\uFE63' or '\uFF70';
}
