using System.Text;
using System.Text.Json;
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

    private static List<string> Check(Chart chart, Dictionary<string, object?> values)
    {
        JsonSchema schema;
        try
        {
            schema = JsonSchema.FromText(Encoding.UTF8.GetString(chart.Schema!));
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
