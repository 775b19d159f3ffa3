using System.Security.Claims;
using Npgsql;
using Renkei.Hosting;
using Renkei.Hosting.Storage;
using Renkei.Protocol;

namespace Renkei.Node.Tenants;

/// <summary>One agency hosted on this node (a tenant): its own database and its own keys.</summary>
public sealed class Tenant(string agencyId, string name, Database database, PartyKeys keys, int retentionYears, TimeProvider time)
{
    /// <summary>This tenant's provision records (情報提供等記録), in its own database, signed with its own key.</summary>
    public Protocol.Records.ProvisionLog Records { get; } = new(database, agencyId, keys.Signing, retentionYears, time);

    public string AgencyId { get; } = agencyId;

    public string Name { get; } = name;

    public Database Database { get; } = database;

    public PartyKeys Keys { get; } = keys;

    /// <summary>This tenant's agency code for an addressee, or null when it has none (yet).</summary>
    public static Task<string?> AgencyCodeOfAsync(System.Data.Common.DbConnection c, string? addresseeNumber) =>
        c.ScalarAsync<string>("SELECT agency_code FROM addressees WHERE addressee_number = @n", null, ("n", addresseeNumber));

    /// <summary>
    /// The same, kept in memory once found: every inquiry starts with it. Only a code is kept, and a code goes only by a
    /// release, which calls <see cref="ForgetAgencyCode"/> (a delivery writes one where there was none, which was not kept).
    /// Otherwise on a connection of its own, closed before the caller goes on.
    /// </summary>
    public async Task<string?> AgencyCodeOfAsync(string? addresseeNumber, CancellationToken ct = default)
    {
        if (addresseeNumber is not null && codes.TryGetValue(addresseeNumber, out var known)) return known;
        var generation = Volatile.Read(ref codesGeneration);
        string? code;
        await using (var c = await Database.OpenAsync(ct)) code = await AgencyCodeOfAsync(c, addresseeNumber);
        // Kept only if no release committed meanwhile: what was read may be the code it cleared.
        if (code is not null && addresseeNumber is not null)
            lock (codes)
                if (codesGeneration == generation && codes.Count < MaxKeptCodes) codes[addresseeNumber] = code;
        return code;
    }

    /// <summary>
    /// After a release of <paramref name="addresseeNumber"/>'s code commits: that code is dropped, and a read under way, which may
    /// have found it before the release, is not kept. The other addressees' codes stay.
    /// </summary>
    public void ForgetAgencyCode(string addresseeNumber)
    {
        lock (codes)
        {
            codesGeneration++;
            codes.TryRemove(addresseeNumber, out _);
        }
    }

    private const int MaxKeptCodes = 200_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> codes = new();
    private long codesGeneration;
}

/// <summary>A tenant as configured: <c>Node:Tenants:N:AgencyId</c> and <c>Name</c>.</summary>
public sealed class TenantOptions
{
    public string AgencyId { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>
    /// PostgreSQL only: this tenant's own connection string (its own role, and database or schema), in place of the
    /// node's shared one. With it the database itself keeps tenants apart; without, only the schema does.
    /// </summary>
    public string? ConnectionString { get; set; }
}

/// <summary>
/// The tenants of this node, each with its database migrated and its keys bound to it when made. Each gets its own database: an SQLite file under its own folder, or on
/// PostgreSQL its own schema (the search path), under the node's shared connection string or the
/// tenant's own (<see cref="TenantOptions.ConnectionString"/>). With the shared one the node's code
/// names only the tenant's schema, but the role could read every tenant's; give each tenant a role
/// of its own so that the server refuses that too.
/// </summary>
public sealed class TenantDirectory : IDisposable
{
    private readonly Dictionary<string, Tenant> tenants = [];

    /// <summary>Each tenant's <see cref="InstanceLock"/>: one node runs a tenant on its database, or a second one would not know the first one's nonces.</summary>
    private readonly List<InstanceLock> instances = [];

