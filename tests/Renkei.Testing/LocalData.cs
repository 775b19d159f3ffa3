using System.Runtime.CompilerServices;

namespace Renkei.Testing;

/// <summary>
/// The user's local data folder, for the tests and the commands they start: <c>renkei</c> keeps its data folders' port claims
/// there (FolderPort), and a test run's belong beside the tests, not in the home of whoever runs them.
/// </summary>
public static class LocalData
{
    /// <summary>
    /// A local data folder of its own for one command a test starts: tests run side by side, and one test's folder claiming
    /// 7100 moved another's new folder to 7110, with a line on standard error that test did not expect.
    /// </summary>
    public static string ForOneCommand() => Path.Combine(AppContext.BaseDirectory, "local-data", "commands", Guid.NewGuid().ToString("N"));

    // Meant for applications, but here it is what sets the folder before any test in any test project can use it.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void BesideTheTests() =>
        Environment.SetEnvironmentVariable("XDG_DATA_HOME", Path.Combine(AppContext.BaseDirectory, "local-data"));
}
