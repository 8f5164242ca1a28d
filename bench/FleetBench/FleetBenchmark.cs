using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Fleet.Abstractions;
using Fleet.Abstractions.Grains;
using Fleet.Abstractions.Resources;
using Fleet.Grains;
using Fleet.Store;
using Fleet.Store.Secrets;
using Fleet.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Bench;

/// <summary>
/// Sources and clusters at the silo level: a real silo (SQLite) in process, GitRepository grains fetching real
/// repositories over file://, counted through the grain's own fetch log; the 5,000-file pack through the engine; the
/// 10,000-cluster label query through the resource store.
/// Arguments: <c>--sources N</c> (200), <c>--interval S</c> (30), <c>--window S</c> (60), <c>--only NAME</c>.
/// </summary>
internal static class FleetBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var sources = IntArg(args, "--sources", 200);
        var interval = IntArg(args, "--interval", 30);
        var window = IntArg(args, "--window", 60);
        var only = StringArg(args, "--only");
        var root = Path.Combine(Path.GetTempPath(), "fleet-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        Console.WriteLine($"FleetBench: {Environment.ProcessorCount} cores, .NET {Environment.Version}, load average {LoadAverage()}");
        try
        {
            if (only is null or "shared")
            {
                await SharedSourceAsync(root);
            }
            if (only is null or "sources")
            {
                await ManySourcesAsync(root, sources, interval, window);
            }
            if (only is null or "pack")
            {
                await PackLargeTreeAsync(root);
            }
            if (only is null or "labels")
            {
                await LabelQueryAsync(root);
            }
        }
        finally
        {
            TryDelete(root);
        }
        return 0;
    }

    /// <summary>One source on a 5 s interval, 500 applications referencing it: fetches counted over 30 s.</summary>
    private static async Task SharedSourceAsync(string root)
    {
        Console.WriteLine();
        Console.WriteLine("== one source, 500 applications referencing it, interval 5s, 30 s window ==");
        var repo = BenchGit.CreateRepository(Path.Combine(root, "shared-repo"), 3);
        await using var silo = await BenchSilo.StartAsync(Path.Combine(root, "silo-shared"));
        await silo.PutSourceAsync("bench", "shared", repo, "5s");
        await silo.Fetches.WaitForAsync(c => c.ContainsKey("bench/shared"), TimeSpan.FromSeconds(60));
        var spec = JsonSerializer.Serialize(new ApplicationSpec { SourceRef = new CrossNamespaceObjectReference { Kind = "GitRepository", Name = "shared" }, Path = "./" }, FleetJson.Options);
        for (var i = 0; i < 500; i++)
        {
            await silo.Store.PutAsync(ResourceKinds.Application.Kind, "bench", $"app-{i:D3}", new Dictionary<string, string>(), new Dictionary<string, string>(), spec);
        }
        var before = silo.Fetches.Count("bench/shared");
        var sw = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(30));
        var fetched = silo.Fetches.Count("bench/shared") - before;
        Console.WriteLine($"500 applications stored; {fetched} fetches of the source in {sw.Elapsed.TotalSeconds:0.0} s (expected about {sw.Elapsed.TotalSeconds / 5:0}: one per 5 s interval, ±10% jitter)");
    }

    /// <summary>N sources, each its own repository, fetched on their interval by one silo.</summary>
    private static async Task ManySourcesAsync(string root, int count, int intervalSeconds, int windowSeconds)
    {
        Console.WriteLine();
        Console.WriteLine($"== {count} sources fetched on a {intervalSeconds}s interval by one silo, {windowSeconds} s window ==");
        var template = BenchGit.CreateRepository(Path.Combine(root, "template"), 20);
        var repos = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var path = Path.Combine(root, "repos", $"r{i:D3}");
            BenchGit.CopyDirectory(template, path);
            repos.Add(path);
        }
        await using var silo = await BenchSilo.StartAsync(Path.Combine(root, "silo-many"));
        var setup = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await silo.PutSourceAsync("bench", $"src-{i:D3}", repos[i], $"{intervalSeconds}s");
        }
        await silo.Fetches.WaitForAsync(c => c.Count(p => p.Key.StartsWith("bench/src-", StringComparison.Ordinal)) >= count, TimeSpan.FromMinutes(10));
        Console.WriteLine($"first fetch + pack of all {count} sources: {setup.Elapsed.TotalSeconds:0.0} s");

        var before = silo.Fetches.Total;
        var failuresBefore = silo.Fetches.Failures;
        var cpu = Cpu.Now();
        var sw = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(windowSeconds));
        var fetched = silo.Fetches.Total - before;
        var used = Cpu.Now() - cpu;
        var minutes = sw.Elapsed.TotalMinutes;
        Console.WriteLine($"steady state: {fetched} fetches in {sw.Elapsed.TotalSeconds:0.0} s = {fetched / minutes:0} fetches/min (expected {count * 60.0 / intervalSeconds:0}/min), failures {silo.Fetches.Failures - failuresBefore}");
        Console.WriteLine($"CPU: silo process {used.Self.TotalSeconds:0.0} s + git processes {used.Children.TotalSeconds:0.0} s = {(used.Self + used.Children).TotalSeconds / sw.Elapsed.TotalSeconds * 100:0}% of one core; {(used.Self + used.Children).TotalMilliseconds / Math.Max(1, fetched):0.0} ms CPU per fetch");
    }

    /// <summary>The engine's pack of a 5,000-file tree: cold and warm times, and the digest across runs and repositories.</summary>
    private static async Task PackLargeTreeAsync(string root)
    {
        Console.WriteLine();
        Console.WriteLine("== packing a 5,000-file tree (Fleet.Sources GitMirror, as the grain calls it) ==");
        var repo = BenchGit.CreateRepository(Path.Combine(root, "large"), 5000);
        var copy = BenchGit.CreateRepository(Path.Combine(root, "large-other-history"), 1);
        BenchGit.ReplaceTree(repo, copy);
        var mirror = new GitMirror(Path.Combine(root, "pack-mirrors"));
        var digests = new List<string>();
        foreach (var (label, path, key) in new[] { ("first pack", repo, "b/large"), ("again, same mirror", repo, "b/large"), ("again, same mirror", repo, "b/large"), ("other repository, same tree", copy, "b/copy") })
        {
            var spec = new GitSourceSpec(new Uri(path).AbsoluteUri, new GitRef(Branch: "main"), TimeSpan.FromMinutes(2), [], null);
            var fetch = Stopwatch.StartNew();
            var revision = await mirror.FetchAsync(key, spec, CancellationToken.None);
            fetch.Stop();
            var pack = Stopwatch.StartNew();
            var artifact = await mirror.PackAsync(key, revision, spec, CancellationToken.None);
            pack.Stop();
            digests.Add(artifact.Digest);
            Console.WriteLine($"{label,-30} fetch {fetch.ElapsedMilliseconds,6} ms  pack {pack.ElapsedMilliseconds,6} ms  {artifact.Size / 1024.0:0} KiB  {artifact.Digest[..19]}...");
        }
        Console.WriteLine($"digest stable across {digests.Count} packs and two repositories: {(digests.Distinct().Count() == 1 ? "yes" : "NO")}");
    }

    /// <summary>10,000 clusters in the resource store; one selector with matchLabels and every expression operator.</summary>
    private static async Task LabelQueryAsync(string root)
    {
        Console.WriteLine();
        Console.WriteLine("== label-selector query over 10,000 clusters (resource store, SQLite) ==");
        await using var silo = await BenchSilo.StartAsync(Path.Combine(root, "silo-labels"));
        var insert = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, 10_000), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
        {
            var labels = new Dictionary<string, string>
            {
                ["env"] = (i % 3) switch { 0 => "prod", 1 => "staging", _ => "dev" },
                ["region"] = (i % 4) switch { 0 => "eu", 1 => "us", 2 => "ap", _ => "sa" },
                ["zone"] = "z" + (i % 6).ToString(CultureInfo.InvariantCulture),
            };
            if (i % 5 == 0)
            {
                labels["gpu"] = "true";
            }
            if (i % 7 == 0)
            {
                labels["canary"] = "true";
            }
            var spec = JsonSerializer.Serialize(new ClusterSpec { Server = "https://10.0.0.1:6443", Paused = true }, FleetJson.Options);
            await silo.Store.PutAsync(ResourceKinds.Cluster.Kind, "fleet", $"c{i:D5}", labels, new Dictionary<string, string>(), spec, null, ct);
        });
        Console.WriteLine($"inserted 10,000 clusters in {insert.Elapsed.TotalSeconds:0.0} s");
        var selectors = new[]
        {
            "env=prod",
            "env=prod,region in (eu,us),zone notin (z0),gpu,!canary",
            "region in (ap),!gpu",
        };
        foreach (var text in selectors)
        {
            var selector = LabelSelector.Parse(text);
            var times = new List<double>();
            var matched = 0;
            for (var run = 0; run < 15; run++)
            {
                var sw = Stopwatch.StartNew();
                matched = (await silo.Store.ListAsync(ResourceKinds.Cluster.Kind, "fleet", selector)).Count;
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine($"{text,-58} {matched,5} clusters  first {times.Max(),6:0.0} ms  median {times[times.Count / 2],6:0.0} ms  min {times[0],6:0.0} ms");
        }
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }

    private static string? StringArg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    internal static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A git process still finishing; the temporary directory is cleaned by the OS.
        }
        catch (UnauthorizedAccessException)
        {
            // Read-only git object files; same as above.
        }
    }
}

