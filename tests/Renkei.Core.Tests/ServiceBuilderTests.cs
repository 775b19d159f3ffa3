using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Renkei.Hosting;

namespace Renkei.Core.Tests;

public class ServiceBuilderTests
{
    [Fact]
    public void Services_read_their_configuration_files_once_and_do_not_watch_the_content_root()
    {
        static List<FileConfigurationSource> Files(WebApplicationBuilder b) => b.Configuration.Sources.OfType<FileConfigurationSource>().ToList();
        // The framework's default watches appsettings files (and so the whole content root, data included) …
        Assert.Contains(Files(WebApplication.CreateBuilder([])), s => s.ReloadOnChange);
        // … the services' builder reads the same files without watching.
        var files = Files(ServiceDefaults.CreateBuilder([]));
        Assert.NotEmpty(files);
        Assert.All(files, s => Assert.False(s.ReloadOnChange));
        // An operator who wants the watch back says so on the command line.
        Assert.Contains(Files(ServiceDefaults.CreateBuilder(["--hostBuilder:reloadConfigOnChange=true"])), s => s.ReloadOnChange);
    }
}
