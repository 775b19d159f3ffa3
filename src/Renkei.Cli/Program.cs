using System.CommandLine;
using Renkei.Cli.Network;
using Renkei.Cli.Numbers;

var root = new RootCommand("renkei: マイナンバー制度の基盤を動かす / run and use the Renkei network");
root.Subcommands.Add(UpCommand.Create());
root.Subcommands.Add(NumberCommands.Create());
return await root.Parse(args).InvokeAsync();
