using Fleet.Bench.Helm;

return HelmBenchmark.Run(args);
