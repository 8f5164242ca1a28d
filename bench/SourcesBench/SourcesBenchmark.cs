using System.Diagnostics;
using System.Globalization;
using Fleet.Sources;

namespace Fleet.Sources.Bench;

/// <summary>
/// Figures for docs/sources.md: 200 sources fetched by one process, one source shared by 500 consumers,
/// packing a 5,000-file tree, and the first fetch of a repository with a long history over smart HTTP, shallow
/// against full. Repositories are real, made with git in a temporary directory and fetched over file:// (or
/// from the real git http-backend behind the tests' <c>GitHttpServer</c>).
/// </summary>
internal static class SourcesBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var sources = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        var root = Directory.CreateTempSubdirectory("fleet-sources-bench-").FullName;
        try
        {
            Console.WriteLine($"LibGit2Sharp {LibGit2Sharp.GlobalSettings.Version} (features {LibGit2Sharp.GlobalSettings.Version.Features}), {Environment.ProcessorCount} cores, .NET {Environment.Version}");
            Console.WriteLine($"({Git.Run(root, "--version").Trim()} only makes the test repositories)");
            await ManySourcesAsync(root, sources);
            await SharedSourceAsync(root);
            await PackLargeTreeAsync(root);
            await LongHistoryAsync(root);
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task ManySourcesAsync(string root, int count)
    {
        Console.WriteLine();
        Console.WriteLine($"== {count} sources fetched on their interval by one process (file://, limiter 4) ==");
        var repos = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var repo = Path.Combine(root, "repos", $"src-{i:D3}");
            Directory.CreateDirectory(repo);
            Git.Run(repo, "init", "--quiet", "--initial-branch=main");
            for (var f = 0; f < 20; f++)
            {
                File.WriteAllText(Path.Combine(repo, $"manifest-{f}.yaml"), $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}-{f}\ndata:\n  value: \"{f}\"\n");
            }

            Git.Commit(repo, "initial");
            repos.Add(repo);
        }

        using var limiter = new SemaphoreSlim(4, 4);
        var mirror = new GitMirror(Path.Combine(root, "mirrors"), limiter);
        var specs = repos.Select(r => new GitSourceSpec(new Uri(r).AbsoluteUri, new GitRef(Branch: "main"), TimeSpan.FromSeconds(60), [], null)).ToList();
        var last = new string?[count];

        async Task<(double Seconds, TimeSpan Cpu, int Packed)> RoundAsync()
        {
            var cpu = Cpu.Now();
            var sw = Stopwatch.StartNew();
            var packed = 0;
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            {
                var key = $"bench/src-{i:D3}";
                var rev = await mirror.FetchAsync(key, specs[i], ct);
                if (rev.Revision != last[i])
                {
                    await mirror.PackAsync(key, rev, specs[i], ct);
                    last[i] = rev.Revision;
                    Interlocked.Increment(ref packed);
                }
            });
            return (sw.Elapsed.TotalSeconds, Cpu.Now() - cpu, packed);
        }

        void Report(string name, (double Seconds, TimeSpan Cpu, int Packed) r) =>
            Console.WriteLine(
                $"{name,-34} {r.Seconds,6:0.00} s  {count / r.Seconds * 60,8:0} fetches/min  CPU {r.Cpu.TotalSeconds,6:0.00} s ({r.Cpu.TotalMilliseconds / count,5:0.0} ms/fetch)  packed {r.Packed}");

        Report("first fetch (clone + pack)", await RoundAsync());
        Report("interval, nothing changed", await RoundAsync());
        var unchanged = await RoundAsync();
        Report("interval, nothing changed", unchanged);
        foreach (var repo in repos)
        {
            File.WriteAllText(Path.Combine(repo, "manifest-0.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: changed\n");
            Git.Commit(repo, "change");
        }

        var changed = await RoundAsync();
        Report("interval, every source changed", changed);

        // What a silo pays for these sources at Flux-like intervals, from the measured CPU per unchanged fetch
        // (the engine alone: no grains, no store).
        var perFetch = unchanged.Cpu.TotalMilliseconds / count;
        foreach (var seconds in new[] { 30, 60 })
        {
            var perMinute = count * 60.0 / seconds;
            Console.WriteLine(
                $"{count} sources at a {seconds} s interval: {perMinute:0} fetches/min, {perFetch:0.0} ms CPU each = {perMinute * perFetch / 60_000 * 100:0.0}% of one core (capacity at this rate: {count / unchanged.Seconds * 60:0} fetches/min)");
        }
    }

    private static async Task SharedSourceAsync(string root)
    {
        Console.WriteLine();
        Console.WriteLine("== one source, 500 consumers, interval 1 min (simulated clock, real fetches) ==");
        var repo = Path.Combine(root, "shared");
        Directory.CreateDirectory(repo);
        Git.Run(repo, "init", "--quiet", "--initial-branch=main");
        File.WriteAllText(Path.Combine(repo, "app.yaml"), "shared");
        Git.Commit(repo, "initial");

        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var coordinator = new SourceFetchCoordinator<ResolvedRevision>(clock);
        var mirror = new GitMirror(Path.Combine(root, "shared-mirrors"));
        var spec = new GitSourceSpec(new Uri(repo).AbsoluteUri, new GitRef(Branch: "main"), TimeSpan.FromSeconds(60), [], null);
        var interval = TimeSpan.FromMinutes(1);
        var gitFetches = 0;
        var requests = 0;
        var sw = Stopwatch.StartNew();
        const int minutes = 10;
        const int ticksPerMinute = 6;
        for (var tick = 0; tick < minutes * ticksPerMinute; tick++)
        {
            await Task.WhenAll(Enumerable.Range(0, 500).Select(async _ =>
            {
                Interlocked.Increment(ref requests);
                await coordinator.GetAsync("bench/shared", interval, async ct =>
                {
                    Interlocked.Increment(ref gitFetches);
                    return await mirror.FetchAsync("bench/shared", spec, ct);
                }, CancellationToken.None);
            }));
            clock.Advance(interval / ticksPerMinute);
        }

        Console.WriteLine($"{requests} requests from 500 consumers over {minutes} simulated minutes: {gitFetches} git fetches ({coordinator.FetchCount} by the coordinator), expected {minutes}; {sw.Elapsed.TotalSeconds:0.00} s wall");
    }

    private static async Task PackLargeTreeAsync(string root)
    {
        Console.WriteLine();
        Console.WriteLine("== packing a 5,000-file tree ==");
        var repo = Path.Combine(root, "large");
        Directory.CreateDirectory(repo);
        Git.Run(repo, "init", "--quiet", "--initial-branch=main");
        for (var i = 0; i < 5000; i++)
        {
            var dir = Path.Combine(repo, $"team-{i % 50:D2}", $"app-{i % 500:D3}");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, $"resource-{i:D4}.yaml"), $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: team-{i % 50}\ndata:\n  key: \"{i * 7919 % 104729}\"\n");
        }

        Git.Commit(repo, "5000 files");
        var spec = new GitSourceSpec(new Uri(repo).AbsoluteUri, new GitRef(Branch: "main"), TimeSpan.FromSeconds(120), [], null);
        var digests = new HashSet<string>(StringComparer.Ordinal);
        var mirror = new GitMirror(Path.Combine(root, "large-mirrors"));
        var rev = await mirror.FetchAsync("bench/large", spec, CancellationToken.None);
        var times = new List<double>();
        Artifact? artifact = null;
        for (var run = 0; run < 5; run++)
        {
            var sw = Stopwatch.StartNew();
            artifact = await mirror.PackAsync("bench/large", rev, spec, CancellationToken.None);
            times.Add(sw.Elapsed.TotalMilliseconds);
            digests.Add(artifact.Digest);
        }

        // A second, independent mirror of the same repository must produce the same bytes.
        var other = new GitMirror(Path.Combine(root, "large-mirrors-2"));
        var otherRev = await other.FetchAsync("bench/large-again", spec, CancellationToken.None);
        digests.Add((await other.PackAsync("bench/large-again", otherRev, spec, CancellationToken.None)).Digest);

        var extract = Path.Combine(root, "extract");
        var swExtract = Stopwatch.StartNew();
        var files = await ArtifactReader.ExtractAsync(artifact!.Content, extract, CancellationToken.None);
        Console.WriteLine($"{artifact.FileCount} files, artifact {artifact.Size / 1024.0:0.0} KiB, pack times ms: {string.Join(", ", times.Select(t => t.ToString("0", CultureInfo.InvariantCulture)))} (median {times.Order().ElementAt(times.Count / 2):0} ms)");
        Console.WriteLine($"distinct digests over 5 packs + 1 pack from a second mirror: {digests.Count} ({artifact.Digest})");
        var extractMs = swExtract.Elapsed.TotalMilliseconds;

        // The same extraction by GNU tar, as a yardstick for this machine's file system.
        var tarball = Path.Combine(root, "large.tar.gz");
        await File.WriteAllBytesAsync(tarball, artifact.Content);
        var tarDir = Path.Combine(root, "extract-tar");
        Directory.CreateDirectory(tarDir);
        var swTar = Stopwatch.StartNew();
        using (var tar = Process.Start(new ProcessStartInfo("tar", ["-xzf", tarball, "-C", tarDir]) { UseShellExecute = false })!)
        {
            await tar.WaitForExitAsync();
        }

        Console.WriteLine($"extracting it back: {files} files in {extractMs:0} ms (GNU tar -xzf of the same artifact: {swTar.Elapsed.TotalMilliseconds:0} ms)");
    }

    private static async Task LongHistoryAsync(string root)
    {
        const int commits = 2000;
        const int files = 200;
        Console.WriteLine();
        Console.WriteLine($"== first fetch of a {commits}-commit, {files}-file repository over smart HTTP (git http-backend on loopback) ==");
        var projects = Path.Combine(root, "served");
        var repo = Path.Combine(projects, "history");
        Directory.CreateDirectory(repo);
        Git.Run(repo, "init", "--quiet", "--initial-branch=main");
        Git.Import(repo, HistoryStream(commits, files));
        using var server = Fleet.Sources.Tests.Support.GitHttpServer.Start(projects);
        var url = server.UrlFor(repo);
        var spec = new GitSourceSpec(url, new GitRef(Branch: "main"), TimeSpan.FromSeconds(120), [], null);

        async Task<(long Bytes, double Ms, double CpuMs, long Disk, int Commits, string? Digest)> MeasureAsync(bool shallow, int run)
        {
            var dir = Path.Combine(root, "history-mirrors", $"{(shallow ? "shallow" : "full")}-{run}");
            var bytes = Interlocked.Read(ref server.BytesSent);
            var cpu = Cpu.Now();
            var sw = Stopwatch.StartNew();
            string path;
            string? digest = null;
            if (shallow)
            {
                var mirror = new GitMirror(dir);
                var rev = await mirror.FetchAsync("bench/history", spec, CancellationToken.None);
                path = mirror.MirrorPath("bench/history");
                sw.Stop();
                digest = (await mirror.PackAsync("bench/history", rev, spec, CancellationToken.None)).Digest;
            }
            else
            {
                // The same request the mirror makes (one ref, no tags), without a depth: what every first fetch was before.
                path = Path.Combine(dir, "full.git");
                LibGit2Sharp.Repository.Init(path, isBare: true);
                using (var bare = new LibGit2Sharp.Repository(path))
                {
                    bare.Network.Remotes.Add("fleet", url, "+refs/fleet/unused:refs/fleet/unused");
                }

                LibGit2Fetch.Fetch(new LibGit2Fetch.Request(path, "fleet", ["+refs/heads/main:refs/fleet/target"], LibGit2Fetch.FullDepth, [], true, _ => null, () => false));
                sw.Stop();
            }

            var cpuMs = (Cpu.Now() - cpu).TotalMilliseconds;
            using var mirrorRepo = new LibGit2Sharp.Repository(path);
            var count = mirrorRepo.ObjectDatabase.OfType<LibGit2Sharp.Commit>().Count();
            var disk = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            return (Interlocked.Read(ref server.BytesSent) - bytes, sw.Elapsed.TotalMilliseconds, cpuMs, disk, count, digest);
        }

        var fullMirror = new GitMirror(Path.Combine(root, "history-mirrors", "file"));
        var fileSpec = spec with { Url = new Uri(repo).AbsoluteUri };
        var fullRev = await fullMirror.FetchAsync("bench/history", fileSpec, CancellationToken.None);
        var fullDigest = (await fullMirror.PackAsync("bench/history", fullRev, fileSpec, CancellationToken.None)).Digest;
        foreach (var shallow in new[] { false, true })
        {
            var runs = new List<(long Bytes, double Ms, double CpuMs, long Disk, int Commits, string? Digest)>();
            for (var run = 0; run < 3; run++)
            {
                runs.Add(await MeasureAsync(shallow, run));
            }

            var median = runs.OrderBy(r => r.Ms).ElementAt(1);
            Console.WriteLine(
                $"{(shallow ? "shallow (depth 1)" : "full history"),-18} downloaded {median.Bytes / 1024.0,9:0.0} KiB  wall {string.Join("/", runs.Select(r => r.Ms.ToString("0", CultureInfo.InvariantCulture)))} ms (median {median.Ms:0})  CPU {median.CpuMs:0} ms  mirror {median.Disk / 1024.0:0} KiB, {median.Commits} commits"
                + (shallow ? $"  artifact digest {(runs.All(r => r.Digest == fullDigest) ? "equals" : "DIFFERS FROM")} a full fetch's" : string.Empty));
        }
    }

    /// <summary>A git fast-import stream: <paramref name="commits"/> commits, each rewriting 5 of <paramref name="files"/> manifests.</summary>
    private static string HistoryStream(int commits, int files)
    {
        var random = new Random(42);
        var stream = new System.Text.StringBuilder();
        for (var c = 1; c <= commits; c++)
        {
            var message = $"change {c}";
            stream.Append("commit refs/heads/main\nmark :").Append(c).Append('\n')
                .Append("committer Bench <bench@fleet.invalid> ").Append(1_700_000_000 + c * 60).Append(" +0000\n")
                .Append("data ").Append(message.Length).Append('\n').Append(message).Append('\n');
            if (c > 1)
            {
                stream.Append("from :").Append(c - 1).Append('\n');
            }

            var touched = c == 1 ? Enumerable.Range(0, files) : Enumerable.Range(0, 5).Select(_ => random.Next(files));
            foreach (var f in touched.Distinct())
            {
                var content = $"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{f}\n  annotations:\n    revision: \"{c}\"\n    checksum: \"{random.NextInt64():x16}{random.NextInt64():x16}\"\nspec:\n  replicas: {1 + random.Next(5)}\n  template:\n    spec:\n      containers:\n      - name: app\n        image: registry.example/app-{f}:{c}.{random.Next(100)}\n";
                stream.Append("M 100644 inline apps/app-").Append(f.ToString("D3", CultureInfo.InvariantCulture)).Append(".yaml\n")
                    .Append("data ").Append(System.Text.Encoding.UTF8.GetByteCount(content)).Append('\n').Append(content).Append('\n');
            }
        }

        return stream.ToString();
    }
}

