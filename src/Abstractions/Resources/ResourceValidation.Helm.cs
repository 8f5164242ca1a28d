namespace Fleet.Abstractions.Resources;

/// <summary>Checks of HelmRepository specs and of the Helm part of Application specs.</summary>
public static partial class ResourceValidation
{
    private static IEnumerable<FieldError> ValidateHelmRepository(HelmRepositorySpec spec)
    {
        if (spec.Type is not (null or "" or "default" or "oci"))
        {
            yield return new FieldError("spec.type", $"\"{spec.Type}\" is not supported: default or oci");
        }
        if (string.IsNullOrWhiteSpace(spec.Url))
        {
            yield return new FieldError("spec.url", "required");
        }
        else if (!Uri.TryCreate(spec.Url, UriKind.Absolute, out var uri) || (spec.IsOci ? uri.Scheme != "oci" : uri.Scheme is not ("http" or "https")))
        {
            yield return new FieldError("spec.url", spec.IsOci
                ? $"\"{Redact(spec.Url)}\" is not an OCI URL (oci://host/path)"
                : $"\"{Redact(spec.Url)}\" is not an http(s) URL{(spec.Url.StartsWith("oci://", StringComparison.Ordinal) ? ": an oci:// URL needs spec.type oci" : "")}");
        }
        else if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            yield return new FieldError("spec.url", $"\"{Redact(spec.Url)}\" carries credentials: remove them from the URL and name a Secret in spec.secretRef");
        }
        foreach (var e in Duration(spec.Interval, "spec.interval").Concat(Duration(spec.Timeout, "spec.timeout")))
        {
            yield return e;
        }
        if (spec.SecretRef is { Name: "" })
        {
            yield return new FieldError("spec.secretRef.name", "required");
        }
        if (spec.CertSecretRef is not null)
        {
            yield return new FieldError("spec.certSecretRef", "not supported: Fleet trusts the system's certificate authorities for chart repositories");
        }
        if (spec.Provider is not (null or "" or "generic"))
        {
            yield return new FieldError("spec.provider", $"\"{spec.Provider}\" is not supported: generic (credentials from spec.secretRef)");
        }
    }

    private static IEnumerable<FieldError> ValidateApplicationHelm(ApplicationSpec spec)
    {
        var helm = spec.Helm;
        if (helm is null)
        {
            if (spec.SourceRef.Kind == "HelmRepository")
            {
                yield return new FieldError("spec.helm", "required with a HelmRepository source: at least helm.chart");
            }
            foreach (var (tc, i) in (spec.TargetCustomizations ?? []).Select((t, i) => (t, i)).Where(x => x.t.Helm is not null))
            {
                yield return new FieldError($"spec.targetCustomizations[{i}].helm", "only for an application with spec.helm");
            }
            yield break;
        }
        if (spec.SourceRef.Kind == "HelmRepository" && string.IsNullOrWhiteSpace(helm.Chart))
        {
            yield return new FieldError("spec.helm.chart", "required: the chart's name in the HelmRepository");
        }
        if (spec.SourceRef.Kind == "GitRepository" && !string.IsNullOrEmpty(helm.Version))
        {
            yield return new FieldError("spec.helm.version", "only for a HelmRepository source: a chart in Git is used at the source's revision");
        }
        if (helm.Chart is { } chart && (chart.Contains("..", StringComparison.Ordinal) || (spec.SourceRef.Kind == "HelmRepository" && chart.Contains('/', StringComparison.Ordinal))))
        {
            yield return new FieldError("spec.helm.chart", $"\"{chart}\" is not a chart name{(spec.SourceRef.Kind == "GitRepository" ? " or a path inside the source" : "")}");
        }
        if (helm.ReleaseName is { } release && (release.Length > 53 || !Dns1123Label().IsMatch(release)))
        {
            yield return new FieldError("spec.helm.releaseName", $"\"{release}\" is not a valid release name: lowercase alphanumerics or '-', at most 53 characters (as Helm)");
        }
        if (spec.Components is { Count: > 0 })
        {
            yield return new FieldError("spec.components", "not used with spec.helm: components are kustomize's");
        }
        foreach (var e in ValuesFrom(helm.ValuesFrom, "spec.helm.valuesFrom"))
        {
            yield return e;
        }
        for (var i = 0; i < (spec.TargetCustomizations?.Count ?? 0); i++)
        {
            var tc = spec.TargetCustomizations![i];
            if (tc.Path is not null)
            {
                yield return new FieldError($"spec.targetCustomizations[{i}].path", "not used with spec.helm: give per-cluster values in helm.values");
            }
            foreach (var e in ValuesFrom(tc.Helm?.ValuesFrom, $"spec.targetCustomizations[{i}].helm.valuesFrom"))
            {
                yield return e;
            }
        }
    }

    private static IEnumerable<FieldError> ValuesFrom(List<HelmValuesReference>? refs, string field)
    {
        for (var i = 0; i < (refs?.Count ?? 0); i++)
        {
            var r = refs![i];
            if (r.Kind is not ("Secret" or "ConfigMap"))
            {
                yield return new FieldError($"{field}[{i}].kind", $"\"{r.Kind}\" is not supported: Secret (or ConfigMap, which Fleet does not keep)");
            }
            foreach (var e in ValidateName(r.Name, $"{field}[{i}].name"))
            {
                yield return e;
            }
        }
    }
}
