using Renkei.Node;

return await Renkei.Hosting.ServiceProcess.RunAsync(() => NodeApp.Create(args));

/// <summary>The Node as its own process; <see cref="NodeApp"/> builds it.</summary>
public partial class Program;
