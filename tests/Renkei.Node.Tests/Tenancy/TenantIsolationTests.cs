using Npgsql;
using Renkei.Hosting.Storage;
using Renkei.Node.Tenants;
using Renkei.Testing;

namespace Renkei.Node.Tests.Tenancy;

public class TenantIsolationTests
{
    [Fact]
    public async Task A_tenant_with_a_role_of_its_own_is_refused_another_tenants_tables_by_the_server()
    {
        var shared = TestDatabases.PostgresConnectionString;
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var role = "tenant_role_" + suffix;
        var prefix = $"iso_{suffix}_";
        await using (var admin = new NpgsqlConnection(shared))
        {
            await admin.OpenAsync();
            // The operator's set-up: a login role for the tenant and a schema it owns (it may not create schemas itself).
            await admin.ExecuteAsync($"CREATE ROLE {role} LOGIN; CREATE SCHEMA {prefix}122173 AUTHORIZATION {role}");
        }
        using var folder = new TempFolder();
        var options = new NodeOptions
        {
            DataFolder = folder.Path,
            SchemaPrefix = prefix,
            Tenants =
            [
                new TenantOptions { AgencyId = "122173", Name = "柏市", ConnectionString = new NpgsqlConnectionStringBuilder(shared) { Username = role }.ToString() },
                new TenantOptions { AgencyId = "131059", Name = "文京区" },
            ],
        };
        try
        {
            var directory = new TenantDirectory(options, new StorageOptions { Provider = StorageProvider.Postgres, ConnectionString = shared }, TimeProvider.System);
            await using var kashiwa = await directory.Find("122173")!.Database.OpenAsync();
            await using var bunkyo = await directory.Find("131059")!.Database.OpenAsync();
            Assert.Equal(0, await kashiwa.ScalarAsync<long>("SELECT COUNT(*) FROM addressees"));
            Assert.Equal(0, await bunkyo.ScalarAsync<long>("SELECT COUNT(*) FROM addressees"));

            var refused = await Assert.ThrowsAsync<PostgresException>(() => kashiwa.ScalarAsync<long>($"SELECT COUNT(*) FROM {prefix}131059.addressees"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
            // Under the shared role only the search path separates them: the reason to give each tenant a role.
            Assert.Equal(0, await bunkyo.ScalarAsync<long>($"SELECT COUNT(*) FROM {prefix}122173.addressees"));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(shared);
            await admin.OpenAsync();
            await admin.ExecuteAsync($"DROP SCHEMA IF EXISTS {prefix}122173 CASCADE; DROP SCHEMA IF EXISTS {prefix}131059 CASCADE; DROP ROLE IF EXISTS {role}");
        }
    }
}
