using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Renkei.Node.Tests;

/// <summary>A node built and not started, for tests of what it refuses or takes in at start.</summary>
internal static class NodeSettings
{
    /// <summary>NodeApp.Create on SQLite in <paramref name="folder"/>, the core at a closed address, Bunkyo as tenant 0, then <paramref name="extra"/>.</summary>
    internal static WebApplication Create(string folder, params (string Key, string? Value)[] extra) => Create(folder, _ => { }, extra);

    /// <summary>The same, with <paramref name="services"/> registered after the node's own.</summary>
    internal static WebApplication Create(string folder, Action<IServiceCollection> services, params (string Key, string? Value)[] extra) =>
        NodeApp.Create([], b =>
        {
            b.Configuration.AddInMemoryCollection(
            [
                new("Storage:Provider", "Sqlite"), new("Node:DataFolder", folder), new("Node:CoreAddress", "http://127.0.0.1:9/"),
                new("Node:Tenants:0:AgencyId", LinkageNetwork.Bunkyo), new("Node:Tenants:0:Name", "文京区"),
                .. extra.Select(e => new KeyValuePair<string, string?>(e.Key, e.Value)),
            ]);
            services(b.Services);
        });
}
