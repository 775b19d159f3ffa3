using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
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
    public async Task A_database_that_does_not_answer_is_not_ready_after_the_configured_wait()
    {
        var logs = new CapturedLogs();
        await using var registry = await RegistryHost.StartAsync(StorageProvider.Postgres, b =>
        {
            // A pool of two, which the test takes: the probe's connection then waits, as on a database that does not answer.
            var pooled = new NpgsqlConnectionStringBuilder(b.Configuration["Storage:ConnectionString"]) { MaxPoolSize = 2 };
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Storage:ConnectionString"] = pooled.ToString(),
                ["Storage:ProbeTimeoutSeconds"] = "1",
            });
            b.Logging.AddProvider(logs);
        });
        var anonymous = registry.Client();
        await ReadinessAssert.BecomesReadyAsync(anonymous, TimeSpan.FromSeconds(30));

        var database = registry.App.Services.GetRequiredService<Database>();
        var held = new List<DbConnection> { await database.OpenAsync(), await database.OpenAsync() };
        try
        {
            await ReadinessAssert.IsNotReadyAsync(anonymous, ["storage"]);
            // The wait was the configured one, not the default 2 s.
            Assert.Contains(logs.Lines, l => l.Contains("not ready: storage: TimeoutException: no answer within 1 s", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var connection in held) await connection.DisposeAsync();
        }
        await ReadinessAssert.BecomesReadyAsync(anonymous, TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("601")]
    public async Task A_probe_timeout_out_of_range_is_refused_at_start(string seconds)
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RegistryHost.StartAsync(StorageProvider.Sqlite, new Dictionary<string, string?> { ["Storage:ProbeTimeoutSeconds"] = seconds }));
        Assert.Contains("Storage:ProbeTimeoutSeconds", refused.Message);
        Assert.Contains(" / ", refused.Message);
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
