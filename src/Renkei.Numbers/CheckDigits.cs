namespace Renkei.Numbers;

/// <summary>The Individual Number's and the Resident Record Code's check-digit formula; the agencies' numbers' are in AgencyCheckDigits.</summary>
internal static class CheckDigits
{
    /// <summary>
    /// The Individual Number's formula: P(n) is the n-th digit from the right, Q(n) = n + 1 for
    /// n ≤ 6 and n − 5 above; r = Σ P(n)Q(n) mod 11; 0 when r ≤ 1, else 11 − r.
    /// </summary>
    public static int Mod11(ReadOnlySpan<byte> payload)
    {
        var sum = 0;
        for (var n = 1; n <= payload.Length; n++)
        {
            var weight = n <= 6 ? n + 1 : n - 5;
            sum += payload[^n] * weight;
        }
        var r = sum % 11;
        return r <= 1 ? 0 : 11 - r;
    }
}
