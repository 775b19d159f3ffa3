using System.Security.Cryptography;
using Renkei.Hosting.Storage;

namespace Renkei.Hosting;

/// <summary>
/// A key file a service keeps: <see cref="Name"/> is how its database knows it (the same whatever the file is called),
/// <see cref="Fingerprint"/> reads the file's fingerprint, and <see cref="Make"/> makes the file on a first start.
/// </summary>
public sealed record KeptKey(string Name, string File, Func<string, string> Fingerprint, Action<string> Make)
{
    /// <summary>A secret of <paramref name="bytes"/> bytes in hex, as <see cref="KeyFiles.LoadOrCreate"/> makes it.</summary>
    public static KeptKey Secret(string name, string file, int bytes = 32) =>
        new(name, file, f => KeyFiles.SecretFingerprint(KeyFiles.Read(f, bytes)), f => KeyFiles.LoadOrCreate(f, bytes));
}

/// <summary>
/// Secret keys kept as 64 hex characters in files named by configuration, never in source; the sandbox
/// makes each on first start, readable by its owner only. Each is bound to the database it is used with (<see cref="BindAsync"/>).
/// </summary>
public static class KeyFiles
{
    /// <summary>
    /// Opens a service's database and binds its kept keys to it. In order: the database is reached (an unreachable one
    /// stops the start, naming <paramref name="setting"/>: it may well hold data), <paramref name="migrate"/> runs (the
    /// migrator refuses another service's database), and only then are the keys looked at. A key file missing while the
    /// database holds data (a row in one of <paramref name="tables"/>) or the key's fingerprint is refused, as is a file
    /// whose fingerprint is not the one recorded: a key made afresh or swapped would, without a word, give the same people
    /// new numbers or codes, or leave what was signed or sealed unreadable. Every check is made before anything is written;
    /// then the missing keys of a first start are made and each key's fingerprint not yet recorded is recorded (also on
    /// a database made before fingerprints were kept, which so takes the key it is used with now).
    /// </summary>
    public static async Task BindAsync(Database database, Func<Task> migrate, string[] tables, IReadOnlyList<KeptKey> keys,
        string setting = "Storage:ConnectionString") =>
        await (await CheckAsync(database, migrate, tables, keys, setting))();

    /// <summary>
    /// <see cref="BindAsync"/> in two steps, for a start that binds several databases (a node's tenants): the checks, then
    /// what the returned step makes and records, called once every database has passed, so that none is written for a start
    /// another refuses.
    /// </summary>
    public static async Task<Func<Task>> CheckAsync(Database database, Func<Task> migrate, string[] tables, IReadOnlyList<KeptKey> keys,
        string setting = "Storage:ConnectionString")
    {
        await (await ReachAsync(database, setting)).DisposeAsync();
        await migrate();
        Dictionary<string, string> recorded;
        string? holding;
        await using (var connection = await database.OpenAsync())
        {
            recorded = (await connection.QueryAsync("SELECT name, fingerprint FROM key_fingerprints", r => (r.GetString(0), r.GetString(1)))).ToDictionary();
            holding = await HoldingAsync(connection, tables);
        }
        var missing = keys.Where(k => !File.Exists(k.File)).ToList();
        if (missing.Count > 0 && holding is not null)
        {
            var list = string.Join(", ", missing.Select(k => Path.GetFullPath(k.File)));
            throw new InvalidOperationException($"鍵ファイル {list} がありません。データベースには既にこの鍵で作ったデータ（{holding}）があるため、新しい鍵は作りません。"
                + $"元の鍵ファイルを戻すか、設定で指定してください / the key file {list} is missing while the database already holds data made with it "
                + $"(in {holding}): restore the original file, or name it in the configuration (a new key would give the same people new numbers or codes)");
        }
        foreach (var key in missing.Where(k => recorded.ContainsKey(k.Name)))
            throw new InvalidOperationException($"鍵ファイル {Path.GetFullPath(key.File)} がありません。このデータベースは既に {key.Name} の鍵で使われています（指紋を記録済み）。"
                + $"新しい鍵は作りません。バックアップから元の鍵ファイルを戻してください / the key file {Path.GetFullPath(key.File)} is missing while this database "
                + $"was already used with a {key.Name} (its fingerprint is recorded): no new key was made; restore the original file from a backup");
        foreach (var key in keys.Except(missing))
            if (recorded.TryGetValue(key.Name, out var expected)) RequireSame(key, expected, key.Fingerprint(key.File));
        return async () =>
        {
            foreach (var key in missing)
                if (!File.Exists(key.File)) key.Make(key.File); // one make may have made several (a CA's key and certificate)
            await using var connection = await database.OpenAsync();
            foreach (var key in keys.Where(k => !recorded.ContainsKey(k.Name)))
            {
                var fingerprint = key.Fingerprint(key.File);
                // Of two first starts at once, the second keeps what the first recorded, and must hold the same key.
                await connection.ExecuteAsync("INSERT INTO key_fingerprints (name, fingerprint, recorded_at) VALUES (@n, @f, @t) ON CONFLICT (name) DO NOTHING",
                    null, ("n", key.Name), ("f", fingerprint), ("t", DateTime.UtcNow.ToString("O")));
                RequireSame(key, (await connection.ScalarAsync<string>("SELECT fingerprint FROM key_fingerprints WHERE name = @n", null, ("n", key.Name)))!, fingerprint);
            }
        };
    }

