using System.Diagnostics;
using System.Security.Cryptography;
using Fleet.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Bench.ScaleDrill;

/// <summary>The sizes and times of a scale run.</summary>
internal sealed record ScaleOptions
{
    public int Clusters { get; init; } = 1000;

    public int Apps { get; init; } = 5;

    /// <summary>The interval of the clusters, the source and the applications (the drift check of each placement).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long the steady state is measured; the figures are scaled to one <see cref="Interval"/>.</summary>
    public TimeSpan Steady { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The wait between the commits and the steady-state window.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.Zero;

    /// <summary>Longest wait for the cold start and for the commit to be applied everywhere.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long KubeSim takes to make a Deployment ready.</summary>
    public TimeSpan ReadyDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public string Out { get; init; } = ".tmp/scale-drill";
}

/// <summary>
/// The scale drill: KubeSim with N clusters in its own process, one silo (embedded in this process, so its heap can be
/// measured) on PostgreSQL with Orleans' ADO.NET clustering, persistence and reminders, a Git repository with M
/// applications of about 20 objects selecting every cluster, and a Receiver whose webhook announces the commit.
/// Measures the cold start, commit to applied, the steady state and memory; prints a table, writes a JSON file and
/// PNG plots.
/// </summary>
internal static class ScaleRun
{
    public static async Task<int> RunAsync(ScaleOptions o)
    {
        ChildProcesses.Install();
        var placements = (long)o.Clusters * o.Apps;
        var report = new Report(o.Out);
        report.Note("run", "command", "dotnet run -c Release --project bench/ScaleDrill -- " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)));
        report.Note("run", "machine", $"{Environment.ProcessorCount} cores, load average {LoadAverage()}");
        report.Add("run", "clusters", "clusters", o.Clusters, "", "0");
        report.Add("run", "applications", "applications", o.Apps, "", "0");
        report.Add("run", "placements", "placements", placements, "", "0");
        report.Add("run", "intervalSeconds", "interval", o.Interval.TotalSeconds, "s", "0");
        Console.WriteLine($"scale drill: {o.Clusters} KubeSim clusters x {o.Apps} applications = {placements} placements, one silo on PostgreSQL, interval {o.Interval}, {Environment.ProcessorCount} cores");

        var root = Directory.CreateTempSubdirectory("fleet-scale-drill-").FullName;
        await using var pg = await PostgresServer.StartAsync();
        ChildProcesses.OnExit(() => pg.DisposeAsync().AsTask().GetAwaiter().GetResult());
        var cs = DrillDatabase.ForSilos(await pg.CreateDatabaseAsync("fleet"));
        var db = new DrillDatabase(cs);
        using var sim = await KubeSimProcess.StartAsync(o.Clusters, o.ReadyDelay);
        using var repo = new GitRepo(root);
        DrillFleet.WriteApps(repo, o.Apps, DrillFleet.Image(25));
        repo.Commit("first");

