using System.CommandLine;
using Fleet.Abstractions.Resources;

namespace Fleet.Bench.ScaleDrill;

/// <summary>
/// The command line: <c>scale</c> (the default) and the failover drills <c>kill-silo</c>, <c>restart-all</c> and
/// <c>db-outage</c>. Documented in docs/scale.md.
/// </summary>
internal static class DrillCommands
{
    public static RootCommand Create()
    {
        var clusters = new Option<int>("--clusters", "-n") { Description = "KubeSim clusters (N)", DefaultValueFactory = _ => 1000 };
        var apps = new Option<int>("--apps", "-m") { Description = "applications of about 20 objects each, selecting every cluster (M)", DefaultValueFactory = _ => 5 };
        var interval = Duration("--interval", "the interval of the clusters, the source and the applications", "10m");
        var steady = Duration("--steady", "how long the steady state is measured (figures are scaled to one interval)", "1m");
        var settle = new Option<TimeSpan>("--settle")
        {
            Description = "how long to wait after the commits before measuring the steady state (default 0s; one --interval puts the window on the placements' first drift checks, which come up to an interval after their last apply)",
            CustomParser = result => GoDuration.TryParse(result.Tokens.Count > 0 ? result.Tokens[0].Value : "0s", out var value) && value >= TimeSpan.Zero
                ? value
                : Invalid(result, "--settle"),
            DefaultValueFactory = _ => TimeSpan.Zero,
        };
        var timeout = Duration("--timeout", "the longest wait for the cold start, and again for the commit to be applied", "30m");
        var output = new Option<string>("--out") { Description = "where the JSON file and the PNG plots go", DefaultValueFactory = _ => ".tmp/scale-drill" };

        var root = new RootCommand("Fleet's scale drill (KubeSim, one silo on PostgreSQL, webhooks on) and failover drills")
        {
            clusters, apps, interval, steady, settle, timeout, output,
        };
        root.SetAction((parse, _) => ScaleRun.RunAsync(new ScaleOptions
        {
            Clusters = Positive(parse.GetValue(clusters), "--clusters"),
            Apps = Positive(parse.GetValue(apps), "--apps"),
            Interval = parse.GetValue(interval),
            Steady = parse.GetValue(steady),
            Settle = parse.GetValue(settle),
            Timeout = parse.GetValue(timeout),
            Out = parse.GetValue(output)!,
        }));

        root.Subcommands.Add(Failover("kill-silo", "a rollout in progress over N clusters, kill -9 of one silo: the rollout completes, nothing lost", FailoverDrills.KillSiloAsync));
        root.Subcommands.Add(Failover("restart-all", "every silo, the gateway and PostgreSQL killed and started again: all state back, reconciliation resumes by itself", FailoverDrills.RestartAllAsync));
        root.Subcommands.Add(Failover("db-outage", "PostgreSQL down during a rollout: silos keep running, report it, and lose no acknowledged write", FailoverDrills.DatabaseOutageAsync));
        return root;
    }

    private static Command Failover(string name, string description, Func<FailoverOptions, Task<DrillChecks>> drill)
    {
        var clusters = new Option<int>("--clusters", "-n") { Description = "KubeSim clusters", DefaultValueFactory = _ => 1000 };
        var silos = new Option<int>("--silos") { Description = "silo processes (a separate gateway process runs beside them)", DefaultValueFactory = _ => 2 };
        var outage = Duration("--outage", "how long PostgreSQL stays down (db-outage)", "60s");
        var interval = Duration("--interval", "the interval of the source and the applications", "1m");
        var timeout = Duration("--timeout", "the longest wait for any one step", "15m");
        var command = new Command(name, description) { clusters, silos, outage, interval, timeout };
        command.SetAction(async (parse, _) =>
        {
            try
            {
                var checks = await drill(new FailoverOptions
                {
                    Clusters = Positive(parse.GetValue(clusters), "--clusters"),
                    Silos = Math.Max(2, parse.GetValue(silos)),
                    Outage = parse.GetValue(outage),
                    Interval = parse.GetValue(interval),
                    Timeout = parse.GetValue(timeout),
                });
                return checks.Verdict(name);
            }
            catch (Exception e)
            {
                // The drill could not run to its checks: say why (a silo that did not start, PostgreSQL missing).
                Console.Error.WriteLine($"{name}: the drill failed before its checks: {e}");
                return 2;
            }
        });
        return command;
    }

    private static Option<TimeSpan> Duration(string name, string description, string fallback)
    {
        var option = new Option<TimeSpan>(name)
        {
            Description = $"{description} (a duration like 30s, 10m; default {fallback})",
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : fallback;
                if (GoDuration.TryParse(text, out var value) && value > TimeSpan.Zero)
                {
                    return value;
                }

                result.AddError($"{name}: \"{text}\" is not a duration (like 30s, 10m, 1h)");
                return default;
            },
            DefaultValueFactory = _ => GoDuration.Parse(fallback, TimeSpan.Zero),
        };
        return option;
    }

    private static TimeSpan Invalid(System.CommandLine.Parsing.ArgumentResult result, string name)
    {
        result.AddError($"{name}: \"{result.Tokens[0].Value}\" is not a duration (like 0s, 10m)");
        return default;
    }

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1");
}
