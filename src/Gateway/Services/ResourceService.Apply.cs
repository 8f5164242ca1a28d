using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Resources;
using Fleet.Store;

namespace Fleet.Gateway.Services;

/// <summary>What an apply did (or, on a dry run, would do) to one object, in kubectl's words.</summary>
public enum ApplyAction
{
    Created,
    Configured,
    Unchanged,
}

/// <summary>The outcome of one document of an apply: the action and the object as stored (or as it would be).</summary>
public sealed record ApplyResult(ApplyAction Action, StoredResource Object);

public sealed partial class ResourceService
{
    /// <summary>Most documents one apply takes.</summary>
    public const int MaxApplyDocuments = 1000;

    /// <summary>
    /// Applies several documents all or nothing: every document is read, converted (Flux kinds), validated and checked
    /// against the caller's rules first, and only when all pass are they written, in one store transaction. Each
    /// document replaces its object's labels, annotations and spec (as a PUT); a document without a namespace goes to
    /// <paramref name="defaultNamespace"/>. Problems name their document as <c>items[i].field</c>.
    /// </summary>
    public async Task<IReadOnlyList<ApplyResult>> ApplyAsync(Caller caller, IReadOnlyList<JsonObject> documents, string defaultNamespace, CancellationToken ct, bool dryRun = false)
    {
        if (documents.Count == 0)
        {
            throw new ApiException(ApiErrorKind.BadRequest, "nothing to apply: the body holds no documents");
        }
        if (documents.Count > MaxApplyDocuments)
        {
            throw new ApiException(ApiErrorKind.TooLarge, $"the body holds {documents.Count} documents, more than the {MaxApplyDocuments} one apply takes; split it");
        }
        var errors = new List<FieldError>();
        var valid = new List<(int Index, ValidObject Object)>();
        var seen = new Dictionary<(string, string, string), int>();
        for (var i = 0; i < documents.Count; i++)
        {
            var prefix = $"items[{i}].";
            var docErrors = new List<FieldError>();
            var resolved = FluxDocuments.Resolve(documents[i], docErrors);
            if (resolved is not null && resolved.Kind.ReadOnly)
            {
                docErrors.Add(new FieldError("kind", $"{resolved.Kind.Kind} objects are read-only: Fleet writes them"));
            }
            else if (resolved is not null)
            {
                var ns = resolved.Body["metadata"]?["namespace"]?.ToString() is { Length: > 0 } given ? given : defaultNamespace;
                var read = _reader.Read(resolved.Body, resolved.Kind, ns, null, resolved.Lenient);
                docErrors.AddRange(read.Errors);
                if (read.Object is { } obj && docErrors.Count == 0)
                {
                    if (seen.TryGetValue((obj.Kind.Kind, obj.Namespace, obj.Name), out var first))
                    {
                        docErrors.Add(new FieldError("metadata.name", $"{obj.Kind.Kind} {obj.Namespace}/{obj.Name} is already items[{first}]"));
                    }
                    else
                    {
                        seen[(obj.Kind.Kind, obj.Namespace, obj.Name)] = i;
                        valid.Add((i, obj));
                    }
                }
            }
            errors.AddRange(docErrors.Select(e => e with { Field = prefix + e.Field }));
        }
        if (errors.Count > 0)
        {
            throw new ApiException(ApiErrorKind.Invalid, $"nothing was applied: {errors.Count} problem(s): {string.Join("; ", errors)}", errors);
        }

        foreach (var (index, obj) in valid)
        {
            try
            {
                Authorize(caller, obj.Kind, obj.Namespace, obj.Name);
            }
            catch (ApiException ex)
            {
                var detail = ex.Kind == ApiErrorKind.NotFound ? $"namespace \"{obj.Namespace}\" not found" : ex.Message;
                throw new ApiException(ex.Kind, $"nothing was applied: items[{index}] ({obj.Kind.Kind} {obj.Namespace}/{obj.Name}): {detail}");
            }
        }

        var plan = new List<(ValidObject Object, StoredResource? Existing, ApplyAction Action)>();
        foreach (var (_, obj) in valid)
        {
            var existing = await _store.GetAsync(obj.Kind.Kind, obj.Namespace, obj.Name, ct);
            if (obj.ExpectedResourceVersion is { } expected && expected != (existing?.ResourceVersion ?? 0))
            {
                var conflict = new ResourceConflictException(obj.Kind.Kind, obj.Namespace, obj.Name, expected, existing?.ResourceVersion);
                throw new ApiException(ApiErrorKind.Conflict, $"nothing was applied: {conflict.Message}");
            }
            var action = existing is null ? ApplyAction.Created
                : existing.SpecJson == obj.SpecJson && SameMap(existing.Labels, obj.Labels) && SameMap(existing.Annotations, obj.Annotations) ? ApplyAction.Unchanged
                : ApplyAction.Configured;
            plan.Add((obj, existing, action));
        }
        if (dryRun)
        {
            return plan.Select(p => new ApplyResult(p.Action, p.Action == ApplyAction.Unchanged ? p.Existing! : WouldStore(p.Object, p.Existing, p.Object.ExpectedResourceVersion))).ToList();
        }

        // New objects must still not exist when written (0); existing ones are replaced whatever their status did
        // meanwhile, unless the document names a resourceVersion.
        var writes = plan.Where(p => p.Action != ApplyAction.Unchanged)
            .Select(p => new ResourceWrite(p.Object.Kind.Kind, p.Object.Namespace, p.Object.Name, p.Object.Labels, p.Object.Annotations, p.Object.SpecJson,
                p.Object.ExpectedResourceVersion ?? (p.Existing is null ? 0 : null)))
            .ToList();
        IReadOnlyList<StoredResource> stored;
        try
        {
            stored = writes.Count == 0 ? [] : await _store.PutManyAsync(writes, ct);
        }
        catch (ResourceConflictException ex)
        {
            throw new ApiException(ApiErrorKind.Conflict, $"nothing was applied: {ex.Message}");
        }
        var results = new List<ApplyResult>(plan.Count);
        var next = 0;
        foreach (var p in plan)
        {
            results.Add(new ApplyResult(p.Action, p.Action == ApplyAction.Unchanged ? p.Existing! : stored[next++]));
        }
        return results;
    }

    /// <summary>What a write of <paramref name="obj"/> would store, for a dry run; a stale <paramref name="expected"/> version conflicts as the real write would.</summary>
    private StoredResource WouldStore(ValidObject obj, StoredResource? existing, long? expected)
    {
        if (expected is { } e && e != (existing?.ResourceVersion ?? 0))
        {
            throw new ApiException(ApiErrorKind.Conflict, new ResourceConflictException(obj.Kind.Kind, obj.Namespace, obj.Name, e, existing?.ResourceVersion).Message);
        }
        var generation = existing is null ? 1 : existing.SpecJson == obj.SpecJson ? existing.Generation : existing.Generation + 1;
        return new StoredResource(obj.Kind.Kind, obj.Namespace, obj.Name, existing?.Uid ?? "", generation, existing?.ResourceVersion ?? 0,
            obj.Labels, obj.Annotations, obj.SpecJson, existing?.StatusJson, existing?.CreatedAt ?? _time.GetUtcNow());
    }

    private static bool SameMap(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);
}
