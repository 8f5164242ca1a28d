using Fleet.TestSupport;
using Fleet.KubeSim.Tests.Support;
using System.Text.Json.Nodes;

namespace Fleet.KubeSim.Tests.Differential;

/// <summary>Discovery, create with defaulting, get and list: KubeSim against the real kube-apiserver.</summary>
public sealed class ObjectDiffTests(DiffFixture fixture) : DiffTestBase(fixture)
{
    private static Func<JsonNode?, JsonNode?> Resources(params string[] names) => n =>
        new JsonArray(n!["resources"]!.AsArray().Where(r => names.Contains(r!["name"]!.GetValue<string>()))
            .Select(r =>
            {
                var o = r!.DeepClone().AsObject();
                o.Remove("storageVersionHash");
                return (JsonNode?)o;
            }).ToArray());

    [KubeRealFact]
    public Task Discovery_ListsCoreAndAppsResourcesAsTheRealServer() => Compare(async s =>
    {
        await s.Send("GET", "api/v1", project: Resources("configmaps", "secrets", "services", "services/status", "namespaces", "namespaces/status", "pods", "pods/status", "serviceaccounts", "serviceaccounts/token"));
        await s.Send("GET", "apis/apps/v1", project: Resources("deployments", "deployments/scale", "deployments/status", "statefulsets", "statefulsets/scale", "replicasets", "replicasets/scale", "daemonsets"));
        await s.Send("GET", "apis/batch/v1", project: Resources("jobs", "jobs/status", "cronjobs"));
    });

    [KubeRealFact]
    public Task Create_DefaultsDeploymentAsTheRealServer() => Compare(async s =>
    {
        await Namespace(s, "d-deploy");
        await s.Send("POST", "apis/apps/v1/namespaces/d-deploy/deployments", Deployment("web"));
        await s.Send("GET", "apis/apps/v1/namespaces/d-deploy/deployments/web");
        await s.Send("POST", "apis/apps/v1/namespaces/d-deploy/deployments", """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"recreate"},
             "spec":{"replicas":3,"strategy":{"type":"Recreate"},"selector":{"matchLabels":{"app":"r"}},
              "template":{"metadata":{"labels":{"app":"r"},"annotations":{"a":"b"}},
               "spec":{"restartPolicy":"Always","containers":[{"name":"c","image":"busybox","imagePullPolicy":"Never","args":["sleep","1"],
                "ports":[{"containerPort":53,"protocol":"UDP","name":"dns"}],"readinessProbe":{"httpGet":{"path":"/","port":8080}},
                "livenessProbe":{"tcpSocket":{"port":8080}},"env":[{"name":"X","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]}],
                "initContainers":[{"name":"init","image":"busybox:latest"}],
                "volumes":[{"name":"cfg","configMap":{"name":"cfg"}},{"name":"sec","secret":{"secretName":"s"}},{"name":"tmp","emptyDir":{}}]}}}}
            """);
    });

    [KubeRealFact]
    public Task Create_DefaultsStatefulSetReplicaSetDaemonSetAndJobAsTheRealServer() => Compare(async s =>
    {
        await Namespace(s, "d-workloads");
        await s.Send("POST", "apis/apps/v1/namespaces/d-workloads/statefulsets", """
            {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db"},"spec":{"serviceName":"db","selector":{"matchLabels":{"app":"db"}},
             "template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"db","image":"postgres:16"}]}},
             "volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}}
            """);
        await s.Send("POST", "apis/apps/v1/namespaces/d-workloads/replicasets", """
            {"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"rs"},"spec":{"selector":{"matchLabels":{"app":"rs"}},
             "template":{"metadata":{"labels":{"app":"rs"}},"spec":{"containers":[{"name":"c","image":"busybox:latest"}]}}}}
            """);
        await s.Send("POST", "apis/apps/v1/namespaces/d-workloads/daemonsets", """
            {"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"ds"},"spec":{"selector":{"matchLabels":{"app":"ds"}},
             "template":{"metadata":{"labels":{"app":"ds"}},"spec":{"containers":[{"name":"c","image":"busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000"}]}}}}
            """);
    });

