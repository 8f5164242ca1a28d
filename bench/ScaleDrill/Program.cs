using System.CommandLine;
using Fleet.Bench.ScaleDrill;

return await DrillCommands.Create().Parse(args).InvokeAsync();
