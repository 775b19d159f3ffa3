using Xunit;

namespace Renkei.Testing;

/// <summary>Checks of a setting's range, as every service states it (Renkei.Hosting.SettingRange).</summary>
public static class SettingAssert
{
    /// <summary>
    /// Each of <paramref name="outside"/> (by default min - 1 and max + 1) stops <paramref name="create"/> with an
    /// InvalidOperationException naming the setting and its range, in Japanese and in English.
    /// </summary>
    public static void RefusesOutsideRange(string key, int min, int max, Func<string, IAsyncDisposable> create, params string[] outside)
    {
        foreach (var value in outside is [] ? [$"{min - 1}", $"{max + 1}"] : outside)
        {
            var refused = Assert.Throws<InvalidOperationException>(() => create(value));
            Assert.Contains($"{key} は {min} から {max} まで", refused.Message);
            Assert.Contains($"{key} must be {min} to {max}", refused.Message);
        }
    }

    /// <summary><paramref name="min"/> - 1 stops <paramref name="create"/> naming the setting and its least value, in Japanese and in English.</summary>
    public static void RefusesBelow(string key, int min, Func<string, IAsyncDisposable> create)
    {
        var refused = Assert.Throws<InvalidOperationException>(() => create($"{min - 1}"));
        Assert.StartsWith($"{key} は {min} 以上です", refused.Message);
        Assert.Contains($" / {key} must be at least {min} (set: {min - 1})", refused.Message);
    }
}
