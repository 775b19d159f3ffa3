using Renkei.Hosting;
using Renkei.Protocol;
using Renkei.Testing;

namespace Renkei.Core.Tests;

public class ProtocolTests
{
    [Fact]
    public async Task An_envelope_with_a_property_it_does_not_have_is_refused_naming_it()
    {
        // Audit O, O8: the signature covers only the envelope's own fields, so one it does not have is refused, not dropped; what
        // a newer party adds goes in the body, a string the receiver reads for what it knows.
        using var folder = new Renkei.Testing.TempFolder();
        await SettingsTests.RunAsync(SettingsTests.StartCore(Renkei.Hosting.Storage.StorageProvider.Sqlite, folder), async core =>
        {
            using var keys = PartyKeys.Generate();
            var envelope = System.Text.Json.JsonSerializer.SerializeToNode(Envelope.Create("131059", "core", RelayKinds.Inquiries, "[]", keys.Signing,
                TimeProvider.System), Renkei.Hosting.ServiceDefaults.Json)!.AsObject();
            envelope["priority"] = "high";
            using var client = new HttpClient { BaseAddress = core.BaseAddress() };
            foreach (var path in new[] { "api/relay/inquiries", "api/witness" })
            {
                var problem = await Renkei.Testing.ProblemAssert.IsProblemAsync(
                    await client.PostAsync(path, new StringContent(envelope.ToJsonString(), System.Text.Encoding.UTF8, "application/json")), 400, "malformed-request");
                Assert.Contains("'priority' is not a field of this request", problem.GetProperty("detail").GetString());
            }
        });
    }

