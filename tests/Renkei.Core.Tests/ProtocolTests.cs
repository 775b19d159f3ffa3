using Renkei.Protocol;

namespace Renkei.Core.Tests;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}

public class ProtocolTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 1, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_signed_message_is_accepted_once_and_refused_when_replayed_stale_tampered_misaddressed_or_from_a_stranger()
    {
        using var sender = PartyKeys.Generate();
        using var stranger = PartyKeys.Generate();
        var time = new ManualTime(Start);
        var verifier = new EnvelopeVerifier(time, TimeSpan.FromMinutes(2));
        System.Security.Cryptography.ECDsa? Keys(string party) => party == "122173" ? sender.Signing : null;

        var message = Envelope.Create("122173", "core", "inquiry", "{\"x\":1}", sender.Signing, time);
        Assert.Equal(EnvelopeVerdict.Accepted, verifier.Verify(message, "core", Keys));
        Assert.Equal(EnvelopeVerdict.Replay, verifier.Verify(message, "core", Keys));
        Assert.Equal(EnvelopeVerdict.BadSignature, verifier.Verify(message with { Body = "{\"x\":2}", Nonce = "n2" }, "core", Keys));
        Assert.Equal(EnvelopeVerdict.BadSignature, verifier.Verify(Envelope.Create("122173", "core", "inquiry", "{}", stranger.Signing, time), "core", Keys));
        Assert.Equal(EnvelopeVerdict.UnknownSender, verifier.Verify(Envelope.Create("999999", "core", "inquiry", "{}", stranger.Signing, time), "core", Keys));
        Assert.Equal(EnvelopeVerdict.WrongRecipient, verifier.Verify(Envelope.Create("122173", "131059", "inquiry", "{}", sender.Signing, time), "core", Keys));

        var old = Envelope.Create("122173", "core", "inquiry", "{}", sender.Signing, time);
        time.Now = Start.AddMinutes(3);
        Assert.Equal(EnvelopeVerdict.Stale, verifier.Verify(old, "core", Keys));
        var future = Envelope.Create("122173", "core", "inquiry", "{}", sender.Signing, new ManualTime(Start.AddMinutes(10)));
        Assert.Equal(EnvelopeVerdict.Stale, verifier.Verify(future, "core", Keys));
        Assert.Equal(EnvelopeVerdict.Accepted, verifier.Verify(Envelope.Create("122173", "core", "inquiry", "{}", sender.Signing, time), "core", Keys));
    }

    [Fact]
    public void A_message_whose_inquiry_ids_are_not_all_new_claims_none_of_them()
    {
        using var sender = PartyKeys.Generate();
        var time = new ManualTime(Start);
        var verifier = new EnvelopeVerifier(time, TimeSpan.FromMinutes(2));
        var first = Envelope.Create("122173", "core", "inquiries", "[]", sender.Signing, time);
        Assert.True(verifier.ClaimAll(first, ["a"]));
        // "a" was used: the message is refused, and "b" and "c" stay free for the message that carries them again.
        var second = Envelope.Create("122173", "core", "inquiries", "[]", sender.Signing, time);
        Assert.False(verifier.ClaimAll(second, ["b", "c", "a"]));
        Assert.True(verifier.ClaimAll(Envelope.Create("122173", "core", "inquiries", "[]", sender.Signing, time), ["b", "c"]));
        Assert.False(verifier.ClaimAll(Envelope.Create("122173", "core", "inquiries", "[]", sender.Signing, time), ["c"]));
    }

    [Fact]
    public void A_verifier_made_after_a_restart_refuses_messages_sent_before_it_inside_the_window()
    {
        using var sender = PartyKeys.Generate();
        var time = new ManualTime(Start);
        System.Security.Cryptography.ECDsa? Keys(string party) => party == "122173" ? sender.Signing : null;
        var message = Envelope.Create("122173", "core", "inquiry", "{}", sender.Signing, time);
        Assert.Equal(EnvelopeVerdict.Accepted, new EnvelopeVerifier(time, TimeSpan.FromMinutes(2)).Verify(message, "core", Keys));

        // The service restarts 30 s later: its replay cache is empty, so the captured message must not pass again.
        time.Now = Start.AddSeconds(30);
        var restarted = new EnvelopeVerifier(time, TimeSpan.FromMinutes(2));
        Assert.Equal(EnvelopeVerdict.Stale, restarted.Verify(message, "core", Keys));
        Assert.Equal(EnvelopeVerdict.Accepted, restarted.Verify(Envelope.Create("122173", "core", "inquiry", "{}", sender.Signing, time), "core", Keys));
    }

    [Fact]
    public void A_sealed_payload_opens_only_for_its_recipient_and_its_message()
    {
        using var recipient = PartyKeys.Generate();
        using var other = PartyKeys.Generate();
        var sealedPayload = SealedPayload.Seal("{\"income\":3200000}", recipient.Public, "m1");
        Assert.Equal("{\"income\":3200000}", sealedPayload.Open(recipient.Encryption, "m1"));
        Assert.DoesNotContain("3200000", sealedPayload.Ciphertext + sealedPayload.EphemeralKey);
        Assert.Null(sealedPayload.Open(other.Encryption, "m1"));
        Assert.Null(sealedPayload.Open(recipient.Encryption, "m2"));
        Assert.Null((sealedPayload with { Ciphertext = Convert.ToBase64String(new byte[18]) }).Open(recipient.Encryption, "m1"));
        Assert.Null((sealedPayload with { Tag = "not base64!" }).Open(recipient.Encryption, "m1"));
    }

    [Fact]
    public void Payloads_sealed_under_one_ephemeral_key_each_open_only_under_their_own_message_id()
    {
        using var recipient = PartyKeys.Generate();
        using var other = PartyKeys.Generate();
        SealedPayload a, b;
        using (var sealer = new SealedPayload.Sealer(recipient.Public))
            (a, b) = (sealer.Seal("{\"income\":1}", "m1"), sealer.Seal("{\"income\":1}", "m2"));
        // One key agreement for both, yet neither key, nonce nor ciphertext is shared.
        Assert.Equal(a.EphemeralKey, b.EphemeralKey);
        Assert.NotEqual((a.Nonce, a.Ciphertext), (b.Nonce, b.Ciphertext));
        using var opener = new SealedPayload.Opener(recipient.Encryption);
        Assert.Equal("{\"income\":1}", opener.Open(a, "m1"));
        Assert.Equal("{\"income\":1}", opener.Open(b, "m2"));
        Assert.Null(opener.Open(a, "m2"));
        Assert.Null(opener.Open(b with { Ciphertext = a.Ciphertext, Tag = a.Tag, Nonce = a.Nonce }, "m2"));
        Assert.Null(opener.Open(a with { EphemeralKey = SealedPayload.Seal("x", recipient.Public, "m1").EphemeralKey }, "m1"));
        using var stranger = new SealedPayload.Opener(other.Encryption);
        Assert.Null(stranger.Open(a, "m1"));
        Assert.Null(opener.Open(a with { EphemeralKey = "not base64!" }, "m1"));
    }

    [Fact]
    public void Party_keys_survive_a_restart_through_their_key_file()
    {
        using var folder = new Testing.TempFolder();
        using var first = PartyKeys.LoadOrCreate(folder.File("keys.pem"));
        using var again = PartyKeys.LoadOrCreate(folder.File("keys.pem"));
        Assert.Equal(first.Public, again.Public);
    }
}
