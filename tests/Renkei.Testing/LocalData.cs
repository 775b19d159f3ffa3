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
    /// 7100 moved another's new folder to 7110, with a line on standard error that test did not expect. Under this run's
    /// <see cref="Commands"/>: one per command in the build output stayed there for good.
    /// </summary>
    public static string ForOneCommand() => Path.Combine(Commands, Guid.NewGuid().ToString("N"));

    /// <summary>
    /// A temporary folder for this test run's commands, removed when the run ends; each command's goes when the test lets go of
    /// it (<see cref="StartedProgram"/> disposed, or <see cref="DotnetApp.RunAsync"/> returned).
    /// </summary>
    public static string Commands { get; } = TempFolder.CreatePath();

    /// <summary>Removes <paramref name="folder"/> when it is one <see cref="ForOneCommand"/> gave, and nothing else.</summary>
    public static void Remove(string? folder)
    {
        if (folder is null || Path.GetDirectoryName(folder) != Commands) return;
        try { Directory.Delete(folder, recursive: true); } catch (DirectoryNotFoundException) { } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    // Meant for applications, but here it is what sets the folder before any test in any test project can use it.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void BesideTheTests()
    {
        Environment.SetEnvironmentVariable("XDG_DATA_HOME", Path.Combine(AppContext.BaseDirectory, "local-data"));
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(Commands, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
    }
}