    private static readonly DateTimeOffset Start = new(2026, 11, 23, 1, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_party_key_file_made_by_two_first_starts_at_once_is_one_whole_file_both_read()
    {
        using var folder = new Renkei.Testing.TempFolder();
        for (var round = 0; round < 20; round++)
        {
            var file = folder.File($"tenants/{round}/keys.pem");
            // A start made the key file straight in place: the second of two at once failed on its file, or read half of it.
            var made = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => PartyKeys.LoadOrCreate(file))));
            var kept = Convert.ToHexString(made[0].Signing.ExportSubjectPublicKeyInfo());
            Assert.All(made, keys => Assert.Equal(kept, Convert.ToHexString(keys.Signing.ExportSubjectPublicKeyInfo())));
            using (var again = PartyKeys.LoadOrCreate(file)) Assert.Equal(kept, Convert.ToHexString(again.Signing.ExportSubjectPublicKeyInfo()));
            Assert.Equal([file, file + ".lock"], Directory.GetFiles(Path.GetDirectoryName(file)!).Order()); // no temporary file left beside it
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            foreach (var keys in made) keys.Dispose();
        }
    }

    [Fact]
    public void A_message_on_the_wire_holds_its_fields_and_nothing_computed_from_them()
    {
        using var sender = PartyKeys.Generate();
        var message = Envelope.Create("122173", "core", "inquiry", "{}", sender.Signing, new ManualTime(Start));
        var json = System.Text.Json.JsonSerializer.SerializeToElement(message, Renkei.Hosting.ServiceDefaults.Json);
        Assert.Equal(["sender", "recipient", "kind", "messageId", "nonce", "sentAt", "body", "signature"], json.EnumerateObject().Select(p => p.Name));
        // A message from a node that still writes the computed flag reads as before.
        var older = System.Text.Json.Nodes.JsonNode.Parse(json.GetRawText())!.AsObject();
        older["isComplete"] = true;
        var read = System.Text.Json.JsonSerializer.Deserialize<Envelope>(older.ToJsonString(), Renkei.Hosting.ServiceDefaults.Json)!;
        Assert.True(read.IsComplete && read.HasValidSignature(sender.Signing));
    }

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
        Assert.Equal(EnvelopeVerdict.BadSignature, verifier.Verify(message with { Body = "{\"x\":2}", Nonce = Envelope.NewId() }, "core", Keys));
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
        var verifier = new EnvelopeVerifier(new ManualTime(Start), TimeSpan.FromMinutes(2));
        Assert.True(verifier.ClaimAll(["a"]));
        // "a" was used: the message is refused, and "b" and "c" stay free for the message that carries them again.
        Assert.False(verifier.ClaimAll(["b", "c", "a"]));
        Assert.True(verifier.ClaimAll(["b", "c"]));
        Assert.False(verifier.ClaimAll(["c"]));
        // Given back by a message refused after claiming (its ids found in the records), they are free again.
        verifier.Release(["b", "c"]);
        Assert.True(verifier.ClaimAll(["c"]));
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
    public void A_message_from_a_sender_running_ahead_is_refused_past_a_few_seconds_so_a_restart_leaves_no_more_of_it_replayable()
    {
        // Audit 21e, F4: the window allowed 120 s ahead, and a message stamped after the restart passes the started check, so
        // one from a sender 60 s ahead, accepted at Start, was accepted again by a verifier made at Start + 30 s.
        using var sender = PartyKeys.Generate();
        var time = new ManualTime(Start);
        System.Security.Cryptography.ECDsa? Keys(string party) => party == "122173" ? sender.Signing : null;
        var verifier = new EnvelopeVerifier(time, TimeSpan.FromMinutes(2));
        var ahead = Envelope.Create("122173", "core", "inquiry", "{}", sender.Signing, new ManualTime(Start.AddSeconds(60)));
        Assert.Equal(EnvelopeVerdict.Stale, verifier.Verify(ahead, "core", Keys));
        time.Now = Start.AddSeconds(30);
        Assert.Equal(EnvelopeVerdict.Stale, new EnvelopeVerifier(time, TimeSpan.FromMinutes(2)).Verify(ahead, "core", Keys));

        // Ahead by the skew allowed it passes; a restart more than that after it arrived refuses it again.
        time.Now = Start;
        var justAhead = Envelope.Create("122173", "core", "inquiry", "{}", sender.Signing, new ManualTime(Start + EnvelopeVerifier.FutureSkew));
        Assert.Equal(EnvelopeVerdict.Accepted, verifier.Verify(justAhead, "core", Keys));
        Assert.Equal(EnvelopeVerdict.Stale, verifier.Verify(Envelope.Create("122173", "core", "inquiry", "{}", sender.Signing,
            new ManualTime(Start + EnvelopeVerifier.FutureSkew + TimeSpan.FromMilliseconds(1))), "core", Keys));
        time.Now = Start + EnvelopeVerifier.FutureSkew + TimeSpan.FromMilliseconds(1);
        Assert.Equal(EnvelopeVerdict.Stale, new EnvelopeVerifier(time, TimeSpan.FromMinutes(2)).Verify(justAhead, "core", Keys));
        // A window shorter than the skew bounds it instead.
        time.Now = Start;
        Assert.Equal(EnvelopeVerdict.Stale, new EnvelopeVerifier(time, TimeSpan.FromSeconds(1)).Verify(
            Envelope.Create("122173", "core", "inquiry", "{}", sender.Signing, new ManualTime(Start.AddSeconds(2))), "core", Keys));
    }

    [Fact]
    public void An_inquiry_id_claim_lapses_at_the_window_however_few_messages_came_since()
    {
        // Audit 21e, F5: a claim was dropped only by a prune, which runs once every 1,024 verified messages, so on a quiet
        // service an id stayed refused for hours, and on a busy one was free just after the window.
        var time = new ManualTime(Start);
        var verifier = new EnvelopeVerifier(time, TimeSpan.FromMinutes(2));
        Assert.True(verifier.ClaimAll(["a", "b"]));
        time.Now = Start.AddMinutes(2).AddSeconds(-1);
        Assert.False(verifier.ClaimAll(["a"]));
        time.Now = Start.AddMinutes(2).AddSeconds(1);
        Assert.True(verifier.ClaimAll(["a"]));
        // Claimed anew: it holds for another window from now, and "b", lapsed too, is free with it.
        Assert.False(verifier.ClaimAll(["a"]));
        Assert.True(verifier.ClaimAll(["b"]));
        time.Now = Start.AddMinutes(4);
        Assert.False(verifier.ClaimAll(["c", "a"]));
        Assert.True(verifier.ClaimAll(["c"]));
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
    public void A_provider_seals_to_a_recipient_under_one_ephemeral_key_a_minute_and_the_recipient_opens_them_all()
    {
        using var recipient = PartyKeys.Generate();
        using var other = PartyKeys.Generate();
        var clock = new ManualTime(Start);
        var first = SealedPayload.Sealer.For(recipient.Public.EncryptionKey, clock).Seal("{\"income\":1}", "m1");
        clock.Now += SealedPayload.Sealer.Lifetime - TimeSpan.FromSeconds(1);
        var second = SealedPayload.Sealer.For(recipient.Public.EncryptionKey, clock).Seal("{\"income\":2}", "m2");
        var toOther = SealedPayload.Sealer.For(other.Public.EncryptionKey, clock).Seal("{\"income\":3}", "m3");
        clock.Now += TimeSpan.FromSeconds(1);
        var renewed = SealedPayload.Sealer.For(recipient.Public.EncryptionKey, clock).Seal("{\"income\":4}", "m4");
        clock.Now -= TimeSpan.FromHours(1); // a clock set back does not keep a key past its minute either
        var afterSetBack = SealedPayload.Sealer.For(recipient.Public.EncryptionKey, clock).Seal("{\"income\":5}", "m5");

        Assert.Equal(first.EphemeralKey, second.EphemeralKey);
        Assert.NotEqual(first.EphemeralKey, toOther.EphemeralKey);
        Assert.NotEqual(first.EphemeralKey, renewed.EphemeralKey);
        Assert.NotEqual(renewed.EphemeralKey, afterSetBack.EphemeralKey);
        Assert.Equal("{\"income\":1}", recipient.Opener.Open(first, "m1"));
        Assert.Equal("{\"income\":2}", recipient.Opener.Open(second, "m2"));
        Assert.Equal("{\"income\":4}", recipient.Opener.Open(renewed, "m4"));
        Assert.Null(recipient.Opener.Open(second, "m1"));
        // The other party's payload, under the same ephemeral key as none of the recipient's, opens only for it.
        Assert.Null(recipient.Opener.Open(toOther, "m3"));
        Assert.Equal("{\"income\":3}", other.Opener.Open(toOther, "m3"));
        // An ephemeral key the recipient has agreed on is no way in for a payload sealed to someone else under it.
        Assert.Null(recipient.Opener.Open(toOther with { EphemeralKey = first.EphemeralKey }, "m3"));
        Assert.Throws<FormatException>(() => SealedPayload.Sealer.For("not base64!", clock));
        // A recipient not sealed to again is not kept past its minute: the next sealer made after it sweeps it away.
        using var once = PartyKeys.Generate();
        using var later = PartyKeys.Generate();
        SealedPayload.Sealer.For(once.Public.EncryptionKey, clock);
        Assert.True(SealedPayload.Sealer.Keeps(once.Public.EncryptionKey));
        clock.Now += SealedPayload.Sealer.Lifetime + SealedPayload.Sealer.Lifetime;
        SealedPayload.Sealer.For(later.Public.EncryptionKey, clock);
        Assert.False(SealedPayload.Sealer.Keeps(once.Public.EncryptionKey));
        Assert.True(SealedPayload.Sealer.Keeps(later.Public.EncryptionKey));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => SealedPayload.Sealer.For(Convert.ToBase64String(new byte[40]), clock));
    }

    [Fact]
    public void A_recipient_keeps_opening_when_more_ephemeral_keys_come_than_it_keeps()
    {
        using var recipient = PartyKeys.Generate();
        var sealed_ = Enumerable.Range(0, 1_100).Select(i => SealedPayload.Seal($"{{\"n\":{i}}}", recipient.Public, $"m{i}")).ToList();
        Assert.Equal(1_100, sealed_.Select(p => p.EphemeralKey).Distinct().Count());
        Parallel.For(0, sealed_.Count, i => Assert.Equal($"{{\"n\":{i}}}", recipient.Opener.Open(sealed_[i], $"m{i}")));
        Assert.Equal("{\"n\":0}", recipient.Opener.Open(sealed_[0], "m0"));
    }

    [Fact]
    public void Message_ids_are_distinct_across_threads_and_past_each_refill_of_the_random_buffer()
    {
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4, _ => { for (var i = 0; i < 2_000; i++) ids.Add(Envelope.NewId()); }); // 2,000 ids are 32 KiB: eight refills a thread
        Assert.Equal(8_000, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(Envelope.IsId(id), id));
        // Every hex digit turns up in every position: the ids are not a counter or a stuck buffer.
        for (var position = 0; position < 32; position++)
            Assert.Equal(16, ids.Select(id => id[position]).Distinct().Count());
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
