using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting.Storage;
using Renkei.Hosting.Tls;
using Renkei.Node.Tests.Linkage;
using Renkei.Protocol;
using Renkei.Testing;

namespace Renkei.Node.Tests.Tls;

/// <summary>
/// Revoking a network certificate: the CA's list, what the running Core and Node do with it (over real
/// loopback HTTPS), and the list's own unhappy paths.
/// </summary>
public class RevocationTests
{
    private const string K = LinkageNetwork.Kashiwa, B = LinkageNetwork.Bunkyo;

    /// <summary>
    /// The services look at the list's file at most every two seconds; this waits for them, not for a fixed time. The deadline
    /// is far beyond that: each attempt is a new mutual-TLS connection, which a loaded machine can take seconds over.
    /// </summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);

    private static Task<T> EventuallyAsync<T>(Func<Task<T>> attempt, Func<T, bool> done) =>
        Eventually.ResultAsync(attempt, done, "", Patience, TimeSpan.FromMilliseconds(200), lastOnTimeout: true);

    [Fact]
    public async Task A_revoked_node_certificate_is_refused_by_the_running_core_and_its_staff_see_why()
    {
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite);
        var family = await MovedFamily.ArrangeAsync(network);
        Assert.Equal("provided", (await family.AnswerAsync("bunkyo-child-clerk")).GetProperty("outcome").GetString());
        HttpResponseMessage? last = null;
        async Task<HttpResponseMessage> Relay() => await network.SendInquiriesAsync([await network.InquiryAsync()]);
        var before = await File.ReadAllBytesAsync(network.Ca.CrlFile);

        var (revoked, at, already) = network.Ca.Revoke("node", X509RevocationReason.KeyCompromise);
        using (revoked)
        {
            Assert.False(already);
            Assert.Equal(network.NodeCertificate.SerialNumber, revoked.SerialNumber);
        }
        last = await EventuallyAsync(Relay, r => (int)r.StatusCode == 401);
        var problem = await ProblemAssert.IsProblemAsync(last, 401, "client-certificate-revoked");
        Assert.StartsWith("クライアント証明書は失効しています", problem.GetProperty("title").GetString());
        Assert.StartsWith("ネットワークCAがこの証明書を失効させました", problem.GetProperty("detail").GetString());
        Assert.EndsWith(" / The network CA has revoked this certificate; the party needs a new one from it.", problem.GetProperty("detail").GetString());
        var answer = await family.AnswerAsync("bunkyo-child-clerk");
        Assert.Equal(("error", "client-certificate-revoked"), (answer.GetProperty("outcome").GetString(), answer.GetProperty("reason").GetString()));

        // Putting the older list back does not lift the revocation, nor does a list that is not one; both are logged. Each is
        // asserted once the core has looked at the file and said so, not after a while. The node's list says it in a log of its
        // own, so that what the test waits for is the core's.
        network.NodeServices.GetRequiredService<NetworkTls>().Log = new CapturedLogs().CreateLogger("node");
        async Task StillRefusedOnceTheCoreSaysAsync(Func<Task> write, string what, Func<string, bool> said)
        {
            var logged = network.Logs.Lines.Count(said);
            await write();
            await Eventually.HoldsAsync(async () =>
            {
                if (network.Logs.Lines.Count(said) != logged) return true;
                await ProblemAssert.IsProblemAsync(await Relay(), 401, "client-certificate-revoked"); // what it looks at the file on
                return false;
            }, $"the core never logged {what}", Patience, TimeSpan.FromMilliseconds(200));
            await ProblemAssert.IsProblemAsync(await Relay(), 401, "client-certificate-revoked");
        }
        await StillRefusedOnceTheCoreSaysAsync(() => File.WriteAllBytesAsync(network.Ca.CrlFile, before), "the older list",
            l => l.Contains("went back from number"));
        // The older list's line says "could not be read" too, with its reason.
        await StillRefusedOnceTheCoreSaysAsync(() => File.WriteAllTextAsync(network.Ca.CrlFile, "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"),
            "the unreadable list", l => l.Contains("the network CRL could not be read") && !l.Contains("went back"));

