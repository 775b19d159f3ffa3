using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.OpenApi;
using Renkei.Hosting;

namespace Renkei.Protocol.Records;

/// <summary>
/// Paging of a person's provision records, alike at the core and the nodes: <c>limit</c> and <c>after</c> (a log position) from
/// the query, and an RFC 8288 <c>Link: &lt;…&gt;; rel="next"</c> while more follow, so the answer stays a plain JSON array.
/// </summary>
public static class RecordPaging
{
    public const int DefaultLimit = 100, MaxLimit = 1000;

    public const string LimitDescription = "1ページの件数（1〜1000、既定100）/ records per page, 1 to 1000 (default 100)";

    public const string AfterDescription = "この位置（記録の seq）より後の記録から、古い順に / the records after this log position (a record's seq), oldest first; " +
        "take it from the Link header's next page rather than composing it";

    /// <summary>
    /// Reads <paramref name="limit"/> and <paramref name="after"/> as given in the query (text, so that a bad one is named as
    /// the fields of a body are): a problem naming each bad one, or null.
    /// </summary>
    public static ProblemHttpResult? Read(string? limit, string? after, out int pageSize, out long from)
    {
        var errors = new Dictionary<string, string[]>();
        pageSize = DefaultLimit;
        from = 0;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxLimit))
            errors["limit"] = [$"1から{MaxLimit}までの整数です / must be a whole number from 1 to {MaxLimit}"];
        if (after is not null && !long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out from))
            errors["after"] = ["記録の位置（0以上の整数）です / must be a record's log position, a whole number 0 or more"];
        return errors.Count == 0 ? null : Problems.BadRequest("invalid-paging", "ページの指定が不正です / Invalid paging",
            string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}")), new Dictionary<string, object?> { ["errors"] = errors });
    }

    /// <summary>
    /// The records of the page, with a Link to the next page when more follow: the <paramref name="kept"/> query parameters as the
    /// caller gave them, then after and limit. Only those: the link repeats no other input of the caller's. It is the query alone, a
    /// relative reference that resolves against the URL the caller asked (RFC 3986 5.2): a path from the service's root would lead a
    /// caller behind a gateway that routes by path prefix out of the prefix, to whatever answers at the host's root.
    /// </summary>
    public static Ok<List<ProvisionRecord>> Answer(HttpContext context, RecordPage page, int limit, params string[] kept)
    {
        if (page.Next is { } next)
        {
            var query = kept.Where(name => context.Request.Query.ContainsKey(name))
                .Select(name => $"{name}={Uri.EscapeDataString(context.Request.Query[name].ToString())}")
                .Append(string.Create(CultureInfo.InvariantCulture, $"after={next}&limit={limit}"));
            context.Response.Headers.Link = $"<?{string.Join('&', query)}>; rel=\"next\"";
        }
        return TypedResults.Ok(page.Records);
    }

    /// <summary>Says in the OpenAPI document that the listing is paged: the Link header of its answer.</summary>
    public static RouteHandlerBuilder WithRecordPaging(this RouteHandlerBuilder endpoint) =>
        endpoint.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse answer)
                (answer.Headers ??= new Dictionary<string, IOpenApiHeader>())["Link"] = new OpenApiHeader
                {
                    Description = "続きがあるときだけ、次のページ（RFC 8288 rel=\"next\"）。問い合わせたURLに対するクエリだけの相対参照です。最後のページにはありません / only while more records follow: " +
                        "the next page (RFC 8288, rel=\"next\"): the same query with after= and limit=, a relative reference of the query alone to resolve " +
                        "against the URL asked; the last page has none",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                };
            return Task.CompletedTask;
        });
}
