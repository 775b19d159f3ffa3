using Renkei.Numbers;
using Renkei.Registry.Municipalities;
using Renkei.Registry.Residents;

namespace Renkei.Registry.Seeding;

/// <summary>The kinds of household the census counts, in the proportions it found.</summary>
public enum HouseholdType
{
    /// <summary>単独世帯.</summary>
    Single,
    /// <summary>夫婦のみの世帯.</summary>
    Couple,
    /// <summary>夫婦と子供から成る世帯.</summary>
    CoupleWithChildren,
    /// <summary>ひとり親と子供から成る世帯.</summary>
    SingleParent,
    /// <summary>三世代世帯.</summary>
    ThreeGenerations,
}

/// <summary>One synthetic person: the ids the register will know them by and their basic four items.</summary>
public sealed record SeedPerson(string ResidentId, string EventId, string Relationship, int Age, BasicFour Person);

/// <summary>One synthetic household: its members share the address and, the head first, the family name.</summary>
public sealed record SeedHousehold(string HouseholdId, Municipality Municipality, string Address, HouseholdType Type, IReadOnlyList<SeedPerson> Members);

/// <summary>What to seed: <see cref="Residents"/> people spread evenly over the first <see cref="Municipalities"/> demo municipalities.</summary>
public sealed record SeedPlan(int Seed, int Municipalities, long Residents)
{
    /// <summary>Ages are counted on this day, so that a seed gives the same dates of birth whenever it runs.</summary>
    public static readonly DateOnly ReferenceDate = new(2026, 1, 1);

    /// <summary>People per transaction; a batch always holds whole households.</summary>
    public int BatchSize { get; init; } = 10_000;

    /// <summary>
    /// Into an empty register, load everything in one transaction and build indexes and constraints after the load
    /// (all or nothing, and much faster); false writes batch by batch as into a register that already holds residents.
    /// </summary>
    public bool Bulk { get; init; } = true;

    public IReadOnlyList<Municipality> Places => DemoMunicipalities.All.Take(Municipalities).ToList();

    /// <summary>How many of the residents live in the <paramref name="index"/>-th municipality.</summary>
    public long QuotaOf(int index) => Residents / Municipalities + (index < Residents % Municipalities ? 1 : 0);
}

/// <summary>
/// One piece of a plan that is generated on its own: up to <see cref="SyntheticResidents.ChunkResidents"/> residents of one
/// municipality, from random streams seeded by (seed, <see cref="Index"/>) alone, so chunks can be made on any core in any order.
/// </summary>
public readonly record struct SeedChunkSpec(int Index, Municipality Municipality, int Residents);

/// <summary>The households of one chunk and, once designated, each member's code and number (in member order).</summary>
public sealed class SeedChunk(SeedChunkSpec spec, List<SeedHousehold> households, SeedCodes codes)
{
    public List<SeedHousehold> Households { get; } = households;
    /// <summary>This chunk's own code stream: the codes drawn so far and any drawn again after a clash.</summary>
    public SeedCodes Codes { get; } = codes;
    public long[] CodeValues { get; } = new long[spec.Residents];
    public long[] NumberValues { get; } = new long[spec.Residents];
}

/// <summary>A stream of Resident Record Codes seeded by (seed, chunk); the caller skips codes already used.</summary>
public sealed class SeedCodes(int seed)
{
    private readonly Random random = new(seed);

    public ResidentRecordCode Next() => ResidentRecordCode.Random(random);
}

/// <summary>
/// A deterministic generator of households and people: the same seed gives the same people, ids,
/// dates, households and Resident Record Codes. The plan is cut into chunks of at most
/// <see cref="ChunkResidents"/> residents, each generated from streams seeded by (seed, chunk index), so
/// the result does not depend on how many cores make the chunks or in which order. Codes come from a
/// stream of their own per chunk, so drawing a code again after a clash never changes who the people are.
/// </summary>
public sealed class SyntheticResidents
{
    /// <summary>Residents per chunk: large enough to amortise the set-up, small enough to spread over cores.</summary>
    public const int ChunkResidents = 4096;

