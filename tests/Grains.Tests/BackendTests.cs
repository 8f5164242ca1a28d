using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Fleet.Gateway.Tests.Support;
using Fleet.Grains.Tests.Support;
using Fleet.TestSupport;

namespace Fleet.Grains.Tests;

/// <summary>
/// The other ways to run Fleet: silos on Azure Storage (tested against Azurite), a gateway process of its own as an
/// Orleans client of the silos, and the Orleans Dashboard.
/// </summary>
public sealed class BackendTests
{
    private const string RepoYaml = "apiVersion: fleet.dev/v1\nkind: GitRepository\nmetadata: {{name: repo}}\nspec:\n  url: {0}\n  ref: {{branch: main}}\n  interval: 1h\n";

    [AzuriteFact]
    public async Task SilosOnAzureStorage_KeepGrainStateRemindersAndMembershipInTables_AndASecondSiloJoins()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        var root = Directory.CreateTempSubdirectory("fleet-azure-").FullName;
        using var repo = new GitRepo();
        repo.Write("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
        repo.Commit("first");
        string[] args = ["--Fleet:Clustering=AzureStorage", $"--Fleet:AzureStorageConnectionString={azurite.ConnectionString}"];
        await using var first = await SiloProcess.StartAsync("azure-0", Path.Combine(root, "0"), args);

        using var http = first.Client();
        await PutAsync(http, "gitrepositories/repo", string.Format(System.Globalization.CultureInfo.InvariantCulture, RepoYaml, repo.Url));
        await Eventually.WaitAsync(async () => SiloHost.Condition(await GetAsync(http, "gitrepositories/repo"), "Ready") == "True", "the source fetched on a silo on Azure Storage", TimeSpan.FromSeconds(60));

        var tables = new TableServiceClient(azurite.ConnectionString);
        var names = tables.Query().Select(t => t.Name).ToList();
        long Rows(string table) => tables.GetTableClient(table).Query<TableEntity>().LongCount();
        var state = names.Single(n => n.Contains("GrainState", StringComparison.OrdinalIgnoreCase));
        var reminders = names.Single(n => n.Contains("Reminder", StringComparison.OrdinalIgnoreCase));
        var membership = names.Single(n => n.Contains("Silo", StringComparison.OrdinalIgnoreCase));
        Assert.True(Rows(state) > 0, $"grain state rows in {state}");
        Assert.True(Rows(reminders) > 0, $"reminder rows in {reminders}");

        // A second silo joins through the membership table.
        await using var second = await SiloProcess.StartAsync("azure-1", Path.Combine(root, "1"), args);
        await Eventually.WaitAsync(
            () => tables.GetTableClient(membership).Query<TableEntity>().Count(e => e.TryGetValue("Status", out var s) && s?.ToString() == "Active") == 2,
            "two active silos in the membership table",
            TimeSpan.FromSeconds(60));
    }

    [PostgresFact]
    public async Task GatewayProcess_IsAnOrleansClientOfTheSilos_AndServesTheApi()
    {
        var cs = await new PostgresFixture().CreateDatabaseAsync();
        var root = Directory.CreateTempSubdirectory("fleet-gateway-role-").FullName;
        using var repo = new GitRepo();
        repo.Write("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
        repo.Commit("first");
        string[] shared = ["--Fleet:Store:Provider=Postgres", $"--Fleet:Store:ConnectionString={cs}", "--Fleet:Clustering=AdoNet"];
        await using var silo = await SiloProcess.StartAsync("silo", Path.Combine(root, "silo"), [.. shared, "--Fleet:Gateway=false"]);
        await using var gateway = await SiloProcess.StartAsync("gateway", Path.Combine(root, "gateway"), [.. shared, "--role", "gateway"]);

        using var http = gateway.Client();
        await PutAsync(http, "gitrepositories/repo", string.Format(System.Globalization.CultureInfo.InvariantCulture, RepoYaml, repo.Url));
        await Eventually.WaitAsync(async () => SiloHost.Condition(await GetAsync(http, "gitrepositories/repo"), "Ready") == "True", "the silo fetched what the gateway wrote", TimeSpan.FromSeconds(60));

        // The silo without a gateway serves no API.
        using var direct = new HttpClient { BaseAddress = silo.Gateway };
        Assert.Equal(HttpStatusCode.NotFound, (await direct.GetAsync("api/v1/namespaces/team-a/gitrepositories")).StatusCode);
    }

    [Fact]
    public async Task OrleansDashboard_IsServedUnderOrleans_OnlyWhenEnabled()
    {
        await using (var off = await SiloHost.StartAsync())
        {
            Assert.Equal(HttpStatusCode.NotFound, (await off.Http.GetAsync("orleans/")).StatusCode);
        }

        await using var on = await SiloHost.StartAsync(null, "--Fleet:Dashboard=true");
        var response = await on.Http.GetAsync("orleans/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<html", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        // The dashboard has no authentication of its own: the gateway asks for an admin token, which a browser
        // sends as the password of HTTP Basic authentication.
        using var anonymous = on.Client(null);
        var refused = await anonymous.GetAsync("orleans/");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.StartsWith("Basic", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        using var browser = on.Client(null);
        browser.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + SiloHost.AdminToken)));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("orleans/")).StatusCode);
        using var viewer = on.Client(await on.CreateTokenAsync("dashboard-viewer", "viewer"));
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("orleans/")).StatusCode);
    }

    private static async Task PutAsync(HttpClient http, string path, string yaml)
    {
        var content = new StringContent(yaml, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/yaml");
        var response = await http.PutAsync($"api/v1/namespaces/team-a/{path}", content);
        Assert.True(response.IsSuccessStatusCode, $"PUT {path}: {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<JsonObject> GetAsync(HttpClient http, string path) =>
        JsonNode.Parse(await http.GetStringAsync($"api/v1/namespaces/team-a/{path}"))!.AsObject();
}
