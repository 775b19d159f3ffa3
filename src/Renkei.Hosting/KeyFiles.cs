using System.Security.Cryptography;

namespace Renkei.Hosting;

/// <summary>
/// Secret keys kept as 64 hex characters in files named by configuration, never in source; the sandbox
/// makes each on first start, readable by its owner only.
/// </summary>
public static class KeyFiles
{
    /// <summary>
    /// Refuses to go on when a key file is missing but the store already holds what was made with it (a row in
    /// <paramref name="table"/>): a key made afresh would, without a word, give the same people new numbers or codes.
    /// A first start, whose store is reached and empty or not yet made, makes its keys as before. A store that cannot be
    /// reached stops the start here, before any key is made: it may well hold that data.
    /// </summary>
    public static void RequireKept(Storage.Database database, string table, params string[] files) =>
        RequireKept(database, [table], files, "Storage:ConnectionString");

    /// <summary>The same for data in any of <paramref name="tables"/>; <paramref name="setting"/> names where the store is configured.</summary>
    public static void RequireKept(Storage.Database database, string[] tables, string[] files, string setting)
    {
        var missing = files.Where(f => !File.Exists(f)).Select(Path.GetFullPath).ToList();
        var holding = Holding(database, tables, setting);
        if (missing.Count == 0 || holding is null) return;
        var list = string.Join(", ", missing);
        throw new InvalidOperationException($"鍵ファイル {list} がありません。データベースには既にこの鍵で作ったデータ（{holding}）があるため、新しい鍵は作りません。"
            + $"元の鍵ファイルを戻すか、設定で指定してください / the key file {list} is missing while the database already holds data made with it "
            + $"(in {holding}): restore the original file, or name it in the configuration (a new key would give the same people new numbers or codes)");
    }

    /// <summary>The first of <paramref name="tables"/> holding a row; null when none does or none exists yet (a first start).</summary>
    private static string? Holding(Storage.Database database, string[] tables, string setting)
    {
        System.Data.Common.DbConnection connection;
        try { connection = database.OpenAsync().GetAwaiter().GetResult(); }
        catch (System.Data.Common.DbException e)
        {
            throw new InvalidOperationException($"データベースに接続できません（{setting}）。鍵ファイルは作りませんでした / "
                + $"cannot reach the database named by {setting}, so no key file was made: {e.Message}", e);
        }
        using (connection)
            foreach (var table in tables)
            {
                try
                {
                    using var command = connection.CreateCommand();
                    command.CommandText = $"SELECT 1 FROM {table} LIMIT 1";
                    if (command.ExecuteScalar() is not null) return table;
                }
                catch (System.Data.Common.DbException e) when (IsNoSuchTable(e)) { } // not migrated yet: a first start
            }
        return null;
    }

    private static bool IsNoSuchTable(System.Data.Common.DbException e) => e switch
    {
        Microsoft.Data.Sqlite.SqliteException s => s.SqliteErrorCode == 1 && s.Message.Contains("no such table", StringComparison.Ordinal),
        Npgsql.PostgresException p => p.SqlState is Npgsql.PostgresErrorCodes.UndefinedTable or Npgsql.PostgresErrorCodes.InvalidSchemaName,
        _ => false,
    };

    /// <summary>Reads a key of <paramref name="bytes"/> bytes, or makes one on first start.</summary>
    public static byte[] LoadOrCreate(string path, int bytes = 32)
    {
        // Moved in whole: a process killed while writing leaves no empty key behind, and of two first starts the second
        // keeps the key the first moved in.
        if (!File.Exists(path))
        {
            try { MoveIn(path, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes)), overwrite: false); }
            catch (IOException) when (File.Exists(path)) { }
        }
        return Read(path, bytes);
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
    public static void WriteSecret(string file, string text)
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