    // 2020 census shares of general households: single 38.0%, couple 20.1%, couple and children 25.1%,
    // single parent 9.0%, others (mostly three generations) 7.8%.
    private static readonly (HouseholdType Type, double Share)[] TypeShares =
    [
        (HouseholdType.Single, 0.380), (HouseholdType.Couple, 0.201), (HouseholdType.CoupleWithChildren, 0.251),
        (HouseholdType.SingleParent, 0.090), (HouseholdType.ThreeGenerations, 0.078),
    ];

    private static readonly double[] FamilyWeights = BuildFamilyWeights();

    private readonly SeedPlan plan;

    public SyntheticResidents(SeedPlan plan)
    {
        this.plan = plan;
        var places = plan.Places;
        var chunks = new List<SeedChunkSpec>();
        for (var m = 0; m < places.Count; m++)
            for (var left = plan.QuotaOf(m); left > 0; left -= ChunkResidents)
                chunks.Add(new SeedChunkSpec(chunks.Count, places[m], (int)Math.Min(left, ChunkResidents)));
        Chunks = chunks;
    }

    /// <summary>The chunks of the plan, municipality by municipality.</summary>
    public IReadOnlyList<SeedChunkSpec> Chunks { get; }

    /// <summary>The code stream of chunk <paramref name="index"/>.</summary>
    public SeedCodes CodesOf(int index) => new(StreamSeed(index, 1));

    /// <summary>Households of every chunk in order, until each municipality has its quota of residents.</summary>
    public IEnumerable<SeedHousehold> Households() => Chunks.SelectMany(c => Generate(c).Households);

    /// <summary>The households of one chunk (codes not yet drawn); the same for the same seed and chunk, on any thread.</summary>
    public SeedChunk Generate(SeedChunkSpec spec)
    {
        var people = new Random(StreamSeed(spec.Index, 0));
        var households = new List<SeedHousehold>(spec.Residents / 2 + 1);
        for (long left = spec.Residents; left > 0;)
        {
            var household = NextHousehold(people, spec.Municipality, left);
            left -= household.Members.Count;
            households.Add(household);
        }
        return new SeedChunk(spec, households, CodesOf(spec.Index));
    }

    /// <summary>The seed of one stream (0 people, 1 codes) of one chunk: SplitMix64 of the plan's seed and the chunk.</summary>
    private int StreamSeed(int chunk, int stream)
    {
        var z = ((ulong)(uint)plan.Seed << 32 | (uint)chunk) * 2 + (ulong)stream + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }

