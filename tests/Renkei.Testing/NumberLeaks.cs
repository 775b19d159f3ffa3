namespace Renkei.Testing;

/// <summary>
/// Finds known Individual Numbers in text by the test's own reckoning, not by the masker's detector (which would pass whatever it
/// fails to recognise): as 12 digits, grouped 4-4-4 by a space or a hyphen, and in full-width digits.
/// </summary>
public static class NumberLeaks
{
    public static IEnumerable<string> In(string text, IEnumerable<string> numbers) =>
        numbers.Where(n => Forms(n).Any(form => text.Contains(form, StringComparison.Ordinal)))
            .Select(n => $"a number (…{n[^4..]}) in: {text[..Math.Min(text.Length, 200)]}");

    public static IEnumerable<string> Forms(string number)
    {
        foreach (var n in new[] { number, FullWidth(number) })
        {
            yield return n;
            yield return $"{n[..4]} {n[4..8]} {n[8..]}";
            yield return $"{n[..4]}-{n[4..8]}-{n[8..]}";
        }
        yield return $"{FullWidth(number[..4])}　{FullWidth(number[4..8])}　{FullWidth(number[8..])}"; // ideographic spaces
    }

    private static string FullWidth(string digits) => string.Concat(digits.Select(d => (char)(d - '0' + '０')));
}
