using System.Net.Http.Json;
using System.Text.Json;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Hosting.Tls;
using Renkei.Protocol;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

/// <summary>Mutual TLS between Core and Node, over real loopback HTTPS with certificates from the run's network CA.</summary>
public class MutualTlsTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    [Theory, StorageData]
    public async Task The_relay_takes_an_agencys_inquiry_only_from_the_node_registered_for_it(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        await MovedFamily.ArrangeAsync(network);
        var bunkyo = network.NodeTenants.Find(B)!;
        var body = JsonSerializer.Serialize(new[] { await network.InquiryAsync() }, ServiceDefaults.Json);
        var genuine = Envelope.Create(B, "core", RelayKinds.Inquiries, body, bunkyo.Keys.Signing, TimeProvider.System);
        Task<HttpResponseMessage> Send(HttpClient client) => client.PostAsJsonAsync("api/relay/inquiries", genuine, ServiceDefaults.Json);

        // No certificate: an operator's or a staff member's connection.
        await ProblemAssert.IsProblemAsync(await Send(network.CoreClient()), 401, "client-certificate-required");
        // A certificate naming the same node, from a CA that is not the network's.
        using var elsewhere = new TempFolder();
        using var otherCa = NetworkCa.LoadOrCreate(elsewhere.Path);
        using var foreign = otherCa.Issue("node", NetworkIdentity.Node(LinkageNetwork.NodeId)!, "Impostor node").Load();
        await ProblemAssert.IsProblemAsync(await Send(network.Presenting(foreign, network.Core)), 401, "client-certificate-untrusted");
        // Good certificates of other parties: the core's own, and a node that does not host Bunkyo.
        // The core's own certificate is no node's: refused before the message is read.
        var wrong = await ProblemAssert.IsProblemAsync(await Send(network.Presenting(network.CoreCertificate, network.Core)), 403, "client-certificate-wrong-party");
        Assert.Contains(NetworkIdentity.Core, wrong.GetProperty("detail").GetString());
        Assert.Contains("このエンドポイントを呼べるのは中間サーバーだけです / ", wrong.GetProperty("detail").GetString());
        // A node, but not the one registered for Bunkyo: refused once the message says who sent it.
        using var otherNode = network.Ca.Issue("node-2", NetworkIdentity.Node("node-2")!, "Renkei node node-2").Load();
        var elsewhereNode = await ProblemAssert.IsProblemAsync(await Send(network.Presenting(otherNode, network.Core)), 403, "client-certificate-wrong-party");
        Assert.Contains("このエンドポイントを呼べるのは送信元の機関に登録された中間サーバーだけです / ", elsewhereNode.GetProperty("detail").GetString());
        Assert.Contains("only the node registered for the sending agency may call this endpoint", elsewhereNode.GetProperty("detail").GetString());

        // None of those consumed the message: the registered node's connection gets it through once.
        var answer = await LinkageNetwork.Ensure(await Send(network.Presenting(network.NodeCertificate, network.Core)));
        Assert.Equal(RelayKinds.InquiryResults, answer.GetProperty("kind").GetString());
        await using (var c = await network.CoreDatabase.OpenAsync())
            Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records"));

        // An agency registered without a node id is refused even from the right node: no value, no access.
        await network.RegisterAgencyAsync(B, "municipality", "文京区", nodeId: null);
        var again = Envelope.Create(B, "core", RelayKinds.Inquiries, body, bunkyo.Keys.Signing, TimeProvider.System);
        await ProblemAssert.IsProblemAsync(await network.SendAsync(network.Core, "api/relay/inquiries", again), 403, "client-certificate-wrong-party");
        // The node's staff see why: the core refused the node's connection.
        var staff = await LinkageNetwork.Ensure(await new MovedFamily { Network = network, IndividualNumber = "" }.AskAsync("bunkyo-child-clerk"));
        Assert.Equal("error", staff.GetProperty("outcome").GetString());
        Assert.Equal("client-certificate-wrong-party", staff.GetProperty("reason").GetString());

        // A node id that could not be in a certificate is refused at registration.
        var keys = (await network.NodeClient().GetFromJsonAsync<PublicKeys>($"api/tenants/{B}/keys", ServiceDefaults.Json))!;
        var bad = await ProblemAssert.IsProblemAsync(await network.CoreClient("operator-token").PutAsJsonAsync($"api/agencies/{B}", new
        {
            kind = "municipality", name = "文京区", localGovernmentCode = B, nodeAddress = network.Node.ToString(), nodeId = "Node 1/../x",
            signingKey = keys.SigningKey, encryptionKey = keys.EncryptionKey,
        }, ServiceDefaults.Json), 400, "invalid-request");
        Assert.True(bad.GetProperty("errors").TryGetProperty("nodeId", out _));

        // A key on another curve than P-256 is refused at registration: sealing to it would fail on every inquiry.
        using var p384 = System.Security.Cryptography.ECDiffieHellman.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384);
        var wrongCurve = await ProblemAssert.IsProblemAsync(await network.CoreClient("operator-token").PutAsJsonAsync($"api/agencies/{B}", new
        {
            kind = "municipality", name = "文京区", localGovernmentCode = B, nodeAddress = network.Node.ToString(), nodeId = LinkageNetwork.NodeId,
            signingKey = keys.SigningKey, encryptionKey = Convert.ToBase64String(p384.PublicKey.ExportSubjectPublicKeyInfo()),
        }, ServiceDefaults.Json), 400, "invalid-request");
        Assert.True(wrongCurve.GetProperty("errors").TryGetProperty("encryptionKey", out _));

        // A message with a field missing is a 400, never a 500, and leaves no record.
        await network.RegisterAgencyAsync(B, "municipality", "文京区");
        var relay = network.Presenting(network.NodeCertificate, network.Core);
        foreach (var missing in new[] { "sender", "nonce", "body" })
        {
            var json = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(again, ServiceDefaults.Json))!.AsObject();
            json.Remove(missing);
            await ProblemAssert.IsProblemAsync(await relay.PostAsync("api/relay/inquiries",
                new StringContent(json.ToJsonString(), System.Text.Encoding.UTF8, "application/json")), 400, "malformed-message");
        }
        await using (var c = await network.CoreDatabase.OpenAsync())
            Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM provision_records"));
    }

    [Theory, StorageData]
    public async Task A_node_takes_provision_requests_and_code_deliveries_only_from_the_core(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        using var elsewhere = new TempFolder();
        using var otherCa = NetworkCa.LoadOrCreate(elsewhere.Path);
        using var foreignCore = otherCa.Issue("core", NetworkIdentity.Core, "Impostor core").Load();
        using var impostor = PartyKeys.Generate();
        foreach (var (path, kind) in new[] { ($"api/tenants/{K}/provisions", RelayKinds.ProvisionRequests), ($"api/tenants/{K}/codes/delivered", "code-delivery") })
        {
            var forged = Envelope.Create("core", K, kind, "{}", impostor.Signing, TimeProvider.System);
            Task<HttpResponseMessage> Send(HttpClient client) => client.PostAsJsonAsync(path, forged, ServiceDefaults.Json);
            await ProblemAssert.IsProblemAsync(await Send(network.NodeClient("kashiwa-addressee")), 401, "client-certificate-required");
            await ProblemAssert.IsProblemAsync(await Send(network.Presenting(foreignCore, network.Node)), 401, "client-certificate-untrusted");
            await ProblemAssert.IsProblemAsync(await Send(network.Presenting(network.NodeCertificate, network.Node)), 403, "client-certificate-wrong-party");
            // The core's connection gets as far as the signature, which this forgery fails.
            await ProblemAssert.IsProblemAsync(await Send(network.Presenting(network.CoreCertificate, network.Node)), 401, "bad-signature");
        }
        // Staff endpoints need no certificate: a token is enough, and a certificate from elsewhere does not get in the way.
        using var staff = network.Presenting(foreignCore, network.Node);
        staff.DefaultRequestHeaders.Authorization = new("Bearer", "kashiwa-addressee");
        await LinkageNetwork.Ensure(await staff.PostAsJsonAsync($"api/tenants/{K}/acquisitions", new { addresseeNumbers = new[] { "K-9" } }));
    }

    [Fact]
    public async Task The_certificate_is_checked_before_the_body_is_read_on_every_endpoint_for_a_party()
    {
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite);
        (Uri Service, string Path, string Party)[] endpoints =
        [
            (network.Core, "api/relay/inquiries", "node"), (network.Core, "api/witness", "node"),
            (network.Node, $"api/tenants/{K}/provisions", "core"), (network.Node, $"api/tenants/{K}/codes/delivered", "core"),
        ];
        foreach (var (service, path, party) in endpoints)
        {
            // Not JSON, and in a charset no one reads: the body would be refused (400, 415) if it were read first.
            foreach (var body in new[] { new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"), new StringContent("{}") })
            {
                if (body.Headers.ContentType!.MediaType == "text/plain") body.Headers.ContentType = new("application/json") { CharSet = "foo" };
                var client = service == network.Core ? network.CoreClient() : network.NodeClient("kashiwa-addressee");
                await ProblemAssert.IsProblemAsync(await client.PostAsync(new Uri(service, path), body), 401, "client-certificate-required");
                // A good certificate of the wrong party is told so, before its body too.
                var other = party == "node" ? network.CoreCertificate : network.NodeCertificate;
                await ProblemAssert.IsProblemAsync(await network.Presenting(other, service).PostAsync(new Uri(service, path),
                    new StringContent("{not json", System.Text.Encoding.UTF8, "application/json")), 403, "client-certificate-wrong-party");
            }
            // The right party's malformed body is then refused for what it is.
            var own = party == "node" ? network.NodeCertificate : network.CoreCertificate;
            await ProblemAssert.IsProblemAsync(await network.Presenting(own, service).PostAsync(new Uri(service, path),
                new StringContent("{not json", System.Text.Encoding.UTF8, "application/json")), 400, "malformed-request");
        }
    }

    [Fact]
    public async Task Core_and_node_serve_only_https_under_the_network_ca_and_check_who_answers()
    {
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite);
        using var plain = new HttpClient();
        foreach (var service in new[] { network.Core, network.Node })
        {
            Assert.Equal("https", service.Scheme);
            // Plain HTTP to the TLS port gets no answer.
            await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync(new UriBuilder(service) { Scheme = "http", Path = "health" }.Uri));
            // A client trusting the system's roots, not the network CA, does not accept the server.
            await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync(new Uri(service, "health")));
            await LinkageNetwork.Ensure(await network.CoreClient().GetAsync(new Uri(service, "health")));
        }
        // A party expecting the core refuses a server that is a node, though its certificate is from the network CA.
        using var expectsCore = new HttpClient(NetworkTls.Handler(network.Ca.Certificate, network.NodeCertificate, id => id == NetworkIdentity.Core));
        await Assert.ThrowsAsync<HttpRequestException>(() => expectsCore.GetAsync(new Uri(network.Node, "health")));
        await LinkageNetwork.Ensure(await expectsCore.GetAsync(new Uri(network.Core, "health")));
        // Each certificate names exactly its party; the CA names none.
        Assert.Equal(NetworkIdentity.Node(LinkageNetwork.NodeId), NetworkIdentity.Of(network.NodeCertificate));
        Assert.Equal(NetworkIdentity.Core, NetworkIdentity.Of(network.CoreCertificate));
        Assert.Null(NetworkIdentity.Of(network.Ca.Certificate));
    }
}
