using System.Globalization;
using System.Text;
using Fleet.Abstractions;

namespace Fleet.Store.Storage;

/// <summary>
/// Translates a label selector into SQL over the <c>resource_labels</c> index table. The objects of the kind are
/// joined to their label rows once and grouped per object; each requirement becomes one aggregate condition in
/// <c>HAVING</c> ("some label row is env=prod", "no label row has key region"). This is one join and one
/// aggregation whatever the selector, so selecting among 10,000 clusters stays one fast query on both providers
/// (per-requirement correlated sub-queries let PostgreSQL's planner pick nested loops that took seconds).
/// </summary>
internal static class LabelSelectorSql
{
    /// <summary>
    /// Builds the query: the caller binds <c>@kind</c> (and <c>@ns</c> when <paramref name="byNamespace"/>);
    /// <paramref name="addParameter"/> binds a value and returns its parameter name.
    /// </summary>
    public static string BuildList(string columns, bool byNamespace, LabelSelector? selector, Func<object, string> addParameter)
    {
        var sql = new StringBuilder("SELECT ").Append(columns).Append(" FROM resources r");
        var filtered = selector is { IsEmpty: false };
        if (filtered)
        {
            sql.Append(" LEFT JOIN resource_labels l ON l.kind = r.kind AND l.namespace = r.namespace AND l.name = r.name");
        }

        sql.Append(" WHERE r.kind = @kind");
        if (byNamespace)
        {
            sql.Append(" AND r.namespace = @ns");
        }

        if (filtered)
        {
            sql.Append(" GROUP BY r.kind, r.namespace, r.name HAVING ");
            var first = true;
            foreach (var r in selector!.Requirements)
            {
                if (!first)
                {
                    sql.Append(" AND ");
                }

                first = false;
                AppendRequirement(sql, r, addParameter);
            }
        }

        sql.Append(" ORDER BY r.namespace, r.name");
        return sql.ToString();
    }

    /// <summary>True when SQL alone answers the selector exactly, so no in-memory check is needed.</summary>
    public static bool IsExact(LabelSelector selector) =>
        selector.Requirements.All(r => r.Operator is not (SelectorOperator.GreaterThan or SelectorOperator.LessThan));

    private static void AppendRequirement(StringBuilder sql, LabelSelectorRequirement r, Func<object, string> addParameter)
    {
        var key = addParameter(r.Key);
        (string match, bool present) = r.Operator switch
        {
            SelectorOperator.Equals => ($"l.key = {key} AND l.value = {addParameter(r.Values[0])}", true),
            SelectorOperator.NotEquals => ($"l.key = {key} AND l.value = {addParameter(r.Values[0])}", false),
            SelectorOperator.In => ($"l.key = {key} AND l.value IN ({ValueList(r.Values, addParameter)})", true),
            SelectorOperator.NotIn => ($"l.key = {key} AND l.value IN ({ValueList(r.Values, addParameter)})", false),

            // Gt/Lt compare integers; SQL narrows to objects having the key and the caller applies the numeric
            // comparison (a cast in SQL would fail on non-numeric values).
            SelectorOperator.Exists or SelectorOperator.GreaterThan or SelectorOperator.LessThan => ($"l.key = {key}", true),
            SelectorOperator.DoesNotExist => ($"l.key = {key}", false),
            _ => throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Unsupported selector operator {r.Operator} for key '{r.Key}'.")),
        };
        sql.Append("MAX(CASE WHEN ").Append(match).Append(" THEN 1 ELSE 0 END) = ").Append(present ? '1' : '0');
    }

    private static string ValueList(IReadOnlyList<string> values, Func<object, string> addParameter)
    {
        if (values.Count == 0)
        {
            // "key in ()" matches nothing; NULL keeps the SQL valid and the IN false.
            return "NULL";
        }

        return string.Join(", ", values.Select(v => addParameter(v)));
    }
}
