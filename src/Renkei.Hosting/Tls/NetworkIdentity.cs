using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace Renkei.Hosting.Tls;

/// <summary>
/// Which party of the network a TLS certificate belongs to: a URI in its subject alternative names,
/// <c>urn:renkei:core</c>, <c>urn:renkei:node:{nodeId}</c>, <c>urn:renkei:registry</c> or
/// <c>urn:renkei:pki</c> (as SPIFFE IDs do).
/// Only the network CA issues these, so a certificate that chains to it and carries one speaks for
/// that party; host names say where a service runs, not who it is.
/// </summary>
public static partial class NetworkIdentity
{
    public const string Core = "urn:renkei:core";

    /// <summary>The Registry (住基・番号): it serves HTTPS under the network CA and calls no other party.</summary>
    public const string Registry = "urn:renkei:registry";

    /// <summary>The PKI: its certificate is what it presents when it calls the Registry.</summary>
    public const string Pki = "urn:renkei:pki";

    private const string NodePrefix = "urn:renkei:node:";

    /// <summary>The identity of the node registered as <paramref name="nodeId"/>, or null when none is registered.</summary>
    public static string? Node(string? nodeId) => IsNodeId(nodeId) ? NodePrefix + nodeId : null;

    public static bool IsNode(string identity) => identity.StartsWith(NodePrefix, StringComparison.Ordinal) && IsNodeId(identity[NodePrefix.Length..]);

    /// <summary>A node id: 1 to 63 lower-case letters, digits or hyphens, starting with a letter or digit.</summary>
    public static bool IsNodeId(string? nodeId) => nodeId is not null && NodeIdPattern().IsMatch(nodeId);

    /// <summary>The one network identity a certificate names, or null when it names none or several.</summary>
    public static string? Of(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (extension is null) return null;
        var found = new List<string>();
        try
        {
            var names = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            var uri = new Asn1Tag(TagClass.ContextSpecific, 6);
            while (names.HasData)
            {
                if (names.PeekTag() == uri)
                {
                    var value = names.ReadCharacterString(UniversalTagNumber.IA5String, uri);
                    if (value is Core or Registry or Pki || IsNode(value)) found.Add(value);
                }
                else names.ReadEncodedValue();
            }
        }
        catch (AsnContentException) { return null; }
        return found.Count == 1 ? found[0] : null;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex NodeIdPattern();
}