/// <summary>A silo wired as <c>src/Silo</c> wires it (SQLite, the grains, encrypted secrets), without the gateway.</summary>
internal sealed class BenchSilo : IAsyncDisposable
{
    private readonly Microsoft.AspNetCore.Builder.WebApplication _host;
    private readonly string _directory;

    private BenchSilo(Microsoft.AspNetCore.Builder.WebApplication host, string directory, FetchCounter fetches)
    {
        _host = host;
        _directory = directory;
        Fetches = fetches;
        Store = host.Services.GetRequiredService<IResourceStore>();
        Grains = host.Services.GetRequiredService<IGrainFactory>();
    }

    public IResourceStore Store { get; }

    public IGrainFactory Grains { get; }

    public FetchCounter Fetches { get; }

    public static async Task<BenchSilo> StartAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        var fetches = new FetchCounter();
        var host = await Fleet.Silo.EmbeddedSilo.StartAsync(
            ["--urls", "http://127.0.0.1:0", $"--Fleet:DataDirectory={directory}", "--Fleet:Gateway=false",
             $"--Fleet:SiloPort={Fleet.Silo.EmbeddedSilo.FreePort()}", $"--Fleet:GatewayPort={Fleet.Silo.EmbeddedSilo.FreePort()}"],
            logging =>
            {
                logging.ClearProviders();
                logging.SetMinimumLevel(LogLevel.Debug);
                logging.AddProvider(fetches);
            });
        return new BenchSilo(host, directory, fetches);
    }

    public async Task PutSourceAsync(string ns, string name, string repository, string interval)
    {
        var spec = new GitRepositorySpec { Url = new Uri(repository).AbsoluteUri, Interval = interval, Ref = new GitRepositoryRef { Branch = "main" } };
        await Store.PutAsync(ResourceKinds.GitRepository.Kind, ns, name, new Dictionary<string, string>(), new Dictionary<string, string>(), JsonSerializer.Serialize(spec, FleetJson.Options));
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        FleetBenchmark.TryDelete(_directory);
    }
}

