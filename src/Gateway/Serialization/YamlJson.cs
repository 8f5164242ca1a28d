using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Fleet.Gateway.Serialization;

/// <summary>
/// Reads YAML request bodies into JSON trees (YAML 1.2 core schema for plain scalars) and writes JSON trees as YAML.
/// Hand-written over YamlDotNet's node model because YamlDotNet has no JSON DOM bridge.
/// </summary>
internal static class YamlJson
{
    private const int MaxDepth = 64;

    /// <summary>Parses every document of a YAML stream; throws <see cref="FormatException"/> naming the line.</summary>
    public static List<JsonNode?> ParseDocuments(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new FormatException($"invalid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {ex.InnerException?.Message ?? ex.Message}");
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // YamlDotNet's node model reports some malformed documents (duplicate keys in a flow mapping) this way.
            throw new FormatException($"invalid YAML: {ex.Message}");
        }
        return stream.Documents.Select(d => Convert(d.RootNode, 0)).ToList();
    }

    private static JsonNode? Convert(YamlNode node, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new FormatException($"YAML nested deeper than {MaxDepth} levels at line {node.Start.Line}");
        }
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode key || key.Value is null)
                    {
                        throw new FormatException($"invalid YAML at line {k.Start.Line}: mapping keys must be strings");
                    }
                    if (obj.ContainsKey(key.Value))
                    {
                        throw new FormatException($"invalid YAML at line {k.Start.Line}: duplicate key \"{key.Value}\"");
                    }
                    obj[key.Value] = Convert(v, depth + 1);
                }
                return obj;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                foreach (var item in seq.Children)
                {
                    arr.Add(Convert(item, depth + 1));
                }
                return arr;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw new FormatException($"invalid YAML at line {node.Start.Line}: unsupported node");
        }
    }

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(text);
        }
        switch (scalar.Tag.IsEmpty ? null : scalar.Tag.Value)
        {
            case "tag:yaml.org,2002:str":
                return JsonValue.Create(text);
            case null:
                break;
            default:
                break;
        }
        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }
        if (text is "true" or "True" or "TRUE")
        {
            return JsonValue.Create(true);
        }
        if (text is "false" or "False" or "FALSE")
        {
            return JsonValue.Create(false);
        }
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }
        if (text.Any(char.IsAsciiDigit) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsInfinity(d) && !text.Contains(',', StringComparison.Ordinal))
        {
            return JsonValue.Create(d);
        }
        return JsonValue.Create(text);
    }
}
