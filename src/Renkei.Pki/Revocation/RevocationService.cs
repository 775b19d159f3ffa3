using System.Collections.Concurrent;
using System.Data.Common;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Ocsp;
using Org.BouncyCastle.Security;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Certificates;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Renkei.Pki.Revocation;

/// <summary>
/// An encoded OCSP response; for a pre-produced one (the same bytes for everyone asking so) also when it was produced and until
/// when the responder serves it, which HTTP caches may follow (RFC 5019 §6). Null for fresh, nonce or error responses.
/// </summary>
public sealed record OcspAnswer(byte[] Response, DateTimeOffset? ProducedAt = null, DateTimeOffset? NextUpdate = null, DateTimeOffset? ServedUntil = null);

/// <summary>A certificate's current status as OCSP and the verifiers report it.</summary>
public sealed record CertificateState(string Status, DateTime? RevokedAt, RevocationReason? Reason, string? ResidentId)
{
    public static readonly CertificateState Unknown = new("unknown", null, null, null);
}

/// <summary>
/// Revocation and its publication: CRLs (rebuilt after a revocation of their kind, cached between) and an
/// OCSP responder (RFC 6960) that serves pre-produced responses per certificate and CertID (a
/// response names the CertID it was asked about, hash algorithm and all, §4.2.1), replaced the
/// moment that certificate is revoked; a request with a nonce gets a fresh response echoing it.
/// A generation counter keeps a response read before a revocation from being cached after it.
/// Revocations committed by other PKI processes on the same database are learnt from the database's
/// revocation counter, read at most every <c>RevocationCheckSeconds</c> before a cached answer is used.
/// </summary>
public sealed class RevocationService
{
    private readonly Database database;
    private readonly CertificationAuthorities authorities;
    private readonly TimeProvider clock;
    private readonly PkiOptions options;
    // Per certificate, the responses pre-produced for each CertID encoding asked (SHA-1, SHA-256…), so a revocation drops them all at once.
    private readonly ConcurrentDictionary<(CertificateKind, string), OcspEntry[]> ocspCache = new();
    private readonly ConcurrentDictionary<string, (CertificateState State, DateTimeOffset Until)> stateCache = new();
    private readonly ConcurrentDictionary<CertificateKind, CrlCacheEntry> crlCache = new();
    private readonly Dictionary<CertificateKind, SemaphoreSlim> crlBuilds = Enum.GetValues<CertificateKind>().ToDictionary(k => k, _ => new SemaphoreSlim(1, 1));
    private RootCrlEntry? rootCrl;
    // A plain request (one CertID, nothing else, DER) is the same bytes for everyone asking: remember which certificate it asks
    // about, to skip parsing. Only for requests whose answer sits in ocspCache, and dropped with it, so that it stays as small.
    private readonly ConcurrentDictionary<string, (CertificateKind Kind, string Serial, byte[] CertId)> requestIndex = new();
    private readonly Dictionary<CertificateKind, Responder> responders;
    private readonly ILogger<RevocationService> logger;
    private readonly Lock gate = new();
    private long generation;

    // What this process knows of the database's revocation counter (RevocationSequence), read under checkGate.
    private readonly SemaphoreSlim checkGate = new(1, 1);
    private long seenSequence = -1;
    private long nextCheckTicks;
    private long publishedCount;
    // Per kind, the highest revocation value seen: a CRL built at a lower one misses a revocation.
    private readonly ConcurrentDictionary<CertificateKind, long> latestRevoked = new();

    /// <summary>For tests: how many CRLs of the issuing CAs were built.</summary>
    internal int CrlsBuilt;

    /// <summary>For tests: how many plain requests are remembered.</summary>
    internal int IndexedRequests => requestIndex.Count;

    private sealed record Responder(BcCertificate Certificate, ISignatureFactory Signer);

    private sealed record OcspEntry(byte[] CertId, byte[] Response, DateTimeOffset Until, DateTimeOffset ProducedAt, string? RequestKey)
    {
        /// <summary>Served until half its validity is left (then produced again).</summary>
        public OcspAnswer Answer(int validitySeconds) => new(Response, ProducedAt, Until, Until.AddSeconds(-validitySeconds / 2.0));
    }

    private sealed record RootCrlEntry(byte[] Der, DateTimeOffset Until);

