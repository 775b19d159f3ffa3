using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Ocsp;
using Renkei.Cli.Network;
using Renkei.Hosting;
using Renkei.Pki.Cards;
using Renkei.Pki.Verifiers;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Renkei.Cli.Bench;

/// <summary>
/// <c>renkei bench pki</c>: certificate issuance/s (Registry check and two certificates per card),
/// OCSP responses/s and authentication verifications/s over real HTTP on loopback, against a
/// sandbox network started in this process. The last line is JSON.
/// </summary>
public static class PkiBench
{
    public static Command Create()
    {
        var cards = new Option<int>("--cards") { Description = "発行するカード数 / cards to issue", DefaultValueFactory = _ => 200 }.Between(1, 1_000_000);
        var seconds = new Option<int>("--seconds") { Description = "各測定の秒数 / seconds per measurement", DefaultValueFactory = _ => 5 }.Between(1, 3600);
        var concurrency = new Option<int>("--concurrency") { Description = "同時リクエスト数 / requests in flight", DefaultValueFactory = _ => 32 }.Between(1, 4096);
        var data = new Option<string?>("--data")
        {
            Description = "計測用ネットワークのデータフォルダ（省略時は一時フォルダ）。計測後も残ります。既存のネットワークのフォルダは使えません / "
                + "data folder of the benchmark's own network, kept afterwards (a temporary one by default); not one that holds a network already",
        };
        UpCommand.RefuseFiles(data);
        // The bench registers its residents, cards and a verifier: in a network's folder they stayed in its register for good.
        data.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { Length: > 0 } path && KeptData.Look(path).Existed)
                result.AddError($"{path} にはネットワークがあります。計測はその住民登録に試験用の住民、カード、検証者を追加し、それは消えません。"
                    + "新しいフォルダを指定するか、--data を省いてください / "
                    + $"{path} holds a network: the benchmark would add its test residents, cards and a verifier to that register for good; "
                    + "give a new folder, or leave out --data");
        });
        var command = new Command("pki", "公的個人認証の性能 / OCSP responses/s, authentication verifications/s, certificate issuance/s")
            { cards, seconds, concurrency, data };
        command.SetAction(async (parse, ct) =>
        {
            var temporary = parse.GetValue(data) is null;
            var folder = parse.GetValue(data) ?? Path.Combine(Path.GetTempPath(), "renkei-bench-pki-" + Guid.NewGuid().ToString("N")[..8]);
            // Registered before the folder is made: ended by the runtime, the finally below never ran and left the network's
            // CA keys, tokens and databases in TMPDIR.
            using var interrupt = new Interruption(ct);
            try
            {
                return await RunAsync(folder, parse.GetValue(cards), parse.GetValue(seconds), parse.GetValue(concurrency), interrupt.Token);
            }
            catch (Exception) when (interrupt.Requested)
            {
                Console.Error.WriteLine(temporary
                    ? "中断しました。計測用のネットワークは削除します / interrupted: the benchmark's network is removed"
                    : "中断しました。計測用のネットワークは止めました / interrupted: the benchmark's network is stopped");
                return Interruption.ExitCode;
            }
            finally
            {
                if (temporary) try { Directory.Delete(folder, true); } catch (IOException) { }
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(string folder, int cardCount, int seconds, int concurrency, CancellationToken ct)
    {
        await using var network = await SandboxNetwork.StartAsync(folder);
        ct.ThrowIfCancellationRequested();
        // Trusts the network CA for the Registry's and the PKI API's HTTPS; OCSP is asked on the PKI's plain-HTTP port.
        var handler = Linkage.LinkageSandbox.TrustingHandler(network.Linkage!.NetworkCaPem);
        handler.MaxConnectionsPerServer = concurrency;
        handler.PooledConnectionLifetime = TimeSpan.FromMinutes(10);
        using var clerk = Client(handler, network.RegistryUrl, SandboxCallers.TokenOf(folder, "clerk-121002"));
        using var admin = Client(handler, network.PkiUrl, SandboxCallers.TokenOf(folder, "admin"));

        Console.Out.WriteLine($"住民を登録中 / registering {cardCount} residents …");
        var numbers = new string[cardCount];
        await Parallel.ForAsync(0, cardCount, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (i, ct) =>
        {
            var response = await clerk.PostAsJsonAsync("api/municipalities/121002/events", new
            {
                kind = "move-in", from = "abroad", address = $"千葉県千葉市中央区中央{i + 1}-1-1",
                person = new { familyName = "性能", givenName = $"試験{i}", familyNameKana = "セイノウ", givenNameKana = "シケン", dateOfBirth = "1980-05-05", sex = "female" },
            }, ServiceDefaults.Json, ct);
            response.EnsureSuccessStatusCode();
            numbers[i] = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("individualNumber").GetString()!;
        });

        // Each card its own keys, as the PKI certifies a key on one card only; made before the clock starts: issuance is what is measured.
        Console.Out.WriteLine($"カードの鍵を生成中 / making {cardCount} cards' keys …");
        var keys = new IndividualNumberCard.Keys[cardCount];
        using var held = new KeysHeld(keys); // however the run ends: a failed request or Ctrl+C left every card's keys undisposed
        Parallel.For(0, cardCount, new ParallelOptions { CancellationToken = ct }, i => keys[i] = IndividualNumberCard.Keys.Create());
        var requests = keys.Select(k => (Signing: k.SigningRequestPem, Authentication: k.AuthenticationRequestPem)).ToArray();
        // Only the authentication keys sign anything later (the challenges below).
        foreach (var k in keys) k.Signing.Dispose();
        var issued = new CardIssued[cardCount];
        var watch = Stopwatch.StartNew();
        await Parallel.ForAsync(0, cardCount, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (i, ct) =>
        {
            var response = await admin.PostAsJsonAsync("api/cards", new IssueCardRequest(numbers[i], requests[i].Signing, requests[i].Authentication), ServiceDefaults.Json, ct);
            response.EnsureSuccessStatusCode();
            issued[i] = (await response.Content.ReadFromJsonAsync<CardIssued>(ServiceDefaults.Json, ct))!;
        });
        var issuance = cardCount / watch.Elapsed.TotalSeconds;
        Console.Out.WriteLine($"証明書発行 / certificate issuance: {issuance:F0} cards/s ({cardCount} cards, 2 certificates each)");

        // OCSP: one request per signing certificate, pre-encoded (each card has one: the residents above are adults).
        var issuer = new BcCertificate(X509Certificate2.CreateFromPem(issued[0].SigningChain).RawData);
        var ocspBodies = issued.Select(card =>
        {
            var generator = new OcspReqGenerator();
            generator.AddRequest(new CertificateID(CertificateID.DigestSha1, issuer, new BigInteger(X509Certificate2.CreateFromPem(card.SigningCertificate!).SerialNumber, 16)));
            return generator.Generate().GetEncoded();
        }).ToArray();
        using var anonymous = Client(handler, new Uri(network.PkiEntry.Url), null);
        var ocsp = await MeasureAsync("OCSP", seconds, concurrency, ocspBodies, ct, async body =>
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/ocsp-request");
            using var response = await anonymous.PostAsync("ocsp", content, ct);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            return response.IsSuccessStatusCode && bytes.Length > 100;
        });
        Console.Out.WriteLine($"OCSP応答 / OCSP responses: {ocsp:F0}/s");

        // Authentication: challenges signed in advance with the cards' authentication key.
        var registered = await admin.PostAsJsonAsync("api/verifiers", new RegisterVerifierRequest("性能試験", "government"), ServiceDefaults.Json, ct);
        var verifierToken = (await registered.Content.ReadFromJsonAsync<VerifierRegistered>(ServiceDefaults.Json))!.Token;
        using var verifier = Client(handler, network.PkiUrl, verifierToken);
        var authBodies = issued.Select((card, i) =>
        {
            var challenge = RandomNumberGenerator.GetBytes(32);
            var signature = keys[i].Authentication.SignData(challenge, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            return JsonSerializer.SerializeToUtf8Bytes(new AuthenticationRequest(Convert.ToBase64String(challenge), Convert.ToBase64String(signature), card.AuthenticationCertificate), ServiceDefaults.Json);
        }).ToArray();
        held.Dispose();
        var auth = await MeasureAsync("authentication", seconds, concurrency, authBodies, ct, async body =>
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await verifier.PostAsync("api/verify/authentication", content, ct);
            var text = await response.Content.ReadAsStringAsync();
            return response.IsSuccessStatusCode && text.Contains("\"valid\":true", StringComparison.Ordinal);
        });
        Console.Out.WriteLine($"利用者証明の検証 / authentication verifications: {auth:F0}/s");

        Console.Out.WriteLine(JsonSerializer.Serialize(new
        {
            bench = "pki",
            cores = Environment.ProcessorCount,
            concurrency,
            seconds,
            cards = cardCount,
            ocspResponsesPerSecond = Math.Round(ocsp),
            authenticationVerificationsPerSecond = Math.Round(auth),
            certificateIssuancePerSecond = Math.Round(issuance, 1),
        }, ServiceDefaults.Json));
        return 0;
    }

    /// <summary>Requests per second of <paramref name="call"/> over <paramref name="bodies"/>, after a one-second warm-up; every answer must be right.</summary>
    private static async Task<double> MeasureAsync(string name, int seconds, int concurrency, byte[][] bodies, CancellationToken ct, Func<byte[], Task<bool>> call)
    {
        async Task<long> Run(TimeSpan duration, int offset)
        {
            var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
            {
                long done = 0;
                var i = w + offset;
                while (Stopwatch.GetTimestamp() < until)
                {
                    ct.ThrowIfCancellationRequested();
                    if (!await call(bodies[i++ % bodies.Length])) throw new InvalidOperationException($"{name}: a wrong answer");
                    done++;
                }
                return done;
            })).ToArray();
            return (await Task.WhenAll(workers)).Sum();
        }
        await Run(TimeSpan.FromSeconds(1), 0);
        var watch = Stopwatch.StartNew();
        var count = await Run(TimeSpan.FromSeconds(seconds), 7);
        return count / watch.Elapsed.TotalSeconds;
    }

    private static HttpClient Client(SocketsHttpHandler handler, Uri baseAddress, string? token)
    {
        var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = baseAddress };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>Disposes the cards' keys made so far (some may be missing when making them failed); a second dispose does nothing.</summary>
    private sealed class KeysHeld(IndividualNumberCard.Keys?[] keys) : IDisposable
    {
        public void Dispose()
        {
            foreach (var k in keys) k?.Dispose();
        }
    }
}
