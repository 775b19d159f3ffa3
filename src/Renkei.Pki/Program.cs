using Renkei.Pki;

var app = PkiApp.Create(args);
await app.RunAsync();

/// <summary>The PKI as its own process; <see cref="PkiApp"/> builds it.</summary>
public partial class Program;
