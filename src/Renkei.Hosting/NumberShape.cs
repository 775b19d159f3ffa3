namespace Renkei.Hosting;

/// <summary>
/// Whether text holds what could be an Individual Number (or one without its check digit): 11 or 12 digits, ASCII or
/// full-width, between the spaces and hyphens the number's own reader skips (Renkei.Numbers' Digits.IsSeparator; Core
/// and Node do not reference the numbers library, so that no Individual Number type can reach them). Neither may hold one.
/// </summary>
public static class NumberShape
{
    /// <summary>The whole text is such a number: an addressee number pasted from the wrong column.</summary>
    public static bool LooksLikeIndividualNumber(string? s)
    {
        if (s is null) return false;
        var digits = 0;
        foreach (var ch in s)
        {
            if (IsSeparator(ch)) continue;
            if (!IsDigit(ch)) return false;
            digits++;
        }
        return digits is 11 or 12;
    }

    /// <summary>
    /// Somewhere in the text is such a number: a run of 11 or 12 digits, separators allowed between them (a longer run,
    /// such as a 13-digit Corporate Number, is not one).
    /// </summary>
    public static bool ContainsIndividualNumber(string? s)
    {
        if (s is null) return false;
        var run = 0;
        foreach (var ch in s)
        {
            if (IsDigit(ch)) run++;
            else if (!(IsSeparator(ch) && run > 0))
            {
                if (run is 11 or 12) return true;
                run = 0;
            }
        }
        return run is 11 or 12;
    }

    /// <summary>
    /// The text with every such run replaced by asterisks: what an answer or a log repeats of a client's input must not
    /// carry a number the client typed into the wrong place (ARCHITECTURE.md: no number in error messages).
    /// </summary>
    public static string? Mask(string? s)
    {
        if (!ContainsIndividualNumber(s)) return s;
        var chars = s!.ToCharArray();
        int start = -1, digits = 0, last = -1;
        for (var i = 0; i <= chars.Length; i++)
        {
            var ch = i < chars.Length ? chars[i] : '\0';
            if (IsDigit(ch))
            {
                if (digits == 0) start = i;
                digits++;
                last = i;
            }
            else if (!(IsSeparator(ch) && digits > 0))
            {
                if (digits is 11 or 12)
                    for (var j = start; j <= last; j++) if (IsDigit(chars[j])) chars[j] = '*';
                digits = 0;
            }
        }
        return new string(chars);
    }

    private static bool IsDigit(char ch) => ch is (>= '0' and <= '9') or (>= '０' and <= '９');

    private static bool IsSeparator(char ch) =>
        ch is ' ' or '\u3000' or '\t' or '-' or '\u2010' or '\u2011' or '\u2012' or '\u2013' or '\u2014' or '\u2212' or '\uFF0D' or '\u30FC'
        or '\u00A0' or '\u2007' or '\u2009' or '\u202F' or '\u2015' or '\uFE63' or '\uFF70';
}
