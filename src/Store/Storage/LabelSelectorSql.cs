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
    public static string BuildList(string columns, bool byNamespace, LabelSelector? selector, Func<object, string> addParameter) =>
        Build(columns, byNamespace ? " AND r.namespace = @ns" : "", selector, "", addParameter);

    /// <summary>
    /// Builds the query of one page: the caller binds <c>@kind</c>. Namespaces and fields narrow the rows, the page
    /// starts after <see cref="ResourceQuery.After"/> (keyset paging on the primary key's order) and holds at most
    /// <see cref="ResourceQuery.Limit"/> + 1 rows, the extra one telling that another page follows.
    /// </summary>
    public static string BuildPage(string columns, ResourceQuery query, Func<object, string> addParameter)
    {
        var where = new StringBuilder();
        if (query.Namespace is not null)
        {
            where.Append(" AND r.namespace = ").Append(addParameter(query.Namespace));
        }

        if (query.Namespaces is not null)
        {
            where.Append(query.Namespaces.Count == 0
                ? " AND 1 = 0"
                : " AND r.namespace IN (" + string.Join(", ", query.Namespaces.Select(n => addParameter(n))) + ")");
        }

        foreach (var f in query.Fields)
        {
            where.Append(f.Field == ResourceField.Name ? " AND r.name " : " AND r.namespace ")
                .Append(f.Negated ? "<> " : "= ")
                .Append(addParameter(f.Value));
        }

        if (query.After is { } after)
        {
            where.Append(" AND (r.namespace > ").Append(addParameter(after.Namespace))
                .Append(" OR (r.namespace = ").Append(addParameter(after.Namespace))
                .Append(" AND r.name > ").Append(addParameter(after.Name)).Append("))");
        }

        var limit = query.Limit > 0 ? " LIMIT " + addParameter((long)query.Limit + 1) : "";
        return Build(columns, where.ToString(), query.Selector, limit, addParameter);
    }

    private static string Build(string columns, string where, LabelSelector? selector, string limit, Func<object, string> addParameter)
    {
        var sql = new StringBuilder("SELECT ").Append(columns).Append(" FROM resources r");
        var filtered = selector is { IsEmpty: false };
        if (filtered)
        {
            sql.Append(" LEFT JOIN resource_labels l ON l.kind = r.kind AND l.namespace = r.namespace AND l.name = r.name");
        }

        sql.Append(" WHERE r.kind = @kind").Append(where);
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

        sql.Append(" ORDER BY r.namespace, r.name").Append(limit);
        return sql.ToString();
    }

    /// <summary>
    /// Turns the rows of a page query into the page: rows beyond the limit mean another page follows, which starts
    /// after the last row of this one; selectors SQL cannot answer exactly (Gt/Lt) are applied here, so a page may
    /// hold fewer objects than the limit and still have a next page, as Kubernetes allows.
    /// </summary>
    public static (List<StoredResource> Items, ResourceKey? Next) FinishPage(List<StoredResource> rows, ResourceQuery query)
    {
        ResourceKey? next = null;
        if (query.Limit > 0 && rows.Count > query.Limit)
        {
            rows.RemoveRange(query.Limit, rows.Count - query.Limit);
            next = new ResourceKey(rows[^1].Namespace, rows[^1].Name);
        }

        if (query.Selector is { } selector && !IsExact(selector))
        {
            rows.RemoveAll(r => !selector.Matches(r.Labels));
        }

        return (rows, next);
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
