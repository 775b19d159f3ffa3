using Renkei.Cli;

return await CommandTree.Create().Parse(args).InvokeAsync();
