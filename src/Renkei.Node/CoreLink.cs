using System.Net.Http.Json;
using System.Security.Cryptography;
using Renkei.Hosting;
using Renkei.Protocol;

namespace Renkei.Node;

/// <summary>
/// This node's link to the core: the core's address, its public signing key (fetched once from
/// the core and kept), and the verifier every message from the core passes.
/// </summary>
public sealed class CoreLink(NodeOptions options, IHttpClientFactory http, EnvelopeVerifier verifier)
{
    public const string CoreParty = "core";
    private ECDsa? coreKey;

    public Uri Address { get; } = new(options.CoreAddress.EndsWith('/') ? options.CoreAddress : options.CoreAddress + "/");

    /// <summary>Refuses a <c>Node:CoreAddress</c> that is not an absolute http or https address, naming the setting.</summary>
    public static void CheckAddress(string? address)
    {
        if (Uri.TryCreate(address, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)) return;
        throw new InvalidOperationException($"Node:CoreAddress「{LogText.Safe(address ?? "")}」は http:// か https:// で始まるURLではありません / "
            + $"Node:CoreAddress must be an absolute http:// or https:// address (the core's), not '{LogText.Safe(address ?? "")}'");
    }

    public HttpClient Client() { var c = http.CreateClient("core"); c.BaseAddress = Address; return c; }

    public async Task<ECDsa> CoreKeyAsync()
    {
        if (coreKey is not null) return coreKey;
        var keys = await Client().GetFromJsonAsync<PublicKeys>("api/core/keys", ServiceDefaults.Json)
            ?? throw new InvalidOperationException("The core published no keys");
        return coreKey = keys.OpenSigningKey();
    }

    /// <summary>Checks a message that claims to come from the core and is addressed to <paramref name="recipient"/>.</summary>
    public async Task<EnvelopeVerdict> VerifyFromCoreAsync(Envelope envelope, string recipient)
    {
        var key = envelope.Sender == CoreParty ? await CoreKeyAsync() : null;
        return verifier.Verify(envelope, recipient, sender => sender == CoreParty ? key : null);
    }
}
