using System.CommandLine;
using Renkei.Testing;

namespace Renkei.Cli.Tests;

/// <summary>Checks over the whole <c>renkei</c> command tree, so that a command added later is held to them too.</summary>
public class CommandTreeTests
{
    private static IEnumerable<(string Path, Command Command)> Commands(Command command, string path)
    {
        yield return (path, command);
        foreach (var sub in command.Subcommands)
            foreach (var found in Commands(sub, $"{path} {sub.Name}")) yield return found;
    }

    private static List<(string Path, Command Command)> All() => [.. Commands(CommandTree.Create(), "renkei")];

    [Fact]
    public void Every_command_that_takes_data_refuses_a_file_as_its_data_folder()
    {
        using var folder = new TempFolder();
        var file = folder.File("not-a-folder");
        File.WriteAllText(file, "");
        var commands = All().Where(c => c.Command.Options.Any(o => o.Name == "--data")).ToList();
        Assert.True(commands.Count >= 10, $"only {commands.Count} commands take --data");
        foreach (var (path, _) in commands)
        {
            foreach (var data in new[] { file, Path.Combine(file, "below") })
            {
                var errors = CommandTree.Create().Parse([.. path.Split(' ').Skip(1), "--data", data]).Errors.Select(e => e.Message).ToList();
                Assert.True(errors.Any(e => e.Contains("--data") && e.Contains("はファイルです") && e.Contains("is a file")), $"{path} --data {data}: {string.Join("; ", errors)}");
            }
        }
    }

    [Fact]
    public async Task A_file_as_the_data_folder_is_a_clear_error_without_a_stack_trace()
    {
        using var folder = new TempFolder();
        var file = folder.File("data");
        File.WriteAllText(file, "");
        foreach (var args in new[] { new[] { "up", "--data", file, "--port", "0" }, ["pki", "chain", "--data", file], ["registry", "seed", "--data", file, "--municipalities", "1", "--residents", "1"] })
        {
            var result = await RenkeiCommand.RunAsync(args);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("--data はフォルダです", result.Error);
            Assert.DoesNotContain("   at ", result.Error);
        }
        // The default, ./data, is checked as well.
        var byDefault = await RenkeiCommand.RunAsync(["pki", "chain"], null, TimeSpan.FromMinutes(1), folder.Path);
        Assert.Equal(1, byDefault.ExitCode);
        Assert.Contains("--data はフォルダです", byDefault.Error);
        Assert.Equal("", File.ReadAllText(file));
    }
}
