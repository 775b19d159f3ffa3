using Renkei.Node;

var app = NodeApp.Create(args);
await app.RunAsync();

/// <summary>The Node as its own process; <see cref="NodeApp"/> builds it.</summary>
public partial class Program;
