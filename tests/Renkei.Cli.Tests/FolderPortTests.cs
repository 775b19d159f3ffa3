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
    public void Two_new_folders_that_pick_before_either_network_runs_get_different_base_ports()
    {
        // Audit 20c §1: the claim was written only once the network had started (seconds on a new folder), so a second new folder
        // picking meanwhile also took 7100, and its CAs named the first folder's PKI. This is the two processes' interleaving.
        using var claims = new TempFolder();
        using var a = new TempFolder();
        using var b = new TempFolder();
        using var asking = new TempFolder();
        var pa = FolderPort.FreeBase(a.Path, claims.Path);
        var pb = FolderPort.FreeBase(b.Path, claims.Path);
        Assert.NotEqual(pa, pb);
        // A reservation holds while its network starts, before the folder keeps the port, and names the folder.
        Assert.Equal(Path.GetFullPath(a.Path), FolderPort.ClaimedByOther(claims.Path, pa, asking.Path));
        FolderPort.KeepFirst(a.Path, pa, claims.Path);
        FolderPort.KeepFirst(b.Path, pb, claims.Path);
        Assert.Equal(pa, FolderPort.Kept(a.Path));
        Assert.Equal(pb, FolderPort.Kept(b.Path));
        Assert.Equal(Path.GetFullPath(b.Path), FolderPort.ClaimedByOther(claims.Path, pb, asking.Path));
        // A folder asking again (a start that failed, run once more) gets its own reservation back.
        using var c = new TempFolder();
        var pc = FolderPort.FreeBase(c.Path, claims.Path);
        Assert.Equal(pc, FolderPort.FreeBase(c.Path, claims.Path));
        Assert.DoesNotContain(pc, new[] { pa, pb });
    }

    [Fact]
    public async Task New_folders_picking_at_the_same_moment_each_get_their_own_base_port()
    {
        using var claims = new TempFolder();
        var folders = Enumerable.Range(0, 6).Select(_ => new TempFolder()).ToList();
        try
        {
            using var go = new Barrier(folders.Count);
            var picks = await Task.WhenAll(folders.Select(f => Task.Factory.StartNew(() =>
            {
                go.SignalAndWait();
                return FolderPort.FreeBase(f.Path, claims.Path);
            }, TaskCreationOptions.LongRunning)));
            Assert.Equal(folders.Count, picks.Distinct().Count());
        }
        finally { folders.ForEach(f => f.Dispose()); }
    }

    [Fact]
    public async Task A_reservation_lapses_once_the_process_that_made_it_has_ended_without_keeping_the_port()
    {
        // A start that failed (or was stopped) on a new folder: nothing keeps the port, and it must not stay barred.
        using var claims = new TempFolder();
        using var failed = new TempFolder();
        using var asking = new TempFolder();
        using var ended = System.Diagnostics.Process.Start("true")!;
        await ended.WaitForExitAsync();
        var claim = Path.Combine(claims.Path, "7300");
        File.WriteAllText(claim, $"{Path.GetFullPath(failed.Path)}\n{ended.Id} {DateTime.UtcNow.Ticks}\n");
        Assert.Null(FolderPort.ClaimedByOther(claims.Path, 7300, asking.Path));
        // This process's id with another start time: an id the system gave again to another process.
        File.WriteAllText(claim, $"{Path.GetFullPath(failed.Path)}\n{Environment.ProcessId} {DateTime.UtcNow.AddDays(-3).Ticks}\n");
        Assert.Null(FolderPort.ClaimedByOther(claims.Path, 7300, asking.Path));
        FolderPort.KeepFirst(asking.Path, 7300, claims.Path);
        Assert.Equal(Path.GetFullPath(asking.Path), FolderPort.ClaimedByOther(claims.Path, 7300, failed.Path));
    }

    [Theory]
    [InlineData("\0\0\0\0")] // blocks allocated but never written before a power loss
    [InlineData("relative/folder")]
    [InlineData("/tmp/half\0written")]
    public void A_claim_that_names_no_folder_is_lapsed_and_written_over(string text)
    {
        // Audit 20c §2: Path.GetFullPath threw on a NUL, so every new folder's start ended in a stack trace until the file was deleted.
        using var claims = new TempFolder();
        using var folder = new TempFolder();
        using var asking = new TempFolder();
        var claim = Path.Combine(claims.Path, "7300");
        File.WriteAllText(claim, text);
        Assert.Null(FolderPort.ClaimedByOther(claims.Path, 7300, folder.Path));
        Assert.Null(FolderPort.ClaimedNote(folder.Path, 7300, claims.Path));
        FolderPort.KeepFirst(folder.Path, 7300, claims.Path);
        Assert.Equal(7300, FolderPort.Kept(folder.Path));
        Assert.Equal(Path.GetFullPath(folder.Path), FolderPort.ClaimedByOther(claims.Path, 7300, asking.Path));

        File.WriteAllText(Path.Combine(claims.Path, FolderPort.Default.ToString()), text);
        var picked = FolderPort.FreeBase(asking.Path, claims.Path);
        if (picked == FolderPort.Default) // 7100's ports free here: the damaged claim was taken over
            Assert.Equal(Path.GetFullPath(asking.Path), FolderPort.ClaimedByOther(claims.Path, picked, folder.Path));
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
        File.Delete(Path.Combine(claims.Path, taken.ToString())); // the pick's reservation: this folder chose before claims existed
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
    public void A_folder_not_given_a_port_keeps_its_own_and_a_new_one_is_told_when_it_does_not_get_7100()
    {
        using var claims = new TempFolder();
        using var old = new TempFolder();
        using var other = new TempFolder();
        using var fresh = new TempFolder();
        FolderPort.KeepFirst(old.Path, 7300, claims.Path);
        Assert.Equal((7300, null), FolderPort.KeptOrFree(old.Path, FolderPort.Kept(old.Path), claims.Path));
        Assert.Null(FolderPort.ClaimedByOther(claims.Path, FolderPort.Default, fresh.Path));

        FolderPort.KeepFirst(other.Path, FolderPort.Default, claims.Path); // 7100 is another folder's
        var (port, note) = FolderPort.KeptOrFree(fresh.Path, null, claims.Path);
        Assert.NotEqual(FolderPort.Default, port);
        Assert.Equal(FolderPort.NotDefaultNote(port), note);
        Assert.Equal(Path.GetFullPath(fresh.Path), FolderPort.ClaimedByOther(claims.Path, port, other.Path)); // reserved for it
    }

    [Fact]
    public void A_test_runs_claims_stay_beside_the_tests_and_out_of_the_runners_home()
    {
        using var folder = new TempFolder(); // loads Renkei.Testing, whose module initializer points the local data there
        Assert.StartsWith(Path.Combine(AppContext.BaseDirectory, "local-data"), FolderPort.ClaimsFolder);
    }
}
