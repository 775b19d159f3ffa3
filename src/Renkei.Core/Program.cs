using Renkei.Core;

return await Renkei.Hosting.ServiceProcess.RunAsync(() => CoreApp.Create(args));

/// <summary>The Core as its own process; <see cref="CoreApp"/> builds it.</summary>
public partial class Program;
