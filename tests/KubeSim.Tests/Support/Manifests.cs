namespace Fleet.KubeSim.Tests.Support;

/// <summary>Small manifests the tests share.</summary>
public static class Manifests
{
    public static string Namespace(string name) =>
        "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + name + "\"}}";

    public static string ConfigMap(string ns, string name, string data = "{\"a\":\"1\"}", string labels = "{}") =>
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + ns
        + "\",\"labels\":" + labels + "},\"data\":" + data + "}";

    public static string Deployment(string ns, string name, int replicas = 2, string image = "nginx:1.27") => $$$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{{name}}}
          namespace: {{{ns}}}
          labels: {app: {{{name}}}}
        spec:
          replicas: {{{replicas}}}
          selector: {matchLabels: {app: {{{name}}}}}
          template:
            metadata: {labels: {app: {{{name}}}}}
            spec:
              containers:
              - name: app
                image: {{{image}}}
                ports: [{containerPort: 80}]
                env: [{name: A, value: "1"}]
        """;
}
