using System.Text;

namespace Fleet.Kubernetes.Tests;

public sealed class KubeconfigTests
{
    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    private static string Kubeconfig(string users, string current = "dev") => $"""
        apiVersion: v1
        kind: Config
        current-context: {current}
        clusters:
        - name: dev-cluster
          cluster:
            server: https://dev.example:6443
            certificate-authority-data: {B64(SharedCerts.Value.CaPem)}
        - name: prod-cluster
          cluster:
            server: https://prod.example:6443
            insecure-skip-tls-verify: true
            tls-server-name: api.prod.example
        contexts:
        - name: dev
          context: {"{"}cluster: dev-cluster, user: dev-user{"}"}
        - name: prod
          context: {"{"}cluster: prod-cluster, user: prod-user, namespace: apps{"}"}
        users:
        {users}
        """;

    private static readonly Lazy<TestCertificates> SharedCerts = new(() => new TestCertificates());

    private const string TokenUsers = """
        - name: dev-user
          user:
            token: dev-secret-token
        - name: prod-user
          user:
            token: prod-secret-token
        """;

    [Fact]
    public void FromKubeconfig_UsesCurrentContextClusterAndUser()
    {
        var c = ClusterConnection.FromKubeconfig(Kubeconfig(TokenUsers));
        Assert.Equal("https://dev.example:6443", c.Server);
        Assert.Equal("dev-secret-token", c.BearerToken);
        Assert.False(c.InsecureSkipTlsVerify);
        Assert.Single(c.CaCertificates());
    }

    [Fact]
    public void FromKubeconfig_NamedContextWins()
    {
        var c = ClusterConnection.FromKubeconfig(Kubeconfig(TokenUsers), "prod");
        Assert.Equal("https://prod.example:6443", c.Server);
        Assert.Equal("prod-secret-token", c.BearerToken);
        Assert.True(c.InsecureSkipTlsVerify);
        Assert.Equal("api.prod.example", c.TlsServerName);
    }

    [Fact]
    public void FromKubeconfig_ReadsEmbeddedClientCertificate()
    {
        var certs = SharedCerts.Value;
        var users = $"""
            - name: dev-user
              user:
                client-certificate-data: {B64(certs.ClientCertPem)}
                client-key-data: {B64(certs.ClientKeyPem)}
            """;
        var c = ClusterConnection.FromKubeconfig(Kubeconfig(users));
        Assert.Equal("client-certificate", c.AuthKind);
        Assert.Contains("BEGIN CERTIFICATE", c.ClientCertificatePem, StringComparison.Ordinal);
        Assert.Contains("PRIVATE KEY", c.ClientKeyPem, StringComparison.Ordinal);
    }

