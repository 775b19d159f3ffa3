using Renkei.Cli.Registry;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

public class DemoCommandTests
{
    [Fact]
    public void A_demo_resident_born_on_29_February_is_a_year_older_on_1_March_of_a_common_year_not_on_28_February()
    {
        // Audit Z9: AddYears counted them 19 on 2027-02-28; by the age rule the PKI uses they are 19 from 1 March.
        var born = new DateOnly(2008, 2, 29);
        Assert.Equal(18, Renkei.Cli.Linkage.DemoAgencies.Age(born, new DateOnly(2027, 2, 28)));
        Assert.Equal(19, Renkei.Cli.Linkage.DemoAgencies.Age(born, new DateOnly(2027, 3, 1)));
        Assert.Equal(19, Renkei.Cli.Linkage.DemoAgencies.Age(born, new DateOnly(2028, 2, 28)));
        Assert.Equal(20, Renkei.Cli.Linkage.DemoAgencies.Age(born, new DateOnly(2028, 2, 29)));
        // An ordinary birthday: a year older on the day itself, not the day before.
        Assert.Equal(19, Renkei.Cli.Linkage.DemoAgencies.Age(new DateOnly(2006, 12, 8), new DateOnly(2026, 12, 7)));
        Assert.Equal(20, Renkei.Cli.Linkage.DemoAgencies.Age(new DateOnly(2006, 12, 8), new DateOnly(2026, 12, 8)));
    }

    [Fact]
    public void The_demo_follows_a_records_next_link_under_the_path_it_asked_by_a_gateways_prefix_included()
    {
        var asked = new Uri("https://gateway.example/renkei-node/api/tenants/131059/records?addresseeNumber=B-1&limit=2");
        using var response = new HttpResponseMessage { RequestMessage = new HttpRequestMessage(HttpMethod.Get, asked) };
        // As the services give it: the query alone (RecordPaging.Answer).
        response.Headers.TryAddWithoutValidation("Link", "<?addresseeNumber=B-1&after=7&limit=2>; rel=\"next\"");
        Assert.Equal("https://gateway.example/renkei-node/api/tenants/131059/records?addresseeNumber=B-1&after=7&limit=2",
            Renkei.Cli.Linkage.DemoCommand.NextPage(response)?.AbsoluteUri);
        using var last = new HttpResponseMessage { RequestMessage = new HttpRequestMessage(HttpMethod.Get, asked) };
        Assert.Null(Renkei.Cli.Linkage.DemoCommand.NextPage(last));
    }

    [Fact]
    public async Task Moving_family_is_one_household_with_the_child_as_a_child_and_the_whole_family_moves()
    {
        using var data = new TempFolder();
        var demo = await RenkeiCommand.RunAsync("demo", "moving-family", "--data", data.Path);
        Assert.True(demo.ExitCode == 0, demo.Output + demo.Error);

        await using var c = await Database.Sqlite(RegistryStorage.SqliteFile(data.Path)).OpenAsync();
        var family = await c.QueryAsync(
            "SELECT given_name, municipality_code, household_id, relationship, status FROM residents WHERE family_name = '転居'",
            r => (Given: r.GetString(0), Municipality: r.GetString(1), Household: r.IsDBNull(2) ? null : r.GetString(2), Relationship: r.IsDBNull(3) ? null : r.GetString(3), Status: r.GetString(4)));
        var parent = Assert.Single(family, p => p.Given == "花子");
        var child = Assert.Single(family, p => p.Given == "小太郎");
        // The child used to be born into a household of its own, which it headed, and stayed in 柏市 when its parent moved.
        Assert.Equal(("131059", "Resident", "世帯主"), (parent.Municipality, parent.Status, parent.Relationship));
        Assert.Equal(("131059", "Resident", "子"), (child.Municipality, child.Status, child.Relationship));
        Assert.NotNull(parent.Household);
        Assert.Equal(parent.Household, child.Household);
        // Before the move, in 柏市, they were one household too.
        var before = await c.QueryAsync(
            "SELECT json_extract(e.data, '$.householdId'), e.municipality_code FROM resident_events e JOIN residents r ON r.resident_id = e.resident_id " +
            "WHERE r.family_name = '転居' AND e.kind = 'Birth'", r => (Household: r.GetString(0), Municipality: r.GetString(1)));
        Assert.Equal(2, before.Count);
        Assert.Single(before.Distinct());
        Assert.Equal("122173", before[0].Municipality);
    }
}
