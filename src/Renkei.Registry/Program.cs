using Microsoft.Extensions.Configuration.Memory;
using Renkei.Registry;

// The Registry as its own process is a real register unless told otherwise: Registry:DemoData (the 14 demo municipalities
// and the demo corporations) is off here, under every other source, while renkei up and the tests host it with the demo data on.
return await Renkei.Hosting.ServiceProcess.RunAsync(() => RegistryApp.Create(args, builder =>
    builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = [new("Registry:DemoData", "false")] })));

/// <summary>The Registry as its own process; <see cref="RegistryApp"/> builds it.</summary>
public partial class Program;
