using Renkei.Hosting;

namespace Renkei.Node;

/// <summary>What a problem of the node repeats of a client's value (a path segment, a name in a copy's content).</summary>
internal static class Echo
{
    /// <summary>
    /// At most 40 characters, as <see cref="Problems.Shown"/> cuts it, so that a long value does not make a long answer;
    /// masked first, so that the cut leaves no part of an Individual Number in clear (masking after it would miss one cut short).
    /// </summary>
    public static string Shown(string value) => Problems.Shown(NumberShape.Mask(value)!);
}