    [KubeRealFact]
    public Task Create_DefaultsJobsCronJobsIngressesClaimsAndPoliciesAsTheRealServer() => Compare(async s =>
    {
        await Namespace(s, "d-batch");
        await s.Send("POST", "apis/batch/v1/namespaces/d-batch/jobs", """
            {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"migrate"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}}
            """);
        await s.Send("POST", "apis/batch/v1/namespaces/d-batch/jobs", """
            {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"labelled","labels":{"team":"a"}},"spec":{"parallelism":2,"backoffLimit":1,
             "template":{"metadata":{"labels":{"app":"x"}},"spec":{"restartPolicy":"OnFailure","containers":[{"name":"c","image":"busybox:1.36"}]}}}}
            """);
        await s.Send("POST", "apis/batch/v1/namespaces/d-batch/cronjobs", """
            {"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"nightly"},"spec":{"schedule":"0 3 * * *",
             "jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"c","image":"busybox"}]}}}}}}
            """);
        await s.Send("POST", "apis/networking.k8s.io/v1/namespaces/d-batch/ingresses", """
            {"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"web"},"spec":{"rules":[{"host":"a.example.com",
             "http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}}
            """);
        await s.Send("POST", "api/v1/namespaces/d-batch/persistentvolumeclaims", """
            {"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}
            """);
        await s.Send("POST", "apis/networking.k8s.io/v1/namespaces/d-batch/networkpolicies", """
            {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"deny"},"spec":{"podSelector":{}}}
            """);
        await s.Send("POST", "api/v1/namespaces/d-batch/services", """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"np"},"spec":{"type":"NodePort","selector":{"app":"x"},"ports":[{"port":80}]}}
            """);
    });

    [KubeRealFact]
    public Task Create_DefaultsServicesAndAllocatesClusterIpsAsTheRealServer() => Compare(async s =>
    {
        await Namespace(s, "d-svc");
        await s.Send("POST", "api/v1/namespaces/d-svc/services", """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"selector":{"app":"web"},"ports":[{"port":80},{"name":"https","port":443,"targetPort":"https"}]}}
            """);
        await s.Send("POST", "api/v1/namespaces/d-svc/services", """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"headless"},"spec":{"clusterIP":"None","selector":{"app":"db"},"ports":[{"port":5432,"protocol":"TCP"}]}}
            """);
        await s.Send("POST", "api/v1/namespaces/d-svc/services", """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"ext"},"spec":{"type":"ExternalName","externalName":"example.com"}}
            """);
        await s.Send("GET", "api/v1/namespaces/d-svc/services/web");
    });

    [KubeRealFact]
    public Task Create_ConvertsSecretStringDataAndStoresConfigMapsAsTheRealServer() => Compare(async s =>
    {
        await Namespace(s, "d-data");
        await s.Send("GET", "api/v1/namespaces/d-data");
        await s.Send("POST", "api/v1/namespaces/d-data/secrets", """
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"stringData":{"user":"admin","b":"over"},"data":{"b":"eA==","c":"eQ=="}}
            """);
        await s.Send("POST", "api/v1/namespaces/d-data/secrets", """
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"custom"},"type":"example.com/custom","data":{"k":""}}
            """);
        await s.Apply("api/v1/namespaces/d-data/secrets/applied", """
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"applied"},"stringData":{"password":"p"}}
            """, "fleet");
        await s.Send("PATCH", "api/v1/namespaces/d-data/secrets/applied?fieldManager=editor", """{"data":{"password":"cQ=="}}""", "application/merge-patch+json");
        await s.Apply("api/v1/namespaces/d-data/secrets/applied", """
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"applied"},"stringData":{"password":"p"}}
            """, "fleet");
        await s.Send("POST", "api/v1/namespaces/d-data/configmaps", """
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","labels":{"tier":"web"}},"data":{"a":"1"},"binaryData":{"b":"AAE="}}
            """);
        await s.Send("POST", "api/v1/namespaces/d-data/serviceaccounts", """{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"robot"}}""");
    });

    [KubeRealFact]
    public Task List_FiltersByLabelAndFieldSelectorsAsTheRealServer() => Compare(async s =>
    {
        await Namespace(s, "d-list");
        foreach (var (name, tier) in new[] { ("a", "web"), ("b", "db"), ("c", "web") })
        {
            await s.Send("POST", "api/v1/namespaces/d-list/configmaps",
                $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","labels":{"tier":"{{{tier}}}"}},"data":{"k":"v"}}""");
        }

        await s.Send("GET", "api/v1/namespaces/d-list/configmaps?labelSelector=tier%3Dweb");
        await s.Send("GET", "api/v1/namespaces/d-list/configmaps?labelSelector=tier+in+(db,cache)");
        await s.Send("GET", "api/v1/namespaces/d-list/configmaps?labelSelector=tier%21%3Dweb");
        await s.Send("GET", "api/v1/namespaces/d-list/configmaps?fieldSelector=metadata.name%3Db");
        await s.Send("GET", "api/v1/namespaces/d-list/configmaps?fieldSelector=metadata.name%21%3Db&labelSelector=tier");
        await s.Send("GET", "api/v1/configmaps?fieldSelector=metadata.namespace%3Dd-list&labelSelector=tier%3Ddb");
        await s.Send("GET", "api/v1/namespaces/d-list/configmaps?limit=2", project: n =>
        {
            n!["metadata"]!.AsObject().Remove("continue");
            return n;
        });
    });

