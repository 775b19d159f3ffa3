using Renkei.Hosting.Storage;
using Renkei.Registry.Residents;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Residents;

/// <summary>
/// A person back from abroad moves in as themselves (by number or resident id), keeping their number: a move-in that carries
/// the basic four of a resident abroad as a newcomer's would give one person a second number.
/// </summary>
public class ReturningResidentTests
{
    private const string Bunkyo = "東京都文京区本郷7丁目3番1号";

    [Theory, StorageData]
    public async Task A_newcomer_with_the_basic_four_of_a_resident_abroad_is_refused_without_their_details(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var away = await AbroadAsync(registry);
        var before = await CountAsync(registry);

        // As typed with half-width katakana: the same reading once normalised.
        foreach (var person in new[] { RegistryHost.Person(), RegistryHost.Person(familyKana: "ﾔﾏﾀﾞ", givenKana: "ﾀﾛｳ"), RegistryHost.Person(sex: "男") })
        {
            var response = await registry.PostEventAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", From: "abroad", Person: person, Address: Bunkyo));
            var problem = await ProblemAssert.IsProblemAsync(response, 409, "returning-resident");
            var detail = problem.GetProperty("detail").GetString()!;
            Assert.Contains("individualNumber", detail);
            Assert.Contains("residentId", detail);
            Assert.Contains("notReturning", detail);
            // Nothing of the person on the register: the clerk names them with what the person brings.
            foreach (var secret in new[] { away.ResidentId, away.IndividualNumber!, away.ResidentRecordCode!, away.HouseholdId!, RegistryHost.Chiba, "千葉" })
                Assert.DoesNotContain(secret, ProblemAssert.WithoutTraceId(problem));
        }
        Assert.Equal(before, await CountAsync(registry));

        var back = await registry.RecordAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", From: "abroad", IndividualNumber: away.IndividualNumber, Address: Bunkyo));
        Assert.Equal((away.ResidentId, away.IndividualNumber), (back.ResidentId, back.IndividualNumber));
    }

