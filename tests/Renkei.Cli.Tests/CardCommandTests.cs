using Renkei.Testing;

namespace Renkei.Cli.Tests;

public class CardCommandTests
{
    [Fact]
    public async Task Sign_and_export_refuse_a_place_they_cannot_write_before_touching_the_card()
    {
        using var folder = new TempFolder();
        var document = folder.File("申請書.txt");
        await File.WriteAllTextAsync(document, "申請");
        Directory.CreateDirectory(document + ".p7s"); // a folder where the signature would go
        var card = folder.File("no.card");            // never opened: the output is checked first

        var sign = await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "HANAKO1", document);
        Assert.Equal(1, sign.ExitCode);
        Assert.Contains("申請書.txt.p7s はフォルダです / ", sign.Error);
        Assert.DoesNotContain("   at ", sign.Error);

        var signFolder = await RenkeiCommand.RunAsync("card", "sign", "--card", card, "--signing-password", "HANAKO1", folder.Path);
        Assert.Equal(1, signFolder.ExitCode);
        Assert.Contains("はフォルダです。署名するのはファイルです / ", signFolder.Error);

        var file = folder.File("certs");
        await File.WriteAllTextAsync(file, "");
        var onFile = await RenkeiCommand.RunAsync("card", "export", "--card", card, "--out", file);
        Assert.Equal(1, onFile.ExitCode);
        Assert.Contains("はファイルです / ", onFile.Error);
        var underFile = await RenkeiCommand.RunAsync("card", "export", "--card", card, "--out", Path.Combine(file, "sub"));
        Assert.Equal(1, underFile.ExitCode);
        Assert.Contains("を作れません（", underFile.Error);
        Assert.Contains("/ cannot make the folder", underFile.Error);
        var inTheWay = folder.File("out");
        Directory.CreateDirectory(Path.Combine(inTheWay, "authentication-chain.pem"));
        var blocked = await RenkeiCommand.RunAsync("card", "export", "--card", card, "--out", inTheWay);
        Assert.Equal(1, blocked.ExitCode);
        Assert.Contains("authentication-chain.pem はフォルダです", blocked.Error);
        Assert.Equal(["authentication-chain.pem"], Directory.GetFileSystemEntries(inTheWay).Select(Path.GetFileName)); // none of the four written
        foreach (var result in new[] { onFile, underFile, blocked }) Assert.DoesNotContain("   at ", result.Error);

        // With a writable place, the card itself is what is refused.
        var noCard = await RenkeiCommand.RunAsync("card", "export", "--card", card, "--out", folder.File("fresh"));
        Assert.Equal(1, noCard.ExitCode);
        Assert.Contains("カードファイルがありません", noCard.Error);
        Assert.False(Directory.Exists(folder.File("fresh"))); // and the folder it made for the certificates is gone again
    }

    [Fact]
    public async Task A_folder_that_cannot_be_made_is_explained_in_both_languages_alike()
    {
        using var folder = new TempFolder();
        var result = await RenkeiCommand.RunAsync("card", "export", "--card", folder.File("no.card"), "--out", "/proc/certs");
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // The reason was the runtime's English ("Could not find file '/proc/certs'.") after both halves.
        Assert.DoesNotContain("Could not find", line);
        Assert.Equal("フォルダ /proc/certs を作れません（その場所がないか、そこには作れません）/ cannot make the folder /proc/certs: it does not exist, or nothing can be made there", line);
    }

}
