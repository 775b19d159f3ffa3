using System.CommandLine;
using System.Globalization;
using System.Numerics;

namespace Renkei.Cli;

/// <summary>
/// Checks of option values that say what is wrong in Japanese and English. System.CommandLine's own
/// messages are English only, and a validator that reads a value which did not parse throws instead of
/// reporting it, so whole numbers and choices are parsed here.
/// </summary>
public static class CliOptions
{
    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>; anything else is a usage error naming the option.</summary>
    public static Option<T> Between<T>(this Option<T> option, T min, T max) where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        option.CustomParser = result => Parse(result, option.Name, min, max);
        return option;
    }

    /// <summary>An optional whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<T?> Between<T>(this Option<T?> option, T min, T max) where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        option.CustomParser = result => Parse(result, option.Name, min, max);
        return option;
    }

    private static T Parse<T>(System.CommandLine.Parsing.ArgumentResult result, string name, T min, T max) where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (T.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        // A whole number out of range is told both bounds: "0 or more" would not explain why 2,147,483,648 is refused.
        var whole = BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
        result.AddError((min == T.MinValue && !whole, max == T.MaxValue && !whole) switch
        {
            (true, true) => $"{name} は整数です / {name} must be a whole number (got '{text}')",
            (false, true) => $"{name} は{min:N0}以上の整数です / {name} must be a whole number of {min:N0} or more (got '{text}')",
            _ => $"{name} は{min:N0}から{max:N0}の整数です / {name} must be a whole number from {min:N0} to {max:N0} (got '{text}')",
        });
        return default;
    }

    /// <summary>One of <paramref name="choices"/>, shown in the help; anything else is a usage error that lists them.</summary>
    public static Option<T> OneOf<T>(this Option<T> option, params string[] choices) where T : class?
    {
        option.HelpName = string.Join('|', choices);
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.Tokens[^1].Value is var text && !choices.Contains(text, StringComparer.Ordinal))
                result.AddError($"{option.Name} は {string.Join("、", choices)} のいずれかです / {option.Name} must be one of {string.Join(", ", choices)} (got '{text}')");
        });
        return option;
    }
}
