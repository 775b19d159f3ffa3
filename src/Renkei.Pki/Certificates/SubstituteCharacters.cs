using System.Buffers;
using System.Globalization;
using System.Text;

namespace Renkei.Pki.Certificates;

/// <summary>Text as the signing certificate writes it, and where a substitute character stands in (1) or not (0), one digit per character.</summary>
public sealed record SubstitutedText(string Text, string Positions)
{
    public bool AnySubstituted => Positions.Contains('1', StringComparison.Ordinal);
}

/// <summary>
/// The certificate's character set as the JPKI profile has it: JIS X 0208 levels 1 and 2, JIS X
/// 0212 (補助漢字) and ASCII. A character outside it (a 外字 such as 𠮷) is written as a substitute
/// character (代替文字): its compatibility form when that is inside (塚 U+FA10 → 塚, ｱ → ア), a
/// known similar character, else 〓 (the geta mark JIS systems use for a missing character). The
/// positions string (1.2.392.200149.8.5.5.2 and .6) says which characters are substitutes.
/// </summary>
public static class SubstituteCharacters
{
    public const char Geta = '〓';

    // Characters outside both JIS sets whose usual stand-in is known: 外字 and IBM extensions common in names.
    private static readonly Dictionary<int, int> Similar = new()
    {
        [0x9AD9] = '高', // 髙 (hashigo-daka)
        [0xFA11] = '崎', // 﨑 (tatsu-saki)
        [0x5FB7] = '徳', // 德
        [0x20BB7] = '吉', // 𠮷 (tsuchi-yoshi)
        [0x2123D] = '土', // 𡈽
        [0x2363A] = '橋', // 𣘺
    };

    private static readonly Lazy<HashSet<int>> Representable = new(Build);

    public static bool IsRepresentable(Rune rune) => rune.Value is >= 0x20 and <= 0x7E || Representable.Value.Contains(rune.Value);

    /// <summary>The text with each character outside the set replaced, and the positions string.</summary>
    public static SubstitutedText Substitute(string text)
    {
        var written = new StringBuilder(text.Length);
        var positions = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsRepresentable(rune))
            {
                written.Append(rune.ToString());
                positions.Append('0');
                continue;
            }
            written.Append(StandIn(rune).ToString());
            positions.Append('1');
        }
        return new SubstitutedText(written.ToString(), positions.ToString());
    }

    private static Rune StandIn(Rune rune)
    {
        // One character for one, so that the positions string keeps counting characters.
        var compatible = rune.ToString().Normalize(NormalizationForm.FormKC);
        if (Rune.DecodeFromUtf16(compatible, out var single, out var used) == OperationStatus.Done && used == compatible.Length && IsRepresentable(single))
            return single;
        if (Similar.TryGetValue(rune.Value, out var similar) && IsRepresentable(new Rune(similar))) return new Rune(similar);
        return new Rune(Geta);
    }

    /// <summary>
    /// Decodes every JIS code point through EUC-JP (Windows code page 20932 puts JIS X 0212 at a
    /// lead byte with a 7-bit trail byte). Decoding, not encoding: the encoder best-fits characters
    /// outside the set onto similar ones, which would hide exactly what needs a substitute.
    /// </summary>
    private static HashSet<int> Build()
    {
        var euc = CodePagesEncodingProvider.Instance.GetEncoding(20932, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback)
            ?? throw new InvalidOperationException("EUC-JP (code page 20932) is not available");
        var set = new HashSet<int>();
        Span<byte> pair = stackalloc byte[2];
        for (var row = 1; row <= 94; row++)
        {
            // JIS X 0208: rows 1–8 (symbols, kana, Latin, Greek, Cyrillic, box drawing) and 16–84 (kanji levels 1 and 2).
            var jis0208 = row is <= 8 or (>= 16 and <= 84);
            // JIS X 0212: rows 2, 6, 7, 9–11 (symbols and accented letters) and 16–77 (supplementary kanji).
            var jis0212 = row is 2 or 6 or 7 or (>= 9 and <= 11) or (>= 16 and <= 77);
            for (var cell = 1; cell <= 94; cell++)
            {
                pair[0] = (byte)(0xA0 + row);
                if (jis0208) { pair[1] = (byte)(0xA0 + cell); Add(euc, pair, set); }
                if (jis0212) { pair[1] = (byte)(0x20 + cell); Add(euc, pair, set); }
            }
        }
        // The same JIS code points as Microsoft's tables map them (～ ∥ － ￠ ￡ ￢).
        foreach (var c in "～∥－￠￡￢") set.Add(c);
        return set;
    }

    private static void Add(Encoding euc, ReadOnlySpan<byte> pair, HashSet<int> set)
    {
        string decoded;
        try { decoded = euc.GetString(pair); }
        catch (DecoderFallbackException) { return; }
        if (Rune.DecodeFromUtf16(decoded, out var rune, out var used) == OperationStatus.Done && used == decoded.Length
            && rune.Value != 0xFFFD && !Rune.IsControl(rune) && CharUnicodeInfo.GetUnicodeCategory(rune.Value) != UnicodeCategory.PrivateUse)
            set.Add(rune.Value);
    }
}
