using System.Text.RegularExpressions;
using Renkei.Registry.Residents;
using Renkei.Registry.Seeding;

namespace Renkei.Registry.Tests.Seeding;

public class SyntheticResidentsTests
{
    private static List<SeedHousehold> Generate(int seed, int municipalities, long residents) =>
        new SyntheticResidents(new SeedPlan(seed, municipalities, residents)).Households().ToList();

    [Fact]
    public void The_same_seed_gives_the_same_people_households_and_codes()
    {
        var a = new SyntheticResidents(new SeedPlan(42, 3, 2_000));
        var b = new SyntheticResidents(new SeedPlan(42, 3, 2_000));
        var left = a.Households().ToList();
        var right = b.Households().ToList();
        Assert.Equal(left.Count, right.Count);
        for (var i = 0; i < left.Count; i++)
        {
            Assert.Equal(left[i].HouseholdId, right[i].HouseholdId);
            Assert.Equal(left[i].Address, right[i].Address);
            Assert.Equal(left[i].Members, right[i].Members);
        }
        var codesA = a.CodesOf(3);
        var codesB = b.CodesOf(3);
        Assert.Equal(Enumerable.Range(0, 100).Select(_ => codesA.Next()), Enumerable.Range(0, 100).Select(_ => codesB.Next()));
    }

    [Fact]
    public void Chunks_made_in_any_order_on_any_thread_give_the_same_people_as_in_sequence()
    {
        var plan = new SeedPlan(42, 3, 30_000);
        var sequential = new SyntheticResidents(plan).Households().ToList();
        var generator = new SyntheticResidents(plan);
        var shuffled = generator.Chunks.Reverse().AsParallel().WithDegreeOfParallelism(4)
            .Select(c => (c.Index, generator.Generate(c).Households)).ToList().OrderBy(x => x.Index).SelectMany(x => x.Households).ToList();
        Assert.True(generator.Chunks.Count > 4, "the plan spans several chunks");
        Assert.Equal(sequential.Count, shuffled.Count);
        for (var i = 0; i < sequential.Count; i++)
        {
            Assert.Equal(sequential[i].HouseholdId, shuffled[i].HouseholdId);
            Assert.Equal(sequential[i].Address, shuffled[i].Address);
            Assert.Equal(sequential[i].Members, shuffled[i].Members);
        }
        // Each chunk has its own streams: two chunks do not repeat each other.
        Assert.Equal(sequential.Count, sequential.Select(h => h.HouseholdId).Distinct().Count());
        Assert.NotEqual(generator.CodesOf(0).Next(), generator.CodesOf(1).Next());
    }

    [Fact]
    public void Another_seed_gives_other_people()
    {
        var a = Generate(1, 1, 500).SelectMany(h => h.Members).Select(p => p.ResidentId);
        var b = Generate(2, 1, 500).SelectMany(h => h.Members).Select(p => p.ResidentId);
        Assert.Empty(a.Intersect(b));
    }

    [Fact]
    public void Residents_are_spread_evenly_over_the_first_municipalities_and_add_up_exactly()
    {
        var households = Generate(7, 3, 1_001);
        Assert.Equal(1_001, households.Sum(h => h.Members.Count));
        var perPlace = households.GroupBy(h => h.Municipality.Code.Digits).ToDictionary(g => g.Key, g => g.Sum(h => h.Members.Count));
        Assert.Equal(new Dictionary<string, int> { ["121002"] = 334, ["122173"] = 334, ["122033"] = 333 }, perPlace);
    }

