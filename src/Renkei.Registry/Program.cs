using Renkei.Registry;

return await Renkei.Hosting.ServiceProcess.RunAsync(() => RegistryApp.Create(args));

/// <summary>The Registry as its own process; <see cref="RegistryApp"/> builds it.</summary>
public partial class Program;
