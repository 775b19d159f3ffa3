namespace Renkei.Registry.Seeding;

/// <summary>
/// Japan's population by five-year age band (令和2年国勢調査, the 2020 census, rounded to thousands) with
/// the share of men in each band; ages are drawn in proportion, within whatever range a role allows.
/// </summary>
public static class AgePyramid
{
    public const int MaxAge = 104;

    /// <summary>Thousands of people aged 0–4, 5–9, … 95–99, 100 and over.</summary>
    public static readonly int[] Bands =
        [4541, 4988, 5300, 5490, 5910, 6000, 6510, 7350, 8200, 9580, 8720, 7850, 7440, 8200, 9160, 7080, 5400, 3620, 1750, 490, 80];

    /// <summary>The share of men in each band: even among the young, fewer among the very old.</summary>
    private static readonly double[] MaleShare =
        [0.512, 0.512, 0.512, 0.513, 0.515, 0.512, 0.508, 0.506, 0.505, 0.505, 0.503, 0.500, 0.496, 0.487, 0.474, 0.450, 0.420, 0.360, 0.280, 0.200, 0.120];

    /// <summary>Cumulative weight of ages below each age (index a is the weight of ages 0..a-1).</summary>
    private static readonly double[] Cumulative = BuildCumulative();

    private static double[] BuildCumulative()
    {
        var cumulative = new double[MaxAge + 2];
        for (var age = 0; age <= MaxAge; age++)
            cumulative[age + 1] = cumulative[age] + Bands[Math.Min(age / 5, Bands.Length - 1)] / 5.0;
        return cumulative;
    }

    /// <summary>An age from <paramref name="min"/> to <paramref name="max"/> inclusive, weighted by the census.</summary>
    public static int Draw(Random random, int min, int max)
    {
        min = Math.Clamp(min, 0, MaxAge);
        max = Math.Clamp(max, min, MaxAge);
        var target = Cumulative[min] + random.NextDouble() * (Cumulative[max + 1] - Cumulative[min]);
        int lo = min, hi = max;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (Cumulative[mid + 1] <= target) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    public static double MaleShareAt(int age) => MaleShare[Math.Min(age / 5, MaleShare.Length - 1)];
}
