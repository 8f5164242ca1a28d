using System.Text.RegularExpressions;

namespace Fleet.Abstractions.Resources;

/// <summary>Checks of names and specs; every problem is reported at once, each naming its field.</summary>
public static partial class ResourceValidation
{
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^[0-9]+%?$")]
    private static partial Regex CountOrPercent();

    public static IEnumerable<FieldError> ValidateName(string? name, string field = "metadata.name")
    {
        if (string.IsNullOrEmpty(name))
        {
            yield return new FieldError(field, "required");
        }
        else if (name.Length > 253 || !Dns1123Subdomain().IsMatch(name))
        {
            yield return new FieldError(field, $"\"{name}\" is not a valid name: lowercase alphanumerics, '-' or '.', starting and ending with an alphanumeric, at most 253 characters");
        }
    }

    public static IEnumerable<FieldError> ValidateNamespace(string? ns, string field = "metadata.namespace")
    {
        if (string.IsNullOrEmpty(ns))
        {
            yield return new FieldError(field, "required");
        }
        else if (ns.Length > 63 || !Dns1123Label().IsMatch(ns))
        {
            yield return new FieldError(field, $"\"{ns}\" is not a valid namespace: lowercase alphanumerics or '-', starting and ending with an alphanumeric, at most 63 characters");
        }
    }

    public static IEnumerable<FieldError> ValidateLabels(IReadOnlyDictionary<string, string>? labels, string field = "metadata.labels")
    {
        if (labels is null)
        {
            yield break;
        }
        foreach (var (k, v) in labels)
        {
            FieldError? error = null;
            try
            {
                LabelSelector.FromMatch(new Dictionary<string, string> { [k] = v }, null);
            }
            catch (LabelSelectorException ex)
            {
                error = new FieldError($"{field}[{k}]", ex.Message[(ex.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..]);
            }
            if (error is not null)
            {
                yield return error;
            }
        }
    }

    /// <summary>Most bytes all annotations of an object may hold together, keys and values (as Kubernetes).</summary>
    public const int MaxAnnotationsBytes = 256 * 1024;

    /// <summary>Annotation keys follow label key syntax; keys and values together are capped at 256 KiB.</summary>
    public static IEnumerable<FieldError> ValidateAnnotations(IReadOnlyDictionary<string, string>? annotations, string field = "metadata.annotations")
    {
        if (annotations is null)
        {
            yield break;
        }
        long total = 0;
        foreach (var (k, v) in annotations)
        {
            total += System.Text.Encoding.UTF8.GetByteCount(k) + System.Text.Encoding.UTF8.GetByteCount(v);
            FieldError? error = null;
            try
            {
                LabelSelector.FromMatch(new Dictionary<string, string> { [k] = "" }, null);
            }
            catch (LabelSelectorException ex)
            {
                error = new FieldError($"{field}[{k}]", ex.Message[(ex.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..]);
            }
            if (error is not null)
            {
                yield return error;
            }
        }
        if (total > MaxAnnotationsBytes)
        {
            yield return new FieldError(field, $"annotations hold {total} bytes, more than the {MaxAnnotationsBytes}-byte limit");
        }
    }

    public static IEnumerable<FieldError> ValidateSpec(object spec) => spec switch
    {
        ClusterSpec c => ValidateCluster(c),
        GitRepositorySpec g => ValidateGitRepository(g),
        HelmRepositorySpec h => ValidateHelmRepository(h),
        ApplicationSpec a => ValidateApplication(a).Concat(ValidateApplicationHelm(a)),
        ReceiverSpec r => ValidateReceiver(r),
        _ => [],
    };

    private static IEnumerable<FieldError> ValidateCluster(ClusterSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.Server) && spec.CredentialsRef is null)
        {
            yield return new FieldError("spec.server", "required unless spec.credentialsRef names a Secret with a kubeconfig");
        }
        else if (spec.Server is not null && (!Uri.TryCreate(spec.Server, UriKind.Absolute, out var uri) || (uri.Scheme != "https" && uri.Scheme != "http")))
        {
            yield return new FieldError("spec.server", $"\"{Redact(spec.Server)}\" is not an http(s) URL");
        }
        else if (spec.Server is not null && CredentialsInUrl(spec.Server))
        {
            yield return new FieldError("spec.server", $"\"{Redact(spec.Server)}\" carries credentials: remove them from the URL and name a Secret in spec.credentialsRef");
        }
        if (spec.CredentialsRef is { Name: "" })
        {
            yield return new FieldError("spec.credentialsRef.name", "required");
        }
        foreach (var e in Duration(spec.ProbeInterval, "spec.probeInterval"))
        {
            yield return e;
        }
    }

