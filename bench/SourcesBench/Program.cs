using Fleet.Sources.Bench;

return await SourcesBenchmark.RunAsync(args);
