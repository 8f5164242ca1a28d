using Fleet.Bench.Runtime;

return await RuntimeBenchmark.RunAsync(args);
