using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry.Residents;

namespace Renkei.Registry.Seeding;

/// <summary>What a seeding run wrote.</summary>
public sealed record SeedResult(long Residents, long Households, TimeSpan Elapsed)
{
    public double ResidentsPerSecond => Residents / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>A seeding run that cannot start (nothing was written): the message is for a person.</summary>
public sealed class SeedRefusedException(string message) : Exception(message);

/// <summary>One seeded person with everything the register would have designated and recorded.</summary>
public sealed record SeededResident(SeedPerson Person, SeedHousehold Household, ResidentRecordCode Code, IndividualNumber Number, ResidentEvent Event, string EventJson);

/// <summary>Whole households and their people, written in one transaction.</summary>
public sealed class SeedBatch(DateTime recordedAt)
{
    public DateTime RecordedAt { get; } = recordedAt;
    public List<SeedHousehold> Households { get; } = [];
    public List<SeededResident> Residents { get; } = [];
}

/// <summary>
/// Loads synthetic residents into a register as if each had been registered (初期登録): rows in
/// households, residents, resident_record_codes, individual_numbers and one <c>Registered</c> event
/// each. People are generated, given codes and numbers on one thread while the previous batch is
/// written on another. Each batch (whole households) is one transaction under the event-log lock,
/// so a failed or cancelled run leaves only whole batches, every person complete.
/// </summary>
public static class ResidentSeeder
{
    public static async Task<SeedResult> SeedAsync(Database database, IndividualNumberDeriver deriver, SeedPlan plan,
        IProgress<long>? progress = null, CancellationToken ct = default, TimeProvider? clock = null)
    {
        if (plan.Municipalities is < 1 || plan.Municipalities > Municipalities.DemoMunicipalities.All.Count)
            throw new ArgumentOutOfRangeException(nameof(plan), $"municipalities must be 1 to {Municipalities.DemoMunicipalities.All.Count}");
        if (plan.Residents < 1) throw new ArgumentOutOfRangeException(nameof(plan), "residents must be at least 1");
        clock ??= TimeProvider.System;
        var watch = Stopwatch.StartNew();

        await using var writer = await SeedWriter.OpenAsync(database, ct);
        var first = new SyntheticResidents(plan).Households().First();
        if (await writer.HouseholdExistsAsync(first.HouseholdId, ct))
            throw new SeedRefusedException($"シード {plan.Seed} の住民は既に登録されています / the residents of seed {plan.Seed} are already on this register; use another seed");
        var (usedCodes, usedNumbers) = await writer.UsedNumbersAsync(ct);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var batches = Channel.CreateBounded<SeedBatch>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(() => Produce(plan, deriver, usedCodes, usedNumbers, clock, batches.Writer, stop.Token), stop.Token);
        long residents = 0, households = 0;
        try
        {
            await foreach (var batch in batches.Reader.ReadAllAsync(stop.Token))
            {
                await writer.WriteAsync(batch, stop.Token);
                residents += batch.Residents.Count;
                households += batch.Households.Count;
                progress?.Report(residents);
            }
            await producer;
        }
        catch
        {
            await stop.CancelAsync();
            try { await producer; } catch (Exception) { /* the writer's failure is the one to report */ }
            throw;
        }
        return new SeedResult(residents, households, watch.Elapsed);
    }

    private static void Produce(SeedPlan plan, IndividualNumberDeriver deriver, HashSet<long> usedCodes, HashSet<long> usedNumbers,
        TimeProvider clock, ChannelWriter<SeedBatch> output, CancellationToken ct)
    {
        try
        {
            var generator = new SyntheticResidents(plan);
            var occurredOn = RegisterText.TodayInJapan();
            var batch = new SeedBatch(clock.GetUtcNow().UtcDateTime);
            var pending = new List<(SeedPerson Person, SeedHousehold Household)>(plan.BatchSize + 8);
            foreach (var household in generator.Households())
            {
                batch.Households.Add(household);
                foreach (var person in household.Members) pending.Add((person, household));
                if (pending.Count < plan.BatchSize) continue;
                Complete(batch, pending, generator, deriver, usedCodes, usedNumbers, occurredOn);
                WriteOrWait(output, batch, ct);
                batch = new SeedBatch(clock.GetUtcNow().UtcDateTime);
                pending.Clear();
            }
            if (pending.Count > 0)
            {
                Complete(batch, pending, generator, deriver, usedCodes, usedNumbers, occurredOn);
                WriteOrWait(output, batch, ct);
            }
            output.Complete();
        }
        catch (Exception e)
        {
            output.Complete(e);
        }
    }

    private static void WriteOrWait(ChannelWriter<SeedBatch> output, SeedBatch batch, CancellationToken ct)
    {
        if (!output.TryWrite(batch)) output.WriteAsync(batch, ct).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Gives each person an unused code and the number derived from it (in one batch), then the event.</summary>
    private static void Complete(SeedBatch batch, List<(SeedPerson Person, SeedHousehold Household)> pending, SyntheticResidents generator,
        IndividualNumberDeriver deriver, HashSet<long> usedCodes, HashSet<long> usedNumbers, DateOnly occurredOn)
    {
        var n = pending.Count;
        var codes = new ResidentRecordCode[n];
        var digits = new long[n];
        var payloads = new long[n];
        for (var i = 0; i < n; i++) digits[i] = (codes[i] = DrawCode(generator, usedCodes)).Value;
        deriver.DeriveMany(digits, payloads);
        var numbers = new IndividualNumber[n];
        for (var i = 0; i < n; i++)
        {
            var number = IndividualNumber.FromPayload(payloads[i]);
            // A number retired by someone's re-issue can equal a new code's number: draw another code, as designation does.
            while (!usedNumbers.Add(number.Value))
            {
                codes[i] = DrawCode(generator, usedCodes);
                number = deriver.Derive(codes[i]);
            }
            numbers[i] = number;
        }
        // Events and their JSON do not depend on one another: build them on every core, in order by index.
        var seeded = new SeededResident[n];
        Parallel.For(0, n, i =>
        {
            var (person, household) = pending[i];
            var e = new ResidentEvent
            {
                EventId = person.EventId, Kind = ResidentEventKind.Registered, ResidentId = person.ResidentId,
                MunicipalityCode = household.Municipality.Code, OccurredOn = occurredOn, RecordedAt = batch.RecordedAt,
                Person = person.Person, HouseholdId = household.HouseholdId, Relationship = person.Relationship, ResidentRecordCode = codes[i],
            };
            // Serialized exactly as ResidentStore.AppendAsync does: the position is not part of the data.
            seeded[i] = new SeededResident(person, household, codes[i], numbers[i], e, JsonSerializer.Serialize(e, ServiceDefaults.Json));
        });
        batch.Residents.AddRange(seeded);
    }

    private static ResidentRecordCode DrawCode(SyntheticResidents generator, HashSet<long> usedCodes)
    {
        ResidentRecordCode code;
        do code = generator.NextCode();
        while (!usedCodes.Add(code.Value));
        return code;
    }
}
