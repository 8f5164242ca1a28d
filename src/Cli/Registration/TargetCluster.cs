using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Kubernetes;
using static Fleet.Cli.Output.ObjectView;

namespace Fleet.Cli.Registration;

/// <summary>What <c>fleet cluster register</c> makes in the cluster it registers, and how it gets the token.</summary>
internal sealed record AgentAccess(string Namespace, string ServiceAccount, string ClusterRole, bool TokenSecret, TimeSpan TokenExpiry, TimeSpan TokenWait)
{
    /// <summary>
    /// The namespaces Fleet may manage, each through a RoleBinding of <see cref="ClusterRole"/> there (least privilege:
    /// nothing cluster-wide); empty for one ClusterRoleBinding.
    /// </summary>
    public IReadOnlyList<string> ManagedNamespaces { get; init; } = [];

    /// <summary>One binding per service account, named after it: a changed role replaces the binding, never adds a second.</summary>
    public string BindingName => $"fleet:{Namespace}:{ServiceAccount}";

    /// <summary>The long-lived token Secret (<see cref="TokenSecret"/>).</summary>
    public string SecretName => ServiceAccount + "-token";
}

/// <summary>
/// The cluster being registered, reached with the user's kubeconfig through Fleet's Kubernetes library: creates
/// (idempotently, by server-side apply) the agent's Namespace, ServiceAccount and ClusterRoleBinding, gets a token
/// for the account (TokenRequest, or a long-lived <c>kubernetes.io/service-account-token</c> Secret), and checks
/// that the cluster accepts it. Failures become <see cref="CliException"/>s that name the context and the server,
/// never a credential.
/// </summary>
internal sealed class TargetCluster : IDisposable
{
    private const string FieldManager = "fleet-cli";
    private const string RbacVersion = "rbac.authorization.k8s.io/v1";
    private readonly KubeClient _client;
    private readonly string _where;

    public TargetCluster(ClusterConnection connection, string context)
    {
        Connection = connection;
        _where = $"context \"{context}\", server {connection.Server}";
        _client = Guard(() => new KubeClient(connection, new KubeClientOptions()));
    }

    public ClusterConnection Connection { get; }

    /// <summary>The cluster's CA bundle as PEM (what Fleet needs to trust the server), or null when the kubeconfig gives none.</summary>
    public string? CaPem()
    {
        var certificates = Connection.CaCertificates();
        if (certificates.Count == 0)
        {
            return null;
        }
        var pem = new StringBuilder();
        foreach (var certificate in certificates)
        {
            pem.Append(certificate.ExportCertificatePem()).Append('\n');
        }
        return pem.ToString();
    }

    public static JsonObject Namespace(AgentAccess access) => Object("v1", "Namespace", null, access.Namespace);

    public static JsonObject ServiceAccount(AgentAccess access) => Object("v1", "ServiceAccount", access.Namespace, access.ServiceAccount);

    /// <summary>The agent's identity in the cluster, in the order it is made: its Namespace and ServiceAccount, then its rights.</summary>
    public static IEnumerable<JsonObject> AgentObjects(AgentAccess access)
    {
        yield return Namespace(access);
        yield return ServiceAccount(access);
        if (access.ManagedNamespaces.Count == 0)
        {
            yield return Binding(access);
            yield break;
        }
        foreach (var ns in access.ManagedNamespaces)
        {
            if (ns != access.Namespace)
            {
                yield return Object("v1", "Namespace", null, ns);
            }
            yield return Binding(access, ns);
        }
    }

    /// <summary>The ClusterRoleBinding of a cluster-wide registration, which a namespace-scoped one removes.</summary>
    public static JsonObject ClusterWideBinding(AgentAccess access) => Binding(access with { ManagedNamespaces = [] });

