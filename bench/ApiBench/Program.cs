using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

// Load on the REST API over loopback: concurrent clients mixing reads, paged lists and applies against one silo
// (SQLite; its own process, as deployed), then a read-back of every acknowledged write. Prints requests/s, p50/p99
// per operation, errors and lost writes; exits non-zero on any error or lost write.
// Build the silo first: dotnet build -c Release src/Silo
// Usage: dotnet run -c Release --project bench/ApiBench [-- --clients 100 --seconds 60 --objects 2000 --silo --Key=Value]
var options = BenchOptions.Parse(args);

// Every request authenticates, as clients must: the silo starts with this admin token (Fleet's token format:
// fleet_<16 hex id>_<64 hex secret>), so each request pays for the token check.
var token = options.Token ?? $"fleet_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}";
Console.WriteLine($"Fleet API benchmark: {Environment.ProcessorCount} cores, .NET {Environment.Version}; {options.Clients} clients for {options.Seconds} s over {options.Objects} seeded clusters; every request with a bearer token");
var dir = Directory.CreateTempSubdirectory("fleet-api-bench-").FullName;
using var silo = SiloProcess.Start(dir, [$"--Fleet:Gateway:BootstrapAdminToken={token}", .. options.SiloArgs]);
try
{
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
    {
        BaseAddress = silo.BaseUri,
        Timeout = TimeSpan.FromSeconds(60),
    };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    await silo.WaitReadyAsync(http);

    var seed = Stopwatch.StartNew();
    for (var start = 0; start < options.Objects; start += 200)
    {
        var yaml = new StringBuilder();
        for (var i = start; i < Math.Min(start + 200, options.Objects); i++)
        {
            yaml.Append(Load.Cluster($"bench-{i % 10}", $"c{i:D5}", $"tier: t{i % 4}"));
        }
        await Load.SendAsync(http, HttpMethod.Post, "api/v1/apply", yaml.ToString(), ensure: true);
    }
    Console.WriteLine($"seeded {options.Objects} clusters in {seed.Elapsed.TotalSeconds:F1} s");

    var load = new Load(http, options);
    var run = await load.RunAsync();
    Console.WriteLine();
    Console.WriteLine($"{run.Requests} requests in {run.Elapsed.TotalSeconds:F1} s: {run.Requests / run.Elapsed.TotalSeconds:F0} requests/s; errors: {run.Errors}");
    Console.WriteLine("| operation | requests | p50 ms | p99 ms |");
    Console.WriteLine("|---|---:|---:|---:|");
    foreach (var (name, latencies) in run.Latencies.OrderBy(p => p.Key, StringComparer.Ordinal))
    {
        Console.WriteLine($"| {name} | {latencies.Count} | {Load.Percentile(latencies, 0.50):F1} | {Load.Percentile(latencies, 0.99):F1} |");
    }
    var all = run.Latencies.Values.SelectMany(l => l).ToList();
    Console.WriteLine($"| all | {all.Count} | {Load.Percentile(all, 0.50):F1} | {Load.Percentile(all, 0.99):F1} |");

    var (checkedWrites, lost) = await load.VerifyAsync();
    Console.WriteLine($"read back {checkedWrites} objects written by the clients: {lost} lost or stale writes");
    foreach (var error in run.FirstErrors)
    {
        Console.WriteLine($"error: {error}");
    }
    return run.Errors == 0 && lost == 0 ? 0 : 1;
}
finally
{
    silo.Stop();
    try
    {
        Directory.Delete(dir, recursive: true);
    }
    catch (IOException)
    {
        // A file still held by the stopping silo; the temp directory is cleaned by the OS.
    }
}

/// <summary>The silo as its own process (the Release build of src/Silo), on free loopback ports, with its own data directory.</summary>
internal sealed class SiloProcess : IDisposable
{
    private readonly Process _process;

    private SiloProcess(Process process, Uri baseUri)
    {
        _process = process;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public static SiloProcess Start(string dataDirectory, string[] extraArgs)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Fleet.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("run the benchmark from inside the Fleet repository");
        }
        var dll = Path.Combine(root, "src", "Silo", "bin", "Release", "net10.0", "Fleet.Silo.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing: build it first with dotnet build -c Release src/Silo");
        }
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = false, UseShellExecute = false };
        foreach (var arg in (string[])[dll, "--urls", $"http://127.0.0.1:{port}", $"--Fleet:DataDirectory={dataDirectory}", "--Logging:LogLevel:Default=Warning",
                     $"--Fleet:SiloPort={FreePort()}", $"--Fleet:GatewayPort={FreePort()}", "--Fleet:Grpc:Port=0", .. extraArgs])
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("the silo did not start");
        return new SiloProcess(process, new Uri($"http://127.0.0.1:{port}/"));
    }

    public async Task WaitReadyAsync(HttpClient http)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the silo exited with code {_process.ExitCode}");
            }
            try
            {
                using var response = await http.GetAsync("readyz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("the silo was not ready within 3 minutes");
    }

    public void Stop()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

internal sealed record BenchOptions(int Clients, int Seconds, int Objects, string? Token, string[] SiloArgs)
{
    public static BenchOptions Parse(string[] args)
    {
        int clients = 100, seconds = 10, objects = 2000;
        string? token = null;
        var silo = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--clients": clients = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--objects": objects = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--token": token = value; break;
                case "--silo": silo.Add(value); break;
                default: throw new ArgumentException($"unknown option {args[i]}: use --clients N, --seconds N, --objects N, --token fleet_ID_SECRET, --silo --Key=Value");
            }
            i++;
        }
        if (clients < 1 || seconds < 1 || seconds > 600 || objects < 10)
        {
            throw new ArgumentException("--clients at least 1, --seconds 1 to 600, --objects at least 10");
        }
        return new BenchOptions(clients, seconds, objects, token, [.. silo]);
    }
}

