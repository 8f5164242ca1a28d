using Fleet.Bench;

return await FleetBenchmark.RunAsync(args);