    private static SeedHousehold NextHousehold(Random people, Municipality place, long room)
    {
        var id = Ids.New("h", people);
        var type = DrawType(people);
        var town = place.Towns[people.Next(place.Towns.Count)];
        var address = $"{place.Prefecture}{place.Name}{town}{people.Next(1, 7)}丁目{people.Next(1, 31)}番{people.Next(1, 26)}号";
        var family = JapaneseNames.Family[DrawWeighted(people, FamilyWeights)];
        var members = new List<SeedPerson>(4);
        void Add(string relationship, int age, Sex sex) => members.Add(NewPerson(people, relationship, age, sex, family, address));
        Sex DrawSex(int age) => people.NextDouble() < AgePyramid.MaleShareAt(age) ? Sex.Male : Sex.Female;
        int WifeAge(int husband) => Math.Clamp(husband - people.Next(-3, 8), 18, AgePyramid.MaxAge);
        void AddChildren(int count, int parentAge, int motherAge)
        {
            var youngest = Math.Min(parentAge, motherAge);
            for (var i = 0; i < count; i++)
            {
                var lo = Math.Max(0, youngest - 44);
                var hi = Math.Min(youngest - 18, 35);
                var age = lo <= hi ? AgePyramid.Draw(people, lo, hi) : Math.Max(0, youngest - 30);
                Add("子", age, people.NextDouble() < 0.512 ? Sex.Male : Sex.Female);
            }
        }
        int ChildCount() => people.NextDouble() switch { < 0.45 => 1, < 0.85 => 2, _ => 3 };

        switch (type)
        {
            case HouseholdType.Single:
            {
                var age = AgePyramid.Draw(people, 18, AgePyramid.MaxAge);
                Add("世帯主", age, DrawSex(age));
                break;
            }
            case HouseholdType.Couple:
            {
                var husband = AgePyramid.Draw(people, 22, 100);
                var wife = WifeAge(husband);
                if (people.NextDouble() < 0.95) { Add("世帯主", husband, Sex.Male); Add("妻", wife, Sex.Female); }
                else { Add("世帯主", wife, Sex.Female); Add("夫", husband, Sex.Male); }
                break;
            }
            case HouseholdType.CoupleWithChildren:
            {
                var husband = AgePyramid.Draw(people, 25, 75);
                var wife = Math.Max(20, WifeAge(husband));
                Add("世帯主", husband, Sex.Male);
                Add("妻", wife, Sex.Female);
                AddChildren(ChildCount(), husband, wife);
                break;
            }
            case HouseholdType.SingleParent:
            {
                var parent = AgePyramid.Draw(people, 22, 80);
                var sex = people.NextDouble() < 0.85 ? Sex.Female : Sex.Male;
                Add("世帯主", parent, sex);
                AddChildren(people.NextDouble() < 0.6 ? 1 : 2, parent, parent);
                break;
            }
            case HouseholdType.ThreeGenerations:
            {
                var husband = AgePyramid.Draw(people, 30, 65);
                var wife = Math.Max(20, WifeAge(husband));
                Add("世帯主", husband, Sex.Male);
                Add("妻", wife, Sex.Female);
                AddChildren(ChildCount(), husband, wife);
                var both = people.NextDouble();
                if (both < 0.65) Add("母", Math.Min(AgePyramid.MaxAge, husband + people.Next(22, 36)), Sex.Female);
                if (both is < 0.5 or >= 0.65) Add("父", Math.Min(AgePyramid.MaxAge, husband + people.Next(24, 38)), Sex.Male);
                break;
            }
        }
        // The last household of a municipality keeps only as many members as the quota has room for.
        if (members.Count > room) members.RemoveRange((int)room, members.Count - (int)room);
        return new SeedHousehold(id, place, address, type, members);
    }

    private static SeedPerson NewPerson(Random people, string relationship, int age, Sex sex, NameWithReading family, string address)
    {
        var born = SeedPlan.ReferenceDate.AddYears(-age).AddDays(-people.Next(0, 365));
        var names = (sex == Sex.Male ? JapaneseNames.Male : JapaneseNames.Female)[JapaneseNames.EraOf(born.Year)];
        var given = names[people.Next(names.Length)];
        return new SeedPerson(Ids.New("r", people), Ids.New("e", people), relationship, age,
            new BasicFour(family.Written, given.Written, family.Kana, given.Kana, born, sex, address));
    }

    private static HouseholdType DrawType(Random people)
    {
        var x = people.NextDouble();
        foreach (var (type, share) in TypeShares)
        {
            if (x < share) return type;
            x -= share;
        }
        return HouseholdType.ThreeGenerations;
    }

    private static int DrawWeighted(Random people, double[] cumulative)
    {
        var i = Array.BinarySearch(cumulative, people.NextDouble() * cumulative[^1]);
        return Math.Min(i < 0 ? ~i : i + 1, cumulative.Length - 1);
    }

    // Family names are roughly Zipf-distributed: 佐藤 is far commoner than 本田.
    private static double[] BuildFamilyWeights()
    {
        var cumulative = new double[JapaneseNames.Family.Length];
        double sum = 0;
        for (var i = 0; i < cumulative.Length; i++) cumulative[i] = sum += 1.0 / (i + 8);
        return cumulative;
    }
}
