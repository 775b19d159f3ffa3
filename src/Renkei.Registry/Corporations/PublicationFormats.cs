using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using Renkei.Hosting;

namespace Renkei.Registry.Corporations;

/// <summary>One page of an answer: the header the NTA puts first, and the page's records.</summary>
public sealed record PublicationPage(string LastUpdateDate, long Count, int DivideNumber, int DivideSize, IReadOnlyList<CorporationRecord> Records)
{
    /// <summary>The position of the page's first record in the whole answer, less one.</summary>
    public long FirstSequence { get; init; }
}

/// <summary>The response types (<c>type</c>) of the publication API.</summary>
public enum PublicationType
{
    /// <summary>01: CSV in Shift_JIS (JIS levels 1 and 2).</summary>
    CsvShiftJis,
    /// <summary>02: CSV in Unicode (UTF-8).</summary>
    CsvUnicode,
    /// <summary>12: XML in Unicode (UTF-8).</summary>
    XmlUnicode,
    /// <summary>22: JSON (UTF-8); Renkei's addition, the NTA has none.</summary>
    Json,
}

/// <summary>
/// Writes answers as the NTA does: CSV (a header line lastUpdateDate,count,divideNumber,divideSize,
/// then one line per record, free text in double quotes, CRLF), XML (&lt;corporations&gt; with the four
/// header elements and one &lt;corporation&gt; per record) or Renkei's JSON of the same shape.
/// </summary>
public static class PublicationFormats
{
    public static readonly IReadOnlyDictionary<string, PublicationType> Types = new Dictionary<string, PublicationType>
    {
        ["01"] = PublicationType.CsvShiftJis, ["02"] = PublicationType.CsvUnicode, ["12"] = PublicationType.XmlUnicode, ["22"] = PublicationType.Json,
    };

    /// <summary>
    /// Code page 932 with a fallback: a character it cannot hold becomes 〓 (geta), the customary stand-in, rather than a
    /// question mark. Only <see cref="ToShiftJis"/> writes with it, keeping to what every Shift_JIS reader reads.
    /// </summary>
    private static Encoding ShiftJis { get; } = CreateShiftJis();

