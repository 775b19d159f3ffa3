using Renkei.Core;

var app = CoreApp.Create(args);
await app.RunAsync();

/// <summary>The Core as its own process; <see cref="CoreApp"/> builds it.</summary>
public partial class Program;