/// <summary>This process's CPU time including any children it waited for, such as ssh (from /proc/self/stat).</summary>
internal static class Cpu
{
    public static TimeSpan Now()
    {
        var own = Process.GetCurrentProcess().TotalProcessorTime;
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields 16 and 17 of stat (cutime, cstime), in clock ticks of 1/100 s on Linux.
            var children = long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            return own + TimeSpan.FromMilliseconds(children * 10);
        }
        catch (IOException)
        {
            return own;
        }
    }
}

internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

internal static class Git
{
    public static void Commit(string repo, string message)
    {
        Run(repo, "add", "-A");
        Run(repo, "-c", "user.name=Bench", "-c", "user.email=bench@fleet.invalid", "commit", "--quiet", "-m", message);
    }

    /// <summary>Feeds a fast-import stream to <c>git fast-import</c> in <paramref name="repo"/>.</summary>
    public static void Import(string repo, string stream)
    {
        var psi = new ProcessStartInfo("git", ["fast-import", "--quiet"]) { WorkingDirectory = repo, RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        using var process = Process.Start(psi)!;
        var error = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(stream);
        process.StandardInput.Close();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git fast-import: {error.Result}");
        }
    }

    public static string Run(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)}: {error}");
        }

        return output.Result;
    }
}
