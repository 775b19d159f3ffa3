using System.Text.RegularExpressions;

namespace Renkei.Core.Tests;

/// <summary>
/// docs/problems.md names every problem type the services send, so that a client can branch on each: read from the sources,
/// where a type is written as a slug in the ways below, so a new one cannot be added without its line there.
/// </summary>
public class ProblemTypeDocsTests
{
    private const string Slug = "[a-z][a-z0-9]*(?:-[a-z0-9]+)*";

    /// <summary>The ways the sources write a problem's type.</summary>
    private static readonly Regex[] Ways =
    [
        // Problems.BadRequest("slug", …), NotFound, Conflict, and Problems.Type("slug").
        new($@"Problems\.(?:BadRequest|NotFound|Conflict|Type)\(\s*""(?<slug>{Slug})"""),
        // Problems.Result(status, "slug", …).
        new($@"Problems\.Result\(\s*[^,;]+?,\s*""(?<slug>{Slug})"""),
        // Problems.Invalid(errors, "slug"), and the default of its slug parameter.
        new($@"Problems\.Invalid\([^;]*?,\s*""(?<slug>{Slug})""\s*\)"),
        new($@"string slug = ""(?<slug>{Slug})"""),
        // Problems.Type(condition ? "slug" : "slug").
        new($@"Problems\.Type\([^;]*?\?\s*""(?<slug>{Slug})""\s*:\s*""(?<other>{Slug})"""),
        // A refusal record, named or target-typed: a status, then the slug (new Refusal(404, "slug", …), new(409, "slug", …)).
        new($@"(?:Refusal|new)\(\s*(?:\d{{3}}|StatusCodes\.\w+)\s*,\s*""(?<slug>{Slug})"""),
        // A type in full.
        new($@"""urn:renkei:problem:(?<slug>{Slug})"""),
        // A slug paired with its bilingual title, as EnvelopeVerifier.Describe gives them: ("bad-signature", "… / …").
        new(@"\(\s*""(?<slug>[a-z][a-z0-9]*(?:-[a-z0-9]+)+)""\s*,\s*""[^""]*? / [^""]*""\s*\)"),
    ];

    /// <summary>The problem types written in <paramref name="source"/>, with the line of each.</summary>
    public static IEnumerable<(string Slug, int Line)> TypesIn(string source) =>
        Ways.SelectMany(way => way.Matches(source))
            .SelectMany(m => new[] { m.Groups["slug"], m.Groups["other"] }.Where(g => g.Success)
                .Select(g => (g.Value, source.AsSpan(0, g.Index).Count('\n') + 1)));

    [Fact]
    public void Every_problem_type_the_services_send_is_named_in_docs_problems_md()
    {
        var root = RepositoryRoot();
        var documented = Regex.Matches(File.ReadAllText(Path.Combine(root, "docs", "problems.md")), $"`(?<slug>{Slug})`")
            .Select(m => m.Groups["slug"].Value).ToHashSet(StringComparer.Ordinal);
        // Every service and the libraries they share; the renkei command sends no problem, it reads them.
        var sent = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "Renkei.Cli"))
            .SelectMany(f => TypesIn(File.ReadAllText(f)).Select(t => (t.Slug, Where: $"{Path.GetRelativePath(root, f)}:{t.Line}")))
            .ToList();
        Assert.True(sent.Count > 100, $"the scan found only {sent.Count} problem types in the sources");
        var missing = sent.Where(t => !documented.Contains(t.Slug)).GroupBy(t => t.Slug).Select(g => $"{g.Key} ({g.First().Where})").ToList();
        Assert.True(missing.Count == 0, "docs/problems.md does not name: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_scan_finds_a_type_in_each_way_the_sources_write_one_and_nothing_else()
    {
        const string example = """
            return Problems.BadRequest("way-one", "題 / Title");
            return Problems.Result(StatusCodes.Status409Conflict, "way-two", "題 / Title");
            return Problems.Invalid(new Dictionary<string, string[]> { ["content"] = [.. errors] }, "way-three");
            public static ProblemHttpResult Invalid(IDictionary<string, string[]> errors, string slug = "way-four") => …;
            ProblemType: Problems.Type(superseded ? "way-five" : "way-six");
            return (null, new Refusal(404, "way-seven", "題 / Title", "detail"));
            public static readonly Refusal Reused = new(422, "way-eight", "題 / Title", "detail");
            new RegistryRefusal(503, "urn:renkei:problem:way-nine", "題 / Title");
            var (slug, title) = accepted ? ("way-ten", "種別が違います / Wrong message kind") : Describe(verdict);
            errors["address"] = ["住所を入力してください / address is required"];
            var item = ("local-tax", 1);
            log.LogInformation("move-in {Id}", id);
            """;
        string[] ways = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
        Assert.Equal(ways.Select(w => "way-" + w).Order(), TypesIn(example).Select(t => t.Slug).Distinct().Order());
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "Renkei.slnx"))) return folder.FullName;
        throw new InvalidOperationException("Renkei.slnx not found above " + AppContext.BaseDirectory);
    }
}
