using System.Text.Json.Nodes;

namespace Fleet.Kubernetes.Tests;

/// <summary>Rendered objects as the renderer would hand them over: JSON trees.</summary>
internal static class Manifests
{
    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>Puts values into %0%, %1%, … of a JSON template (string.Format would trip over JSON's braces).</summary>
    public static string Fill(string template, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            template = template.Replace($"%{i}%", Convert.ToString(values[i], System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }
        return template;
    }

    public static JsonObject Namespace(string name) => Parse(Fill("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"%0%"}}""", name));

    public static JsonObject ConfigMap(string ns, string name, string value = "v1") =>
        Parse(Fill("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%0%","namespace":"%1%"},"data":{"key":"%2%"}}""", name, ns, value));

    public static JsonObject Deployment(string ns, string name, int replicas = 1, string app = "web", string image = "nginx:1.27") =>
        Parse(Fill("""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"%0%","namespace":"%1%"},
         "spec":{"replicas":%2%,"selector":{"matchLabels":{"app":"%3%"}},
          "template":{"metadata":{"labels":{"app":"%4%"}},"spec":{"containers":[{"name":"main","image":"%5%"}]}}}}
        """, name, ns, replicas, app, app, image));

    public static JsonObject Job(string ns, string name, string image = "busybox:1.36") =>
        Parse(Fill("""
        {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"%0%","namespace":"%1%"},
         "spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"main","image":"%2%","command":["true"]}]}}}}
        """, name, ns, image));

    public static JsonObject WidgetCrd(string group = "example.com") => Parse(Fill("""
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.%0%"},
         "spec":{"group":"%0%","scope":"Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList"},
          "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}
        """, group));

    public static JsonObject Widget(string ns, string name, int size = 1, string group = "example.com") =>
        Parse(Fill("""{"apiVersion":"%3%/v1","kind":"Widget","metadata":{"name":"%0%","namespace":"%1%"},"spec":{"size":%2%}}""", name, ns, size, group));

    /// <summary>The API group of the Widget CRD that <see cref="Everything"/> defines for a namespace (one per namespace, so that tests sharing a server keep apart).</summary>
    public static string WidgetGroup(string ns) => $"{ns}.example.com";

    /// <summary>One object of each of 20 built-in kinds plus a CRD and two of its custom resources, in a shuffled order.</summary>
    public static List<JsonObject> Everything(string ns)
    {
        var list = new List<JsonObject>
        {
            Widget(ns, "w1", group: WidgetGroup(ns)),
            Deployment(ns, "web"),
            ConfigMap(ns, "settings"),
            Parse(Fill("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"creds","namespace":"%0%"},"type":"Opaque","stringData":{"password":"not-a-real-one"}}""", ns)),
            Parse(Fill("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"%0%"},"spec":{"selector":{"app":"web"},"ports":[{"port":80,"targetPort":8080}]}}""", ns)),
            Parse(Fill("""{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"runner","namespace":"%0%"}}""", ns)),
            Parse(Fill("""
              {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db","namespace":"%0%"},
               "spec":{"replicas":1,"serviceName":"db","selector":{"matchLabels":{"app":"db"}},
                "template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"db","image":"postgres:16"}]}}}}
              """, ns)),
            Parse(Fill("""
              {"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"agent","namespace":"%0%"},
               "spec":{"selector":{"matchLabels":{"app":"agent"}},
                "template":{"metadata":{"labels":{"app":"agent"}},"spec":{"containers":[{"name":"agent","image":"fluent-bit:3"}]}}}}
              """, ns)),
            Job(ns, "migrate"),
            Parse(Fill("""
              {"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"nightly","namespace":"%0%"},
               "spec":{"schedule":"0 3 * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"c","image":"busybox:1.36"}]}}}}}}
              """, ns)),
            Parse(Fill("""{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data","namespace":"%0%"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}""", ns)),
            Parse(Fill("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"reader","namespace":"%0%"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}]}""", ns)),
            Parse(Fill("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"reader","namespace":"%0%"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"reader"},"subjects":[{"kind":"ServiceAccount","name":"runner","namespace":"%1%"}]}""", ns, ns)),
            Parse(Fill("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"%0%-viewer"},"rules":[{"apiGroups":[""],"resources":["namespaces"],"verbs":["get"]}]}""", ns)),
            Parse(Fill("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"%0%-viewer"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"%1%-viewer"},"subjects":[{"kind":"ServiceAccount","name":"runner","namespace":"%2%"}]}""", ns, ns, ns)),
            Parse(Fill("""{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"web","namespace":"%0%"},"spec":{"rules":[{"host":"web.example","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}}""", ns)),
            Parse(Fill("""{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"deny","namespace":"%0%"},"spec":{"podSelector":{},"policyTypes":["Ingress"]}}""", ns)),
            Parse(Fill("""{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"web","namespace":"%0%"},"spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"web"}}}}""", ns)),
            Parse(Fill("""{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"web","namespace":"%0%"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":3}}""", ns)),
            Parse(Fill("""{"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"%0%-fast"},"provisioner":"example.com/fast"}""", ns)),
            Widget(ns, "w2", 3, WidgetGroup(ns)),
            WidgetCrd(WidgetGroup(ns)),
            Namespace(ns),
        };
        return list;
    }
}
