using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Helm.Formats;
using Fleet.Helm.Template;
using Json.Schema;

namespace Fleet.Helm.Charts;

/// <summary>values.schema.json validation of each chart's coalesced values, with JsonSchema.Net (Helm's ValidateAgainstSchema).</summary>
internal static class SchemaValidator
{
    public static void Validate(Chart chart, Dictionary<string, object?> values)
    {
        var sb = new StringBuilder();
        Collect(chart, values, sb);
        if (sb.Length > 0)
        {
            throw new HelmException("values don't meet the specifications of the schema(s) in the following chart(s):\n" + sb);
        }
    }

    private static void Collect(Chart chart, Dictionary<string, object?> values, StringBuilder sb)
    {
        if (chart.Schema is not null)
        {
            var problems = Check(chart, values);
            if (problems.Count > 0)
            {
                sb.Append(chart.Name).Append(":\n");
                foreach (var p in problems)
                {
                    sb.Append("- ").Append(p).Append('\n');
                }
            }
        }

        foreach (var sub in chart.Dependencies)
        {
            if (values.Get(sub.Name) is Dictionary<string, object?> subValues)
            {
                Collect(sub, subValues, sb);
            }
        }
    }

    private static readonly ContentCache<JsonSchema> Schemas = new(256);

    private static readonly HashSet<string> KnownDialects = new(StringComparer.Ordinal)
    {
        "http://json-schema.org/draft-06/schema#",
        "http://json-schema.org/draft-07/schema#",
        "https://json-schema.org/draft/2019-09/schema",
        "https://json-schema.org/draft/2020-12/schema",
    };

    /// <summary>
    /// Helm's validator treats a schema whose $schema it does not know (draft-04, "http://json-schema.org/schema#")
    /// as draft-07; JsonSchema.Net refuses unknown dialects, so such a $schema is rewritten to draft-07.
    /// </summary>
    private static string WithKnownDialect(string text)
    {
        if (JsonNode.Parse(text) is JsonObject o && o["$schema"] is JsonValue v && v.TryGetValue<string>(out var dialect) && !KnownDialects.Contains(dialect))
        {
            o["$schema"] = "http://json-schema.org/draft-07/schema#";
            return o.ToJsonString();
        }

        return text;
    }

    private static List<string> Check(Chart chart, Dictionary<string, object?> values)
    {
        JsonSchema schema;
        try
        {
            var text = Encoding.UTF8.GetString(chart.Schema!);
            schema = Schemas.GetOrAdd(ContentCache<JsonSchema>.Key(text), () => JsonSchema.FromText(WithKnownDialect(text)));
        }
        catch (Exception e) when (e is JsonException or JsonSchemaException or ArgumentException or InvalidOperationException)
        {
            throw new HelmException($"{chart.Name}: values.schema.json is not a valid JSON schema: {e.Message}");
        }

        using var doc = JsonDocument.Parse(GoJson.Marshal(values));
        var result = schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid)
        {
            return [];
        }

        var problems = new List<string>();
        foreach (var detail in result.Details ?? [])
        {
            if (detail.Errors is null)
            {
                continue;
            }

            foreach (var (keyword, message) in detail.Errors)
            {
                var at = detail.InstanceLocation.ToString();
                problems.Add($"at '{(at.Length == 0 ? "" : at)}': {message} ({keyword})");
            }
        }

        if (problems.Count == 0)
        {
            problems.Add("at '': values do not match the schema");
        }

        return problems;
    }
}
