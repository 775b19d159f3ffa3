using Xunit;

namespace Renkei.Testing;

/// <summary>Checks of a setting's range, as every service states it (Renkei.Hosting.SettingRange).</summary>
public static class SettingAssert
{
    /// <summary>
    /// Each of <paramref name="outside"/> (by default min - 1 and max + 1) stops <paramref name="create"/> with an
    /// InvalidOperationException naming the setting, its range and the value, in Japanese and in English.
    /// </summary>
    public static void RefusesOutsideRange(string key, int min, int max, Func<string, IAsyncDisposable> create, params string[] outside)
    {
        foreach (var value in outside is [] ? [$"{min - 1}", $"{max + 1}"] : outside)
        {
            var refused = Assert.Throws<InvalidOperationException>(() => create(value));
            Assert.StartsWith($"{key} は {min} から {max} までです", refused.Message);
            // With or without a reason before it (SettingRange's why).
            Assert.Contains($"設定値: {value}） / ", refused.Message);
            Assert.Contains($" / {key} must be {min} to {max} (", refused.Message);
            Assert.EndsWith($"set: {value})", refused.Message);
        }
    }

    /// <summary><paramref name="min"/> - 1 stops <paramref name="create"/> naming the setting and its least value, in Japanese and in English.</summary>
    public static void RefusesBelow(string key, int min, Func<string, IAsyncDisposable> create) =>
        SaysBelow(Assert.Throws<InvalidOperationException>(() => create($"{min - 1}")).Message, key, min, min - 1);

    /// <summary>
    /// <paramref name="message"/> is the refusal of <paramref name="value"/> for a setting of at least <paramref name="min"/>,
    /// giving <paramref name="why"/> as the reason when there is one.
    /// </summary>
    public static void SaysBelow(string message, string key, int min, int value, (string Ja, string En)? why = null)
    {
        if (why is var (ja, en))
        {
            Assert.StartsWith($"{key} は {min} 以上です（{ja}。設定値: {value}） / ", message);
            Assert.EndsWith($" / {key} must be at least {min} ({en}; set: {value})", message);
        }
        else
        {
            Assert.StartsWith($"{key} は {min} 以上です（設定値: {value}） / ", message);
            Assert.EndsWith($" / {key} must be at least {min} (set: {value})", message);
        }
    }
}
