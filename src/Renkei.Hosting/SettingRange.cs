namespace Renkei.Hosting;

/// <summary>
/// The check every service makes of a numeric setting at start, worded alike everywhere so that an operator reads one
/// form: "{key} は {min} から {max} までです / {key} must be {min} to {max}" (or "{key} は {min} 以上です / {key} must be at least {min}").
/// </summary>
public static class SettingRange
{
    /// <summary>Stops the start with an InvalidOperationException naming the setting, its range and the value given.</summary>
    /// <param name="why">Why the bound is what it is, in Japanese and in English, when the operator could not guess it.</param>
    public static void Check(string key, int value, int min, int max, (string Ja, string En)? why = null)
    {
        if (value >= min && value <= max) return;
        throw new InvalidOperationException(why is var (ja, en)
            ? $"{key} は {min} から {max} までです（{ja}。設定値: {value}） / {key} must be {min} to {max} ({en}; set: {value})"
            : $"{key} は {min} から {max} までです（設定値: {value}） / {key} must be {min} to {max} (set: {value})");
    }

    /// <summary>The same for a setting with no upper bound.</summary>
    /// <param name="why">As for <see cref="Check"/>.</param>
    public static void CheckAtLeast(string key, int value, int min, (string Ja, string En)? why = null)
    {
        if (value >= min) return;
        throw new InvalidOperationException(why is var (ja, en)
            ? $"{key} は {min} 以上です（{ja}。設定値: {value}） / {key} must be at least {min} ({en}; set: {value})"
            : $"{key} は {min} 以上です（設定値: {value}） / {key} must be at least {min} (set: {value})");
    }
}
