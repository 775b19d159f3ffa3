using System.CommandLine;
using Renkei.Hosting.Storage;

namespace Renkei.Cli.Registry;

/// <summary>The <c>--storage</c> and <c>--connection</c> options: the registry's SQLite file under the data folder, or a PostgreSQL database.</summary>
public sealed class RegistryStorage
{
    public Option<string> Storage { get; }

    public Option<string?> Connection { get; } = new("--connection")
    {
        Description = "PostgreSQL の接続文字列（--storage postgres のとき必須）/ the PostgreSQL connection string (required with --storage postgres)",
    };

    /// <summary>Where the SQLite register is, as the help says it (Japanese, English): the data folder's unless a command has its own.</summary>
    public RegistryStorage(string sqliteJapanese = "DIR/registry/registry.db", string sqliteEnglish = "DIR/registry/registry.db")
    {
        Storage = new Option<string>("--storage")
        {
            Description = $"保存先: sqlite（既定。{sqliteJapanese}）または postgres / where: sqlite (default: {sqliteEnglish}) or postgres",
            DefaultValueFactory = _ => "sqlite",
        }.OneOf("sqlite", "postgres");
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Storage);
        command.Options.Add(Connection);
        command.Validators.Add(result =>
        {
            var postgres = result.GetValue(Storage) == "postgres";
            var connection = result.GetValue(Connection);
            if (postgres && string.IsNullOrWhiteSpace(connection))
                result.AddError("--storage postgres には --connection が必要です / --storage postgres needs --connection");
            if (!postgres && connection is not null)
                result.AddError("--connection は --storage postgres のときだけ使えます / --connection applies only to --storage postgres");
            // Read here, so that a malformed one is named as such, not reported later as a database that cannot be reached.
            if (postgres && !string.IsNullOrWhiteSpace(connection) && Unreadable(connection, "--connection") is { } unreadable) result.AddError(unreadable);
        });
    }

    /// <summary>Why PostgreSQL cannot read <paramref name="connection"/>, given as <paramref name="option"/>, in words that repeat none of it; null when it can.</summary>
    public static string? Unreadable(string connection, string option)
    {
        try
        {
            Database.ReadConnectionString(() => new Npgsql.NpgsqlConnectionStringBuilder(connection), option, option);
            return null;
        }
        catch (ArgumentException e) { return e.Message; }
    }

    public bool IsPostgres(ParseResult parse) => parse.GetValue(Storage) == "postgres";

    public static string SqliteFile(string dataFolder) => Path.Combine(dataFolder, "registry", "registry.db");

    public Database Open(ParseResult parse, string dataFolder) => IsPostgres(parse)
        ? new Database(StorageProvider.Postgres, parse.GetValue(Connection)!)
        : Database.Sqlite(SqliteFile(dataFolder));
}
