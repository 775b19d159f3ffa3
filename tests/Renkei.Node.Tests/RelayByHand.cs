using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Protocol;

namespace Renkei.Node.Tests;

/// <summary>
/// Relay messages a test writes and posts itself, as a node or the core would, or as a misbehaving one does (tampered, stale,
/// forged, sent from the wrong party).
/// </summary>
public static class RelayByHand
{
    /// <summary>An inquiry as <paramref name="sender"/>'s node writes it: the addressee's agency code read from the sender's tenant.</summary>
    public static async Task<InquiryBody> InquiryAsync(this LinkageNetwork network, string addressee = "B-0001", DateTimeOffset? notBefore = null,
        string affair = "child-allowance", string provider = LinkageNetwork.Kashiwa, string item = "local-tax", string sender = LinkageNetwork.Bunkyo) =>
        new(Envelope.NewId(), (await network.NodeTenants.Find(sender)!.AgencyCodeOfAsync(addressee))!, affair, provider, item, notBefore);

    /// <summary>
    /// Posts <paramref name="body"/> to the core's relay as the node (its certificate unless given), signed with the sender
    /// tenant's key unless <paramref name="signing"/> is given, dated by <paramref name="clock"/> (the system's by default).
    /// </summary>
    public static Task<HttpResponseMessage> SendInquiriesAsync(this LinkageNetwork network, string body, string sender = LinkageNetwork.Bunkyo,
        ECDsa? signing = null, X509Certificate2? certificate = null, TimeProvider? clock = null) =>
        network.SendAsync(network.Core, "api/relay/inquiries", Envelope.Create(sender, "core", RelayKinds.Inquiries, body,
            signing ?? network.NodeTenants.Find(sender)!.Keys.Signing, clock ?? TimeProvider.System), certificate);

    /// <inheritdoc cref="SendInquiriesAsync(LinkageNetwork, string, string, ECDsa?, X509Certificate2?, TimeProvider?)"/>
    public static Task<HttpResponseMessage> SendInquiriesAsync(this LinkageNetwork network, IEnumerable<InquiryBody> inquiries,
        string sender = LinkageNetwork.Bunkyo, ECDsa? signing = null, X509Certificate2? certificate = null, TimeProvider? clock = null) =>
        network.SendInquiriesAsync(JsonSerializer.Serialize(inquiries, ServiceDefaults.Json), sender, signing, certificate, clock);

    /// <summary>Posts <paramref name="body"/> to a tenant's provisions on the node as the core (its certificate and key unless given).</summary>
    public static Task<HttpResponseMessage> SendProvisionRequestsAsync(this LinkageNetwork network, string tenant, string body,
        ECDsa? signing = null, X509Certificate2? certificate = null, TimeProvider? clock = null) =>
        network.SendAsync(network.Node, $"api/tenants/{tenant}/provisions", Envelope.Create("core", tenant, RelayKinds.ProvisionRequests, body,
            signing ?? network.CoreKeys.Signing, clock ?? TimeProvider.System), certificate);

    /// <inheritdoc cref="SendProvisionRequestsAsync(LinkageNetwork, string, string, ECDsa?, X509Certificate2?, TimeProvider?)"/>
    public static Task<HttpResponseMessage> SendProvisionRequestsAsync(this LinkageNetwork network, string tenant, IEnumerable<ProvisionRequest> requests,
        ECDsa? signing = null, X509Certificate2? certificate = null, TimeProvider? clock = null) =>
        network.SendProvisionRequestsAsync(tenant, JsonSerializer.Serialize(requests, ServiceDefaults.Json), signing, certificate, clock);

    /// <summary>A message signed by <paramref name="key"/> with the message id and nonce given, as a sender of its own making writes it.</summary>
    public static Envelope Signed(string sender, string recipient, string kind, string body, ECDsa key, string messageId, string nonce,
        DateTimeOffset? createdAt = null)
    {
        var unsigned = new Envelope(sender, recipient, kind, messageId, nonce, createdAt ?? DateTimeOffset.UtcNow, body);
        return unsigned with { Signature = Convert.ToBase64String(key.SignData(unsigned.SignedBytes(), HashAlgorithmName.SHA256)) };
    }

    /// <summary>
    /// Posts <paramref name="envelope"/> as it is to <paramref name="path"/> on <paramref name="service"/>, presenting
    /// <paramref name="certificate"/> (by default the node's to the core and the core's to the node), on a connection of its own.
    /// </summary>
    public static Task<HttpResponseMessage> SendAsync(this LinkageNetwork network, Uri service, string path, Envelope envelope,
        X509Certificate2? certificate = null) =>
        network.Presenting(certificate ?? (service == network.Core ? network.NodeCertificate : network.CoreCertificate), service)
            .PostAsJsonAsync(path, envelope, ServiceDefaults.Json);
}
