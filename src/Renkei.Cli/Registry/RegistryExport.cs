using System.Text;
using System.Text.Json;
using Renkei.Hosting.Storage;

namespace Renkei.Cli.Registry;

/// <summary>
/// Writes the register as CSV (RFC 4180, UTF-8, CRLF), one resident a row, streamed from the database. Stopped, it stops
/// between rows and flushes: what it wrote ends with a whole row.
/// </summary>
public static class RegistryExport
{
    public static readonly string[] Columns =
    [
        "resident_record_code", "individual_number", "municipality_code", "family_name", "given_name", "family_name_kana", "given_name_kana",
        "date_of_birth", "sex", "address", "household_id", "relationship", "status", "resident_id",
    ];

    public static async Task<(long Rows, bool Stopped)> WriteAsync(Database database, string? municipality, TextWriter output, CancellationToken stop)
    {
        await using var c = await database.OpenAsync(CancellationToken.None);
        await using var command = c.Command(
            "SELECT r.resident_record_code, n.number, r.municipality_code, r.family_name, r.given_name, r.family_name_kana, r.given_name_kana, " +
            "r.date_of_birth, r.sex, r.address, r.household_id, r.relationship, r.status, r.resident_id FROM residents r " +
            "LEFT JOIN individual_numbers n ON n.resident_id = r.resident_id AND n.superseded_at IS NULL " +
            (municipality is null ? "" : "WHERE r.municipality_code = @m ") +
            "ORDER BY r.municipality_code, r.last_position, r.resident_id",
            null, municipality is null ? Array.Empty<(string, object?)>() : [("m", municipality)]);
        await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
        output.Write(string.Join(',', Columns));
        output.Write("\r\n");
        long rows = 0;
        var line = new StringBuilder(256);
        var stopped = false;
        // Never cancelled inside a row: a cancellation thrown there left a cut-off last row in the file.
        while (!(stopped = stop.IsCancellationRequested) && await reader.ReadAsync(CancellationToken.None))
        {
            line.Clear();
            for (var i = 0; i < Columns.Length; i++)
            {
                if (i > 0) line.Append(',');
                var value = reader.IsDBNull(i) ? "" : reader.GetString(i);
                if (i is 8 or 12) value = JsonNamingPolicy.KebabCaseLower.ConvertName(value); // Male → male, MovedOut → moved-out
                Csv.AppendField(line, value);
            }
            line.Append("\r\n");
            output.Write(line);
            rows++;
        }
        await output.FlushAsync(CancellationToken.None);
        return (rows, stopped);
    }
}
