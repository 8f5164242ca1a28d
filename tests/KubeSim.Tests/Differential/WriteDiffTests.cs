using Fleet.TestSupport;
using Fleet.KubeSim.Tests.Support;
using System.Text.Json.Nodes;

namespace Fleet.KubeSim.Tests.Differential;

/// <summary>Server-side apply, the three patch types, subresources, generation and watch: KubeSim against the real kube-apiserver.</summary>
public sealed class WriteDiffTests(DiffFixture fixture) : DiffTestBase(fixture)
{
    private const string Web = "apis/apps/v1/namespaces/NS/deployments/web";

    [KubeRealFact]
    public Task Apply_CreatesDetectsConflictsAndForcesAsTheRealServer() => Compare(async s =>
    {
        await Namespace(s, "d-ssa");
        var web = Web.Replace("NS", "d-ssa", StringComparison.Ordinal);
        await s.Apply(web, Deployment("web", replicas: 2), "fleet");
        await s.Apply(web, Deployment("web", replicas: 2), "fleet");
        await s.Apply(web, Deployment("web", replicas: 2, image: "nginx:1.28"), "other");
        await s.Apply(web, """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":5}}""", "scaler", force: true);
        await s.Apply(web, Deployment("web", replicas: 2), "fleet");
        await s.Apply(web, Deployment("web", replicas: 2, image: "nginx:1.28"), "fleet", force: true);
        await s.Apply(web, """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},
             "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}
            """, "fleet");
        await s.Apply("api/v1/namespaces/d-ssa/configmaps/cfg?dryRun=All", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"data":{"a":"1"}}""", "fleet");
        await s.Apply("api/v1/namespaces/d-ssa/configmaps/cfg", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","annotations":{"x":"y"}},"data":{"a":"1","b":"2"}}""", "fleet");
        await s.Apply("api/v1/namespaces/d-ssa/configmaps/cfg", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"data":{"a":"1"}}""", "fleet");
        await s.Apply("api/v1/namespaces/d-ssa/services/svc", """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"svc"},"spec":{"selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":8080}]}}
            """, "fleet");
        await s.Apply("api/v1/namespaces/d-ssa/services/svc", """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"svc"},"spec":{"selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":8080}]}}
            """, "fleet");
    });

    [KubeRealFact]
    public Task Patch_MergeStrategicAndJsonPatchAsTheRealServer() => Compare(async s =>
    {
        await Namespace(s, "d-patch");
        var web = Web.Replace("NS", "d-patch", StringComparison.Ordinal);
        await s.Send("POST", "apis/apps/v1/namespaces/d-patch/deployments?fieldManager=creator", Deployment("web"));
        await s.Send("PATCH", web, """{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"},{"name":"side","image":"busybox"}]}}}}""", "application/strategic-merge-patch+json");
        await s.Send("PATCH", web + "?fieldManager=merger", """{"metadata":{"labels":{"extra":"1"}},"spec":{"revisionHistoryLimit":3}}""", "application/merge-patch+json");
        await s.Send("PATCH", web, """[{"op":"replace","path":"/spec/replicas","value":4},{"op":"add","path":"/metadata/annotations","value":{"note":"x"}}]""", "application/json-patch+json");
        await s.Send("PATCH", web, """[{"op":"test","path":"/spec/replicas","value":9}]""", "application/json-patch+json");
        await s.Send("PATCH", web, """{"spec":{"template":{"spec":{"containers":[{"name":"side","$patch":"delete"}]}}}}""", "application/strategic-merge-patch+json");
        await s.Send("PATCH", "apis/apps/v1/namespaces/d-patch/deployments/missing", """{"spec":{}}""", "application/merge-patch+json");
    });

    [KubeRealFact]
    public Task Generation_ChangesOnlyWithTheSpecAsTheRealServer() => Compare(async s =>
    {
        await Namespace(s, "d-gen");
        var web = Web.Replace("NS", "d-gen", StringComparison.Ordinal);
        await s.Apply(web, Deployment("web"), "fleet");
        await s.Send("PATCH", web, """{"metadata":{"annotations":{"a":"1"},"labels":{"b":"2"}}}""", "application/merge-patch+json");
        await s.Send("PATCH", web, """{"spec":{"paused":true}}""", "application/merge-patch+json");
        await s.Send("PATCH", web, """{"spec":{"paused":true}}""", "application/merge-patch+json");
        await s.Send("PATCH", web, """{"spec":{"template":{"metadata":{"annotations":{"restart":"1"}}}}}""", "application/merge-patch+json");
        await s.Apply("api/v1/namespaces/d-gen/configmaps/c", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1"}}""", "fleet");
        await s.Apply("api/v1/namespaces/d-gen/configmaps/c", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"2"}}""", "fleet");
    });

    [KubeRealFact]
    public Task StatusAndScale_SubresourcesAsTheRealServer() => Compare(async s =>
    {
        await Namespace(s, "d-sub");
        var web = Web.Replace("NS", "d-sub", StringComparison.Ordinal);
        await s.Send("POST", "apis/apps/v1/namespaces/d-sub/deployments", Deployment("web", replicas: 2));
        await s.Send("PATCH", web + "/status", """{"status":{"replicas":2,"readyReplicas":1,"observedGeneration":1}}""", "application/merge-patch+json");
        await s.Send("PATCH", web, """{"status":{"replicas":7},"spec":{"minReadySeconds":1}}""", "application/merge-patch+json");
        await s.Apply(web + "/status", """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"status":{"availableReplicas":1}}""", "health");
        await s.Send("GET", web + "/scale");
        await s.Send("PATCH", web + "/scale", """{"spec":{"replicas":4}}""", "application/merge-patch+json");
        await s.Send("PUT", web + "/scale", """{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"web","namespace":"d-sub"},"spec":{"replicas":6}}""");
        await s.Send("PUT", web + "/scale", """{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"web","namespace":"d-sub"},"spec":{"replicas":-1}}""");
        await s.Send("GET", web);
        await s.Send("GET", "apis/apps/v1/namespaces/d-sub/deployments/missing/scale");
        await s.Send("POST", "apis/apps/v1/namespaces/d-sub/statefulsets", """
            {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db"},"spec":{"serviceName":"db","selector":{"matchLabels":{"app":"db"}},
             "template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"db","image":"postgres:16"}]}}}}
            """);
        await s.Send("PATCH", "apis/apps/v1/namespaces/d-sub/statefulsets/db/scale", """{"spec":{"replicas":3}}""", "application/merge-patch+json");
        await s.Send("POST", "apis/apps/v1/namespaces/d-sub/replicasets", """
            {"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"rs"},"spec":{"selector":{"matchLabels":{"app":"rs"}},
             "template":{"metadata":{"labels":{"app":"rs"}},"spec":{"containers":[{"name":"c","image":"busybox:latest"}]}}}}
            """);
        await s.Send("GET", "apis/apps/v1/namespaces/d-sub/replicasets/rs/scale");
    });

    [KubeRealFact]
    public Task Watch_ReplaysFromAResourceVersionAsTheRealServer() => Compare(async s =>
    {
        await Namespace(s, "d-watch");
        var created = await s.Send("POST", "api/v1/namespaces/d-watch/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w","labels":{"x":"1"}},"data":{"a":"1"}}""");
        var rv = created!["metadata"]!["resourceVersion"]!.GetValue<string>();
        await s.Send("PATCH", "api/v1/namespaces/d-watch/configmaps/w", """{"data":{"a":"2"}}""", "application/merge-patch+json");
        await s.Send("POST", "api/v1/namespaces/d-watch/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"other"}}""");
        await s.Send("DELETE", "api/v1/namespaces/d-watch/configmaps/w");
        await s.Watch($"api/v1/namespaces/d-watch/configmaps?watch=true&resourceVersion={rv}", 3);
        await s.Watch($"api/v1/namespaces/d-watch/configmaps?watch=true&resourceVersion={rv}&labelSelector=x", 2);
    });

    [KubeRealFact]
    public Task Delete_WithFinalizersAndCollectionsAsTheRealServer() => Compare(async s =>
    {
        await Namespace(s, "d-del");
        await s.Send("POST", "api/v1/namespaces/d-del/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"held","finalizers":["example.com/hold"]}}""");
        await s.Send("DELETE", "api/v1/namespaces/d-del/configmaps/held");
        await s.Send("PATCH", "api/v1/namespaces/d-del/configmaps/held", """{"metadata":{"finalizers":null}}""", "application/merge-patch+json");
        await s.Send("GET", "api/v1/namespaces/d-del/configmaps/held");
        await s.Send("POST", "api/v1/namespaces/d-del/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"gen-"}}""");
        await s.Send("DELETE", "api/v1/namespaces/d-del/configmaps");
        await s.Send("DELETE", "api/v1/namespaces/d-del");
    });

    [KubeRealFact]
    public Task Update_OfWhatMayNotChangeIsRejectedAsTheRealServer() => Compare(async s =>
    {
        await Namespace(s, "d-imm");
        var web = Web.Replace("NS", "d-imm", StringComparison.Ordinal);
        await s.Send("POST", "apis/apps/v1/namespaces/d-imm/deployments", Deployment("web"));
        await s.Send("PATCH", web, """{"spec":{"selector":{"matchLabels":{"app":"web","x":"y"}},"template":{"metadata":{"labels":{"x":"y"}}}}}""", "application/merge-patch+json");
        await s.Apply(web, """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"selector":{"matchExpressions":[{"key":"app","operator":"In","values":["web"]}]}}}
            """, "fleet");
        await s.Send("POST", "api/v1/namespaces/d-imm/services", """{"apiVersion":"v1","kind":"Service","metadata":{"name":"svc"},"spec":{"clusterIP":"10.0.0.77","ports":[{"port":80}]}}""");
        await s.Send("PATCH", "api/v1/namespaces/d-imm/services/svc", """{"spec":{"clusterIP":"10.0.0.78","clusterIPs":["10.0.0.78"]}}""", "application/merge-patch+json");
        await s.Send("PUT", "api/v1/namespaces/d-imm/services/svc", """{"apiVersion":"v1","kind":"Service","metadata":{"name":"svc"},"spec":{"ports":[{"port":81}]}}""");
        await s.Send("POST", "apis/apps/v1/namespaces/d-imm/statefulsets", """
            {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db"},"spec":{"serviceName":"db","selector":{"matchLabels":{"app":"db"}},
             "template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"db","image":"postgres:16"}]}},
             "volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}}
            """);
        await s.Send("PATCH", "apis/apps/v1/namespaces/d-imm/statefulsets/db", """
            {"spec":{"volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"2Gi"}}}}]}}
            """, "application/merge-patch+json");
        await s.Send("PATCH", "apis/apps/v1/namespaces/d-imm/statefulsets/db", """{"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"db","image":"postgres:17"}]}}}}""", "application/strategic-merge-patch+json");
        await s.Send("POST", "api/v1/namespaces/d-imm/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"frozen"},"data":{"a":"1"},"immutable":true}""");
        await s.Send("PATCH", "api/v1/namespaces/d-imm/configmaps/frozen", """{"data":{"a":"2"}}""", "application/merge-patch+json");
        await s.Send("PATCH", "api/v1/namespaces/d-imm/configmaps/frozen", """{"metadata":{"labels":{"ok":"yes"}}}""", "application/merge-patch+json");
        await s.Send("POST", "api/v1/namespaces/d-imm/secrets", """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"typed"},"data":{"a":"eA=="}}""");
        await s.Send("PATCH", "api/v1/namespaces/d-imm/secrets/typed", """{"type":"example.com/other"}""", "application/merge-patch+json");
        await s.Send("POST", "apis/rbac.authorization.k8s.io/v1/namespaces/d-imm/rolebindings", """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"rb"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"a"},"subjects":[{"kind":"User","name":"u"}]}
            """);
        await s.Send("PATCH", "apis/rbac.authorization.k8s.io/v1/namespaces/d-imm/rolebindings/rb", """{"roleRef":{"name":"b"}}""", "application/merge-patch+json");
    });

    [KubeRealFact]
    public Task TokenRequest_IssuesAndRefusesAsTheRealServer() => Compare(async s =>
    {
        await Namespace(s, "d-token");
        await s.Send("POST", "api/v1/namespaces/d-token/serviceaccounts", """{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"agent"}}""");
        const string Path = "api/v1/namespaces/d-token/serviceaccounts/agent/token";
        // The token itself differs (RS256 against HS256, another key): compared as "a JWT of three parts".
        static JsonNode? Token(JsonNode? n)
        {
            if (n?["status"]?["token"] is JsonValue token)
            {
                n["status"]!["token"] = token.GetValue<string>().Split('.').Length == 3 ? "<jwt>" : "<not a jwt>";
            }

            return n;
        }

        await s.Send("POST", Path, """{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":7200}}""", project: Token);
        await s.Send("POST", Path, "{}", project: Token);
        await s.Send("POST", Path, """{"spec":{"audiences":["fleet"],"expirationSeconds":600}}""", project: Token);
        await s.Send("POST", Path, """{"spec":{"expirationSeconds":100}}""");
        await s.Send("POST", Path, """{"spec":{"expirationSeconds":5000000000}}""");
        await s.Send("POST", Path, """{"apiVersion":"v1","kind":"ConfigMap"}""");
        await s.Send("POST", "api/v1/namespaces/d-token/serviceaccounts/nobody/token", "{}");
    });
}
