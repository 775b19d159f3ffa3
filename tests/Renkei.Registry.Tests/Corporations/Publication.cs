using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;

namespace Renkei.Registry.Tests.Corporations;

/// <summary>An answer of the publication API read back from any of its formats.</summary>
public sealed record Publication(string LastUpdateDate, long Count, int DivideNumber, int DivideSize, List<Dictionary<string, string>> Records)
{
    public static readonly string[] Items =
    [
        "sequenceNumber", "corporateNumber", "process", "correct", "updateDate", "changeDate",
        "name", "nameImageId", "kind", "prefectureName", "cityName", "streetNumber", "addressImageId",
        "prefectureCode", "cityCode", "postCode", "addressOutside", "addressOutsideImageId", "closeDate",
        "closeCause", "successorCorporateNumber", "changeCause", "assignmentDate", "latest", "enName",
        "enPrefectureName", "enCityName", "enAddressOutside", "furigana", "hihyoji",
    ];

    static Publication() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static Encoding ShiftJis => Encoding.GetEncoding(932);

    /// <summary>GETs <paramref name="path"/> and reads the answer in the format its <c>type</c> names; fails on any non-200.</summary>
    public static async Task<Publication> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {Encoding.UTF8.GetString(bytes)}");
        var type = System.Web.HttpUtility.ParseQueryString(new Uri(client.BaseAddress!, path).Query)["type"];
        return type switch
        {
            "01" => ParseCsv(ShiftJis.GetString(bytes), response),
            "02" => ParseCsv(Encoding.UTF8.GetString(bytes), response),
            "12" => ParseXml(bytes),
            "22" => ParseJson(bytes),
            _ => throw new ArgumentException($"type {type}"),
        };
    }

    private static Publication ParseCsv(string text, HttpResponseMessage response)
    {
        Assert.StartsWith("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.EndsWith("\r\n", text);
        var rows = ReadCsv(text);
        var header = rows[0];
        Assert.Equal(4, header.Count);
        var records = rows.Skip(1).Select(r =>
        {
            Assert.Equal(30, r.Count);
            return Items.Zip(r).ToDictionary(p => p.First, p => p.Second);
        }).ToList();
        return new Publication(header[0], long.Parse(header[1]), int.Parse(header[2]), int.Parse(header[3]), records);
    }

    /// <summary>RFC 4180 CSV: quoted fields, doubled quotes, CRLF lines.</summary>
    public static List<List<string>> ReadCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(field.ToString()); field.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(field.ToString()); field.Clear(); rows.Add(row); row = []; i++;
            }
            else field.Append(c);
        }
        Assert.Empty(row);
        return rows;
    }

    private static Publication ParseXml(byte[] bytes)
    {
        var document = XDocument.Parse(Encoding.UTF8.GetString(bytes));
        var root = document.Root!;
        Assert.Equal("corporations", root.Name.LocalName);
        var records = root.Elements("corporation").Select(e =>
        {
            Assert.Equal(Items, e.Elements().Select(x => x.Name.LocalName).ToArray());
            return e.Elements().ToDictionary(x => x.Name.LocalName, x => x.Value);
        }).ToList();
        return new Publication(root.Element("lastUpdateDate")!.Value, long.Parse(root.Element("count")!.Value),
            int.Parse(root.Element("divideNumber")!.Value), int.Parse(root.Element("divideSize")!.Value), records);
    }

    private static Publication ParseJson(byte[] bytes)
    {
        using var document = JsonDocument.Parse(bytes);
        var root = document.RootElement;
        var records = root.GetProperty("corporations").EnumerateArray().Select(e =>
        {
            Assert.Equal(Items, e.EnumerateObject().Select(p => p.Name).ToArray());
            return e.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        }).ToList();
        return new Publication(root.GetProperty("lastUpdateDate").GetString()!, root.GetProperty("count").GetInt64(),
            root.GetProperty("divideNumber").GetInt32(), root.GetProperty("divideSize").GetInt32(), records);
    }

    /// <summary>A refusal of an NTA type: the status and the <c>code,message</c> body.</summary>
    public static async Task<(HttpStatusCode Status, string Code, string Message)> RefusalAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var text = response.Content.Headers.ContentType?.CharSet?.Equals("Shift_JIS", StringComparison.OrdinalIgnoreCase) == true
            ? ShiftJis.GetString(bytes) : Encoding.UTF8.GetString(bytes);
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        var comma = text.IndexOf(',');
        Assert.True(comma == 3, $"expected 'code,message', got: {text}");
        return (response.StatusCode, text[..comma], text[(comma + 1)..].TrimEnd());
    }

    /// <summary>POSTs <paramref name="request"/> as JSON and reads the refusal: status, problem type and the problem.</summary>
    public static async Task<(HttpStatusCode Status, string Type, JsonElement Problem)> PostForProblemAsync(HttpClient client, string path, object request)
    {
        using var response = await client.PostAsJsonAsync(path, request);
        var (status, problem) = await ProblemAsync(response);
        return (status, problem.GetProperty("type").GetString()!, problem);
    }

    /// <summary>A problem-details refusal (JSON type and the admin API).</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Problem)> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, problem);
    }
}
