using System.Net.Http.Headers;
using System.Net.Http.Json;
using Renkei.Hosting;

namespace Renkei.Cli.Linkage;

/// <summary>
/// An agency's own addressee system (団体内統合宛名システム): the one place in the agency that keeps
/// a person's Individual Number beside the agency's AddresseeNumber. It asks its node for
/// acquisition numbers and sends them with the numbers to the Registry, so the node never sees a number.
/// </summary>
/// <remarks><paramref name="handler"/> carries the trust in the node's TLS certificate (the network CA).</remarks>
public sealed class AddresseeSystem(string agencyId, Uri node, string nodeToken, RegistryCodeRequestStandIn registry, HttpMessageHandler? handler = null)
{
    public sealed record IssueResult(int Requested, int Delivered, int Unknown);

    /// <summary>Obtains the agency's codes for these people (AddresseeNumber, IndividualNumber), in batches.</summary>
    public async Task<IssueResult> IssueCodesAsync(IReadOnlyList<(string AddresseeNumber, string IndividualNumber)> people,
        int batchSize = 10_000, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        using var client = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        client.BaseAddress = node;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", nodeToken);
        int delivered = 0, unknown = 0;
        foreach (var batch in people.Chunk(batchSize))
        {
            using var response = await client.PostAsJsonAsync($"api/tenants/{agencyId}/acquisitions",
                new { addresseeNumbers = batch.Select(p => p.AddresseeNumber).ToList() }, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode) throw new HttpRequestException($"node refused acquisition numbers: {(int)response.StatusCode} {body}");
            var acquisitions = System.Text.Json.JsonSerializer.Deserialize<AcquisitionList>(body, ServiceDefaults.Json)!.Acquisitions
                .ToDictionary(a => a.AddresseeNumber, a => a.AcquisitionNumber);
            var (d, u) = await registry.RequestAsync(agencyId, batch.Select(p => (p.IndividualNumber, acquisitions[p.AddresseeNumber])).ToList(), ct);
            delivered += d;
            unknown += u;
            progress?.Report(delivered + unknown);
        }
        return new IssueResult(people.Count, delivered, unknown);
    }

    private sealed record Acquisition(string AddresseeNumber, string AcquisitionNumber);

    private sealed record AcquisitionList(List<Acquisition> Acquisitions);
}