internal sealed record RunResult(long Requests, long Errors, TimeSpan Elapsed, Dictionary<string, List<double>> Latencies, List<string> FirstErrors);

/// <summary>The clients: each mixes reads (50%), paged lists (30%) and applies of its own clusters (20%), and remembers what was acknowledged.</summary>
internal sealed class Load(HttpClient http, BenchOptions options)
{
    private const int KeysPerClient = 20;

    // Per client and key: the generation of the last acknowledged apply.
    private readonly Dictionary<(int Client, int Key), int> _acknowledged = [];
    private readonly object _lock = new();

    public static string Cluster(string ns, string name, string labels) =>
        $"apiVersion: fleet.dev/v1\nkind: Cluster\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels: {{{labels}}}\nspec: {{server: 'https://127.0.0.1:1', paused: true}}\n---\n";

    public async Task<RunResult> RunAsync()
    {
        var latencies = new Dictionary<string, List<double>> { ["read"] = [], ["list"] = [], ["apply"] = [] };
        long requests = 0, errors = 0;
        var firstErrors = new List<string>();
        var deadline = Stopwatch.StartNew();
        var duration = TimeSpan.FromSeconds(options.Seconds);
        await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(client);
            var local = new Dictionary<string, List<double>> { ["read"] = [], ["list"] = [], ["apply"] = [] };
            var generation = 0;
            long localErrors = 0;
            while (deadline.Elapsed < duration)
            {
                var roll = random.Next(100);
                var op = roll < 50 ? "read" : roll < 80 ? "list" : "apply";
                var started = Stopwatch.GetTimestamp();
                string? error;
                var key = random.Next(KeysPerClient);
                generation++;
                switch (op)
                {
                    case "read":
                        var i = random.Next(options.Objects);
                        error = await TryAsync(HttpMethod.Get, $"api/v1/namespaces/bench-{i % 10}/clusters/c{i:D5}", null);
                        break;
                    case "list":
                        var query = random.Next(2) == 0 ? "limit=100" : $"labelSelector=tier%3Dt{random.Next(4)}&limit=50";
                        error = await TryAsync(HttpMethod.Get, $"api/v1/namespaces/bench-{random.Next(10)}/clusters?{query}", null);
                        break;
                    default:
                        error = await TryAsync(HttpMethod.Post, "api/v1/apply", Cluster("bench-writes", $"w{client:D3}-{key:D2}", $"client: '{client}', gen: '{generation}'"));
                        if (error is null)
                        {
                            lock (_lock)
                            {
                                _acknowledged[(client, key)] = generation;
                            }
                        }
                        break;
                }
                local[op].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (error is not null)
                {
                    localErrors++;
                    lock (firstErrors)
                    {
                        if (firstErrors.Count < 5)
                        {
                            firstErrors.Add($"{op}: {error}");
                        }
                    }
                }
            }
            lock (latencies)
            {
                foreach (var (name, list) in local)
                {
                    latencies[name].AddRange(list);
                    requests += list.Count;
                }
                errors += localErrors;
            }
        })));
        return new RunResult(requests, errors, deadline.Elapsed, latencies, firstErrors);
    }

    /// <summary>Reads every object a client wrote: its label must hold the generation of the last acknowledged apply.</summary>
    public async Task<(int Checked, int Lost)> VerifyAsync()
    {
        var list = JsonNode.Parse(await SendAsync(http, HttpMethod.Get, "api/v1/namespaces/bench-writes/clusters", null, ensure: true))!;
        var stored = list["items"]!.AsArray().ToDictionary(
            i => i!["metadata"]!["name"]!.GetValue<string>(),
            i => i!["metadata"]!["labels"]?["gen"]?.GetValue<string>());
        var lost = 0;
        foreach (var ((client, key), generation) in _acknowledged)
        {
            if (!stored.TryGetValue($"w{client:D3}-{key:D2}", out var gen) || gen != generation.ToString(CultureInfo.InvariantCulture))
            {
                lost++;
            }
        }
        return (_acknowledged.Count, lost);
    }

    private async Task<string?> TryAsync(HttpMethod method, string path, string? body)
    {
        try
        {
            await SendAsync(http, method, path, body, ensure: true);
            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return ex.Message;
        }
    }

    public static async Task<string> SendAsync(HttpClient http, HttpMethod method, string path, string? body, bool ensure)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/yaml");
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (ensure && !response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{method} {path}: {(int)response.StatusCode} {text[..Math.Min(300, text.Length)]}");
        }
        return text;
    }

    public static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return 0;
        }
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }
}
