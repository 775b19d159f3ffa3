using System.Diagnostics;
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

/// <summary>One seeded person with the household they live in and the code and number designated to them.</summary>
public readonly record struct SeedMember(SeedPerson Person, SeedHousehold Household, long Code, long Number);

/// <summary>Whole households and their people, written in one transaction (or one part of the bulk load).</summary>
public sealed class SeedBatch(DateTime recordedAt, DateOnly occurredOn)
{
    public DateTime RecordedAt { get; } = recordedAt;
    /// <summary>The day the Registered events say they occurred: the day of the run in Japan, as for any registration.</summary>
    public DateOnly OccurredOn { get; } = occurredOn;
    public List<SeedHousehold> Households { get; } = [];
    public List<SeedMember> Members { get; } = [];
    /// <summary>What the writer made of the batch ahead of writing it (rows encoded on every core).</summary>
    internal object? Prepared { get; set; }
}

/// <summary>
/// Loads synthetic residents into a register as if each had been registered (初期登録): rows in
/// households, residents, resident_record_codes, individual_numbers and one <c>Registered</c> event
/// each. Chunks of people are generated, given codes and numbers and encoded for the database on every
/// core while earlier batches are written. Codes and numbers are checked against every one ever used
/// in chunk order, so the result does not depend on the number of cores.
/// <para>
/// Into an empty register the whole run is one transaction that builds the secondary indexes and
/// constraints after the load: all or nothing. Into a register that already holds residents each batch
/// (whole households) is one transaction under the event-log lock, so a failed or cancelled run leaves
/// only whole batches, every person complete.
/// </para>
/// <para>
/// The bulk transaction holds the register for the whole run (PostgreSQL: the tables, exclusively; SQLite: the write
/// lock), so the Registry's own reads and writes wait for it: seed an empty register before opening it to clerks.
/// </para>
/// </summary>
public static class ResidentSeeder
{
    public static async Task<SeedResult> SeedAsync(Database database, IndividualNumberDeriver deriver, SeedPlan plan,
        IProgress<long>? progress = null, CancellationToken ct = default, TimeProvider? clock = null)
    {
        if (plan.Municipalities is < 1 || plan.Municipalities > Municipalities.DemoMunicipalities.All.Count)
            throw new ArgumentOutOfRangeException(nameof(plan), $"municipalities must be 1 to {Municipalities.DemoMunicipalities.All.Count}");
        if (plan.Residents < 1) throw new ArgumentOutOfRangeException(nameof(plan), "residents must be at least 1");
        if (plan.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(plan), "batch size must be at least 1");
        clock ??= TimeProvider.System;
        var watch = Stopwatch.StartNew();

        var generator = new SyntheticResidents(plan);
        await using var writer = await SeedWriter.OpenAsync(database, ct);
        var first = generator.Generate(generator.Chunks[0]).Households[0];
        if (await writer.HouseholdExistsAsync(first.HouseholdId, ct))
            throw new SeedRefusedException($"シード {plan.Seed} の住民は既に登録されています / the residents of seed {plan.Seed} are already on this register; use another seed");
        await writer.BeginAsync(plan.Bulk, ct);
        var bulk = writer.IsBulk;
        var (usedCodes, usedNumbers) = await writer.UsedNumbersAsync(ct);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var batches = Channel.CreateBounded<SeedBatch>(new BoundedChannelOptions(3) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(() => Produce(generator, plan, deriver, writer, usedCodes, usedNumbers, clock, batches.Writer, stop.Token), stop.Token);
        long residents = 0, households = 0;
        try
        {
            await foreach (var batch in batches.Reader.ReadAllAsync(stop.Token))
            {
                await writer.WriteAsync(batch, stop.Token);
                residents += batch.Members.Count;
                households += batch.Households.Count;
                // A bulk load has the last of its people only once it commits, after its indexes are built.
                if (!bulk || residents < plan.Residents) progress?.Report(residents);
            }
            await producer;
            await writer.CompleteAsync(stop.Token);
            if (bulk) progress?.Report(residents);
        }
        catch
        {
            await stop.CancelAsync();
            try { await producer; } catch (Exception) { /* the writer's failure is the one to report */ }
            throw;
        }
        return new SeedResult(residents, households, watch.Elapsed);
    }

    private static void Produce(SyntheticResidents generator, SeedPlan plan, IndividualNumberDeriver deriver, SeedWriter writer,
        HashSet<long> usedCodes, HashSet<long> usedNumbers, TimeProvider clock, ChannelWriter<SeedBatch> output, CancellationToken ct)
    {
        try
        {
            var chunks = generator.Chunks;
            // Chunks made at once: enough to keep every core busy; their order of completion does not matter.
            var width = Math.Max(2, Environment.ProcessorCount * 2);
            var parallel = new ParallelOptions { CancellationToken = ct };
            var occurredOn = JapanTime.Today(clock);
            var batch = new SeedBatch(clock.GetUtcNow().UtcDateTime, occurredOn);
            var ready = new List<SeedBatch>();
            for (var start = 0; start < chunks.Count; start += width)
            {
                var round = new SeedChunk[Math.Min(width, chunks.Count - start)];
                Parallel.For(0, round.Length, parallel, i => round[i] = Designate(generator.Generate(chunks[start + i]), deriver));
                foreach (var chunk in round)
                {
                    Resolve(chunk, deriver, usedCodes, usedNumbers);
                    var k = 0;
                    foreach (var household in chunk.Households)
                    {
                        batch.Households.Add(household);
                        foreach (var person in household.Members)
                        {
                            batch.Members.Add(new SeedMember(person, household, chunk.CodeValues[k], chunk.NumberValues[k]));
                            k++;
                        }
                        if (batch.Members.Count < plan.BatchSize) continue;
                        ready.Add(batch);
                        batch = new SeedBatch(clock.GetUtcNow().UtcDateTime, occurredOn);
                    }
                }
                if (start + width >= chunks.Count && batch.Members.Count > 0) ready.Add(batch);
                foreach (var b in ready)
                {
                    writer.Prepare(b, parallel);
                    if (!output.TryWrite(b)) output.WriteAsync(b, ct).AsTask().GetAwaiter().GetResult();
                }
                ready.Clear();
            }
            output.Complete();
        }
        catch (Exception e)
        {
            output.Complete(e);
        }
    }

    /// <summary>Draws each member's code from the chunk's stream and derives the numbers in one batch (any thread).</summary>
    private static SeedChunk Designate(SeedChunk chunk, IndividualNumberDeriver deriver)
    {
        var codes = chunk.CodeValues;
        for (var i = 0; i < codes.Length; i++) codes[i] = chunk.Codes.Next().Value;
        deriver.DeriveMany(codes, chunk.NumberValues);
        for (var i = 0; i < codes.Length; i++) chunk.NumberValues[i] = IndividualNumber.FromPayload(chunk.NumberValues[i]).Value;
        return chunk;
    }

    /// <summary>
    /// In chunk order: a code already used (on the register or earlier in the run) or a code whose number was ever
    /// designated is replaced by the chunk stream's next code, as designation does. Clashes are rare (codes have ten random digits).
    /// </summary>
    private static void Resolve(SeedChunk chunk, IndividualNumberDeriver deriver, HashSet<long> usedCodes, HashSet<long> usedNumbers)
    {
        var codes = chunk.CodeValues;
        var numbers = chunk.NumberValues;
        for (var i = 0; i < codes.Length; i++)
        {
            // Both sets only grow: a code or number drawn and then passed over is skipped by later draws too, which costs nothing.
            while (!usedCodes.Add(codes[i]) | !usedNumbers.Add(numbers[i]))
            {
                var code = chunk.Codes.Next();
                codes[i] = code.Value;
                numbers[i] = deriver.Derive(code).Value;
            }
        }
    }
}