    [KubeRealFact]
    public Task Errors_AreTheRealServersStatuses() => Compare(async s =>
    {
        await Namespace(s, "d-err");
        await s.Send("GET", "api/v1/namespaces/d-err/configmaps/missing");
        await s.Send("GET", "apis/apps/v1/namespaces/d-err/deployments/missing");
        await s.Send("POST", "api/v1/namespaces/d-err/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"one"}}""");
        await s.Send("POST", "api/v1/namespaces/d-err/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"one"}}""");
        await s.Send("POST", "api/v1/namespaces/d-err/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Not_Valid"}}""");
        await s.Send("POST", "api/v1/namespaces/nowhere/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}""");
        await s.Send("POST", "apis/apps/v1/deployments", Deployment("all-namespaces"));
        await s.Send("POST", "api/v1/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"d-err"}}""");
        await s.Send("PATCH", "api/v1/namespaces/d-err/configmaps/applied", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied"}}""", "application/apply-patch+yaml");
        await s.Send("PUT", "api/v1/namespaces/d-err/configmaps/one", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"one","resourceVersion":"1"}}""");
        await s.Send("DELETE", "api/v1/namespaces/d-err/configmaps/missing");
        await s.Send("POST", "apis/apps/v1/namespaces/d-err/deployments", """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"bad"},"spec":{"selector":{"matchLabels":{"app":"a"}},
             "template":{"metadata":{"labels":{"app":"b"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}
            """);
    });

    [KubeRealFact]
    public Task FieldValidation_WarnsRejectsOrIgnoresUnknownFieldsAsTheRealServer() => Compare(async s =>
    {
        await Namespace(s, "d-fv");
        const string Body = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"NAME","bogus":1},"data":{"a":"b"},"extra":{"x":1}}""";
        await s.Send("POST", "api/v1/namespaces/d-fv/configmaps", Body.Replace("NAME", "warn", StringComparison.Ordinal));
        await s.Send("POST", "api/v1/namespaces/d-fv/configmaps?fieldValidation=Strict", Body.Replace("NAME", "strict", StringComparison.Ordinal));
        await s.Send("POST", "api/v1/namespaces/d-fv/configmaps?fieldValidation=Ignore", Body.Replace("NAME", "ignore", StringComparison.Ordinal));
        await s.Send("POST", "apis/apps/v1/namespaces/d-fv/deployments?fieldValidation=Strict", """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"selector":{"matchLabels":{"app":"w"}},
             "template":{"metadata":{"labels":{"app":"w"}},"spec":{"containers":[{"name":"web","image":"nginx","bogus":true,"ports":[{"containerPort":80,"hostIp":"x"}]}]}}}}
            """);
        await s.Send("POST", "apis/apps/v1/namespaces/d-fv/deployments", """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"selector":{"matchLabels":{"app":"w"}},"replica":2,
             "template":{"metadata":{"labels":{"app":"w"}},"spec":{"containers":[{"name":"web","image":"nginx","resources":{"limits":{"cpu":"1"}}}]}}}}
            """);
        await s.Apply("api/v1/namespaces/d-fv/configmaps/applied", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied"},"data":{"a":"b"},"extra":{"x":1}}""", "fleet");
        await s.Apply("apis/apps/v1/namespaces/d-fv/deployments/applied", """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"applied"},"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx","bogus":true}]}}}}
            """, "fleet");
        await s.Send("PATCH", "api/v1/namespaces/d-fv/configmaps/warn", """{"data":{"c":"d"},"spec":{}}""", "application/merge-patch+json");
        await s.Send("POST", "apis/apps/v1/namespaces/d-fv/deployments", """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"typed"},"spec":{"replicas":"three"}}""");
        await s.Send("POST", "apis/apps/v1/namespaces/d-fv/deployments", """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"typed"},"spec":{"replicas":2.5}}""");
        await s.Send("POST", "apis/apps/v1/namespaces/d-fv/deployments", """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"typed"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"x","ports":[{"containerPort":"80"}]}]}}}}
            """);
        await s.Send("POST", "api/v1/namespaces/d-fv/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"typed","labels":{"a":1}}}""");
        await s.Apply("apis/apps/v1/namespaces/d-fv/deployments/typed", """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"typed"},"spec":{"replicas":"three"}}""", "fleet");
        await s.Apply("apis/apps/v1/namespaces/d-fv/deployments/typed", """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"typed"},"spec":{"paused":"yes"}}""", "fleet");
        await s.Apply("api/v1/namespaces/d-fv/configmaps/typed", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"typed"},"data":{"n":5}}""", "fleet");
    });
}
