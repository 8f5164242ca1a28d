using System.Text;

namespace Fleet.Grains.Applications;

/// <summary>
/// The per-cluster variables for <c>postBuild</c> substitution: <c>cluster_name</c>, <c>cluster_namespace</c>, and each
/// label as <c>cluster_label_&lt;key&gt;</c> (lowercased, every character but letters and digits as <c>_</c>).
/// </summary>
internal static class ClusterVariables
{
    public static Dictionary<string, string> For(string ns, string cluster, IReadOnlyDictionary<string, string> labels)
    {
        var vars = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["cluster_name"] = cluster,
            ["cluster_namespace"] = ns,
        };
        foreach (var (key, value) in labels)
        {
            vars["cluster_label_" + Sanitize(key)] = value;
        }
        return vars;
    }

    public static string Sanitize(string key)
    {
        var sb = new StringBuilder(key.Length);
        foreach (var c in key.ToLowerInvariant())
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }
        return sb.ToString();
    }
}
