using System.Buffers.Text;

namespace Renkei.Protocol;

/// <summary>Base64url decoding that answers false for any malformed input instead of throwing.</summary>
public static class Base64UrlText
{
    /// <summary>Decodes <paramref name="text"/> when it is valid base64url of exactly <paramref name="destination"/>'s length.</summary>
    public static bool TryDecodeExact(string? text, Span<byte> destination)
    {
        if (text is null || !Base64Url.IsValid(text, out var length) || length != destination.Length) return false;
        return Base64Url.TryDecodeFromChars(text, destination, out var written) && written == destination.Length;
    }
}
