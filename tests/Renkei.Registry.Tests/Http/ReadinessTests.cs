using Microsoft.Data.Sqlite;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Http;

/// <summary>The Registry's readiness probe follows its database; its liveness probe does not.</summary>
public class ReadinessTests
{
    private const string Password = "readiness-password-4Kq";

    [Theory, StorageData]
    public async Task The_registry_is_ready_while_its_database_answers_and_alive_but_not_ready_once_it_is_gone(StorageProvider provider)
    {
        // On PostgreSQL a database of its own, shut as an outage would be, with a password no answer may repeat.
        await using var own = provider == StorageProvider.Postgres ? await OwnPostgresDatabase.CreateAsync(Password) : null;
        await using var registry = await RegistryHost.StartAsync(provider,
            own is null ? null : new Dictionary<string, string?> { ["Storage:ConnectionString"] = own.ConnectionString });
        var anonymous = registry.Client();
        await ReadinessAssert.IsReadyAsync(anonymous);
        // Asked again, still ready: the probe leaves nothing behind that would fail the next one.
        await ReadinessAssert.IsReadyAsync(anonymous);

        string[] secrets;
        string? file = null;
        if (own is not null)
        {
            await own.ShutAsync();
            secrets = [Password, own.Name, "Username"];
        }
        else
        {
            // Renamed under the running service, whose pooled connections keep the old file open.
            file = new SqliteConnectionStringBuilder(registry.Database.ConnectionString).DataSource;
            File.Move(file, file + ".gone");
            secrets = [Path.GetFileName(file), registry.DataFolder];
        }

        await ReadinessAssert.IsNotReadyAsync(anonymous, ["storage"], secrets);
        // Asked again (a pooled PostgreSQL connection ended by the server is dropped on first use): still not ready.
        await ReadinessAssert.IsNotReadyAsync(anonymous, ["storage"], secrets);
        // The probe reported the missing file; it did not make an empty one in its place.
        if (file is not null) Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task A_registry_told_to_stop_is_not_ready_while_it_finishes_what_it_has()
    {
        await using var registry = await RegistryHost.StartAsync(StorageProvider.Sqlite);
        var anonymous = registry.Client();
        await ReadinessAssert.IsReadyAsync(anonymous);
        // What SIGTERM does first; the tests' host does not go on to stop its server, so the probe can be asked meanwhile.
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>(registry.App.Services).StopApplication();
        var problem = await ReadinessAssert.IsNotReadyAsync(anonymous, ["stopping"]);
        Assert.Contains("The service is stopping", problem.GetProperty("detail").GetString());
    }
}
