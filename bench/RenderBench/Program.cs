using Fleet.Bench.Rendering;

return RenderBenchmark.Run(args);