    /// <summary>A CRL and the revocation value it was read at: it lists every revocation up to that one.</summary>
    private sealed record CrlCacheEntry(byte[] Der, long Sequence, DateTimeOffset Until);

    /// <summary>
    /// The CRL number's factor for the revocation value: the number is value × 10^13 + Unix milliseconds (below 10^13 until
    /// the year 2286), so a CRL that lists more revocations always has the higher number, whichever process built it and
    /// whatever its clock, and one built later from the same revocations has the higher one too.
    /// </summary>
    private static readonly BigInteger CrlNumberFactor = BigInteger.Pow(10, 13);

    /// <summary>How many CertID encodings of one certificate are kept: SHA-1 and SHA-256 with or without NULL parameters, not any number.</summary>
    private const int CertIdsPerCertificate = 4;

    public RevocationService(Database database, CertificationAuthorities authorities, TimeProvider clock, PkiOptions options, ILogger<RevocationService> logger)
    {
        this.database = database;
        this.logger = logger;
        this.authorities = authorities;
        this.clock = clock;
        this.options = options;
        responders = Enum.GetValues<CertificateKind>().ToDictionary(k => k, k =>
        {
            var ca = authorities.For(k);
            return new Responder(new BcCertificate(ca.Certificate.RawData), new NativeRsaSignatureFactory(ca.Key));
        });
    }

    /// <summary>
    /// Drops what was cached about revoked certificates; call after the revocation committed. The next request reads the
    /// revocation counter at once, which tells the CRL of which kind is out of date.
    /// </summary>
    public void Published(IReadOnlyCollection<string> serials)
    {
        if (serials.Count == 0) return;
        Drop(serials);
        lock (gate)
        {
            publishedCount++;
            Interlocked.Exchange(ref nextCheckTicks, 0);
        }
    }

    private void Drop(IEnumerable<string> serials)
    {
        lock (gate)
        {
            generation++;
            foreach (var serial in serials)
            {
                stateCache.TryRemove(serial, out _);
                foreach (var kind in Enum.GetValues<CertificateKind>())
                    if (ocspCache.TryRemove((kind, serial), out var entries))
                        foreach (var entry in entries) Unindex(entry);
            }
        }
    }

    /// <summary>
    /// At the counter's first successful read: what was cached before it (after a first read that failed, or a nonce's fresh
    /// state) may predate any revocation up to <paramref name="sequence"/>, which no later read reports (audit O, O4).
    /// </summary>
    private void Forget(long sequence)
    {
        lock (gate)
        {
            generation++;
            stateCache.Clear();
            ocspCache.Clear();
            requestIndex.Clear();
            // A CRL read below this value, kept now or by a build still running, lists too little.
            foreach (var kind in Enum.GetValues<CertificateKind>()) latestRevoked.AddOrUpdate(kind, sequence, (_, v) => Math.Max(v, sequence));
        }
    }

    private void Unindex(OcspEntry entry)
    {
        if (entry.RequestKey is not null) requestIndex.TryRemove(entry.RequestKey, out _);
    }

    /// <summary>
    /// Learns of revocations other processes on the same database committed: at most every <c>RevocationCheckSeconds</c> (and at
    /// once after a revocation here, or when the clock went back), one indexed read of the certificates revoked past the counter's
    /// last value seen, whose cached answers are then dropped. A failed read is logged and tried again after the interval; the
    /// first that succeeds drops everything cached before it.
    /// </summary>
    private async Task CatchUpAsync()
    {
        if (!CheckDue(clock.GetUtcNow())) return;
        await checkGate.WaitAsync();
        try
        {
            var startedAt = clock.GetUtcNow();
            if (!CheckDue(startedAt)) return; // another request read it while this one waited
            long published;
            lock (gate) published = publishedCount;
            try
            {
                await using var c = await database.OpenAsync();
                if (seenSequence < 0)
                {
                    seenSequence = await RevocationSequence.CurrentAsync(c);
                    Forget(seenSequence);
                }
                else if (await RevocationSequence.SinceAsync(c, seenSequence) is { Count: > 0 } revoked)
                {
                    Drop(revoked.Select(r => r.Serial));
                    foreach (var r in revoked) latestRevoked.AddOrUpdate(r.Kind, r.Sequence, (_, v) => Math.Max(v, r.Sequence));
                    seenSequence = revoked[^1].Sequence;
                }
            }
            catch (Exception e) when (e is DbException or TimeoutException or InvalidOperationException)
            {
                logger.LogWarning(e, "Could not read the revocation counter; revocations by other PKI processes are seen once it can be read again");
                published = -1; // try again after the interval, not on every request
            }
            lock (gate)
                Interlocked.Exchange(ref nextCheckTicks, published == publishedCount || published < 0
                    ? startedAt.AddSeconds(options.RevocationCheckSeconds).UtcTicks : 0);
        }
        finally
        {
            checkGate.Release();
        }
    }