    public static JsonObject Binding(AgentAccess access, string? inNamespace = null)
    {
        var binding = Object(RbacVersion, inNamespace is null ? "ClusterRoleBinding" : "RoleBinding", inNamespace, access.BindingName);
        binding["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = access.ClusterRole };
        binding["subjects"] = new JsonArray(new JsonObject { ["kind"] = "ServiceAccount", ["name"] = access.ServiceAccount, ["namespace"] = access.Namespace });
        return binding;
    }

    public static JsonObject TokenSecret(AgentAccess access)
    {
        var secret = Object("v1", "Secret", access.Namespace, access.SecretName);
        secret["metadata"]!["annotations"] = new JsonObject { ["kubernetes.io/service-account.name"] = access.ServiceAccount };
        secret["type"] = "kubernetes.io/service-account-token";
        return secret;
    }

    /// <summary>
    /// Creates or updates the object and says what happened, as kubectl does: <c>created</c>, <c>unchanged</c> or
    /// <c>configured</c>; with <paramref name="dryRun"/> only reads, and says what would happen.
    /// </summary>
    public async Task<string> EnsureAsync(JsonObject desired, bool dryRun, CancellationToken ct)
    {
        var (apiVersion, kind, ns, name) = Identity(desired);
        var live = await Guard(() => _client.GetAsync(apiVersion, kind, ns, name, ct));
        if (kind is "ClusterRoleBinding" or "RoleBinding" && live is not null && RoleOf(live) is { } role && role != RoleOf(desired))
        {
            // roleRef cannot change: replace the binding, so that the account never keeps the role it had.
            if (dryRun)
            {
                return $"would be replaced (role {role} -> {RoleOf(desired)})";
            }
            await Guard(() => _client.DeleteAsync(apiVersion, kind, ns, name, ct: ct));
            await Guard(() => _client.ApplyAsync(desired, new ApplyRequest(FieldManager), ct));
            return $"replaced (role {role} -> {RoleOf(desired)})";
        }
        if (dryRun)
        {
            return live is null ? "would be created" : "exists";
        }
        var applied = await Guard(() => _client.ApplyAsync(desired, new ApplyRequest(FieldManager), ct));
        return applied.Created ? "created"
            : Opt(applied.Object, "metadata", "resourceVersion") == Opt(live, "metadata", "resourceVersion") ? "unchanged"
            : "configured";
    }

    /// <summary>Deletes the object if it exists and says so (with <paramref name="dryRun"/>, only what would happen); null when there is none.</summary>
    public async Task<string?> RemoveAsync(JsonObject existing, bool dryRun, CancellationToken ct)
    {
        var (apiVersion, kind, ns, name) = Identity(existing);
        if (await Guard(() => _client.GetAsync(apiVersion, kind, ns, name, ct)) is null)
        {
            return null;
        }
        if (dryRun)
        {
            return "would be deleted";
        }
        await Guard(() => _client.DeleteAsync(apiVersion, kind, ns, name, ct: ct));
        return "deleted";
    }

    /// <summary>A token for the agent's service account: from the TokenRequest API, or read from the token Secret once the token controller has filled it.</summary>
    public async Task<ServiceAccountToken> TokenAsync(AgentAccess access, CancellationToken ct)
    {
        if (!access.TokenSecret)
        {
            return await Guard(() => _client.RequestServiceAccountTokenAsync(access.Namespace, access.ServiceAccount, access.TokenExpiry, ct));
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(access.TokenWait);
        try
        {
            var secret = await Guard(() => _client.GetAsync("v1", "Secret", access.Namespace, access.SecretName, deadline.Token));
            while (SecretToken(secret) is null)
            {
                deadline.Token.ThrowIfCancellationRequested();
                // Watch from what was read: the token controller's write is the next change of this Secret.
                var events = _client.WatchAsync("v1", "Secret", access.Namespace, Opt(secret, "metadata", "resourceVersion"),
                    new ListOptions(FieldSelector: "metadata.name=" + access.SecretName), access.TokenWait, deadline.Token);
                await foreach (var change in Guard(events))
                {
                    secret = change.Type == "DELETED" ? null : change.Object;
                    if (SecretToken(secret) is not null)
                    {
                        break;
                    }
                }
            }
            return new ServiceAccountToken(SecretToken(secret)!, null);
        }
        catch (Exception ex) when (ex is OperationCanceledException or CliException && deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new CliException($"Secret {access.Namespace}/{access.SecretName} still holds no token after {access.TokenWait.TotalSeconds:0}s ({_where}): " +
                "the cluster's token controller (kube-controller-manager) fills such Secrets; without one, leave out --token-secret to use the TokenRequest API");
        }
    }

    /// <summary>Checks that the cluster accepts <paramref name="token"/> (GET /version with it, over the same TLS trust).</summary>
    public async Task VerifyAsync(ServiceAccountToken token, CancellationToken ct)
    {
        var withToken = new ClusterConnection(Connection.Server, Connection.CaData, Connection.InsecureSkipTlsVerify, token.Token)
        {
            TlsServerName = Connection.TlsServerName,
        };
        using var client = Guard(() => new KubeClient(withToken, new KubeClientOptions()));
        try
        {
            await client.GetVersionAsync(ct);
        }
        catch (KubeApiException ex)
        {
            throw new CliException($"the cluster ({_where}) does not accept the new service-account token: {ex.StatusText}");
        }
        catch (KubeConnectionException ex)
        {
            throw new CliException($"cannot reach the cluster ({_where}) with the new token: {ex.Message}");
        }
    }

    public void Dispose() => _client.Dispose();

    private static string? SecretToken(JsonObject? secret) =>
        Opt(secret, "data", "token") is { Length: > 0 } data ? Encoding.UTF8.GetString(Convert.FromBase64String(data)) : null;

    private static JsonObject Object(string apiVersion, string kind, string? ns, string name)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (ns is not null)
        {
            metadata["namespace"] = ns;
        }
        return new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["metadata"] = metadata };
    }

