namespace Renkei;

/// <summary>
/// The check digits of the two numbers agencies are known by, the Corporate Number and the Local Government Code, and
/// whether plain ASCII digits are one. The one copy of these formulas: Renkei.Numbers' types use it, and Renkei.Protocol
/// compiles this same file in (a linked source), since Protocol, Core's relay and Node must not reference the numbers
/// library that holds the Individual Number type (ArchitectureTests). It holds nothing of the Individual Number.
/// </summary>
internal static class AgencyCheckDigits
{
    /// <summary>
    /// 法人番号, the ordinance's formula: P(n) is the n-th digit of the twelve-digit base from the right, Q(n) = 1 for odd n
    /// and 2 for even n; check digit = 9 − (Σ P(n)Q(n) mod 9), so 1 to 9, never 0.
    /// </summary>
    public static int Corporate(ReadOnlySpan<byte> baseDigits)
    {
        var sum = 0;
        for (var n = 1; n <= baseDigits.Length; n++) sum += baseDigits[^n] * (n % 2 == 1 ? 1 : 2);
        return 9 - sum % 9;
    }

    /// <summary>全国地方公共団体コード: weights 6, 5, 4, 3, 2 on the five digits; the check digit is the ones digit of 11 − (Σ mod 11).</summary>
    public static int LocalGovernment(ReadOnlySpan<byte> fiveDigits)
    {
        var sum = 0;
        for (var i = 0; i < fiveDigits.Length; i++) sum += fiveDigits[i] * (6 - i);
        return (11 - sum % 11) % 10;
    }

    /// <summary>The prefecture codes run from 01 (北海道) to 47 (沖縄県); 00 and 48–99 name none.</summary>
    public static bool IsPrefecture(int code) => code is >= 1 and <= 47;

    /// <summary>Whether <paramref name="id"/> is exactly 13 ASCII digits whose leading check digit matches the rest.</summary>
    public static bool IsCorporateNumber(string? id)
    {
        if (!TryDigits(id, 13, stackalloc byte[13], out var digits)) return false;
        return digits[0] == Corporate(digits[1..]);
    }

    /// <summary>Whether <paramref name="id"/> is exactly 6 ASCII digits: a prefecture code, three more and a matching check digit.</summary>
    public static bool IsLocalGovernmentCode(string? id)
    {
        if (!TryDigits(id, 6, stackalloc byte[6], out var digits)) return false;
        return IsPrefecture(digits[0] * 10 + digits[1]) && digits[5] == LocalGovernment(digits[..5]);
    }

    private static bool TryDigits(string? id, int length, Span<byte> buffer, out Span<byte> digits)
    {
        digits = buffer;
        if (id is null || id.Length != length) return false;
        for (var i = 0; i < length; i++)
        {
            if (!char.IsAsciiDigit(id[i])) return false;
            buffer[i] = (byte)(id[i] - '0');
        }
        return true;
    }
}
