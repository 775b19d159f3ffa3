namespace Renkei.Testing;

/// <summary>
/// Finds known Individual Numbers in text by the test's own reckoning, not by the masker's detector (which would pass whatever it
/// fails to recognise): as people write them, see <see cref="Forms"/>.
/// </summary>
public static class NumberLeaks
{
    /// <summary>Each number found in the text, named by its last digits, with the text around its first form found.</summary>
    public static IEnumerable<string> In(string text, IEnumerable<string> numbers) =>
        numbers.Select(n => (n, At: Forms(n).Select(form => text.IndexOf(form, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min()))
            .Where(x => x.At >= 0)
            .Select(x => $"a number (…{x.n[^4..]}) in: {text[Math.Max(0, x.At - 150)..Math.Min(text.Length, x.At + 50)]}");

    /// <summary>
    /// A number as people write it: 12 digits, 11 without the check digit, grouped 4-4-4 by a space or a hyphen, and the same in
    /// full-width digits, grouped also by a full-width hyphen or an ideographic space (last).
    /// </summary>
    public static IEnumerable<string> Forms(string number)
    {
        yield return number[..11];
        foreach (var n in new[] { number, FullWidth(number) })
        {
            yield return n;
            yield return Grouped(n, " ");
            yield return Grouped(n, "-");
        }
        yield return Grouped(FullWidth(number), "－");
        yield return Grouped(FullWidth(number), "　");
    }

    /// <summary>A number grouped 4-4-4, as on the card.</summary>
    public static string Grouped(string number, string separator) => $"{number[..4]}{separator}{number[4..8]}{separator}{number[8..]}";

    public static string FullWidth(string digits) => string.Concat(digits.Select(d => (char)(d - '0' + '０')));
}