    [Fact]
    public void Households_are_consistent_families_at_an_address_in_their_municipality()
    {
        var address = new Regex(@"^(?<place>.+?)(?<chome>\d+)丁目(?<ban>\d+)番(?<go>\d+)号$");
        foreach (var h in Generate(11, 14, 20_000))
        {
            Assert.NotEmpty(h.Members);
            var head = h.Members[0];
            Assert.Equal("世帯主", head.Relationship);
            Assert.Single(h.Members, m => m.Relationship == "世帯主");
            Assert.All(h.Members, m =>
            {
                Assert.Equal(head.Person.FamilyName, m.Person.FamilyName);
                Assert.Equal(head.Person.FamilyNameKana, m.Person.FamilyNameKana);
                Assert.Equal(h.Address, m.Person.Address);
                Assert.Matches("^[ァ-ヶー]+$", m.Person.FamilyNameKana);
                Assert.Matches("^[ァ-ヶー]+$", m.Person.GivenNameKana);
                Assert.InRange(m.Age, 0, AgePyramid.MaxAge);
                Assert.Equal(m.Age, AgeOn(m.Person.DateOfBirth, SeedPlan.ReferenceDate));
            });
            var match = address.Match(h.Address);
            Assert.True(match.Success, h.Address);
            Assert.Contains(h.Municipality.Towns, t => match.Groups["place"].Value == h.Municipality.FullName + t);
            Assert.True(head.Age >= 18, $"a head of household aged {head.Age}");

            var spouse = h.Members.FirstOrDefault(m => m.Relationship is "妻" or "夫");
            if (spouse is not null)
            {
                Assert.NotEqual(head.Person.Sex, spouse.Person.Sex);
                Assert.True(spouse.Age >= 18);
            }
            var parents = h.Members.Where(m => m.Relationship is "世帯主" or "妻" or "夫").ToList();
            foreach (var child in h.Members.Where(m => m.Relationship == "子"))
                Assert.All(parents, p => Assert.True(p.Age - child.Age >= 18, $"parent {p.Age}, child {child.Age}"));
            foreach (var elder in h.Members.Where(m => m.Relationship is "父" or "母"))
            {
                Assert.True(elder.Age - head.Age >= 18 || elder.Age == AgePyramid.MaxAge, $"elder {elder.Age}, head {head.Age}");
                Assert.Equal(elder.Relationship == "父" ? Sex.Male : Sex.Female, elder.Person.Sex);
            }
            if (h.Type == HouseholdType.Single) Assert.Single(h.Members);
        }
    }

    [Fact]
    public void Ages_follow_the_census_pyramid_roughly()
    {
        var people = Generate(3, 1, 100_000).SelectMany(h => h.Members).ToList();
        double Share(Func<SeedPerson, bool> p) => people.Count(p) / (double)people.Count;
        // 2020 census: under 15 about 12%, 65 and over about 29%.
        Assert.InRange(Share(p => p.Age < 15), 0.07, 0.18);
        Assert.InRange(Share(p => p.Age >= 65), 0.20, 0.38);
        Assert.InRange(Share(p => p.Person.Sex == Sex.Female), 0.46, 0.56);
        Assert.True(people.Select(p => p.Person.FamilyName).Distinct().Count() >= 80);
        Assert.True(people.Select(p => p.Person.GivenName).Distinct().Count() >= 120);
    }

    [Fact]
    public void Name_lists_are_long_enough_and_every_name_has_a_katakana_reading()
    {
        Assert.True(JapaneseNames.Family.Length >= 80);
        Assert.True(JapaneseNames.Male.Sum(n => n.Length) >= 60);
        Assert.True(JapaneseNames.Female.Sum(n => n.Length) >= 60);
        Assert.All(JapaneseNames.Family.Concat(JapaneseNames.Male.SelectMany(n => n)).Concat(JapaneseNames.Female.SelectMany(n => n)),
            n => Assert.Matches("^[ァ-ヶー]+$", n.Kana));
    }

    private static int AgeOn(DateOnly born, DateOnly day) =>
        day.Year - born.Year - (day.Month < born.Month || (day.Month == born.Month && day.Day < born.Day) ? 1 : 0);

    [Fact]
    public void No_synthetic_name_address_or_relationship_begins_like_a_spreadsheet_formula()
    {
        // The register refuses them, and the seeder writes without asking it.
        var texts = Generate(7, 14, 50_000).SelectMany(h => h.Members.SelectMany(m =>
            new[] { h.Address, m.Relationship, m.Person.FamilyName, m.Person.GivenName, m.Person.FamilyNameKana, m.Person.GivenNameKana, m.Person.Address }));
        Assert.DoesNotContain(texts, t => t.Length == 0 || t[0] is '=' or '+' or '-' or '@' or '＝' or '＋' or '－' or '＠');
    }
}
