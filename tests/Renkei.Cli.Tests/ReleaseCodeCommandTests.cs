using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

public class ReleaseCodeCommandTests
{
    private const string Bunkyo = "131059";

    [Fact]
    public async Task Two_swapped_addressees_are_corrected_by_release_code_and_issue_codes_and_every_refusal_says_why()
    {
        using var data = new TempFolder();
        Assert.Equal(0, (await RenkeiCommand.RunAsync("registry", "seed", "--data", data.Path, "--municipalities", "1", "--residents", "2", "--seed", "17")).ExitCode);
        var export = (await RenkeiCommand.RunAsync("registry", "export", "--data", data.Path)).Lines;
        var column = Array.IndexOf(export[0].Split(','), "individual_number");
        var n = export.Skip(1).Select(l => l.Split(',')[column]).ToList();
        var people = data.File("people.csv");
        await File.WriteAllLinesAsync(people, [$"B-1,{n[0]}", $"B-2,{n[1]}"]);
        Assert.Equal(0, (await RenkeiCommand.RunAsync("node", "issue-codes", "--data", data.Path, "--agency", Bunkyo, "--file", people)).ExitCode);
        var copies = data.File("copies.jsonl");
        await File.WriteAllTextAsync(copies,
            """{"addresseeNumber":"B-1","item":"local-tax","schemaVersion":1,"content":{"fiscalYear":2025,"totalIncome":1,"taxableIncome":0,"municipalTax":0,"prefecturalTax":0}}""" + "\n");
        Assert.Equal(0, (await RenkeiCommand.RunAsync("node", "import-copies", "--data", data.Path, "--agency", Bunkyo, "--file", copies)).ExitCode);

        // The swap corrected in the file: each line names the remedy, nothing changes.
        await File.WriteAllLinesAsync(people, [$"B-1,{n[1]}", $"B-2,{n[0]}"]);
        var swapped = await RenkeiCommand.RunAsync("node", "issue-codes", "--data", data.Path, "--agency", Bunkyo, "--file", people);
        Assert.True(swapped.ExitCode == 1, swapped.Output + swapped.Error);
        var lines = swapped.Error.Split('\n').Where(l => l.Contains("行目 / line")).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Contains("already holds another person's code", l));
        Assert.All(lines, l => Assert.Contains("renkei node release-code", l));

        // Refused before anything is released or a network started: a value that is no addressee number, never repeated.
        var wrong = await RenkeiCommand.RunAsync("node", "release-code", "--data", data.Path, "--agency", Bunkyo, "--addressee", "B-1", "--addressee", n[0]);
        Assert.Equal(1, wrong.ExitCode);
        Assert.StartsWith("2番目の --addressee / --addressee no. 2: 個人番号の形をしています", wrong.Error);
        Assert.DoesNotContain(n[0], wrong.Output + wrong.Error);

