using System.Text;

namespace Renkei.Cli;

/// <summary>RFC 4180 CSV as spreadsheets read and write it: what the CLI exports and what it imports.</summary>
public static class Csv
{
    /// <summary>Quotes a field when it holds a comma, a quote or a line break, doubling the quotes (RFC 4180).</summary>
    public static void AppendField(StringBuilder line, string value)
    {
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            line.Append(value);
            return;
        }
        line.Append('"').Append(value.Replace("\"", "\"\"")).Append('"');
    }

    /// <summary>
    /// The fields up to the last that holds more than spaces: a spreadsheet saves every row as wide as its widest
    /// (<c>K-1,&lt;number&gt;,,,,</c>) and an empty row as <c>,,,,</c>, which is then no fields at all.
    /// </summary>
    public static string[] WithoutTrailingEmpty(string[] fields)
    {
        var n = fields.Length;
        while (n > 0 && string.IsNullOrWhiteSpace(fields[n - 1])) n--;
        return fields[..n];
    }

    /// <summary>Records of (the line each starts on, fields); quoted fields may hold commas, doubled quotes and line breaks.</summary>
    public static List<(int Line, string[] Fields)> Parse(string text, List<(int, string)> bad)
    {
        var records = new List<(int, string[])>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var start = 1;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else
                {
                    // A line break inside the field counts as one line whatever ends it (CR LF, LF or a bare CR), as outside one.
                    if (c == '\r' || (c == '\n' && (i == 0 || text[i - 1] != '\r'))) line++;
                    field.Append(c);
                }
            }
            else if (c == '"' && field.Length == 0) quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else if (c == '\n' || c == '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                fields.Add(field.ToString()); field.Clear();
                records.Add((start, [.. fields])); fields.Clear();
                start = ++line;
            }
            else field.Append(c);
        }
        if (quoted) bad.Add((start, "引用符が閉じられていません / a quoted field is not closed"));
        else if (field.Length > 0 || fields.Count > 0) { fields.Add(field.ToString()); records.Add((start, [.. fields])); }
        return records;
    }
}
