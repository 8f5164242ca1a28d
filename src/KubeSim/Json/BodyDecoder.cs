using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Api;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Fleet.KubeSim.Json;

/// <summary>
/// Decodes request bodies (JSON, or YAML for apply patches and <c>application/yaml</c>) into JSON nodes.
/// YAML scalars are typed the way sigs.k8s.io/yaml (go-yaml v2, YAML 1.1) types them, so a body means
/// the same here as on a real API server.
/// </summary>
internal static class BodyDecoder
{
    public static JsonNode Decode(ReadOnlySpan<byte> body, bool allowYaml)
    {
        var first = FirstNonSpace(body);
        if (first == 0)
        {
            throw KubeException.BadRequest("the request body is empty");
        }

        if (first is (byte)'{' or (byte)'[' || !allowYaml)
        {
            try
            {
                return JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 100 })
                    ?? throw KubeException.BadRequest("the request body is JSON null, expected an object");
            }
            catch (JsonException e)
            {
                throw KubeException.BadRequest($"error decoding JSON body: {e.Message}");
            }
        }

        return DecodeYaml(Encoding.UTF8.GetString(body));
    }

    public static JsonObject DecodeObject(ReadOnlySpan<byte> body, bool allowYaml) =>
        Decode(body, allowYaml) as JsonObject
        ?? throw KubeException.BadRequest("error decoding body: expected a JSON or YAML object at the top level");

    private static byte FirstNonSpace(ReadOnlySpan<byte> body)
    {
        foreach (var b in body)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF))
            {
                return b;
            }
        }

        return 0;
    }

    public static JsonNode DecodeYaml(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw KubeException.BadRequest(
                $"error converting YAML to JSON: yaml: line {e.Start.Line}, column {e.Start.Column}: {e.Message}");
        }

        if (stream.Documents.Count != 1)
        {
            throw KubeException.BadRequest(
                $"error converting YAML to JSON: expected exactly one YAML document, found {stream.Documents.Count}");
        }

        return Convert(stream.Documents[0].RootNode)
            ?? throw KubeException.BadRequest("error converting YAML to JSON: the document is null");
    }

    private static JsonNode? Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var o = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode key)
                    {
                        throw KubeException.BadRequest(
                            $"error converting YAML to JSON: line {k.Start.Line}: mapping keys must be scalars");
                    }

                    o[key.Value ?? "null"] = Convert(v);
                }

                return o;
            case YamlSequenceNode seq:
                var a = new JsonArray();
                foreach (var item in seq.Children)
                {
                    a.Add(Convert(item));
                }

                return a;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                return null;
        }
    }

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var value = s.Value ?? string.Empty;
        if (s.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
        {
            return JsonValue.Create(value);
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "y" or "Y":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "n" or "N":
                return JsonValue.Create(false);
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }

        if (value.StartsWith("0x", StringComparison.Ordinal)
            && long.TryParse(value.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex))
        {
            return JsonValue.Create(hex);
        }

        if (LooksLikeFloat(value)
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            && double.IsFinite(d))
        {
            return JsonValue.Create(d);
        }

        return JsonValue.Create(value);
    }

    private static bool LooksLikeFloat(string v)
    {
        foreach (var c in v)
        {
            if (!(char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-'))
            {
                return false;
            }
        }

        return v.Any(char.IsAsciiDigit);
    }
}
