using System.Diagnostics;
using System.Security.Cryptography;
using Fleet.TestSupport;

namespace Fleet.Bench.ScaleDrill;

/// <summary>The sizes of a failover drill.</summary>
internal sealed record FailoverOptions
{
    public int Clusters { get; init; } = 1000;

    public int Silos { get; init; } = 2;

    /// <summary>How long PostgreSQL stays down in the outage drill.</summary>
    public TimeSpan Outage { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The interval of the source and the applications.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Longest wait for any one step (convergence, recovery).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Where progress goes (the console, or a test's output).</summary>
    public Action<string> Log { get; init; } = Console.WriteLine;
}

/// <summary>
/// The processes of a failover drill on loopback: PostgreSQL (Debian's, in a temporary directory), KubeSim with N
/// clusters, silo processes with Orleans' ADO.NET clustering, persistence and reminders on that database, and a
/// separate gateway process (<c>--role gateway</c>) serving the API. Every process is killed when the drill ends.
/// </summary>
internal sealed class DrillCluster : IAsyncDisposable
{
    private readonly string _root;
    private readonly string _connectionString;
    private readonly string[] _shared;
    private readonly string _interval;

    private DrillCluster(FailoverOptions options, string root, PostgresServer pg, string connectionString, KubeSimProcess sim, GitRepo repo)
    {
        Options = options;
        _root = root;
        Postgres = pg;
        _connectionString = connectionString;
        Sim = sim;
        Repo = repo;
        Database = new DrillDatabase(connectionString);
        _interval = Fleet.Abstractions.Resources.GoDuration.Format(options.Interval);
        _shared = ["--Fleet:Store:Provider=Postgres", $"--Fleet:Store:ConnectionString={connectionString}", "--Fleet:Clustering=AdoNet",
            $"--Fleet:SecretKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}"];
    }

    public FailoverOptions Options { get; }

    public PostgresServer Postgres { get; }

    public KubeSimProcess Sim { get; }

    public GitRepo Repo { get; }

    public DrillDatabase Database { get; }

    public List<SiloProcess> Silos { get; } = [];

    public SiloProcess? Gateway { get; private set; }

    public FleetApi Api => _api ?? throw new InvalidOperationException("the gateway is not running");

    public string WebhookPath { get; private set; } = "";

    private FleetApi? _api;
    private readonly Dictionary<string, (int Silo, int Gateway)> _ports = new(StringComparer.Ordinal);

    /// <summary>PostgreSQL, KubeSim, the repository at image version 25, the silos and the gateway; the clusters, source and receiver registered.</summary>
    public static async Task<DrillCluster> StartAsync(FailoverOptions options)
    {
        ChildProcesses.Install();
        var root = Directory.CreateTempSubdirectory("fleet-failover-drill-").FullName;
        var pg = await PostgresServer.StartAsync();
        ChildProcesses.OnExit(() => pg.DisposeAsync().AsTask().GetAwaiter().GetResult());
        var cs = DrillDatabase.ForSilos(await pg.CreateDatabaseAsync("fleet"));
        var sim = await KubeSimProcess.StartAsync(options.Clusters, TimeSpan.FromMilliseconds(300));
        var repo = new GitRepo(root);
        DrillFleet.WriteApps(repo, 2, DrillFleet.Image(25));
        repo.Commit("first");
        var drill = new DrillCluster(options, root, pg, cs, sim, repo);
        try
        {
            await drill.StartProcessesAsync();
            var setup = Stopwatch.StartNew();
            drill.WebhookPath = await DrillFleet.RegisterAsync(drill.Api, sim, repo, drill._interval);
            options.Log($"registered {options.Clusters} clusters, the source and the receiver in {setup.Elapsed.TotalSeconds:0.0} s");
            return drill;
        }
        catch
        {
            await drill.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the silos and then the gateway (on the data directories of any earlier run).</summary>
    public async Task StartProcessesAsync()
    {
        var start = Stopwatch.StartNew();
        // Together: a silo started again waits, before it joins, for every silo the membership table still lists
        // as active; started one after the other, the first would wait for the earlier generation of the second.
        Silos.AddRange(await Task.WhenAll(Enumerable.Range(0, Options.Silos).Select(i => StartAsync($"silo-{i}", [.. _shared, "--Fleet:Gateway=false"]))));

        Gateway = await StartAsync("gateway", [.. _shared, "--role", "gateway"]);
        _api?.Dispose();
        _api = new FleetApi(Gateway.Gateway, DrillFleet.Ns);
        Options.Log($"started {Options.Silos} silos and a gateway in {start.Elapsed.TotalSeconds:0.0} s");
    }

    private async Task<SiloProcess> StartAsync(string name, string[] args)
    {
        // A process started again keeps its Orleans ports, as a silo with a configured port would: Orleans then
        // declares the earlier generation at that address dead at once, instead of the new silo waiting for the
        // dead silos' membership entries to expire (minutes) before it may join.
        if (!_ports.TryGetValue(name, out var ports))
        {
            ports = (SiloProcess.FreePort(), SiloProcess.FreePort());
            _ports[name] = ports;
        }

        args = [.. args, $"--Fleet:SiloPort={ports.Silo}", $"--Fleet:GatewayPort={ports.Gateway}"];
        var p = await SiloProcess.StartAsync(name, Path.Combine(_root, name), args);
        ChildProcesses.Register(p.Id);
        return p;
    }

    /// <summary>Kills (SIGKILL) every silo and the gateway, as a power cut would.</summary>
    public void KillProcesses()
    {
        foreach (var p in Silos.Append(Gateway).OfType<SiloProcess>())
        {
            p.Kill();
        }

        Silos.Clear();
        Gateway = null;
    }

    public Task PutApplicationAsync(int app, string rollout = "") =>
        Api.PutAsync("applications", $"app-{app}", DrillFleet.ApplicationYaml(app, _interval, rollout));

    /// <summary>Commits image version <paramref name="version"/> to every application; returns the commit id.</summary>
    public string Commit(int version)
    {
        DrillFleet.WriteApps(Repo, 2, DrillFleet.Image(version));
        return Repo.Commit($"image 1.{version}");
    }

    /// <summary>Waits until every cluster runs <paramref name="version"/> of application <paramref name="app"/>; false at the timeout.</summary>
    public async Task<bool> WaitAllRunAsync(int app, int version, string what)
    {
        var clock = Stopwatch.StartNew();
        var pending = Sim.Names.ToList();
        return await ScaleRun.PollAsync(clock, Options.Timeout, async () =>
        {
            pending = await Sim.NotRunningAsync(pending, DrillFleet.AppNamespace(app), DrillFleet.Deployment, DrillFleet.Image(version));
            return (Sim.Names.Count - pending.Count, Sim.Names.Count);
        }, what);
    }

    /// <summary>How many clusters run <paramref name="version"/> of application <paramref name="app"/>.</summary>
    public async Task<int> CountRunningAsync(int app, int version) =>
        Sim.Names.Count - (await Sim.NotRunningAsync(Sim.Names, DrillFleet.AppNamespace(app), DrillFleet.Deployment, DrillFleet.Image(version))).Count;

    /// <summary>
    /// The state every drill checks at the end: N Cluster objects, the application Ready on <paramref name="commit"/>,
    /// N placements of it, each Ready on that commit, and every cluster running <paramref name="version"/>.
    /// </summary>
    public async Task CheckConvergedAsync(DrillChecks checks, int app, int version, string commit)
    {
        var clusters = await Api.ListAsync("clusters");
        checks.Check($"{Sim.Names.Count} Cluster registrations", clusters.Count == Sim.Names.Count, $"{clusters.Count} in the API");
        var application = await Api.GetAsync("applications", $"app-{app}");
        var revision = FleetApi.Field(application, "lastAppliedRevision");
        checks.Check($"application app-{app} Ready on the new commit", FleetApi.Condition(application, "Ready") == "True" && revision?.Contains(commit, StringComparison.Ordinal) == true,
            $"Ready={FleetApi.Condition(application, "Ready")}, lastAppliedRevision={revision}");
        var placements = (await Api.ListAsync("placements")).Where(p => p["metadata"]?["name"]?.GetValue<string>().StartsWith($"app-{app}~", StringComparison.Ordinal) == true).ToList();
        checks.Check($"{Sim.Names.Count} placements of app-{app}", placements.Count == Sim.Names.Count, $"{placements.Count} in the API");
        var onCommit = placements.Count(p => FleetApi.Condition(p, "Ready") == "True" && FleetApi.Field(p, "lastAppliedRevision")?.Contains(commit, StringComparison.Ordinal) == true);
        checks.Check("every placement Ready on the new commit", onCommit == Sim.Names.Count, $"{onCommit} of {placements.Count}");
        var running = await CountRunningAsync(app, version);
        checks.Check($"every cluster runs {DrillFleet.Image(version)} (read from the clusters)", running == Sim.Names.Count, $"{running} of {Sim.Names.Count}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in Silos.Append(Gateway).OfType<SiloProcess>())
        {
            await p.DisposeAsync();
        }

        _api?.Dispose();
        Sim.Dispose();
        await Postgres.DisposeAsync();
        Repo.Dispose();
        ScaleRun.TryDelete(_root);
    }
}

/// <summary>What a drill checked: each line printed as it is decided; the drill fails when any did.</summary>
internal sealed class DrillChecks(Action<string> log)
{
    private readonly List<(string What, bool Ok, string Detail)> _checks = [];

    public IReadOnlyList<(string What, bool Ok, string Detail)> All => _checks;

    public bool Passed => _checks.Count > 0 && _checks.All(c => c.Ok);

    public IEnumerable<string> Failures => _checks.Where(c => !c.Ok).Select(c => $"{c.What}: {c.Detail}");

    public void Check(string what, bool ok, string detail)
    {
        _checks.Add((what, ok, detail));
        log($"  [{(ok ? "ok" : "FAILED")}] {what} ({detail})");
    }

    /// <summary>Prints the verdict and returns the exit code: 0 when every check passed.</summary>
    public int Verdict(string drill)
    {
        var failed = _checks.Count(c => !c.Ok);
        log(failed == 0 ? $"{drill}: all {_checks.Count} checks passed" : $"{drill}: {failed} of {_checks.Count} checks FAILED");
        return failed == 0 ? 0 : 1;
    }
}
