using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Renkei.Hosting.Storage;
using Renkei.Testing;

namespace Renkei.Registry.Tests.Http;

/// <summary>Audit W2: a write the database has no room for is the operator's to fix, not a fault of the service.</summary>
public class StorageFullTests
{
    [Fact]
    public void A_full_disk_is_told_apart_from_a_busy_database_and_from_a_fault()
    {
        Assert.True(Database.IsFull(new SqliteException("database or disk is full", 13)));
        Assert.True(Database.IsFull(new InvalidOperationException("wrapped", new Npgsql.PostgresException("could not extend file", "ERROR", "ERROR", "53100"))));
        // Npgsql calls disk_full transient: it is not "busy", which asks for the request again in a second.
        Assert.False(Database.IsBusy(new Npgsql.PostgresException("could not extend file", "ERROR", "ERROR", "53100")));
        Assert.False(Database.IsFull(new SqliteException("database is locked", 5)));
        Assert.False(Database.IsFull(new Npgsql.PostgresException("too many clients", "FATAL", "FATAL", "53300")));
        Assert.False(Database.IsFull(new InvalidOperationException("a fault")));
    }

    [Fact]
    public async Task A_write_on_a_full_disk_answers_503_storage_full_stores_nothing_and_logs_one_error_line()
    {
        var logs = new CapturedLogs();
        await using var registry = await RegistryHost.StartAsync(StorageProvider.Sqlite, b => b.Logging.AddProvider(logs));
        var database = registry.App.Services.GetRequiredService<Database>();
        await SqliteDisk.LimitAsync(database, growBy: 0, connections: 8);

        // Each birth takes some room: the first that needs a new page finds the disk full.
        HttpResponseMessage response;
        var stored = 0;
        while ((response = await registry.PostEventAsync(RegistryHost.Chiba, Birth())).IsSuccessStatusCode) Assert.True(++stored < 500, "the disk never filled");

        var problem = await ProblemAssert.IsProblemAsync(response, 503, "storage-full");
        Assert.StartsWith("保存できません / ", problem.GetProperty("title").GetString());
        Assert.Equal("60", response.Headers.RetryAfter?.ToString());
        await using (var c = await registry.Database.OpenAsync())
            Assert.Equal(stored, await c.ScalarAsync<long>("SELECT COUNT(*) FROM residents WHERE family_name = '満杯'"));
        var line = Assert.Single(logs.Lines, l => l.Contains("storage-full"));
        Assert.StartsWith("Error ", line);
        Assert.Contains("database or disk is full", line);
        Assert.DoesNotContain("   at ", line);
        Assert.DoesNotContain(logs.Lines, l => l.Contains("internal-error") || l.Contains("unhandled", StringComparison.OrdinalIgnoreCase));

        // Room again (the limited connections leave the pool): the same request is taken, without a restart.
        await SqliteDisk.LimitAsync(database, growBy: null, connections: 8);
        Assert.True((await registry.PostEventAsync(RegistryHost.Chiba, Birth())).IsSuccessStatusCode);
    }

    private static object Birth() => new
    {
        kind = "birth", person = RegistryHost.Person(family: "満杯", dateOfBirth: "2026-01-15"), address = "千葉県千葉市中央区中央1丁目1番1号",
    };
}
