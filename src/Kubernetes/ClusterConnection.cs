using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Fleet.Kubernetes;

/// <summary>
/// How to reach one cluster's API server: URL, trust (CA bundle, or explicitly none) and credentials
/// (bearer token or client certificate). <see cref="ToString"/> never prints a secret.
/// </summary>
public sealed partial record ClusterConnection(
    string Server,
    string? CaData = null,
    bool InsecureSkipTlsVerify = false,
    string? BearerToken = null,
    string? ClientCertificatePem = null,
    string? ClientKeyPem = null)
{
    /// <summary>TLS server name to verify instead of the URL's host (kubeconfig tls-server-name).</summary>
    public string? TlsServerName { get; init; }

    /// <summary>A file holding the bearer token, read again whenever it changes (a projected service-account token rotates).</summary>
    public string? TokenFile { get; init; }

    /// <summary>The command of the kubeconfig's exec credential plugin, when it has one (allowed by <see cref="KubeconfigOptions"/>).</summary>
    public string? ExecCommand { get; init; }

    /// <summary>The kubeconfig this connection came from, handed to KubernetesClient as is (exec plugins, file references).</summary>
    internal string? Kubeconfig { get; init; }

    internal string? KubeconfigContext { get; init; }

    /// <summary>Which kind of credential is set: "exec", "token", "token-file", "client-certificate" or "none".</summary>
    public string AuthKind => ExecCommand is not null ? "exec" : BearerToken is not null ? "token" : TokenFile is not null ? "token-file"
        : ClientCertificatePem is not null || ClientCertificateFile is not null ? "client-certificate" : "none";

    /// <summary>Client certificate and key as files (kubeconfig client-certificate / client-key), when file references are allowed.</summary>
    public string? ClientCertificateFile { get; init; }

    public string? ClientKeyFile { get; init; }

    public override string ToString() =>
        $"ClusterConnection {{ Server = {Server}, Auth = {AuthKind}, CustomCA = {CaData is not null}, InsecureSkipTlsVerify = {InsecureSkipTlsVerify} }}";

    /// <summary>Checks the settings and returns the server URI; throws <see cref="ClusterConnectionException"/> naming the problem.</summary>
    public Uri Validate()
    {
        if (string.IsNullOrWhiteSpace(Server) || !Uri.TryCreate(Server, UriKind.Absolute, out var uri) ||
            (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new ClusterConnectionException($"server: '{Server}' is not an absolute http(s) URL");
        }
        if ((ClientCertificatePem is null) != (ClientKeyPem is null))
        {
            throw new ClusterConnectionException("client certificate and client key must be given together");
        }
        if (CaData is not null)
        {
            _ = CaCertificates();
        }
        return uri;
    }

    /// <summary>The CA bundle as certificates; CaData may be PEM or base64-encoded PEM (as kubeconfig and Cluster specs carry it).</summary>
    public X509Certificate2Collection CaCertificates()
    {
        var collection = new X509Certificate2Collection();
        if (CaData is null)
        {
            return collection;
        }
        var pem = DecodePem(CaData, "caData");
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new ClusterConnectionException($"caData: not a PEM certificate bundle ({ex.Message})", ex);
        }
        if (collection.Count == 0)
        {
            throw new ClusterConnectionException("caData: no certificate found in the bundle");
        }
        return collection;
    }

    /// <summary>Accepts PEM text or base64 of PEM text (or of DER for a single certificate).</summary>
    internal static string DecodePem(string data, string what)
    {
        var trimmed = data.Trim();
        if (trimmed.StartsWith("-----BEGIN", StringComparison.Ordinal))
        {
            return trimmed;
        }
        try
        {
            var bytes = Convert.FromBase64String(trimmed);
            var text = Encoding.UTF8.GetString(bytes);
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                return text;
            }
            // DER: wrap it so that one code path reads both.
            return new string(PemEncoding.Write("CERTIFICATE", bytes));
        }
        catch (FormatException)
        {
            throw new ClusterConnectionException($"{what}: neither PEM nor base64");
        }
    }

    /// <summary>
    /// Connection settings from a Cluster spec and the data of its credentials Secret:
    /// <c>token</c>, or <c>clientCertificate</c> + <c>clientKey</c>, or a whole <c>kubeconfig</c>.
    /// </summary>
    public static ClusterConnection FromClusterSpec(string? server, string? caData, bool insecureSkipTlsVerify,
        IReadOnlyDictionary<string, string>? secretData, KubeconfigOptions? options = null)
    {
        if (secretData is not null && secretData.TryGetValue("kubeconfig", out var kubeconfig))
        {
            var fromKubeconfig = FromKubeconfig(kubeconfig, null, options);
            // The spec may pin the server and trust; what it leaves empty comes from the kubeconfig.
            return fromKubeconfig with
            {
                Server = string.IsNullOrWhiteSpace(server) ? fromKubeconfig.Server : server,
                CaData = caData ?? fromKubeconfig.CaData,
                InsecureSkipTlsVerify = insecureSkipTlsVerify || fromKubeconfig.InsecureSkipTlsVerify,
            };
        }
        if (string.IsNullOrWhiteSpace(server))
        {
            throw new ClusterConnectionException("spec.server is required unless the credentials Secret holds a kubeconfig");
        }
        string? Get(string key) => secretData is not null && secretData.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;
        var token = Get("token") ?? Get("bearerToken");
        var cert = Get("clientCertificate") ?? Get("tls.crt");
        var key = Get("clientKey") ?? Get("tls.key");
        if ((cert is null) != (key is null))
        {
            throw new ClusterConnectionException($"credentials Secret: {(cert is null ? "clientKey is set without clientCertificate" : "clientCertificate is set without clientKey")}");
        }
        var connection = new ClusterConnection(server.Trim(), caData ?? Get("caData") ?? Get("ca.crt"), insecureSkipTlsVerify, token?.Trim(),
            cert is null ? null : DecodePem(cert, "clientCertificate"), key is null ? null : DecodePem(key, "clientKey"));
        connection.Validate();
        return connection;
    }

    /// <summary>
    /// Reads a kubeconfig: the named context (or current-context), its cluster and user. This pass only checks what
    /// the document asks for against <paramref name="options"/> (KubernetesClient has no such policy: it would run any
    /// exec plugin and read any file it names); the client is then built by KubernetesClient from the kubeconfig itself.
    /// Exec plugins and file references are refused unless allowed, since by default a control plane must not run
    /// programs or read local files named by a tenant's document; auth-provider plugins and basic auth are refused.
    /// </summary>
    public static ClusterConnection FromKubeconfig(string yaml, string? context = null, KubeconfigOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        options ??= KubeconfigOptions.Default;
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            root = stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode m
                ? m
                : throw new ClusterConnectionException("kubeconfig: not a YAML mapping");
        }
        catch (YamlException ex)
        {
            throw new ClusterConnectionException($"kubeconfig: invalid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}", ex);
        }

        var contextName = context ?? Scalar(root, "current-context");
        if (string.IsNullOrEmpty(contextName))
        {
            throw new ClusterConnectionException("kubeconfig: no context given and current-context is not set");
        }
        var ctx = Named(root, "contexts", "context", contextName);
        var clusterName = Scalar(ctx, "cluster") ?? throw new ClusterConnectionException($"kubeconfig: contexts[{contextName}].context.cluster is not set");
        var userName = Scalar(ctx, "user");
        var cluster = Named(root, "clusters", "cluster", clusterName);
        var where = $"kubeconfig: clusters[{clusterName}].cluster";
        var server = Scalar(cluster, "server") ?? throw new ClusterConnectionException($"{where}.server is not set");
        if (Scalar(cluster, "certificate-authority") is { } caFile)
        {
            RequireFile(options, $"{where}.certificate-authority", caFile, "embed it as certificate-authority-data");
        }
        if (Scalar(cluster, "proxy-url") is not null)
        {
            throw new ClusterConnectionException($"{where}.proxy-url is not supported");
        }
        var ca = Scalar(cluster, "certificate-authority-data");
        var insecure = string.Equals(Scalar(cluster, "insecure-skip-tls-verify"), "true", StringComparison.OrdinalIgnoreCase);

        string? token = null, cert = null, key = null, tokenFile = null, certFile = null, keyFile = null, execCommand = null;
        if (userName is not null)
        {
            var user = Named(root, "users", "user", userName);
            var uwhere = $"kubeconfig: users[{userName}].user";
            if (user.Children.ContainsKey(new YamlScalarNode("exec")))
            {
                var exec = user.Children[new YamlScalarNode("exec")] as YamlMappingNode;
                execCommand = (exec is null ? null : Scalar(exec, "command"))
                    ?? throw new ClusterConnectionException($"{uwhere}.exec.command is not set");
                if (!options.AllowExecPlugins)
                {
                    throw new ClusterConnectionException($"{uwhere}.exec: credential plugins are not supported here (command '{execCommand}'): " +
                        "this control plane's options do not allow running programs for a cluster's credentials (AllowExecPlugins is off); " +
                        "use a bearer token or a client certificate, or ask the operator to allow exec plugins");
                }
                if (exec is null || Scalar(exec, "apiVersion") is null)
                {
                    throw new ClusterConnectionException($"{uwhere}.exec.apiVersion is not set (client.authentication.k8s.io/v1 or v1beta1)");
                }
            }
            if (user.Children.ContainsKey(new YamlScalarNode("auth-provider")))
            {
                var provider = user.Children[new YamlScalarNode("auth-provider")] is YamlMappingNode ap ? Scalar(ap, "name") : null;
                throw new ClusterConnectionException($"{uwhere}.auth-provider: auth-provider plugins are not supported{(provider is null ? "" : $" ('{provider}')")}; use an exec plugin, a bearer token or a client certificate");
            }
            tokenFile = Scalar(user, "tokenFile");
            certFile = Scalar(user, "client-certificate");
            keyFile = Scalar(user, "client-key");
            foreach (var (fileKey, path) in new[] { ("tokenFile", tokenFile), ("client-certificate", certFile), ("client-key", keyFile) })
            {
                if (path is not null)
                {
                    RequireFile(options, $"{uwhere}.{fileKey}", path, $"embed the value ({(fileKey == "tokenFile" ? "token" : fileKey + "-data")})");
                }
            }
            if (Scalar(user, "username") is not null || Scalar(user, "password") is not null)
            {
                throw new ClusterConnectionException($"{uwhere}: basic authentication (username/password) is not supported by Kubernetes since 1.19");
            }
            token = Scalar(user, "token");
            cert = Scalar(user, "client-certificate-data");
            key = Scalar(user, "client-key-data");
            if ((cert is null) != (key is null) || (certFile is null) != (keyFile is null))
            {
                throw new ClusterConnectionException($"{uwhere}: a client certificate and its key must be given together");
            }
        }
        var connection = new ClusterConnection(server, ca, insecure, token,
            cert is null ? null : DecodePem(cert, $"users[{userName}].client-certificate-data"),
            key is null ? null : DecodePem(key, $"users[{userName}].client-key-data"))
        {
            TlsServerName = Scalar(cluster, "tls-server-name"),
            TokenFile = token is null ? tokenFile : null,
            ClientCertificateFile = certFile,
            ClientKeyFile = keyFile,
            ExecCommand = execCommand,
            Kubeconfig = yaml,
            KubeconfigContext = contextName,
        };
        try
        {
            connection.Validate();
        }
        catch (ClusterConnectionException ex)
        {
            throw new ClusterConnectionException($"kubeconfig: clusters[{clusterName}]: {ex.Message}", ex);
        }
        return connection;
    }

    private static void RequireFile(KubeconfigOptions options, string where, string path, string instead)
    {
        if (!options.AllowFileReferences)
        {
            throw new ClusterConnectionException($"{where} (a file path) is not supported: this control plane's options do not allow reading " +
                $"local files named by a kubeconfig (AllowFileReferences is off); {instead}");
        }
        if (!Path.IsPathFullyQualified(path))
        {
            throw new ClusterConnectionException($"{where}: '{path}' must be an absolute path (a kubeconfig given as text has no directory to resolve it against)");
        }
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s && !string.IsNullOrEmpty(s.Value) ? s.Value : null;

    /// <summary>
    /// Finds {name: X, [inner]: {...}} in a kubeconfig list such as contexts, clusters or users. KubernetesClient looks
    /// names up ignoring case, so names that differ only in case are refused: the entry checked here must be the one
    /// it uses (an exec plugin allowed or refused for one user must not run for another).
    /// </summary>
    private static YamlMappingNode Named(YamlMappingNode root, string list, string inner, string name)
    {
        var matches = root.Children.TryGetValue(new YamlScalarNode(list), out var node) && node is YamlSequenceNode seq
            ? seq.Children.OfType<YamlMappingNode>().Where(item => string.Equals(Scalar(item, "name"), name, StringComparison.OrdinalIgnoreCase)).ToList()
            : [];
        switch (matches.Count)
        {
            case 0:
                throw new ClusterConnectionException($"kubeconfig: {list} has no entry named '{name}'");
            case > 1:
                throw new ClusterConnectionException($"kubeconfig: {list} has {matches.Count} entries named '{name}' (names are compared ignoring case)");
            default:
                return matches[0].Children.TryGetValue(new YamlScalarNode(inner), out var body) && body is YamlMappingNode b
                    ? b
                    : throw new ClusterConnectionException($"kubeconfig: {list}[{name}] has no '{inner}' mapping");
        }
    }
}
