using Fleet.Kubernetes.Bench;

return await ApplyBenchmark.RunAsync(args);
