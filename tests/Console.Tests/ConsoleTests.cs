using Fleet.Console.Tests.Support;
using Fleet.Gateway.Tests.Support;
using Fleet.Grains.Tests.Support;

namespace Fleet.Console.Tests;

/// <summary>The console in a real browser against a real silo, gateway and KubeSim.</summary>
public sealed class ConsoleTests(ConsoleFixture fleet) : IClassFixture<ConsoleFixture>
{
    private Browser Browser => fleet.Browser;

    private void SkipWithoutBrowser() => Skip.If(fleet.SkipReason is not null, fleet.SkipReason);

    private void SignedIn() => Browser.SignedInAs(fleet.OperatorToken, "console-operator");

    [SkippableFact]
    public void SignIn_ShowsTheOverview_ClustersByState_AndTheLiveFeed()
    {
        SkipWithoutBrowser();
        SignedIn();
        var clusters = Browser.Find("#clusters-by-state");
        Browser.WaitUntil(() => clusters.FindElement(OpenQA.Selenium.By.CssSelector("[data-state=Ready] .n")).Text == "20", "20 ready clusters counted");
        Browser.WaitUntil(() => Browser.All("#feed li").Count > 1, "events in the live feed");
        // Reconcile durations, plotted by plotly.js.
        Browser.WaitUntil(() => Browser.Exists("#durations .main-svg"), "the reconcile durations plot");
        Browser.Screenshot("overview");
    }

