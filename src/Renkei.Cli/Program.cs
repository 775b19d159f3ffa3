using Renkei.Cli;
using Renkei.Hosting;

ServiceDefaults.UseInvariantFormats();
ServiceDefaults.KeepNewFilesPrivate();

return await CommandTree.RunAsync(args);