/// <summary>Counts fetches per source from the GitRepository grain's own log (event 4200 fetched, 4202 failed); prints warnings.</summary>
internal sealed class FetchCounter : ILoggerProvider, ILogger
{
    private const string Category = "Fleet.Grains.Sources.GitRepositoryGrain";
    private readonly ConcurrentDictionary<string, int> _bySource = new(StringComparer.Ordinal);
    private int _total;
    private int _failures;

    public int Total => Volatile.Read(ref _total);

    public int Failures => Volatile.Read(ref _failures);

    public int Count(string source) => _bySource.TryGetValue(source, out var n) ? n : 0;

    public async Task WaitForAsync(Func<IReadOnlyDictionary<string, int>, bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition(_bySource))
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"fetches did not reach the expected state in {timeout}");
            }
            // Polling the counters, not waiting for time to pass.
            await Task.Delay(100);
        }
    }

    public ILogger CreateLogger(string categoryName) => categoryName == Category ? this : new WarningsToConsole(categoryName);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id is not (4200 or 4202))
        {
            return;
        }
        var source = state is IReadOnlyList<KeyValuePair<string, object?>> values
            ? values.FirstOrDefault(v => v.Key == "Source").Value as string ?? "?"
            : "?";
        _bySource.AddOrUpdate(source, 1, (_, n) => n + 1);
        Interlocked.Increment(ref _total);
        if (eventId.Id == 4202)
        {
            Interlocked.Increment(ref _failures);
            Console.Error.WriteLine(formatter(state, exception));
        }
    }

    public void Dispose()
    {
    }

    private sealed class WarningsToConsole(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Console.Error.WriteLine($"{logLevel} {category}: {formatter(state, exception)}");
            }
        }
    }
}