    [SkippableFact]
    public void ClustersPage_FiltersByLabelsStateAndText_OnTheServer()
    {
        SkipWithoutBrowser();
        SignedIn();
        Browser.Open("ui/clusters");
        Browser.WaitUntil(() => Browser.Find("#total").Text == "20", "all 20 clusters listed");
        Browser.Screenshot("clusters");

        Browser.Type("#selector", "env=prod,region=us");
        Browser.WaitUntil(() => Browser.Find("#total").Text == "5", "five prod clusters in the us");
        Assert.All(Browser.All("#clusters tbody tr"), r => Assert.Contains(r.GetAttribute("data-name"), FleetEnvironment.ProdUs));

        Browser.Type("#search", "sim-0013");
        Browser.WaitUntil(() => Browser.Find("#total").Text == "1", "one cluster matches the text");
        Assert.Equal("sim-0013", Browser.Find("#clusters tbody tr").GetAttribute("data-name"));

        Browser.Type("#search", "");
        Browser.Find("#state option[value=Failed]").Click();
        Browser.WaitUntil(() => Browser.Find("#total").Text == "0", "no prod cluster in the us failed");
        Browser.Find("#state option[value=Ready]").Click();
        Browser.WaitUntil(() => Browser.Find("#total").Text == "5", "the five ready again");
        Browser.Find("#state option[value='']").Click();

        Browser.Type("#selector", "env in (");
        Browser.WaitUntil(() => Browser.Exists("#error"), "a bad selector is explained");
        Assert.Contains("labelSelector", Browser.Find("#error").Text, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void ClusterPage_ShowsLabelsVersionAndEveryApplicationOnIt()
    {
        SkipWithoutBrowser();
        SignedIn();
        Browser.Open($"ui/clusters/{FleetEnvironment.Ns}/sim-0001");
        Browser.WaitUntil(() => Browser.Find("#kubernetes-version").Text.StartsWith("v1.", StringComparison.Ordinal), "the probed Kubernetes version");
        Assert.Contains("env=prod", Browser.Find(".facts").Text, StringComparison.Ordinal);
        Browser.WaitUntil(() => Browser.All("#placements tbody tr[data-name=web]").Count == 1, "web is placed here");
        Browser.WaitUntil(() => Browser.Find("#placements tbody tr[data-name=web]").Text.Contains("Ready", StringComparison.Ordinal), "web ready here, with its revision");
        Assert.Contains("main@sha1:", Browser.Find("#placements tbody tr[data-name=web]").Text, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void ApplicationPage_ShowsConditionsClustersInventoryAndEvents()
    {
        SkipWithoutBrowser();
        SignedIn();
        Browser.Open("ui/applications");
        Browser.Find("#applications tr[data-name=web] a").Click();
        Browser.WaitUntil(() => Browser.All("#cluster-grid .cell").Count == 10, "ten clusters in the grid");
        Assert.Contains("Ready", Browser.Find("#conditions").Text, StringComparison.Ordinal);
        Browser.Find("#cluster-grid .cell[data-cluster=sim-0011]").Click();
        Browser.WaitUntil(() => Browser.Find("#inventory").Text.Contains("Deployment", StringComparison.Ordinal), "the inventory on sim-0011");
        Assert.Contains("web-config", Browser.Find("#inventory").Text, StringComparison.Ordinal);
        Browser.WaitUntil(() => Browser.All("#events li[data-reason]").Count > 0, "recent events");
        Browser.WaitUntil(() => Browser.Exists("#rollout-progress .main-svg"), "the rollout progress plot");
        Browser.Screenshot("application");
    }

    [SkippableFact]
    public void HeatMap_ColoursEachApplicationOnEachCluster_InWordsToo()
    {
        SkipWithoutBrowser();
        SignedIn();
        Browser.Open("ui/heatmap");
        Browser.WaitUntil(() => Browser.All("#heatmap tr[data-name=web] td.st-ready").Count == 10, "web ready on ten clusters");
        Assert.Equal(10, Browser.All("#heatmap tr[data-name=web] td.none").Count);
        Assert.Contains("Ready", Browser.Find("#heatmap tr[data-name=web] td.st-ready").GetAttribute("title"), StringComparison.Ordinal);
        Assert.Contains("✔", Browser.Find("#heatmap tr[data-name=web] td.st-ready").Text, StringComparison.Ordinal);
        Browser.Screenshot("heatmap");

        // A click on a cell shows that application on that cluster.
        Browser.Find("#heatmap tr[data-name=web] td.st-ready button").Click();
        Browser.WaitUntil(() => Browser.Exists("#cell-detail"), "the cell's details");
        Assert.Contains("Ready", Browser.Find("#cell-detail").Text, StringComparison.Ordinal);
        Assert.Contains("main@sha1:", Browser.Find("#cell-detail").Text, StringComparison.Ordinal);
        Assert.Contains("?cluster=sim-", Browser.Find("#cell-open").GetAttribute("href"), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task AChangeInFleet_ShowsInAnOpenPage_WithoutReload()
    {
        SkipWithoutBrowser();
        SignedIn();
        Browser.Open("ui/clusters");
        Browser.Type("#selector", "tier=gold");
        Browser.WaitUntil(() => Browser.Find("#total").Text == "0", "no gold cluster yet");
        var marker = Browser.Find("#clusters");
        await fleet.Env.PutAsync("clusters/sim-0020", fleet.Env.ClusterYaml("sim-0020", "dev", "us").Replace("region: us}", "region: us, tier: gold}", StringComparison.Ordinal));
        Browser.WaitUntil(() => Browser.Find("#total").Text == "1", "the relabelled cluster appears in the open page");
        // The same table element: the page was updated in place, not reloaded.
        Assert.True(marker.Displayed);
    }

    [SkippableFact]
    public void WrongToken_SeesNothingButTheSignInForm()
    {
        SkipWithoutBrowser();
        Browser.SignIn("fleet_wrong-token");
        Browser.Find("#sign-in-error");
        Assert.DoesNotContain("fleet_wrong-token", Browser.Driver.PageSource, StringComparison.Ordinal);
        Browser.Open("ui/clusters");
        Browser.Find("#token");
        Assert.False(Browser.Exists("#clusters"));
        Assert.False(Browser.Exists("nav.side"));
        Assert.DoesNotContain("sim-0001", Browser.Driver.PageSource, StringComparison.Ordinal);
        Browser.Screenshot("sign-in");
    }

    [SkippableFact]
    public void TokenOfAnotherNamespace_SeesNoneOfThisNamespace()
    {
        SkipWithoutBrowser();
        Browser.SignedInAs(fleet.OtherNamespaceToken, "console-other");
        Browser.Open("ui/clusters");
        Browser.WaitUntil(() => Browser.Find("#total").Text == "0", "no cluster of team-a listed");
        Browser.Open($"ui/applications/{FleetEnvironment.Ns}/web");
        Browser.WaitUntil(() => Browser.Exists("#error"), "the application is not found");
        Assert.Contains("not found", Browser.Find("#error").Text, StringComparison.Ordinal);
        Assert.False(Browser.Exists("#cluster-grid"));
    }

    [SkippableFact]
    public async Task ApplicationPage_DiffsDesiredAgainstLive_OnTheChosenCluster()
    {
        SkipWithoutBrowser();
        // An application that reconciles hourly, so that the hand edits below stay until the diff reads them.
        await fleet.Env.PutAsync("applications/hourly", """
            apiVersion: fleet.dev/v1
            kind: Application
            metadata: {name: hourly}
            spec:
              sourceRef: {kind: GitRepository, name: repo}
              path: base
              interval: 1h
              timeout: 30s
              prune: true
              clusterSelector:
                matchLabels: {env: dev, region: eu}
              postBuild:
                substitute: {team: payments}
            """);
        await fleet.Env.WaitAsync(async () => await fleet.Env.PlacementReadyAsync("hourly~sim-0002") == "True", "hourly ready on sim-0002");
        // Hand edits on the cluster: a changed ConfigMap value and a deleted Service.
        var config = fleet.Env.Get("sim-0002", FleetEnvironment.ConfigMapPath)!;
        config["data"]!["team"] = "hand-edited";
        Assert.Equal(200, fleet.Env.Sim.Invoke("sim-0002", "PUT", FleetEnvironment.ConfigMapPath, config.ToJsonString(), "application/json").Status);
        Assert.Equal(200, fleet.Env.Sim.Invoke("sim-0002", "DELETE", FleetEnvironment.ServicePath).Status);

        SignedIn();
        Browser.Open($"ui/applications/{FleetEnvironment.Ns}/hourly?cluster=sim-0002");
        Browser.Find("#diff-run").Click();
        Browser.WaitUntil(() => Browser.Exists("#diff"), "the diff of sim-0002", 60);
        var changed = Browser.Find("#diff tr[data-object='ConfigMap/demo/web-config']");
        Assert.Equal("changed", changed.GetAttribute("data-action"));
        Assert.Contains("team: hand-edited", Lines("#diff tr[data-object='ConfigMap/demo/web-config'] .unified .dd"), StringComparison.Ordinal);
        Assert.Contains("team: payments", Lines("#diff tr[data-object='ConfigMap/demo/web-config'] .unified .da"), StringComparison.Ordinal);
        Assert.Equal("added", Browser.Find("#diff tr[data-object='Service/demo/web']").GetAttribute("data-action"));
        Assert.Equal("unchanged", Browser.Find("#diff tr[data-object='Deployment/demo/web']").GetAttribute("data-action"));
        Assert.Contains("1 changed", Browser.Find("#diff-summary").Text, StringComparison.Ordinal);
        Browser.Driver.ExecuteScript("document.querySelector('#diff-summary').scrollIntoView()");
        Browser.Screenshot("diff");
    }

    private string Lines(string css) => string.Join("\n", Browser.All(css).Select(e => e.Text));

    [SkippableFact]
    public void Viewer_SeesNoActionButtons()
    {
        SkipWithoutBrowser();
        Browser.SignedInAs(fleet.ViewerToken, "console-viewer");
        Browser.Open($"ui/applications/{FleetEnvironment.Ns}/web");
        Browser.WaitUntil(() => Browser.All("#cluster-grid .cell").Count == 10, "the application page rendered");
        Assert.False(Browser.Exists("#reconcile"));
        Assert.False(Browser.Exists("#suspend"));
        Assert.False(Browser.Exists("#resume"));
        Browser.Open($"ui/sources/{FleetEnvironment.Ns}/repo");
        Browser.Find("#revision");
        Assert.False(Browser.Exists("#reconcile"));
    }

    [SkippableFact]
    public async Task FetchNow_OnTheSourcePage_BringsTheNewRevision_AndItsEventArrives()
    {
        SkipWithoutBrowser();
        SignedIn();
        Browser.Open($"ui/sources/{FleetEnvironment.Ns}/repo");
        var before = Browser.Find("#revision").Text;
        FleetEnvironment.WriteExample(fleet.Env.Repo, "nginx:1.27");
        var commit = fleet.Env.Repo.Commit("new image");
        // The source fetches every hour: only the button brings the commit now.
        Browser.Find("#reconcile").Click();
        Browser.WaitUntil(() => Browser.Find("#revision").Text.Contains(commit, StringComparison.Ordinal), "the new revision shown", 60);
        Browser.WaitUntil(() => Browser.All("#events li[data-reason=NewArtifact]").Any(e => e.Text.Contains(commit[..7], StringComparison.Ordinal) || e.Text.Contains(commit, StringComparison.Ordinal)), "the NewArtifact event arrives", 60);
        Assert.NotEqual(before, Browser.Find("#revision").Text);
        Browser.Open($"ui/applications/{FleetEnvironment.Ns}/web");
        Browser.Find("#reconcile").Click();
        Browser.WaitUntil(() => Browser.Find("#action-result").Text.Contains("reconcile requested", StringComparison.Ordinal), "the reconcile accepted");
        Browser.WaitUntil(() => Browser.Find("#revision").Text.Contains(commit, StringComparison.Ordinal), "the application on the new revision", 90);
        await Task.CompletedTask;
    }

    [SkippableFact]
    public void Suspend_ShowsTheStateChange_AndResumeBringsItBack()
    {
        SkipWithoutBrowser();
        SignedIn();
        Browser.Open($"ui/applications/{FleetEnvironment.Ns}/web");
        Browser.Find("#suspend").Click();
        Browser.WaitUntil(() => Browser.Find("#app-state").Text.Contains("Suspended", StringComparison.Ordinal), "the application shows Suspended");
        Browser.WaitUntil(() => Browser.All("#events li[data-reason=Suspended]").Count > 0, "the Suspended event arrives");
        Browser.Find("#resume").Click();
        Browser.WaitUntil(() => Browser.Find("#app-state").Text.Contains("Ready", StringComparison.Ordinal), "the application Ready again", 60);
    }
}
