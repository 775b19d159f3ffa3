using Microsoft.Data.Sqlite;
using Npgsql;

namespace Renkei.Hosting.Storage;

/// <summary>
/// One running instance of a party on its database, held for the process's life. A party's replay cache and inquiry-id
/// claims are its process's memory (EnvelopeVerifier), so a second instance on the same database would accept once more
/// every message the first accepted. PostgreSQL: a session-level advisory lock on a connection kept for the locks of one
/// server, database and user (a node's tenants share it); SQLite: an OS lock on a file beside the database's. Either ends
/// with the process, however it ends.
/// </summary>
public sealed class InstanceLock : IDisposable
{
    private IDisposable? held;

    private InstanceLock(IDisposable held) => this.held = held;


    /// <summary>
    /// Takes <paramref name="party"/>'s lock on <paramref name="database"/>, or refuses the start naming both; a database it
    /// cannot reach stops the start naming <paramref name="setting"/>, as the key files' check after it would.
    /// </summary>
    public static InstanceLock Take(Database database, string party, string setting = "Storage:ConnectionString")
    {
        if (database.Provider == StorageProvider.Postgres) return new InstanceLock(AdvisoryLock.Take(database, party, setting));
        var file = Path.GetFullPath(new SqliteConnectionStringBuilder(database.ConnectionString).DataSource) + ".instance";
        try
        {
            return new InstanceLock(FileLock.Take(file, TimeSpan.Zero));
        }
        catch (IOException e) when (HeldElsewhere(e))
        {
            throw Refused(party, file[..^".instance".Length]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk, a read-only file system or a denied folder is no other instance: named as what it is.
            var (japanese, english) = e is UnauthorizedAccessException ? ("権限がありません", "permission denied") : ("入出力エラーです", e.Message);
            throw new InvalidOperationException($"{party} のインスタンスのロックファイル（{file}）を開けないため、起動しません（{japanese}） / "
                + $"cannot open {party}'s instance lock file ({file}): {english}; this one does not start", e);
        }
    }

    /// <summary>The lock is another's: Windows' sharing or lock violation, Unix's EWOULDBLOCK from flock (the runtime's errno).</summary>
    private static bool HeldElsewhere(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 32 or 33 : e.HResult == (OperatingSystem.IsLinux() ? 11 : 35);

    internal static InvalidOperationException Refused(string party, string database) =>
        new($"{party} は別のインスタンスが同じデータベース（{database}）ですでに動かしているため、起動しません。当事者ごとに動かすインスタンスは1つです / "
            + $"another instance already runs {party} on the same database ({database}): this one does not start; run one instance per party");

    /// <summary>How long a start waits for an instance that has just ended to be seen gone before it refuses.</summary>
    public static readonly TimeSpan EndingInstanceWait = TimeSpan.FromSeconds(3);

    /// <summary>Gives the lock back; once, however often it is called (the app's stop and its container both do).</summary>
    public void Dispose() => Interlocked.Exchange(ref held, null)?.Dispose();
}
