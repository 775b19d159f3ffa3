using Renkei.Cli.Network;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>Base ports of data folders: a folder used only through commands keeps its port against the next new folder.</summary>
public class FolderPortTests
{
    [Fact]
    public void Two_new_folders_used_only_by_commands_get_different_base_ports()
    {
        // Audit Y5: a command's own network listens on free ports, never on its folder's base, so probing alone gave both 7100.
        using var claims = new TempFolder();
        using var first = new TempFolder();
        using var second = new TempFolder();
        var taken = FolderPort.FreeBase(first.Path, claims.Path);
        FolderPort.KeepFirst(first.Path, taken, claims.Path);

        Assert.NotEqual(taken, FolderPort.FreeBase(second.Path, claims.Path));
        Assert.Equal(Path.GetFullPath(first.Path), FolderPort.ClaimedByOther(claims.Path, taken, second.Path));
        Assert.Null(FolderPort.ClaimedByOther(claims.Path, taken, first.Path)); // its own claim does not bar the folder itself
    }

    [Fact]
    public void A_claim_lapses_once_its_folder_is_gone_or_keeps_another_port()
    {
        using var claims = new TempFolder();
        using var asking = new TempFolder();
        using (var moved = new TempFolder())
        {
            FolderPort.KeepFirst(moved.Path, 7300, claims.Path);
            Assert.NotNull(FolderPort.ClaimedByOther(claims.Path, 7300, asking.Path));
            FolderPort.Keep(moved.Path, 7310, claims.Path); // renkei up --port 7310 --keep-port
            Assert.Null(FolderPort.ClaimedByOther(claims.Path, 7300, asking.Path));
            Assert.NotNull(FolderPort.ClaimedByOther(claims.Path, 7310, asking.Path));
        }
        Assert.Null(FolderPort.ClaimedByOther(claims.Path, 7310, asking.Path)); // a test's or demo's folder deleted
        // A claims folder that cannot be had (no home) reserves nothing and fails nothing.
        Assert.Null(FolderPort.ClaimedByOther(null, 7310, asking.Path));
    }

    [Fact]
    public void A_folder_that_kept_its_port_before_claims_claims_it_on_its_next_start()
    {
        // Review: KeepFirst did nothing once a port was kept, and Keep nothing when it was unchanged, so no claim was ever written.
        using var claims = new TempFolder();
        using var old = new TempFolder();
        using var moved = new TempFolder();
        using var fresh = new TempFolder();
        var taken = FolderPort.FreeBase(old.Path, claims.Path);
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(old.Path, "network")).FullName, "port"), $"{taken}\n");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(moved.Path, "network")).FullName, "port"), "7300\n");
        Assert.Null(FolderPort.ClaimedByOther(claims.Path, taken, fresh.Path));

        FolderPort.KeepFirst(old.Path, taken + 10, claims.Path); // a command's network, or renkei up, on the folder
        FolderPort.Keep(moved.Path, 7300, claims.Path); // renkei up --port 7300 --keep-port on its own port

        Assert.Equal(Path.GetFullPath(old.Path), FolderPort.ClaimedByOther(claims.Path, taken, fresh.Path));
        Assert.NotEqual(taken, FolderPort.FreeBase(fresh.Path, claims.Path));
        Assert.Equal(Path.GetFullPath(moved.Path), FolderPort.ClaimedByOther(claims.Path, 7300, fresh.Path));
        Assert.Equal(taken, FolderPort.Kept(old.Path)); // the port itself stays
    }

    [Fact]
    public void Another_folders_live_claim_is_kept_and_named_when_up_chooses_its_port()
    {
        using var claims = new TempFolder();
        using var first = new TempFolder();
        using var second = new TempFolder();
        using var asking = new TempFolder();
        FolderPort.KeepFirst(first.Path, 7300, claims.Path);
        Assert.Null(FolderPort.ClaimedNote(second.Path, 7310, claims.Path));
        var note = FolderPort.ClaimedNote(second.Path, 7300, claims.Path); // renkei up --port 7300 on a new folder: warned, not refused
        Assert.NotNull(note);
        Assert.StartsWith("先頭ポート 7300 は別のデータフォルダ", note);
        Assert.Contains(Path.GetFullPath(first.Path), note);

        FolderPort.KeepFirst(second.Path, 7300, claims.Path);

        Assert.Equal(7300, FolderPort.Kept(second.Path));
        Assert.Equal(Path.GetFullPath(first.Path), FolderPort.ClaimedByOther(claims.Path, 7300, asking.Path));
        Assert.Null(FolderPort.ClaimedNote(first.Path, 7300, claims.Path)); // its own claim is nothing to warn about
        // Once the first folder lets the port go, the next start of the second claims it.
        FolderPort.Keep(first.Path, 7320, claims.Path);
        FolderPort.KeepFirst(second.Path, 7300, claims.Path);
        Assert.Equal(Path.GetFullPath(second.Path), FolderPort.ClaimedByOther(claims.Path, 7300, asking.Path));
    }

    [Fact]
    public void A_test_runs_claims_stay_beside_the_tests_and_out_of_the_runners_home()
    {
        using var folder = new TempFolder(); // loads Renkei.Testing, whose module initializer points the local data there
        Assert.StartsWith(Path.Combine(AppContext.BaseDirectory, "local-data"), FolderPort.ClaimsFolder);
    }
}