    private static Encoding CreateShiftJis()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(932, new GetaFallback(), DecoderFallback.ReplacementFallback);
    }

    /// <summary>
    /// Type 01 is Shift_JIS of JIS levels 1 and 2 (JIS X 0201 and X 0208). Code page 932 adds NEC's and IBM's characters
    /// (①, 髙) that a strict decoder (Python's, Java's, iconv's SHIFT_JIS) refuses, so they become 〓 as any other
    /// character outside the two levels does; and where 932 and JIS X 0208 map one code to different characters (〜 and
    /// ～, − and －, ‖ and ∥, — and ―, ¢ £ ¬ and their full-width forms) either is written as that one code, which each
    /// reader then reads in its own way.
    /// </summary>
    public static byte[] ToShiftJis(string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            chars[i] = c switch
            {
                '\u301C' => '\uFF5E', '\u2212' => '\uFF0D', '\u2016' => '\u2225', '\u2014' => '\u2015',
                '\u00A2' => '\uFFE0', '\u00A3' => '\uFFE1', '\u00AC' => '\uFFE2',
                _ when c < 0x80 || char.IsSurrogate(c) => c, // ASCII as it is; a pair outside the BMP falls back to 〓 on its own
                _ => InJisLevels1And2.Value[c] ? c : '〓',
            };
        }
        return ShiftJis.GetBytes(chars);
    }

    // Per BMP character: does code page 932 write it as JIS X 0201 or as a JIS X 0208 code (lead byte 81–84, 88–9F, E0–EA)?
    private static readonly Lazy<bool[]> InJisLevels1And2 = new(() =>
    {
        var strict = Encoding.GetEncoding(932, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        var table = new bool[0x10000];
        Span<byte> bytes = stackalloc byte[4];
        for (var c = 0x80; c < 0x10000; c++)
        {
            if (char.IsSurrogate((char)c)) continue;
            int n;
            try { n = strict.GetBytes([(char)c], bytes); }
            catch (EncoderFallbackException) { continue; }
            table[c] = n == 1 || bytes[0] is (>= 0x81 and <= 0x84) or (>= 0x88 and <= 0x9F) or (>= 0xE0 and <= 0xEA);
        }
        return table;
    });

    /// <summary>One 〓 per character Shift_JIS lacks, a surrogate pair included (the stock fallback writes two).</summary>
    private sealed class GetaFallback : EncoderFallback
    {
        public override int MaxCharCount => 1;

        public override EncoderFallbackBuffer CreateFallbackBuffer() => new Buffer();

        private sealed class Buffer : EncoderFallbackBuffer
        {
            private bool pending;
            private bool given;

            public override bool Fallback(char charUnknown, int index) => Begin();

            public override bool Fallback(char charUnknownHigh, char charUnknownLow, int index) => Begin();

            private bool Begin()
            {
                pending = true;
                given = false;
                return true;
            }

            public override char GetNextChar()
            {
                if (!pending) return '\0';
                pending = false;
                given = true;
                return '〓';
            }

            public override bool MovePrevious()
            {
                if (!given) return false;
                given = false;
                pending = true;
                return true;
            }

            public override int Remaining => pending ? 1 : 0;

            public override void Reset() => pending = given = false;
        }
    }

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static IResult Write(PublicationPage page, PublicationType type) => type switch
    {
        PublicationType.CsvShiftJis => Results.Bytes(ToShiftJis(Csv(page)), "text/csv; charset=Shift_JIS"),
        PublicationType.CsvUnicode => Results.Bytes(Utf8.GetBytes(Csv(page)), "text/csv; charset=UTF-8"),
        PublicationType.XmlUnicode => Results.Bytes(Xml(page), "application/xml; charset=UTF-8"),
        _ => Results.Bytes(Json(page), "application/json; charset=utf-8"),
    };

    public static string Csv(PublicationPage page)
    {
        var sb = new StringBuilder(256 + page.Records.Count * 256);
        sb.Append(page.LastUpdateDate).Append(',').Append(page.Count.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(page.DivideNumber.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(page.DivideSize.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        for (var i = 0; i < page.Records.Count; i++)
        {
            var items = page.Records[i].Items(page.FirstSequence + i + 1);
            for (var j = 0; j < items.Length; j++)
            {
                if (j > 0) sb.Append(',');
                var value = items[j];
                if (value.Length > 0 && (CorporationRecord.QuotedItems.Contains(j) || value.AsSpan().IndexOfAny(",\"\r\n") >= 0))
                    sb.Append('"').Append(value.Replace("\"", "\"\"")).Append('"');
                else sb.Append(value);
            }
            sb.Append("\r\n");
        }
        return sb.ToString();
    }

    public static byte[] Xml(PublicationPage page)
    {
        using var stream = new MemoryStream();
        // The declaration as the NTA writes it (XmlWriter would spell the encoding in lower case).
        stream.Write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"u8);
        using (var w = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = Utf8, Indent = false, OmitXmlDeclaration = true }))
        {
            w.WriteStartElement("corporations");
            w.WriteElementString("lastUpdateDate", page.LastUpdateDate);
            w.WriteElementString("count", page.Count.ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("divideNumber", page.DivideNumber.ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("divideSize", page.DivideSize.ToString(CultureInfo.InvariantCulture));
            for (var i = 0; i < page.Records.Count; i++)
            {
                var items = page.Records[i].Items(page.FirstSequence + i + 1);
                w.WriteStartElement("corporation");
                for (var j = 0; j < items.Length; j++)
                {
                    w.WriteStartElement(CorporationRecord.ItemNames[j]);
                    if (items[j].Length > 0) w.WriteString(XmlSafe(items[j]));
                    w.WriteEndElement();
                }
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }
        return stream.ToArray();
    }

    /// <summary>Drops the few characters XML 1.0 cannot carry (stored text has none, but an answer must never fail).</summary>
    private static string XmlSafe(string text) => text.All(XmlConvert.IsXmlChar) ? text : Strip(text);

    private static string Strip(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { sb.Append(text, i, 2); i++; }
            else if (XmlConvert.IsXmlChar(text[i])) sb.Append(text[i]);
        }
        return sb.ToString();
    }

    public static byte[] Json(PublicationPage page)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = ServiceDefaults.Json.Encoder }))
        {
            w.WriteStartObject();
            w.WriteString("lastUpdateDate", page.LastUpdateDate);
            w.WriteNumber("count", page.Count);
            w.WriteNumber("divideNumber", page.DivideNumber);
            w.WriteNumber("divideSize", page.DivideSize);
            w.WriteStartArray("corporations");
            for (var i = 0; i < page.Records.Count; i++)
            {
                var items = page.Records[i].Items(page.FirstSequence + i + 1);
                w.WriteStartObject();
                for (var j = 0; j < items.Length; j++) w.WriteString(CorporationRecord.ItemNames[j], items[j]);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return stream.ToArray();
    }
}
