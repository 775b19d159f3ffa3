using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Node.Tests.Linkage;

public class PrivacyTests
{
    [Theory, StorageData]
    public async Task No_issued_individual_number_appears_in_node_or_core_storage_logs_or_messages(StorageProvider provider)
    {
        await using var network = await LinkageNetwork.StartAsync(provider);
        var family = await MovedFamily.ArrangeAsync(network);
        var numbers = new List<string> { family.IndividualNumber };
        for (var i = 0; i < 5; i++)
        {
            var (_, n) = await network.BirthAsync(LinkageNetwork.Kashiwa, "秘密", $"太郎{i}", "2001-02-03");
            numbers.Add(n);
            await network.AddresseeSystemOf(LinkageNetwork.Kashiwa).IssueCodesAsync([($"K-P{i}", n)]);
        }
        await family.AnswerAsync("bunkyo-child-clerk");
        await family.AnswerAsync("bunkyo-pet-clerk", affair: "pet-registration");
        await family.AskAsync("bunkyo-vaccination-clerk");
        // A batch inquiry: its stored items and results are scanned with the rest of the tenant's tables.
        var batch = new BatchPeople { Network = network, IndividualNumbers = numbers };
        var batchId = await batch.SubmittedAsync(["B-0001", "B-0404"]);
        await batch.DoneAsync(batchId);
        // Both ways of witnessing, so that the heads each side keeps are scanned too.
        var witness = network.NodeServices.GetRequiredService<global::Renkei.Node.Linkage.TreeHeadWitness>();
        foreach (var agency in network.TenantDatabases.Keys)
        {
            var tenant = network.NodeTenants.Find(agency)!;
            await witness.WitnessAsync(tenant);
            Assert.NotNull(await witness.KeepCoreHeadAsync(tenant));
        }

        var scanned = new List<(string Where, string Text)>
        {
            ("core database", await LinkageNetwork.DumpAsync(network.CoreDatabase)),
            ("logs", string.Join("\n", network.Logs.Lines)),
            ("messages", string.Join("\n", network.Messages)),
        };
        foreach (var (agency, database) in network.TenantDatabases) scanned.Add(($"tenant {agency}", await LinkageNetwork.DumpAsync(database)));
        foreach (var file in Directory.EnumerateFiles(Path.Combine(network.DataFolder, "node"), "*", SearchOption.AllDirectories))
            scanned.Add((Path.GetFileName(file), Convert.ToHexString(await File.ReadAllBytesAsync(file)) + await File.ReadAllTextAsync(file)));

        Assert.Contains(scanned, s => s.Where == "messages" && s.Text.Length > 1000); // the scan did see traffic
        Assert.Contains(scanned, s => s.Where == "tenant 131059" && s.Text.Contains("B-0001")); // and tenant data
        Assert.Contains(scanned, s => s.Where == "tenant 131059" && s.Text.Contains("inquiry_batch_items: " + batchId)); // batch storage too
        foreach (var number in numbers)
            foreach (var (where, text) in scanned)
                Assert.False(text.Contains(number), $"an Individual Number appears in {where}");
    }
}
