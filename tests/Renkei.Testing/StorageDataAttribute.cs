using System.Reflection;
using Renkei.Hosting.Storage;
using Xunit.Sdk;

namespace Renkei.Testing;

/// <summary>
/// Runs a <c>[Theory]</c> once on SQLite and once on PostgreSQL: the test takes a
/// <see cref="StorageProvider"/> and asks <see cref="TestDatabases"/> for a fresh database.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class StorageDataAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) =>
        [[StorageProvider.Sqlite], [StorageProvider.Postgres]];
}
