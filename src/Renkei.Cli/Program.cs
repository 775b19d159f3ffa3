using Renkei.Cli;
using Renkei.Hosting;

ServiceDefaults.UseInvariantFormats();

return await CommandTree.RunAsync(args);
