using System.Net;
using System.Text.Json.Nodes;

namespace Fleet.Gateway.Tests.Rest;

[Collection(RestCollection.Name)]
public sealed class ApplyTests(RestSilo rest)
{
    /// <summary>Flux documents exactly as a Flux user keeps them, plus a Fleet Cluster.</summary>
    private const string FluxDocuments = """
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: podinfo
        spec:
          interval: 5m
          url: https://github.com/stefanprodan/podinfo
          ref:
            branch: master
        ---
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: podinfo
          annotations:
            fleet.dev/cluster-selector: env=prod,region in (eu,us)
        spec:
          interval: 10m
          targetNamespace: default
          sourceRef:
            kind: GitRepository
            name: podinfo
          path: ./kustomize
          prune: true
          timeout: 1m
          serviceAccountName: flux-applier
        ---
        apiVersion: notification.toolkit.fluxcd.io/v1
        kind: Receiver
        metadata:
          name: github-receiver
        spec:
          type: github
          events: ["ping", "push"]
          secretRef:
            name: webhook-token
          resources:
            - apiVersion: source.toolkit.fluxcd.io/v1
              kind: GitRepository
              name: podinfo
        ---
        apiVersion: fleet.dev/v1
        kind: Cluster
        metadata: {name: east, namespace: apply-other}
        spec: {server: 'https://127.0.0.1:1', paused: true}
        """;

    private static IEnumerable<string> Actions(JsonNode result) =>
        result["items"]!.AsArray().Select(i => $"{i!["action"]} {i["kind"]} {i["namespace"]}/{i["name"]}");

    [Fact]
    public async Task Apply_TakesFluxDocumentsUnchanged_AndReportsCreatedConfiguredUnchanged()
    {
        var result = await rest.ApplyAsync(FluxDocuments, "?namespace=apply-flux");
        Assert.Equal(
            ["created GitRepository apply-flux/podinfo", "created Application apply-flux/podinfo", "created Receiver apply-flux/github-receiver", "created Cluster apply-other/east"],
            Actions(result));

        var app = await rest.Silo.GetJsonAsync("api/v1/namespaces/apply-flux/applications/podinfo");
        var expressions = app["spec"]!["clusterSelector"]!["matchExpressions"]!.AsArray();
        Assert.Equal("""[{"key":"env","operator":"In","values":["prod"]},{"key":"region","operator":"In","values":["eu","us"]}]""", expressions.ToJsonString());
        Assert.Equal("default", app["spec"]!["targetNamespace"]!.GetValue<string>());

        var again = await rest.ApplyAsync(FluxDocuments.Replace("interval: 10m", "interval: 15m", StringComparison.Ordinal), "?namespace=apply-flux");
        Assert.Equal(
            ["unchanged GitRepository apply-flux/podinfo", "configured Application apply-flux/podinfo", "unchanged Receiver apply-flux/github-receiver", "unchanged Cluster apply-other/east"],
            Actions(again));
    }

