using Microsoft.Extensions.Hosting;

namespace Renkei.Hosting;

/// <summary>
/// For services hosted inside another program (<c>renkei up</c>, tests): the program owns Ctrl+C and
/// SIGTERM and stops the services itself, so the host must not swallow those signals.
/// </summary>
public sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
