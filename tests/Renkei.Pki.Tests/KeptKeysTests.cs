using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

/// <summary>
/// The PKI's CA keys and certificates, its card-recovery key and its pseudonym key are bound to its database: a PKI holding
/// what they signed, wrapped or derived does not start with new ones, nor with others in their place.
/// </summary>
public class KeptKeysTests
{
    private static readonly string[] Kept =
    [
        "authentication-ca.crt", "authentication-ca.key", "card-recovery.key", "pseudonym.key", "root-ca.crt", "root-ca.key", "signing-ca.crt", "signing-ca.key",
    ];

    /// <summary>Another PKI's CAs (small keys: only their being other matters).</summary>
    private static string OtherAuthorities()
    {
        var folder = TempFolder.CreatePath();
        CertificationAuthorities.LoadOrCreate(new PkiOptions { DataFolder = folder, CaKeySize = 1024 }, TimeProvider.System);
        return folder;
    }

    [Fact]
    public async Task Audit_pki_holding_certificates_refuses_to_start_without_its_ca_keys()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var resident = await sandbox.RegisterResidentAsync();
        await sandbox.IssueCardAsync(resident);
        var oldRoot = sandbox.Pki.Services.GetRequiredService<CertificationAuthorities>().Root.Certificate.Thumbprint;
        var deleted = Directory.GetFiles(sandbox.PkiFolder, "*-ca.*");
        foreach (var f in deleted) File.Delete(f);
        InvalidOperationException? refused = null;
        try { await sandbox.StartPkiAsync(); } catch (InvalidOperationException e) { refused = e; }
        var newRoot = refused is null ? sandbox.Pki.Services.GetRequiredService<CertificationAuthorities>().Root.Certificate.Thumbprint : oldRoot;
        Assert.True(refused is not null, $"the PKI started with a new root CA {newRoot} (was {oldRoot}) over a database holding certificates of the old one");
        // Refused for the missing keys, not for whatever else can stop a start.
        Assert.StartsWith("鍵ファイル ", refused.Message);
        var named = refused.Message.Split("がありません")[0];
        Assert.Contains(deleted, f => named.Contains(f, StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(sandbox.PkiFolder, "*-ca.*"));
    }

    [Theory, StorageData]
    public async Task A_pki_holding_certificates_refuses_to_start_without_a_ca_file_naming_it_and_makes_none(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        await sandbox.IssueCardAsync(await sandbox.RegisterResidentAsync());
        foreach (var name in new[] { "root-ca.key", "signing-ca.crt", "card-recovery.key", "pseudonym.key" })
        {
            var file = Path.Combine(sandbox.PkiFolder, name);
            File.Move(file, file + ".backup");
            var before = KeptKeyFiles.Snapshot(sandbox.PkiFolder);
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => sandbox.StartPkiAsync());
            Assert.Contains($"鍵ファイル {file} がありません", refused.Message);
            Assert.Contains("(in certificates)", refused.Message);
            Assert.Equal(before, KeptKeyFiles.Snapshot(sandbox.PkiFolder));
            File.Move(file + ".backup", file);
        }
        await sandbox.StartPkiAsync();
    }

    [Theory, StorageData]
    public async Task A_pki_refuses_another_root_or_an_issuing_ca_certificate_of_another_key_and_writes_nothing(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        await sandbox.IssueCardAsync(await sandbox.RegisterResidentAsync());
        var database = new Database(sandbox.PkiStorage);
        var recorded = await KeptKeyFiles.FingerprintsAsync(database);
        Assert.Equal(Kept, recorded.Keys.Order());
        var other = OtherAuthorities();

        foreach (var (names, named) in new[] { (new[] { "root-ca.key", "root-ca.crt" }, "root-ca.key"), (["signing-ca.crt"], "signing-ca.crt") })
        {
            foreach (var name in names)
            {
                File.Move(Path.Combine(sandbox.PkiFolder, name), Path.Combine(sandbox.PkiFolder, name + ".backup"));
                File.Copy(Path.Combine(other, name), Path.Combine(sandbox.PkiFolder, name));
            }
            var before = KeptKeyFiles.Snapshot(sandbox.PkiFolder);
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => sandbox.StartPkiAsync());
            var file = Path.Combine(sandbox.PkiFolder, named);
            Assert.Contains($"鍵ファイル {file} は、このデータベースが使ってきた {named} の鍵ではありません", refused.Message);
            Assert.Contains("restore the original file from a backup", refused.Message);
            Assert.Equal(before, KeptKeyFiles.Snapshot(sandbox.PkiFolder));
            Assert.Equal(recorded, await KeptKeyFiles.FingerprintsAsync(database));
            foreach (var name in names) File.Move(Path.Combine(sandbox.PkiFolder, name + ".backup"), Path.Combine(sandbox.PkiFolder, name), overwrite: true);
        }
        await sandbox.StartPkiAsync();
    }

    [Theory, StorageData]
    public async Task A_pki_holding_certificates_from_before_fingerprints_records_its_keys_at_start_and_then_refuses_another_root(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        await sandbox.IssueCardAsync(await sandbox.RegisterResidentAsync());
        var database = new Database(sandbox.PkiStorage);
        var recorded = await KeptKeyFiles.FingerprintsAsync(database);
        Assert.Equal(CertificationAuthorities.PrivateKeyFingerprint(Path.Combine(sandbox.PkiFolder, "root-ca.key")), recorded["root-ca.key"]);
        Assert.Equal(recorded["root-ca.key"], recorded["root-ca.crt"]); // a certificate is known by its key's fingerprint
        await KeptKeyFiles.ForgetFingerprintsAsync(database);

        await sandbox.StartPkiAsync();
        Assert.Equal(recorded, await KeptKeyFiles.FingerprintsAsync(database));

        var other = OtherAuthorities();
        foreach (var name in new[] { "root-ca.key", "root-ca.crt" }) File.Copy(Path.Combine(other, name), Path.Combine(sandbox.PkiFolder, name), overwrite: true);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => sandbox.StartPkiAsync());
        Assert.Contains(Path.Combine(sandbox.PkiFolder, "root-ca.key"), refused.Message);
    }
}
