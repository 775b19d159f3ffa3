using System.Diagnostics;
using Renkei.Testing;

namespace Renkei.Node.Tests.Hosting;

public class ServiceProcessTests
{
    [Fact]
    public async Task A_service_process_with_a_missing_certificate_file_says_so_in_one_line_naming_the_full_path()
    {
        using var folder = new TempFolder();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Renkei.Node.dll"), "--urls", "https://127.0.0.1:0"])
        {
            WorkingDirectory = folder.Path,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.Environment["Node__DataFolder"] = folder.File("node");
        start.Environment["Tls__CertificateFile"] = "node.pem"; // relative, as a first try often is
        start.Environment["Tls__KeyFile"] = "node.key";
        start.Environment["Tls__CaFile"] = "network-ca.pem";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(1, process.ExitCode);
        var said = (await error).TrimEnd();
        Assert.Equal($"起動できません / cannot start: Tls:CertificateFile のファイルがありません / the file named by Tls:CertificateFile does not exist: {folder.File("node.pem")}", said);
    }
}
