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
    public void A_test_runs_claims_stay_beside_the_tests_and_out_of_the_runners_home()
    {
        using var folder = new TempFolder(); // loads Renkei.Testing, whose module initializer points the local data there
        Assert.StartsWith(Path.Combine(AppContext.BaseDirectory, "local-data"), FolderPort.ClaimsFolder);
    }
}
