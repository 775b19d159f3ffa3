using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Renkei.Hosting;
using Renkei.Protocol;

namespace Renkei.Cli.Linkage;

/// <summary>
/// STAND-IN for one Registry endpoint that does not exist yet:
/// <c>POST /api/linkage/code-requests {agencyId, requests:[{individualNumber | basicFour, acquisitionNumber}]}</c>
/// (permission <c>code-requests:{agencyId}</c>). The Registry would resolve each person, derive
/// the person's link key (HMAC-SHA256 under the Registry's link secret of its stable resident
/// id, so a re-issued number keeps it) and post {agencyId, [acquisitionNumber, linkKey]} to the
/// core's POST /api/codes/issue. Until the Registry has it, this class does the same from outside
/// with the Registry's identity API; its link secret lives in the Registry's data folder.
/// </summary>
/// <remarks><paramref name="coreHandler"/> carries the trust in the core's TLS certificate (the network CA).</remarks>
public sealed class RegistryCodeRequestStandIn(Uri registry, string identityToken, Uri core, string registryToken, byte[] linkSecret,
    HttpMessageHandler? coreHandler = null)
{
    private static readonly byte[] Label = "renkei-link-key-v1|"u8.ToArray();

    /// <summary>The Registry's link secret in its data folder, made on first use.</summary>
    public static byte[] LoadOrCreateSecret(string registryFolder)
    {
        var file = Path.Combine(registryFolder, "link.key");
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(registryFolder);
            try { KeyFiles.WriteSecret(file, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) + "\n"); }
            catch (IOException) when (File.Exists(file)) { }
        }
        return Convert.FromHexString(File.ReadAllText(file).Trim());
    }

    public static string LinkKey(byte[] secret, string residentId) =>
        System.Buffers.Text.Base64Url.EncodeToString(HMACSHA256.HashData(secret, (byte[])[.. Label, .. Encoding.UTF8.GetBytes(residentId)]));

    /// <summary>Resolves each number at the Registry and asks the core to issue the agency's codes; returns how many reached the node.</summary>
    public async Task<(int Delivered, int Unknown)> RequestAsync(string agencyId, IReadOnlyList<(string IndividualNumber, string AcquisitionNumber)> people, CancellationToken ct = default)
    {
        using var registryClient = Client(registry, identityToken);
        var items = new List<object>(people.Count);
        var unknown = 0;
        await Parallel.ForEachAsync(people, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (p, token) =>
        {
            using var response = await registryClient.PostAsJsonAsync("api/identity/by-number", new { individualNumber = p.IndividualNumber }, token);
            if (!response.IsSuccessStatusCode) { Interlocked.Increment(ref unknown); return; }
            var info = await response.Content.ReadFromJsonAsync<ResidentRef>(ServiceDefaults.Json, token);
            lock (items) items.Add(new { acquisitionNumber = p.AcquisitionNumber, linkKey = LinkKey(linkSecret, info!.ResidentId) });
        });
        if (items.Count == 0) return (0, unknown);
        using var coreClient = Client(core, registryToken, coreHandler);
        using var issued = await coreClient.PostAsJsonAsync("api/codes/issue", new { agencyId, requests = items }, ct);
        var body = await issued.Content.ReadAsStringAsync(ct);
        if (!issued.IsSuccessStatusCode) throw new HttpRequestException($"core refused the code request: {(int)issued.StatusCode} {body}");
        var receipt = System.Text.Json.JsonSerializer.Deserialize<IssueReceipt>(body, ServiceDefaults.Json)!;
        return (receipt.Delivered, unknown);
    }

    private static HttpClient Client(Uri baseAddress, string token, HttpMessageHandler? handler = null)
    {
        var client = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        client.BaseAddress = baseAddress;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private sealed record ResidentRef(string ResidentId);

    private sealed record IssueReceipt(string AgencyId, int Delivered, int Unmatched);
}
