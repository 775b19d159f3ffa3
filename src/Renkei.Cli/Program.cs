using Renkei.Cli;

return await CommandTree.RunAsync(args);