        // Another node's good certificate is still taken: the list names certificates, not parties.
        using var second = network.Ca.Issue("node-b", NetworkIdentity.Node(LinkageNetwork.NodeId)!, "Renkei node again").Load();
        Assert.NotEqual(network.NodeCertificate.SerialNumber, second.SerialNumber);
        var fresh = await network.SendInquiriesAsync("[]", certificate: second);
        Assert.NotEqual(401, (int)fresh.StatusCode);
    }

    [Fact]
    public async Task A_revoked_core_certificate_is_refused_by_the_node_as_caller_and_as_server()
    {
        await using var network = await LinkageNetwork.StartAsync(StorageProvider.Sqlite);
        var tls = network.NodeServices.GetRequiredService<NetworkTls>();
        // A client made the way the node makes its own, so that no connection opened before the revocation is reused.
        HttpClient NodeToCore() => new(tls.Handler(id => id == NetworkIdentity.Core)) { BaseAddress = network.Core };
        using (var client = NodeToCore()) Assert.True((await client.GetAsync("health")).IsSuccessStatusCode);
        Task<HttpResponseMessage> Provide() => network.SendProvisionRequestsAsync(K, "[]");
        Assert.NotEqual(401, (int)(await Provide()).StatusCode);

        network.Ca.Revoke("core", X509RevocationReason.Superseded).Certificate.Dispose();
        await ProblemAssert.IsProblemAsync(await EventuallyAsync(Provide, r => (int)r.StatusCode == 401), 401, "client-certificate-revoked");
        using (var client = NodeToCore())
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("health"));
    }

    [Fact]
    public void The_ca_lists_what_it_revokes_issues_a_new_certificate_in_its_place_and_renews_the_list_with_its_entries()
    {
        using var folder = new TempFolder();
        var now = DateTimeOffset.UtcNow;
        using var ca = NetworkCa.LoadOrCreate(folder.Path, new ManualTime(now));
        var empty = ca.ReadCrl();
        Assert.Equal((0, now.ToUnixTimeSeconds()), (empty.Count, empty.ThisUpdate.ToUnixTimeSeconds()));
        Assert.Equal(now + NetworkCa.CrlLifetime, empty.NextUpdate!.Value, TimeSpan.FromSeconds(1));
        var issued = ca.Issue("node", NetworkIdentity.Node("node-1")!, "Renkei node node-1");
        using var first = issued.Load();

        var (revoked, at, already) = ca.Revoke("node", X509RevocationReason.KeyCompromise);
        revoked.Dispose();
        Assert.False(already);
        var list = ca.ReadCrl();
        Assert.True(list.IsRevoked(first));
        Assert.Equal(empty.Number + 1, list.Number);
        // Twice is once: the same entry, the same time, no new list.
        var (_, atAgain, againAlready) = ca.Revoke("node", X509RevocationReason.KeyCompromise);
        Assert.True(againAlready);
        Assert.Equal(at.ToUnixTimeSeconds(), atAgain.ToUnixTimeSeconds());
        Assert.Equal(list.Number, ca.ReadCrl().Number);

        // The next start issues a new certificate in the revoked one's place; the old stays listed.
        using var second = ca.Issue("node", NetworkIdentity.Node("node-1")!, "Renkei node node-1").Load();
        Assert.NotEqual(first.SerialNumber, second.SerialNumber);
        Assert.False(ca.ReadCrl().IsRevoked(second));

        // A start within a day of the list's next update signs it again, keeping its entries; earlier, it leaves it.
        using (var later = NetworkCa.LoadOrCreate(folder.Path, new ManualTime(now.AddDays(3))))
            Assert.Equal(list.Number, later.ReadCrl().Number);
        using (var renewed = NetworkCa.LoadOrCreate(folder.Path, new ManualTime(now.AddDays(6.5))))
        {
            var crl = renewed.ReadCrl();
            Assert.Equal(list.Number + 1, crl.Number);
            Assert.True(crl.IsRevoked(first));
            Assert.Equal(now.AddDays(6.5) + NetworkCa.CrlLifetime, crl.NextUpdate!.Value, TimeSpan.FromSeconds(1));
        }

        // A damaged list stops the start rather than being replaced by an empty one, which would lift the revocation.
        var good = File.ReadAllBytes(Path.Combine(folder.Path, "ca.crl"));
        var damaged = (byte[])good.Clone();
        damaged[good.Length / 2] = (byte)(damaged[good.Length / 2] == (byte)'A' ? 'B' : 'A');
        File.WriteAllBytes(Path.Combine(folder.Path, "ca.crl"), damaged);
        Assert.Contains("deleting it starts an empty list", Assert.Throws<InvalidOperationException>(() => NetworkCa.LoadOrCreate(folder.Path, new ManualTime(now.AddDays(6.6)))).Message);
        Assert.Equal(damaged, File.ReadAllBytes(Path.Combine(folder.Path, "ca.crl")));
        // A new CA (its files lost) starts its own empty list: the old entries name none of its certificates.
        File.Delete(Path.Combine(folder.Path, "ca.pem"));
        using (var replaced = NetworkCa.LoadOrCreate(folder.Path, new ManualTime(now.AddDays(6.6))))
            Assert.Equal(0, replaced.ReadCrl().Count);
    }

    [Fact]
    public void Revoking_names_only_this_cas_certificates_and_a_list_is_read_only_under_its_ca()
    {
        using var folder = new TempFolder();
        using var ca = NetworkCa.LoadOrCreate(Path.Combine(folder.Path, "a"));
        using var other = NetworkCa.LoadOrCreate(Path.Combine(folder.Path, "b"));
        Assert.Contains("no certificate named nothing", Assert.Throws<InvalidOperationException>(() => ca.Revoke("nothing", X509RevocationReason.KeyCompromise)).Message);
        other.Issue("stranger", NetworkIdentity.Core, "Impostor core");
        File.Copy(Path.Combine(other.Folder, "stranger.pem"), Path.Combine(ca.Folder, "stranger.pem"));
        Assert.Contains("not a valid certificate of this CA", Assert.Throws<InvalidOperationException>(() => ca.Revoke("stranger", X509RevocationReason.KeyCompromise)).Message);
        Assert.Equal(0, ca.ReadCrl().Count);

        // The other CA's list (the same name, another key), a list with one byte of its signature changed, a certificate, and nothing at all.
        var crl = File.ReadAllBytes(ca.CrlFile);
        Assert.Contains("signature does not verify", Assert.Throws<InvalidOperationException>(() => NetworkCrl.Read(File.ReadAllBytes(other.CrlFile), ca.Certificate)).Message);
        var der = System.Security.Cryptography.PemEncoding.Find(System.Text.Encoding.ASCII.GetString(crl)) is var pem
            ? Convert.FromBase64String(System.Text.Encoding.ASCII.GetString(crl)[pem.Base64Data]) : [];
        Assert.NotNull(NetworkCrl.Read(der, ca.Certificate));
        der[^3] ^= 0x01;
        Assert.Contains("signature does not verify", Assert.Throws<InvalidOperationException>(() => NetworkCrl.Read(der, ca.Certificate)).Message);
        Assert.Contains("not an X509 CRL", Assert.Throws<InvalidOperationException>(() =>
            NetworkCrl.Read(System.Text.Encoding.ASCII.GetBytes(ca.CertificatePem), ca.Certificate)).Message);
        Assert.Contains("not a CRL", Assert.Throws<InvalidOperationException>(() => NetworkCrl.Read([0x30, 0x03, 0x02, 0x01, 0x01], ca.Certificate)).Message);
    }

    [Fact]
    public void A_service_does_not_start_on_a_revoked_certificate_or_without_the_list_it_was_told_to_read()
    {
        using var folder = new TempFolder();
        using var ca = NetworkCa.LoadOrCreate(folder.Path);
        var core = ca.Issue("core", NetworkIdentity.Core, "Renkei core");
        TlsOptions Options(string crl) => new() { CertificateFile = core.CertificateFile, KeyFile = core.KeyFile, CaFile = ca.CertificateFile, CrlFile = crl };
        Assert.False(NetworkTls.Load(Options(ca.CrlFile)).IsRevoked(ca.Certificate));
        Assert.Contains("Tls:CrlFile", Assert.Throws<InvalidOperationException>(() => NetworkTls.Load(Options(Path.Combine(folder.Path, "none.crl")))).Message);
        ca.Revoke("core", X509RevocationReason.KeyCompromise).Certificate.Dispose();
        Assert.Contains("revocation list", Assert.Throws<InvalidOperationException>(() => NetworkTls.Load(Options(ca.CrlFile))).Message);
    }
}
