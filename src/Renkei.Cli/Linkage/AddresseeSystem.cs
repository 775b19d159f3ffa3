using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;

namespace Renkei.Cli.Linkage;

/// <summary>
/// An agency's own addressee system (団体内統合宛名システム): the one place in the agency that keeps
/// a person's Individual Number beside the agency's AddresseeNumber. Code issuance follows 番号法
/// art. 21-2: it asks its node for acquisition numbers, sends them with the numbers to the Registry,
/// which answers a link key per person sealed for the core (bound to this agency and acquisition
/// number, unreadable here), and hands those to the core, which delivers the codes to the node.
/// The node never sees a number; the Registry and the addressee system never see a code.
/// </summary>
/// <remarks><paramref name="handler"/> carries the trust in the node's and the core's TLS certificates (the network CA).</remarks>
public sealed class AddresseeSystem(string agencyId, Uri node, string nodeToken, Uri registry, string registryToken, Uri core, string coreToken,
    HttpMessageHandler? handler = null)
{
    /// <summary>The Registry answers at most this many people per request.</summary>
    public const int BatchSize = 10_000;

    public sealed record IssueResult(int Requested, int Delivered, int Unknown);

    /// <summary>Obtains the agency's codes for these people (AddresseeNumber, IndividualNumber), in batches.</summary>
    public async Task<IssueResult> IssueCodesAsync(IReadOnlyList<(string AddresseeNumber, string IndividualNumber)> people,
        int batchSize = BatchSize, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        using var nodeClient = Client(node, nodeToken, handler);
        using var registryClient = Client(registry, registryToken, null);
        using var coreClient = Client(core, coreToken, handler);
        int delivered = 0, unknown = 0;
        foreach (var batch in people.Chunk(Math.Clamp(batchSize, 1, BatchSize)))
        {
            var acquisitions = (await SendAsync<AcquisitionList>(nodeClient, $"api/tenants/{agencyId}/acquisitions",
                new { addresseeNumbers = batch.Select(p => p.AddresseeNumber).ToList() }, "node", ct)).Acquisitions
                .ToDictionary(a => a.AddresseeNumber, a => a.AcquisitionNumber);
            var sealedKeys = await SendAsync<LinkKeyResponse>(registryClient, "api/link-keys", new
            {
                agency = agencyId,
                items = batch.Select(p => new { acquisitionNumber = acquisitions[p.AddresseeNumber], individualNumber = p.IndividualNumber }).ToList(),
            }, "registry", ct);
            // A number the Registry does not know (or one superseded after a re-issue) gets no link key.
            var known = sealedKeys.Results.Where(r => r.SealedLinkKey is not null).ToList();
            unknown += sealedKeys.Results.Count - known.Count;
            if (known.Count > 0)
            {
                var receipt = await SendAsync<IssueReceipt>(coreClient, "api/codes/issue", new
                {
                    agencyId,
                    requests = known.Select(r => new { acquisitionNumber = r.AcquisitionNumber, sealedLinkKey = r.SealedLinkKey }).ToList(),
                }, "core", ct);
                delivered += receipt.Delivered;
            }
            progress?.Report(delivered + unknown);
        }
        return new IssueResult(people.Count, delivered, unknown);
    }

    private static async Task<T> SendAsync<T>(HttpClient client, string path, object body, string service, CancellationToken ct)
    {
        using var response = await client.PostAsJsonAsync(path, body, ServiceDefaults.Json, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{service} refused {path}: {(int)response.StatusCode} {text}");
        return JsonSerializer.Deserialize<T>(text, ServiceDefaults.Json)!;
    }

    private static HttpClient Client(Uri baseAddress, string token, HttpMessageHandler? handler)
    {
        var client = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        client.BaseAddress = baseAddress;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private sealed record Acquisition(string AddresseeNumber, string AcquisitionNumber);

    private sealed record AcquisitionList(List<Acquisition> Acquisitions);

    private sealed record LinkKeyResult(string AcquisitionNumber, string? SealedLinkKey, string? ProblemType);

    private sealed record LinkKeyResponse(List<LinkKeyResult> Results);

    private sealed record IssueReceipt(string AgencyId, int Delivered, int Unmatched);
}
