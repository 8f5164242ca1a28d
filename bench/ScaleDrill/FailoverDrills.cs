using System.Diagnostics;

namespace Fleet.Bench.ScaleDrill;

/// <summary>
/// The failover drills. Each prints what it checked and returns non-zero when anything was lost:
/// <list type="bullet">
/// <item><c>kill-silo</c>: a rollout in progress over N clusters, <c>kill -9</c> of one silo; the rollout completes
/// on the others, nothing is lost, the time to recover is printed.</item>
/// <item><c>restart-all</c>: every silo, the gateway and PostgreSQL stopped abruptly and started again; all state is
/// back and a new commit is picked up and rolled out with nobody touching the API.</item>
/// <item><c>db-outage</c>: PostgreSQL alone down for a while during a rollout; the silos keep running and report the
/// storage errors, and recover without losing any write the API acknowledged before the outage.</item>
/// </list>
/// </summary>
internal static class FailoverDrills
{
    /// <summary>Rolls out a tenth of the clusters at a time, so that the rollout is still in progress when a silo dies.</summary>
    private const string Rollout = "  rollout:\n    maxUnavailable: 10%";

    public static async Task<DrillChecks> KillSiloAsync(FailoverOptions o)
    {
        var checks = new DrillChecks(o.Log);
        o.Log($"kill-silo drill: {o.Silos} silos and a gateway on PostgreSQL, {o.Clusters} clusters, a rollout in waves of 10%, kill -9 of one silo");
        await using var drill = await DrillCluster.StartAsync(o);
        var (commit, begun) = await BeginRolloutAsync(drill, checks);
        var victim = drill.Silos[^1];
        var before = await drill.CountRunningAsync(0, 27);
        var killedAt = Stopwatch.StartNew();
        victim.Kill();
        o.Log($"killed {victim.Name} (pid {victim.Id}) with {before}/{o.Clusters} clusters on the new revision");
        checks.Check("the rollout was in progress at the kill", begun && before < o.Clusters, $"{before} of {o.Clusters} on the new revision");

        var completed = await drill.WaitAllRunAsync(0, 27, "clusters on the new revision after the kill");
        var recovered = killedAt.Elapsed;
        checks.Check("the rollout completed on the surviving silos", completed, $"{recovered.TotalSeconds:0.0} s after the kill");
        await WaitReadyAsync(drill, 0, commit, o);
        await drill.CheckConvergedAsync(checks, 0, 27, commit);
        checks.Check("the surviving silos and the gateway kept running", drill.Silos.Where(s => s != victim).Append(drill.Gateway!).All(s => !s.HasExited), "no process exited");
        o.Log($"time to recover: every cluster on the new revision {recovered.TotalSeconds:0.0} s after kill -9 of {victim.Name}");
        return checks;
    }

    public static async Task<DrillChecks> RestartAllAsync(FailoverOptions o)
    {
        var checks = new DrillChecks(o.Log);
        o.Log($"restart-all drill: {o.Silos} silos, a gateway and PostgreSQL, {o.Clusters} clusters; everything killed and started again");
        await using var drill = await DrillCluster.StartAsync(o);
        await drill.PutApplicationAsync(0);
        checks.Check("first revision on every cluster", await drill.WaitAllRunAsync(0, 25, "clusters on the first revision"), "before the drill");
        var first = drill.Repo.Git("rev-parse", "HEAD").Trim();
        await WaitReadyAsync(drill, 0, first, o);
        var countsBefore = await drill.Database.CountByKindAsync(DrillFleet.Ns);
        var readyBefore = await drill.Database.ReadyPlacementsAsync(DrillFleet.Ns, first);

        drill.KillProcesses();
        await drill.Postgres.StopAsync();
        o.Log("killed every silo and the gateway, stopped PostgreSQL (immediate); starting them again");
        var restart = Stopwatch.StartNew();
        await drill.Postgres.StartServerAsync();
        DrillDatabase.ForgetConnections();
        await drill.StartProcessesAsync();

        var countsAfter = await drill.Database.CountByKindAsync(DrillFleet.Ns);
        foreach (var (kind, n) in countsBefore.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            checks.Check($"{kind} objects back", countsAfter.GetValueOrDefault(kind) == n, $"{n} before, {countsAfter.GetValueOrDefault(kind)} after");
        }

        var readyAfter = await drill.Database.ReadyPlacementsAsync(DrillFleet.Ns, first);
        checks.Check("placements still Ready on the revision they had", readyAfter == readyBefore, $"{readyBefore} before, {readyAfter} after");

        // Nobody touches the API from here: the source's interval finds the commit, the rollout follows.
        var commit = drill.Commit(27);
        o.Log("committed a new revision; no webhook, no API call");
        var resumed = await drill.WaitAllRunAsync(0, 27, "clusters on the commit made after the restart");
        checks.Check("reconciliation resumed by itself", resumed, $"every cluster on the new revision {restart.Elapsed.TotalSeconds:0.0} s after the restart began");
        await WaitReadyAsync(drill, 0, commit, o);
        await drill.CheckConvergedAsync(checks, 0, 27, commit);
        return checks;
    }

