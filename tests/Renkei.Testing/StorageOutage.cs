using Microsoft.Data.Sqlite;
using Npgsql;
using Renkei.Hosting.Storage;

namespace Renkei.Testing;

/// <summary>
/// Makes a running service's database go away, for its readiness probe: the SQLite file renamed (the service's pooled
/// connections keep it open), the PostgreSQL schema renamed.
/// </summary>
public static class StorageOutage
{
    /// <summary>Takes <paramref name="database"/> away; returns what its name gives away (which no answer may repeat) and how to put it back.</summary>
    public static Task<(string[] Secrets, Func<Task> Restore)> TakeAwayAsync(Database database) =>
        TakeAwayAsync(new StorageOptions { Provider = database.Provider, ConnectionString = database.ConnectionString });

    public static async Task<(string[] Secrets, Func<Task> Restore)> TakeAwayAsync(StorageOptions storage)
    {
        if (storage.Provider == StorageProvider.Sqlite)
        {
            var file = new SqliteConnectionStringBuilder(storage.ConnectionString).DataSource;
            File.Move(file, file + ".gone");
            return ([Path.GetFileName(file), Path.GetDirectoryName(file)!], () =>
            {
                // Without overwriting: a migrated service makes no new file at the path meanwhile, and this would fail if one did.
                File.Move(file + ".gone", file);
                return Task.CompletedTask;
            });
        }
        var schema = new NpgsqlConnectionStringBuilder(storage.ConnectionString).SearchPath!;
        await RenameSchemaAsync(schema, schema + "_gone");
        return ([schema], () => RenameSchemaAsync(schema + "_gone", schema));
    }

    private static async Task RenameSchemaAsync(string from, string to)
    {
        await using var connection = new NpgsqlConnection(TestDatabases.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"ALTER SCHEMA \"{from}\" RENAME TO \"{to}\"", connection);
        await command.ExecuteNonQueryAsync();
    }
}