/// <summary>
/// CPU time of this process and of the git processes it ran. <see cref="Process.TotalProcessorTime"/> counts only this
/// process; the children's time is read from <c>/proc/self/stat</c> (cutime + cstime of reaped children, in clock
/// ticks of 1/100 s on Linux), since .NET has no API for it.
/// </summary>
internal readonly record struct Cpu(TimeSpan Self, TimeSpan Children)
{
    public static Cpu Now()
    {
        using var process = Process.GetCurrentProcess();
        var children = TimeSpan.Zero;
        if (File.Exists("/proc/self/stat"))
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state) of proc(5); cutime and cstime are fields 16 and 17.
            children = TimeSpan.FromSeconds((long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / 100.0);
        }
        return new Cpu(process.TotalProcessorTime, children);
    }

    public static Cpu operator -(Cpu a, Cpu b) => new(a.Self - b.Self, a.Children - b.Children);
}

/// <summary>Repositories for the benchmark, made with the git command line.</summary>
internal static class BenchGit
{
    public static string CreateRepository(string path, int files)
    {
        Directory.CreateDirectory(path);
        Run(path, "init", "--quiet", "--initial-branch=main");
        for (var i = 0; i < files; i++)
        {
            var dir = Path.Combine(path, $"team-{i % 50:D2}", $"app-{i % 500:D3}");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, $"resource-{i:D4}.yaml"), $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  key: \"{i * 7919 % 104729}\"\n");
        }
        Run(path, "add", "--all");
        Run(path, "commit", "--quiet", "--allow-empty", "-m", "initial");
        return path;
    }

    /// <summary>Makes <paramref name="target"/>'s next commit hold exactly the tree of <paramref name="source"/>, with a different history.</summary>
    public static void ReplaceTree(string source, string target)
    {
        foreach (var entry in Directory.GetFileSystemEntries(target).Where(e => Path.GetFileName(e) != ".git"))
        {
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, true);
            }
            else
            {
                File.Delete(entry);
            }
        }
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/.git/", StringComparison.Ordinal)))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        Run(target, "add", "--all");
        Run(target, "commit", "--quiet", "-m", "same tree, other history");
    }

    public static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public static void Run(string dir, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        start.Environment["GIT_AUTHOR_NAME"] = start.Environment["GIT_COMMITTER_NAME"] = "bench";
        start.Environment["GIT_AUTHOR_EMAIL"] = start.Environment["GIT_COMMITTER_EMAIL"] = "bench@fleet.dev";
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        _ = output.Result;
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)}: {error}");
        }
    }
}
