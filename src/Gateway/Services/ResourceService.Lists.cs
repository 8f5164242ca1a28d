using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Abstractions;
using Fleet.Abstractions.Resources;
using Fleet.Store;

namespace Fleet.Gateway.Services;

/// <summary>How a list is narrowed and paged, as Kubernetes' list parameters.</summary>
/// <param name="LabelSelector">Kubernetes label selector syntax (<c>env=prod,region in (eu,us)</c>).</param>
/// <param name="FieldSelector"><c>metadata.name</c> and <c>metadata.namespace</c> with <c>=</c>, <c>==</c> or <c>!=</c>, comma-separated.</param>
/// <param name="Limit">Most objects in one page; absent for all (at most <see cref="ResourceService.MaxListLimit"/> a page).</param>
/// <param name="Continue">The <c>continue</c> token of the previous page.</param>
public sealed record ListOptions(string? LabelSelector = null, string? FieldSelector = null, int? Limit = null, string? Continue = null);

/// <summary>A page of a list: the objects, the token of the next page (null on the last) and the resource version to watch from.</summary>
public sealed record ResourceList(IReadOnlyList<StoredResource> Items, string? Continue, long ResourceVersion);

public sealed partial class ResourceService
{
    /// <summary>The largest page a list returns; a larger <c>limit</c> gets pages of this size (Kubernetes lets a server return fewer objects than asked).</summary>
    public const int MaxListLimit = 1000;

    /// <summary>
    /// One page of the objects of a kind (in one namespace, or every namespace the caller may see), narrowed in the
    /// store's query so that paging through 10,000 objects stays fast. Ordered by namespace and name; the continue
    /// token resumes after the last object of the page (pages are read live: an object changed between pages shows
    /// its newest state, and none is shown twice).
    /// </summary>
    public async Task<ResourceList> ListPageAsync(Caller caller, ResourceKind kind, string? ns, ListOptions options, CancellationToken ct)
    {
        var query = Query(caller, kind, ns, options.LabelSelector, options.FieldSelector);
        if (options.Limit is < 0)
        {
            throw new ApiException(ApiErrorKind.BadRequest, $"limit: {options.Limit} is negative; give a number of objects, or none for all");
        }
        var limit = options.Limit is null or 0 ? 0 : Math.Min(options.Limit.Value, MaxListLimit);
        var fingerprint = Fingerprint(kind, ns, options);
        query = query with { Limit = limit, After = options.Continue is { Length: > 0 } token ? ReadContinue(token, fingerprint) : null };
        if (query.Namespace is not null && !caller.CanSee(query.Namespace))
        {
            return new ResourceList([], null, await _store.LatestChangeAsync(ct));
        }
        if (limit > 0)
        {
            var page = await _store.ListPageAsync(query, ct);
            return new ResourceList(page.Items, page.Next is { } next ? WriteContinue(next, fingerprint) : null, page.ResourceVersion);
        }

        // No limit: every object, read in pages of the largest size so one request never holds one huge result set.
        var items = new List<StoredResource>();
        ResourcePage? first = null;
        ResourceKey? after = query.After;
        do
        {
            var page = await _store.ListPageAsync(query with { Limit = MaxListLimit, After = after }, ct);
            first ??= page;
            items.AddRange(page.Items);
            after = page.Next;
        }
        while (after is not null);
        return new ResourceList(items, null, first.ResourceVersion);
    }

    /// <summary>The store query of a list or watch: kind, namespace or the caller's namespaces, label and field selectors (a bad one is a 400 naming it).</summary>
    private static ResourceQuery Query(Caller caller, ResourceKind kind, string? ns, string? labelSelector, string? fieldSelector)
    {
        LabelSelector selector;
        try
        {
            selector = LabelSelector.Parse(labelSelector);
        }
        catch (LabelSelectorException ex)
        {
            throw new ApiException(ApiErrorKind.BadRequest, $"labelSelector: {ex.Message}");
        }
        return new ResourceQuery(kind.Kind)
        {
            Namespace = ns,
            Namespaces = ns is null ? caller.Namespaces : null,
            Selector = selector.IsEmpty ? null : selector,
            Fields = ParseFieldSelector(fieldSelector),
        };
    }

    /// <summary>Kubernetes' field selector syntax for the fields every kind has: <c>metadata.name</c> and <c>metadata.namespace</c>.</summary>
    internal static IReadOnlyList<FieldRequirement> ParseFieldSelector(string? text)
    {
        var list = new List<FieldRequirement>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return list;
        }
        foreach (var raw in text.Split(','))
        {
            var term = raw.Trim();
            var (op, at) = term.IndexOf("!=", StringComparison.Ordinal) is var ne and >= 0 ? ("!=", ne)
                : term.IndexOf("==", StringComparison.Ordinal) is var eq2 and >= 0 ? ("==", eq2)
                : ("=", term.IndexOf('=', StringComparison.Ordinal));
            if (at <= 0)
            {
                throw new ApiException(ApiErrorKind.BadRequest, $"fieldSelector: \"{term}\" is not a requirement: write field=value, field==value or field!=value");
            }
            var field = term[..at].Trim();
            var value = term[(at + op.Length)..].Trim();
            var which = field switch
            {
                "metadata.name" => ResourceField.Name,
                "metadata.namespace" => ResourceField.Namespace,
                _ => throw new ApiException(ApiErrorKind.BadRequest, $"fieldSelector: \"{field}\" is not a field that can be selected: use metadata.name or metadata.namespace"),
            };
            if (value.Contains('=', StringComparison.Ordinal) || value.Contains('!', StringComparison.Ordinal))
            {
                throw new ApiException(ApiErrorKind.BadRequest, $"fieldSelector: \"{term}\" has more than one operator");
            }
            list.Add(new FieldRequirement(which, op == "!=", value));
        }
        return list;
    }

    /// <summary>What a continue token is bound to: the same kind, namespace and selectors (a token of another list is refused).</summary>
    private static string Fingerprint(ResourceKind kind, string? ns, ListOptions options)
    {
        var text = string.Join('\n', kind.Kind, ns ?? "", options.LabelSelector ?? "", options.FieldSelector ?? "");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    private static string WriteContinue(ResourceKey after, string fingerprint)
    {
        var json = new JsonObject { ["v"] = 1, ["ns"] = after.Namespace, ["name"] = after.Name, ["q"] = fingerprint }.ToJsonString();
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
    }

    private static ResourceKey ReadContinue(string token, string fingerprint)
    {
        try
        {
            var node = JsonNode.Parse(Base64Url.DecodeFromChars(token));
            if (node?["v"]?.GetValue<int>() == 1 && node["ns"]?.GetValue<string>() is { } ns && node["name"]?.GetValue<string>() is { } name)
            {
                if (node["q"]?.GetValue<string>() != fingerprint)
                {
                    throw new ApiException(ApiErrorKind.BadRequest, "continue: the token belongs to a list with another kind, namespace or selector; send the same parameters as for the first page");
                }
                return new ResourceKey(ns, name);
            }
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            // Reported below.
        }
        throw new ApiException(ApiErrorKind.BadRequest, "continue: not a continue token of this server; pass metadata.continue of the previous page unchanged");
    }

    private static string Version(long resourceVersion) => resourceVersion.ToString(CultureInfo.InvariantCulture);
}
