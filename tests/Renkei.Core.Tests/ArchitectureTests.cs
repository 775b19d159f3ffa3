using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Renkei.Numbers;

namespace Renkei.Core.Tests;

/// <summary>No number on the wire (invariant 2), checked by the compiler's output: the Core and Node assemblies never reference the IndividualNumber type.</summary>
public class ArchitectureTests
{
    private static readonly string[] Forbidden = ["Renkei.Numbers.IndividualNumber", "Renkei.Numbers.IndividualNumberDeriver"];

    /// <summary>Every type an assembly refers to (its TypeRef table) or defines, by full name.</summary>
    public static HashSet<string> ReferencedTypes(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var names = new HashSet<string>();
        foreach (var handle in md.TypeReferences)
        {
            var t = md.GetTypeReference(handle);
            names.Add($"{md.GetString(t.Namespace)}.{md.GetString(t.Name)}");
        }
        foreach (var handle in md.TypeDefinitions)
        {
            var t = md.GetTypeDefinition(handle);
            names.Add($"{md.GetString(t.Namespace)}.{md.GetString(t.Name)}");
        }
        return names;
    }

    [Theory]
    [InlineData(typeof(CoreApp))]
    [InlineData(typeof(Node.NodeApp))]
    [InlineData(typeof(Protocol.Envelope))]
    public void Core_node_and_protocol_assemblies_never_reference_the_IndividualNumber_type(Type anchor)
    {
        var types = ReferencedTypes(anchor.Assembly.Location);
        Assert.Contains(anchor.FullName!, types); // the reader does see this assembly's types
        Assert.Empty(types.Intersect(Forbidden));
    }

    [Fact]
    public void The_check_finds_the_reference_in_a_deliberately_bad_assembly()
    {
        // This test assembly uses IndividualNumber below, so the same check must flag it.
        var types = ReferencedTypes(typeof(BadExample).Assembly.Location);
        Assert.Contains("Renkei.Numbers.IndividualNumber", types.Intersect(Forbidden));
        Assert.NotEqual(default, BadExample.Number);
    }

    private static class BadExample
    {
        public static readonly IndividualNumber Number = IndividualNumber.Parse("123456789018");
    }
}