    private bool CheckDue(DateTimeOffset now)
    {
        var next = Interlocked.Read(ref nextCheckTicks);
        return now.UtcTicks >= next || now.UtcTicks < next - TimeSpan.TicksPerSecond * (long)options.RevocationCheckSeconds;
    }

    /// <summary>
    /// The current status of a certificate we issued: cached until a revocation, or read from the database when
    /// <paramref name="fresh"/> (for a nonce, whose asker wants the status as of now, revocations by other processes included).
    /// </summary>
    public async Task<CertificateState> StateAsync(string serial, CertificateKind kind, bool fresh = false)
    {
        if (!fresh) await CatchUpAsync();
        var now = clock.GetUtcNow();
        if (!fresh && stateCache.TryGetValue(serial, out var cached) && cached.Until > now) return cached.State;
        var seen = Volatile.Read(ref generation);
        CertificateState state;
        await using (var c = await database.OpenAsync())
        {
            var record = await CertificateStore.FindAsync(c, serial);
            state = record is null || record.Kind != kind ? CertificateState.Unknown
                : new CertificateState(record.RevokedAt is null ? "good" : "revoked", record.RevokedAt, record.Reason, record.ResidentId);
        }
        // Only certificates we issued are cached: anyone may ask about random serials.
        if (state != CertificateState.Unknown)
            lock (gate)
                if (seen == generation) stateCache[serial] = (state, now.AddSeconds(options.OcspValiditySeconds));
        return state;
    }

    public static X509RevocationReason CrlReason(RevocationReason reason) => reason switch
    {
        RevocationReason.ItemsChanged => X509RevocationReason.AffiliationChanged,
        RevocationReason.HolderGone => X509RevocationReason.CessationOfOperation,
        RevocationReason.Superseded => X509RevocationReason.Superseded,
        _ => X509RevocationReason.KeyCompromise,
    };

    /// <summary>
    /// The current CRL of one CA, DER: cached until a revocation of its kind (here or by another process) or half its validity,
    /// and built by one request at a time, the others waiting for it rather than each reading every revoked certificate.
    /// </summary>
    public async Task<byte[]> CrlAsync(CertificateKind kind)
    {
        await CatchUpAsync();
        if (CachedCrl(kind) is { } cached) return cached;
        var build = crlBuilds[kind];
        await build.WaitAsync();
        try
        {
            if (CachedCrl(kind) is { } built) return built; // built while this one waited
            var now = clock.GetUtcNow();
            long sequence;
            List<RevokedEntry> revoked;
            await using (var c = await database.OpenAsync())
                (sequence, revoked) = await RevocationSequence.CrlAsync(c, kind, now.UtcDateTime);
            var builder = new CertificateRevocationListBuilder();
            foreach (var r in revoked)
                builder.AddEntry(Convert.FromHexString(r.Serial), r.RevokedAt, CrlReason(r.Reason));
            var ca = authorities.For(kind);
            // The number is taken from what was read (its revocation value) and after the read (the time).
            var number = sequence * CrlNumberFactor + clock.GetUtcNow().ToUnixTimeMilliseconds();
            var der = builder.Build(ca.WithKey, number, now.AddHours(options.CrlValidityHours),
                HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, now.AddSeconds(-1));
            Interlocked.Increment(ref CrlsBuilt);
            crlCache[kind] = new CrlCacheEntry(der, sequence, now.AddHours(options.CrlValidityHours / 2.0));
            return der;
        }
        finally
        {
            build.Release();
        }
    }

    /// <summary>The cached CRL while it lists every revocation of its kind seen so far and more than half its validity remains.</summary>
    private byte[]? CachedCrl(CertificateKind kind) =>
        crlCache.TryGetValue(kind, out var cached) && cached.Until > clock.GetUtcNow() && cached.Sequence >= latestRevoked.GetValueOrDefault(kind)
            ? cached.Der : null;

