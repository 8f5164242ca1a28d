using System.CommandLine;
using System.Text.Json.Nodes;
using Fleet.Abstractions;
using Fleet.Abstractions.Resources;
using Fleet.Cli.Api;
using Fleet.Cli.Registration;
using Fleet.Kubernetes;
using static Fleet.Cli.Output.ObjectView;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet cluster register NAME</c>, as <c>argocd cluster add</c> and Rancher Fleet's agent registration: with the
/// user's kubeconfig it gives Fleet an identity in the cluster (Namespace, ServiceAccount, ClusterRoleBinding and a
/// token), then registers the cluster with Fleet. With a registration token (<c>fleetreg_...</c>) it calls
/// <c>POST /api/v1/registrations</c>; with an operator or admin API token it writes the Cluster and its credentials
/// Secret through <c>POST /api/v1/apply</c> (all or nothing), which also renews the credentials of a registered cluster.
/// </summary>
internal static class ClusterCommand
{
    private static readonly TimeSpan DefaultTokenExpiry = TimeSpan.FromDays(365);

    public static Command Create(CliContext context)
    {
        var command = new Command("cluster", "Clusters: register one with Fleet");
        command.Subcommands.Add(RegisterCommand(context));
        return command;
    }

    private static Command RegisterCommand(CliContext context)
    {
        var name = new Argument<string>("NAME") { Description = "The Cluster's name in Fleet" };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "The kubeconfig (default: the first file of $KUBECONFIG, else ~/.kube/config)" };
        var kubeContext = new Option<string?>("--context") { Description = "The kubeconfig context of the cluster (default: its current-context)" };
        var ns = CliContext.NamespaceOption();
        ns.Description = "Fleet namespace of the Cluster, with an API token (a registration token decides it itself)";
        var labels = new Option<string[]>("--label", "-l") { Description = "Label KEY=VALUE of the Cluster (repeatable)", AllowMultipleArgumentsPerToken = false };
        var registrationToken = new Option<string?>("--registration-token") { Description = "A registration token (fleetreg_...; default: $FLEET_REGISTRATION_TOKEN, else the API token)" };
        var agentNamespace = new Option<string>("--agent-namespace") { Description = "Namespace of the service account in the cluster", DefaultValueFactory = _ => "fleet-system" };
        var serviceAccount = new Option<string>("--service-account") { Description = "The service account Fleet acts as", DefaultValueFactory = _ => "fleet-agent" };
        var clusterRole = new Option<string>("--cluster-role")
        {
            Description = "The ClusterRole bound to the service account (default: cluster-admin; admin with --managed-namespace)",
        };
        var managedNamespaces = new Option<string[]>("--managed-namespace")
        {
            Description = "Give Fleet rights only in this namespace of the cluster (repeatable): a RoleBinding in each, created with it, and no ClusterRoleBinding",
            AllowMultipleArgumentsPerToken = false,
        };
        var tokenExpiry = new Option<string>("--token-expiry") { Description = "Lifetime of the token from the TokenRequest API (a duration: 8760h, 30m; the cluster may shorten it)", DefaultValueFactory = _ => "8760h" };
        var tokenSecret = new Option<bool>("--token-secret")
        {
            Description = "Use a long-lived token from a kubernetes.io/service-account-token Secret instead (it never expires; needs the cluster's token controller)",
        };
        var tokenWait = new Option<string>("--token-wait") { Description = "With --token-secret: how long to wait for the token controller to fill the Secret", DefaultValueFactory = _ => "60s" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would be created, changing nothing (the cluster is only read)" };
        var command = new Command("register", "Register a cluster with Fleet: create its service account, binding and token with your kubeconfig, then the Cluster in Fleet")
        {
            name, kubeconfig, kubeContext, ns, labels, registrationToken, agentNamespace, serviceAccount, clusterRole, managedNamespaces, tokenExpiry, tokenSecret, tokenWait, dryRun,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(tokenSecret) && result.GetResult(tokenExpiry) is { Implicit: false })
            {
                result.AddError("--token-expiry applies to the TokenRequest API; a --token-secret token does not expire");
            }
        });
        CliContext.SetAction(command, async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var clusterName = parse.GetRequiredValue(name);
            if (ResourceValidation.ValidateName(clusterName, "NAME").FirstOrDefault() is { } invalid)
            {
                throw new CliException($"{invalid.Field}: {invalid.Message}", CliHost.BadArguments);
            }
            var scoped = (parse.GetValue(managedNamespaces) ?? []).Distinct(StringComparer.Ordinal).ToList();
            foreach (var managed in scoped)
            {
                if (ResourceValidation.ValidateName(managed, "--managed-namespace").FirstOrDefault() is { } bad)
                {
                    throw new CliException($"{bad.Field}: {bad.Message}", CliHost.BadArguments);
                }
            }
            // Namespace-scoped, the built-in aggregated "admin" role is everything in a namespace but its quotas.
            var role = parse.GetValue(clusterRole) ?? (scoped.Count > 0 ? "admin" : "cluster-admin");
            var access = new AgentAccess(parse.GetRequiredValue(agentNamespace), parse.GetRequiredValue(serviceAccount), role,
                parse.GetValue(tokenSecret), Duration(parse.GetRequiredValue(tokenExpiry), "--token-expiry"), Duration(parse.GetRequiredValue(tokenWait), "--token-wait"))
            {
                ManagedNamespaces = scoped,
            };
            var clusterLabels = TokenCommand.KeyValues(parse.GetValue(labels) ?? [], "--label");
            using var fleet = FleetSide(context, parse, registrationToken, ns);
            var isDryRun = parse.GetValue(dryRun);

            var file = KubeconfigFile.Load(KubeconfigFile.Locate(parse.GetValue(kubeconfig), context.Environment), parse.GetValue(kubeContext));
            ClusterConnection connection;
            try
            {
                connection = ClusterConnection.FromKubeconfig(file.Yaml, file.Context, new KubeconfigOptions { AllowExecPlugins = true });
            }
            catch (ClusterConnectionException ex)
            {
                throw new CliException($"{file.Path}: {ex.Message}", CliHost.BadArguments);
            }
            using var target = new TargetCluster(connection, file.Context);
            var caPem = target.CaPem();
            if (connection.InsecureSkipTlsVerify && caPem is null)
            {
                error.WriteLine($"warning: the kubeconfig skips TLS verification for {connection.Server}; Fleet will verify the server's certificate against the system's trusted CAs");
            }

            var prefix = isDryRun ? "(dry run) " : "";
            output.WriteLine($"{prefix}cluster {connection.Server} (context \"{file.Context}\" of {file.Path})");
            foreach (var desired in TargetCluster.AgentObjects(access))
            {
                output.WriteLine($"{prefix}{TargetCluster.Describe(desired)} {await target.EnsureAsync(desired, isDryRun, ct)}");
            }
            if (access.ManagedNamespaces.Count > 0 && await target.RemoveAsync(TargetCluster.ClusterWideBinding(access), isDryRun, ct) is { } removed)
            {
                // Registered cluster-wide before: the account must not keep those rights.
                output.WriteLine($"{prefix}{TargetCluster.Describe(TargetCluster.ClusterWideBinding(access))} {removed}");
            }
            if (isDryRun)
            {
                output.WriteLine(access.TokenSecret
                    ? $"(dry run) {TargetCluster.Describe(TargetCluster.TokenSecret(access))} {await target.EnsureAsync(TargetCluster.TokenSecret(access), dryRun: true, ct)}; its token would be read once the token controller fills it"
                    : $"(dry run) a token for serviceaccount {access.Namespace}/{access.ServiceAccount} would be requested (TokenRequest API, lifetime {parse.GetValue(tokenExpiry)})");
                await fleet.DryRunAsync(output, clusterName, connection.Server, caPem, clusterLabels, ct);
                return CliHost.Success;
            }

            if (access.TokenSecret)
            {
                output.WriteLine($"{TargetCluster.Describe(TargetCluster.TokenSecret(access))} {await target.EnsureAsync(TargetCluster.TokenSecret(access), dryRun: false, ct)}");
            }
            var token = await target.TokenAsync(access, ct);
            await target.VerifyAsync(token, ct);
            output.WriteLine($"token for serviceaccount {access.Namespace}/{access.ServiceAccount} {(access.TokenSecret ? "read from its Secret" : "issued")}, {TargetCluster.Expiry(token)}; the cluster accepts it");
            output.WriteLine(await fleet.RegisterAsync(clusterName, connection.Server, caPem, token.Token, clusterLabels, ct));
            return CliHost.Success;
        });
        return command;
    }

    private static TimeSpan Duration(string text, string option) =>
        GoDuration.TryParse(text, out var value) && value > TimeSpan.Zero
            ? value
            : throw new CliException($"{option} \"{text}\" is not a positive duration (such as 8760h, 30m or 90s)", CliHost.BadArguments);

    private static FleetRegistrar FleetSide(CliContext context, ParseResult parse, Option<string?> registrationToken, Option<string?> ns)
    {
        var (server, apiToken, configNamespace) = context.Settings(parse);
        if (string.IsNullOrEmpty(server))
        {
            throw new CliException("no Fleet server: run 'fleet login --server URL', or pass --server or set FLEET_SERVER", CliHost.BadArguments);
        }
        var token = parse.GetValue(registrationToken) ?? (context.Environment.Variables("FLEET_REGISTRATION_TOKEN") is { Length: > 0 } t ? t : null) ?? apiToken;
        if (string.IsNullOrEmpty(token))
        {
            throw new CliException("no Fleet token: pass --registration-token (or set FLEET_REGISTRATION_TOKEN), or log in with an operator or admin API token", CliHost.NotAuthorized);
        }
        var isRegistration = token.StartsWith(RegistrationPrefix, StringComparison.Ordinal);
        if (isRegistration && parse.GetResult(ns) is { Implicit: false })
        {
            throw new CliException("-n/--namespace applies to API tokens: a registration token registers the cluster in its own namespace", CliHost.BadArguments);
        }
        var client = new FleetApiClient(CliContext.ParseServer(server), token, context.Environment.Handler?.Invoke())
        {
            UnauthorizedHint = isRegistration ? "ask a Fleet admin for a new registration token ('fleet token create NAME --registration -n NS')" : null,
        };
        return new FleetRegistrar(client, isRegistration, parse.GetValue(ns) ?? configNamespace ?? "default");
    }

    /// <summary>Registration tokens have this prefix (docs/security.md), which tells them from API tokens without asking the server.</summary>
    private const string RegistrationPrefix = "fleetreg_";

    /// <summary>The Fleet side of a registration: the registrations API with a registration token, apply with an API token.</summary>
    private sealed class FleetRegistrar(FleetApiClient client, bool registration, string ns) : IDisposable
    {
        public void Dispose() => client.Dispose();

        public async Task<string> RegisterAsync(string name, string server, string? caPem, string token, JsonObject labels, CancellationToken ct)
        {
            if (registration)
            {
                var body = new JsonObject { ["name"] = name, ["server"] = server, ["token"] = token };
                if (caPem is not null)
                {
                    body["caData"] = caPem;
                }
                if (labels.Count > 0)
                {
                    body["labels"] = labels.DeepClone();
                }
                JsonNode answer;
                try
                {
                    answer = await client.PostJsonAsync("api/v1/registrations", body, ct);
                }
                catch (CliException ex) when (ex.Status == System.Net.HttpStatusCode.Conflict)
                {
                    throw new CliException(ex.Message + "\n  to renew a registered cluster's credentials, run this again logged in with an operator API token", ex.ExitCode);
                }
                return $"cluster {Str(answer, "cluster", "metadata", "namespace")}/{Str(answer, "cluster", "metadata", "name")} registered in Fleet at {client.Server} (credentials in Secret {Str(answer, "secret")})";
            }
            var result = await client.PostJsonAsync("api/v1/apply" + FleetApiClient.Query(("namespace", ns)), Documents(name, server, caPem, token, labels), ct);
            var items = (result["items"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            var cluster = items.FirstOrDefault(i => Str(i, "kind") == "Cluster");
            return $"cluster {ns}/{name} {Str(cluster, "action")} in Fleet at {client.Server} (credentials in Secret {name}-credentials, {Str(items.FirstOrDefault(i => Str(i, "kind") == "Secret"), "action")})";
        }

        public async Task DryRunAsync(TextWriter output, string name, string server, string? caPem, JsonObject labels, CancellationToken ct)
        {
            var ca = caPem is null ? "no CA (the system's trusted CAs)" : "its CA from the kubeconfig";
            var labelText = labels.Count == 0 ? "" : ", labels " + string.Join(',', labels.Select(l => $"{l.Key}={l.Value}"));
            if (registration)
            {
                output.WriteLine($"(dry run) cluster {name} would be registered with the registration token at {client.Server}: server {server}, {ca}{labelText} " +
                    "(the token is not checked: the registrations API has no dry run)");
                return;
            }
            // The apply API's dry run checks everything (the caller's role and namespace, the objects) and stores nothing.
            var result = await client.PostJsonAsync("api/v1/apply" + FleetApiClient.Query(("namespace", ns), ("dryRun", "All")),
                Documents(name, server, caPem, "dry-run", labels), ct);
            foreach (var item in (result["items"] as JsonArray ?? []).OfType<JsonObject>())
            {
                output.WriteLine($"(dry run) {Str(item, "kind")} {Str(item, "namespace")}/{Str(item, "name")} would be {Str(item, "action")} in Fleet at {client.Server}" +
                    (Str(item, "kind") == "Cluster" ? $": server {server}, {ca}{labelText}" : ""));
            }
        }

        /// <summary>The credentials Secret and the Cluster, as the registrations API would make them.</summary>
        private static JsonObject Documents(string name, string server, string? caPem, string token, JsonObject labels)
        {
            var spec = new JsonObject { ["server"] = server, ["credentialsRef"] = new JsonObject { ["name"] = name + "-credentials" } };
            if (caPem is not null)
            {
                spec["caData"] = caPem;
            }
            var secret = new JsonObject
            {
                ["apiVersion"] = "fleet.dev/v1",
                ["kind"] = "Secret",
                ["metadata"] = new JsonObject { ["name"] = name + "-credentials" },
                ["stringData"] = new JsonObject { ["token"] = token },
            };
            var cluster = new JsonObject
            {
                ["apiVersion"] = "fleet.dev/v1",
                ["kind"] = "Cluster",
                ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels.DeepClone() },
                ["spec"] = spec,
            };
            return new JsonObject { ["kind"] = "List", ["items"] = new JsonArray(secret, cluster) };
        }
    }
}