    private static (string ApiVersion, string Kind, string? Namespace, string Name) Identity(JsonObject o) =>
        (Opt(o, "apiVersion")!, Opt(o, "kind")!, Opt(o, "metadata", "namespace"), Opt(o, "metadata", "name")!);

    /// <summary>The string at the path, or null when there is none.</summary>
    private static string? Opt(JsonNode? node, params string[] path) => Str(node, path) is { Length: > 0 } value ? value : null;

    private static string? RoleOf(JsonObject binding) => Opt(binding, "roleRef", "name");

    /// <summary>Describes an object as kubectl does: <c>clusterrolebinding.rbac.authorization.k8s.io/NAME</c>.</summary>
    public static string Describe(JsonObject o)
    {
        var (apiVersion, kind, _, name) = Identity(o);
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var group = slash < 0 ? "" : "." + apiVersion[..slash];
        return $"{kind.ToLowerInvariant()}{group}/{name}";
    }

    private T Guard<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (Exception ex) when (Translate(ex) is { } translated)
        {
            throw translated;
        }
    }

    private async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (Translate(ex) is { } translated)
        {
            throw translated;
        }
    }

    private async IAsyncEnumerable<T> Guard<T>(IAsyncEnumerable<T> items)
    {
        await using var e = items.GetAsyncEnumerator();
        while (true)
        {
            T item;
            try
            {
                if (!await e.MoveNextAsync())
                {
                    yield break;
                }
                item = e.Current;
            }
            catch (Exception ex) when (Translate(ex) is { } translated)
            {
                throw translated;
            }
            yield return item;
        }
    }

    /// <summary>The library's failures as one message naming the cluster and what to do, with the CLI's exit code.</summary>
    private CliException? Translate(Exception ex) => ex switch
    {
        KubeApiException { Code: 401 } k => new CliException($"the cluster ({_where}) did not accept the kubeconfig's credentials: {k.StatusText}", CliHost.NotAuthorized),
        KubeApiException { Code: 403 } k => new CliException($"the cluster ({_where}) refused: {k.Status.Message}\n  " +
            "registering needs the right to create namespaces, service accounts, cluster role bindings (and to grant the role they bind) and service-account tokens",
            CliHost.NotAuthorized),
        KubeApiException k => new CliException($"the cluster ({_where}): {k.Message}"),
        KubeConnectionException c => new CliException($"cannot reach the cluster ({_where}): {c.Message}"),
        ClusterConnectionException c => new CliException($"the cluster ({_where}): {c.Message}", CliHost.BadArguments),
        _ => null,
    };

    internal static string Expiry(ServiceAccountToken token) =>
        token.ExpiresAt is { } at ? "expires " + at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "does not expire";
}
