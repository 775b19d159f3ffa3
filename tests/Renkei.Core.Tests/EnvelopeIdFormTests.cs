using System.Security.Cryptography;
using Renkei.Protocol;
using Renkei.Testing;

namespace Renkei.Core.Tests;

/// <summary>Audit S, S2: an envelope's message id and nonce have the form every honest sender draws, or the message is refused before it is read.</summary>
public class EnvelopeIdFormTests
{
    private static readonly DateTimeOffset Start = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_message_whose_id_or_nonce_is_not_of_the_form_senders_draw_is_malformed_even_when_signed()
    {
        using var sender = PartyKeys.Generate();
        var time = new ManualTime(Start);
        var verifier = new EnvelopeVerifier(time, TimeSpan.FromMinutes(2));
        ECDsa? Keys(string party) => party == "122173" ? sender.Signing : null;
        Envelope Signed(string messageId, string nonce)
        {
            var unsigned = new Envelope("122173", "core", RelayKinds.Inquiries, messageId, nonce, Start, "[]");
            return unsigned with { Signature = Convert.ToBase64String(sender.Signing.SignData(unsigned.SignedBytes(), HashAlgorithmName.SHA256)) };
        }

        foreach (var (messageId, nonce) in new[]
        {
            ("山田太郎 1985-04-01 " + new string('X', 3000), Envelope.NewId()), (Envelope.NewId().ToUpperInvariant(), Envelope.NewId()),
            (Envelope.NewId() + "0", Envelope.NewId()), (Envelope.NewId(), ""), (Envelope.NewId(), new string('n', 10_000)), (Envelope.NewId(), Envelope.NewId()[1..]),
        })
            Assert.Equal(EnvelopeVerdict.Malformed, verifier.Verify(Signed(messageId, nonce), "core", Keys));
        Assert.Equal(EnvelopeVerdict.Accepted, verifier.Verify(Signed(Envelope.NewId(), Envelope.NewId()), "core", Keys));
    }
}
