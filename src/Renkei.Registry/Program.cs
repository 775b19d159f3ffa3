using Renkei.Registry;

var app = RegistryApp.Create(args);
await app.RunAsync();

/// <summary>The Registry as its own process; <see cref="RegistryApp"/> builds it.</summary>
public partial class Program;
