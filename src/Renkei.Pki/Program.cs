using Renkei.Pki;

return await Renkei.Hosting.ServiceProcess.RunAsync(() => PkiApp.Create(args));

/// <summary>The PKI as its own process; <see cref="PkiApp"/> builds it.</summary>
public partial class Program;
