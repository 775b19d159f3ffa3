using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Renkei.Numbers;

namespace Renkei.Cli.Bench;

/// <summary>
/// <c>renkei bench numbers</c>: Individual Numbers derived per second (FF1 on every core) and, in the
/// same run, raw AES-256-ECB blocks per second on every core. One FF1 number over eleven digits
/// costs ten AES blocks once AES(P) is precomputed, so a tenth of the block rate bounds the number
/// rate; <c>ratioToAesBound</c> is the share of that bound reached.
/// </summary>
public static class NumbersBench
{
    private const int BlocksPerNumber = 10;
    private const int MaxBuffer = 1 << 22;
    private const int EcbBufferBlocks = 4096;
    private const int Slices = 5;

    public static Command Create()
    {
        var count = new Option<long>("--count")
        {
            Description = "生成する番号の数 / how many numbers to derive (the AES run encrypts ten blocks per number)",
            DefaultValueFactory = _ => 60_000_000,
        }.Between(1, long.MaxValue);
        var command = new Command("numbers", "個人番号生成（FF1）の速度を素のAES-256-ECBと比べて測る / measure Individual Number derivation (FF1) against raw AES-256-ECB") { count };
        command.SetAction(parse => Run(parse.GetValue(count)));
        return command;
    }

    private static int Run(long count)
    {
        var cores = Environment.ProcessorCount;
        var key = RandomNumberGenerator.GetBytes(32);
        using var deriver = new IndividualNumberDeriver(key);
        var size = (int)Math.Min(count, MaxBuffer);
        var codes = new long[size];
        var payloads = new long[size];
        var random = new Random(20261123);
        for (var i = 0; i < size; i++) codes[i] = random.NextInt64(0, 100_000_000_000);

        // Warm-up: let the JIT reach its optimised code before the clock starts.
        for (var i = 0; i < 30; i++) deriver.DeriveMany(codes.AsSpan(0, Math.Min(size, 4096)), payloads);
        deriver.DeriveMany(codes.AsSpan(0, Math.Min(size, 1 << 18)), payloads);

        // The two measurements alternate in slices, so that a change in what else the machine runs
        // weighs on both alike and the ratio stays meaningful on a shared machine.
        var blocks = count * BlocksPerNumber;
        double numberSeconds = 0, numberCpuSeconds = 0, aesSeconds = 0, aesCpuSeconds = 0;
        for (var slice = 0; slice < Slices; slice++)
        {
            var numbers = count / Slices + (slice < count % Slices ? 1 : 0);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            for (var done = 0L; done < numbers;)
            {
                var n = (int)Math.Min(size, numbers - done);
                deriver.DeriveMany(codes.AsSpan(0, n), payloads.AsSpan(0, n));
                done += n;
            }
            numberSeconds += clock.Elapsed.TotalSeconds;
            numberCpuSeconds += (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;

            cpu = Process.GetCurrentProcess().TotalProcessorTime;
            aesSeconds += MeasureAes(key, numbers * BlocksPerNumber, cores);
            aesCpuSeconds += (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        }
        var numbersPerSecond = count / numberSeconds;
        var aesBlocksPerSecond = blocks / aesSeconds;
        var ratio = numbersPerSecond * BlocksPerNumber / aesBlocksPerSecond;

        Console.WriteLine($"個人番号生成 / numbers derived: {count:N0} in {numberSeconds:F2} s on {cores} cores = {numbersPerSecond:N0} /s"
            + $" ({(deriver.UsesAesInstructions ? "AES命令 / AES instructions" : "AES-ECB一括 / AES-ECB batches")})");
        Console.WriteLine($"AES-256-ECB: {blocks:N0} blocks in {aesSeconds:F2} s on {cores} cores = {aesBlocksPerSecond:N0} blocks/s"
            + $" → 上限 / bound {aesBlocksPerSecond / BlocksPerNumber:N0} numbers/s");
        Console.WriteLine($"AES上限比 / ratio to the AES bound: {ratio:F3}");
        // On a shared machine the wall clock also counts time given to other processes; CPU time does not.
        Console.WriteLine($"CPU時間あたり / per CPU second: {count / numberCpuSeconds:N0} numbers, {blocks / aesCpuSeconds:N0} AES blocks"
            + $" (CPU使用率 / CPU use {numberCpuSeconds / numberSeconds / cores:P0} and {aesCpuSeconds / aesSeconds / cores:P0} of {cores} cores)");
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            bench = "numbers",
            numbersPerSecond = Math.Round(numbersPerSecond),
            aesBlocksPerSecond = Math.Round(aesBlocksPerSecond),
            ratioToAesBound = Math.Round(ratio, 4),
            count,
            cores,
        }));
        return 0;
    }

    /// <summary>Seconds for <paramref name="blocks"/> AES-256-ECB blocks, split over one thread per core, in large calls.</summary>
    private static double MeasureAes(byte[] key, long blocks, int cores)
    {
        var perThread = (blocks + cores - 1) / cores;
        using var ready = new Barrier(cores + 1);
        var threads = new Thread[cores];
        for (var t = 0; t < cores; t++)
        {
            threads[t] = new Thread(() =>
            {
                using var aes = Aes.Create();
                aes.Key = key;
                var input = new byte[EcbBufferBlocks * 16];
                var output = new byte[input.Length];
                RandomNumberGenerator.Fill(input);
                for (var i = 0; i < 20; i++) aes.EncryptEcb(input, output, PaddingMode.None);
                ready.SignalAndWait();
                for (var done = 0L; done < perThread; done += EcbBufferBlocks)
                {
                    var n = (int)Math.Min(EcbBufferBlocks, perThread - done);
                    aes.EncryptEcb(input.AsSpan(0, n * 16), output, PaddingMode.None);
                }
            }) { IsBackground = true };
            threads[t].Start();
        }
        ready.SignalAndWait();
        var clock = Stopwatch.StartNew();
        foreach (var thread in threads) thread.Join();
        return clock.Elapsed.TotalSeconds;
    }
}
