using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Fleet.Cli.Registration;

/// <summary>
/// The user's kubeconfig as <c>fleet cluster register</c> reads it: the file (<c>--kubeconfig</c>, else the first
/// file of <c>$KUBECONFIG</c>, else <c>~/.kube/config</c>), one context of it, and that context's file references
/// (<c>certificate-authority</c>, <c>client-certificate</c>, <c>client-key</c>, <c>tokenFile</c>) read and embedded
/// as kubectl's <c>config view --flatten</c> does, relative paths resolved against the file's directory as kubectl
/// resolves them. Fleet's Kubernetes library takes a kubeconfig as text, with no directory to resolve paths
/// against, and the CA must be sent to Fleet as data: hence this step, by hand, on YamlDotNet's node model (no
/// reflection, for the Native AOT build).
/// </summary>
internal sealed class KubeconfigFile
{
    private KubeconfigFile(string path, string context, string yaml)
    {
        Path = path;
        Context = context;
        Yaml = yaml;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The context used: the one asked for, else the file's current-context.</summary>
    public string Context { get; }

    /// <summary>The kubeconfig with the context's file references embedded.</summary>
    public string Yaml { get; }

    /// <summary>Which file to read: the option, else the first of <c>$KUBECONFIG</c>, else <c>~/.kube/config</c>.</summary>
    public static string Locate(string? option, CliEnvironment environment)
    {
        if (!string.IsNullOrEmpty(option))
        {
            return option;
        }
        if (environment.Variables("KUBECONFIG") is { Length: > 0 } list
            && list.Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } files)
        {
            return files[0];
        }
        var home = environment.Variables("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return System.IO.Path.Combine(home, ".kube", "config");
    }

    /// <summary>Reads the file and embeds what the context refers to; throws <see cref="CliException"/> naming the file and what is wrong.</summary>
    public static KubeconfigFile Load(string path, string? context)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"kubeconfig {path}: no such file (pass --kubeconfig, or set KUBECONFIG)", CliHost.BadArguments);
        }
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException ex)
        {
            throw new CliException($"kubeconfig {path}: line {ex.Start.Line}: {ex.Message}", CliHost.BadArguments);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new CliException($"kubeconfig {path}: not a YAML mapping", CliHost.BadArguments);
        }

        var contexts = Entries(root, "contexts");
        var name = context ?? Scalar(root, "current-context");
        if (string.IsNullOrEmpty(name))
        {
            throw new CliException($"kubeconfig {path}: no current-context; pass --context ({Known(contexts)})", CliHost.BadArguments);
        }
        if (!contexts.ContainsKey(name))
        {
            throw new CliException($"kubeconfig {path}: no context named \"{name}\" ({Known(contexts)})", CliHost.BadArguments);
        }
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var details = Inner(contexts[name], "context");
        if (details is not null && Scalar(details, "cluster") is { } clusterName && Entries(root, "clusters").TryGetValue(clusterName, out var cluster)
            && Inner(cluster, "cluster") is { } c)
        {
            Embed(c, "certificate-authority", "certificate-authority-data", directory, base64: true, path);
        }
        if (details is not null && Scalar(details, "user") is { } userName && Entries(root, "users").TryGetValue(userName, out var user)
            && Inner(user, "user") is { } u)
        {
            Embed(u, "client-certificate", "client-certificate-data", directory, base64: true, path);
            Embed(u, "client-key", "client-key-data", directory, base64: true, path);
            Embed(u, "tokenFile", "token", directory, base64: false, path);
        }
        using var text = new StringWriter();
        stream.Save(text, assignAnchors: false);
        return new KubeconfigFile(path, name, text.ToString());
    }

    private static void Embed(YamlMappingNode node, string fileKey, string dataKey, string directory, bool base64, string kubeconfig)
    {
        if (Scalar(node, fileKey) is not { } file)
        {
            return;
        }
        var full = System.IO.Path.IsPathRooted(file) ? file : System.IO.Path.Combine(directory, file);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"kubeconfig {kubeconfig}: {fileKey} {full}: {ex.Message}", CliHost.BadArguments);
        }
        node.Children.Remove(new YamlScalarNode(fileKey));
        node.Children[new YamlScalarNode(dataKey)] = new YamlScalarNode(base64 ? Convert.ToBase64String(bytes) : System.Text.Encoding.UTF8.GetString(bytes).Trim());
    }

    /// <summary>The entries of a kubeconfig list (contexts, clusters, users) by name.</summary>
    private static Dictionary<string, YamlMappingNode> Entries(YamlMappingNode root, string list)
    {
        var entries = new Dictionary<string, YamlMappingNode>(StringComparer.Ordinal);
        if (root.Children.TryGetValue(new YamlScalarNode(list), out var node) && node is YamlSequenceNode items)
        {
            foreach (var item in items.Children.OfType<YamlMappingNode>())
            {
                if (Scalar(item, "name") is { } name)
                {
                    entries.TryAdd(name, item);
                }
            }
        }
        return entries;
    }

    private static YamlMappingNode? Inner(YamlMappingNode entry, string key) =>
        entry.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node as YamlMappingNode : null;

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode { Value: { Length: > 0 } text } ? text : null;

    private static string Known(Dictionary<string, YamlMappingNode> contexts) =>
        contexts.Count == 0 ? "it has no contexts" : "its contexts: " + string.Join(", ", contexts.Keys.Order(StringComparer.Ordinal));
}