    public static async Task<DrillChecks> DatabaseOutageAsync(FailoverOptions o)
    {
        var checks = new DrillChecks(o.Log);
        o.Log($"db-outage drill: {o.Silos} silos and a gateway, {o.Clusters} clusters; PostgreSQL down for {o.Outage.TotalSeconds:0} s during a rollout");
        await using var drill = await DrillCluster.StartAsync(o);
        var (commit, _) = await BeginRolloutAsync(drill, checks);

        // Writes the API acknowledges right before the outage: a second application and labels on a tenth of the clusters.
        await drill.PutApplicationAsync(1);
        var relabelled = drill.Sim.Names.Where((_, i) => i % 10 == 0).ToList();
        foreach (var name in relabelled)
        {
            await drill.Api.PutAsync("clusters", name, DrillFleet.ClusterYaml(drill.Sim, name, Fleet.Abstractions.Resources.GoDuration.Format(o.Interval)).Replace("{env: drill}", "{env: drill, acked: \"yes\"}", StringComparison.Ordinal));
        }

        o.Log($"acknowledged before the outage: application app-1 and the label acked=yes on {relabelled.Count} clusters");
        await drill.Postgres.StopAsync();
        var outage = Stopwatch.StartNew();
        o.Log($"PostgreSQL stopped; down for {o.Outage.TotalSeconds:0} s");
        var refused = 0;
        var notReady = new HashSet<string>(StringComparer.Ordinal);
        while (outage.Elapsed < o.Outage)
        {
            // Observing the silos while the database is down (the outage lasts a fixed time by design).
            await Task.Delay(TimeSpan.FromSeconds(2));
            foreach (var p in drill.Silos.Append(drill.Gateway!))
            {
                if (!p.HasExited && !await ReadyAsync(p.Gateway))
                {
                    notReady.Add(p.Name);
                }
            }

            try
            {
                await drill.Api.PutAsync("secrets", "during-outage", "apiVersion: fleet.dev/v1\nkind: Secret\nmetadata: {name: during-outage}\nstringData: {k: v}\n");
            }
            catch (HttpRequestException)
            {
                refused++;
            }
        }

        var alive = drill.Silos.Append(drill.Gateway!).All(p => !p.HasExited);
        checks.Check("every silo and the gateway kept running through the outage", alive, string.Join(", ", drill.Silos.Append(drill.Gateway!).Select(p => $"{p.Name} {(p.HasExited ? "exited" : "running")}")));
        checks.Check("the storage errors were reported (/readyz not ready)", notReady.Count == drill.Silos.Count + 1, $"not ready: {string.Join(", ", notReady.Order(StringComparer.Ordinal))}");
        checks.Check("writes during the outage were refused, not acknowledged", refused > 0, $"{refused} refused");
        var storageErrors = drill.Silos.Sum(s => s.Output.Split('\n').Count(l => l.Contains("Npgsql", StringComparison.Ordinal) || l.Contains("storage", StringComparison.OrdinalIgnoreCase)));
        o.Log($"  log lines of the silos naming storage or Npgsql: {storageErrors}");

        await drill.Postgres.StartServerAsync();
        DrillDatabase.ForgetConnections();
        var back = Stopwatch.StartNew();
        o.Log("PostgreSQL started again");
        var completed = await drill.WaitAllRunAsync(0, 27, "clusters on the new revision of app-0 after the outage");
        checks.Check("the rollout completed after the outage", completed, $"{back.Elapsed.TotalSeconds:0.0} s after PostgreSQL came back");
        var app1 = await drill.WaitAllRunAsync(1, 27, "clusters running app-1 (created before the outage)");
        checks.Check("the application acknowledged before the outage was deployed everywhere", app1, $"{back.Elapsed.TotalSeconds:0.0} s after PostgreSQL came back");
        var labelled = 0;
        foreach (var name in relabelled)
        {
            if ((await drill.Api.GetAsync("clusters", name))?["metadata"]?["labels"]?["acked"]?.GetValue<string>() == "yes")
            {
                labelled++;
            }
        }

        checks.Check("every label acknowledged before the outage is there", labelled == relabelled.Count, $"{labelled} of {relabelled.Count}");
        await WaitReadyAsync(drill, 0, commit, o);
        await drill.CheckConvergedAsync(checks, 0, 27, commit);
        var readyAgain = true;
        foreach (var p in drill.Silos.Append(drill.Gateway!))
        {
            readyAgain &= await ReadyAsync(p.Gateway);
        }

        checks.Check("every process ready again (/readyz)", readyAgain, "after the outage");
        return checks;
    }

    /// <summary>
    /// Application app-0 with a rollout in waves, on the first revision everywhere; then a commit of a new image,
    /// announced through the webhook, until its first wave reaches a cluster. Returns the commit and whether it began.
    /// </summary>
    private static async Task<(string Commit, bool Begun)> BeginRolloutAsync(DrillCluster drill, DrillChecks checks)
    {
        await drill.PutApplicationAsync(0, Rollout);
        checks.Check("first revision on every cluster", await drill.WaitAllRunAsync(0, 25, "clusters on the first revision"), "before the drill");
        var commit = drill.Commit(27);
        await drill.Api.PostHookAsync(drill.WebhookPath);
        var begun = await ScaleRun.PollAsync(Stopwatch.StartNew(), drill.Options.Timeout, async () => (Math.Min(1, await drill.CountRunningAsync(0, 27)), 1), "rollout begun");
        return (commit, begun);
    }

    /// <summary>Waits (up to the timeout) for the application to report Ready on the commit; the checks that follow say whether it did.</summary>
    private static async Task WaitReadyAsync(DrillCluster drill, int app, string commit, FailoverOptions o)
    {
        await ScaleRun.PollAsync(Stopwatch.StartNew(), o.Timeout, async () =>
        {
            var a = await drill.Api.GetAsync("applications", $"app-{app}");
            return (FleetApi.Condition(a, "Ready") == "True" && FleetApi.Field(a, "lastAppliedRevision")?.Contains(commit, StringComparison.Ordinal) == true ? 1 : 0, 1);
        }, $"app-{app} Ready");
    }

    private static async Task<bool> ReadyAsync(Uri process)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            return (await http.GetAsync(new Uri(process, "readyz"))).IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}
