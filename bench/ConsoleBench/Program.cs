using Fleet.Bench;

return await ConsoleBenchmark.RunAsync(args);
