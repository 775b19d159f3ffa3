using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Core.Codes;
using Renkei.Node.Codes;
using Renkei.Registry.Identity;
using Renkei.Registry.Linkage;

namespace Renkei.Cli.Linkage;

/// <summary>
/// An agency's own addressee system (団体内統合宛名システム): the one place in the agency that keeps
/// a person's Individual Number beside the agency's AddresseeNumber. Code issuance follows 番号法
/// art. 21-2: it asks its node for acquisition numbers, sends them with the numbers to the Registry,
/// which answers a link key per person sealed for the core (bound to this agency and acquisition
/// number, unreadable here), and hands those to the core, which delivers the codes to the node.
/// The node never sees a number; the Registry and the addressee system never see a code.
/// </summary>
/// <remarks><paramref name="handler"/> carries the trust in the node's, the core's and the Registry's TLS certificates (the network CA).</remarks>
public sealed class AddresseeSystem(string agencyId, Uri node, string nodeToken, Uri registry, string registryToken, Uri core, string coreToken,
    HttpMessageHandler? handler = null)
{
    /// <summary>The Registry answers at most this many people per request.</summary>
    public const int BatchSize = LinkKeysApi.MaxItems;

    /// <summary>
    /// What came of a request: codes the node stored; people the Registry did not find (or found several of); codes the
    /// node did not store (another of the agency's addressees holds the person's code, or the addressee holds another
    /// person's); and each person without a code
    /// whom the addressee system can name, with why.
    /// </summary>
    public sealed record IssueResult(int Requested, int Delivered, int Unknown, int NotStored, IReadOnlyList<NoCode> WithoutCode);

    /// <summary>A person who got no code: the addressee number and why (never the number or the basic four items).</summary>
    public sealed record NoCode(string AddresseeNumber, string Reason);

    public const string HeldByAnother = "この人の符号は、この機関の別の宛名番号がすでに持っています（同じ人の二重登録か、宛名番号の取り違え）。"
        + "その宛名番号の符号を解放してから取得し直してください（renkei node release-code）/ "
        + "the person's code is already held by another addressee number of this agency (one person entered twice, or addressee numbers mixed up): "
        + "release that addressee number's code, then obtain this one again (renkei node release-code)";

    /// <summary>
    /// A code for an addressee that holds another: stored, one of the two people's would be answered with the addressee's copies.
    /// A release clears only the code: the copies are the addressee's own, and are right once the right code is issued.
    /// </summary>
    public const string HoldsAnother = "この宛名番号はすでに別の人の符号を持っています。この行が正しければ、先にその符号を解放してください（renkei node release-code。副本はそのまま残ります）/ "
        + "the addressee number already holds another person's code: if this line is right, release that code first (renkei node release-code; the addressee's copies stay)";

    /// <summary>Obtains the agency's codes for these people (AddresseeNumber, IndividualNumber), in batches.</summary>
    public Task<IssueResult> IssueCodesAsync(IReadOnlyList<(string AddresseeNumber, string IndividualNumber)> people,
        int batchSize = BatchSize, Action<long>? progress = null, CancellationToken ct = default) =>
        IssueCodesAsync([.. people.Select(p => new Person(p.AddresseeNumber, p.IndividualNumber, null))], batchSize, progress, ct);

    /// <summary>A person to obtain a code for, named by the Individual Number or, without one, by the basic four items.</summary>
    public sealed record Person(string AddresseeNumber, string? IndividualNumber, BasicFourQuery? BasicFour);

    /// <summary>
    /// Obtains the agency's codes for these people, in batches; one the Registry cannot find (or finds several of) counts
    /// as unknown, and one whose code the node would not store as not stored. Each addressee number may appear once.
    /// A batch abandoned after the core was asked (a cancellation, a timeout) tells <paramref name="abandoned"/> how many of
    /// it got their code all the same (null: the node did not say), since the core goes on and delivers them.
    /// </summary>
    public async Task<IssueResult> IssueCodesAsync(IReadOnlyList<Person> people,
        int batchSize = BatchSize, Action<long>? progress = null, CancellationToken ct = default, Action<int?>? abandoned = null)
    {
        using var nodeClient = LinkageSandbox.Client(node, nodeToken, handler);
        using var registryClient = LinkageSandbox.Client(registry, registryToken, handler);
        using var coreClient = LinkageSandbox.Client(core, coreToken, handler);
        // A token the core refuses would otherwise be found after the Registry had been sent the first batch's numbers.
        await ProbeAsync(registryClient, "api/link-keys", new LinkKeyRequest(agencyId, []), "items", ServiceAnswer.Registry, ct);
        await ProbeAsync(coreClient, "api/codes/issue", new CodeRequest(agencyId, []), "requests", ServiceAnswer.Core, ct);
        int delivered = 0, unknown = 0, notStored = 0, done = 0;
        var withoutCode = new List<NoCode>();
        foreach (var batch in people.Chunk(Math.Clamp(batchSize, 1, BatchSize)))
        {
            var acquisitions = (await SendAsync<AcquisitionList>(nodeClient, $"api/tenants/{agencyId}/acquisitions",
                new { addresseeNumbers = batch.Select(p => p.AddresseeNumber).ToList() }, ServiceAnswer.Node, ct)).Acquisitions
                .ToDictionary(a => a.AddresseeNumber, a => a.AcquisitionNumber);
            var addresseeOf = acquisitions.ToDictionary(a => a.Value, a => a.Key);
            var settled = false;
            var coreAsked = false;
            try
            {
                var sealedKeys = await SendAsync<LinkKeyResponse>(registryClient, "api/link-keys",
                    new LinkKeyRequest(agencyId, [.. batch.Select(p => new LinkKeyItem(acquisitions[p.AddresseeNumber], p.IndividualNumber, p.BasicFour))]), ServiceAnswer.Registry, ct);
                // A number the Registry does not know (or one superseded after a re-issue) gets no link key, and the Registry says why.
                var known = sealedKeys.Results.Where(r => r.SealedLinkKey is not null).ToList();
                unknown += sealedKeys.Results.Count - known.Count;
                withoutCode.AddRange(sealedKeys.Results.Where(r => r.SealedLinkKey is null)
                    .Select(r => new NoCode(addresseeOf[r.AcquisitionNumber], r.Problem ?? "該当者がいません / no resident found")));
                var stored = 0;
                var unmatched = 0;
                if (known.Count > 0)
                {
                    coreAsked = true;
                    var receipt = await SendAsync<CodeIssueReceipt>(coreClient, "api/codes/issue",
                        new CodeRequest(agencyId, [.. known.Select(r => new CodeRequestItem(r.AcquisitionNumber, r.SealedLinkKey))]), ServiceAnswer.Core, ct);
                    stored = receipt.Delivered;
                    unmatched = receipt.Unmatched;
                }
                delivered += stored;
                notStored += unmatched;
                // Each code stored took its acquisition number with it at the node; the rest are discarded. Of those the core
                // delivered a code for, the ones still pending are people whose code the node would not store.
                if (stored < batch.Length)
                {
                    var pending = await DiscardAsync(nodeClient, acquisitions.Values);
                    if (unmatched > 0 && pending is not null)
                    {
                        var still = pending.AcquisitionNumbers.ToHashSet();
                        var holding = pending.AddresseeHoldsCode?.ToHashSet() ?? [];
                        withoutCode.AddRange(known.Where(r => still.Contains(r.AcquisitionNumber))
                            .Select(r => new NoCode(addresseeOf[r.AcquisitionNumber], holding.Contains(r.AcquisitionNumber) ? HoldsAnother : HeldByAnother)));
                    }
                }
                settled = true;
            }
            finally
            {
                if (!settled)
                {
                    // Stopping waiting does not stop the core: an acquisition no longer pending at the discard got its code.
                    var pending = await DiscardAsync(nodeClient, acquisitions.Values);
                    if (coreAsked) abandoned?.Invoke(pending is null ? null : acquisitions.Count - pending.Discarded);
                }
            }
            progress?.Invoke(done += batch.Length);
        }
        return new IssueResult(people.Count, delivered, unknown, notStored, withoutCode);
    }

    /// <summary>
    /// An acquisition number serves one request: those of a request that was refused, failed or answered without a
    /// stored code are discarded at once. Should the node not answer, they expire there (and null is returned);
    /// otherwise the node's receipt, naming the ones that were still pending.
    /// </summary>
    private async Task<DiscardReceipt?> DiscardAsync(HttpClient nodeClient, IEnumerable<string> acquisitionNumbers)
    {
        try
        {
            using var response = await nodeClient.PostAsJsonAsync($"api/tenants/{agencyId}/acquisitions/discard",
                new DiscardRequest([.. acquisitionNumbers]), ServiceDefaults.Json, CancellationToken.None);
            if (!response.IsSuccessStatusCode) return null;
            return JsonSerializer.Deserialize<DiscardReceipt>(await AnswerText.ReadAsync(response.Content), ServiceDefaults.Json) is { AcquisitionNumbers: not null } receipt ? receipt : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException) { return null; }
    }

    /// <summary>
    /// Releases an addressee's code at the node, keeping the addressee's copies (the business systems keep them under the
    /// addressee number, for the agency's own person): how a code on the wrong addressee is undone, before the right person's
    /// code is obtained.
    /// </summary>
    public async Task<ReleaseReceipt> ReleaseCodeAsync(string addresseeNumber, CancellationToken ct = default)
    {
        using var nodeClient = LinkageSandbox.Client(node, nodeToken, handler);
        return await ReleaseCodeAsync(nodeClient, agencyId, addresseeNumber, ct);
    }

    /// <summary>
    /// The same with a client of the node that carries the addressee system's token (all the release needs); with
    /// <paramref name="dryRun"/>, what the release would do, nothing changed.
    /// </summary>
    public static Task<ReleaseReceipt> ReleaseCodeAsync(HttpClient nodeClient, string agencyId, string addresseeNumber, CancellationToken ct = default, bool dryRun = false) =>
        SendAsync<ReleaseReceipt>(nodeClient, $"api/tenants/{Uri.EscapeDataString(agencyId)}/addressees/{Uri.EscapeDataString(addresseeNumber)}/release{(dryRun ? "?dryRun=true" : "")}",
            new { }, ServiceAnswer.Node, ct);

    /// <summary>A service (<c>node</c>, <c>registry</c> or <c>core</c>) refused a request, with its status: whose token it was is the caller's to say.</summary>
    public sealed class Refused(string service, string message, System.Net.HttpStatusCode status) : HttpRequestException(message, null, status)
    {
        public string Service { get; } = service;
    }

    /// <summary>
    /// Whether the service takes this system's token for the agency, asked with a request of no people before any number
    /// leaves: the service checks the caller first and then refuses the empty list (400 naming <paramref name="emptyField"/>
    /// alone). A refusal of the token, of the agency or of anything else is thrown as the request itself would throw it; an
    /// answer that takes an empty list is not the service's API.
    /// </summary>
    private static async Task ProbeAsync(HttpClient client, string path, object body, string emptyField, string service, CancellationToken ct)
    {
        using var response = await client.PostAsJsonAsync(path, body, ServiceDefaults.Json, ct);
        var text = await AnswerText.ReadAsync(response.Content, ct);
        if (response.IsSuccessStatusCode) throw ServiceAnswer.NotTheApi(response, service);
        if (response.StatusCode == System.Net.HttpStatusCode.BadRequest && OnlyField(text, emptyField)) return;
        throw new Refused(service, $"{ServiceAnswer.Japanese(service)}が受け付けませんでした / the {service} refused {path}: {(int)response.StatusCode} {ProblemText.Of(text)}", response.StatusCode);
    }

    /// <summary>Whether the problem's errors name this field and no other.</summary>
    private static bool OnlyField(string problem, string field)
    {
        try
        {
            using var json = JsonDocument.Parse(problem);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("errors", out var errors)
                && errors.ValueKind == JsonValueKind.Object && errors.EnumerateObject().Select(e => e.Name).SequenceEqual([field]);
        }
        catch (JsonException) { return false; }
    }

    private static async Task<T> SendAsync<T>(HttpClient client, string path, object body, string service, CancellationToken ct)
    {
        using var response = await client.PostAsJsonAsync(path, body, ServiceDefaults.Json, ct);
        var text = await AnswerText.ReadAsync(response.Content, ct);
        // The problem's title and detail, not its JSON: this message is what the person running the command reads.
        if (!response.IsSuccessStatusCode)
            throw new Refused(service, $"{ServiceAnswer.Japanese(service)}が受け付けませんでした / the {service} refused {path}: {(int)response.StatusCode} {ProblemText.Of(text)}", response.StatusCode);
        return ServiceAnswer.Parse<T>(response, text, service);
    }
}