    [Fact]
    public async Task Apply_TakesFluxHelmRepositoryAndHelmRelease_TheReleaseBecomesAnApplicationOfItsChart()
    {
        const string docs = """
            apiVersion: source.toolkit.fluxcd.io/v1
            kind: HelmRepository
            metadata:
              name: podinfo
            spec:
              interval: 5m
              url: https://stefanprodan.github.io/podinfo
            ---
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata:
              name: podinfo
              annotations:
                fleet.dev/cluster-selector: env=prod
            spec:
              interval: 10m
              chart:
                spec:
                  chart: podinfo
                  version: '>=6.0.0 <7.0.0'
                  sourceRef:
                    kind: HelmRepository
                    name: podinfo
              values:
                replicaCount: 2
            """;
        var result = await rest.ApplyAsync(docs, "?namespace=apply-helm");
        Assert.Equal(["created HelmRepository apply-helm/podinfo", "created Application apply-helm/podinfo"], Actions(result));
        var app = await rest.Silo.GetJsonAsync("api/v1/namespaces/apply-helm/applications/podinfo");
        Assert.Equal("podinfo", app["spec"]!["helm"]!["chart"]!.GetValue<string>());
        Assert.Equal(2, app["spec"]!["helm"]!["values"]!["replicaCount"]!.GetValue<int>());
        Assert.Equal("HelmRepository", app["spec"]!["sourceRef"]!["kind"]!.GetValue<string>());
        Assert.Equal("""{"matchExpressions":[{"key":"env","operator":"In","values":["prod"]}]}""", app["spec"]!["clusterSelector"]!.ToJsonString());

        // Without the clusters it goes to, a HelmRelease is refused, naming the annotation.
        var (response, body) = await rest.SendAsync(HttpMethod.Post, "api/v1/apply?namespace=apply-helm",
            docs[docs.IndexOf("apiVersion: helm", StringComparison.Ordinal)..].Replace("fleet.dev/cluster-selector", "other", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("items[0].metadata.annotations[fleet.dev/cluster-selector]", body!["errors"]!.AsArray().Select(e => e!["field"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Apply_WithAnyInvalidDocument_WritesNothing_AndNamesEveryProblemByDocument()
    {
        var docs = RestSilo.Cluster("apply-bad", "good") + """
            apiVersion: fleet.dev/v1
            kind: Cluster
            metadata: {name: bad, namespace: apply-bad, bogus: 1}
            spec: {server: 'ftp://x'}
            ---
            apiVersion: fleet.dev/v1
            kind: Placement
            metadata: {name: p, namespace: apply-bad}
            spec: {}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d}
            """;
        var (response, body) = await rest.SendAsync(HttpMethod.Post, "api/v1/apply", docs);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var fields = body!["errors"]!.AsArray().Select(e => e!["field"]!.GetValue<string>()).ToList();
        Assert.Contains("items[1].metadata.bogus", fields);
        Assert.Contains("items[1].spec.server", fields);
        Assert.Contains("items[2].kind", fields);
        Assert.Contains("items[3].kind", fields);
        Assert.DoesNotContain(fields, f => f.StartsWith("items[0]", StringComparison.Ordinal));
        Assert.DoesNotContain("System.", body.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await rest.SendAsync(HttpMethod.Get, "api/v1/namespaces/apply-bad/clusters/good")).Response.StatusCode);
    }

    [Fact]
    public async Task Apply_ConflictOnOneObject_LeavesEveryObjectAsItWas()
    {
        await rest.ApplyAsync(RestSilo.Cluster("apply-tx", "existing"));
        var docs = RestSilo.Cluster("apply-tx", "fresh") + RestSilo.Cluster("apply-tx", "existing", "{changed: 'yes'}").Replace("namespace: apply-tx", "namespace: apply-tx, resourceVersion: '1'", StringComparison.Ordinal);
        var (response, body) = await rest.SendAsync(HttpMethod.Post, "api/v1/apply", docs);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("nothing was applied", body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await rest.SendAsync(HttpMethod.Get, "api/v1/namespaces/apply-tx/clusters/fresh")).Response.StatusCode);
    }

    [Fact]
    public async Task Apply_TakesAJsonList_AndDryRunWritesNothing()
    {
        var list = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "List",
            ["items"] = new JsonArray(
                JsonNode.Parse("""{"apiVersion":"fleet.dev/v1","kind":"Cluster","metadata":{"name":"j1"},"spec":{"server":"https://127.0.0.1:1","paused":true}}"""),
                JsonNode.Parse("""{"apiVersion":"fleet.dev/v1","kind":"Cluster","metadata":{"name":"j2"},"spec":{"server":"https://127.0.0.1:1","paused":true}}""")),
        };
        var (response, body) = await rest.SendAsync(HttpMethod.Post, "api/v1/apply?namespace=apply-json&dryRun=All", list.ToJsonString(), "application/json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body!["dryRun"]!.GetValue<bool>());
        Assert.Equal(["created Cluster apply-json/j1", "created Cluster apply-json/j2"], Actions(body));
        Assert.Empty((await rest.Silo.GetJsonAsync("api/v1/namespaces/apply-json/clusters"))["items"]!.AsArray());

        (response, body) = await rest.SendAsync(HttpMethod.Post, "api/v1/apply?namespace=apply-json", list.ToJsonString(), "application/json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await rest.Silo.GetJsonAsync("api/v1/namespaces/apply-json/clusters"))["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task Apply_BadSelectorAnnotation_IsNamed()
    {
        var doc = FluxDocuments.Split("---")[1].Replace("env=prod,region in (eu,us)", "env in (prod", StringComparison.Ordinal);
        var (response, body) = await rest.SendAsync(HttpMethod.Post, "api/v1/apply?namespace=apply-sel", doc);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(body!["errors"]!.AsArray(), e => e!["field"]!.GetValue<string>() == "items[0].metadata.annotations[fleet.dev/cluster-selector]");
    }
}
