using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Renkei.Hosting;

namespace Renkei.Protocol;

/// <summary>
/// A signed linkage message. The signature (ECDSA P-256, SHA-256, IEEE P1363 form) covers every
/// other field, so sender, recipient, kind, nonce, time and body cannot be changed or moved to
/// another message. <see cref="Body"/> is JSON; where it carries personal information it holds a
/// <see cref="SealedPayload"/> that only the receiving node can open.
/// </summary>
public sealed record Envelope(
    string Sender, string Recipient, string Kind, string MessageId, string Nonce, DateTimeOffset SentAt, string Body, string Signature = "")
{
    /// <summary>Makes and signs a message with a fresh nonce and message id.</summary>
    public static Envelope Create(string sender, string recipient, string kind, string body, ECDsa signingKey, TimeProvider time, string? messageId = null)
    {
        var unsigned = new Envelope(sender, recipient, kind, messageId ?? NewId(), NewId(),
            time.GetUtcNow().ToUniversalTime(), body);
        return unsigned with { Signature = Convert.ToBase64String(signingKey.SignData(unsigned.SignedBytes(), HashAlgorithmName.SHA256)) };
    }

    /// <summary>False when a field is missing, as JSON from outside may leave it. Computed, so not part of the message.</summary>
    [JsonIgnore]
    public bool IsComplete => Sender is not null && Recipient is not null && Kind is not null && MessageId is not null
        && Nonce is not null && Body is not null && Signature is not null;

    public bool HasValidSignature(ECDsa senderKey)
    {
        Span<byte> signature = stackalloc byte[128];
        return Convert.TryFromBase64String(Signature, signature, out var length)
            && senderKey.VerifyData(SignedBytes(), signature[..length], HashAlgorithmName.SHA256);
    }

    /// <summary>The bytes the signature covers: each field length-prefixed, so no two messages share them.</summary>
    public byte[] SignedBytes()
    {
        var fields = new[] { "renkei-envelope-v1", Sender, Recipient, Kind, MessageId, Nonce, SentAt.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture), Body };
        var buffer = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var field in fields)
        {
            var bytes = Encoding.UTF8.GetBytes(field);
            BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
            buffer.Write(length);
            buffer.Write(bytes);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// The body read as the list a relay message of <paramref name="kind"/> carries: null when the kind
    /// differs, the JSON does not read, or the list is empty, too long or holds a null.
    /// </summary>
    public List<T>? BodyAs<T>(string kind) where T : class
    {
        if (Kind != kind) return null;
        try
        {
            var list = JsonSerializer.Deserialize<List<T>>(Body, ServiceDefaults.Json);
            return list is { Count: > 0 and <= RelayKinds.MaxPerMessage } && !list.Contains(null!) ? list : null;
        }
        catch (JsonException) { return null; }
    }

    /// <summary>The message as an HTTP body of known length: it goes out in one write, not in chunks.</summary>
    public HttpContent ToHttpContent()
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(this, ServiceDefaults.Json));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    public static string NewId()
    {
        Span<byte> id = stackalloc byte[16];
        BufferedRandom.Fill(id);
        return Convert.ToHexStringLower(id);
    }

    /// <summary>True for an id as <see cref="NewId"/> makes them: 32 lower-case hexadecimal digits.</summary>
    public static bool IsId(string? id) => id is { Length: 32 } && id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
