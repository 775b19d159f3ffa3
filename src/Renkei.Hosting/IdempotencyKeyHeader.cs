using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Renkei.Hosting;

/// <summary>
/// The <c>Idempotency-Key</c> header, as every service that takes it reads it: 1 to 100 visible ASCII characters, kept with a
/// hash of what it was sent with, so that the same key with another request can be told from the same request sent again.
/// </summary>
public static class IdempotencyKeyHeader
{
    public const string Name = "Idempotency-Key";

    /// <summary>Whether <paramref name="key"/> is a key every service takes: 1 to 100 visible ASCII characters.</summary>
    public static bool IsValid(string key) => key.Length is > 0 and <= 100 && key.All(ch => ch is > ' ' and < '\x7f');

    /// <summary>
    /// The key and the hash of <paramref name="operation"/> (what the key is scoped to: a caller, a path) with
    /// <paramref name="request"/>; neither without the header; a problem for a malformed one.
    /// </summary>
    public static ((string Key, string RequestHash)? Key, ProblemHttpResult? Problem) Read(string? header, string operation, object request)
    {
        if (header is null) return (null, null);
        if (!IsValid(header))
            return (null, Problems.BadRequest("invalid-idempotency-key", "冪等キーが不正です / Invalid Idempotency-Key",
                "Idempotency-Key は空白を含まない1〜100文字のASCII文字です / The Idempotency-Key header is 1 to 100 visible ASCII characters."));
        var what = Encoding.UTF8.GetBytes(operation + "\n" + JsonSerializer.Serialize(request, request.GetType(), ServiceDefaults.Json));
        return ((header, Convert.ToHexStringLower(SHA256.HashData(what))), null);
    }
}
