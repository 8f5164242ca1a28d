using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using System.Text.Json;
using YamlDotNet.Core.Events;

namespace Fleet.Gateway.Serialization;

/// <summary>
/// Reads YAML request bodies into JSON trees (YAML 1.2 core schema for plain scalars) and writes JSON trees as YAML.
/// Hand-written over YamlDotNet's node model because YamlDotNet has no JSON DOM bridge.
/// </summary>
internal static class YamlJson
{
    private const int MaxDepth = 64;

    /// <summary>Most YAML nodes one body may hold after alias expansion (an alias bomb is refused at this count).</summary>
    public const long MaxNodes = 200_000;

    /// <summary>
    /// Parses every document of a YAML stream; throws <see cref="FormatException"/> naming the line. Reads YamlDotNet's
    /// event stream (not its node graph) so that depth and alias expansion are counted while parsing and a hostile
    /// document is refused before it grows in memory, as the renderer's reader does.
    /// </summary>
    public static List<JsonNode?> ParseDocuments(string yaml)
    {
        var parser = new Parser(new Scanner(new StringReader(yaml), skipComments: true));
        var docs = new List<JsonNode?>();
        var state = new State();
        try
        {
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                state.Anchors.Clear();
                docs.Add(ReadNode(parser, state, 0));
                parser.Consume<DocumentEnd>();
            }
            parser.Consume<StreamEnd>();
        }
        catch (YamlException ex)
        {
            throw new FormatException($"invalid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {ex.InnerException?.Message ?? ex.Message}");
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's parser reports an event stream that ends inside a node (an unclosed flow mapping) this way.
            throw new FormatException($"invalid YAML: {ex.Message}");
        }
        return docs;
    }

    private sealed class State
    {
        public Dictionary<string, (JsonNode? Node, long Size)> Anchors { get; } = new(StringComparer.Ordinal);

        public long Nodes { get; set; }
    }

    private static void Count(State state, long nodes, Mark at)
    {
        state.Nodes += nodes;
        if (state.Nodes > MaxNodes)
        {
            throw new FormatException($"YAML body expands to more than {MaxNodes} nodes at line {at.Line} (alias bomb or oversized input refused)");
        }
    }

    private static JsonNode? ReadNode(IParser parser, State state, int depth)
    {
        var at = parser.Current?.Start ?? Mark.Empty;
        if (depth > MaxDepth)
        {
            throw new FormatException($"YAML nested deeper than {MaxDepth} levels at line {at.Line}");
        }
        var before = state.Nodes;
        Count(state, 1, at);
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!state.Anchors.TryGetValue(alias.Value.Value, out var target))
            {
                throw new FormatException($"invalid YAML at line {at.Line}: unknown alias *{alias.Value.Value}");
            }
            Count(state, target.Size, at);
            return target.Node?.DeepClone();
        }
        JsonNode? result;
        AnchorName anchor;
        if (parser.TryConsume<YamlDotNet.Core.Events.Scalar>(out var scalar))
        {
            anchor = scalar.Anchor;
            result = Scalar(scalar);
        }
        else if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            anchor = seqStart.Anchor;
            var arr = new JsonArray();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                arr.Add(ReadNode(parser, state, depth + 1));
            }
            result = arr;
        }
        else if (parser.TryConsume<MappingStart>(out var mapStart))
        {
            anchor = mapStart.Anchor;
            var obj = new JsonObject();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyAt = parser.Current?.Start ?? Mark.Empty;
                if (ReadNode(parser, state, depth + 1) is not JsonValue keyValue)
                {
                    throw new FormatException($"invalid YAML at line {keyAt.Line}: mapping keys must be strings");
                }
                var key = keyValue.GetValueKind() == JsonValueKind.String ? keyValue.GetValue<string>() : keyValue.ToJsonString();
                var value = ReadNode(parser, state, depth + 1);
                if (obj.ContainsKey(key))
                {
                    throw new FormatException($"invalid YAML at line {keyAt.Line}: duplicate key \"{key}\"");
                }
                obj[key] = value;
            }
            result = obj;
        }
        else
        {
            throw new FormatException($"invalid YAML at line {at.Line}: unsupported node");
        }
        if (!anchor.IsEmpty)
        {
            state.Anchors[anchor.Value] = (result, state.Nodes - before);
        }
        return result;
    }

    private static JsonNode? Scalar(YamlDotNet.Core.Events.Scalar scalar)
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
