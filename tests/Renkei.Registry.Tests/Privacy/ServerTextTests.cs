using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Registry.Tests.Corporations;

namespace Renkei.Registry.Tests.Privacy;

/// <summary>
/// The masking is for what a client sent: the server's own words (the codes it allows, a certificate's OID in a log) stay
/// readable, and a number the client sent is hidden as ever.
/// </summary>
public class ServerTextTests
{
    [Fact]
    public void A_list_of_allowed_codes_survives_the_masking_and_a_clients_number_does_not()
    {
        string[] kinds = ["101", "201", "301", "302", "303", "304", "305", "399", "401", "499"];
        var allowed = Detail(Problems.Invalid(new Dictionary<string, string[]> { ["kind"] = [$"kind must be one of {Problems.Listed(kinds)}"] }));
        Assert.Equal("""kind: kind must be one of "101", "201", "301", "302", "303", "304", "305", "399", "401", "499" """.TrimEnd(), allowed);
        // Written as a plain list, ten codes read as 3-digit groups of a number and were hidden: that is still so of a client's text.
        Assert.DoesNotContain("301", Detail(Problems.Invalid(new Dictionary<string, string[]> { ["kind"] = [$"got {string.Join(", ", kinds)}"] })));
        var sent = Detail(Problems.Invalid(new Dictionary<string, string[]> { ["kind"] = [$"got {Problems.Shown("1234, 5678, 9018")}"] }));
        Assert.Equal("kind: got ****, ****, ****", sent);
        Assert.Equal("kind: got ****-****-****", Detail(Problems.Invalid(new Dictionary<string, string[]> { ["kind"] = ["got 1234-5678-9018"] })));
    }

    [Fact]
    public async Task A_registration_of_an_unknown_kind_or_change_of_an_unknown_process_is_told_the_codes_allowed()
    {
        using var host = RegistryHost.Start(StorageProvider.Sqlite);
        var admin = host.Client("corporations");
        using var response = await admin.PostAsJsonAsync("/api/corporations", new { name = "テスト", kind = "999" });
        var (status, problem) = await Publication.ProblemAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var kind = problem.GetProperty("errors").GetProperty("kind")[0].GetString()!;
        Assert.Contains("\"101\"", kind);
        Assert.Contains("\"301\"", kind);
        Assert.Contains("\"499\"", kind);
        Assert.DoesNotContain("*", kind);
        Assert.Contains("\"301\"", problem.GetProperty("detail").GetString());

        using var change = await admin.PostAsJsonAsync("/api/corporations/7000012050002/changes", new { process = "5" });
        var (changeStatus, changeProblem) = await Publication.ProblemAsync(change);
        Assert.Equal(HttpStatusCode.BadRequest, changeStatus);
        var process = changeProblem.GetProperty("errors").GetProperty("process")[0].GetString()!;
        Assert.Contains("\"11\"", process);
        Assert.DoesNotContain("*", process);
    }

    [Theory]
    [InlineData("System.NotSupportedException: '1.2.840.113549.1.1.4' is not a known key algorithm.")]
    [InlineData("policy 1.2.392.200149.8.5.1.1, extension 2.5.29.17 and 2.16.840.1.101.3.4.2.1 (sha256)")]
    [InlineData("the key of 1.3.101.112 (Ed25519) and a PKIX 1.3.6.1.5.5.7.48.1.")]
    public void A_certificates_oid_in_a_log_line_is_left_as_it_is(string line) => Assert.Equal(line, LogText.Safe(line));

    [Theory]
    // A number written with dots, or after an OID, or in an OID's shape under no arc certificates use.
    [InlineData("number 1234.5678.9018", "number ****.****.****")]
    [InlineData("1.2.840.113549.1.1.4 123456789018", "1.2.840.113549.1.1.4 ************")]
    [InlineData("2.1234.5678.9018", "2.****.****.****")]
    [InlineData("1.2.3.4.5.6.7.8.9.0.1.8", "*.*.*.*.*.*.*.*.*.*.*.*")]
    [InlineData("1.2.840.113549.123456789018", "*.*.***.******.************")]
    [InlineData("'1.2.840.113549.1.1.4' 1234-\n5678-9018", @"'1.2.840.113549.1.1.4' ****-\u000A****-****")]
    public void A_number_near_or_shaped_like_an_oid_is_still_masked(string line, string masked)
    {
        Assert.Equal(masked, LogText.Safe(line));
        Assert.Equal(masked.Replace(@"\u000A", "\n"), LogText.Masked(line));
    }

    [Theory]
    [InlineData("1.3.6.1.1234.5678.9018")]
    [InlineData("key 2.5.1234.5678.9018 refused")]
    [InlineData("1.2.840.113549.1234.5678.9018")]
    [InlineData("1234 5678 2.5.4.3")]
    [InlineData("2.5.4.3 5678 9018")]
    [InlineData("1.2.392.200149.1234 5678 9018")]
    public void A_number_in_dotted_groups_after_an_arc_certificates_use_is_still_masked(string line)
    {
        // Review: an OID under a known arc was kept whole, so a number written in its arcs reached the log in clear; and one
        // whose groups ran across an OID's edge was masked on neither side of it.
        Assert.DoesNotContain("5678", LogText.Safe(line));
        Assert.DoesNotContain("5678", LogText.Masked(line));
    }

    private static string Detail(ProblemHttpResult result) => result.ProblemDetails.Detail!;
}
