using System.Runtime.CompilerServices;

namespace Renkei.Testing;

/// <summary>
/// The user's local data folder, for the tests and the commands they start: <c>renkei</c> keeps its data folders' port claims
/// there (FolderPort), and a test run's belong beside the tests, not in the home of whoever runs them.
/// </summary>
internal static class LocalData
{
    // Meant for applications, but here it is what sets the folder before any test in any test project can use it.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void BesideTheTests() =>
        Environment.SetEnvironmentVariable("XDG_DATA_HOME", Path.Combine(AppContext.BaseDirectory, "local-data"));
}