    [Theory, StorageData]
    public async Task A_clerk_without_identity_cannot_tell_who_is_abroad(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        await AbroadAsync(registry);
        var headed = await registry.RecordAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", From: "abroad",
            Person: RegistryHost.Person("鈴木", "一郎", "スズキ", "イチロウ", "1970-01-01"), Address: Bunkyo));
        var before = await CountAsync(registry);

        // Each request is refused for a fault of its own on this register: 山田太郎 born 1990-04-01 is abroad, one born a day later is not.
        // Answered returning-resident first, the refusal told the two apart without anything written, and a sweep found the date of birth.
        foreach (var token in new[] { "bunkyo-clerk", "bunkyo-registrar" })
            foreach (var (faulty, status, slug) in new (Func<PersonInput, ResidentEventRequest>, int, string)[]
            {
                (p => new("move-in", From: "abroad", Person: p, Address: Bunkyo, HouseholdId: "h_none", Relationship: "子"), 404, "unknown-household"),
                (p => new("move-in", From: "abroad", Person: p, HouseholdId: headed.HouseholdId, Relationship: "世帯主"), 409, "household-has-head"),
                (p => new("move-in", From: "abroad", Person: p, Address: "東京都文京区春日1丁目16番21号", HouseholdId: headed.HouseholdId, Relationship: "子"),
                    409, "household-address-mismatch"),
            })
            {
                var abroad = await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Bunkyo, faulty(RegistryHost.Person()), token), status, slug);
                var nobody = await ProblemAssert.IsProblemAsync(
                    await registry.PostEventAsync(RegistryHost.Bunkyo, faulty(RegistryHost.Person(dateOfBirth: "1990-04-02")), token), status, slug);
                Assert.Equal(ProblemAssert.WithoutTraceId(nobody), ProblemAssert.WithoutTraceId(abroad));
            }
        Assert.Equal(before, await CountAsync(registry));

        // Only a move-in that would be recorded hears of the resident abroad, from a clerk with identity or without.
        foreach (var token in new[] { "bunkyo-clerk", "bunkyo-registrar" })
            await ProblemAssert.IsProblemAsync(await registry.PostEventAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", From: "abroad",
                Person: RegistryHost.Person(), HouseholdId: headed.HouseholdId, Relationship: "子"), token), 409, "returning-resident");
        Assert.Equal(before, await CountAsync(registry));
    }

    [Theory, StorageData]
    public async Task Another_person_with_the_same_basic_four_moves_in_when_the_request_says_so(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        var away = await AbroadAsync(registry);

        var other = await registry.RecordAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", From: "abroad", Person: RegistryHost.Person(),
            Address: Bunkyo, NotReturning: true));
        Assert.NotEqual(away.ResidentId, other.ResidentId);
        Assert.NotEqual(away.IndividualNumber, other.IndividualNumber);

        // Only a resident abroad with all four alike is asked about: another date of birth, another sex, or one who lives here, is not.
        await registry.RecordAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", From: "abroad", Person: RegistryHost.Person(dateOfBirth: "1990-04-02"), Address: Bunkyo));
        await registry.RecordAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", From: "abroad", Person: RegistryHost.Person(sex: "female"), Address: Bunkyo));
        var jiro = RegistryHost.Person(given: "次郎", givenKana: "ジロウ");
        await registry.RecordAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", From: "abroad", Person: jiro, Address: Bunkyo));
        // 次郎 lives in 文京区 now, not abroad: another 次郎 alike is not taken for him.
        await registry.RecordAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", From: "abroad", Person: jiro, Address: Bunkyo));

        // The flag means something only for a newcomer's move-in.
        var birth = await registry.PostEventAsync(RegistryHost.Chiba, new ResidentEventRequest("birth", Person: RegistryHost.Person(dateOfBirth: "2026-01-15"),
            Address: "千葉県千葉市中央区中央1丁目1番1号", NotReturning: true));
        var errors = (await ProblemAssert.IsProblemAsync(birth, 400, "invalid-event")).GetProperty("errors");
        Assert.Equal(["notReturning"], errors.EnumerateObject().Select(p => p.Name));
    }

    [Theory, StorageData]
    public async Task A_return_typed_with_the_unified_form_of_a_compatibility_ideograph_is_still_a_return(StorageProvider provider)
    {
        await using var registry = await RegistryHost.StartAsync(provider);
        // 塚 U+FA10 kept as given; and a given name of five with compatibility forms (鈴隆良朗理), past any list of spellings one could try.
        const string family = "\uFA10本", given = "\uF9B1\uF9DC\uF97C\uF929\uF9E4";
        var away = await AbroadAsync(registry, RegistryHost.Person(family, given, "ツカモト", "スズタカヨシロウリ"));
        // Registered before the register kept them: stored folded, and typed now with the compatibility form.
        var folded = await AbroadAsync(registry, RegistryHost.Person("\u585A本", "花子", "ツカモト", "ハナコ", sex: "female"));
        var before = await CountAsync(registry);

        foreach (var person in new[]
        {
            RegistryHost.Person("\u585A本", given, "ツカモト", "スズタカヨシロウリ"),
            RegistryHost.Person(family, "\u9234\u9686\u826F\u6717\u7406", "ツカモト", "スズタカヨシロウリ"),
            RegistryHost.Person("\u585A本", "\u9234\u9686\uF97C\u6717\u7406", "ツカモト", "スズタカヨシロウリ"),
            RegistryHost.Person("\uFA10本", "花子", "ツカモト", "ハナコ", sex: "female"),
        })
        {
            var response = await registry.PostEventAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", From: "abroad", Person: person, Address: Bunkyo));
            await ProblemAssert.IsProblemAsync(response, 409, "returning-resident");
        }
        Assert.Equal(before, await CountAsync(registry));

        // Named, each keeps the number and the name as it was written.
        foreach (var (returning, name) in new[] { (away, family), (folded, "\u585A本") })
        {
            var back = await registry.RecordAsync(RegistryHost.Bunkyo, new ResidentEventRequest("move-in", From: "abroad", IndividualNumber: returning.IndividualNumber, Address: Bunkyo));
            Assert.Equal((returning.ResidentId, returning.IndividualNumber), (back.ResidentId, back.IndividualNumber));
            await using var c = await registry.Database.OpenAsync();
            Assert.Equal(name, (await ResidentStore.FindAsync(c, back.ResidentId))!.Person.FamilyName);
        }
    }

    /// <summary>山田太郎 (1990-04-01, male), born in 千葉市 and moved abroad.</summary>
    private static async Task<EventReceipt> AbroadAsync(RegistryHost registry, PersonInput? person = null)
    {
        var born = await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("birth", OccurredOn: "1990-04-05",
            Person: person ?? RegistryHost.Person(), Address: "千葉県千葉市中央区中央1丁目1番1号"));
        await registry.RecordAsync(RegistryHost.Chiba, new ResidentEventRequest("move-out", ResidentId: born.ResidentId, Destination: "abroad"));
        return born;
    }

    private static async Task<(long Residents, long Numbers, long Events, long Households)> CountAsync(RegistryHost registry)
    {
        await using var c = await registry.Database.OpenAsync();
        return (await c.ScalarAsync<long>("SELECT COUNT(*) FROM residents"), await c.ScalarAsync<long>("SELECT COUNT(*) FROM individual_numbers"),
            await c.ScalarAsync<long>("SELECT COUNT(*) FROM resident_events"), await c.ScalarAsync<long>("SELECT COUNT(*) FROM households"));
    }
}
