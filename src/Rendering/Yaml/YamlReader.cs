using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Fleet.Rendering.Yaml;

/// <summary>
/// Reads YAML streams into System.Text.Json nodes. Hand-written over YamlDotNet's event parser (not its
/// object graph) so that alias expansion, nesting depth and size are counted while parsing and a
/// hostile document (an alias bomb) is refused before it can expand in memory.
/// </summary>
internal static class YamlReader
{
    public static List<JsonNode?> ReadAll(string text, string file, RenderLimits limits)
    {
        if (text.Length > limits.MaxInputBytes)
        {
            throw new RenderException($"{file}: file is {text.Length} bytes, larger than the {limits.MaxInputBytes}-byte input limit");
        }

        var parser = new Parser(new Scanner(new StringReader(text), skipComments: true));
        var docs = new List<JsonNode?>();
        try
        {
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                var state = new State(file, limits);
                var node = ReadNode(parser, state, 0);
                parser.Consume<DocumentEnd>();
                docs.Add(node);
            }

            parser.Consume<StreamEnd>();
        }
        catch (YamlException ex)
        {
            throw new RenderException($"{file}: invalid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}", ex);
        }

        return docs;
    }

    private sealed class State(string file, RenderLimits limits)
    {
        public string File { get; } = file;
        public RenderLimits Limits { get; } = limits;
        public Dictionary<string, JsonNode?> Anchors => _anchors ??= new(StringComparer.Ordinal);

        public bool HasAnchors => _anchors is not null;

        private Dictionary<string, JsonNode?>? _anchors;
        public long Nodes { get; set; }
    }

    private static JsonNode? ReadNode(IParser parser, State state, int depth)
    {
        if (depth > state.Limits.MaxDepth)
        {
            throw new RenderException($"{state.File}: YAML nesting deeper than {state.Limits.MaxDepth} levels");
        }

        if (++state.Nodes > state.Limits.MaxNodesPerDocument)
        {
            throw new RenderException($"{state.File}: document has more than {state.Limits.MaxNodesPerDocument} YAML nodes (alias expansion or oversized input)");
        }

        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!state.HasAnchors || !state.Anchors.TryGetValue(alias.Value.Value, out var target))
            {
                throw new RenderException($"{state.File}: unknown YAML alias *{alias.Value.Value}");
            }

            var size = CountNodes(target);
            state.Nodes += size;
            if (state.Nodes > state.Limits.MaxNodesPerDocument)
            {
                throw new RenderException($"{state.File}: YAML aliases expand to more than {state.Limits.MaxNodesPerDocument} nodes (alias bomb refused)");
            }

            return target?.DeepClone();
        }

        if (parser.TryConsume<Scalar>(out var scalar))
        {
            var value = ConvertScalar(scalar);
            Remember(state, scalar.Anchor, value);
            return value;
        }

        if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            var array = new JsonArray();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                array.Add(ReadNode(parser, state, depth + 1));
            }

            Remember(state, seqStart.Anchor, array);
            return array;
        }

        if (parser.TryConsume<MappingStart>(out var mapStart))
        {
            var obj = new JsonObject();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                string key;
                JsonNode? value;
                if (PlainKey(parser) is { } text)
                {
                    // Fast path for the usual key (a word that resolves to a string): no JsonValue round trip.
                    if (depth + 1 > state.Limits.MaxDepth)
                    {
                        throw new RenderException($"{state.File}: YAML nesting deeper than {state.Limits.MaxDepth} levels");
                    }

                    if (++state.Nodes > state.Limits.MaxNodesPerDocument)
                    {
                        throw new RenderException($"{state.File}: document has more than {state.Limits.MaxNodesPerDocument} YAML nodes (alias expansion or oversized input)");
                    }

                    parser.MoveNext();
                    key = text;
                    value = ReadNode(parser, state, depth + 1);
                }
                else
                {
                    var keyNode = ReadNode(parser, state, depth + 1);
                    value = ReadNode(parser, state, depth + 1);
                    if (keyNode is null && value is null)
                    {
                        continue;
                    }

                    key = keyNode switch
                    {
                        null => "null",
                        JsonValue v => ScalarText(v),
                        _ => throw new RenderException($"{state.File}: complex mapping keys are not supported"),
                    };
                }

                if (key == "<<" && value is JsonObject merge)
                {
                    // YAML merge key: copy keys that are not set explicitly.
                    foreach (var (k, v) in merge)
                    {
                        if (!obj.ContainsKey(k))
                        {
                            obj[k] = v?.DeepClone();
                        }
                    }

                    continue;
                }

                if (obj.ContainsKey(key))
                {
                    throw new RenderException($"{state.File}: mapping key \"{key}\" already defined (line {mapStart.Start.Line})");
                }

                obj[key] = value;
            }

            Remember(state, mapStart.Anchor, obj);
            return obj;
        }

        throw new RenderException($"{state.File}: unexpected YAML event {parser.Current}");
    }

    /// <summary>
    /// The text of the current event when it is an untagged scalar without an anchor that the core schema
    /// resolves to that same string (quoted, or plain and starting with a letter other than a null/bool word).
    /// </summary>
    private static string? PlainKey(IParser parser)
    {
        if (parser.Current is not Scalar scalar || !scalar.Tag.IsEmpty || !scalar.Anchor.IsEmpty)
        {
            return null;
        }

        var text = scalar.Value;
        if (scalar.Style != ScalarStyle.Plain)
        {
            return text;
        }

        if (text.Length == 0 || !char.IsAsciiLetter(text[0]))
        {
            return null;
        }

        return text is "null" or "Null" or "NULL" or "true" or "True" or "TRUE" or "false" or "False" or "FALSE" ? null : text;
    }

    private static void Remember(State state, AnchorName anchor, JsonNode? node)
    {
        if (!anchor.IsEmpty)
        {
            state.Anchors[anchor.Value] = node;
        }
    }

    private static long CountNodes(JsonNode? node) => node switch
    {
        JsonObject o => 1 + o.Sum(p => 1 + CountNodes(p.Value)),
        JsonArray a => 1 + a.Sum(CountNodes),
        _ => 1,
    };

    internal static string ScalarText(JsonValue v) => v.GetValueKind() switch
    {
        JsonValueKind.String => v.GetValue<string>(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => v.ToJsonString(),
    };

    private static JsonNode? ConvertScalar(Scalar scalar)
    {
        var text = scalar.Value;
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        if (tag is "tag:yaml.org,2002:str" or "!")
        {
            return JsonValue.Create(text);
        }

        if (tag is "tag:yaml.org,2002:binary")
        {
            return JsonValue.Create(text);
        }

        if (scalar.Style != ScalarStyle.Plain && tag is null)
        {
            return JsonValue.Create(text);
        }

        return ResolvePlain(text, tag);
    }

    /// <summary>Resolves a plain scalar with the YAML 1.2 core schema, as Go's yaml.v3 (kyaml) does.</summary>
    internal static JsonNode? ResolvePlain(string text, string? tag = null)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return tag is "tag:yaml.org,2002:str" ? JsonValue.Create(text) : null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF" or ".nan" or ".NaN" or ".NAN":
                // JSON has no infinities or NaN; keep the text.
                return JsonValue.Create(text);
        }

        if (LooksNumeric(text))
        {
            if (IsJsonNumber(text))
            {
                // Keeps the literal text (1.0 stays 1.0) so output matches the input.
                return JsonNode.Parse(text);
            }

            if (text.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex))
            {
                return JsonValue.Create(hex);
            }

            if (text.StartsWith("0o", StringComparison.Ordinal))
            {
                try
                {
                    return JsonValue.Create(Convert.ToInt64(text[2..], 8));
                }
                catch (FormatException)
                {
                    return JsonValue.Create(text);
                }
            }

            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !text.Contains('_', StringComparison.Ordinal))
            {
                var trimmed = text.TrimStart('+');
                if (long.TryParse(trimmed, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l))
                {
                    return JsonValue.Create(l);
                }

                return JsonValue.Create(d);
            }
        }

        return JsonValue.Create(text);
    }

    private static bool LooksNumeric(string text)
    {
        var c = text[0];
        return char.IsAsciiDigit(c) || ((c is '-' or '+' or '.') && text.Length > 1);
    }

    private static bool IsJsonNumber(string text)
    {
        var i = 0;
        if (text[i] == '-')
        {
            i++;
        }

        if (i >= text.Length)
        {
            return false;
        }

        if (text[i] == '0')
        {
            i++;
        }
        else if (char.IsAsciiDigit(text[i]))
        {
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
        }
        else
        {
            return false;
        }

        if (i < text.Length && text[i] == '.')
        {
            i++;
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start)
            {
                return false;
            }
        }

        if (i < text.Length && (text[i] is 'e' or 'E'))
        {
            i++;
            if (i < text.Length && (text[i] is '+' or '-'))
            {
                i++;
            }

            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start)
            {
                return false;
            }
        }

        return i == text.Length;
    }
}
