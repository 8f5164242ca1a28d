using Fleet.Bench;

var clusters = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1000;
var apps = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
return await ReconcileBenchmark.RunAsync(clusters, apps);