    /// <summary>
    /// The root's CRL, DER: the issuing CA certificates it revoked, none (a re-issued CA certificate leaves the old one valid).
    /// Relying parties that check the whole chain (<c>openssl verify -crl_check_all</c>) need it for the issuing CAs.
    /// </summary>
    public byte[] RootCrl()
    {
        var now = clock.GetUtcNow();
        if (rootCrl is { } cached && cached.Until > now) return cached.Der;
        var der = new CertificateRevocationListBuilder().Build(authorities.Root.WithKey, new BigInteger(now.ToUnixTimeMilliseconds()),
            now.AddHours(options.CrlValidityHours), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, now.AddSeconds(-1));
        rootCrl = new RootCrlEntry(der, now.AddHours(options.CrlValidityHours / 2.0));
        return der;
    }

    /// <summary>Answers an encoded OCSP request with an encoded OCSP response (RFC 6960).</summary>
    public async Task<byte[]> RespondAsync(byte[] encodedRequest) => (await AnswerAsync(encodedRequest)).Response;

    /// <summary>Answers an encoded OCSP request (RFC 6960), saying whether and how long the answer may be cached.</summary>
    public async Task<OcspAnswer> AnswerAsync(byte[] encodedRequest)
    {
        await CatchUpAsync();
        var now = clock.GetUtcNow();
        var requestKey = encodedRequest.Length <= 512 ? Convert.ToBase64String(encodedRequest) : null;
        if (requestKey is not null && requestIndex.TryGetValue(requestKey, out var known)
            && Cached(known.Kind, known.Serial, known.CertId, now) is { } hit)
            return hit.Answer(options.OcspValiditySeconds);

        if (encodedRequest.Length == 0) return new(Status(OcspRespStatus.MalformedRequest));
        OcspReq request;
        Req[] items;
        try
        {
            // RFC 6960 asks for DER: one OCSPRequest and nothing after it, which the parser would ignore.
            System.Formats.Asn1.AsnDecoder.ReadEncodedValue(encodedRequest, System.Formats.Asn1.AsnEncodingRules.DER, out _, out _, out var read);
            if (read != encodedRequest.Length) return new(Status(OcspRespStatus.MalformedRequest));
            request = new OcspReq(encodedRequest);
            items = request.GetRequestList();
        }
        // Whatever the parser makes of untrusted bytes (empty, truncated, another structure), the answer is malformedRequest, never a 500.
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new(Status(OcspRespStatus.MalformedRequest));
        }
        if (items.Length == 0) return new(Status(OcspRespStatus.MalformedRequest));

        var ids = new List<(CertificateID Id, CertificateKind Kind, string Serial)>(items.Length);
        foreach (var item in items)
        {
            var id = item.GetCertID();
            var kind = IssuerOf(id);
            if (kind is null) return new(Status(OcspRespStatus.Unauthorized));
            ids.Add((id, kind.Value, Convert.ToHexString(id.SerialNumber.ToByteArrayUnsigned())));
        }
        if (ids.Select(i => i.Kind).Distinct().Count() > 1) return new(Status(OcspRespStatus.Unauthorized));

        // A nonce (RFC 6960 §4.4.1, RFC 8954) asks for a fresh answer that echoes it: signed now, never cached.
        var (nonce, nonceAllowed) = NonceOf(request);
        if (!nonceAllowed) return new(Status(OcspRespStatus.MalformedRequest));
        var certId = ids.Count == 1 ? ids[0].Id.ToAsn1Object().GetDerEncoded() : null;
        if (nonce is null && certId is not null && Cached(ids[0].Kind, ids[0].Serial, certId, now) is { } cached)
            return cached.Answer(options.OcspValiditySeconds);