    [Fact]
    public void FromKubeconfig_ExecPlugin_IsRefusedAsNotSupported()
    {
        var users = """
            - name: dev-user
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: aws-iam-authenticator
                  args: [token, -i, dev]
            """;
        var ex = Assert.Throws<ClusterConnectionException>(() => ClusterConnection.FromKubeconfig(Kubeconfig(users)));
        Assert.Contains("users[dev-user].user.exec", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not supported", ex.Message, StringComparison.Ordinal);
        Assert.Contains("aws-iam-authenticator", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromKubeconfig_AuthProvider_IsRefusedAsNotSupported()
    {
        var users = """
            - name: dev-user
              user:
                auth-provider:
                  name: gcp
                  config: {access-token: should-never-be-printed}
            """;
        var ex = Assert.Throws<ClusterConnectionException>(() => ClusterConnection.FromKubeconfig(Kubeconfig(users)));
        Assert.Contains("auth-provider", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not supported", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("should-never-be-printed", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tokenFile: /var/run/secrets/token", "tokenFile")]
    [InlineData("client-certificate: /etc/cert.pem\n    client-key: /etc/key.pem", "client-certificate")]
    [InlineData("username: admin\n    password: hunter2", "basic authentication")]
    public void FromKubeconfig_FileReferencesAndBasicAuth_AreRefused(string user, string expected)
    {
        var users = $"""
            - name: dev-user
              user:
                {user}
            """;
        var ex = Assert.Throws<ClusterConnectionException>(() => ClusterConnection.FromKubeconfig(Kubeconfig(users)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromKubeconfig_NamesDifferingOnlyInCase_AreRefused()
    {
        // KubernetesClient finds users ignoring case: the user checked must be the one whose credentials it uses.
        var users = """
            - name: DEV-USER
              user:
                exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh}
            - name: dev-user
              user:
                token: dev-secret-token
            """;
        var ex = Assert.Throws<ClusterConnectionException>(() => ClusterConnection.FromKubeconfig(Kubeconfig(users)));
        Assert.Contains("users has 2 entries named 'dev-user'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromKubeconfig_UnknownContext_NamesIt()
    {
        var ex = Assert.Throws<ClusterConnectionException>(() => ClusterConnection.FromKubeconfig(Kubeconfig(TokenUsers), "staging"));
        Assert.Contains("contexts has no entry named 'staging'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromKubeconfig_InvalidYaml_SaysWhere()
    {
        var ex = Assert.Throws<ClusterConnectionException>(() => ClusterConnection.FromKubeconfig("clusters: [\n  - name: x\n  bad"));
        Assert.Contains("invalid YAML at line", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_NeverPrintsCredentials()
    {
        var certs = SharedCerts.Value;
        var c = new ClusterConnection("https://x:6443", null, false, "very-secret-token");
        var d = new ClusterConnection("https://x:6443", null, false, null, certs.ClientCertPem, certs.ClientKeyPem);
        Assert.DoesNotContain("very-secret-token", c.ToString(), StringComparison.Ordinal);
        Assert.Contains("Auth = token", c.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", d.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void FromClusterSpec_ReadsTokenOrCertificateFromSecret()
    {
        var certs = SharedCerts.Value;
        var token = ClusterConnection.FromClusterSpec("https://a:6443", B64(certs.CaPem), false, new Dictionary<string, string> { ["token"] = "tkn" });
        Assert.Equal("tkn", token.BearerToken);
        Assert.Single(token.CaCertificates());

        var cert = ClusterConnection.FromClusterSpec("https://a:6443", certs.CaPem, false,
            new Dictionary<string, string> { ["clientCertificate"] = certs.ClientCertPem, ["clientKey"] = B64(certs.ClientKeyPem) });
        Assert.Equal("client-certificate", cert.AuthKind);
    }

    [Fact]
    public void FromClusterSpec_KubeconfigInSecret_ServerFromSpecWins()
    {
        var c = ClusterConnection.FromClusterSpec("https://override:6443", null, false,
            new Dictionary<string, string> { ["kubeconfig"] = Kubeconfig(TokenUsers) });
        Assert.Equal("https://override:6443", c.Server);
        Assert.Equal("dev-secret-token", c.BearerToken);
    }

    [Theory]
    [InlineData(null, "spec.server is required")]
    [InlineData("not a url", "not an absolute http(s) URL")]
    [InlineData("ftp://a", "not an absolute http(s) URL")]
    public void FromClusterSpec_BadServer_IsNamed(string? server, string expected)
    {
        var ex = Assert.Throws<ClusterConnectionException>(() => ClusterConnection.FromClusterSpec(server, null, false, null));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromClusterSpec_CertificateWithoutKey_IsNamed()
    {
        var ex = Assert.Throws<ClusterConnectionException>(() => ClusterConnection.FromClusterSpec("https://a", null, false,
            new Dictionary<string, string> { ["clientCertificate"] = SharedCerts.Value.ClientCertPem }));
        Assert.Contains("clientCertificate is set without clientKey", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromClusterSpec_GarbageCaData_IsNamed()
    {
        var ex = Assert.Throws<ClusterConnectionException>(() => ClusterConnection.FromClusterSpec("https://a", "%%%", false, null));
        Assert.Contains("caData", ex.Message, StringComparison.Ordinal);
    }
}