        // Not run from a terminal, nothing is released without --yes: one line says so, exit 2.
        var unasked = await RenkeiCommand.RunAsync("node", "release-code", "--data", data.Path, "--agency", Bunkyo, "--addressee", "B-1", "--addressee", "B-2");
        Assert.Equal(2, unasked.ExitCode);
        Assert.Equal(["端末から実行しないときは --yes を付けてください（符号を確認なしで解放します）/ not run from a terminal: add --yes to release the codes without being asked"],
            unasked.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        await using (var c = await Database.Sqlite(Path.Combine(data.Path, "node", "tenants", Bunkyo, "node.db")).OpenAsync())
            Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM copies"));

        var released = await RenkeiCommand.RunAsync("node", "release-code", "--data", data.Path, "--agency", Bunkyo, "--addressee", "B-1", "--addressee", "B-2", "--yes");
        Assert.True(released.ExitCode == 0, released.Output + released.Error);
        Assert.Equal(["B-1: 符号を解放しました。残した副本 / code released; copies kept: local-tax", "B-2: 符号を解放しました。残した副本 / code released; copies kept: なし / none"],
            released.Lines.Where(l => l.StartsWith("B-", StringComparison.Ordinal)));
        var corrected = await RenkeiCommand.RunAsync("node", "issue-codes", "--data", data.Path, "--agency", Bunkyo, "--file", people);
        Assert.True(corrected.ExitCode == 0, corrected.Output + corrected.Error);
        Assert.Contains("codes delivered: 2", corrected.Output);
        // B-1's copy is B-1's own: it stays, under the right code now.
        await using (var c = await Database.Sqlite(Path.Combine(data.Path, "node", "tenants", Bunkyo, "node.db")).OpenAsync())
            Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM copies WHERE addressee_number = 'B-1'"));

        // An addressee holding no code (never known, or released by a run this retries) is left as it is; an agency the node does not host is said.
        var copiesFirst = data.File("copies-first.jsonl");
        await File.WriteAllTextAsync(copiesFirst,
            """{"addresseeNumber":"B-9","item":"local-tax","schemaVersion":1,"content":{"fiscalYear":2025,"totalIncome":1,"taxableIncome":0,"municipalTax":0,"prefecturalTax":0}}""" + "\n");
        Assert.Equal(0, (await RenkeiCommand.RunAsync("node", "import-copies", "--data", data.Path, "--agency", Bunkyo, "--file", copiesFirst)).ExitCode);
        var unknown = await RenkeiCommand.RunAsync("node", "release-code", "--data", data.Path, "--agency", Bunkyo, "--addressee", "B-77", "--addressee", "B-9", "--yes");
        Assert.True(unknown.ExitCode == 0, unknown.Output + unknown.Error);
        Assert.Equal(["B-77: 符号はありません。何も変わりません / holds no code; nothing changes", "B-9: 符号はありません。何も変わりません / holds no code; nothing changes"],
            unknown.Lines.Where(l => l.StartsWith("B-", StringComparison.Ordinal)));
        await using (var c = await Database.Sqlite(Path.Combine(data.Path, "node", "tenants", Bunkyo, "node.db")).OpenAsync())
            Assert.Equal(1L, await c.ScalarAsync<long>("SELECT COUNT(*) FROM copies WHERE addressee_number = 'B-9'"));
        var agency = await RenkeiCommand.RunAsync("node", "release-code", "--data", data.Path, "--agency", "999999", "--addressee", "B-1", "--yes");
        Assert.Equal(1, agency.ExitCode);
        Assert.Contains("no such agency on this node: 999999", agency.Error);
        foreach (var said in new[] { released, unknown, agency }) Assert.DoesNotContain("   at ", said.Error);
    }

    [Fact]
    public async Task Release_code_explains_itself_in_Japanese_first()
    {
        var help = await RenkeiCommand.RunAsync("node", "release-code", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("宛名番号の機関別符号を解放する", help.Output);
        Assert.Contains("The addressee's copies stay", help.Output);
        Assert.DoesNotContain("削除", help.Output);
        Assert.True(help.Output.IndexOf("機関別符号を解放", StringComparison.Ordinal) < help.Output.IndexOf("release an addressee's agency code", StringComparison.Ordinal));
        Assert.Contains("--addressee", help.Output);
        Assert.Contains("--yes", help.Output);
    }
}

public class ReleaseCodeRemoteTests(SeparateServices services) : IClassFixture<SeparateServices>
{
    [Fact]
    public async Task Release_code_works_on_a_node_reached_by_url_and_names_the_variable_of_a_token_the_node_refuses()
    {
        using var inputs = new TempFolder();
        const string Bunkyo = SeparateServices.Bunkyo;
        await File.WriteAllLinesAsync(inputs.File("people.csv"), [$"B-1,{services.Numbers[0]}"]);
        var issued = await SeparateServices.RunAsync(services.AddresseeTokens(Bunkyo), ["node", "issue-codes", "--agency", Bunkyo, "--file", inputs.File("people.csv"), .. services.ByUrl()]);
        Assert.True(issued.ExitCode == 0, issued.Output + issued.Error);

        // A copy loader's token may not release: the refusal names the variable, and the code stays.
        var refused = await SeparateServices.RunAsync(new Dictionary<string, string> { ["RENKEI_NODE_ADDRESSEE_TOKEN"] = services.NodeToken($"{Bunkyo}-copies") },
            "node", "release-code", "--agency", Bunkyo, "--addressee", "B-1", "--yes", "--node", services.Node, "--ca", services.CaFile);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("the token in RENKEI_NODE_ADDRESSEE_TOKEN lacks this permission", refused.Error);
        Assert.Equal(["B-1"], (await services.TenantAsync(Bunkyo)).Coded);

        var released = await SeparateServices.RunAsync(new Dictionary<string, string> { ["RENKEI_NODE_ADDRESSEE_TOKEN"] = services.NodeToken($"{Bunkyo}-addressee") },
            "node", "release-code", "--agency", Bunkyo, "--addressee", "B-1", "--yes", "--node", services.Node, "--ca", services.CaFile);
        Assert.True(released.ExitCode == 0, released.Output + released.Error);
        Assert.Contains("B-1: 符号を解放しました", released.Output);
        Assert.Empty((await services.TenantAsync(Bunkyo)).Coded);
    }
}