        var seen = Volatile.Read(ref generation);
        var responder = responders[ids[0].Kind];
        var generator = new BasicOcspRespGenerator(new RespID(responder.Certificate.SubjectDN));
        var nextUpdate = now.AddSeconds(options.OcspValiditySeconds);
        var allIssued = true;
        foreach (var (id, kind, serial) in ids)
        {
            var state = await StateAsync(serial, kind, fresh: nonce is not null);
            allIssued &= state != CertificateState.Unknown;
            CertificateStatus? status = state.Status switch
            {
                "good" => CertificateStatus.Good,
                "revoked" => new RevokedStatus(state.RevokedAt!.Value, (int)CrlReason(state.Reason!.Value)),
                _ => new UnknownStatus(),
            };
            generator.AddResponse(id, status, now.UtcDateTime.AddSeconds(-1), nextUpdate.UtcDateTime, null);
        }
        if (nonce is not null)
        {
            var extensions = new X509ExtensionsGenerator();
            extensions.AddExtension(OcspObjectIdentifiers.PkixOcspNonce, false, nonce);
            generator.SetResponseExtensions(extensions.Generate());
        }
        var basic = generator.Generate(responder.Signer, [responder.Certificate], now.UtcDateTime);
        var response = new OCSPRespGenerator().Generate(OCSPRespGenerator.Successful, basic).GetEncoded();
        // Cached only for certificates we issued, so that requests for random serials cannot fill memory.
        if (certId is not null && nonce is null && allIssued)
        {
            // Only a plain request is remembered: anything else in it (a requestorName, an extension, another encoding) would make
            // as many keys for one answer as an asker likes.
            var plain = requestKey is not null && encodedRequest.AsSpan().SequenceEqual(PlainRequest(ids[0].Id));
            var entry = new OcspEntry(certId, response, nextUpdate, now, plain ? requestKey : null);
            lock (gate)
                if (seen == generation)
                {
                    var key = (ids[0].Kind, ids[0].Serial);
                    var old = ocspCache.TryGetValue(key, out var entries) ? entries : [];
                    var kept = old.Where(e => !e.CertId.AsSpan().SequenceEqual(certId)).TakeLast(CertIdsPerCertificate - 1).ToArray();
                    foreach (var dropped in old.Where(e => !kept.Contains(e))) Unindex(dropped);
                    ocspCache[key] = [.. kept, entry];
                    if (entry.RequestKey is not null) requestIndex[entry.RequestKey] = (ids[0].Kind, ids[0].Serial, certId);
                    // Only what the responder itself keeps may be kept by HTTP caches: not one read across a revocation.
                    return entry.Answer(options.OcspValiditySeconds);
                }
        }
        return new(response);
    }

    /// <summary>The DER of a request for this one CertID and nothing else, as OpenSSL and BouncyCastle send it without a nonce.</summary>
    private static byte[] PlainRequest(CertificateID id)
    {
        var generator = new OcspReqGenerator();
        generator.AddRequest(id);
        return generator.Generate().GetEncoded();
    }

    /// <summary>The pre-produced response for exactly this CertID (DER), while more than half its validity remains.</summary>
    private OcspEntry? Cached(CertificateKind kind, string serial, byte[] certId, DateTimeOffset now)
    {
        if (!ocspCache.TryGetValue((kind, serial), out var entries)) return null;
        foreach (var entry in entries)
            if (entry.CertId.AsSpan().SequenceEqual(certId) && entry.Until > now.AddSeconds(options.OcspValiditySeconds / 2.0))
                return entry;
        return null;
    }

    /// <summary>
    /// The request's nonce extension value (extnValue, echoed byte for byte), or null without one; not allowed when the nonce
    /// is 0 octets or over 32, which RFC 8954 §2.1 says a responder MUST refuse with malformedRequest (it also keeps anyone
    /// from having the CA sign data of their choosing at length).
    /// </summary>
    private static (byte[]? Nonce, bool Allowed) NonceOf(OcspReq request)
    {
        var extension = request.RequestExtensions?.GetExtension(OcspObjectIdentifiers.PkixOcspNonce);
        if (extension is null) return (null, true);
        var value = extension.Value.GetOctets();
        int length;
        try { length = Asn1OctetString.GetInstance(Asn1Object.FromByteArray(value)).GetOctets().Length; }
        // Some clients put the nonce bytes without the inner OCTET STRING; count them as they are.
        catch (Exception e) when (e is IOException or ArgumentException or InvalidCastException) { length = value.Length; }
        return length is >= 1 and <= MaxNonceOctets ? (value, true) : (null, false);
    }

    /// <summary>The longest nonce answered (RFC 8954 §2.1).</summary>
    public const int MaxNonceOctets = 32;

    private CertificateKind? IssuerOf(CertificateID id)
    {
        foreach (var (kind, responder) in responders)
        {
            try { if (id.MatchesIssuer(responder.Certificate)) return kind; }
            catch (OcspException) { }
        }
        return null;
    }

    private static byte[] Status(int status) => new OCSPRespGenerator().Generate(status, null).GetEncoded();
}