    private static IEnumerable<FieldError> ValidateGitRepository(GitRepositorySpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.Url))
        {
            yield return new FieldError("spec.url", "required");
        }
        else if (!IsGitUrl(spec.Url))
        {
            yield return new FieldError("spec.url", $"\"{Redact(spec.Url)}\" is not a git URL (http, https, ssh or file)");
        }
        else if (CredentialsInUrl(spec.Url))
        {
            yield return new FieldError("spec.url", $"\"{Redact(spec.Url)}\" carries credentials: remove them from the URL and name a Secret in spec.secretRef");
        }
        if (spec.Ref is { } r)
        {
            var set = new[] { r.Tag, r.Semver, r.Name }.Count(s => !string.IsNullOrEmpty(s));
            if (set > 1 || (set == 1 && !string.IsNullOrEmpty(r.Commit)))
            {
                yield return new FieldError("spec.ref", "give one of tag, semver, name or commit (commit may be combined with branch)");
            }
            if (r.Commit is { Length: > 0 } commit && !IsHex(commit))
            {
                yield return new FieldError("spec.ref.commit", $"\"{commit}\" is not a commit SHA");
            }
        }
        foreach (var e in Duration(spec.Interval, "spec.interval", required: true).Concat(Duration(spec.Timeout, "spec.timeout")))
        {
            yield return e;
        }
        if (spec.SecretRef is { Name: "" })
        {
            yield return new FieldError("spec.secretRef.name", "required");
        }
    }

    private static IEnumerable<FieldError> ValidateApplication(ApplicationSpec spec)
    {
        if (spec.SourceRef.Kind is not ("GitRepository" or "HelmRepository"))
        {
            yield return new FieldError("spec.sourceRef.kind", $"\"{spec.SourceRef.Kind}\" is not supported: GitRepository or HelmRepository");
        }
        foreach (var e in ValidateName(spec.SourceRef.Name, "spec.sourceRef.name"))
        {
            yield return e;
        }
        var durations = Duration(spec.Interval, "spec.interval", required: true)
            .Concat(Duration(spec.RetryInterval, "spec.retryInterval"))
            .Concat(Duration(spec.Timeout, "spec.timeout"));
        foreach (var e in durations)
        {
            yield return e;
        }
        foreach (var e in Selector(spec.ClusterSelector, "spec.clusterSelector"))
        {
            yield return e;
        }
        for (var i = 0; i < (spec.TargetCustomizations?.Count ?? 0); i++)
        {
            var tc = spec.TargetCustomizations![i];
            if (string.IsNullOrEmpty(tc.Name))
            {
                yield return new FieldError($"spec.targetCustomizations[{i}].name", "required");
            }
            if (tc.ClusterSelector is null)
            {
                yield return new FieldError($"spec.targetCustomizations[{i}].clusterSelector", "required");
            }
            foreach (var e in Selector(tc.ClusterSelector, $"spec.targetCustomizations[{i}].clusterSelector"))
            {
                yield return e;
            }
        }
        if (spec.Rollout is { } rollout)
        {
            if (rollout.MaxUnavailable is { } mu && (!CountOrPercent().IsMatch(mu) || mu is "0" or "0%" || (mu.EndsWith('%') && int.Parse(mu.TrimEnd('%'), System.Globalization.CultureInfo.InvariantCulture) > 100)))
            {
                yield return new FieldError("spec.rollout.maxUnavailable", $"\"{mu}\" must be a positive count or a percentage from 1% to 100%");
            }
            foreach (var e in Selector(rollout.Canary, "spec.rollout.canary"))
            {
                yield return e;
            }
        }
        for (var i = 0; i < (spec.DependsOn?.Count ?? 0); i++)
        {
            foreach (var e in ValidateName(spec.DependsOn![i].Name, $"spec.dependsOn[{i}].name"))
            {
                yield return e;
            }
        }
        if (spec.Path is { } path && (path.StartsWith('/') && path.Length > 1 && path.Contains("..", StringComparison.Ordinal)))
        {
            yield return new FieldError("spec.path", $"\"{path}\" leaves the source");
        }
    }

    private static IEnumerable<FieldError> ValidateReceiver(ReceiverSpec spec)
    {
        string[] types = ["github", "gitlab", "generic", "generic-hmac"];
        if (!types.Contains(spec.Type))
        {
            yield return new FieldError("spec.type", $"\"{spec.Type}\" is not supported: one of {string.Join(", ", types)}");
        }
        if (spec.Resources.Count == 0)
        {
            yield return new FieldError("spec.resources", "at least one GitRepository");
        }
        for (var i = 0; i < spec.Resources.Count; i++)
        {
            if (spec.Resources[i].Kind != "GitRepository")
            {
                yield return new FieldError($"spec.resources[{i}].kind", $"\"{spec.Resources[i].Kind}\" is not supported: GitRepository");
            }
            if (string.IsNullOrEmpty(spec.Resources[i].Name))
            {
                yield return new FieldError($"spec.resources[{i}].name", "required");
            }
        }
        if (string.IsNullOrEmpty(spec.SecretRef.Name))
        {
            yield return new FieldError("spec.secretRef.name", "required");
        }
    }

    private static IEnumerable<FieldError> Duration(string? value, string field, bool required = false)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required)
            {
                yield return new FieldError(field, "required");
            }
        }
        else if (!GoDuration.TryParse(value, out var d) || d < TimeSpan.Zero)
        {
            yield return new FieldError(field, $"\"{value}\" is not a duration (like 30s, 5m, 1h)");
        }
    }

    private static IEnumerable<FieldError> Selector(LabelSelectorSpec? selector, string field)
    {
        if (selector is null)
        {
            yield break;
        }
        FieldError? error = null;
        try
        {
            selector.ToSelector();
        }
        catch (LabelSelectorException ex)
        {
            error = new FieldError(field, ex.Message);
        }
        if (error is not null)
        {
            yield return error;
        }
    }

    private static bool IsGitUrl(string url)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return uri.Scheme is "http" or "https" or "ssh" or "file" or "git";
        }
        // scp-like syntax: git@github.com:org/repo.git
        var at = url.IndexOf('@', StringComparison.Ordinal);
        var colon = url.IndexOf(':', StringComparison.Ordinal);
        return at > 0 && colon > at;
    }

    private static bool IsHex(string s) => s.Length is >= 7 and <= 64 && s.All(char.IsAsciiHexDigit);

    /// <summary>Removes user information (a password) from a URL before it is shown.</summary>
    /// <summary>
    /// A URL with a password, or with any user for http(s) (a token given as the user name), would come back in every
    /// GET: such credentials belong in a Secret. An ssh user name alone (<c>ssh://git@host</c>) is no secret.
    /// </summary>
    public static bool CredentialsInUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.UserInfo)
        && (uri.UserInfo.Contains(':', StringComparison.Ordinal) || uri.Scheme is "http" or "https");

    public static string Redact(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.UserInfo)
            ? url.Replace(uri.UserInfo + "@", "***@", StringComparison.Ordinal)
            : url;
}
