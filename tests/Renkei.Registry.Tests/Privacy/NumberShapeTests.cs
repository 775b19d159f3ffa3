using Renkei.Hosting;
using Renkei.Numbers;

namespace Renkei.Registry.Tests.Privacy;

public class NumberShapeTests
{
    [Fact]
    public void The_privacy_check_reads_the_same_separators_as_the_numbers_library()
    {
        // NumberShape keeps its own copy of the separators (Core and Node may not reference the numbers library): every
        // character the library skips between digits must also be skipped by the check that keeps numbers out of the
        // core, the nodes and problem details, or a number typed with it would pass unseen.
        for (var c = char.MinValue; c < char.MaxValue; c++)
        {
            if (char.IsAsciiDigit(c) || c is >= '０' and <= '９' || char.IsSurrogate(c)) continue;
            var text = $"1234{c}5678{c}9018";
            var library = IndividualNumber.TryParse(text, out _, out _);
            Assert.True(library == NumberShape.LooksLikeIndividualNumber(text), $"U+{(int)c:X4}: library {library}, NumberShape {!library}");
            if (library) Assert.Equal($"****{c}****{c}****", NumberShape.Mask(text));
        }
    }
}
