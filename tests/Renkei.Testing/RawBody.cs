using System.Text;

namespace Renkei.Testing;

/// <summary>Request bodies sent exactly as given, for tests of what a service does with them.</summary>
public static class RawBody
{
    /// <summary>A body with this Content-Type as sent, charset and all (the client's own checks would refuse an unknown charset).</summary>
    public static StringContent Json(string body, string contentType = "application/json")
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        return content;
    }
}