    public TenantDirectory(NodeOptions options, StorageOptions storage, TimeProvider time)
    {
        try
        {
            Open(options, storage, time);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private void Open(NodeOptions options, StorageOptions storage, TimeProvider time)
    {
        var index = 0;
        var keep = new List<Func<Task>>();
        var opened = new List<(TenantOptions Options, Database Database, string Keys)>();
        foreach (var t in options.Tenants)
        {
            if (string.IsNullOrWhiteSpace(t.AgencyId) || !t.AgencyId.All(char.IsAsciiDigit))
                throw new InvalidOperationException($"Node:Tenants: agency id '{t.AgencyId}' must be a local government code or a corporate number");
            var folder = Path.Combine(options.DataFolder, "tenants", t.AgencyId);
            var database = storage.Provider == StorageProvider.Postgres
                ? new Database(StorageProvider.Postgres, string.IsNullOrWhiteSpace(t.ConnectionString)
                    ? TenantSchema(storage.ConnectionString, options.SchemaPrefix + t.AgencyId, own: false)
                    : TenantSchema(t.ConnectionString, options.SchemaPrefix + t.AgencyId, own: true))
                : Database.Sqlite(Path.Combine(folder, "node.db"));
            var setting = string.IsNullOrWhiteSpace(t.ConnectionString) ? "Storage:ConnectionString" : $"Node:Tenants:{index}:ConnectionString";
            // Before anything of the tenant is migrated or made.
            instances.Add(InstanceLock.Take(database, "tenant " + t.AgencyId, setting));
            // The tenant's codes were sealed to its keys and its records signed with them, and the core knows them: its keys are
            // bound to its database, and none is made before the migrator has accepted it.
            var keys = Path.Combine(folder, "keys.pem");
            // Every tenant is checked before any key is made: one refused leaves no other's made either.
            keep.Add(KeyFiles.CheckAsync(database, () => MigrateAsync(database), ["addressees", "copies", "provision_records"], [PartyKeys.Kept("keys.pem", keys)],
                setting).GetAwaiter().GetResult());
            opened.Add((t, database, keys));
            index++;
        }
        foreach (var step in keep) step().GetAwaiter().GetResult();
        foreach (var (t, database, keys) in opened)
            tenants[t.AgencyId] = new Tenant(t.AgencyId, t.Name, database, PartyKeys.LoadOrCreate(keys), options.RetentionYears, time);
    }

    public IReadOnlyCollection<Tenant> All => tenants.Values;

    /// <summary>Gives back the tenants' instance locks (their databases are the node's to close).</summary>
    public void Dispose()
    {
        foreach (var instance in instances) instance.Dispose();
    }

    public Tenant? Find(string agencyId) => tenants.GetValueOrDefault(agencyId);

    /// <summary>Creates a tenant's schema (PostgreSQL) and applies the tenant migrations.</summary>
    private static async Task MigrateAsync(Database database)
    {
        if (database.Provider == StorageProvider.Postgres)
        {
            var schema = new NpgsqlConnectionStringBuilder(database.ConnectionString).SearchPath!;
            await using var c = await database.OpenAsync();
            // Only when missing: a tenant's own role may own its schema without the right to create schemas.
            if (await c.ScalarAsync<long>("SELECT COUNT(*) FROM pg_namespace WHERE nspname = @s", null, ("s", schema)) == 0)
                await c.ExecuteAsync($"CREATE SCHEMA \"{schema}\"");
        }
        await database.MigrateAsync(typeof(TenantDirectory).Assembly);
    }

    /// <summary>
    /// The connection string with the tenant's schema as search path. A tenant's <paramref name="own"/> string may name
    /// its schema itself; the shared one's search path is always replaced, or tenants would share a schema.
    /// </summary>
    private static string TenantSchema(string connectionString, string schema, bool own)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (own && !string.IsNullOrWhiteSpace(builder.SearchPath)) schema = builder.SearchPath;
        if (!schema.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_')) throw new InvalidOperationException($"Bad tenant schema name '{schema}'");
        builder.SearchPath = schema;
        return builder.ToString();
    }

    /// <summary>
    /// Refuses, before anything is made, a caller that belongs to two or more tenants and holds a role besides: roles other
    /// than <c>tenant:</c> name no tenant (<c>affair:child-allowance</c>, <c>copies</c>), so such a caller would hold each of
    /// them in every tenant it belongs to, asking in one agency's name for an affair given to it in another. A system serving
    /// several agencies gets one caller, and one token, per tenant. Each caller also needs a name of its own (a batch goes on
    /// only while the caller of that name still holds its affair), which every service checks (<see cref="CallerOptions.CheckNames"/>).
    /// </summary>
    public static void CheckCallers(IReadOnlyList<Caller> callers)
    {
        foreach (var caller in callers)
        {
            var tenants = caller.Permissions.Where(p => p.StartsWith(TenantRole, StringComparison.Ordinal)).Distinct().ToList();
            var others = caller.Permissions.Where(p => !p.StartsWith(TenantRole, StringComparison.Ordinal)).Distinct().ToList();
            if (tenants.Count < 2 || others.Count == 0) continue;
            // Named with their prefix: two ids with only ", " between them would read, and be masked, as an Individual Number.
            var (name, names, roles) = (LogText.Safe(caller.Name), LogText.Safe(string.Join(", ", tenants)),
                LogText.Safe(string.Join(", ", others)));
            throw new InvalidOperationException($"呼出元「{name}」は複数の機関（{names}）に属し、機関を限らない権限（{roles}）をすべての機関で持つことになります。" +
                $"機関ごとに別の呼出元とトークンにしてください。何も作っていません / caller '{name}' belongs to several tenants ({names}) and would hold " +
                $"{roles} in each of them: give it one caller and token per tenant; nothing was made");
        }
    }

    private const string TenantRole = "tenant:";

    /// <summary>
    /// The tenant a staff member or system may act in: it must exist and the caller must belong to
    /// it (<c>tenant:{agencyId}</c>); membership of another tenant, or admin, is not enough.
    /// </summary>
    public (Tenant? Tenant, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Problem) Enter(ClaimsPrincipal user, string agencyId, string? role = null)
    {
        if (Find(agencyId) is not { } tenant)
            return (null, Problems.NotFound("unknown-tenant", "この中間サーバーに該当する機関はありません / No such tenant on this node",
                $"「{Problems.Shown(agencyId)}」はこの中間サーバーにはありません / '{Problems.Shown(agencyId)}' is not hosted here."));
        if (!user.IsInRole("tenant:" + agencyId))
            return (null, Problems.Result(403, "another-tenant", "他の機関のデータにはアクセスできません / This caller belongs to another tenant",
                "自分の機関のデータしか扱えません / A caller may act only in its own agency's tenant."));
        if (role is not null && !user.IsInRole(role))
            return (null, Problems.Result(403, "forbidden", "この操作の権限がありません / Not permitted",
                $"権限「{role}」がありません / The caller lacks '{role}'."));
        return (tenant, null);
    }
}
