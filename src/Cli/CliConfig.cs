using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Fleet.Cli;

/// <summary>
/// The CLI's config file (<c>server</c>, <c>token</c>, <c>namespace</c>), written by <c>fleet login</c> with mode 0600
/// because it holds a bearer token. Read with YamlDotNet's node model, which needs no reflection (Native AOT).
/// </summary>
internal sealed record CliConfig(string? Server, string? Token, string? Namespace)
{
    public static CliConfig Empty { get; } = new(null, null, null);

    /// <summary>The file's settings; <see cref="Empty"/> when it does not exist. Throws <see cref="CliException"/> naming the file when it cannot be read.</summary>
    public static CliConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            return Empty;
        }
        try
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(path))
            {
                stream.Load(reader);
            }
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            {
                return Empty;
            }
            if (stream.Documents[0].RootNode is not YamlMappingNode map)
            {
                throw new CliException($"{path}: expected a mapping with server, token and namespace");
            }
            string? Read(string key)
            {
                if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node))
                {
                    return null;
                }
                return node is YamlScalarNode scalar ? scalar.Value : throw new CliException($"{path}: {key}: expected a string");
            }
            foreach (var key in map.Children.Keys)
            {
                if (key is not YamlScalarNode { Value: "server" or "token" or "namespace" })
                {
                    throw new CliException($"{path}: unknown setting \"{key}\" (known: server, token, namespace)");
                }
            }
            return new CliConfig(Read("server"), Read("token"), Read("namespace"));
        }
        catch (YamlException ex)
        {
            throw new CliException($"{path}: line {ex.Start.Line}: {ex.Message}");
        }
    }

    /// <summary>Writes the file, readable and writable by its owner only (it holds a token).</summary>
    public void Save(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var text = new StringBuilder();
        using (var writer = new StringWriter(text))
        {
            var emitter = new Emitter(writer);
            emitter.Emit(new StreamStart());
            emitter.Emit(new DocumentStart());
            emitter.Emit(new MappingStart());
            foreach (var (key, value) in new[] { ("server", Server), ("token", Token), ("namespace", Namespace) })
            {
                if (value is not null)
                {
                    emitter.Emit(new Scalar(key));
                    emitter.Emit(new Scalar(null, null, value, ScalarStyle.DoubleQuoted, false, true));
                }
            }
            emitter.Emit(new MappingEnd());
            emitter.Emit(new DocumentEnd(true));
            emitter.Emit(new StreamEnd());
        }
        // Created with 0600 before any byte of the token is written, then moved over the old file.
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var file = new FileStream(temporary, options))
        using (var writer = new StreamWriter(file, new UTF8Encoding(false)))
        {
            writer.Write(text.ToString());
        }
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>A failure the CLI reports as one line on stderr, with its exit code.</summary>
internal sealed class CliException(string message, int exitCode = CliHost.Failure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>The HTTP status of the Fleet API's answer, when the failure is one.</summary>
    public System.Net.HttpStatusCode? Status { get; init; }
}
