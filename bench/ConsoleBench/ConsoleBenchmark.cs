using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Fleet.Abstractions;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Security;
using Fleet.Gateway.Services;
using Fleet.WebConsole.Services;
using Fleet.Silo;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Fleet.Bench;

/// <summary>
/// The console at fleet scale, measured in the browser: a real silo with 10,000 clusters and 50 applications
/// registered through the API, Debian's headless Chromium, and the Performance API's clock (milliseconds since
/// the navigation started, or since a filter was changed). Prints the figures; asserts nothing.
/// Usage: <c>dotnet run -c Release --project bench/ConsoleBench [-- --clusters N --apps N --runs N]</c>.
/// </summary>
internal static class ConsoleBenchmark
{
    private const string Ns = "bench";

    public static async Task<int> RunAsync(string[] args)
    {
        var clusters = Option(args, "--clusters", 10_000);
        var apps = Option(args, "--apps", 50);
        var runs = Option(args, "--runs", 5);
        if (!File.Exists("/usr/bin/chromium") || !File.Exists("/usr/bin/chromedriver"))
        {
            await Console.Error.WriteLineAsync("console bench: needs Debian's chromium and chromium-driver (scripts/install-deps.sh --tests installs them as root)");
            return 2;
        }

        var data = Path.Combine(Path.GetTempPath(), "fleet-console-bench-" + Guid.NewGuid().ToString("N"));
        var token = TokenSecret.New(TokenSecret.ApiPrefix).Text;
        var repo = MakeRepository(data + "-repo");
        var app = await EmbeddedSilo.StartAsync(["--urls", "http://127.0.0.1:0", $"--Fleet:DataDirectory={data}", "--Logging:LogLevel:Default=Warning",
            // Every cluster's probe fails here on purpose: do not print 10,000 warnings about it.
            "--Logging:LogLevel:Fleet.Grains.Clusters=Error",
            $"--Fleet:SiloPort={EmbeddedSilo.FreePort()}", $"--Fleet:GatewayPort={EmbeddedSilo.FreePort()}", $"--Fleet:Gateway:BootstrapAdminToken={token}", "--Fleet:Grpc:Port=0",
            $"--Fleet:Gateway:AllowedFileRoots={Path.GetTempPath()}"]);
        var baseUri = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        try
        {
            using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromMinutes(2) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var load = Stopwatch.StartNew();
            await RegisterAsync(http, clusters, apps, repo);
            Console.WriteLine($"console bench: registered {clusters} clusters and {apps} applications through the API in {load.Elapsed.TotalSeconds:0.0} s");
            var placements = await PlacementsAsync(http, apps * (clusters / Shards));
            Console.WriteLine($"console bench: {placements} placements after {load.Elapsed.TotalSeconds:0.0} s (each application on {clusters / Shards} clusters, none reachable)");

            // The console's index lists the clusters once per process (here before the browser asks, to time it alone).
            var index = app.Services.GetRequiredService<FleetIndex>();
            var cold = Stopwatch.StartNew();
            await index.Clusters.AllAsync(CancellationToken.None);
            Console.WriteLine($"console bench: the console's index listed {clusters} clusters in {cold.Elapsed.TotalMilliseconds:0} ms (once per process)");

            using var driver = StartBrowser();
            driver.Navigate().GoToUrl(new Uri(baseUri, "ui"));
            Until(driver, d => d.FindElements(By.Id("token")).Count > 0);
            driver.FindElement(By.Id("token")).SendKeys(token);
            driver.FindElement(By.Id("sign-in")).Click();
            Until(driver, d => d.FindElements(By.Id("sign-out")).Count > 0);

            var total = clusters.ToString(CultureInfo.InvariantCulture);
            var clustersPage = Measure(runs, () => FirstRender(driver, new Uri(baseUri, "ui/clusters"), $"document.querySelector('#total')?.textContent === '{total}' && document.querySelectorAll('#clusters tbody tr').length === 50"));
            var heatMap = Measure(runs, () => FirstRender(driver, new Uri(baseUri, "ui/heatmap"), $"document.querySelector('#total')?.textContent === '{total}' && document.querySelectorAll('#heatmap tbody tr').length === {apps}"));
            driver.Navigate().GoToUrl(new Uri(baseUri, "ui/clusters"));
            Until(driver, d => d.FindElements(By.CssSelector("#clusters tbody tr")).Count == 50);
            var filters = new[] { "env=prod", "env=prod,region=eu", "shard in (7)", "region=us", "" };
            var filter = Measure(runs, () => filters.Select(f => FilterChange(driver, "#selector", f)).Max());
            // Alternate the text, so that every run changes what the table shows.
            var searches = 0;
            var search = Measure(runs, () => FilterChange(driver, "#search", searches++ % 2 == 0 ? "c-0042" : "c-0043"));

            Report("clusters page, first render", clustersPage);
            Report("heat map (50 applications x 60 clusters), first render", heatMap);
            Report("clusters page, label selector change (slowest of 5 selectors)", filter);
            Report("clusters page, text search", search);
            await ServerSideAsync(app.Services, runs);
            driver.Quit();
            return 0;
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            foreach (var dir in new[] { data, repo })
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException)
                {
                    // Left for the OS to clean.
                }
            }
        }
    }

    /// <summary>
    /// What a render of the clusters page costs on the server, timed: reading and converting every cluster through the
    /// resource service (what each render did whenever a cluster had changed, before the index), against a filtered
    /// page from the index; and how often a Cluster changes in this fleet (why a list cached until the next change
    /// was nearly always stale).
    /// </summary>
    private static async Task ServerSideAsync(IServiceProvider services, int runs)
    {
        var resources = services.GetRequiredService<ResourceService>();
        var index = services.GetRequiredService<FleetIndex>();
        var selector = LabelSelector.Parse("env=prod");
        var list = new List<double>();
        var page = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var time = Stopwatch.StartNew();
            var all = await resources.ListAsync(Caller.System, ResourceKinds.Cluster, null, null, CancellationToken.None);
            _ = all.Select(Rows.Cluster).Count(r => r.State == State.Ready);
            list.Add(time.Elapsed.TotalMilliseconds);
            time.Restart();
            var (rows, _) = await index.Clusters.AllAsync(CancellationToken.None);
            _ = rows.Where(r => selector.Matches(r.Labels)).Skip(50).Take(50).ToList();
            page.Add(time.Elapsed.TotalMilliseconds);
        }
        var before = index.Clusters.Version;
        var watch = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(10));
        var changes = index.Clusters.Version - before;
        Report("server: list and convert every cluster through the resource service (each render before the index)", list);
        Report("server: one filtered page (env=prod, page 2) from the index (each render now)", page);
        Console.WriteLine($"console bench: Cluster changes seen by the index: {changes / watch.Elapsed.TotalSeconds:0.0}/s over {watch.Elapsed.TotalSeconds:0} s");
    }

    /// <summary>Clusters are labelled <c>shard</c> 0..499; application <c>a</c> selects shard <c>a</c>.</summary>
    private const int Shards = 500;

    /// <summary>Clusters labelled env/region/shard on an address where nothing listens (they probe once and report it), applications each selecting one shard.</summary>
    private static async Task RegisterAsync(HttpClient http, int clusters, int apps, string repo)
    {
        string[] envs = ["prod", "staging", "dev"];
        string[] regions = ["eu", "us", "ap"];
        await Parallel.ForEachAsync(Enumerable.Range(0, clusters), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var name = $"c-{i:00000}";
            await PutAsync(http, $"clusters/{name}",
                $"apiVersion: fleet.dev/v1\nkind: Cluster\nmetadata:\n  name: {name}\n  labels: {{env: {envs[i % 3]}, region: {regions[i / 3 % 3]}, shard: \"{i % Shards}\"}}\n" +
                $"spec:\n  server: https://127.0.0.1:9\n  probeInterval: 1h\n", ct);
        });
        await PutAsync(http, "gitrepositories/apps", $"apiVersion: fleet.dev/v1\nkind: GitRepository\nmetadata: {{name: apps}}\nspec:\n  url: file://{repo}\n  ref: {{branch: main}}\n  interval: 1h\n", CancellationToken.None);
        for (var a = 0; a < apps; a++)
        {
            await PutAsync(http, $"applications/app-{a:00}",
                $"apiVersion: fleet.dev/v1\nkind: Application\nmetadata: {{name: app-{a:00}}}\nspec:\n  sourceRef: {{kind: GitRepository, name: apps}}\n  path: ./\n  interval: 1h\n" +
                $"  clusterSelector:\n    matchLabels: {{shard: \"{a}\"}}\n", CancellationToken.None);
        }
    }

    /// <summary>Waits (at most two minutes) until the applications have placed themselves; returns how many placements there are.</summary>
    private static async Task<int> PlacementsAsync(HttpClient http, int expected)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        var count = 0;
        while (DateTime.UtcNow < deadline)
        {
            var list = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync($"api/v1/namespaces/{Ns}/placements"))!;
            count = list["items"]!.AsArray().Count;
            if (count >= expected)
            {
                break;
            }
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        return count;
    }

    /// <summary>A git repository with one ConfigMap at its root, made with the git CLI.</summary>
    private static string MakeRepository(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "kustomization.yaml"), "resources:\n- configmap.yaml\n");
        File.WriteAllText(Path.Combine(dir, "configmap.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bench\n  namespace: default\ndata:\n  cluster: ${cluster_name}\n");
        foreach (var args in new[] { "init -q -b main", "add -A", "-c user.name=bench -c user.email=bench@fleet.dev commit -q -m bench" })
        {
            using var git = Process.Start(new ProcessStartInfo("git", $"-C {dir} {args}") { RedirectStandardOutput = true })!;
            git.WaitForExit();
            if (git.ExitCode != 0)
            {
                throw new InvalidOperationException($"git {args} failed in {dir}");
            }
        }
        return dir;
    }

    private static async Task PutAsync(HttpClient http, string path, string yaml, CancellationToken ct)
    {
        var content = new StringContent(yaml, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/yaml");
        using var response = await http.PutAsync($"api/v1/namespaces/{Ns}/{path}", content, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    private static ChromeDriver StartBrowser()
    {
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1440,1000");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    /// <summary>Loads a page and returns the Performance API time (ms since navigation start) at which <paramref name="ready"/> first held, checked every animation frame.</summary>
    private static double FirstRender(ChromeDriver driver, Uri page, string ready)
    {
        driver.Navigate().GoToUrl(page);
        var script = $$"""
            const done = arguments[arguments.length - 1];
            const check = () => ({{ready}}) ? done(performance.now()) : requestAnimationFrame(check);
            check();
            """;
        driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(60);
        return Convert.ToDouble(driver.ExecuteAsyncScript(script), CultureInfo.InvariantCulture);
    }

    /// <summary>Changes a filter input as a person does (value, then change) and returns the ms until the table shows the answer (the rendered batch that follows).</summary>
    private static double FilterChange(ChromeDriver driver, string input, string value)
    {
        var script = $$"""
            const done = arguments[arguments.length - 1];
            const table = document.querySelector('#clusters');
            const input = document.querySelector('{{input}}');
            const before = document.querySelector('#page-info').textContent + table.textContent.length;
            const start = performance.now();
            input.value = {{System.Text.Json.JsonSerializer.Serialize(value)}};
            input.dispatchEvent(new Event('change', { bubbles: true }));
            const check = () => {
              const now = document.querySelector('#page-info').textContent + document.querySelector('#clusters').textContent.length;
              now !== before || performance.now() - start > 10000 ? done(performance.now() - start) : requestAnimationFrame(check);
            };
            requestAnimationFrame(check);
            """;
        return Convert.ToDouble(driver.ExecuteAsyncScript(script), CultureInfo.InvariantCulture);
    }

    private static List<double> Measure(int runs, Func<double> run) => Enumerable.Range(0, runs).Select(_ => run()).ToList();

    private static void Report(string what, List<double> ms)
    {
        var sorted = ms.Order().ToList();
        Console.WriteLine($"console bench: {what}: median {sorted[sorted.Count / 2]:0} ms, max {sorted[^1]:0} ms over {ms.Count} runs ({string.Join(", ", ms.Select(m => m.ToString("0", CultureInfo.InvariantCulture)))})");
    }

    private static void Until(IWebDriver driver, Func<IWebDriver, bool> condition) =>
        new WebDriverWait(driver, TimeSpan.FromSeconds(60)) { PollingInterval = TimeSpan.FromMilliseconds(20) }.Until(condition);

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
