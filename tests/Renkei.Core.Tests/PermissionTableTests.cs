using Renkei.Core.Agencies;
using Renkei.Core.Permissions;
using Renkei.Protocol;

namespace Renkei.Core.Tests;

public class PermissionTableTests
{
    private static readonly PermissionTable Table = PermissionTable.LoadEmbedded();

    private static Agency A(string id, AgencyKind kind) =>
        new(id, kind, id, null, null, "http://127.0.0.1/", new PublicKeys("", ""), DateTime.UtcNow, DateTime.UtcNow);

    private static readonly Agency Kashiwa = A("122173", AgencyKind.Municipality), Bunkyo = A("131059", AgencyKind.Municipality);
    private static readonly Agency Tokyo = A("130001", AgencyKind.Prefecture), Chiba = A("120006", AgencyKind.Prefecture);
    private static readonly Agency Pension = A("5010405001703", AgencyKind.PensionService), Mhlw = A("4000012090001", AgencyKind.Minister);
    private static readonly Agency Insurer = A("1234567890123", AgencyKind.HealthInsurer), OtherInsurer = A("2234567890123", AgencyKind.HealthInsurer);

    public static TheoryData<string, string, string, string> Allowed => new()
    {
        { "T2-1", "health-insurance", "minister>insurer", "medical-insurance-benefits" },
        { "T2-child-allowance", "child-allowance", "bunkyo>kashiwa", "local-tax" },
        { "T2-child-allowance", "child-allowance", "bunkyo>kashiwa", "resident" },
        { "T2-vaccination", "vaccination", "bunkyo>kashiwa", "vaccination" },
        { "T2-tuition-support", "high-school-tuition-support", "chiba>kashiwa", "local-tax" },
        { "T2-health-checkup", "specific-health-checkup", "insurer>other-insurer", "specific-health-checkup" },
        { "T2-public-assistance", "public-assistance", "tokyo>pension", "pension-benefits" },
        { "T2-national-pension", "national-pension", "pension>kashiwa", "local-tax" },
        { "ORD-tokyo-tuition-top-up", "tokyo-tuition-top-up", "tokyo>bunkyo", "local-tax" },
        { "ORD-bunkyo-child-medical", "bunkyo-child-medical-subsidy", "bunkyo>bunkyo", "national-health-insurance" },
    };

    private static Agency Party(string name) => name switch
    {
        "kashiwa" => Kashiwa, "bunkyo" => Bunkyo, "tokyo" => Tokyo, "chiba" => Chiba, "pension" => Pension,
        "minister" => Mhlw, "insurer" => Insurer, "other-insurer" => OtherInsurer, _ => throw new ArgumentException(name),
    };

    [Theory, MemberData(nameof(Allowed))]
    public void Each_row_of_the_table_allows_its_own_combination(string row, string affair, string parties, string item)
    {
        var (requester, provider) = (Party(parties.Split('>')[0]), Party(parties.Split('>')[1]));
        var decision = Table.Check(requester, affair, provider, item);
        Assert.True(decision.Permitted, decision.Reason);
        Assert.Equal(row, decision.RowId);
        Assert.False(string.IsNullOrWhiteSpace(decision.LegalBasis));
    }

    [Theory]
    [InlineData("bunkyo", "pet-registration", "kashiwa", "local-tax", "affair-not-in-table")]
    [InlineData("bunkyo", "child-allowance", "kashiwa", "bank-balance", "item-not-in-table")]
    [InlineData("pension", "child-allowance", "kashiwa", "local-tax", "requester-not-permitted")]
    [InlineData("bunkyo", "child-allowance", "pension", "local-tax", "provider-not-permitted")]
    [InlineData("bunkyo", "child-allowance", "kashiwa", "vaccination", "item-not-permitted")]
    [InlineData("kashiwa", "bunkyo-child-medical-subsidy", "kashiwa", "local-tax", "requester-not-permitted")]
    [InlineData("bunkyo", "bunkyo-child-medical-subsidy", "kashiwa", "local-tax", "provider-not-permitted")]
    [InlineData("chiba", "tokyo-tuition-top-up", "bunkyo", "local-tax", "requester-not-permitted")]
    // A row naming kinds means another agency of that kind (別表第二's "another mayor", "another insurer").
    [InlineData("bunkyo", "child-allowance", "bunkyo", "local-tax", "provider-not-permitted")]
    [InlineData("kashiwa", "vaccination", "kashiwa", "vaccination", "provider-not-permitted")]
    [InlineData("insurer", "specific-health-checkup", "insurer", "specific-health-checkup", "provider-not-permitted")]
    public void Anything_no_row_allows_is_refused_with_the_reason(string requester, string affair, string provider, string item, string slug)
    {
        var decision = Table.Check(Party(requester), affair, Party(provider), item);
        Assert.False(decision.Permitted);
        Assert.Equal(slug, decision.RefusalSlug);
        Assert.Contains(" / ", decision.Reason);
    }

