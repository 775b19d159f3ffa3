using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Pki.Authorities;
using Renkei.Pki.Cards;
using Renkei.Testing;

namespace Renkei.Pki.Tests;

public sealed class CardTests
{
    private static async Task<HttpResponseMessage> ResetAsync(PkiSandbox sandbox, IndividualNumberCard card, string number, string? recovery = null) =>
        await sandbox.PkiAdmin.PostAsJsonAsync($"api/cards/{card.CardId}/pin-reset", new PinResetRequest(number, recovery ?? card.RecoveryBlob), ServiceDefaults.Json);

    [Theory, StorageData]
    public async Task Authentication_pin_locks_after_three_wrong_in_a_row_and_the_municipality_resets_it(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident, pin: "1234");
        var challenge = Encoding.ASCII.GetBytes("challenge-0123456789");

        // A right PIN clears the count of wrong ones before it.
        Assert.Equal(2, card.Authenticate("0000", challenge).Check.TriesLeft);
        Assert.True(card.Authenticate("1234", challenge).Check.Accepted);
        Assert.Equal(0, card.FailuresOf(CardPin.Authentication));

        var two = card.Authenticate("0000", challenge).Check;
        Assert.Equal(2, two.TriesLeft);
        Assert.Equal("利用者証明用暗証番号が違います（残り2回）/ wrong authentication PIN (2 tries left)", two.Message);
        var one = card.Authenticate("1111", challenge).Check;
        Assert.Equal(1, one.TriesLeft);
        Assert.Equal("利用者証明用暗証番号が違います（残り1回）/ wrong authentication PIN (1 try left)", one.Message);
        var third = card.Authenticate("2222", challenge).Check;
        Assert.True(third.Locked);
        // Locked: even the right PIN is refused, and the lock is in the file, not in memory.
        var reopened = IndividualNumberCard.Open(card.Path);
        var afterLock = reopened.Authenticate("1234", challenge);
        Assert.Null(afterLock.Signature);
        Assert.True(afterLock.Check.Locked);
        // The signing password is a separate PIN and still works.
        Assert.True(reopened.Sign("ABC123", [1, 2, 3]).Check.Accepted);

        // The identity check: another person's number is refused, as is a blob that is not this card's.
        var stranger = await sandbox.RegisterResidentAsync();
        var refused = await ResetAsync(sandbox, reopened, stranger.IndividualNumber);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var mismatch = await refused.Content.ReadAsStringAsync();
        Assert.Contains("identity-mismatch", mismatch);
        Assert.Equal("この方はこのカードの所持者ではありません / The person is not this card's holder.",
            System.Text.Json.JsonDocument.Parse(mismatch).RootElement.GetProperty("detail").GetString());
        var otherCard = await sandbox.IssueCardAsync(stranger);
        Assert.Equal(HttpStatusCode.BadRequest, (await ResetAsync(sandbox, reopened, resident.IndividualNumber, otherCard.RecoveryBlob)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ResetAsync(sandbox, reopened, "not a number")).StatusCode);

