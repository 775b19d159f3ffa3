using System.CommandLine;
using Renkei.Cli.Network;
using Renkei.Cli.Numbers;

var root = new RootCommand("renkei: マイナンバー制度の基盤を動かす / run and use the Renkei network");
root.Subcommands.Add(UpCommand.Create());
root.Subcommands.Add(NumberCommands.Create());
root.Subcommands.Add(Renkei.Cli.Linkage.DemoCommand.Create());
root.Subcommands.Add(Renkei.Cli.Linkage.NodeCommands.Create());

// Benchmarks: each prints its figures last as one line of JSON.
var bench = new Command("bench", "性能を測る / measure throughput; the last line is JSON");
root.Subcommands.Add(bench);
bench.Subcommands.Add(Renkei.Cli.Bench.LinkageBench.Create());

return await root.Parse(args).InvokeAsync();