    private static void RequireSame(KeptKey key, string expected, string actual)
    {
        if (expected == actual) return;
        var file = Path.GetFullPath(key.File);
        throw new InvalidOperationException($"鍵ファイル {file} は、このデータベースが使ってきた {key.Name} の鍵ではありません（記録 {Short(expected)}、ファイル {Short(actual)}）。"
            + $"何も書き込まずに停止しました。バックアップから元の鍵ファイルを戻してください / the key file {file} is not the {key.Name} this database was used with "
            + $"(recorded fingerprint {Short(expected)}, the file's {Short(actual)}): nothing was written; restore the original file from a backup");
    }

    private static string Short(string fingerprint) => fingerprint[..Math.Min(fingerprint.Length, fingerprint.IndexOf(':') + 17)];

    /// <summary>The fingerprint of a secret: an HMAC of a fixed label under it, which tells keys apart and gives nothing of the secret away.</summary>
    public static string SecretFingerprint(ReadOnlySpan<byte> secret) =>
        "hmac-sha256:" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, "renkei key fingerprint v1"u8));

    /// <summary>The fingerprint of a key pair: the SHA-256 of its public key (SubjectPublicKeyInfo, DER).</summary>
    public static string PublicKeyFingerprint(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));

    private static async Task<System.Data.Common.DbConnection> ReachAsync(Database database, string setting)
    {
        try { return await database.OpenAsync(); }
        catch (System.Data.Common.DbException e)
        {
            throw Unreachable(setting, e);
        }
    }

    /// <summary>A start stopped by a database it cannot reach, naming <paramref name="setting"/> (also the instance lock's, taken before).</summary>
    internal static InvalidOperationException Unreachable(string setting, System.Data.Common.DbException e) =>
        new($"データベースに接続できません（{setting}）。鍵ファイルは作りませんでした / "
            + $"cannot reach the database named by {setting}, so no key file was made: {e.Message}", e);

    /// <summary>The first of <paramref name="tables"/> holding a row; null when none does (a first start).</summary>
    private static async Task<string?> HoldingAsync(System.Data.Common.DbConnection connection, string[] tables)
    {
        foreach (var table in tables)
            if (await connection.ScalarAsync<long?>($"SELECT 1 FROM {table} LIMIT 1") is not null) return table;
        return null;
    }

    /// <summary>Reads a key of <paramref name="bytes"/> bytes, or makes one on first start.</summary>
    public static byte[] LoadOrCreate(string path, int bytes = 32)
    {
        // Moved in whole: a process killed while writing leaves no empty key behind, and of two first starts the second
        // keeps the key the first moved in.
        if (!File.Exists(path)) CreateSecret(path, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes)));
        return Read(path, bytes);
    }

    /// <summary>
    /// Puts a new secret file in place, whole, unless one is already there: false when another writer (a thread, a second
    /// process starting at the same moment) put its own first, which the caller then reads instead. The writers take turns
    /// on FILE.lock, which stays: File.Move without overwriting is no guard on Linux, where .NET checks that the target is
    /// missing and then renames, so two writers at the same instant could each put their own key in place, the second over
    /// the first's, which the first then went on using.
    /// </summary>
    public static bool CreateSecret(string file, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        using (FileLock.Take(file + ".lock", TimeSpan.FromSeconds(30)))
        {
            if (File.Exists(file)) return false;
            MoveIn(file, text, overwrite: true);
            return true;
        }
    }

    /// <summary>
    /// Writes or replaces a secret file: owner-only from the first byte, swapped in whole. The temporary file's
    /// name is unique to this write, so that two writers (threads or processes) never take each other's.
    /// </summary>
    public static void ReplaceSecret(string file, string text) => MoveIn(file, text, overwrite: true);

    private static void MoveIn(string file, string text, bool overwrite)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var temporary = $"{file}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.new";
        try
        {
            WriteSecret(temporary, text);
            File.Move(temporary, file, overwrite);
        }
        finally { File.Delete(temporary); }
    }

    /// <summary>Creates a file readable by its owner only (from the first byte) and writes a secret to it.</summary>
    private static void WriteSecret(string file, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(file, options);
        using (var writer = new StreamWriter(stream, leaveOpen: true)) writer.Write(text);
        stream.Flush(flushToDisk: true); // on disk before it is moved in: a crash then leaves the old file or the whole new one
    }

    /// <summary>Reads a key of <paramref name="bytes"/> bytes; says what is wrong with a malformed file.</summary>
    public static byte[] Read(string path, int bytes = 32)
    {
        var text = File.ReadAllText(path).Trim();
        if (text.Length != bytes * 2)
            throw new FormatException($"鍵ファイル {path} は16進{bytes * 2}文字です（{text.Length}文字あります） / the key file {path} must hold {bytes * 2} hex characters, it holds {text.Length}");
        if (!text.All(Uri.IsHexDigit))
            throw new FormatException($"鍵ファイル {path} に16進以外の文字があります / the key file {path} must hold only hex characters (0-9, a-f)");
        return Convert.FromHexString(text);
    }
}