        var answer = await ResetAsync(sandbox, reopened, resident.IndividualNumber);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var keys = Convert.FromBase64String((await answer.Content.ReadFromJsonAsync<PinResetAnswer>(ServiceDefaults.Json))!.DataKeys);
        Assert.True(reopened.ResetPin(CardPin.Authentication, "5678", keys).Accepted);
        Assert.False(reopened.IsLocked(CardPin.Authentication));
        Assert.False(reopened.Authenticate("1234", challenge).Check.Accepted);
        Assert.NotNull(reopened.Authenticate("5678", challenge).Signature);
    }

    [Fact]
    public async Task Signing_password_locks_after_five_and_input_assist_pin_after_three()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident, pin: "4321", signingPassword: "PASS2026");
        for (var i = 1; i <= 4; i++) Assert.Equal(5 - i, card.Sign("WRONG1", [1]).Check.TriesLeft);
        Assert.True(card.Sign("WRONG1", [1]).Check.Locked);
        Assert.Null(card.Sign("PASS2026", [1]).Cms);

        var (data, check) = card.ReadInputAssist("4321");
        Assert.True(check.Accepted);
        Assert.Equal(resident.IndividualNumber, data!.IndividualNumber);
        Assert.Equal($"{resident.FamilyName} {resident.GivenName}", data.Name);
        for (var i = 1; i <= 2; i++) Assert.False(card.ReadInputAssist("0000").Check.Locked);
        Assert.True(card.ReadInputAssist("0000").Check.Locked);
        Assert.Null(card.ReadInputAssist("4321").Data);

        // Formats are checked before a try is counted: lowercase, too short, letters in a PIN.
        var locked = card.FailuresOf(CardPin.Authentication);
        Assert.True(card.Authenticate("12a4", [1]).Check.WrongFormat);
        Assert.True(card.Sign("abc123", [1]).Check.WrongFormat);
        Assert.True(card.Sign("AB12", [1]).Check.WrongFormat);
        Assert.True(card.Sign("ABCDEFGHIJKLMNOPQ", [1]).Check.WrongFormat);
        Assert.Equal(locked, card.FailuresOf(CardPin.Authentication));
        Assert.Throws<ArgumentException>(() =>
        {
            using var keys = PkiSandbox.CardKeys();
            IndividualNumberCard.Create(sandbox.Folder + "/x.json", keys, null!, "", new Uri("http://127.0.0.1/"), "12345", "ABC123", "1234");
        });
    }

    [Fact]
    public async Task A_pin_or_signing_password_with_a_trailing_newline_is_refused_at_issue_and_at_use_without_a_counted_try()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var resident = await sandbox.RegisterResidentAsync();
        // At issue (`renkei card issue --pin $'2468\n'` asks IsValidFormat): .NET's $ matched before a final newline.
        Assert.False(IndividualNumberCard.IsValidFormat(CardPin.Authentication, "2468\n"));
        Assert.False(IndividualNumberCard.IsValidFormat(CardPin.InputAssist, "2468\n"));
        Assert.False(IndividualNumberCard.IsValidFormat(CardPin.Signing, "HANAKO1\n"));
        Assert.True(IndividualNumberCard.IsValidFormat(CardPin.Signing, "HANAKO1"));
        var refused = Assert.Throws<ArgumentException>(() =>
        {
            using var keys = PkiSandbox.CardKeys();
            IndividualNumberCard.Create(sandbox.Folder + "/newline.json", keys, null!, "", new Uri("http://127.0.0.1/"), "2468\n", "HANAKO1", "2468");
        });
        Assert.StartsWith("利用者証明用暗証番号は数字4桁です", refused.Message);

        // At use: the wrong format, told before a try is counted.
        var card = await sandbox.IssueCardAsync(resident, pin: "2468", signingPassword: "HANAKO1");
        var auth = card.Authenticate("2468\n", [1]).Check;
        Assert.True(auth.WrongFormat);
        Assert.True(card.ReadInputAssist("2468\n").Check.WrongFormat);
        var signing = card.Sign("HANAKO1\n", [1]).Check;
        Assert.True(signing.WrongFormat);
        Assert.Equal(0, card.FailuresOf(CardPin.Authentication) + card.FailuresOf(CardPin.InputAssist) + card.FailuresOf(CardPin.Signing));
        Assert.True(card.Authenticate("2468", [1]).Check.Accepted);

        // What is said names what was given: the signing password is not called a PIN.
        Assert.Equal("署名用パスワードは英大文字と数字の6〜16文字です / the signing password is 6 to 16 capital letters and digits", signing.Message);
        Assert.Equal("署名用パスワードが違います（残り4回）/ wrong signing password (4 tries left)", card.Sign("WRONG12", [1]).Check.Message);
        Assert.Equal("利用者証明用暗証番号は数字4桁です / the authentication PIN is 4 digits", auth.Message);
        Assert.Equal("券面事項入力補助用暗証番号は数字4桁です / the input-assist PIN is 4 digits", card.ReadInputAssist("24").Check.Message);
        for (var i = 0; i < 4; i++) card.Sign("WRONG12", [1]);
        Assert.Equal("署名用パスワードはロックされています。市区町村の窓口で初期化してください / the signing password is locked; have it reset at the municipality",
            card.Sign("HANAKO1", [1]).Check.Message);
    }

    [Theory, StorageData]
    public async Task Signing_password_and_input_assist_pin_locked_out_are_reset_at_the_municipality_too(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident, pin: "4321", signingPassword: "PASS2026");
        for (var i = 0; i < 5; i++) card.Sign("WRONG1", [1]);
        for (var i = 0; i < 3; i++) card.ReadInputAssist("0000");
        Assert.True(card.IsLocked(CardPin.Signing));
        Assert.True(card.IsLocked(CardPin.InputAssist));
        Assert.False(card.IsLocked(CardPin.Authentication));

        var answer = await ResetAsync(sandbox, card, resident.IndividualNumber);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var keys = Convert.FromBase64String((await answer.Content.ReadFromJsonAsync<PinResetAnswer>(ServiceDefaults.Json))!.DataKeys);

        // A new PIN of the wrong format is refused and unlocks nothing; another card's keys do not fit.
        Assert.True(card.ResetPin(CardPin.Signing, "short", keys).WrongFormat);
        Assert.True(card.IsLocked(CardPin.Signing));
        var stranger = await sandbox.RegisterResidentAsync();
        var other = await sandbox.IssueCardAsync(stranger);
        var otherKeys = Convert.FromBase64String((await (await ResetAsync(sandbox, other, stranger.IndividualNumber))
            .Content.ReadFromJsonAsync<PinResetAnswer>(ServiceDefaults.Json))!.DataKeys);
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => card.ResetPin(CardPin.InputAssist, "8765", otherKeys));
        Assert.True(IndividualNumberCard.Open(card.Path).IsLocked(CardPin.InputAssist));

        Assert.True(card.ResetPin(CardPin.Signing, "NEWPASS9", keys).Accepted);
        Assert.True(card.ResetPin(CardPin.InputAssist, "8765", keys).Accepted);
        var reopened = IndividualNumberCard.Open(card.Path);
        Assert.False(reopened.IsLocked(CardPin.Signing));
        Assert.False(reopened.Sign("PASS2026", [1]).Check.Accepted);
        Assert.NotNull(reopened.Sign("NEWPASS9", [1]).Cms);
        Assert.Null(reopened.ReadInputAssist("4321").Data);
        Assert.Equal(resident.IndividualNumber, reopened.ReadInputAssist("8765").Data!.IndividualNumber);
        // The authentication PIN was not touched.
        Assert.NotNull(reopened.Authenticate("4321", [1, 2, 3]).Signature);
    }

    [Theory, StorageData]
    public async Task A_pin_reset_is_refused_once_the_holder_has_died_or_moved_abroad_and_the_card_says_so(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var dead = await sandbox.RegisterResidentAsync();
        var abroad = await sandbox.RegisterResidentAsync();
        var deadCard = await sandbox.IssueCardAsync(dead);
        var abroadCard = await sandbox.IssueCardAsync(abroad);
        await sandbox.RecordAsync(new { kind = "death", residentId = dead.ResidentId });
        await sandbox.RecordAsync(new { kind = "move-out", residentId = abroad.ResidentId, destination = "abroad" });

        // The Registry is asked at the counter, so the refusal does not wait for the PKI to follow its events.
        foreach (var (card, person) in new[] { (deadCard, dead), (abroadCard, abroad) })
        {
            var refused = await ResetAsync(sandbox, card, person.IndividualNumber);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            var body = await refused.Content.ReadAsStringAsync();
            Assert.Contains("holder-not-resident", body);
            Assert.DoesNotContain("dataKeys", body);
        }

        // Once the events are followed, the cards are no longer active.
        foreach (var card in new[] { deadCard, abroadCard })
            await PkiSandbox.EventuallyAsync(async () =>
                (await sandbox.PkiAdmin.GetFromJsonAsync<CardView>($"api/cards/{card.CardId}", ServiceDefaults.Json))!.Status == "holder-gone",
                "the card is marked holder-gone");
        var loss = await sandbox.PkiAdmin.PostAsync($"api/cards/{deadCard.CardId}/loss", null);
        Assert.Equal(HttpStatusCode.Conflict, loss.StatusCode);
    }

    [Theory, StorageData]
    public async Task A_loss_report_waiting_while_the_holders_death_is_applied_leaves_the_card_holder_gone(StorageProvider provider)
    {
        await using var sandbox = await PkiSandbox.StartAsync(provider);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await sandbox.StartPkiAsync(services: s => s.AddSingleton<IStartupFilter>(new Arrival("/loss", arrived)));
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var database = IssuanceTests.TestDatabaseOf(sandbox);
        HttpResponseMessage loss;
        // As the follower applies a death: under the holder's lock, certificates then card, committed while the loss report waits.
        await using (var c = await database.OpenAsync())
        {
            await using var tx = await database.BeginSerializedAsync(c, CardStore.LockKey(resident.ResidentId));
            var now = DateTime.UtcNow;
            await Renkei.Pki.Certificates.CertificateStore.RevokeOfResidentAsync(c, tx, resident.ResidentId,
                [CertificateKind.Signing, CertificateKind.Authentication], Renkei.Pki.Certificates.RevocationReason.HolderGone, now);
            await CardStore.HolderGoneAsync(c, tx, resident.ResidentId, Renkei.Pki.Certificates.StaleBefore.Everything, now);
            var reported = sandbox.PkiAdmin.PostAsync($"api/cards/{card.CardId}/loss", null);
            await WaitingAsync(database, reported, arrived.Task, c, tx);
            await tx.CommitAsync();
            loss = await reported;
        }

        // The death stands: the report finds the card no longer active, as it does a card already lost (it used to overwrite the
        // status with lost, having read it active before the death was committed).
        var problem = await ProblemAssert.IsProblemAsync(loss, 409, "card-not-active");
        Assert.Contains("holder-gone", problem.GetProperty("detail").GetString());
        var view = (await sandbox.PkiAdmin.GetFromJsonAsync<CardView>($"api/cards/{card.CardId}", ServiceDefaults.Json))!;
        Assert.Equal("holder-gone", view.Status);
        Assert.All(view.Certificates, c => Assert.Equal(Renkei.Pki.Certificates.RevocationReason.HolderGone, c.Reason));
    }

    /// <summary>
    /// Waits until a request is blocked on a lock the test holds. On PostgreSQL: until a session waits for the lock that
    /// <paramref name="holder"/> holds (any session's wait would do otherwise: every test shares the server). SQLite shows
    /// no waiter, and its writer waits for the write lock whatever it runs: there, until the PKI has taken the request in
    /// (<paramref name="arrived"/>), and then a moment for what is left before the lock (a connection and one read, in this
    /// process), rather than a moment counted from before the request was even sent.
    /// </summary>
    private static async Task WaitingAsync(Database database, Task request, Task arrived, DbConnection holder, DbTransaction tx)
    {
        await arrived.WaitAsync(TimeSpan.FromMinutes(1));
        if (database.Provider != StorageProvider.Postgres)
        {
            await Task.Delay(300);
            Assert.False(request.IsCompleted, "the request did not wait for the lock");
            return;
        }
        var pid = await holder.ScalarAsync<int>("SELECT pg_backend_pid()", tx);
        await using var c = await database.OpenAsync();
        await PkiSandbox.EventuallyAsync(async () =>
        {
            Assert.False(request.IsCompleted, "the request did not wait for the lock");
            return await c.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE @h = ANY(pg_blocking_pids(pid))", null, ("h", pid)) > 0;
        }, "the request waits for the lock");
    }

    /// <summary>Says when a request whose path ends with <paramref name="path"/> reaches the service.</summary>
    private sealed class Arrival(string path, TaskCompletionSource arrived) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, inner) =>
            {
                if (context.Request.Path.Value?.EndsWith(path, StringComparison.Ordinal) == true) arrived.TrySetResult();
                await inner();
            });
            next(app);
        };
    }

    [Fact]
    public async Task Concurrent_wrong_pins_on_one_card_file_lock_it_after_three_and_the_right_pin_is_then_refused()
    {
        // As parallel `renkei card auth` runs do: each opens the file by path and tries once.
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident, pin: "1234");
        var challenge = Encoding.ASCII.GetBytes("challenge-0123456789");
        using var start = new Barrier(20);
        var tries = Enumerable.Range(0, 20).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            return IndividualNumberCard.Open(card.Path).Authenticate("0000", challenge).Check;
        })).ToArray();
        var checks = await Task.WhenAll(tries);

        // Three tries were checked (2 left, 1 left, then locked); every other one found the card locked.
        Assert.All(checks, c => Assert.False(c.Accepted));
        Assert.Equal([1, 2], checks.Where(c => !c.Locked).Select(c => c.TriesLeft).Order());
        Assert.Equal(18, checks.Count(c => c.Locked));
        var reopened = IndividualNumberCard.Open(card.Path);
        Assert.Equal(3, reopened.FailuresOf(CardPin.Authentication));
        var right = reopened.Authenticate("1234", challenge);
        Assert.Null(right.Signature);
        Assert.True(right.Check.Locked);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(card.Path)!, Path.GetFileName(card.Path) + "*.new"));
    }

    [Fact]
    public async Task The_card_file_holds_no_private_key_in_the_clear()
    {
        await using var sandbox = await PkiSandbox.StartAsync(StorageProvider.Sqlite);
        var resident = await sandbox.RegisterResidentAsync();
        var card = await sandbox.IssueCardAsync(resident);
        var text = await File.ReadAllTextAsync(card.Path);
        Assert.DoesNotContain("PRIVATE KEY", text);
        Assert.DoesNotContain(resident.IndividualNumber, text);
        using var keys = PkiSandbox.CardKeys();
        Assert.DoesNotContain(Convert.ToBase64String(keys.Signing.ExportPkcs8PrivateKey())[..40], text);
        Assert.Equal(IndividualNumberCard.PhotoPlaceholder, card.Face.Photo);
    }
}