        var logs = new CountingLoggerProvider();
        var http = SiloProcess.FreePort();
        var silo = await Fleet.Silo.EmbeddedSilo.StartAsync(
            ["--urls", $"http://127.0.0.1:{http}", $"--Fleet:DataDirectory={Path.Combine(root, "silo")}", "--Fleet:Store:Provider=Postgres",
             $"--Fleet:Store:ConnectionString={cs}", "--Fleet:Clustering=AdoNet", $"--Fleet:SecretKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}",
             $"--Fleet:SiloPort={SiloProcess.FreePort()}", $"--Fleet:GatewayPort={SiloProcess.FreePort()}", $"--Fleet:Gateway:AllowedFileRoots={root}",
             "--Fleet:Grpc:Port=0", Fleet.TestSupport.TestTokens.AdminArgument],
            logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(logs);
            });
        try
        {
            using var api = new FleetApi(new Uri($"http://127.0.0.1:{http}/"), DrillFleet.Ns);
            var interval = Fleet.Abstractions.Resources.GoDuration.Format(o.Interval);
            var register = Stopwatch.StartNew();
            var hook = await DrillFleet.RegisterAsync(api, sim, repo, interval);
            report.Add("setup", "registerSeconds", $"{o.Clusters} clusters registered through the API", register.Elapsed.TotalSeconds, "s");

            // 1. Cold start.
            var heapBefore = FullGcHeap();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var readySeries = new Series("placements Ready");
            var rssSeries = new Series("silo RSS (MiB)");
            var cold = Stopwatch.StartNew();
            for (var a = 0; a < o.Apps; a++)
            {
                await api.PutAsync("applications", $"app-{a}", DrillFleet.ApplicationYaml(a, interval));
            }

            var coldDone = await PollAsync(cold, o.Timeout, async () =>
            {
                var ready = await db.ReadyPlacementsAsync(DrillFleet.Ns);
                readySeries.Add(cold.Elapsed, ready);
                rssSeries.Add(cold.Elapsed, Environment.WorkingSet / 1048576.0);
                return (ready, placements);
            }, "placements Ready");
            var coldTime = cold.Elapsed;
            var coldCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            report.Add("cold start", "seconds", $"every placement Ready{(coldDone ? "" : " (NOT REACHED)")}", coldTime.TotalSeconds, "s");
            report.Add("cold start", "placementsPerSecond", "placements Ready per second", placements / coldTime.TotalSeconds, "/s");
            report.Add("cold start", "siloCpuSeconds", "silo CPU", coldCpu.TotalSeconds, "s");
            report.AddSeries("cold start", readySeries);

            // 2. Memory, with every placement active.
            var heapAfter = FullGcHeap();
            report.Add("memory", "siloRssMiB", "silo resident set", Environment.WorkingSet / 1048576.0, "MiB", "0");
            report.Add("memory", "siloPeakRssMiB", "silo peak resident set", Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, "MiB", "0");
            report.Add("memory", "managedHeapMiB", "managed heap after a full GC", heapAfter / 1048576.0, "MiB", "0");
            report.Add("memory", "heapBytesPerPlacement", "managed heap per placement (grains, state, caches)", (heapAfter - heapBefore) / (double)placements, "B", "0");
            report.Add("memory", "kubeSimRssMiB", "KubeSim resident set (not Fleet's)", (await sim.StatsAsync()).WorkingSet / 1048576.0, "MiB", "0");

            // 3. Commit to applied, twice. First the usual commit: one application's image changes (every application
            // still moves to the new revision of the repository). Then a commit that changes every application.
            var appliedSeries = new Series("clusters running the new app-0");
            var placementSeries = new Series("placements Ready on the new revision");
            var allAppliedSeries = new Series("clusters running the new app-0 (every application changed)");
            var allPlacementSeries = new Series("placements Ready on the new revision (every application changed)");
            var commitOk = coldDone
                && await CommitAsync(o, repo, api, hook, sim, db, report, "commit to applied", 1, 27, appliedSeries, placementSeries)
                && await CommitAsync(o, repo, api, hook, sim, db, report, "commit changing every application", o.Apps, 29, allAppliedSeries, allPlacementSeries);

            // 4. Steady state: nothing changes; what does Fleet cost per interval?
            var steadyCpu = new Series("silo CPU (% of the machine)");
            if (commitOk)
            {
                if (o.Settle > TimeSpan.Zero)
                {
                    // A placement that just applied skips its next reminder tick: its first drift check comes up to an
                    // interval later. Measuring from here puts the window on the drift checks of a settled fleet.
                    Console.WriteLine($"steady state: settling for {o.Settle.TotalSeconds:0} s first");
                    await Task.Delay(o.Settle);
                }

                Console.WriteLine($"steady state: measuring for {o.Steady.TotalSeconds:0} s");
                var (kubeBefore, _) = await sim.StatsAsync();
                var dbBefore = await db.CountersAsync();
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var steady = Stopwatch.StartNew();
                var lastCpu = cpu0;
                var lastAt = TimeSpan.Zero;
                while (steady.Elapsed < o.Steady)
                {
                    // Sampling the CPU curve; the measurement is over the whole window.
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, Math.Max(0.5, (o.Steady - steady.Elapsed).TotalSeconds))));
                    var now = Process.GetCurrentProcess().TotalProcessorTime;
                    var at = steady.Elapsed;
                    steadyCpu.Add(at, 100 * (now - lastCpu).TotalSeconds / ((at - lastAt).TotalSeconds * Environment.ProcessorCount));
                    (lastCpu, lastAt) = (now, at);
                }

                var wall = steady.Elapsed;
                var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
                var (kubeAfter, _) = await sim.StatsAsync();
                var dbDelta = await db.CountersAsync() - dbBefore;
                var perInterval = o.Interval / wall;
                report.Add("steady state", "settleSeconds", "waited after the commits", o.Settle.TotalSeconds, "s", "0");
                report.Add("steady state", "windowSeconds", "measured over", wall.TotalSeconds, "s", "0");
                report.Add("steady state", "cpuShareOfMachine", $"silo CPU share of the machine ({Environment.ProcessorCount} cores)", 100 * cpu.TotalSeconds / (wall.TotalSeconds * Environment.ProcessorCount), "%", "0.0");
                report.Add("steady state", "cpuShareOfOneCore", "silo CPU share of one core", 100 * cpu.TotalSeconds / wall.TotalSeconds, "%", "0.0");
                report.Add("steady state", "kubeRequestsPerPlacementPerInterval", "Kubernetes requests per placement per interval", (kubeAfter - kubeBefore) * perInterval / placements, "", "0.00");
                report.Add("steady state", "dbTransactionsPerInterval", "database transactions per interval", dbDelta.Transactions * perInterval, "", "0");
                report.Add("steady state", "dbRowsWrittenPerInterval", "database rows written per interval", dbDelta.RowsWritten * perInterval, "", "0");
                report.AddSeries("steady state", steadyCpu);
            }

            // The commits activate placements by the ten thousand: the peak of the whole run, not only of the cold start.
            report.Add("memory", "siloPeakRssWholeRunMiB", "silo peak resident set, whole run", Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, "MiB", "0");
            report.Add("silo log", "warnings", "warnings logged", logs.Warnings.Values.Sum(), "", "0");
            report.Add("silo log", "errors", "errors logged", logs.Errors.Values.Sum(), "", "0");
            foreach (var (kind, counts) in new[] { ("errors", logs.Errors), ("warnings", logs.Warnings) })
            {
                foreach (var (category, n) in counts.OrderByDescending(e => e.Value).Take(5))
                {
                    report.Note("silo log", $"{kind}: {category}", n.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    Console.WriteLine($"  silo log: {n} {kind} from {category}");
                }
            }

            report.AddSeries("memory", rssSeries);
            report.Write();
            report.Plot("cold-start.png", $"Cold start: {o.Clusters} clusters x {o.Apps} applications", "placements Ready", readySeries);
            report.Plot("commit-to-applied.png", $"Commit to applied on {o.Clusters} clusters (after the webhook): app-0 changed", "count", appliedSeries, placementSeries);
            report.Plot("commit-every-application.png", $"Commit to applied on {o.Clusters} clusters (after the webhook): every application changed", "count", allAppliedSeries, allPlacementSeries);
            report.Plot("silo-memory.png", "Silo resident set during the cold start", "MiB", rssSeries);
            if (steadyCpu.Points.Count > 0)
            {
                report.Plot("steady-cpu.png", $"Steady state, interval {interval}", "% of the machine", steadyCpu);
            }

            return coldDone && commitOk ? 0 : 1;
        }
        finally
        {
            await silo.StopAsync();
            await silo.DisposeAsync();
            TryDelete(root);
        }
    }

    /// <summary>
    /// Commits a new image for the first <paramref name="changed"/> applications, announces it through the webhook and
    /// measures until app-0 runs it on every cluster (read from KubeSim, not from Fleet) and every placement is Ready
    /// on the new revision (those of unchanged applications too).
    /// </summary>
    private static async Task<bool> CommitAsync(ScaleOptions o, GitRepo repo, FleetApi api, string hook, KubeSimProcess sim, DrillDatabase db, Report report,
        string section, int changed, int version, Series appliedSeries, Series placementSeries)
    {
        var placements = (long)o.Clusters * o.Apps;
        var image = DrillFleet.Image(version);
        Console.WriteLine($"{section}: a commit changing the image of {(changed == 1 ? "app-0" : $"all {changed} applications")}");
        DrillFleet.WriteApps(repo, changed, image);
        var commit = repo.Commit($"{image} for {changed} application(s)");
        var rollout = Stopwatch.StartNew();
        var committedAt = DateTimeOffset.UtcNow;
        await api.PostHookAsync(hook);
        var applied = new List<double>();
        var pending = sim.Names.ToList();
        long atRevision = 0;
        TimeSpan? allPlacements = null;
        var ok = await PollAsync(rollout, o.Timeout, async () =>
        {
            if (pending.Count > 0)
            {
                // When each cluster got the image, from the Deployment itself (its managedFields time, whole seconds,
                // counted to the end of that second), not from when this poll happened to look.
                var seen = await sim.RunningSinceAsync(pending, DrillFleet.AppNamespace(0), DrillFleet.Deployment, image);
                applied.AddRange(seen.Where(c => c.Since is not null).Select(c => Math.Min(rollout.Elapsed.TotalSeconds, (c.Since!.Value.AddSeconds(1) - committedAt).TotalSeconds)));
                pending = [.. seen.Where(c => c.Since is null).Select(c => c.Cluster)];
                appliedSeries.Add(rollout.Elapsed, o.Clusters - pending.Count);
            }

            if (allPlacements is null)
            {
                atRevision = await db.ReadyPlacementsAsync(DrillFleet.Ns, commit);
                placementSeries.Add(rollout.Elapsed, atRevision);
                if (atRevision == placements)
                {
                    allPlacements = rollout.Elapsed;
                }
            }

            return (Math.Min(o.Clusters - pending.Count, atRevision / Math.Max(1, o.Apps)), o.Clusters);
        }, "clusters on the new revision");
        applied.Sort();
        report.Add(section, "applicationsChanged", "applications whose manifests changed", changed, "", "0");
        report.Add(section, "p50Seconds", "app-0 on a cluster, p50", Percentile(applied, 0.50), "s", "0.0");
        report.Add(section, "p95Seconds", "app-0 on a cluster, p95", Percentile(applied, 0.95), "s", "0.0");
        report.Add(section, "p99Seconds", "app-0 on a cluster, p99", Percentile(applied, 0.99), "s", "0.0");
        report.Add(section, "maxSeconds", $"app-0 on every cluster{(pending.Count == 0 ? "" : $" (NOT REACHED: {pending.Count} left)")}", applied.Count == 0 ? double.NaN : applied[^1], "s", "0.0");
        report.Add(section, "allPlacementsSeconds", $"all {placements} placements Ready on the new revision{(allPlacements is null ? " (NOT REACHED)" : "")}", allPlacements?.TotalSeconds ?? double.NaN, "s", "0.0");
        report.AddSeries(section, appliedSeries);
        report.AddSeries(section, placementSeries);
        return ok;
    }

    /// <summary>
    /// Polls <paramref name="progress"/> (done, total) until done reaches total or the timeout passes; prints progress
    /// every 10 s. The pause between polls grows with what a poll costs, so that counting never becomes the load.
    /// </summary>
    internal static async Task<bool> PollAsync(Stopwatch clock, TimeSpan timeout, Func<Task<(long Done, long Total)>> progress, string what)
    {
        var lastPrint = TimeSpan.Zero;
        while (true)
        {
            var start = clock.Elapsed;
            var (done, total) = await progress();
            if (clock.Elapsed - lastPrint >= TimeSpan.FromSeconds(10) || done >= total)
            {
                lastPrint = clock.Elapsed;
                Console.WriteLine($"  {clock.Elapsed.TotalSeconds,7:0.0} s  {done}/{total} {what}");
            }

            if (done >= total)
            {
                return true;
            }

            if (clock.Elapsed > timeout)
            {
                Console.WriteLine($"  gave up after {timeout}: {done}/{total} {what}");
                return false;
            }

            var cost = clock.Elapsed - start;
            // Polling an observable condition, at most every second.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1000, 2 * cost.TotalMilliseconds)));
        }
    }

    internal static double Percentile(List<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static long FullGcHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(true);
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    internal static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A file of a killed process; the temporary directory is cleaned by the OS.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