    [Fact]
    public void An_agency_asking_itself_is_told_that_only_an_ordinance_row_allows_it()
    {
        var decision = Table.Check(Bunkyo, "child-allowance", Bunkyo, "local-tax");
        Assert.Equal("provider-not-permitted", decision.RefusalSlug);
        Assert.Contains("sameAsRequester", decision.Reason);
        Assert.True(Table.Check(Bunkyo, "bunkyo-child-medical-subsidy", Bunkyo, "national-health-insurance").Permitted);
    }

    [Fact]
    public void Agencies_named_in_ordinance_rows_have_valid_local_government_codes()
    {
        foreach (var id in Table.Rows.SelectMany(r => (r.Requester.Agencies ?? []).Concat(r.Provider.Agencies ?? [])))
            Assert.True(Numbers.LocalGovernmentCode.TryParse(id, out _, out var problem), $"{id}: {problem?.Message}");
    }

    [Fact]
    public void Every_item_of_the_table_has_a_data_standard_layout_at_the_node()
    {
        // An item without a layout could never be copied to a node, so its rows could only ever answer "no data".
        var layouts = new Node.Copies.DataStandardLayout().Layouts.Select(l => l.Item).ToHashSet();
        Assert.All(Table.Items.Keys, item => Assert.Contains(item, layouts));
        Assert.All(Table.Rows.SelectMany(r => r.Items), item => Assert.Contains(item, layouts));
    }

    [Theory]
    [InlineData("medical-insurance-benefits", """{"insurerNumber":"01130012","scheme":"japan-health-insurance-association","qualifiedSince":"2019-04-01","copaymentPercent":30,"highCostIncomeCategory":"u","benefits":[{"kind":"high-cost-medical-care","decidedOn":"2025-08-20","periodFrom":"2025-06-01","periodTo":"2025-06-30","amount":87430}]}""")]
    [InlineData("specific-health-checkup", """{"examinedOn":"2025-09-12","heightCm":168.2,"weightKg":71.5,"bmi":25.3,"waistCm":86.0,"systolicBloodPressure":132,"diastolicBloodPressure":84,"triglyceridesMgDl":148,"hdlCholesterolMgDl":52,"ldlCholesterolMgDl":131,"hba1cPercent":5.7,"urineProtein":"-","medication":{"bloodPressure":false},"smoker":false,"metabolicSyndrome":"borderline","guidanceLevel":"motivational"}""")]
    public void The_health_insurers_items_have_layouts_that_take_a_copy_and_refuse_the_basic_four_items(string item, string json)
    {
        var layout = new Node.Copies.DataStandardLayout();
        var content = System.Text.Json.JsonDocument.Parse(json).RootElement;
        Assert.Empty(layout.Validate(item, 1, content));
        var withName = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        withName["name"] = "山田花子";
        Assert.Contains(layout.Validate(item, 1, System.Text.Json.JsonDocument.Parse(withName.ToJsonString()).RootElement), p => p.StartsWith("$.name", StringComparison.Ordinal));
    }

    [Fact]
    public void A_table_naming_an_unknown_affair_or_item_does_not_load()
    {
        var json = """{"version":"x","source":"x","items":{"a":"a"},"affairs":{"f":"f"},"rows":[{"id":"r","requester":{"kinds":["municipality"]},"affair":"g","provider":{"kinds":["municipality"]},"items":["a"],"legalBasis":"x"}]}""";
        Assert.Throws<InvalidDataException>(() => PermissionTable.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))));
    }
}
