using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Fleet.Cli.Api;
using Fleet.Cli.Output;
using Spectre.Console;
using static Fleet.Cli.Output.ObjectView;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet reconcile app|source NAME [--with-source] [--wait] [--timeout 5m]</c>: asks for a reconcile now
/// (<c>POST .../reconcile</c>), and with <c>--wait</c> follows it: for a source until it has fetched, for an
/// application until every cluster runs the source's current revision and is Ready, showing each cluster's state as
/// it changes (a live table on a terminal, one line per change otherwise). Exits 1 on a failure or at the timeout.
/// </summary>
internal static class ReconcileCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>Ready=False reasons that mean "still working on it", not a failure.</summary>
    private static readonly string[] Transient = ["Progressing", "ProgressingWithRetry", "DependencyNotReady", ""];

    public static Command Create(CliContext context)
    {
        var kind = new Argument<string>("KIND") { Description = "app or source" };
        kind.AcceptOnlyFromAmong("app", "apps", "application", "source", "sources", "gitrepository");
        var name = new Argument<string>("NAME") { Description = "The object's name" };
        var ns = CliContext.NamespaceOption();
        var wait = new Option<bool>("--wait", "-w") { Description = "Follow the reconcile until it succeeds (exit 0) or fails or times out (exit 1)" };
        var withSource = new Option<bool>("--with-source") { Description = "app: fetch its source first" };
        var timeout = new Option<string>("--timeout") { Description = "How long --wait waits (Go duration: 90s, 5m)", DefaultValueFactory = _ => "5m" };
        var command = new Command("reconcile", "Reconcile an application or a source now")
        {
            kind,
            name,
            ns,
            wait,
            withSource,
            timeout,
        };
        CliContext.SetAction(command, async (parse, ct) =>
        {
            var k = CliKind.Parse(parse.GetRequiredValue(kind));
            var objectName = parse.GetRequiredValue(name);
            var namespaceName = context.Namespace(parse, ns);
            var limit = Duration(parse.GetValue(timeout)!);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(limit);
            var output = parse.InvocationConfiguration.Output;
            using var client = context.Client(parse);
            try
            {
                if (k == CliKind.Source)
                {
                    return await SourceAsync(client, output, namespaceName, objectName, parse.GetValue(wait), deadline.Token);
                }
                var app = await client.GetAsync(FleetApiClient.ResourcePath(CliKind.App.Plural, namespaceName, objectName), deadline.Token);
                var sourceNs = Str(app, "spec", "sourceRef", "namespace") is { Length: > 0 } s ? s : namespaceName;
                var sourceName = Str(app, "spec", "sourceRef", "name");
                if (parse.GetValue(withSource) && await SourceAsync(client, output, sourceNs, sourceName, true, deadline.Token) != CliHost.Success)
                {
                    return CliHost.Failure;
                }
                await client.PostJsonAsync(FleetApiClient.ResourcePath(CliKind.App.Plural, namespaceName, objectName, "reconcile"), null, deadline.Token);
                output.WriteLine($"► reconcile requested for Application {namespaceName}/{objectName}");
                if (!parse.GetValue(wait))
                {
                    return CliHost.Success;
                }
                var source = await client.GetAsync(FleetApiClient.ResourcePath(CliKind.Source.Plural, sourceNs, sourceName), deadline.Token);
                var target = Str(source, "status", "artifact", "revision");
                if (target.Length == 0)
                {
                    throw new CliException($"source {sourceNs}/{sourceName} has no artifact yet: {ReadyMessage(source)}");
                }
                return await FollowAppAsync(context, parse, client, namespaceName, objectName, target, deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: timed out after {parse.GetValue(timeout)} waiting for {k.Kind} {namespaceName}/{objectName}");
                return CliHost.Failure;
            }
        });
        return command;
    }

    private static async Task<int> SourceAsync(FleetApiClient client, TextWriter output, string ns, string name, bool wait, CancellationToken ct)
    {
        var before = wait ? Time(Str(await client.GetAsync(FleetApiClient.ResourcePath(CliKind.Source.Plural, ns, name), ct), "status", "lastFetchTime")) : default;
        var requested = await client.PostJsonAsync(FleetApiClient.ResourcePath(CliKind.Source.Plural, ns, name, "reconcile"), null, ct);
        output.WriteLine($"► fetch requested for GitRepository {ns}/{name}");
        if (!wait)
        {
            return CliHost.Success;
        }
        var at = Time(Str(requested, "metadata", "annotations", "reconcile.fluxcd.io/requestedAt"));
        while (true)
        {
            var source = await client.GetAsync(FleetApiClient.ResourcePath(CliKind.Source.Plural, ns, name), ct);
            // A fetch after the request answers it: a new fetch time, in the request's second or later (the status keeps
            // whole seconds). A fetch from just before the request must not: it may have missed the newest commit.
            var fetched = Time(Str(source, "status", "lastFetchTime"));
            var sinceRequest = fetched > before && fetched >= at.AddTicks(-(at.Ticks % TimeSpan.TicksPerSecond));
            if (sinceRequest || Str(source, "metadata", "generation") != Str(source, "status", "observedGeneration"))
            {
                if (Ready(source) == "True")
                {
                    output.WriteLine($"✔ GitRepository {ns}/{name}: fetched revision {Str(source, "status", "artifact", "revision")}");
                    return CliHost.Success;
                }
                if (Ready(source) == "False" && !Transient.Contains(Str(Condition(source, "Ready"), "reason")))
                {
                    output.WriteLine($"✗ GitRepository {ns}/{name}: {ReadyMessage(source)}");
                    return CliHost.Failure;
                }
            }
            await Task.Delay(PollInterval, ct);
        }
    }

    private sealed record ClusterState(string Cluster, string Ready, string Reason, string Revision, string Message);

    /// <summary>Polls the application and its placements until all run <paramref name="target"/> and are Ready, or one fails.</summary>
    private static async Task<int> FollowAppAsync(CliContext context, ParseResult parse, FleetApiClient client, string ns, string name, string target, CancellationToken ct)
    {
        var output = parse.InvocationConfiguration.Output;
        output.WriteLine($"◎ waiting for revision {target} on every cluster");
        var printed = new Dictionary<string, ClusterState>(StringComparer.Ordinal);
        int? result = null;
        async Task<(List<ClusterState> States, int? Outcome, string Summary)> PollAsync()
        {
            var app = await client.GetAsync(FleetApiClient.ResourcePath(CliKind.App.Plural, ns, name), ct);
            var placements = await GetCommand.ListAsync(client, CliKind.Placement, ns, $"fleet.dev/application={name}", ct);
            var states = placements.Select(p => new ClusterState(Str(p, "spec", "cluster"), Ready(p), Condition(p, "Ready") is { } c ? Str(c, "reason") : "",
                Str(p, "status", "lastAppliedRevision"), ReadyMessage(p))).OrderBy(s => s.Cluster, StringComparer.Ordinal).ToList();
            var failed = states.FirstOrDefault(s => s.Ready == "False" && !Transient.Contains(s.Reason));
            if (failed is not null)
            {
                return (states, CliHost.Failure, $"✗ Application {ns}/{name} failed on cluster {failed.Cluster}: {failed.Message}");
            }
            if (Condition(app, "Stalled") is { } stalled && Str(stalled, "status") == "True")
            {
                return (states, CliHost.Failure, $"✗ Application {ns}/{name} stalled: {Str(stalled, "message")}");
            }
            if (Ready(app) == "False" && !Transient.Contains(Str(Condition(app, "Ready"), "reason")))
            {
                return (states, CliHost.Failure, $"✗ Application {ns}/{name}: {ReadyMessage(app)}");
            }
            var done = Str(app, "status", "lastAttemptedRevision") == target && Ready(app) == "True"
                && states.All(s => s.Ready == "True" && s.Revision == target);
            return (states, done ? CliHost.Success : null, done ? $"✔ Application {ns}/{name}: revision {target} Ready on {states.Count} cluster(s)" : "");
        }

        if (context.Environment.Interactive)
        {
            var console = context.Console(parse);
            string summary = "";
            await console.Live(Table([])).StartAsync(async live =>
            {
                while (result is null)
                {
                    var (states, outcome, text) = await PollAsync();
                    live.UpdateTarget(Table(states));
                    result = outcome;
                    summary = text;
                    if (result is null)
                    {
                        await Task.Delay(PollInterval, ct);
                    }
                }
            });
            output.WriteLine(summary);
            return result!.Value;
        }
        while (true)
        {
            var (states, outcome, summary) = await PollAsync();
            foreach (var state in states.Where(s => !printed.TryGetValue(s.Cluster, out var before) || before != s))
            {
                printed[state.Cluster] = state;
                output.WriteLine($"  {state.Cluster}: Ready={state.Ready} {state.Reason} {Short(state.Revision)} {state.Message}".TrimEnd());
            }
            if (outcome is { } code)
            {
                output.WriteLine(summary);
                return code;
            }
            await Task.Delay(PollInterval, ct);
        }
    }

    private static Table Table(List<ClusterState> states)
    {
        var table = new Table().AddColumns("CLUSTER", "READY", "REASON", "REVISION", "MESSAGE");
        foreach (var s in states)
        {
            var ready = s.Ready switch
            {
                "True" => "[green]True[/]",
                "False" => "[red]False[/]",
                _ => "[yellow]" + Markup.Escape(s.Ready) + "[/]",
            };
            table.AddRow(Markup.Escape(s.Cluster), ready, Markup.Escape(s.Reason), Markup.Escape(Short(s.Revision)), Markup.Escape(s.Message));
        }
        return table;
    }

    /// <summary><c>main@sha1:0123456789ab</c>: a revision with its hash cut to 12 characters.</summary>
    private static string Short(string revision)
    {
        var colon = revision.LastIndexOf(':');
        return colon >= 0 && revision.Length > colon + 13 ? revision[..(colon + 13)] : revision;
    }

    private static DateTimeOffset Time(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : DateTimeOffset.MinValue;

    /// <summary>A Go duration as the API takes them (<c>90s</c>, <c>5m</c>, <c>1h30m</c>).</summary>
    private static TimeSpan Duration(string text) =>
        Fleet.Abstractions.Resources.GoDuration.TryParse(text, out var span) && span > TimeSpan.Zero
            ? span
            : throw new CliException($"--timeout \"{text}\" is not a duration longer than zero (90s, 5m, 1h30m)", CliHost.BadArguments);
}
