using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Renkei.Protocol;

/// <summary>Why a received message was refused; <see cref="Accepted"/> when it was not.</summary>
public enum EnvelopeVerdict
{
    Accepted,
    UnknownSender,
    WrongRecipient,
    BadSignature,
    Stale,
    Replay,
    /// <summary>A field is missing, or the message id or nonce is not of the form <see cref="Envelope.NewId"/> draws.</summary>
    Malformed,
}

/// <summary>
/// Checks received messages: known sender, addressed to us, a valid signature, a time inside the
/// staleness window, and a nonce not seen inside that window (the replay cache keeps each nonce
/// until its message would be stale anyway, so the cache stays bounded). The cache is this
/// verifier's memory only, so a message sent before the verifier was made is refused as stale: after
/// a restart it could otherwise be replayed once within the window. Make the verifier when the
/// service starts, not at its first message. A time ahead of the clock is allowed only
/// <see cref="FutureSkew"/>: a message stamped later than the restart would pass that check, so only
/// what arrived in that last span before a restart could be replayed after it. One instance per party
/// (InstanceLock) keeps a second process from accepting what this one did.
/// </summary>
public sealed class EnvelopeVerifier(TimeProvider time, TimeSpan window)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> seen = new();
    private readonly DateTimeOffset started = time.GetUtcNow();
    private long checks;

    public TimeSpan Window { get; } = window;

    /// <summary>
    /// How far ahead of this clock a message's time may be (the window if that is shorter). Servers kept by NTP differ by far
    /// less; the whole window ahead left the last two minutes before a restart replayable after it, from a sender running ahead.
    /// </summary>
    public static readonly TimeSpan FutureSkew = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The bounds of the window a service may be given (<c>Core:StalenessSeconds</c>, <c>Node:StalenessSeconds</c>). Under
    /// 10 s, twice <see cref="FutureSkew"/>, a message signed, sent and read in ordinary time by a peer whose clock is a few
    /// seconds off is refused (at 0 or less, every message was); over 10 minutes, every nonce and inquiry id is kept in
    /// memory that much longer (600,000 of them at a thousand messages a second) for no peer that needs it.
    /// </summary>
    public const int MinWindowSeconds = 10, MaxWindowSeconds = 600;

    public EnvelopeVerdict Verify(Envelope envelope, string expectedRecipient, Func<string, ECDsa?> senderKey)
    {
        // Ids of the form every honest sender draws (Envelope.NewId), checked before anything else: a message id is logged and
        // signed onward by the core, and a nonce keys the replay cache, so free text there reached the log (a person's
        // particulars) and a megabyte nonce a cache entry.
        if (!envelope.IsComplete || !Envelope.IsId(envelope.MessageId) || !Envelope.IsId(envelope.Nonce)) return EnvelopeVerdict.Malformed;
        if (envelope.Recipient != expectedRecipient) return EnvelopeVerdict.WrongRecipient;
        var key = senderKey(envelope.Sender);
        if (key is null) return EnvelopeVerdict.UnknownSender;
        // The clock is checked before the signature: a stale message costs no ECDSA verification.
        var now = time.GetUtcNow();
        if (envelope.SentAt < now - Window || envelope.SentAt > now + (FutureSkew < Window ? FutureSkew : Window) || envelope.SentAt < started)
            return EnvelopeVerdict.Stale;
        if (!envelope.HasValidSignature(key)) return EnvelopeVerdict.BadSignature;
        if (!seen.TryAdd(envelope.Sender + "|" + envelope.Nonce, envelope.SentAt)) return EnvelopeVerdict.Replay;
        if (Interlocked.Increment(ref checks) % 1024 == 0) Prune(now);
        return EnvelopeVerdict.Accepted;
    }

    /// <summary>
    /// Claims the ids of the items a verified message carries (its inquiries' message ids), all or none: false when a
    /// message of any sender claimed one. An id names one inquiry across the network, so it is not the sender's alone: a
    /// provider that saw a requester's id could otherwise file an inquiry of its own under it. A claim holds for the window
    /// from when it is made, not from when its message was sent, and lapses then whether or not a prune has removed it yet (a
    /// quiet service prunes seldom). Past the window an id is taken again: no one looks it up in
    /// the records (a query per message cost the relay a tenth of its throughput), and the requester in the records tells the
    /// two inquiries apart (docs/linkage.md). A refused message leaves the others unclaimed, so that they can be sent again
    /// in a message of their own.
    /// </summary>
    public bool ClaimAll(IEnumerable<string> itemIds)
    {
        var now = time.GetUtcNow();
        var claimed = new List<string>();
        foreach (var id in itemIds)
        {
            if (!TryClaim(ItemKey(id), now))
            {
                Release(claimed);
                return false;
            }
            claimed.Add(id);
        }
        return true;
    }

    /// <summary>Claims <paramref name="key"/> if no claim of it is younger than the window.</summary>
    private bool TryClaim(string key, DateTimeOffset now)
    {
        while (true)
        {
            if (seen.TryAdd(key, now)) return true;
            if (!seen.TryGetValue(key, out var at)) continue; // pruned or released meanwhile: add it again
            if (at >= now - Window) return false;
            if (seen.TryUpdate(key, now, at)) return true; // lapsed; another taker meanwhile is seen on the next turn
        }
    }

    /// <summary>Gives back the claims of a message refused after it claimed them, so that its new ids can be sent again.</summary>
    public void Release(IEnumerable<string> itemIds)
    {
        foreach (var id in itemIds) seen.TryRemove(ItemKey(id), out _);
    }

    // Beside the nonces, which are keyed by a sender's id; no sender is called "item".
    private static string ItemKey(string id) => "item|" + id;

    private void Prune(DateTimeOffset now)
    {
        foreach (var (nonce, sentAt) in seen)
            if (sentAt < now - Window) seen.TryRemove(nonce, out _); // older messages are refused as stale anyway, older claims by the records
    }

    /// <summary>The HTTP status of a refusal: 400 for a message that cannot be read, 401 for one that cannot be trusted.</summary>
    public static int StatusOf(EnvelopeVerdict verdict) => verdict == EnvelopeVerdict.Malformed ? 400 : 401;

    /// <summary>The stable problem slug and the bilingual title of a refusal.</summary>
    public static (string Slug, string Title) Describe(EnvelopeVerdict verdict) => verdict switch
    {
        EnvelopeVerdict.UnknownSender => ("unknown-sender", "送信者が登録されていません / The sender is not registered"),
        EnvelopeVerdict.WrongRecipient => ("wrong-recipient", "宛先が違います / The message is addressed to another party"),
        EnvelopeVerdict.BadSignature => ("bad-signature", "署名が正しくありません / The signature is not valid"),
        EnvelopeVerdict.Stale => ("stale-message", "送信時刻が許容範囲外です / The message is too old or from the future"),
        EnvelopeVerdict.Replay => ("replayed-message", "再送されたメッセージです / The message was already received"),
        EnvelopeVerdict.Malformed => ("malformed-message", "メッセージの項目が欠けているか、形が違います / The message lacks a field or has one of the wrong form"),
        _ => ("accepted", "受理 / Accepted"),
    };
}
