using Npgsql;
using Renkei.Hosting.Storage;

namespace Renkei.Core.Tests;

public class DatabaseSettingsTests
{
    private static NpgsqlConnectionStringBuilder Used(string connectionString) =>
        new(new Database(StorageProvider.Postgres, connectionString).PostgresDataSource!.ConnectionString);

    [Fact]
    public void PostgreSQL_connections_prepare_repeated_statements_and_skip_the_reset_unless_the_connection_string_says_otherwise()
    {
        var tuned = Used("Host=127.0.0.1;Username=renkei;Database=postgres");
        Assert.Equal((64, 2), (tuned.MaxAutoPrepare, tuned.AutoPrepareMinUsages));
        Assert.True(tuned.NoResetOnClose);
        // An operator's own choice stands, under either spelling of the keyword.
        var own = Used("Host=127.0.0.1;Username=renkei;Max Auto Prepare=0;No Reset On Close=false");
        Assert.Equal((0, false), (own.MaxAutoPrepare, own.NoResetOnClose));
        Assert.Equal(5, Used("Host=127.0.0.1;Username=renkei;MaxAutoPrepare=5").MaxAutoPrepare);
    }
}
