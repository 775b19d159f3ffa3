using Microsoft.AspNetCore.Http.HttpResults;
using Renkei.Hosting;
using Renkei.Hosting.Tls;
using Renkei.Protocol;

namespace Renkei.Core.Agencies;

/// <summary>How the core admits a signed message from an agency, whatever it carries.</summary>
public static class AgencyMessages
{
    /// <summary>
    /// The sending agency, or why its message is refused: it must arrive over the connection of the node registered
    /// for the agency (a sender nobody registered gets past any node's certificate only to be refused as an unknown
    /// sender), be signed with the agency's key, be fresh and not replayed. A refusal is logged under <paramref name="kind"/>,
    /// the kind the endpoint takes: the kind a message claims is the sender's free text, which anyone with a node's
    /// certificate could fill with a person's particulars, or with megabytes that roll the log over.
    /// </summary>
    public static async Task<(Agency? Sender, ProblemHttpResult? Refused)> AdmitAsync(this AgencyStore agencies, Envelope envelope, string kind,
        HttpContext context, EnvelopeVerifier verifier, ILogger log)
    {
        var sender = await agencies.FindAsync(envelope.Sender);
        if (context.RefuseUnlessFrom(id => sender is null ? NetworkIdentity.IsNode(id) : id == NetworkIdentity.Node(sender.NodeId),
                "送信元の機関に登録された中間サーバー", "the node registered for the sending agency") is { } refused) return (null, refused);
        var verdict = verifier.Verify(envelope, CoreIdentity.PartyId, _ => agencies.SigningKeyOf(sender));
        if (verdict == EnvelopeVerdict.Accepted) return (sender, null);
        var (slug, title) = EnvelopeVerifier.Describe(verdict);
        log.LogWarning("Refused a message sent as {Kind}: {Reason}", kind, slug);
        return (null, Problems.Result(EnvelopeVerifier.StatusOf(verdict), slug, title));
    }
}
